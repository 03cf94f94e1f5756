// What one thread of each CUDA pooling kernel (cuda/pool.cu) does, as EMBER_HD functions
// of its thread's element, in 32- or 64-bit index math: the kernels launch a thread per
// element and call these, and tests/core/test_cuda_threads_on_cpu.cpp calls them for every
// element on the CPU, so the kernels' index math (both layouts, both index widths, the
// backward gather) is checked in every CI run. 16-bit operands compute in float and round
// each output once (Note [16-bit pooling] in nn/functional/pool.cpp).
#pragma once
#include <cstdint>
#include <limits>

#include "core/bitmask.h"
#include "core/macros.h"
#include "core/memory_format.h"
#include "core/nn_geometry.h"
#include "core/pool_sum.h"
#include "core/reduced_float.h"
#include "core/tensor.h"

namespace ember::cuda_kernels::pool {

// Index: the integer the threads' math runs in, int32_t where pool_fits_32_bits (the
// kernels' usual case: division is several times cheaper) else int64_t.

// The outputs [lo, hi) along one axis whose windows may cover input position i
// (a superset for the adaptive rule's rounding; callers check with pool_window).
template <typename Index>
EMBER_HD_INLINE void outputs_over(Index i, Index in, Index out, Index k, Index stride, Index pad, bool adaptive,
                                  Index& lo, Index& hi) {
  if (adaptive) {
    lo = i * out / in;
    hi = ((i + 1) * out + in - 1) / in;
  } else {
    const Index first = i + pad - k;  // outputs with o * stride > first
    lo = first < 0 ? 0 : first / stride + 1;
    hi = (i + pad) / stride + 1;
  }
  lo = lo < 0 ? 0 : lo;
  hi = hi > out ? out : hi;
}

// How one operand lies in memory: NCHW planes ([planes, area] row-major), or channels-last
// ([N, area, C], plane p = n * C + c). Each kernel walks its thread's tensor in memory
// order, so neighbouring threads touch neighbouring addresses in either layout.
template <typename Index>
struct PlaneLayout {
  Index C = 1;  // channels, when channels_last
  bool channels_last = false;

