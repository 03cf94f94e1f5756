// Activation modules (ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU, ELU, Softplus,
// Hardtanh, ReLU6, Mish), the shape helpers Flatten and Identity, and libtorch's Functional
// (a function as a module). inplace = true is PyTorch's: the input is overwritten and
// returned (Note [In-place activations] in nn/functional/in_place.h).
#pragma once
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "nn/module.h"

namespace ember::nn {

class ReLU : public Module {
 public:
  explicit ReLU(bool inplace = false) : Module("ReLU"), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  Tensor forward_consuming(Tensor input) override;
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  const bool inplace;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01, bool inplace = false)
      : Module("LeakyReLU"), negative_slope(negative_slope), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double negative_slope;
  const bool inplace;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& input) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override;
};

// approximate: "none" or "tanh" (checked here, as PyTorch's functional does on use).
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "approximate='" + approximate + "'"; }
  const std::string approximate;
};

class SiLU : public Module {
 public:
  explicit SiLU(bool inplace = false) : Module("SiLU"), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  const bool inplace;
};

class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0, bool inplace = false) : Module("ELU"), alpha(alpha), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double alpha;
  const bool inplace;
};

class Softplus : public Module {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0) : Module("Softplus"), beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double beta;
  const double threshold;
};

// max_val must be greater than min_val (PyTorch's assertion).
class Hardtanh : public Module {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0, bool inplace = false);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double min_val;
  const double max_val;
  const bool inplace;
};

class ReLU6 : public Module {
 public:
  explicit ReLU6(bool inplace = false) : Module("ReLU6"), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  const bool inplace;
};

class Mish : public Module {
 public:
  explicit Mish(bool inplace = false) : Module("Mish"), inplace(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  const bool inplace;
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const int64_t start_dim;
  const int64_t end_dim;
};

// As PyTorch's, it takes any arguments and ignores them: Identity(54, 0.1, false).
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  template <typename First, typename... Rest>
    requires(!std::is_base_of_v<Module, std::remove_cvref_t<First>>)
  explicit Identity(First&& /*ignored*/, Rest&&... /*ignored*/) : Identity() {}
  Tensor forward(const Tensor& input) override { return input; }
};

// libtorch's nn::Functional: a function as a parameterless module, for a Sequential, as
// Functional(relu) or Functional(F::leaky_relu, 0.2, false) (the arguments after the input
// bound in order, all of them: a function pointer keeps no default arguments). Prints as
// "Functional()".
class Functional : public Module {
 public:
  using Function = std::function<Tensor(const Tensor&)>;
  explicit Functional(Function function) : Module("Functional"), function_(std::move(function)) {
    EMBER_CHECK(function_ != nullptr, "Functional: expected a function, but got an empty one");
  }
  template <typename F, typename... Args>
    requires(sizeof...(Args) > 0)
  explicit Functional(F function, Args... args)
      : Functional(Function([function, args...](const Tensor& input) { return function(input, args...); })) {}
  Tensor forward(const Tensor& input) override { return function_(input); }

 private:
  Function function_;
};

}  // namespace ember::nn
