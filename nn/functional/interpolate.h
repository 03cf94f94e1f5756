// nn::functional::interpolate (torch.nn.functional.interpolate): nearest, nearest-exact,
// linear (3-D), bilinear and bicubic (4-D, optionally antialiased), trilinear (5-D) and area
// resizing of [N, C, ...spatial] inputs to a size or by a scale factor, with PyTorch's
// source-index rules and error phrases.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/tensor.h"

namespace ember::nn {

// A per-spatial-dim argument as interpolate and Upsample take it: not given (the default
// {}), one value for every spatial dim (`2`, `1.5`), or one per dim (`{4, 6}`).
template <typename T>
struct SpatialArg {
  SpatialArg() = default;
  SpatialArg(T all) : values{all}, single(true) {}                           // NOLINT: implicit on purpose
  // A float where sizes are integers (nn::Upsample(2.0) meaning scale_factor=2) is a compile
  // error, as PyTorch's TypeError, rather than a silently truncated size.
  template <typename U>
    requires(std::is_integral_v<T> && std::is_floating_point_v<U>)
  SpatialArg(U) = delete;
  SpatialArg(std::initializer_list<T> per_dim) : values(per_dim) {}          // NOLINT
  SpatialArg(const std::vector<T>& per_dim) : values(per_dim) {}             // NOLINT
  bool given() const { return !values.empty(); }
  std::vector<T> values;
  bool single = false;
};
using OutputSize = SpatialArg<int64_t>;
using ScaleFactor = SpatialArg<double>;

}  // namespace ember::nn

namespace ember::nn::functional {

// x [N, C, W], [N, C, H, W] or [N, C, D, H, W]; exactly one of size and scale_factor.
// With scale_factor, each output size is floor(input size * scale_factor) and, unless
// recompute_scale_factor, the kernels' scale is 1 / scale_factor (else in / out), as
// PyTorch's. Source positions (PyTorch's CPU kernels, float arithmetic for nearest):
// - "nearest": floor(dst * scale), clamped to the input; an output as large as the input,
//   or twice as large, is the copy or dst / 2 whatever the scale (PyTorch's shortcuts).
// - "nearest-exact": floor((dst + 0.5) * scale), clamped.
// - "linear", "bilinear", "trilinear" (floating dtypes): per dim, between the neighbours of
//   src = scale * dst with align_corners (scale = (in - 1) / (out - 1)), or of
//   max(scale * (dst + 0.5) - 0.5, 0) without (the default).
// - "bicubic" (4-D, floating dtypes): Keys' cubic (a = -0.75) on the 4 neighbours of the
//   source per dim, src = scale * (dst + 0.5) - 0.5 (scale * dst with align_corners), taps
//   beyond the input clamped to its edge; it can overshoot the input's range, as PyTorch's.
// - "area" (3-D, 4-D, 5-D): adaptive_avg_pool1d / 2d / 3d to the output size, as PyTorch's.
// align_corners may be given for the linear modes and bicubic only. antialias (4-D "bilinear"
// and "bicubic", as PyTorch's): a filter as wide as the shrink factor (triangle, or Keys'
// cubic with a = -0.5), so each output averages all the inputs it covers (PIL's resize; Note
// [Resampling by taps] in resample_taps.h); when enlarging, antialiased bilinear equals plain
// bilinear. Differentiable, on any device (Note [Padding and resizing by composition] in
// nn/functional/pad.cpp).
Tensor interpolate(const Tensor& x, const OutputSize& size = {}, const ScaleFactor& scale_factor = {},
                   const std::string& mode = "nearest", std::optional<bool> align_corners = std::nullopt,
                   std::optional<bool> recompute_scale_factor = std::nullopt, bool antialias = false);

// PyTorch's deprecated aliases of interpolate, which warn once as PyTorch's do: upsample (the
// same arguments but recompute_scale_factor and antialias), upsample_nearest ("nearest") and
// upsample_bilinear ("bilinear" with align_corners=True).
Tensor upsample(const Tensor& x, const OutputSize& size = {}, const ScaleFactor& scale_factor = {},
                const std::string& mode = "nearest", std::optional<bool> align_corners = std::nullopt);
Tensor upsample_nearest(const Tensor& x, const OutputSize& size = {}, const ScaleFactor& scale_factor = {});
Tensor upsample_bilinear(const Tensor& x, const OutputSize& size = {}, const ScaleFactor& scale_factor = {});

}  // namespace ember::nn::functional
