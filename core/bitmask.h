// Bit masks kept for backward, eight elements to a byte, and the window-local indices
// of max pooling: the per-element math shared by the CPU kernels (core/cpu/bitmask.cpp,
// core/cpu/pool.cpp) and the CUDA ones (cuda/bitmask.cu, cuda/pool.cu).
//
// Note [Compact saved activations]
// A backward formula often needs one bit of what its forward saw: ReLU needs only
// whether each output was positive, dropout only whether each element was kept, max
// pooling only which element of each window won. So those ops save exactly that:
//   - ReLU (and relu_) saves a bit mask of y > 0 (NaN fails it, as ReluGrad's test does),
//     not its output: grad_x = bit ? grad : 0.
//   - LeakyReLU saves a bit mask of x > 0, not its input (PyTorch keeps x):
//     grad_x = bit ? grad : grad * negative_slope, LeakyReluGrad's select.
//   - dropout saves a bit mask of the kept elements (its scaled mask is rebuilt from the
//     bits and 1 / (1 - p) in backward, in the input's dtype), not a float mask; cuDNN's
//     element dropout keeps cuDNN's own reserve space instead.
//   - max pooling saves each output's position inside its window (uint8 while a window
//     has at most 256 elements, int64 beyond), not a flat index, and never its input.
// Each backward computes exactly what it did from the uncompressed tensors (the same
// values, the same order of accumulation), so gradients are bit-identical; the saved
// bytes of the small CNN in train mode fall to under half of PyTorch's (`ember mem`).
// Bits: element i is bit i % 8 (least significant first) of byte i / 8; a mask of n
// elements is ceil(n / 8) kUInt8 bytes, the last byte's unused bits zero.
#pragma once
#include <cstdint>

#include "core/functors.h"
#include "core/macros.h"
#include "core/nn_geometry.h"

