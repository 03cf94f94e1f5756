// optim::Adagrad: PyTorch's Adagrad (dense gradients): sum of squared gradients from
// initial_accumulator_value, lr decayed as lr / (1 + (t - 1) * lr_decay), L2 weight decay.
#pragma once
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  bool maximize = false;  // ascend: the gradient's sign flipped first, as PyTorch's maximize=True
};

template <typename Fn>
void visit_fields(AdagradOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("lr_decay", o.lr_decay);
  fn("weight_decay", o.weight_decay);
  fn("initial_accumulator_value", o.initial_accumulator_value);
  fn("eps", o.eps);
  fn("maximize", o.maximize);
}
// The one check of Adagrad's options (Note [Loaded state is checked]): PyTorch's rules
// (every option >= 0), and every number finite.
void validate(const AdagradOptions& o);

// Not capturable (a step inside a CUDA graph capture is an error). State per parameter:
// step and sum, made at the parameter's first step (PyTorch makes them in its
// constructor: only a state_dict taken before any step differs).
class Adagrad : public OptimizerWithOptions<AdagradOptions> {
 public:
  explicit Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const AdagradOptions& options) const override;
};

}  // namespace ember::optim
