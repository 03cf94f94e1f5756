// Geometry of 2-D convolution and pooling shared by the CPU kernels (core/cpu/) and
// the CUDA ones (cuda/): every size in one struct, and the per-window math as
// EMBER_HD functions so both devices pick exactly the same windows.
#pragma once
#include <cstdint>

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
// Adaptive windows: [floor(i * in / out), ceil((i + 1) * in / out)).
struct PoolWindow {
  int64_t h0, h1, w0, w1, divisor;
};

EMBER_HD_INLINE PoolWindow pool_window(const PoolGeometry& g, int64_t oh, int64_t ow) {
  PoolWindow win{};
  if (g.adaptive) {
    win.h0 = oh * g.H / g.OH;
    win.h1 = ((oh + 1) * g.H + g.OH - 1) / g.OH;
    win.w0 = ow * g.W / g.OW;
    win.w1 = ((ow + 1) * g.W + g.OW - 1) / g.OW;
    win.divisor = (win.h1 - win.h0) * (win.w1 - win.w0);
    return win;
  }
  win.h0 = oh * g.SH - g.PH;
  win.w0 = ow * g.SW - g.PW;
  win.h1 = win.h0 + g.KH < g.H + g.PH ? win.h0 + g.KH : g.H + g.PH;
  win.w1 = win.w0 + g.KW < g.W + g.PW ? win.w0 + g.KW : g.W + g.PW;
  win.divisor = (win.h1 - win.h0) * (win.w1 - win.w0);
  win.h0 = win.h0 < 0 ? 0 : win.h0;
  win.w0 = win.w0 < 0 ? 0 : win.w0;
  win.h1 = win.h1 < g.H ? win.h1 : g.H;
  win.w1 = win.w1 < g.W ? win.w1 : g.W;
  return win;
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
template <typename T>
EMBER_HD_INLINE T window_max(const T* s, int64_t W, const PoolWindow& win, T lowest, int64_t& arg, int64_t step = 1) {
  T best = lowest;
  arg = win.h0 * W + win.w0;
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) {
      const T v = s[(h * W + w) * step];
      if (pool_takes(v, best)) {
        best = v;
        arg = h * W + w;
      }
    }
  return best;
}

template <typename T>
EMBER_HD_INLINE T window_sum(const T* s, int64_t W, const PoolWindow& win, int64_t step = 1) {
  T sum = 0;
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) sum += s[(h * W + w) * step];
  return sum;
}

inline bool is_two_by_two_pool(const PoolGeometry& g) {
  return !g.adaptive && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PH == 0 && g.PW == 0;
}

}  // namespace ember
