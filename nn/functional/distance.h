// nn::functional's distances and normalization, with PyTorch's names and defaults:
// normalize, cosine_similarity, pairwise_distance, pdist and cdist (nn/functional/distance.cpp).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember::nn::functional {

// x / max(||x||_p, eps) along dim (torch.nn.functional.normalize).
Tensor normalize(const Tensor& x, double p = 2.0, int64_t dim = 1, double eps = 1e-12);

// sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along dim, x1 and x2 broadcast;
// the squared norms are clamped (at eps^2) as PyTorch 1.13 does, outside autograd (Note
// [Clamped norms] in nn/functional/composed.h).
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);

// ||x1 - x2 + eps||_p along the last dim, x1 and x2 broadcast (torch.pairwise_distance).
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p = 2.0, double eps = 1e-6,
                         bool keepdim = false);

// torch.nn.functional.pdist: the p-norm distance between each pair of rows i < j of x [N, M],
// in row-major order of the pairs: [N * (N - 1) / 2]; p >= 0 (inf: the max). Floating x only.
// Gradients as PyTorch's: 0 at a zero distance, all of it to each tied coordinate for p = inf,
// zeros for p = 0 (a count). Composed (index_select of the pairs' rows, linalg::vector_norm),
// so any device; memory N * (N - 1) / 2 * M elements.
Tensor pdist(const Tensor& x, double p = 2.0);

}  // namespace ember::nn::functional

namespace ember {

// torch.cdist: the p-norm distance between each row of x1 [..., P, M] and each row of
// x2 [..., R, M], batch dims broadcast: [..., P, R]; p >= 0 (p = inf: the max). Composed
// as a broadcast difference [..., P, R, M], so it takes P * R * M elements of memory.
Tensor cdist(const Tensor& x1, const Tensor& x2, double p = 2.0);

}  // namespace ember
