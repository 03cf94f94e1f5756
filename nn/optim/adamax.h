// optim::Adamax: PyTorch's Adamax (Adam with the infinity norm: a running average of the
// gradient over a decaying maximum of its magnitude; L2 weight decay; maximize).
#pragma once
#include <utility>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct AdamaxOptions {
  double lr = 2e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool maximize = false;
};

// betas as "beta1" and "beta2", as Adam's (beta1 is what OneCycleLR cycles as momentum).
template <typename Fn>
void visit_fields(AdamaxOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("beta1", o.betas.first);
  fn("beta2", o.betas.second);
  fn("eps", o.eps);
  fn("weight_decay", o.weight_decay);
  fn("maximize", o.maximize);
}
// The one check of Adamax's options (Note [Loaded state is checked]): PyTorch's rules
// (lr, eps, weight_decay >= 0, each beta in [0, 1)), and every number finite.
void validate(const AdamaxOptions& o);

// Not capturable (a step inside a CUDA graph capture is an error). State per parameter:
// step, exp_avg and exp_inf, made at the parameter's first step.
class Adamax : public OptimizerWithOptions<AdamaxOptions> {
 public:
  explicit Adamax(std::vector<Tensor> params, const AdamaxOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const AdamaxOptions& options) const override;
};

}  // namespace ember::optim
