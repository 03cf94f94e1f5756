// Resampling a spatial dim as a matrix (internal): per sample, the [out, in] weights that take
// a window of an `in`-long dim to `out` values by PyTorch's nearest, linear or antialiased
// linear rules; interpolate(antialias=true), transforms::Resize and RandomResizedCrop apply
// them with one matmul per dim (Note [Resampling as a matrix]).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember::nn::functional::detail {

enum class ResampleKind { Nearest, Linear, AntialiasedLinear };

// Note [Resampling as a matrix]
// Resizing along one dim is linear: out[o] = sum_j W[o, j] in[j]. Building W (float64, then
// the images' dtype) and multiplying makes a resize one matmul per dim, differentiable through
// matmul's backward, on any device, and lets every sample of a batch have its own window (a
// random crop box) in one batched matmul, with nothing read back to the host. Each sample's
// window is [start, start + length) of the input; `scale` is its input step per output
// position (length / out, or what interpolate's scale_factor and align_corners give). With
// j the input position relative to the window (only 0 <= j < length has weight):
// - Nearest: W[o, j] = 1 at j = min(floor(o * s), length - 1) with s = length / out, all
//   in float32 as PyTorch's "nearest" computes it (`scale` is not used).
// - Linear: src = max(scale * (o + 0.5) - 0.5, 0) between j0 = floor(src) and
//   j0 + 1 (j0 itself at the window's end), weights 1 - (src - j0) and src - j0.
// - AntialiasedLinear (PyTorch's _upsample_bilinear2d_aa, the filter of PIL's bilinear
//   resize): a triangle of half-width support = max(scale, 1) centred at scale * (o + 0.5),
//   w(j) = max(0, 1 - |j + 0.5 - centre| / support), each row normalised to sum 1. When
//   shrinking, each output averages every input it covers, so thin lines and fine texture
//   survive instead of aliasing; when enlarging it is the linear rule.
// The antialiased weights equal torch 1.13's CPU kernel's to float64 rounding
// (tests/nn/test_interpolate_antialias.cpp); nearest picks its sources exactly. The cost is
// O(out * in) per dim and sample, in time and in the float64 matrices' memory: right for
// images of tens to hundreds of pixels a side (256 samples of 256 -> 224 take about 117 MB
// per matrix), not for huge ones. A dense product also multiplies the zero weights: one
// inf or NaN input spreads NaN to its whole channel of the output (0 * inf), where PyTorch's
// windowed sums keep it to the outputs whose window holds it.
//
// start, length, scale: [n] float64 on the images' device (length >= 1). Returns [n, out, in].
Tensor resample_matrix(ResampleKind kind, const Tensor& start, const Tensor& length, const Tensor& scale, int64_t in,
                       int64_t out, DType dtype);

// x [n or 1, C, H, W] resampled by rows [n or 1, out_h, H] and cols [n or 1, out_w, W]:
// rows @ x @ cols^T, [max(n), C, out_h, out_w].
Tensor resample_rows_cols(const Tensor& x, const Tensor& rows, const Tensor& cols);

}  // namespace ember::nn::functional::detail
