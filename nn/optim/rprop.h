// optim::Rprop: PyTorch's resilient backpropagation (each element's step size grows by
// etaplus while its gradient keeps its sign and shrinks by etaminus when the sign flips,
// clamped to step_sizes; only the sign of the gradient moves the parameter; maximize).
#pragma once
#include <utility>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct RpropOptions {
  double lr = 1e-2;                                     // every element's first step size
  std::pair<double, double> etas = {0.5, 1.2};          // (etaminus, etaplus)
  std::pair<double, double> step_sizes = {1e-6, 50.0};  // (min, max) step size
  bool maximize = false;
};

template <typename Fn>
void visit_fields(RpropOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("etaminus", o.etas.first);
  fn("etaplus", o.etas.second);
  fn("step_size_min", o.step_sizes.first);
  fn("step_size_max", o.step_sizes.second);
  fn("maximize", o.maximize);
}
// The one check of Rprop's options (Note [Loaded state is checked]): PyTorch's rules (lr >= 0,
// 0 < etaminus < 1 < etaplus), every number finite, and 0 <= step_size_min <= step_size_max.
void validate(const RpropOptions& o);

// Not capturable. State per parameter: step, prev (the last gradient used, zero where its
// sign flipped) and step_size (filled with lr at the parameter's first step, so a later
// lr change, a scheduler's, does not reach it: PyTorch's behaviour). The update is composed
// of native ops, so it runs on any device and layout.
class Rprop : public OptimizerWithOptions<RpropOptions> {
 public:
  explicit Rprop(std::vector<Tensor> params, const RpropOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const RpropOptions& options) const override;
};

}  // namespace ember::optim
