// Resampling a spatial dim by taps (internal): per sample and output position, the input
// positions and weights of PyTorch's nearest, linear, cubic and antialiased rules;
// interpolate (bicubic, antialias), transforms::Resize and RandomResizedCrop apply them one
// dim at a time with the device's resample_rows kernel (Note [Resampling by taps]).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember::nn::functional::detail {

enum class ResampleKind { Nearest, NearestExact, Linear, Cubic, AntialiasedLinear, AntialiasedCubic };

// Note [Resampling by taps]
// Resizing along one dim is linear: out[o] = sum_k weight[o, k] in[index[o, k]] over a few
// taps k. Building index and weight with tensor ops (float64, on the images' device) makes a
// resize one kernel per dim (DeviceOps::resample_rows, core/resample_layout.h), on any
// device, and lets every sample of a batch have its own window (a random crop box) in one
// call, with nothing read back to the host. Each sample's window is [start, start + length)
// of the input; `scale` is its input step per output position (length / out, or what
// interpolate's scale_factor and align_corners give). With j the position in the window:
// - Nearest: j = min(floor(o * s), length - 1) with s = length / out, in float32 as PyTorch's
//   "nearest" computes it; NearestExact: min(floor((o + 0.5) * s), length - 1).
// - Linear: src = max(scale * (o + 0.5) - 0.5, 0) between j0 = floor(src) and j0 + 1 (j0
//   itself at the window's end), weights 1 - (src - j0) and src - j0.
// - Cubic (PyTorch's upsample_bicubic2d): src = scale * (o + 0.5) - 0.5 (scale * o with
//   align_corners), t = src - floor(src), taps floor(src) - 1 .. floor(src) + 2 clamped to
//   the window, weights Keys' cubic with a = -0.75 at distances t + 1, t, 1 - t, 2 - t.
// - Antialiased (PyTorch's _upsample_bilinear2d_aa / _upsample_bicubic2d_aa, PIL's resize
//   filters): support = max(scale, 1) * h (h = 1 linear, 2 cubic) around centre = scale *
//   (o + 0.5); taps j in [max(floor(centre - support + 0.5), 0), min(floor(centre + support
//   + 0.5), length)); weights filter((j + 0.5 - centre) / max(scale, 1)), each row normalised
//   to sum 1; the filter is the triangle max(0, 1 - |x|) or Keys' cubic with a = -0.5. When
//   shrinking, each output averages every input it covers, so thin lines and fine texture
//   survive instead of aliasing.
// Cubic and antialiased positions and weights are computed in the weights' dtype (float32
// for float32 and 16-bit images, as PyTorch's CUDA kernels; its CPU ones keep a 16-bit image's
// weights in its dtype), rounded where PyTorch rounds them, so float32 results match its float
// arithmetic rather than a float64 one.
// A window as long as the output at a step of 1 (a crop box of the output's size) is
// copied, one tap of weight 1 per output, as PyTorch's separable kernel copies a dim of
// unchanged size. Rows have K taps, K a bound on what any sample's row needs (from
// max_scale, which the caller knows on the host); the taps a row does not have (`valid`
// false, index -1 for the kernel) read nothing and add nothing, so every input an output
// reads is one PyTorch's kernel reads too, and an inf or NaN input reaches only the outputs
// whose taps hold it, as in PyTorch. The kernel sums each output's taps in order, in the
// input's dtype (float32 for bfloat16); x's gradient is its transpose (a kernel that owns
// each input column, so no atomics), and each is the other's gradient, so every order is
// differentiable. Cost: O(out * K) to build per dim and sample, O(output * K) to apply,
// and nothing kept but the taps.
struct ResampleTaps {
  Tensor index;   // [n, out, K] int64: input positions, start included
  Tensor weight;  // [n, out, K] in the images' dtype
  Tensor valid;   // [n, out, K] bool: the taps a row has
};

// start, length, scale: [n] float64 on the images' device (1 <= length, start + length <=
// in); max_scale >= every scale; align_corners only changes the Linear and Cubic source.
ResampleTaps resample_taps(ResampleKind kind, const Tensor& start, const Tensor& length, const Tensor& scale,
                           double max_scale, int64_t in, int64_t out, DType dtype, bool align_corners = false);

// x [n or 1, ...] resampled along dim `dim` (>= 1) by taps of [n or 1, out, K]: [max(n), ...]
// with that dim of size out.
Tensor resample_along(const Tensor& x, int64_t dim, const ResampleTaps& taps);

}  // namespace ember::nn::functional::detail
