// optim::NAdam: PyTorch's NAdam (Adam with Nesterov momentum whose coefficient mu_t follows
// the momentum_decay schedule; state mu_product, the product of the mu_t; L2 weight decay).
#pragma once
#include <utility>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct NAdamOptions {
  double lr = 2e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum_decay = 4e-3;
  // PyTorch 2.x's NAdamW: p *= 1 - lr * weight_decay before the step, instead of L2 decay
  bool decoupled_weight_decay = false;
  bool maximize = false;  // ascend: the gradient's sign flipped first, as PyTorch's maximize=True
};

// betas as "beta1" and "beta2", as Adam's (beta1 is what OneCycleLR cycles as momentum).
template <typename Fn>
void visit_fields(NAdamOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("beta1", o.betas.first);
  fn("beta2", o.betas.second);
  fn("eps", o.eps);
  fn("weight_decay", o.weight_decay);
  fn("momentum_decay", o.momentum_decay);
  fn("decoupled_weight_decay", o.decoupled_weight_decay);
  fn("maximize", o.maximize);
}
// The one check of NAdam's options (Note [Loaded state is checked]): PyTorch's rules
// (lr, eps, weight_decay, momentum_decay >= 0, each beta in [0, 1)), and every number finite.
void validate(const NAdamOptions& o);

// Not capturable (a step inside a CUDA graph capture is an error). State per parameter:
// step, mu_product (a float32 number on the host, as PyTorch's: its float32 products are
// part of the step's arithmetic), exp_avg and exp_avg_sq, made at the parameter's first step.
class NAdam : public OptimizerWithOptions<NAdamOptions> {
 public:
  explicit NAdam(std::vector<Tensor> params, const NAdamOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const NAdamOptions& options) const override;
  // mu_product loads as a float32 number on the host, as PyTorch's.
  Tensor loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const override;
};

}  // namespace ember::optim
