// optim::Adadelta: PyTorch's Adadelta (running averages of squared gradients and of
// squared updates, the update scaled by their ratio and by lr; L2 weight decay; maximize).
#pragma once
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
  bool maximize = false;
};

template <typename Fn>
void visit_fields(AdadeltaOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("rho", o.rho);
  fn("eps", o.eps);
  fn("weight_decay", o.weight_decay);
  fn("maximize", o.maximize);
}
// The one check of Adadelta's options (Note [Loaded state is checked]): PyTorch's rules
// (lr, eps, weight_decay >= 0, rho in [0, 1]), and every number finite.
void validate(const AdadeltaOptions& o);

// Not capturable (a step inside a CUDA graph capture is an error). State per parameter:
// step, square_avg and acc_delta, made at the parameter's first step.
class Adadelta : public OptimizerWithOptions<AdadeltaOptions> {
 public:
  explicit Adadelta(std::vector<Tensor> params, const AdadeltaOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const AdadeltaOptions& options) const override;
};

}  // namespace ember::optim
