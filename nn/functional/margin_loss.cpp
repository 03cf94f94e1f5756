// The margin losses of nn::functional: margin_ranking, hinge_embedding, soft_margin,
// cosine_embedding, triplet_margin (with a distance function too), multilabel_soft_margin,
// multilabel_margin and multi_margin, composed of differentiable ops with PyTorch's formulas
// and argument checks. Those on PyTorch's autocast float32 list take float32 inputs under
// autocast (Note [Autocast]).
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
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

constexpr autocast::CastPolicy kFloat32Inputs = autocast::CastPolicy::Float32;  // under autocast

Tensor margin_ranking_loss(const Tensor& input1_in, const Tensor& input2_in, const Tensor& target_in, double margin,
                           Reduction reduction) {
  EMBER_PROFILE_OP("margin_ranking_loss");
  const auto [input1, input2, target] = autocast::cast_inputs(kFloat32Inputs, input1_in, input2_in, target_in);
  EMBER_CHECK(input1.dim() == input2.dim() && input1.dim() == target.dim(),
              "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ",
              input1.sizes(), ", input2: ", input2.sizes(), ", target: ", target.sizes());
  return apply_reduction(clamp_min_zero(-target * (input1 - input2) + margin), reduction);
}

Tensor hinge_embedding_loss(const Tensor& input_in, const Tensor& target_in, double margin, Reduction reduction) {
  EMBER_PROFILE_OP("hinge_embedding_loss");
  const auto [input, target] = autocast::cast_inputs(kFloat32Inputs, input_in, target_in);
  const Tensor margin_part = where(target != 1.0, clamp_min_zero(margin - input), 0.0);
  const Tensor self_part = where(target != -1.0, input, 0.0);
  return apply_reduction(margin_part + self_part, reduction);
}

Tensor soft_margin_loss(const Tensor& input_in, const Tensor& target_in, Reduction reduction) {
  EMBER_PROFILE_OP("soft_margin_loss");
  const auto [input, target] = autocast::cast_inputs(kFloat32Inputs, input_in, target_in);
  return apply_reduction(log1p(exp(-input * target)), reduction);
}

