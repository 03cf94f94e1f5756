// optim::Adam (L2 weight decay added to the gradient, or decoupled when asked) and
// optim::AdamW (decoupled weight decay: p *= 1 - lr*wd before the Adam step), PyTorch's
// bias-corrected update, with or without AMSGrad.
#pragma once
#include <utility>
#include <vector>

#include "nn/optim/capturable.h"
#include "nn/optim/optimizer.h"

namespace ember::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  // AMSGrad: the denominator uses the running maximum of exp_avg_sq (state
  // "max_exp_avg_sq"), as PyTorch's amsgrad=True.
  bool amsgrad = false;
  bool maximize = false;  // ascend: the gradient's sign flipped first, as PyTorch's maximize=True
  // lr, beta1 and the step count read from device memory, for CUDA graphs (Note
  // [Capturable optimizers] in nn/optim/capturable.h). Not in state_dict.
  bool capturable = false;
  // PyTorch 2.7's Adam(decoupled_weight_decay=True): AdamW's update (p *= 1 - lr*wd first).
  // Not in state_dict: a loaded group's decoupled_weight_decay (PyTorch 2.7's key) is
  // accepted and the optimizer keeps its own, as capturable.
  bool decoupled_weight_decay = false;
};

struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;     // as AdamOptions::amsgrad
  bool maximize = false;    // as AdamOptions::maximize
  bool capturable = false;  // as AdamOptions::capturable
};

namespace detail {
template <typename O, typename Fn>
void visit_adam_fields(O& o, Fn& fn) {
  fn("lr", o.lr);
  fn("beta1", o.betas.first);
  fn("beta2", o.betas.second);
  fn("eps", o.eps);
  fn("weight_decay", o.weight_decay);
  fn("amsgrad", o.amsgrad);
  fn("maximize", o.maximize);
}
}  // namespace detail

template <typename Fn>
void visit_fields(AdamOptions& o, Fn&& fn) { detail::visit_adam_fields(o, fn); }
template <typename Fn>
void visit_fields(AdamWOptions& o, Fn&& fn) { detail::visit_adam_fields(o, fn); }
// The one check of each options type (Note [Loaded state is checked]): PyTorch's
// rules, and every number finite.
void validate(const AdamOptions& o);
void validate(const AdamWOptions& o);

class Adam : public OptimizerWithOptions<AdamOptions> {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const AdamOptions& options) const override;
  void hyper_parameters_changed(size_t group) override;

 private:
  std::vector<detail::CapturableGroup> capturable_;
};

class AdamW : public OptimizerWithOptions<AdamWOptions> {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const AdamWOptions& options) const override;
  void hyper_parameters_changed(size_t group) override;

 private:
  std::vector<detail::CapturableGroup> capturable_;
};

}  // namespace ember::optim
