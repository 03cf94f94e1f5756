// Geometry of 2-D convolution and pooling shared by the CPU kernels (core/cpu/) and
// the CUDA ones (cuda/): every size in one struct, and the per-window math as
// EMBER_HD functions so both devices pick exactly the same windows.
#pragma once
#include <cstdint>
#include <initializer_list>

#include "core/macros.h"

namespace ember {

// x [N, C, H, W] * w [O, C/groups, KH, KW] -> out [N, O, OH, OW].
struct ConvGeometry {
  int64_t N, C, H, W, O, KH, KW;
  int64_t SH, SW, PH, PW, DH, DW, groups;
  int64_t OH, OW;
};

// One [H, W] plane per (n, c) pooled into [OH, OW].
struct PoolGeometry {
  int64_t planes, H, W, OH, OW;
  int64_t KH, KW, SH, SW, PH, PW;
  bool adaptive = false;  // windows from the adaptive rule; KH..PW unused
};

// Output size of a strided, padded, dilated window sweep (0 when the input is too small).
EMBER_HD_INLINE int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// The input rows [h0, h1) and columns [w0, w1) under output (oh, ow), clipped to the
// plane, and the divisor of an average over it (padding counts: count_include_pad).
// Adaptive windows: [floor(i * in / out), ceil((i + 1) * in / out)). Index is the integer
// the math runs in: int64_t on the CPU; CUDA's pooling kernels use int32_t where
// pool_fits_32_bits says every index fits, as integer division is several times cheaper there.
template <typename Index>
struct PoolWindowOf {
  Index h0, h1, w0, w1, divisor;
};
using PoolWindow = PoolWindowOf<int64_t>;

template <typename Index>
EMBER_HD_INLINE PoolWindowOf<Index> pool_window(const PoolGeometry& g, Index oh, Index ow) {
  const Index H = static_cast<Index>(g.H), W = static_cast<Index>(g.W);
  PoolWindowOf<Index> win{};
  if (g.adaptive) {
    const Index OH = static_cast<Index>(g.OH), OW = static_cast<Index>(g.OW);
    win.h0 = oh * H / OH;
    win.h1 = ((oh + 1) * H + OH - 1) / OH;
    win.w0 = ow * W / OW;
    win.w1 = ((ow + 1) * W + OW - 1) / OW;
    win.divisor = (win.h1 - win.h0) * (win.w1 - win.w0);
    return win;
  }
  const Index PH = static_cast<Index>(g.PH), PW = static_cast<Index>(g.PW);
  const Index KH = static_cast<Index>(g.KH), KW = static_cast<Index>(g.KW);
  win.h0 = oh * static_cast<Index>(g.SH) - PH;
  win.w0 = ow * static_cast<Index>(g.SW) - PW;
  win.h1 = win.h0 + KH < H + PH ? win.h0 + KH : H + PH;
  win.w1 = win.w0 + KW < W + PW ? win.w0 + KW : W + PW;
  win.divisor = (win.h1 - win.h0) * (win.w1 - win.w0);
  win.h0 = win.h0 < 0 ? 0 : win.h0;
  win.w0 = win.w0 < 0 ? 0 : win.w0;
  win.h1 = win.h1 < H ? win.h1 : H;
  win.w1 = win.w1 < W ? win.w1 : W;
  return win;
}

// Whether every index of a pooling whose largest operand has `largest_numel` elements fits
// a 32-bit signed integer: offsets, and every product of two geometry values (a position
// and a size or stride, a window's area), which holds when each is at most 46340
// (46340^2 + 46340 < 2^31) and the adaptive rule's (i + 1) * out + in fits too.
inline bool pool_fits_32_bits(const PoolGeometry& g, int64_t largest_numel) {
  constexpr int64_t kMax = 2147483647, kSide = 46340;
  for (int64_t v : {g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW}) {
    if (v > kSide) return false;
  }
  const int64_t side = g.H > g.W ? g.H : g.W, out_side = g.OH > g.OW ? g.OH : g.OW;
  return largest_numel <= kMax && (side + 1) * (out_side + 1) <= kMax;
}

// Max pooling's rule for taking v over the best so far: greater, or NaN (NaN
// propagates, as in PyTorch); the first of equal values wins, and the last of NaNs.
template <typename T>
EMBER_HD_INLINE bool pool_takes(T v, T best) {
  return v > best || v != v;
}

// The max of plane s under window win and its flat index h * W + w (the first of equal
// values; NaN wins), and the window's sum: the per-output math of both devices' kernels.
// Position (h, w) of the plane is s[(h * W + w) * step]: step 1 for NCHW planes, C for a
// channels-last tensor's (CUDA's kernels).
template <typename T, typename Index>
EMBER_HD_INLINE T window_max(const T* s, Index W, const PoolWindowOf<Index>& win, T lowest, Index& arg,
                             Index step = 1) {
  T best = lowest;
  arg = win.h0 * W + win.w0;
  for (Index h = win.h0; h < win.h1; ++h)
    for (Index w = win.w0; w < win.w1; ++w) {
      const T v = s[(h * W + w) * step];
      if (pool_takes(v, best)) {
        best = v;
        arg = h * W + w;
      }
    }
  return best;
}

template <typename T, typename Index>
EMBER_HD_INLINE T window_sum(const T* s, Index W, const PoolWindowOf<Index>& win, Index step = 1) {
  T sum = 0;
  for (Index h = win.h0; h < win.h1; ++h)
    for (Index w = win.w0; w < win.w1; ++w) sum += s[(h * W + w) * step];
  return sum;
}

inline bool is_two_by_two_pool(const PoolGeometry& g) {
  return !g.adaptive && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PH == 0 && g.PW == 0;
}

}  // namespace ember