Tensor cosine_embedding_loss(const Tensor& input1_in, const Tensor& input2_in, const Tensor& target_in, double margin,
                             Reduction reduction) {
  EMBER_PROFILE_OP("cosine_embedding_loss");
  const auto [input1, input2, target] = autocast::cast_inputs(kFloat32Inputs, input1_in, input2_in, target_in);
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

namespace {

// PyTorch 2's message for the triplet losses' inputs of different ranks.
void check_triplet_dims(const Tensor& anchor, const Tensor& positive, const Tensor& negative) {
  EMBER_CHECK(anchor.dim() == positive.dim() && positive.dim() == negative.dim(),
              "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
              "got: anchor ",
              anchor.dim(), "D, positive ", positive.dim(), "D, and negative ", negative.dim(), "D inputs");
}

}  // namespace

Tensor triplet_margin_loss(const Tensor& anchor_in, const Tensor& positive_in, const Tensor& negative_in,
                           double margin, double p, double eps, bool swap, Reduction reduction) {
  EMBER_PROFILE_OP("triplet_margin_loss");
  const auto [anchor, positive, negative] = autocast::cast_inputs(kFloat32Inputs, anchor_in, positive_in, negative_in);
  check_triplet_dims(anchor, positive, negative);
  const Tensor to_positive = pairwise_distance(anchor, positive, p, eps);
  Tensor to_negative = pairwise_distance(anchor, negative, p, eps);
  if (swap) to_negative = minimum(to_negative, pairwise_distance(positive, negative, p, eps));
  return apply_reduction(clamp_min_zero(to_positive + margin - to_negative), reduction);
}

Tensor triplet_margin_with_distance_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                                         const DistanceFunction& distance_function, double margin, bool swap,
                                         Reduction reduction) {
  EMBER_PROFILE_OP("triplet_margin_with_distance_loss");
  check_triplet_dims(anchor, positive, negative);
  const DistanceFunction distance =
      distance_function ? distance_function : [](const Tensor& a, const Tensor& b) { return pairwise_distance(a, b); };
  const Tensor to_positive = distance(anchor, positive);
  Tensor to_negative = distance(anchor, negative);
  if (swap) to_negative = minimum(to_negative, distance(positive, negative));
  // PyTorch's order, margin + d(a, p) - d(a, n): rounded otherwise it differs in the last bit
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

Tensor multilabel_margin_loss(const Tensor& input_in, const Tensor& target, Reduction reduction) {
  EMBER_PROFILE_OP("multilabel_margin_loss");
  const Tensor input = autocast::cast(kFloat32Inputs, input_in);
  const int64_t ndims = input.dim();
  const bool shape_ok = (ndims == 2 && input.size(1) != 0) || (ndims == 1 && input.size(0) != 0) || ndims == 0;
  EMBER_CHECK(shape_ok, "Expected non-empty vector or matrix with optional 0-dim batch size, but got: ",
              input.sizes());
  const int64_t rows = ndims == 2 ? input.size(0) : 1;
  const int64_t classes = ndims == 0 ? 1 : input.size(-1);
  const bool target_ok = ndims == 2 ? target.sizes() == input.sizes() : target.dim() <= 1 && target.numel() == classes;
  EMBER_CHECK(target_ok, "inconsistent target size: ", target.sizes(), " for input of size: ", input.sizes());
  EMBER_CHECK(target.dtype() == kInt64, "expected scalar type Long but found ", dtype_torch_name(target.dtype()));
  native::check_same_device(input, {&target}, "multilabel_margin_loss");
  if (rows > 0) {  // every entry, as PyTorch checks the target's min and max
    EMBER_CHECK(!((target < -1) | (target >= classes)).any().item<bool>(), "argument #2 'target' is out of range");
  }
  const Tensor x = input.reshape({rows, classes});
  const Tensor t = target.reshape({rows, classes});
  // A row's classes are its entries before the first -1: listed[n, j] while no -1 was seen.
  const Tensor listed = cumprod(t != -1, 1) != 0;
  const Tensor classes_listed = where(listed, t, 0);
  const Tensor is_target =
      zeros({rows, classes}, TensorOptions().dtype(kInt64).device(x.device())).scatter_add(1, classes_listed,
                                                                                           listed.to(kInt64)) > 0;
  // z[n, j, i] = 1 - x[n, t[n, j]] + x[n, i], kept where j is listed and i is not a target.
  const Tensor x_listed = gather(x, 1, classes_listed).unsqueeze(2);  // [rows, C, 1]
  const Tensor z = 1.0 - x_listed + x.unsqueeze(1);                  // [rows, C, C]
  const Tensor kept = listed.unsqueeze(2) & ~is_target.unsqueeze(1);
  // PyTorch's kernel adds a term only where z > 0, so the gradient at z == 0 is 0.
  const Tensor terms = where(kept & (z > 0.0), z, 0.0);
  Tensor losses = terms.sum(Dims{1, 2}) / static_cast<double>(classes);
  if (ndims < 2) losses = losses.reshape({});
  return apply_reduction(losses, reduction);
}

Tensor multi_margin_loss(const Tensor& input_in, const Tensor& target, int64_t p, double margin,
                         const Tensor& weight_in, Reduction reduction) {
  EMBER_PROFILE_OP("multi_margin_loss");
  const auto [input, weight] = autocast::cast_inputs(kFloat32Inputs, input_in, weight_in);
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
Tensor triplet_margin_with_distance_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                                         const DistanceFunction& distance_function, double margin, bool swap,
                                         std::string_view reduction) {
  return triplet_margin_with_distance_loss(anchor, positive, negative, distance_function, margin, swap,
                                           reduction_from_string(reduction));
}
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  return multilabel_margin_loss(input, target, reduction_from_string(reduction));
}
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin, const Tensor& weight,
                         std::string_view reduction) {
  return multi_margin_loss(input, target, p, margin, weight, reduction_from_string(reduction));
}

}  // namespace ember::nn::functional
