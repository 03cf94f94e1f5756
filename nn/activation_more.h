// Activation modules over nn/functional/activation_more.h (Hardswish, Hardsigmoid, PReLU,
// SELU, CELU, LogSigmoid, Softsign, Tanhshrink, Hardshrink, Softshrink, Threshold, GLU),
// Softmax, LogSoftmax and Softmin over a dim, RReLU and Softmax2d: PyTorch's arguments,
// defaults and reprs. inplace = true overwrites the input (Note [In-place activations] in
// nn/functional/in_place.h).
#pragma once
#include <optional>
#include <string>

#include "nn/module.h"

namespace ember::nn {

class Hardswish : public Module {
 public:
  explicit Hardswish(bool inplace = false) : Module("Hardswish"), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  const bool inplace;  // not in the repr, as PyTorch's
};

class Hardsigmoid : public Module {
 public:
  explicit Hardsigmoid(bool inplace = false) : Module("Hardsigmoid"), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  const bool inplace;  // not in the repr, as PyTorch's
};

// A learnable slope for x <= 0: parameter "weight" [num_parameters] filled with init;
// num_parameters is 1 or the channel count (dim 1 of the input).
class PReLU : public Module {
 public:
  explicit PReLU(int64_t num_parameters = 1, double init = 0.25);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "num_parameters=" + std::to_string(num_parameters); }
  void reset_parameters() override;  // weight filled with init again, in place
  const int64_t num_parameters;
  const double init;
  Tensor& weight;
};

class SELU : public Module {
 public:
  explicit SELU(bool inplace = false) : Module("SELU"), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  const bool inplace;
};

class CELU : public Module {
 public:
  explicit CELU(double alpha = 1.0, bool inplace = false) : Module("CELU"), alpha(alpha), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double alpha;
  const bool inplace;
};

class LogSigmoid : public Module {
 public:
  LogSigmoid() : Module("LogSigmoid") {}
  Tensor forward(const Tensor& input) override;
};

class Softsign : public Module {
 public:
  Softsign() : Module("Softsign") {}
  Tensor forward(const Tensor& input) override;
};

class Tanhshrink : public Module {
 public:
  Tanhshrink() : Module("Tanhshrink") {}
  Tensor forward(const Tensor& input) override;
};

class Hardshrink : public Module {
 public:
  explicit Hardshrink(double lambd = 0.5) : Module("Hardshrink"), lambd(lambd) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double lambd;
};

// lambd >= 0 (checked on use, as PyTorch does).
class Softshrink : public Module {
 public:
  explicit Softshrink(double lambd = 0.5) : Module("Softshrink"), lambd(lambd) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double lambd;
};

class Threshold : public Module {
 public:
  Threshold(double threshold, double value, bool inplace = false)
      : Module("Threshold"), threshold(threshold), value(value), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double threshold;
  const double value;
  const bool inplace;
};

class GLU : public Module {
 public:
  explicit GLU(int64_t dim = -1) : Module("GLU"), dim(dim) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
  const int64_t dim;
};

// Softmax, LogSoftmax and Softmin over dim. PyTorch's dim=None is nullopt here and means
// its legacy implicit choice: dim 0 for 0-, 1- and 3-dim inputs, else dim 1.
class SoftmaxBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "dim=" + (dim ? std::to_string(*dim) : std::string("None")); }
  const std::optional<int64_t> dim;

 protected:
  SoftmaxBase(std::string type_name, std::optional<int64_t> dim) : Module(std::move(type_name)), dim(dim) {}
  virtual Tensor apply(const Tensor& input, int64_t dim) const = 0;
};

class Softmax : public SoftmaxBase {
 public:
  explicit Softmax(std::optional<int64_t> dim = std::nullopt) : SoftmaxBase("Softmax", dim) {}

 protected:
  Tensor apply(const Tensor& input, int64_t dim) const override;
};

class LogSoftmax : public SoftmaxBase {
 public:
  explicit LogSoftmax(std::optional<int64_t> dim = std::nullopt) : SoftmaxBase("LogSoftmax", dim) {}

 protected:
  Tensor apply(const Tensor& input, int64_t dim) const override;
};

class Softmin : public SoftmaxBase {
 public:
  explicit Softmin(std::optional<int64_t> dim = std::nullopt) : SoftmaxBase("Softmin", dim) {}

 protected:
  Tensor apply(const Tensor& input, int64_t dim) const override;
};

// Randomized leaky ReLU (functional::rrelu): a random slope in [lower, upper] for each
// negative element in training mode, their mean in eval mode.
class RReLU : public Module {
 public:
  explicit RReLU(double lower = 1.0 / 8, double upper = 1.0 / 3, bool inplace = false);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "lower=0.125, upper=0.3333333333333333"
  bool depends_on_training_flag() const override { return lower != upper; }
  std::string eval_mode_effect() const override;
  const double lower, upper;
  const bool inplace;
};

// Softmax over the channels of each position: dim -3 of a [N, C, H, W] or [C, H, W] input.
class Softmax2d : public Module {
 public:
  Softmax2d() : Module("Softmax2d") {}
  Tensor forward(const Tensor& input) override;
};

}  // namespace ember::nn
