// Helpers of the nn::functional ops composed of differentiable ops (distance.cpp,
// margin_loss.cpp, likelihood_loss.cpp): the loss reduction and PyTorch's two clamps.
#pragma once
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/functional/loss.h"

namespace ember::nn::functional::detail {

inline Tensor apply_reduction(const Tensor& losses, Reduction reduction) {
  if (reduction == Reduction::None) return losses;
  return reduction == Reduction::Sum ? losses.sum() : losses.mean();
}

// max(0, z) whose gradient passes at z == 0, as PyTorch's clamp_min (NaN stays NaN).
inline Tensor clamp_min_zero(const Tensor& z) { return where(z < 0.0, 0.0, z); }

// Note [Clamped norms]
// PyTorch's cosine_similarity (2.x: each vector_norm, at eps) and gaussian_nll_loss (var, at
// eps) clamp in place under no_grad: the value is max(t, eps), but the gradient flows into t
// unchanged (the ops after the clamp see the clamped value, so cosine_similarity's gradient
// through a clamped norm is divided by eps, not by the tiny norm). Written without in-place
// ops: t plus a constant shift, eps - t where t < eps and 0 elsewhere (so t = inf stays inf and
// NaN stays NaN; max(t, eps) - t would make inf - inf = NaN).
inline Tensor clamp_min_keeping_grad(const Tensor& t, double eps) {
  Tensor shift;
  {
    NoGradGuard no_grad;
    const Tensor constant = t.detach();
    shift = where(constant < eps, eps - constant, 0.0);
  }
  return t + shift;
}

}  // namespace ember::nn::functional::detail
