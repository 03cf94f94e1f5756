// optim::Adafactor: PyTorch 2.5's torch.optim.Adafactor (Shazeer and Stern's factored second
// moment, with PyTorch's use of lr and eps1): a matrix (or batch of matrices) keeps a row and
// a column factor of its squared gradients, a vector the full second moment.
#pragma once
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

struct AdafactorOptions {
  double lr = 1e-2;  // weight decay's coefficient and the cap of the relative step rho_t
  double beta2_decay = -0.8;
  std::optional<double> eps1 = std::nullopt;  // PyTorch's eps[0]; None: the parameter dtype's epsilon
  double eps2 = 1e-3;                         // PyTorch's eps[1]: the least RMS of a parameter
  double d = 1.0;                             // the update's RMS clipping threshold
  double weight_decay = 0.0;
  bool maximize = false;
};

// Hyper-parameters as state_dict keeps them: "eps1" is NaN for None (PyTorch's eps tuple is
// two numbers here).
template <typename Fn>
void visit_fields(AdafactorOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("beta2_decay", o.beta2_decay);
  double eps1 = o.eps1 ? *o.eps1 : std::numeric_limits<double>::quiet_NaN();
  fn("eps1", eps1);
  o.eps1 = std::isnan(eps1) ? std::nullopt : std::optional<double>(eps1);
  fn("eps2", o.eps2);
  fn("d", o.d);
  fn("weight_decay", o.weight_decay);
  fn("maximize", o.maximize);
}
// PyTorch's checks and messages ("Clipping threshold d should be >= 1 but is: 0.5"); as there,
// d may be infinite (no clipping).
void validate(const AdafactorOptions& o);

// PyTorch's single-tensor algorithm, step by step: t += 1, one_minus_beta2_t = t^beta2_decay,
// rho_t = min(lr, 1/sqrt(t)), alpha = max(eps2, RMS(p)) rho_t, p *= 1 - lr weight_decay; a
// parameter of 2 or more dims lerps its row factor (mean of g^2 over the last dim) and column
// factor (over the second last) by one_minus_beta2_t and estimates the variance as their product
// over the row factor's mean (at least eps1), a vector lerps g^2; the update g / sqrt(max(v,
// eps1^2)) is divided by max(1, RMS(update) / d) and applied times -alpha. As PyTorch's, a
// None eps1 is the epsilon of the first parameter of the group that has a gradient, and the
// RMS values are read on the host (a synchronisation per parameter on CUDA). State per
// parameter: step (float64, host), and row_var / col_var or variance. Not capturable.
class Adafactor : public OptimizerWithOptions<AdafactorOptions> {
 public:
  explicit Adafactor(std::vector<Tensor> params, const AdafactorOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const AdafactorOptions& options) const override;
};

}  // namespace ember::optim
