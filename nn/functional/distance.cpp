// normalize, cosine_similarity, pairwise_distance, pdist and cdist, composed of
// linalg::vector_norm and elementwise ops (their gradients and devices come with them).
#include "nn/functional/distance.h"

#include <cmath>
#include <vector>

#include "core/autocast.h"
#include "core/factories.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "core/shape.h"
#include "nn/functional/args.h"
#include "nn/functional/composed.h"

namespace ember::nn::functional {

using detail::clamp_min_keeping_grad;

Tensor normalize(const Tensor& x, double p, int64_t dim, double eps) {
  EMBER_PROFILE_OP("normalize");
  const int64_t d = wrap_dim(dim, x.dim());
  // PyTorch: x / x.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(x)
  return x / clamp(linalg::vector_norm(x, p, Dims{d}, true), eps, std::nullopt);
}

Tensor cosine_similarity(const Tensor& x1_given, const Tensor& x2_given, int64_t dim, double eps) {
  EMBER_PROFILE_OP("cosine_similarity");
  const bool x1_floating = is_floating(x1_given.dtype()), x2_floating = is_floating(x2_given.dtype());
  EMBER_CHECK(x1_floating || x2_floating, "expected common dtype to be floating point, yet common dtype is ",
              dtype_torch_name(promote_types(x1_given.dtype(), x2_given.dtype())));
  // PyTorch casts integer (and bool) operands to the floating one's dtype; autocast runs it in float32.
  const auto [x1_in, x2_in] = autocast::cast_inputs(autocast::CastPolicy::Float32,
                                                    x1_floating ? x1_given : x1_given.to(x2_given.dtype()),
                                                    x2_floating ? x2_given : x2_given.to(x1_given.dtype()));
  const Dims shape = broadcast_shapes(x1_in.sizes(), x2_in.sizes());
  const Tensor x1 = x1_in.expand(shape), x2 = x2_in.expand(shape);
  const int64_t d = wrap_dim(dim, static_cast<int64_t>(shape.size()));
  // PyTorch 2.x: each norm (vector_norm, accumulated in float for 16-bit inputs) clamped at eps in
  // place under no_grad, so the gradient is the norm's own (Note [Clamped norms]); an overflowing
  // norm stays inf and its terms 0, never inf - inf.
  const Tensor n1 = clamp_min_keeping_grad(linalg::vector_norm(x1, 2.0, Dims{d}, true), eps);
  const Tensor n2 = clamp_min_keeping_grad(linalg::vector_norm(x2, 2.0, Dims{d}, true), eps);
  return ((x1 / n1) * (x2 / n2)).sum(Dims{d});
}

Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps, bool keepdim) {
  EMBER_PROFILE_OP("pairwise_distance");
  const Tensor diff = x1 - x2 + eps;
  if (diff.dim() == 0) return abs(diff);  // PyTorch: |x1 - x2 + eps|, 0-dim even with keepdim
  return linalg::vector_norm(diff, p, Dims{-1}, keepdim);
}

namespace {
// The p-norms of diff over `dim` with PyTorch's distance gradients (_pdist_backward and
// _cdist_backward): for p = inf, sign(diff) to every coordinate at the maximum (ties included,
// where vector_norm would share it), 0 at a zero distance (and, here, at an infinite one: the
// term below must stay 0 in value); for p = 0, a zero gradient (vector_norm's is undefined).
Tensor distance_norm(const Tensor& diff, double p, int64_t dim) {
  const int64_t d = wrap_dim(dim, diff.dim());
  if (diff.size(d) == 0) return diff.abs().sum(Dims{d});  // every norm of nothing is 0
  if (std::isinf(p)) {
    const Tensor magnitude = diff.abs();
    const Tensor largest = magnitude.amax(Dims{d}).detach();
    const Tensor at_largest = (magnitude.detach() == largest.unsqueeze(d)) & isfinite(largest).unsqueeze(d);
    return largest + where(at_largest, magnitude - magnitude.detach(), 0.0).sum(Dims{d});
  }
  const Tensor norm = linalg::vector_norm(diff, p, Dims{d});
  if (p != 0.0) return norm;
  return norm + where(zeros(diff.sizes(), TensorOptions().dtype(kBool).device(diff.device())), diff, 0.0).sum(Dims{d});
}
}  // namespace

Tensor pdist(const Tensor& x, double p) {
  EMBER_PROFILE_OP("pdist");
  EMBER_CHECK(x.dim() == 2, "pdist only supports 2D tensors, got: ", x.dim(), "D");
  EMBER_CHECK(is_floating(x.dtype()), "pdist only supports floating-point dtypes");
  EMBER_CHECK(p >= 0.0, "pdist only supports non-negative p values");
  const int64_t n = x.size(0);
  std::vector<int64_t> first, second;  // the pairs i < j, row by row
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      first.push_back(i);
      second.push_back(j);
    }
  }
  if (first.empty()) return x.flatten().narrow(0, 0, 0);  // no pairs: empty, still a function of x
  const Tensor diff = index_select(x, 0, detail::positions_on(first, x.device())) -
                      index_select(x, 0, detail::positions_on(second, x.device()));
  return distance_norm(diff, p, 1);
}

}  // namespace ember::nn::functional

namespace ember {

Tensor cdist(const Tensor& x1, const Tensor& x2, double p) {
  EMBER_PROFILE_OP("cdist");
  EMBER_CHECK(x1.dim() >= 2, "cdist only supports at least 2D tensors, X1 got: ", x1.dim(), "D");
  EMBER_CHECK(x2.dim() >= 2, "cdist only supports at least 2D tensors, X2 got: ", x2.dim(), "D");
  EMBER_CHECK(x1.size(-1) == x2.size(-1), "X1 and X2 must have the same number of columns. X1: ", x1.size(-1),
              " X2: ", x2.size(-1));
  EMBER_CHECK(p >= 0.0, "cdist only supports non-negative p values");
  EMBER_CHECK(x1.is_floating_point() && x2.is_floating_point(),
              "cdist only supports floating-point dtypes, X1 got: ", x1.dtype(), ", X2 got: ", x2.dtype());
  // [..., P, 1, M] - [..., 1, R, M] -> [..., P, R, M], normed over M with pdist's gradients.
  return nn::functional::distance_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1);
}

}  // namespace ember
