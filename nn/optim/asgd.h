// optim::ASGD: PyTorch's averaged SGD (Polyak-Ruppert averaging from step t0 on, with a
// decaying step size eta = lr / (1 + lambd * lr * step)^alpha; L2 weight decay; maximize).
#pragma once
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct ASGDOptions {
  double lr = 1e-2;
  double lambd = 1e-4;  // decay term
  double alpha = 0.75;  // power of eta's decay
  double t0 = 1e6;      // the step at which averaging starts
  double weight_decay = 0.0;
  bool maximize = false;
};

template <typename Fn>
void visit_fields(ASGDOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("lambd", o.lambd);
  fn("alpha", o.alpha);
  fn("t0", o.t0);
  fn("weight_decay", o.weight_decay);
  fn("maximize", o.maximize);
}
// The one check of ASGD's options (Note [Loaded state is checked]): PyTorch's rules (lr,
// weight_decay >= 0) and every number finite.
void validate(const ASGDOptions& o);

// Not capturable. State per parameter: step, eta (the step size), mu (the averaging factor)
// and ax (the running average of the parameter, what ASGD is for: copy it into the model
// to evaluate the averaged weights). eta and mu are float32 numbers on the host, as
// PyTorch's 0-dim float32 tensors, whose roundings are part of the step. The update is
// composed of native ops, so it runs on any device and layout.
class ASGD : public OptimizerWithOptions<ASGDOptions> {
 public:
  explicit ASGD(std::vector<Tensor> params, const ASGDOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const ASGDOptions& options) const override;
  Tensor loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const override;
};

}  // namespace ember::optim