  // Element i (memory order) of a tensor with `area` positions per plane: plane p, position q.
  EMBER_HD_INLINE void site(Index i, Index area, Index& p, Index& q) const {
    if (!channels_last) {
      p = i / area, q = i % area;
      return;
    }
    const Index rest = i / C;
    q = rest % area, p = rest / area * C + i % C;
  }
  // The offset of position q of plane p.
  EMBER_HD_INLINE Index at(Index p, Index q, Index area) const {
    return channels_last ? ((p / C) * area + q) * C + p % C : p * area + q;
  }
  EMBER_HD_INLINE Index step() const { return channels_last ? C : 1; }
};

// A pooling operand's layout: row-major (3-D, or 4-D NCHW), else dense channels-last.
template <typename Index>
PlaneLayout<Index> layout_of(const Tensor& t) {
  if (t.is_contiguous()) return {};
  EMBER_INTERNAL_ASSERT(t.dim() == 4 && t.is_contiguous(MemoryFormat::ChannelsLast),
                        "CUDA pooling: expected an NCHW or channels-last dense operand, got strides ", t.strides());
  return {static_cast<Index>(t.size(1)), true};
}

// Input position (h, w) of a plane: the outputs [oh0, oh1) x [ow0, ow1) whose windows may
// cover it (the backward kernels' gather range).
template <typename Index>
struct InputSite {
  Index h, w, oh0, oh1, ow0, ow1;
};

template <typename Index>
EMBER_HD_INLINE InputSite<Index> input_site(Index q, const PoolGeometry& g) {
  const auto I = [](int64_t v) { return static_cast<Index>(v); };
  InputSite<Index> s{};
  s.w = q % I(g.W), s.h = q / I(g.W);
  // A dilated window spans (K - 1) * D + 1 positions.
  outputs_over<Index>(s.h, I(g.H), I(g.OH), I((g.KH - 1) * g.DH + 1), I(g.SH), I(g.PH), g.adaptive, s.oh0, s.oh1);
  outputs_over<Index>(s.w, I(g.W), I(g.OW), I((g.KW - 1) * g.DW + 1), I(g.SW), I(g.PW), g.adaptive, s.ow0, s.ow1);
  return s;
}

// Output o in out's memory order; indices (when kept) laid out as il says.
template <typename T, typename I, typename Index>
EMBER_HD_INLINE void max_forward(const T* x, PlaneLayout<Index> xl, T* out, PlaneLayout<Index> ol, I* indices,
                                 PlaneLayout<Index> il, const PoolGeometry& g, Index o) {
  const Index OW = static_cast<Index>(g.OW), out_area = static_cast<Index>(g.OH) * OW;
  const Index H = static_cast<Index>(g.H), W = static_cast<Index>(g.W);
  Index p, q;
  ol.site(o, out_area, p, q);
  const Index oh = q / OW, ow = q % OW;
  Index arg;
  const PoolWindowOf<Index> win = pool_window(g, oh, ow);
  using C = ComputeType<T>;  // 16-bit values compare as floats (exact)
  out[o] = static_cast<T>(window_max(x + xl.at(p, 0, H * W), W, win, -std::numeric_limits<C>::infinity(), arg,
                                     xl.step()));
  if (indices) indices[il.at(p, q, out_area)] = static_cast<I>(saved_pool_index(g, oh, ow, win, arg));
}

// Input element i in gx's memory order gathers the outputs whose winner it is.
template <typename T, typename I, typename Index>
EMBER_HD_INLINE void max_backward(const T* grad, PlaneLayout<Index> gl, const I* indices, PlaneLayout<Index> il, T* gx,
                                  PlaneLayout<Index> xl, const PoolGeometry& g, Index i) {
  const Index OW = static_cast<Index>(g.OW), out_area = static_cast<Index>(g.OH) * OW;
  Index p, self;
  xl.site(i, static_cast<Index>(g.H * g.W), p, self);
  const InputSite<Index> site = input_site(self, g);
  ComputeType<T> sum = 0;  // a 16-bit gradient sums in float and rounds once
  for (Index oh = site.oh0; oh < site.oh1; ++oh)
    for (Index ow = site.ow0; ow < site.ow1; ++ow) {
      const Index q = oh * OW + ow;
      if (window_flat_index(g, oh, ow, static_cast<Index>(indices[il.at(p, q, out_area)])) == self) {
        sum += static_cast<ComputeType<T>>(grad[gl.at(p, q, out_area)]);
      }
    }
  gx[i] = static_cast<T>(sum);
}

template <typename T, typename Index>
EMBER_HD_INLINE void avg_forward(const T* x, PlaneLayout<Index> xl, T* out, PlaneLayout<Index> ol,
                                 const PoolGeometry& g, Index o) {
  const Index OW = static_cast<Index>(g.OW), W = static_cast<Index>(g.W);
  Index p, q;
  ol.site(o, static_cast<Index>(g.OH) * OW, p, q);
  const PoolWindowOf<Index> win = pool_window(g, q / OW, q % OW);
  using C = ComputeType<T>;
  const C sum = average_window_sum(x + xl.at(p, 0, static_cast<Index>(g.H) * W), W, win, xl.step());
  out[o] = static_cast<T>(win.empty() ? C(0) : sum / static_cast<C>(win.divisor));
}

template <typename T, typename Index>
EMBER_HD_INLINE void avg_backward(const T* grad, PlaneLayout<Index> gl, T* gx, PlaneLayout<Index> xl,
                                  const PoolGeometry& g, Index i) {
  const Index OW = static_cast<Index>(g.OW), out_area = static_cast<Index>(g.OH) * OW;
  Index p, q;
  xl.site(i, static_cast<Index>(g.H * g.W), p, q);
  const InputSite<Index> site = input_site(q, g);
  const Index h = site.h, w = site.w;
  using C = ComputeType<T>;
  C sum = 0;
  for (Index oh = site.oh0; oh < site.oh1; ++oh)
    for (Index ow = site.ow0; ow < site.ow1; ++ow) {
      const PoolWindowOf<Index> win = pool_window(g, oh, ow);
      if (h < win.h0 || h >= win.h1 || w < win.w0 || w >= win.w1) continue;
      sum += static_cast<C>(grad[gl.at(p, oh * OW + ow, out_area)]) / static_cast<C>(win.divisor);
    }
  gx[i] = static_cast<T>(sum);
}

}  // namespace ember::cuda_kernels::pool
