// optim::RAdam: PyTorch's RAdam (Adam whose adaptive term is switched on, and rectified,
// once the approximated simple-moving-average length exceeds 5; L2 weight decay).
#pragma once
#include <utility>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct RAdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  // PyTorch 2.x's RAdamW: p *= 1 - lr * weight_decay before the step, instead of L2 decay
  bool decoupled_weight_decay = false;
  bool maximize = false;  // ascend: the gradient's sign flipped first, as PyTorch's maximize=True
};

// betas as "beta1" and "beta2", as Adam's (beta1 is what OneCycleLR cycles as momentum).
template <typename Fn>
void visit_fields(RAdamOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("beta1", o.betas.first);
  fn("beta2", o.betas.second);
  fn("eps", o.eps);
  fn("weight_decay", o.weight_decay);
  fn("decoupled_weight_decay", o.decoupled_weight_decay);
  fn("maximize", o.maximize);
}
// The one check of RAdam's options (Note [Loaded state is checked]): PyTorch's rules
// (lr, eps, weight_decay >= 0, each beta in [0, 1)), and every number finite.
void validate(const RAdamOptions& o);

// Not capturable (a step inside a CUDA graph capture is an error). State per parameter:
// step, exp_avg and exp_avg_sq, made at the parameter's first step.
class RAdam : public OptimizerWithOptions<RAdamOptions> {
 public:
  explicit RAdam(std::vector<Tensor> params, const RAdamOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const RAdamOptions& options) const override;
};

}  // namespace ember::optim
