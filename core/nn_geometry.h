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

// Layer norm and group norm as one shape: M rows of K = D * S values, each row normalised
// by its own mean and rstd. Value k of row r is scaled and shifted by parameter
// p = (r % G) * D + k / S (of G * D). layer_norm: G = 1, D = K, S = 1 (p = k); group_norm of
// x [N, C, *] in G groups: M = N * G, D = C / G, S = the values per channel (p = channel).
struct RowNormGeometry {
  int64_t M, K, G, D, S;
  EMBER_HD int64_t params() const { return G * D; }
};

// One [H, W] plane per (n, c) pooled into [OH, OW]. Value-initialize (`PoolGeometry g{}`)
// and set what applies: the defaults are PyTorch's.
struct PoolGeometry {
  int64_t planes, H, W, OH, OW;
  int64_t KH, KW, SH, SW, PH, PW;
  int64_t DH = 1, DW = 1;  // max pooling's dilation (average pooling has none)
  // Windows from the adaptive rule: SH..DW unused; KH x KW then bounds every window, as
  // the frame of max pooling's window-local indices (core/bitmask.h).
  bool adaptive = false;
  bool count_include_pad = true;  // average pooling: the padding counts in the divisor
  int64_t divisor_override = 0;   // average pooling: divide by this instead, when nonzero
  // Max pooling's indices are the winners' flat h * W + w in their plane (PyTorch's
  // return_indices), not window-local (Note [Pooling options] in nn/functional/pool.cpp).
  bool flat_indices = false;
};

// Output size of a strided, padded, dilated window sweep (0 when the input is too small).
EMBER_HD_INLINE int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// Pooling's output size, PyTorch's pooling_output_shape: the windows that fit, rounded
// down, or up with ceil_mode, where the last window must then start inside the input or
// its left padding (one starting in the right padding is dropped). Below 1 when the input
// is too small.
inline int64_t pool_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation,
                             bool ceil_mode) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (span >= 0 ? span / stride : -((stride - 1 - span) / stride)) + 1;  // floor division
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// The most positions an adaptive window spans along an axis of `in` pooled to `out`
// (KH/KW of an adaptive PoolGeometry).
inline int64_t adaptive_window_bound(int64_t in, int64_t out) {
  int64_t most = 1;
  for (int64_t i = 0; i < out; ++i) {
    const int64_t span = ((i + 1) * in + out - 1) / out - i * in / out;
    most = span > most ? span : most;
  }
  return most;
}

// The input rows [h0, h1) and columns [w0, w1) under output (oh, ow), clipped to the
// plane, every dh-th row and dw-th column of them (dilation), and the divisor of an
// average over it: PyTorch's, the window clipped to the input and its padding
// (count_include_pad), or to the input, or divisor_override. A dilated window can miss
// the input altogether (empty(): max pooling gives -inf and no gradient flows).
// Adaptive windows: [floor(i * in / out), ceil((i + 1) * in / out)). Index is the integer
// the math runs in: int64_t on the CPU; CUDA's pooling kernels use int32_t where
// pool_fits_32_bits says every index fits, as integer division is several times cheaper there.
template <typename Index>
struct PoolWindowOf {
  Index h0, h1, w0, w1, divisor;
  Index dh = 1, dw = 1;
  EMBER_HD_INLINE bool empty() const { return h0 >= h1 || w0 >= w1; }
};
using PoolWindow = PoolWindowOf<int64_t>;

