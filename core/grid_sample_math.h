// grid_sample's forward as one kernel (for calls that record no gradient): each grid
// point's source position and corners, and each channel's sample, shared by the CPU kernel
// (core/cpu/grid_sample.cpp) and CUDA's (cuda/grid_sample.cu). The arithmetic is step for
// step that of the recorded ops of Note [Grid sampling by gathers] (nn/functional/grid_sample.cpp).
#pragma once
#include <climits>
#include <cstdint>

#include "core/macros.h"
#include "core/math_functors.h"

namespace ember {

enum class GridSampleMode : int { Bilinear, Nearest };
enum class GridSamplePadding : int { Zeros, Border, Reflection };

// input [N, C, H, W] and grid [N, Ho, Wo, 2] with any strides (in elements); the output
// [N, C, Ho, Wo] is contiguous.
struct GridSampleLayout {
  int64_t N = 0, C = 0, H = 0, W = 0, Ho = 0, Wo = 0;
  int64_t input_stride[4] = {};
  int64_t grid_stride[4] = {};
  GridSampleMode mode = GridSampleMode::Bilinear;
  GridSamplePadding padding = GridSamplePadding::Zeros;
  bool align_corners = false;

  EMBER_HD int64_t points() const { return N * Ho * Wo; }
};

namespace grid_sample_math {

// PyTorch's clip_coordinates as the recorded ops compute it: NaN stays NaN.
template <typename T>
EMBER_HD_INLINE T clip(T c, int64_t size) {
  const T last = static_cast<T>(size - 1);
  return c <= T(0) ? T(0) : (c >= last ? last : c);
}

// PyTorch's reflect_coordinates into [twice_low / 2, twice_high / 2].
template <typename T>
EMBER_HD_INLINE T reflect(T c, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return T(0);
  const T low = static_cast<T>(static_cast<double>(twice_low) / 2);
  const T span = static_cast<T>(static_cast<double>(twice_high - twice_low) / 2);
  const T shifted = c - low;
  const T distance = shifted < T(0) ? -shifted : shifted;
  const bool odd_flips = functors::Fmod{}(functors::Floor{}(distance / span), T(2)) != T(0);
  const T extra = functors::Fmod{}(distance, span);
  return odd_flips ? (span - extra) + low : extra + low;
}

// The source position along an axis of `size` pixels for normalized `coord`: -100 (outside
// every image) where it is not finite or too large for an int.
template <typename T>
EMBER_HD_INLINE T source_position(T coord, int64_t size, const GridSampleLayout& l) {
  T c = l.align_corners ? (coord + T(1)) / T(2) * static_cast<T>(size - 1)
                        : ((coord + T(1)) * static_cast<T>(size) - T(1)) / T(2);
  if (l.padding == GridSamplePadding::Border) {
    c = clip(c, size);
  } else if (l.padding == GridSamplePadding::Reflection) {
    c = l.align_corners ? reflect(c, 0, 2 * (size - 1)) : reflect(c, -1, 2 * size - 1);
    c = clip(c, size);
  }
  const bool usable = c <= static_cast<T>(static_cast<double>(INT_MAX - 1)) && c >= static_cast<T>(INT_MIN);
  return usable ? c : T(-100);
}

// Grid point (n, h, w), found once for every channel: its image and the pixels it reads
// (nearest: corner 00 alone; bilinear: (x0, y0), (x1, y0), (x0, y1), (x1, y1)) with their
// weights wx0 * wy0, wx1 * wy0, wx0 * wy1, wx1 * wy1 and whether each is in the image (one
// outside reads the recorded ops' zero border).
template <typename T>
struct Point {
  int64_t n = 0;
  int64_t offset[4] = {};  // in the plane, by input_stride[2] and [3]
  bool inside[4] = {};
  T weight[4] = {};
};

// Whether integral position (y, x) is in the image, and its offset in a plane.
template <typename T>
EMBER_HD_INLINE bool corner(const GridSampleLayout& l, T y, T x, int64_t& offset) {
  if (!(y >= T(0) && y <= static_cast<T>(l.H - 1) && x >= T(0) && x <= static_cast<T>(l.W - 1))) return false;
  offset = static_cast<int64_t>(y) * l.input_stride[2] + static_cast<int64_t>(x) * l.input_stride[3];
  return true;
}

template <typename T>
EMBER_HD_INLINE Point<T> point_at(const T* grid, const GridSampleLayout& l, int64_t n, int64_t h, int64_t w) {
  const T* g = grid + n * l.grid_stride[0] + h * l.grid_stride[1] + w * l.grid_stride[2];
  const T ix = source_position(g[0], l.W, l), iy = source_position(g[l.grid_stride[3]], l.H, l);
  Point<T> q;
  q.n = n;
  if (l.mode == GridSampleMode::Nearest) {  // rint: nearbyint's ties to even, without its costly FP-state save
    q.inside[0] = corner(l, EMBER_MATH(rint)(iy), EMBER_MATH(rint)(ix), q.offset[0]);
    return q;
  }
  const T x0 = functors::Floor{}(ix), y0 = functors::Floor{}(iy);
  const T x1 = x0 + T(1), y1 = y0 + T(1);
  const T wx1 = ix - x0, wx0 = x1 - ix, wy1 = iy - y0, wy0 = y1 - iy;
  q.inside[0] = corner(l, y0, x0, q.offset[0]), q.weight[0] = wx0 * wy0;
  q.inside[1] = corner(l, y0, x1, q.offset[1]), q.weight[1] = wx1 * wy0;
  q.inside[2] = corner(l, y1, x0, q.offset[2]), q.weight[2] = wx0 * wy1;
  q.inside[3] = corner(l, y1, x1, q.offset[3]), q.weight[3] = wx1 * wy1;
  return q;
}

// The sample of one channel's plane at q: nearest's pixel, or bilinear's corners times their
// weights, added in the recorded ops' order.
template <typename T>
EMBER_HD_INLINE T sample(const T* plane, const GridSampleLayout& l, const Point<T>& q) {
  const auto at = [&](int k) { return q.inside[k] ? plane[q.offset[k]] : T(0); };
  if (l.mode == GridSampleMode::Nearest) return at(0);
  return ((at(0) * q.weight[0] + at(1) * q.weight[1]) + at(2) * q.weight[2]) + at(3) * q.weight[3];
}

// Grid point (n, h, w) for every channel: out[n, c, h, w].
template <typename T>
EMBER_HD_INLINE void sample_point(const T* input, const T* grid, const GridSampleLayout& l, int64_t n, int64_t h,
                                  int64_t w, T* out) {
  const Point<T> q = point_at(grid, l, n, h, w);
  const int64_t hw = l.Ho * l.Wo, at = h * l.Wo + w;
  for (int64_t c = 0; c < l.C; ++c)
    out[(n * l.C + c) * hw + at] = sample(input + n * l.input_stride[0] + c * l.input_stride[1], l, q);
}

}  // namespace grid_sample_math
}  // namespace ember
