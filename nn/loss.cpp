// Loss modules: forward(input, target) through nn::functional with the module's options.
#include "nn/loss.h"

namespace ember::nn {

namespace F = functional;

Tensor Loss::forward(const Tensor&) {
  EMBER_FAIL(type_name(), ".forward() missing 1 required positional argument: 'target' (a loss is called with ",
             "(input, target))");
}

Tensor L1Loss::forward(const Tensor& input, const Tensor& target) { return F::l1_loss(input, target, reduction); }

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) { return F::mse_loss(input, target, reduction); }

SmoothL1Loss::SmoothL1Loss(F::Reduction reduction, double beta) : Loss("SmoothL1Loss", reduction), beta(beta) {
  EMBER_CHECK(beta >= 0.0, "smooth_l1_loss does not support negative values for beta. (got beta = ", beta, ")");
}
Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) {
  return F::smooth_l1_loss(input, target, reduction, beta);
}

HuberLoss::HuberLoss(F::Reduction reduction, double delta) : Loss("HuberLoss", reduction), delta(delta) {
  EMBER_CHECK(delta > 0.0, "huber_loss does not support non-positive values for delta. (got delta = ", delta, ")");
}
Tensor HuberLoss::forward(const Tensor& input, const Tensor& target) {
  return F::huber_loss(input, target, reduction, delta);
}

Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy(input, target, weight, reduction);
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight);
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return F::nll_loss(input, target, call_options());
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return F::cross_entropy(input, target, call_options());
}

}  // namespace ember::nn