// The first of start, start + step, ... that is not negative.
template <typename Index>
EMBER_HD_INLINE Index first_inside(Index start, Index step) {
  if (start >= 0) return start;
  return step == 1 ? Index(0) : start + (step - 1 - start) / step * step;
}

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
  win.dh = static_cast<Index>(g.DH), win.dw = static_cast<Index>(g.DW);
  win.h0 = oh * static_cast<Index>(g.SH) - PH;
  win.w0 = ow * static_cast<Index>(g.SW) - PW;
  const Index h_end = win.h0 + (static_cast<Index>(g.KH) - 1) * win.dh + 1;
  const Index w_end = win.w0 + (static_cast<Index>(g.KW) - 1) * win.dw + 1;
  const Index padded = ((h_end < H + PH ? h_end : H + PH) - win.h0) * ((w_end < W + PW ? w_end : W + PW) - win.w0);
  win.h0 = first_inside(win.h0, win.dh);
  win.w0 = first_inside(win.w0, win.dw);
  win.h1 = h_end < H ? h_end : H;
  win.w1 = w_end < W ? w_end : W;
  win.divisor = g.divisor_override != 0 ? static_cast<Index>(g.divisor_override)
                : g.count_include_pad   ? padded
                                        : (win.h1 - win.h0) * (win.w1 - win.w0);
  return win;
}

// Whether every index of a pooling whose largest operand has `largest_numel` elements fits
// a 32-bit signed integer: offsets, and every product of two geometry values (a position
// and a size or stride, a window's area), which holds when each is at most 46340
// (46340^2 + 46340 < 2^31), the adaptive rule's (i + 1) * out + in fits too, and so does
// the end of a dilated window; and average pooling's divisor_override, taken as an Index.
inline bool pool_fits_32_bits(const PoolGeometry& g, int64_t largest_numel) {
  constexpr int64_t kMax = 2147483647, kSide = 46340;
  for (int64_t v : {g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW}) {
    if (v > kSide) return false;
  }
  const int64_t side = g.H > g.W ? g.H : g.W, out_side = g.OH > g.OW ? g.OH : g.OW;
  // A window's last row, oh * SH + (KH - 1) * DH + 1, is the sum of two such products.
  const auto reach = [](int64_t o, int64_t s, int64_t k, int64_t d) { return o * s + (k - 1) * d + 1; };
  const bool divisor_fits = g.divisor_override >= -kMax && g.divisor_override <= kMax;
  return largest_numel <= kMax && (side + 1) * (out_side + 1) <= kMax && reach(g.OH, g.SH, g.KH, g.DH) <= kMax &&
         reach(g.OW, g.SW, g.KW, g.DW) <= kMax && divisor_fits;
}

// Max pooling's rule for taking v over the best so far: greater, or NaN (NaN
// propagates, as in PyTorch); the first of equal values wins, and the last of NaNs.
template <typename T>
EMBER_HD_INLINE bool pool_takes(T v, T best) {
  return v > best || v != v;
}

// The max of plane s under window win and its flat index h * W + w (the first of equal
// values; NaN wins): the per-output math of both devices' kernels (the window's sum:
// core/pool_sum.h). Position (h, w) of the plane is s[(h * W + w) * step]: step 1 for NCHW
// planes, C for a channels-last tensor's (CUDA's kernels). The values compare as Best,
// lowest's type: a 16-bit plane's widened to float (exact). An empty window gives `lowest`.
template <typename T, typename Index, typename Best>
EMBER_HD_INLINE Best window_max(const T* s, Index W, const PoolWindowOf<Index>& win, Best lowest, Index& arg,
                                Index step = 1) {
  Best best = lowest;
  arg = win.h0 * W + win.w0;
  for (Index h = win.h0; h < win.h1; h += win.dh)
    for (Index w = win.w0; w < win.w1; w += win.dw) {
      const Best v = static_cast<Best>(s[(h * W + w) * step]);
      if (pool_takes(v, best)) {
        best = v;
        arg = h * W + w;
      }
    }
  return best;
}

// The CNN's max pooling (2x2 windows, stride 2, no padding or dilation, every window
// inside the plane, window-local indices), which the CPU kernels run on a fast path.
inline bool is_two_by_two_pool(const PoolGeometry& g) {
  return !g.adaptive && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PH == 0 && g.PW == 0 && g.DH == 1 &&
         g.DW == 1 && 2 * g.OH <= g.H && 2 * g.OW <= g.W && !g.flat_indices;
}

}  // namespace ember
