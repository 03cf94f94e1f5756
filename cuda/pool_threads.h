// What one thread of each CUDA pooling kernel (cuda/pool.cu) does, as EMBER_HD functions
// of its thread's element: the kernels launch a thread per element and call these, and
// tests/core/test_cuda_threads_on_cpu.cpp calls them for every element on the CPU, so
// the kernels' index math (both layouts, the backward gather) is checked in every CI run.
#pragma once
#include <cstdint>
#include <limits>

#include "core/bitmask.h"
#include "core/macros.h"
#include "core/memory_format.h"
#include "core/nn_geometry.h"
#include "core/tensor.h"

namespace ember::cuda_kernels::pool {

// The outputs [lo, hi) along one axis whose windows may cover input position i
// (a superset for the adaptive rule's rounding; callers check with pool_window).
EMBER_HD_INLINE void outputs_over(int64_t i, int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad,
                                  bool adaptive, int64_t& lo, int64_t& hi) {
  if (adaptive) {
    lo = i * out / in;
    hi = ((i + 1) * out + in - 1) / in;
  } else {
    const int64_t first = i + pad - k;  // outputs with o * stride > first
    lo = first < 0 ? 0 : first / stride + 1;
    hi = (i + pad) / stride + 1;
  }
  lo = lo < 0 ? 0 : lo;
  hi = hi > out ? out : hi;
}

// How one operand lies in memory: NCHW planes ([planes, area] row-major), or channels-last
// ([N, area, C], plane p = n * C + c). Each kernel walks its thread's tensor in memory
// order, so neighbouring threads touch neighbouring addresses in either layout.
struct PlaneLayout {
  int64_t C = 1;  // channels, when channels_last
  bool channels_last = false;

  // Element i (memory order) of a tensor with `area` positions per plane: plane p, position q.
  EMBER_HD_INLINE void site(int64_t i, int64_t area, int64_t& p, int64_t& q) const {
    if (!channels_last) {
      p = i / area, q = i % area;
      return;
    }
    const int64_t rest = i / C;
    q = rest % area, p = rest / area * C + i % C;
  }
  // The offset of position q of plane p.
  EMBER_HD_INLINE int64_t at(int64_t p, int64_t q, int64_t area) const {
    return channels_last ? ((p / C) * area + q) * C + p % C : p * area + q;
  }
  EMBER_HD_INLINE int64_t step() const { return channels_last ? C : 1; }
};

// A pooling operand's layout: row-major (3-D, or 4-D NCHW), else dense channels-last.
inline PlaneLayout layout_of(const Tensor& t) {
  if (t.is_contiguous()) return {};
  EMBER_INTERNAL_ASSERT(t.dim() == 4 && t.is_contiguous(MemoryFormat::ChannelsLast),
                        "CUDA pooling: expected an NCHW or channels-last dense operand, got strides ", t.strides());
  return {t.size(1), true};
}

// Input position (h, w) of a plane: the outputs [oh0, oh1) x [ow0, ow1) whose windows may
// cover it (the backward kernels' gather range).
struct InputSite {
  int64_t h, w, oh0, oh1, ow0, ow1;
};

EMBER_HD_INLINE InputSite input_site(int64_t q, const PoolGeometry& g) {
  InputSite s{};
  s.w = q % g.W, s.h = q / g.W;
  outputs_over(s.h, g.H, g.OH, g.KH, g.SH, g.PH, g.adaptive, s.oh0, s.oh1);
  outputs_over(s.w, g.W, g.OW, g.KW, g.SW, g.PW, g.adaptive, s.ow0, s.ow1);
  return s;
}

// Output o in out's memory order; indices (when kept) laid out as il says.
template <typename T, typename I>
EMBER_HD_INLINE void max_forward(const T* x, PlaneLayout xl, T* out, PlaneLayout ol, I* indices, PlaneLayout il,
                                 const PoolGeometry& g, int64_t o) {
  const int64_t out_area = g.OH * g.OW;
  int64_t p, q;
  ol.site(o, out_area, p, q);
  const int64_t oh = q / g.OW, ow = q % g.OW;
  int64_t arg;
  out[o] = window_max(x + xl.at(p, 0, g.H * g.W), g.W, pool_window(g, oh, ow), -std::numeric_limits<T>::infinity(),
                      arg, xl.step());
  if (indices) indices[il.at(p, q, out_area)] = static_cast<I>(window_local_index(g, oh, ow, arg));
}

// Input element i in gx's memory order gathers the outputs whose winner it is.
template <typename T, typename I>
EMBER_HD_INLINE void max_backward(const T* grad, PlaneLayout gl, const I* indices, PlaneLayout il, T* gx,
                                  PlaneLayout xl, const PoolGeometry& g, int64_t i) {
  const int64_t out_area = g.OH * g.OW;
  int64_t p, self;
  xl.site(i, g.H * g.W, p, self);
  const InputSite site = input_site(self, g);
  T sum = 0;
  for (int64_t oh = site.oh0; oh < site.oh1; ++oh)
    for (int64_t ow = site.ow0; ow < site.ow1; ++ow) {
      const int64_t q = oh * g.OW + ow;
      if (window_flat_index(g, oh, ow, indices[il.at(p, q, out_area)]) == self) sum += grad[gl.at(p, q, out_area)];
    }
  gx[i] = sum;
}

template <typename T>
EMBER_HD_INLINE void avg_forward(const T* x, PlaneLayout xl, T* out, PlaneLayout ol, const PoolGeometry& g,
                                 int64_t o) {
  int64_t p, q;
  ol.site(o, g.OH * g.OW, p, q);
  const PoolWindow win = pool_window(g, q / g.OW, q % g.OW);
  const T sum = window_sum(x + xl.at(p, 0, g.H * g.W), g.W, win, xl.step());
  out[o] = win.divisor > 0 ? sum / static_cast<T>(win.divisor) : T(0);
}

template <typename T>
EMBER_HD_INLINE void avg_backward(const T* grad, PlaneLayout gl, T* gx, PlaneLayout xl, const PoolGeometry& g,
                                  int64_t i) {
  int64_t p, q;
  xl.site(i, g.H * g.W, p, q);
  const InputSite site = input_site(q, g);
  const int64_t h = site.h, w = site.w;
  T sum = 0;
  for (int64_t oh = site.oh0; oh < site.oh1; ++oh)
    for (int64_t ow = site.ow0; ow < site.ow1; ++ow) {
      const PoolWindow win = pool_window(g, oh, ow);
      if (win.divisor <= 0 || h < win.h0 || h >= win.h1 || w < win.w0 || w >= win.w1) continue;
      sum += grad[gl.at(p, oh * g.OW + ow, g.OH * g.OW)] / static_cast<T>(win.divisor);
    }
  gx[i] = sum;
}

}  // namespace ember::cuda_kernels::pool
