// The margin losses of nn::functional: margin_ranking, hinge_embedding, soft_margin,
// cosine_embedding, triplet_margin, multilabel_soft_margin and multi_margin, composed of
// differentiable ops with PyTorch 1.13's formulas and argument checks.
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/activation_more.h"
#include "nn/functional/distance.h"
#include "nn/functional/embedding.h"
#include "nn/functional/loss_more.h"
#include "nn/functional/composed.h"

namespace ember::nn::functional {

using detail::apply_reduction;
using detail::clamp_min_zero;

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           Reduction reduction) {
  EMBER_PROFILE_OP("margin_ranking_loss");
  EMBER_CHECK(input1.dim() == input2.dim() && input1.dim() == target.dim(),
              "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ",
              input1.sizes(), ", input2: ", input2.sizes(), ", target: ", target.sizes());
  return apply_reduction(clamp_min_zero(-target * (input1 - input2) + margin), reduction);
}

Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin, Reduction reduction) {
  EMBER_PROFILE_OP("hinge_embedding_loss");
  const Tensor margin_part = where(target != 1.0, clamp_min_zero(margin - input), 0.0);
  const Tensor self_part = where(target != -1.0, input, 0.0);
  return apply_reduction(margin_part + self_part, reduction);
}

Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_PROFILE_OP("soft_margin_loss");
  return apply_reduction(log1p(exp(-input * target)), reduction);
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             Reduction reduction) {
  EMBER_PROFILE_OP("cosine_embedding_loss");
  const int64_t target_dim = target.dim();
  EMBER_CHECK(target_dim == 0 || target_dim == 1, "0D or 1D target tensor expected, multi-target not supported");
  if (target_dim == 1) {
    EMBER_CHECK(input1.dim() == 2 && input2.dim() == 2,
                "1D target tensor expects 2D input tensors, but found inputs with sizes ", input1.sizes(), " and ",
                input2.sizes(), ".");
  } else {
    EMBER_CHECK(input1.dim() == 1 && input2.dim() == 1,
                "0D target tensor expects 1D input tensors, but found inputs with sizes ", input1.sizes(), " and ",
                input2.sizes(), ".");
  }
  constexpr double kEpsilon = 1e-12;  // PyTorch's, added to each squared norm
  const Tensor products = (input1 * input2).sum(Dims{target_dim});
  const Tensor squares1 = (input1 * input1).sum(Dims{target_dim}) + kEpsilon;
  const Tensor squares2 = (input2 * input2).sum(Dims{target_dim}) + kEpsilon;
  const Tensor cos = products / sqrt(squares1 * squares2);
  const Tensor positive = where(target == 1.0, 1.0 - cos, 0.0);
  const Tensor negative = where(target == -1.0, clamp_min_zero(cos - margin), 0.0);
  return apply_reduction(positive + negative, reduction);
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin,
                           double p, double eps, bool swap, Reduction reduction) {
  EMBER_PROFILE_OP("triplet_margin_loss");
  EMBER_CHECK(anchor.dim() == positive.dim() && anchor.dim() == negative.dim(),
              "All inputs should have same dimension but got ", anchor.dim(), "D, ", positive.dim(), "D and ",
              negative.dim(), "D inputs.");
  const Tensor to_positive = pairwise_distance(anchor, positive, p, eps);
  Tensor to_negative = pairwise_distance(anchor, negative, p, eps);
  if (swap) to_negative = minimum(to_negative, pairwise_distance(positive, negative, p, eps));
  return apply_reduction(clamp_min_zero(to_positive + margin - to_negative), reduction);
}

Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   Reduction reduction) {
  EMBER_PROFILE_OP("multilabel_soft_margin_loss");
  EMBER_CHECK(input.dim() > 0, "multilabel_soft_margin_loss: expected an input with a class dim, but got a 0-dim one");
  Tensor losses = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input));
  if (weight.defined()) losses = losses * weight;
  const int64_t class_dim = input.dim() - 1;
  losses = losses.sum(Dims{class_dim}) / static_cast<double>(input.size(class_dim));
  return apply_reduction(losses, reduction);
}

Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin, const Tensor& weight,
                         Reduction reduction) {
  EMBER_PROFILE_OP("multi_margin_loss");
  EMBER_CHECK(p == 1 || p == 2, "only p == 1 and p == 2 supported");
  const bool shape_ok = (input.dim() == 1 && input.size(0) != 0) || (input.dim() == 2 && input.size(1) != 0);
  EMBER_CHECK(shape_ok, "Expected non-empty vector or matrix with optional 0-dim batch size, but got: ",
              input.sizes());
  const int64_t rows = input.dim() == 2 ? input.size(0) : 1;
  const int64_t classes = input.size(-1);
  EMBER_CHECK(target.dim() <= 1 && target.numel() == rows, "inconsistent target size, got: ", target.sizes());
  EMBER_CHECK(target.dtype() == kInt64, "multi_margin_loss: expected target of dtype int64 (class indices), but got ",
              target.dtype());
  EMBER_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == classes),
              "inconsistent weight size, expected [", classes, "] but got ", weight.sizes());
  if (rows > 0) {  // read back once, as PyTorch's kernel checks each target
    EMBER_CHECK(!((target < 0) | (target >= classes)).any().item<bool>(), "target out of range");
  }
  const Tensor x = input.reshape({rows, classes});
  const Tensor t = target.reshape({rows});
  const Tensor x_target = gather(x, 1, t.reshape({rows, 1}));  // [rows, 1]
  const Tensor z = x - x_target + margin;
  // PyTorch's kernel adds a term only where z > 0 (so its gradient at z == 0 is 0), and
  // never for the target's own column.
  Tensor terms = where(z > 0.0, z, 0.0);
  if (p == 2) terms = terms * terms;
  if (weight.defined()) terms = terms * index_select(weight, 0, t).reshape({rows, 1});
  terms = where(one_hot(t, classes) == 0, terms, 0.0);
  const Tensor losses = (terms.sum(Dims{1}) / static_cast<double>(classes)).reshape(target.sizes());
  return apply_reduction(losses, reduction);
}

// The spelled-out reductions ("none", "mean", "sum").
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           std::string_view reduction) {
  return margin_ranking_loss(input1, input2, target, margin, reduction_from_string(reduction));
}
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin, std::string_view reduction) {
  return hinge_embedding_loss(input, target, margin, reduction_from_string(reduction));
}
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  return soft_margin_loss(input, target, reduction_from_string(reduction));
}
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             std::string_view reduction) {
  return cosine_embedding_loss(input1, input2, target, margin, reduction_from_string(reduction));
}
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin,
                           double p, double eps, bool swap, std::string_view reduction) {
  return triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction_from_string(reduction));
}
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   std::string_view reduction) {
  return multilabel_soft_margin_loss(input, target, weight, reduction_from_string(reduction));
}
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin, const Tensor& weight,
                         std::string_view reduction) {
  return multi_margin_loss(input, target, p, margin, weight, reduction_from_string(reduction));
}

}  // namespace ember::nn::functional
