// optim::RMSprop: PyTorch's RMSprop (square_avg of the squared gradients, optional
// centering by grad_avg, optional momentum buffer, L2 weight decay into the gradient).
#pragma once
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
  bool maximize = false;  // ascend: the gradient's sign flipped first, as PyTorch's maximize=True
};

template <typename Fn>
void visit_fields(RMSpropOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("alpha", o.alpha);
  fn("eps", o.eps);
  fn("weight_decay", o.weight_decay);
  fn("momentum", o.momentum);
  fn("centered", o.centered);
  fn("maximize", o.maximize);
}
// The one check of RMSprop's options (Note [Loaded state is checked]): PyTorch's rules
// (lr, eps, momentum, weight_decay, alpha >= 0), and every number finite.
void validate(const RMSpropOptions& o);

// Not capturable (a step inside a CUDA graph capture is an error). State per parameter:
// step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
class RMSprop : public OptimizerWithOptions<RMSpropOptions> {
 public:
  explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const RMSpropOptions& options) const override;
};

}  // namespace ember::optim
