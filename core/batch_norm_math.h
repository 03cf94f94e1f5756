// Batch norm's per-element math, shared by the CPU loops (core/cpu/batch_norm.cpp)
// and the CUDA kernels (cuda/batch_norm.cu) so both devices compute the same formula.
#pragma once
#include <cmath>

#include "core/macros.h"

namespace ember::bn {

// 1 / sqrt(var + eps), each step rounded in T: native::batch_norm_invstd's three ops
// (add, sqrt, reciprocal), here in one expression for the kernels that fuse it.
template <typename T>
EMBER_HD_INLINE T invstd(T var, T eps) {
  using std::sqrt;
  return T(1) / sqrt(var + eps);
}

// y = (x - mean) * k + shift, with k = invstd * weight and shift = bias per channel.
template <typename T>
EMBER_HD_INLINE T normalize(T x, T mean, T k, T shift) {
  return (x - mean) * k + shift;
}

// The input gradient, k = invstd * weight. Training: mean_g = mean(g) and coef =
// mean(g * xhat) * invstd over the channel; eval: both 0, so gx = k * g.
template <typename T>
EMBER_HD_INLINE T grad_input(T g, T x, T mean, T k, T mean_g, T coef) {
  return k * (g - mean_g - (x - mean) * coef);
}

}  // namespace ember::bn