namespace ember {

inline int64_t bitmask_bytes(int64_t n) { return (n + 7) / 8; }

// Byte `byte` of the mask of v[0, n): bit k set when v[8 * byte + k] > 0.
template <typename T>
EMBER_HD_INLINE uint8_t positive_bits_byte(const T* v, int64_t n, int64_t byte) {
  const int64_t i0 = byte * 8;
  uint8_t bits = 0;
  for (int k = 0; k < 8 && i0 + k < n; ++k) bits |= static_cast<uint8_t>(v[i0 + k] > T(0)) << k;
  return bits;
}

// ReLU over x[8 * byte, ...) into y, returning the byte of y > 0 bits: one pass for
// the forward output and what its backward keeps (Relu and ReluGrad of core/functors.h).
template <typename T>
EMBER_HD_INLINE uint8_t relu_bits_byte(const T* x, T* y, int64_t n, int64_t byte) {
  const int64_t i0 = byte * 8;
  uint8_t bits = 0;
  for (int k = 0; k < 8 && i0 + k < n; ++k) {
    const T v = x[i0 + k] < T(0) ? T(0) : x[i0 + k];
    y[i0 + k] = v;
    bits |= static_cast<uint8_t>(v > T(0)) << k;
  }
  return bits;
}

EMBER_HD_INLINE bool bit_at(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

// ReLU's backward from its mask: the same select as ReluGrad (core/functors.h).
template <typename T>
EMBER_HD_INLINE T grad_where_bit(T grad, bool bit) {
  return bit ? grad : T(0);
}

// ReLU's backward over grad[8 * byte, ...) into grad_x from that byte of the mask.
template <typename T>
EMBER_HD_INLINE void grad_where_bits_byte(const T* grad, uint8_t bits, T* grad_x, int64_t n, int64_t byte) {
  const int64_t i0 = byte * 8;
  for (int k = 0; k < 8 && i0 + k < n; ++k) grad_x[i0 + k] = grad_where_bit(grad[i0 + k], (bits >> k) & 1);
}

// LeakyReLU's backward over grad[8 * byte, ...) from that byte of its x > 0 mask: the
// LeakyReluGrad functor's select (core/functors.h), bit for bit.
template <typename T>
EMBER_HD_INLINE void leaky_grad_where_bits_byte(const T* grad, uint8_t bits, T slope, T* grad_x, int64_t n,
                                                int64_t byte) {
  const int64_t i0 = byte * 8;
  for (int k = 0; k < 8 && i0 + k < n; ++k)
    grad_x[i0 + k] = functors::leaky_select_on(((bits >> k) & 1) != 0, grad[i0 + k], slope);
}

// Dropout's scale, computed in the dtype as the forward's mask was: 1 / (1 - p).
template <typename T>
EMBER_HD_INLINE T dropout_scale(double p) {
  return T(1) / static_cast<T>(1.0 - p);
}

// Max pooling's saved index: the winner's position (dh, dw) in output (oh, ow)'s
// unclipped window (in kernel steps, so dilation does not widen it), as dh * KW + dw,
// from the flat h * W + w that window_max returns, and back (Note [Compact saved
// activations]). Adaptive windows start at floor(oh * H / OH), and KH x KW bounds them
// (PoolGeometry). With g.flat_indices (return_indices) the flat index is kept as is.
// An empty window (dilation can miss the plane) keeps 0, or -1 when flat: a position
// outside the plane either way, which window_flat_index answers with -1.
// Index: as pool_window's (core/nn_geometry.h).
template <typename Index>
EMBER_HD_INLINE void window_origin(const PoolGeometry& g, Index oh, Index ow, Index& h, Index& w) {
  if (g.adaptive) {
    h = oh * static_cast<Index>(g.H) / static_cast<Index>(g.OH);
    w = ow * static_cast<Index>(g.W) / static_cast<Index>(g.OW);
  } else {
    h = oh * static_cast<Index>(g.SH) - static_cast<Index>(g.PH);
    w = ow * static_cast<Index>(g.SW) - static_cast<Index>(g.PW);
  }
}

template <typename Index>
EMBER_HD_INLINE Index window_local_index(const PoolGeometry& g, Index oh, Index ow, Index flat) {
  if (g.flat_indices) return flat;
  Index h0, w0;
  window_origin(g, oh, ow, h0, w0);
  const Index W = static_cast<Index>(g.W);
  Index dh = flat / W - h0, dw = flat % W - w0;
  if (g.DH != 1) dh /= static_cast<Index>(g.DH);
  if (g.DW != 1) dw /= static_cast<Index>(g.DW);
  return dh * static_cast<Index>(g.KW) + dw;
}

// What max pooling keeps for output (oh, ow) whose window is win and whose winner is flat.
template <typename Index>
EMBER_HD_INLINE Index saved_pool_index(const PoolGeometry& g, Index oh, Index ow, const PoolWindowOf<Index>& win,
                                       Index flat) {
  if (win.empty()) return g.flat_indices ? Index(-1) : Index(0);
  return window_local_index(g, oh, ow, flat);
}

// The flat position h * W + w that output (oh, ow)'s saved index names, or -1 for none.
template <typename Index>
EMBER_HD_INLINE Index window_flat_index(const PoolGeometry& g, Index oh, Index ow, Index saved) {
  if (g.flat_indices) return saved;
  Index h, w;
  window_origin(g, oh, ow, h, w);
  const Index KW = static_cast<Index>(g.KW);
  h += saved / KW * static_cast<Index>(g.DH);
  w += saved % KW * static_cast<Index>(g.DW);
  const bool inside = h >= 0 && h < static_cast<Index>(g.H) && w >= 0 && w < static_cast<Index>(g.W);
  return inside ? h * static_cast<Index>(g.W) + w : Index(-1);
}

// The dtype of max pooling's saved indices: uint8 while a window fits in 256 positions
// (and they are window-local).
inline bool pool_indices_fit_uint8(const PoolGeometry& g) { return !g.flat_indices && g.KH * g.KW <= 256; }

}  // namespace ember
