// Loss modules, PyTorch's nn.L1Loss, SmoothL1Loss, HuberLoss, BCELoss,
// BCEWithLogitsLoss, MSELoss, NLLLoss and CrossEntropyLoss: each calls its
// nn::functional loss (nn/functional/loss.h) with the options it was made with.
#pragma once
#include <string>
#include <string_view>
#include <utility>

#include "nn/functional/loss.h"
#include "nn/module.h"

namespace ember::nn {

// A module called with (input, target). Its one-tensor forward is PyTorch's missing-
// argument error; weights given to a loss are buffers (so to() moves them), not parameters.
class Loss : public Module {
 public:
  Loss(std::string type_name, functional::Reduction reduction) : Module(std::move(type_name)), reduction(reduction) {}
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  Tensor forward(const Tensor& input) override;
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  using Module::operator();
  const functional::Reduction reduction;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(functional::Reduction reduction = functional::Reduction::Mean) : Loss("L1Loss", reduction) {}
  explicit L1Loss(std::string_view reduction) : L1Loss(functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(functional::Reduction reduction = functional::Reduction::Mean) : Loss("MSELoss", reduction) {}
  explicit MSELoss(std::string_view reduction) : MSELoss(functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(functional::Reduction reduction = functional::Reduction::Mean, double beta = 1.0);
  explicit SmoothL1Loss(std::string_view reduction, double beta = 1.0)
      : SmoothL1Loss(functional::reduction_from_string(reduction), beta) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const double beta;  // not in the repr: PyTorch's SmoothL1Loss has no extra_repr
};

class HuberLoss : public Loss {
 public:
  explicit HuberLoss(functional::Reduction reduction = functional::Reduction::Mean, double delta = 1.0);
  explicit HuberLoss(std::string_view reduction, double delta = 1.0)
      : HuberLoss(functional::reduction_from_string(reduction), delta) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const double delta;  // not in the repr, as beta above
};

// weight: PyTorch's weight= (a buffer "weight" when defined).
class BCELoss : public Loss {
 public:
  explicit BCELoss(const Tensor& weight = {}, functional::Reduction reduction = functional::Reduction::Mean)
      : Loss("BCELoss", reduction), weight(register_buffer("weight", weight)) {}
  BCELoss(const Tensor& weight, std::string_view reduction)
      : BCELoss(weight, functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Tensor& weight;
};

// weight and pos_weight: buffers "weight" and "pos_weight" when defined.
class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(const Tensor& weight = {}, functional::Reduction reduction = functional::Reduction::Mean,
                             const Tensor& pos_weight = {})
      : Loss("BCEWithLogitsLoss", reduction),
        weight(register_buffer("weight", weight)),
        pos_weight(register_buffer("pos_weight", pos_weight)) {}
  BCEWithLogitsLoss(const Tensor& weight, std::string_view reduction, const Tensor& pos_weight = {})
      : BCEWithLogitsLoss(weight, functional::reduction_from_string(reduction), pos_weight) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Tensor& weight;
  Tensor& pos_weight;
};

// The class-index losses (NLLLoss, CrossEntropyLoss): options.weight becomes the buffer
// "weight" (so to() moves it); `options` keeps the rest.
class ClassLoss : public Loss {
 public:
  const functional::ClassLossOptions options;
  Tensor& weight;

 protected:
  ClassLoss(std::string type_name, const functional::ClassLossOptions& options)
      : Loss(std::move(type_name), options.reduction),
        options(without_weight(options)),
        weight(register_buffer("weight", options.weight)) {}
  // The options to call the functional loss with: the buffer as their weight.
  functional::ClassLossOptions call_options() const {
    functional::ClassLossOptions o = options;
    o.weight = weight;
    return o;
  }

 private:
  static functional::ClassLossOptions without_weight(functional::ClassLossOptions options) {
    options.weight = Tensor();
    return options;
  }
};

class NLLLoss : public ClassLoss {
 public:
  explicit NLLLoss(const functional::ClassLossOptions& options = {}) : ClassLoss("NLLLoss", options) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

// PyTorch's deprecated NLLLoss2d: NLLLoss under its old name.
class NLLLoss2d : public NLLLoss {
 public:
  explicit NLLLoss2d(const functional::ClassLossOptions& options = {}) : NLLLoss(options) {
    set_type_name("NLLLoss2d");
  }
};

class CrossEntropyLoss : public ClassLoss {
 public:
  explicit CrossEntropyLoss(const functional::ClassLossOptions& options = {})
      : ClassLoss("CrossEntropyLoss", options) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

}  // namespace ember::nn
