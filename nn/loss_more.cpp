// The loss modules of nn/loss_more.h: forward through nn::functional with the module's options.
#include "nn/loss_more.h"

namespace ember::nn {

namespace F = functional;

Tensor ThreeInputLoss::forward(const Tensor&) {
  EMBER_FAIL(type_name(), ".forward() missing 2 required positional arguments (this loss is called with three ",
             "tensors)");
}

namespace {
F::Reduction kl_div_base_reduction(std::string_view reduction) {
  return reduction == "batchmean" ? F::Reduction::Sum : F::reduction_from_string(reduction);
}
}  // namespace

KLDivLoss::KLDivLoss(std::string_view reduction, bool log_target)
    : Loss("KLDivLoss", kl_div_base_reduction(reduction)), batchmean(reduction == "batchmean"), log_target(log_target) {}

Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) {
  const char* name = batchmean                           ? "batchmean"
                     : reduction == F::Reduction::None ? "none"
                     : reduction == F::Reduction::Sum  ? "sum"
                                                       : "mean";
  return F::kl_div(input, target, name, log_target);
}

Tensor MarginRankingLoss::forward(const Tensor& input1, const Tensor& input2, const Tensor& target) {
  return F::margin_ranking_loss(input1, input2, target, margin, reduction);
}

Tensor HingeEmbeddingLoss::forward(const Tensor& input, const Tensor& target) {
  return F::hinge_embedding_loss(input, target, margin, reduction);
}

Tensor SoftMarginLoss::forward(const Tensor& input, const Tensor& target) {
  return F::soft_margin_loss(input, target, reduction);
}

Tensor CosineEmbeddingLoss::forward(const Tensor& input1, const Tensor& input2, const Tensor& target) {
  return F::cosine_embedding_loss(input1, input2, target, margin, reduction);
}

Tensor TripletMarginLoss::forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) {
  return F::triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction);
}

TripletMarginWithDistanceLoss::TripletMarginWithDistanceLoss(const TripletMarginWithDistanceLossOptions& options)
    : ThreeInputLoss("TripletMarginWithDistanceLoss", F::reduction_from_string(options.reduction)),
      distance_function(options.distance_function),
      margin(options.margin),
      swap(options.swap) {
  EMBER_CHECK(margin > 0.0, "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got ", margin,
              " instead");
}
Tensor TripletMarginWithDistanceLoss::forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) {
  return F::triplet_margin_with_distance_loss(anchor, positive, negative, distance_function, margin, swap, reduction);
}

Tensor MultiLabelMarginLoss::forward(const Tensor& input, const Tensor& target) {
  return F::multilabel_margin_loss(input, target, reduction);
}

Tensor MultiLabelSoftMarginLoss::forward(const Tensor& input, const Tensor& target) {
  return F::multilabel_soft_margin_loss(input, target, weight, reduction);
}

MultiMarginLoss::MultiMarginLoss(int64_t p, double margin, const Tensor& weight, F::Reduction reduction)
    : Loss("MultiMarginLoss", reduction), p(p), margin(margin), weight(register_buffer("weight", weight)) {
  EMBER_CHECK(p == 1 || p == 2, "only p == 1 and p == 2 supported");
  EMBER_CHECK(!weight.defined() || weight.dim() == 1, "MultiMarginLoss: weight must be a 1-D tensor, but got ",
              weight.sizes());
}
Tensor MultiMarginLoss::forward(const Tensor& input, const Tensor& target) {
  return F::multi_margin_loss(input, target, p, margin, weight, reduction);
}

Tensor GaussianNLLLoss::forward(const Tensor& input, const Tensor& target, const Tensor& var) {
  return F::gaussian_nll_loss(input, target, var, full, eps, reduction);
}

Tensor PoissonNLLLoss::forward(const Tensor& input, const Tensor& target) {
  return F::poisson_nll_loss(input, target, log_input, full, eps, reduction);
}

}  // namespace ember::nn
