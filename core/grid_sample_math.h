// grid_sample's element math each way (positions, corners or bicubic's 4 x 4 taps, samples,
// gradients), shared by the CPU kernels (core/cpu/grid_sample.cpp) and CUDA's (grid_sample.cu).
// Bilinear and nearest repeat the composed ops of Note [Grid sampling by gathers]
// (nn/functional/grid_sample.cpp): the forward step for step, the gradients' rules.
#pragma once
#include <climits>
#include <cstdint>

#include "core/grid_sample_layout.h"
#include "core/macros.h"
#include "core/math_functors.h"
#include "core/optim_math.h"

namespace ember {

namespace grid_sample_math {

// Note [Grid sample's coordinate gradient]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// The composed ops differentiate a source position by `where`s, a negation and fmod (whose
// derivative in its first argument is 1), so d position / d coordinate is the
// unnormalization's scale times a sign: -1 for each reflection that mirrors it, and no
// gradient at all (not a product with 0) on or past an edge of a clamp, or where the
// position is unusable (-100). `direction` carries that sign (1, -1, or 0 for none) from
// source_position to coordinate_grad, which scales as the composed backward does:
// (g * (size - 1)) / 2 with align_corners, else (g / 2) * size. These are PyTorch's
// clip_coordinates_set_grad and reflect_coordinates_set_grad.

// PyTorch's clip_coordinates as the recorded ops compute it: NaN stays NaN. On or past an
// edge the result is a constant: no gradient.
template <typename T>
EMBER_HD_INLINE T clip(T c, int64_t size, T& direction) {
  const T last = static_cast<T>(size - 1);
  if (c <= T(0) || c >= last) direction = T(0);
  return c <= T(0) ? T(0) : (c >= last ? last : c);
}

// PyTorch's reflect_coordinates into [twice_low / 2, twice_high / 2].
template <typename T>
EMBER_HD_INLINE T reflect(T c, int64_t twice_low, int64_t twice_high, T& direction) {
  if (twice_low == twice_high) {
    direction = T(0);
    return T(0);
  }
  const T low = static_cast<T>(static_cast<double>(twice_low) / 2);
  const T span = static_cast<T>(static_cast<double>(twice_high - twice_low) / 2);
  const T shifted = c - low;
  if (shifted < T(0)) direction = -direction;
  const T distance = shifted < T(0) ? -shifted : shifted;
  const bool odd_flips = functors::Fmod{}(functors::Floor{}(distance / span), T(2)) != T(0);
  if (odd_flips) direction = -direction;
  const T extra = functors::Fmod{}(distance, span);
  return odd_flips ? (span - extra) + low : extra + low;
}

// PyTorch's grid_sampler_unnormalize: normalized `coord` in pixels of an axis of `size`.
template <typename T>
EMBER_HD_INLINE T unnormalized(T coord, int64_t size, const GridSampleLayout& l) {
  // each product and sum rounded once on both devices (fused::mul_rn: no multiply-add on the GPU)
  return l.align_corners ? fused::mul_rn((coord + T(1)) / T(2), static_cast<T>(size - 1))
                         : (fused::mul_rn(coord + T(1), static_cast<T>(size)) - T(1)) / T(2);
}

// PyTorch's compute_coordinates of position c (in pixels): border clamps, reflection mirrors
// then clamps, and a position not finite or too large for an int becomes -100 (outside every
// image). `direction` leaves with the derivative's sign (Note [Grid sample's coordinate
// gradient]).
template <typename T>
EMBER_HD_INLINE T padded(T c, int64_t size, const GridSampleLayout& l, T& direction) {
  if (l.padding == GridSamplePadding::Border) {
    c = clip(c, size, direction);
  } else if (l.padding == GridSamplePadding::Reflection) {
    c = l.align_corners ? reflect(c, 0, 2 * (size - 1), direction) : reflect(c, -1, 2 * size - 1, direction);
    c = clip(c, size, direction);
  }
  const bool usable = c <= static_cast<T>(static_cast<double>(INT_MAX - 1)) && c >= static_cast<T>(INT_MIN);
  if (!usable) direction = T(0);
  return usable ? c : T(-100);
}

// The source position along an axis of `size` pixels for normalized `coord` (bilinear and
// nearest). `direction` (1 on entry) leaves with the derivative's sign.
template <typename T>
EMBER_HD_INLINE T source_position(T coord, int64_t size, const GridSampleLayout& l, T& direction) {
  return padded(unnormalized(coord, size, l), size, l, direction);
}

// The normalized coordinate's gradient from its source position's `g`.
template <typename T>
EMBER_HD_INLINE T coordinate_grad(T g, T direction, int64_t size, const GridSampleLayout& l) {
  if (direction == T(0)) return T(0);
  const T gc = direction < T(0) ? -g : g;
  return l.align_corners ? gc * static_cast<T>(size - 1) / T(2) : gc / T(2) * static_cast<T>(size);
}

// Grid point (n, h, w), found once for every channel: the pixels it reads (nearest: corner
// 00 alone; bilinear: (x0, y0), (x1, y0), (x0, y1), (x1, y1)) with their weights wx0 * wy0,
// wx1 * wy0, wx0 * wy1, wx1 * wy1 and whether each is in the image (one outside reads the
// recorded ops' zero border); for the backward, the four factors and the positions'
// derivative signs.
// The backward's fields are left unset by the forward (zeroing them cost it a quarter of
// its time), which never reads them; point_at fills the caller's Point, never copied.
template <typename T>
struct Point {
  int64_t offset[4] = {};  // in an input plane, by input_stride[2] and [3]
  bool inside[4] = {};
  T weight[4] = {};
  int64_t at[4];  // in a contiguous [H, W] plane (the input's gradient), where inside
  T wx0, wx1, wy0, wy1;  // bilinear
  T direction_x, direction_y;
};

// Whether integral position (y, x) is in the image, and its offsets in a plane (the
// contiguous one for the backward only).
template <bool kBackward, typename T>
EMBER_HD_INLINE bool corner(const GridSampleLayout& l, T y, T x, int64_t& offset, int64_t& at) {
  if (!(y >= T(0) && y <= static_cast<T>(l.H - 1) && x >= T(0) && x <= static_cast<T>(l.W - 1))) return false;
  const auto row = static_cast<int64_t>(y), column = static_cast<int64_t>(x);
  offset = row * l.input_stride[2] + column * l.input_stride[3];
  if constexpr (kBackward) at = row * l.W + column;
  return true;
}

// kBackward: also the fields only the backward reads (at, the factors' signs), which the
// forward leaves unset.
template <bool kBackward, typename T>
EMBER_HD_INLINE void point_at(const T* grid, const GridSampleLayout& l, int64_t n, int64_t h, int64_t w,
                              Point<T>& q) {
  const T* g = grid + n * l.grid_stride[0] + h * l.grid_stride[1] + w * l.grid_stride[2];
  T direction_x = 1, direction_y = 1;
  const T ix = source_position(g[0], l.W, l, direction_x);
  const T iy = source_position(g[l.grid_stride[3]], l.H, l, direction_y);
  if constexpr (kBackward) q.direction_x = direction_x, q.direction_y = direction_y;
  if (l.mode == GridSampleMode::Nearest) {  // rint: nearbyint's ties to even, without its costly FP-state save
    q.inside[0] = corner<kBackward>(l, EMBER_MATH(rint)(iy), EMBER_MATH(rint)(ix), q.offset[0], q.at[0]);
    return;
  }
  const T x0 = functors::Floor{}(ix), y0 = functors::Floor{}(iy);
  const T x1 = x0 + T(1), y1 = y0 + T(1);
  q.wx1 = ix - x0, q.wx0 = x1 - ix, q.wy1 = iy - y0, q.wy0 = y1 - iy;
  q.inside[0] = corner<kBackward>(l, y0, x0, q.offset[0], q.at[0]), q.weight[0] = q.wx0 * q.wy0;
  q.inside[1] = corner<kBackward>(l, y0, x1, q.offset[1], q.at[1]), q.weight[1] = q.wx1 * q.wy0;
  q.inside[2] = corner<kBackward>(l, y1, x0, q.offset[2], q.at[2]), q.weight[2] = q.wx0 * q.wy1;
  q.inside[3] = corner<kBackward>(l, y1, x1, q.offset[3], q.at[3]), q.weight[3] = q.wx1 * q.wy1;
}

// Note [Bicubic grid sampling]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// PyTorch's bicubic grid_sample: the point is unnormalized without padding, and its 4 x 4
// taps around floor(position) are each padded (border, reflection) and read as zero outside
// the image, so a tap column's (row's) image position depends on its axis alone. Each row of
// taps is interpolated along x with Keys' cubic (A = -0.75) coefficients of tx, then the four
// rows along y with those of ty (PyTorch's cubic_interp1d, in its order). The gradients are
// PyTorch's too: the input's is g times both coefficients at every tap in the image, the
// grid's the coefficients' derivatives times the tap values, times the unnormalization's scale
// (no padding factor: taps are integral positions). It is differentiated once only, as PyTorch's.

// PyTorch's get_cubic_upsample_coefficients: Keys' kernel at t + 1, t, 1 - t and 2 - t.
template <typename T>
EMBER_HD_INLINE void cubic_coefficients(T t, T c[4]) {
  const T A = T(-0.75);
  const auto far = [A](T x) { return ((A * x - T(5) * A) * x + T(8) * A) * x - T(4) * A; };  // 1 < x < 2
  const auto near = [A](T x) { return ((A + T(2)) * x - (A + T(3))) * x * x + T(1); };     // x <= 1
  c[0] = far(t + T(1)), c[1] = near(t), c[2] = near(T(1) - t), c[3] = far((T(1) - t) + T(1));
}

// PyTorch's get_cubic_coefficients_grad: minus the coefficients' derivatives in t.
template <typename T>
EMBER_HD_INLINE void cubic_coefficients_grad(T t, T c[4]) {
  const T A = T(-0.75);
  T x = T(-1) - t;
  c[0] = (T(-3) * A * x - T(10) * A) * x - T(8) * A;
  x = -t;
  c[1] = (T(-3) * (A + T(2)) * x - T(2) * (A + T(3))) * x;
  x = T(1) - t;
  c[2] = (T(3) * (A + T(2)) * x - T(2) * (A + T(3))) * x;
  x = T(2) - t;
  c[3] = (T(3) * A * x - T(10) * A) * x + T(8) * A;
}

// A bicubic grid point: its tap columns and rows (each found once for every channel), their
// coefficients and, for the backward, the coefficients' derivatives.
template <typename T>
struct CubicPoint {
  int64_t column_offset[4] = {}, row_offset[4] = {};  // by input_stride[3] / [2]
  int64_t column[4] = {}, row[4] = {};                // in a contiguous [H, W] plane: column, row * W
  bool column_inside[4] = {}, row_inside[4] = {};
  T cx[4], cy[4];
  T tx, ty;
};

template <typename T>
EMBER_HD_INLINE CubicPoint<T> cubic_point_at(const T* grid, const GridSampleLayout& l, int64_t n, int64_t h,
                                             int64_t w) {
  const T* g = grid + n * l.grid_stride[0] + h * l.grid_stride[1] + w * l.grid_stride[2];
  const T ix = unnormalized(g[0], l.W, l), iy = unnormalized(g[l.grid_stride[3]], l.H, l);
  const T x0 = functors::Floor{}(ix), y0 = functors::Floor{}(iy);
  CubicPoint<T> q;
  q.tx = ix - x0, q.ty = iy - y0;
  cubic_coefficients(q.tx, q.cx);
  cubic_coefficients(q.ty, q.cy);
  for (int k = 0; k < 4; ++k) {
    T unused = T(1);
    const T x = padded(x0 + static_cast<T>(k - 1), l.W, l, unused);  // PyTorch's ix_nw - 1, + 0, + 1, + 2
    const T y = padded(y0 + static_cast<T>(k - 1), l.H, l, unused);
    q.column_inside[k] = x >= T(0) && x <= static_cast<T>(l.W - 1);
    q.row_inside[k] = y >= T(0) && y <= static_cast<T>(l.H - 1);
    q.column[k] = q.column_inside[k] ? static_cast<int64_t>(x) : 0;
    q.row[k] = q.row_inside[k] ? static_cast<int64_t>(y) * l.W : 0;
    q.column_offset[k] = q.column[k] * l.input_stride[3];
    q.row_offset[k] = q.row_inside[k] ? static_cast<int64_t>(y) * l.input_stride[2] : 0;
  }
  return q;
}

// One channel's bicubic sample at q (Note [Bicubic grid sampling]).
template <typename T>
EMBER_HD_INLINE T sample_cubic(const T* plane, const CubicPoint<T>& q) {
  T rows[4];
  for (int i = 0; i < 4; ++i) {
    const auto at = [&](int j) {
      return q.row_inside[i] && q.column_inside[j] ? plane[q.row_offset[i] + q.column_offset[j]] : T(0);
    };
    rows[i] = at(0) * q.cx[0] + at(1) * q.cx[1] + at(2) * q.cx[2] + at(3) * q.cx[3];
  }
  return rows[0] * q.cy[0] + rows[1] * q.cy[1] + rows[2] * q.cy[2] + rows[3] * q.cy[3];
}

// One channel's share of a bicubic point's input gradient: g times each in-image tap's
// weight, added at the tap by `add` (sample_point_backward's contract).
template <typename T, typename Add>
EMBER_HD_INLINE void add_cubic_input_grad(const CubicPoint<T>& q, T go, T* target, Add add) {
  for (int i = 0; i < 4; ++i) {
    if (!q.row_inside[i]) continue;
    for (int j = 0; j < 4; ++j) {
      if (q.column_inside[j]) add(target + q.row[i] + q.column[j], go * q.cx[j] * q.cy[i]);
    }
  }
}

// The bicubic point's gradients (sample_point_backward's contract).
template <typename T, typename Add>
EMBER_HD_INLINE void cubic_point_backward(const T* g, const T* input, const T* grid, const GridSampleLayout& l,
                                          int64_t n, int64_t h, int64_t w, T* gi, T* gg, Add add) {
  const CubicPoint<T> q = cubic_point_at(grid, l, n, h, w);
  const int64_t hw = l.Ho * l.Wo, at = h * l.Wo + w, plane = l.H * l.W;
  T by_tap[4][4] = {};  // [row][column]: sum over channels of g times the tap's value
  for (int64_t c = 0; c < l.C; ++c) {
    const T go = g[(n * l.C + c) * hw + at];
    const T* source = gg != nullptr ? input + n * l.input_stride[0] + c * l.input_stride[1] : nullptr;
    T* target = gi != nullptr ? gi + (n * l.C + c) * plane : nullptr;
    if (target != nullptr) add_cubic_input_grad(q, go, target, add);
    if (source == nullptr) continue;
    for (int i = 0; i < 4; ++i) {
      if (!q.row_inside[i]) continue;
      for (int j = 0; j < 4; ++j) {
        if (q.column_inside[j]) by_tap[i][j] += go * source[q.row_offset[i] + q.column_offset[j]];
      }
    }
  }
  if (gg == nullptr) return;
  T gcx[4], gcy[4];
  cubic_coefficients_grad(q.tx, gcx);
  cubic_coefficients_grad(q.ty, gcy);
  T gix = T(0), giy = T(0);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      gix -= by_tap[i][j] * gcx[j] * q.cy[i];
      giy -= by_tap[i][j] * gcy[i] * q.cx[j];
    }
  const auto scale = [&](int64_t size) {  // PyTorch's grid_sampler_unnormalize_set_grad
    return l.align_corners ? static_cast<T>(size - 1) / T(2) : static_cast<T>(size) / T(2);
  };
  T* out = gg + (n * hw + at) * 2;
  out[0] = scale(l.W) * gix;
  out[1] = scale(l.H) * giy;
}

// The sample of one channel's plane at q: nearest's pixel, or bilinear's corners times their
// weights, added in the recorded ops' order.
template <typename T>
EMBER_HD_INLINE T sample(const T* plane, const GridSampleLayout& l, const Point<T>& q) {
  const auto at = [&](int k) { return q.inside[k] ? plane[q.offset[k]] : T(0); };
  if (l.mode == GridSampleMode::Nearest) return at(0);
  using fused::add_rn, fused::mul_rn;  // rounded as the CPU's, nothing contracted on the GPU
  return add_rn(add_rn(add_rn(mul_rn(at(0), q.weight[0]), mul_rn(at(1), q.weight[1])), mul_rn(at(2), q.weight[2])),
                mul_rn(at(3), q.weight[3]));
}

// Grid point (n, h, w) for every channel: out[n, c, h, w].
template <typename T>
EMBER_HD_INLINE void sample_point(const T* input, const T* grid, const GridSampleLayout& l, int64_t n, int64_t h,
                                  int64_t w, T* out) {
  const int64_t hw = l.Ho * l.Wo, at = h * l.Wo + w;
  if (l.mode == GridSampleMode::Bicubic) {
    const CubicPoint<T> q = cubic_point_at(grid, l, n, h, w);
    for (int64_t c = 0; c < l.C; ++c)
      out[(n * l.C + c) * hw + at] = sample_cubic(input + n * l.input_stride[0] + c * l.input_stride[1], q);
    return;
  }
  Point<T> q;
  point_at<false>(grid, l, n, h, w, q);
  for (int64_t c = 0; c < l.C; ++c)
    out[(n * l.C + c) * hw + at] = sample(input + n * l.input_stride[0] + c * l.input_stride[1], l, q);
}

// One channel's share of a bilinear or nearest point's input gradient: g times each
// in-image corner's weight (nearest: g at its pixel), added there by `add`.
template <typename T, typename Add>
EMBER_HD_INLINE void add_input_grad(const Point<T>& q, bool nearest, T go, T* target, Add add) {
  for (int k = 0; k < (nearest ? 1 : 4); ++k)
    if (q.inside[k]) add(target + q.at[k], nearest ? go : go * q.weight[k]);
}

// Grid point (n, h, w)'s gradients from g (contiguous [N, C, Ho, Wo]). When gi (contiguous
// [N, C, H, W]) is given, each channel's g times a corner's weight is added there by
// `add(address, value)` (the CPU's +=, CUDA's atomic add): the gathers' scatter_add. When gg
// (contiguous [N, Ho, Wo, 2]) is given, the point's two coordinates' gradients are written:
// bilinear's weights' derivatives times the in-image corner values, summed over channels
// first as the composed ops do; nearest's zeros; bicubic's as Note [Bicubic grid sampling].
template <typename T, typename Add>
EMBER_HD_INLINE void sample_point_backward(const T* g, const T* input, const T* grid, const GridSampleLayout& l,
                                           int64_t n, int64_t h, int64_t w, T* gi, T* gg, Add add) {
  if (l.mode == GridSampleMode::Bicubic) return cubic_point_backward(g, input, grid, l, n, h, w, gi, gg, add);
  Point<T> q{};  // zeroed: the compiler cannot see that bilinear's factors are set where read
  point_at<true>(grid, l, n, h, w, q);
  const bool nearest = l.mode == GridSampleMode::Nearest;
  const int64_t hw = l.Ho * l.Wo, at = h * l.Wo + w, plane = l.H * l.W;
  T by_corner[4] = {};  // sum over channels of g times the corner's value
  for (int64_t c = 0; c < l.C; ++c) {
    const T go = g[(n * l.C + c) * hw + at];
    if (gi != nullptr) add_input_grad(q, nearest, go, gi + (n * l.C + c) * plane, add);
    if (gg != nullptr && !nearest) {
      const T* source = input + n * l.input_stride[0] + c * l.input_stride[1];
      for (int k = 0; k < 4; ++k)
        if (q.inside[k]) by_corner[k] += go * source[q.offset[k]];
    }
  }
  if (gg == nullptr) return;
  T* out = gg + (n * hw + at) * 2;
  if (nearest) {
    out[0] = T(0), out[1] = T(0);
    return;
  }
  // d/dix of wx1 is 1 and of wx0 is -1; likewise for y
  const T gix = (by_corner[1] * q.wy0 + by_corner[3] * q.wy1) - (by_corner[0] * q.wy0 + by_corner[2] * q.wy1);
  const T giy = (by_corner[2] * q.wx0 + by_corner[3] * q.wx1) - (by_corner[0] * q.wx0 + by_corner[1] * q.wx1);
  out[0] = coordinate_grad(gix, q.direction_x, l.W, l);
  out[1] = coordinate_grad(giy, q.direction_y, l.H, l);
}

// Channel plane (n, c) of the input gradient gi (contiguous [N, C, H, W], zeroed) from every
// grid point in order, each adding as sample_point_backward adds: the same sums in the CPU's
// order (it walks an image's points in order), so on the CPU bit for bit, and on the GPU the
// same bits on every run. What one thread of the CUDA backward's deterministic form does (Note
// [Deterministic algorithms] in core/deterministic.h); the grid's gradient is then left to
// sample_point_backward with gi null.
template <typename T>
EMBER_HD_INLINE void plane_input_grad(const T* g, const T* grid, const GridSampleLayout& l, int64_t n, int64_t c,
                                      T* gi) {
  const int64_t hw = l.Ho * l.Wo;
  T* target = gi + (n * l.C + c) * (l.H * l.W);
  const T* go = g + (n * l.C + c) * hw;
  // Rounded apart from the product before it (no fused multiply-add on the GPU), as the CPU's +=.
  const auto add = [](T* address, T value) { *address = fused::add_rn(*address, value); };
  const bool nearest = l.mode == GridSampleMode::Nearest;
  for (int64_t h = 0; h < l.Ho; ++h) {
    for (int64_t w = 0; w < l.Wo; ++w) {
      if (l.mode == GridSampleMode::Bicubic) {
        add_cubic_input_grad(cubic_point_at(grid, l, n, h, w), go[h * l.Wo + w], target, add);
      } else {
        Point<T> q{};
        point_at<true>(grid, l, n, h, w, q);
        add_input_grad(q, nearest, go[h * l.Wo + w], target, add);
      }
    }
  }
}

}  // namespace grid_sample_math
}  // namespace ember
