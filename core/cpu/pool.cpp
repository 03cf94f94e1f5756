// 2-D max / average / adaptive max and average pooling on the CPU with PyTorch's options
// (Note [Pooling options] in nn/functional/pool.cpp): loops over [H, W] planes, parallel
// over planes, a row's outputs inside the plane in strips (Note [Pooling in strips of
// outputs]). Each output's window comes from pool_window (core/nn_geometry.h),
// shared by forward, backward and the CUDA kernels; max pooling saves window-local
// indices (Note [Compact saved activations] in core/bitmask.h), or flat ones when asked.
// bfloat16 and float16 planes are pooled in float (Note [16-bit pooling] in nn/functional/pool.cpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/bitmask.h"
#include "core/pool_indices.h"
#include "core/pool_sum.h"
#include "core/reduced_float.h"
#include "core/cpu/half_convert.h"
#include "core/cpu/kernels.h"
#include "core/native.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : native::clone(t); }

int64_t plane_grain(int64_t work) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, work)); }

// Runs fn(plane) for every plane in parallel; fn(p) owns output plane p.
template <typename Fn>
void for_planes(int64_t planes, int64_t work_per_plane, const Fn& fn) {
  parallel_for(0, planes, plane_grain(work_per_plane), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) fn(p);
  });
}

// Runs fn(p, src_plane, dst_plane) for every plane p in parallel, src's planes src_size
// values long and dst's dst_size, as ComputeType<T>: the tensors' own planes for float
// types; for 16-bit ones float planes of the thread's, src's widened in bulk (float16 by
// F16C) and dst's rounded once into dst after fn (Note [16-bit pooling] in
// nn/functional/pool.cpp), so the kernels' loops run on float alone.
template <typename T, typename Fn>
void for_planes_in_float(int64_t planes, int64_t src_size, int64_t dst_size, int64_t work_per_plane, const T* src,
                         T* dst, const Fn& fn) {
  using C = ComputeType<T>;
  if constexpr (std::is_same_v<C, T>) {
    for_planes(planes, work_per_plane, [&](int64_t p) { fn(p, src + p * src_size, dst + p * dst_size); });
  } else {
    parallel_for(0, planes, plane_grain(work_per_plane), [&](int64_t lo, int64_t hi) {
      std::vector<C> wide_src(static_cast<size_t>(src_size)), wide_dst(static_cast<size_t>(dst_size));
      for (int64_t p = lo; p < hi; ++p) {
        convert_values(src + p * src_size, wide_src.data(), src_size);
        fn(p, static_cast<const C*>(wide_src.data()), wide_dst.data());
        convert_values(wide_dst.data(), dst + p * dst_size, dst_size);
      }
    });
  }
}

// best/k become v/kv when v wins by pool_takes (core/nn_geometry.h): greater, or NaN
// (the last NaN wins, as in window_max and PyTorch). Selects, not branches, so the
// 2x2 loop compiles to vector compares.
template <typename T>
inline void take_if_greater(T v, int32_t kv, T& best, int32_t& k) {
  const bool take = pool_takes(v, best);
  best = take ? v : best;
  k = take ? kv : k;
}

// One output row of a 2x2 stride-2 max pool: row0 and the row below it (W apart). The
// four values are taken in the general loop's order; the winner's window position
// (0-3, which is its window_local_index) is stored in a second loop.
template <typename T, typename I>
void max_2x2_row(const T* __restrict row0, int64_t W, int64_t OW, T* __restrict out, I* __restrict idx) {
  const T* __restrict row1 = row0 + W;
  constexpr int64_t kStrip = 64;
  int32_t pos[kStrip];
  for (int64_t s0 = 0; s0 < OW; s0 += kStrip) {
    const int64_t n = std::min(kStrip, OW - s0);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t ow = s0 + j;
      T best = row0[2 * ow];
      int32_t k = 0;
      take_if_greater(row0[2 * ow + 1], 1, best, k);
      take_if_greater(row1[2 * ow], 2, best, k);
      take_if_greater(row1[2 * ow + 1], 3, best, k);
      out[ow] = best;
      pos[j] = k;
    }
    if (idx)
      for (int64_t j = 0; j < n; ++j) idx[s0 + j] = static_cast<I>(pos[j]);
  }
}

// Note [Pooling in strips of outputs]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// An output whose window lies inside the plane across (columns ow * SW - PW onwards, KW of
// them, no dilation) reads the same taps as its neighbours, SW columns on. Such outputs of
// a row are taken up to kStrip at a time: each tap of the window, in window_max's and
// average_window_sum's order for narrow windows (the clipped window's rows, then its
// columns), over the whole strip, a loop the compiler vectorises (kSW: the column stride
// when 1 or 2, known when compiled).
// Each output sees its taps in its own order, so values, max pooling's winners (first of
// ties, last NaN) and window-local indices, and average sums are the per-output path's
// bits, which the CUDA threads share (tests/core/test_cuda_threads_on_cpu.cpp). Outputs
// whose windows cross the left or right edge, and rows whose clipped window is empty, take
// the per-output path. max_pool2d(3, 2, 1) of [32, 64, 32, 32]: 7.1 -> 1.9 ms.
constexpr int64_t kStrip = 64;

// The outputs [lo, hi) of a row whose windows lie inside the plane across; empty when none
// does or the pool has dilation, adaptive windows or flat indices.
void outputs_inside_across(const PoolGeometry& g, int64_t& lo, int64_t& hi) {
  lo = hi = 0;
  if (g.adaptive || g.DH != 1 || g.DW != 1 || g.flat_indices || g.W + g.PW < g.KW) return;
  lo = (g.PW + g.SW - 1) / g.SW;
  hi = std::min(g.OW, (g.W + g.PW - g.KW) / g.SW + 1);
  if (hi < lo) hi = lo;
}

// Output row oh: the outputs outside [inside_lo, inside_hi) one at a time, one(ow), in
// order around strips(kSW, lo, hi) for those inside (kSW a std::integral_constant: the
// column stride when 1 or 2, else 0); every output one at a time where the row's clipped
// window is empty.
template <typename One, typename Strips>
void walk_output_row(const PoolGeometry& g, int64_t oh, int64_t inside_lo, int64_t inside_hi, const One& one,
                     const Strips& strips) {
  const PoolWindow rows = pool_window(g, oh, int64_t{0});
  const int64_t lo = rows.h0 < rows.h1 ? inside_lo : 0, hi = rows.h0 < rows.h1 ? inside_hi : 0;
  for (int64_t ow = 0; ow < lo; ++ow) one(ow);
  if (hi > lo) {
    if (g.SW == 2) strips(std::integral_constant<int, 2>{}, lo, hi);
    else if (g.SW == 1) strips(std::integral_constant<int, 1>{}, lo, hi);
    else strips(std::integral_constant<int, 0>{}, lo, hi);
  }
  for (int64_t ow = std::max(lo, hi); ow < g.OW; ++ow) one(ow);
}

// The strips of outputs [ow0, ow1) of row oh: start(s0, n), then for each tap in window
// order tap(the offset in the plane of output s0's value at that tap, the tap's
// window-local index, n), then finish(s0, n).
template <typename Start, typename Tap, typename Finish>
void for_strip_taps(const PoolGeometry& g, int64_t oh, int64_t ow0, int64_t ow1, int64_t SW, const Start& start,
                    const Tap& tap, const Finish& finish) {
  const PoolWindow rows = pool_window(g, oh, ow0);  // h0 and h1 serve every output of the row
  const int64_t h_origin = oh * g.SH - g.PH;
  for (int64_t s0 = ow0; s0 < ow1; s0 += kStrip) {
    const int64_t n = std::min(kStrip, ow1 - s0);
    start(s0, n);
    for (int64_t h = rows.h0; h < rows.h1; ++h)
      for (int64_t kw = 0; kw < g.KW; ++kw)
        tap(h * g.W + s0 * SW - g.PW + kw, static_cast<int32_t>((h - h_origin) * g.KW + kw), n);
    finish(s0, n);
  }
}

// Max pooling's strips: window_max's value and its window-local index (saved_pool_index's),
// starting from its first tap.
template <int kSW, typename T, typename I>
void max_strips(const T* s, const PoolGeometry& g, int64_t oh, int64_t ow0, int64_t ow1, T* out, I* idx) {
  const int64_t SW = kSW > 0 ? kSW : g.SW;
  const int32_t first_tap = static_cast<int32_t>((pool_window(g, oh, ow0).h0 - (oh * g.SH - g.PH)) * g.KW);
  T best[kStrip];
  int32_t pos[kStrip];
  for_strip_taps(
      g, oh, ow0, ow1, SW,
      [&](int64_t, int64_t n) {
        std::fill_n(best, n, -std::numeric_limits<T>::infinity());
        std::fill_n(pos, n, first_tap);
      },
      [&](int64_t at, int32_t k, int64_t n) {
        const T* __restrict v = s + at;
        for (int64_t j = 0; j < n; ++j) take_if_greater(v[j * SW], k, best[j], pos[j]);
      },
      [&](int64_t s0, int64_t n) {
        std::copy_n(best, n, out + s0);
        if (idx)
          for (int64_t j = 0; j < n; ++j) idx[s0 + j] = static_cast<I>(pos[j]);
      });
}

// Average pooling's strips, for windows narrower than average_window_sum's lanes: its
// running sum's adds from 0, and the row's one divisor (inside across, it depends only on
// the row).
template <int kSW, typename T>
void average_strips(const T* s, const PoolGeometry& g, int64_t oh, int64_t ow0, int64_t ow1, T* out) {
  const int64_t SW = kSW > 0 ? kSW : g.SW;
  const T divisor = static_cast<T>(pool_window(g, oh, ow0).divisor);
  T sum[kStrip];
  for_strip_taps(
      g, oh, ow0, ow1, SW, [&](int64_t, int64_t n) { std::fill_n(sum, n, T(0)); },
      [&](int64_t at, int32_t, int64_t n) {
        const T* __restrict v = s + at;
        for (int64_t j = 0; j < n; ++j) sum[j] += v[j * SW];
      },
      [&](int64_t s0, int64_t n) {
        for (int64_t j = 0; j < n; ++j) out[s0 + j] = sum[j] / divisor;
      });
}

// Their backward where windows do not overlap across (SW >= KW): each output's share,
// grad / divisor, added to its window's values; an input value gets at most one share per
// output row, so the sums are the per-output loop's in its order.
template <int kSW, typename T>
void average_strips_backward(const T* grad, const PoolGeometry& g, int64_t oh, int64_t ow0, int64_t ow1, T* d) {
  const int64_t SW = kSW > 0 ? kSW : g.SW;
  const T divisor = static_cast<T>(pool_window(g, oh, ow0).divisor);
  T share[kStrip];
  for_strip_taps(
      g, oh, ow0, ow1, SW,
      [&](int64_t s0, int64_t n) {
        for (int64_t j = 0; j < n; ++j) share[j] = grad[s0 + j] / divisor;
      },
      [&](int64_t at, int32_t, int64_t n) {
        T* __restrict v = d + at;
        for (int64_t j = 0; j < n; ++j) v[j * SW] += share[j];
      },
      [](int64_t, int64_t) {});
}

// For window-local indices of a window pool (not adaptive, not flat): each local index's
// row and column offsets from its window's origin, window_flat_index's k / KW and k % KW
// looked up instead of divided per output. Empty otherwise.
struct LocalOffsets {
  std::vector<int64_t> dh, dw;
  explicit LocalOffsets(const PoolGeometry& g) {
    if (g.adaptive || g.flat_indices) return;
    for (int64_t k = 0; k < g.KH * g.KW; ++k) dh.push_back(k / g.KW * g.DH), dw.push_back(k % g.KW * g.DW);
  }
};

// The backward of a 2x2 stride-2 max pool for one plane: the windows do not overlap, so
// each window's four values are zeroed and its argmax gets the gradient while the
// window is in cache (no separate zero-fill pass); rows and columns no window covers get 0.
template <typename T, typename I>
void unpool_2x2(const T* grad, const I* idx, const PoolGeometry& g, T* d) {
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    T* row0 = d + 2 * oh * g.W;  // the argmax write below lands in these rows: no __restrict
    T* row1 = row0 + g.W;
    for (int64_t ow = 0; ow < g.OW; ++ow) {  // zeros, then the gradient at the argmax: no branch
      row0[2 * ow] = row0[2 * ow + 1] = row1[2 * ow] = row1[2 * ow + 1] = T(0);
      const int64_t k = idx[oh * g.OW + ow];
      // 0 + grad, as the general loop's accumulation gives (-0 becomes +0, as in PyTorch)
      row0[2 * ow + (k & 1) + (-(k >> 1) & g.W)] = T(0) + grad[oh * g.OW + ow];
    }
    std::fill(row0 + 2 * g.OW, row0 + g.W, T(0));
    std::fill(row1 + 2 * g.OW, row1 + g.W, T(0));
  }
  std::fill(d + 2 * g.OH * g.W, d + g.H * g.W, T(0));
}

}  // namespace

void max_pool2d_forward(const Tensor& x_in, const PoolGeometry& g, const Tensor& out, const Tensor& indices) {
  const Tensor x = contiguous(x_in);
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
  visit_pool_indices(indices, [&](auto* idx) {
    using I = std::remove_pointer_t<decltype(idx)>;
    visit_floating_or_reduced(x.dtype(), "max_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      // The CNN case (2x2 windows, stride 2, no padding): every window lies inside the
      // plane, so its four values are read directly, in the same order as below.
      const bool two_by_two = is_two_by_two_pool(g);
      int64_t inside_lo, inside_hi;
      outputs_inside_across(g, inside_lo, inside_hi);
      for_planes_in_float(g.planes, in_plane, out_plane, in_plane, static_cast<const T*>(x.data_ptr()),
                          static_cast<T*>(out.data_ptr()), [&](int64_t p, const C* s, C* dst) {
        I* plane_idx = idx ? idx + p * out_plane : nullptr;
        if (two_by_two) {
          for (int64_t oh = 0; oh < g.OH; ++oh)
            max_2x2_row(s + 2 * oh * g.W, g.W, g.OW, dst + oh * g.OW, plane_idx ? plane_idx + oh * g.OW : nullptr);
          return;
        }
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          C* out_row = dst + oh * g.OW;
          I* idx_row = plane_idx ? plane_idx + oh * g.OW : nullptr;
          walk_output_row(
              g, oh, inside_lo, inside_hi,
              [&](int64_t ow) {
                int64_t arg;
                const PoolWindow win = pool_window(g, oh, ow);
                out_row[ow] = window_max(s, g.W, win, -std::numeric_limits<C>::infinity(), arg);
                if (idx_row) idx_row[ow] = static_cast<I>(saved_pool_index(g, oh, ow, win, arg));
              },
              [&](auto sw, int64_t lo, int64_t hi) {
                max_strips<decltype(sw)::value>(s, g, oh, lo, hi, out_row, idx_row);
              });
        }
      });
    });
  });
}

void max_pool2d_backward(const Tensor& grad_in, const Tensor& indices, const PoolGeometry& g, const Tensor& gx) {
  const Tensor grad = contiguous(grad_in);
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW, planes = g.planes;
  visit_pool_indices(indices, [&](const auto* idx) {
    visit_floating_or_reduced(grad.dtype(), "max_pool2d backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const bool two_by_two = is_two_by_two_pool(g);
      const LocalOffsets local(g);
      for_planes_in_float(planes, out_plane, in_plane, in_plane + out_plane, static_cast<const T*>(grad.data_ptr()),
                          static_cast<T*>(gx.data_ptr()), [&](int64_t p, const C* src, C* d) {
        const auto* plane_idx = idx + p * out_plane;
        if (two_by_two) return unpool_2x2(src, plane_idx, g, d);
        std::fill(d, d + in_plane, C(0));
        if (!local.dh.empty()) {  // window_flat_index by the table: the same positions, in the same order
          for (int64_t oh = 0; oh < g.OH; ++oh)
            for (int64_t ow = 0; ow < g.OW; ++ow) {
              const int64_t o = oh * g.OW + ow;
              const size_t k = static_cast<size_t>(plane_idx[o]);
              const int64_t h = oh * g.SH - g.PH + local.dh[k], w = ow * g.SW - g.PW + local.dw[k];
              if (h >= 0 && h < g.H && w >= 0 && w < g.W) d[h * g.W + w] += src[o];
            }
          return;
        }
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t o = oh * g.OW + ow;
            const int64_t at = window_flat_index<int64_t>(g, oh, ow, static_cast<int64_t>(plane_idx[o]));
            if (at >= 0) d[at] += src[o];  // -1: a dilated window outside the plane
          }
      });
    });
  });
}

void avg_pool2d_forward(const Tensor& x_in, const PoolGeometry& g, const Tensor& out) {
  const Tensor x = contiguous(x_in);
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
  visit_floating_or_reduced(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    int64_t inside_lo, inside_hi;
    outputs_inside_across(g, inside_lo, inside_hi);
    if (g.KW >= kWideWindowRow) inside_lo = inside_hi = 0;  // average_window_sum's lanes, per output
    for_planes_in_float(g.planes, in_plane, out_plane, in_plane, static_cast<const T*>(x.data_ptr()),
                        static_cast<T*>(out.data_ptr()), [&](int64_t, const C* s, C* dst) {
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        C* out_row = dst + oh * g.OW;
        walk_output_row(
            g, oh, inside_lo, inside_hi,
            [&](int64_t ow) {
              const PoolWindow win = pool_window(g, oh, ow);
              const C sum = average_window_sum(s, g.W, win);
              out_row[ow] = win.empty() ? C(0) : sum / static_cast<C>(win.divisor);
            },
            [&](auto sw, int64_t lo, int64_t hi) { average_strips<decltype(sw)::value>(s, g, oh, lo, hi, out_row); });
      }
    });
  });
}

void avg_pool2d_backward(const Tensor& grad_in, const PoolGeometry& g, const Tensor& gx) {
  const Tensor grad = contiguous(grad_in);
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
  visit_floating_or_reduced(grad.dtype(), "avg_pool2d backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    int64_t inside_lo, inside_hi;
    outputs_inside_across(g, inside_lo, inside_hi);
    if (g.SW < g.KW) inside_lo = inside_hi = 0;  // overlapping windows: the per-output order
    for_planes_in_float(g.planes, out_plane, in_plane, in_plane + out_plane, static_cast<const T*>(grad.data_ptr()),
                        static_cast<T*>(gx.data_ptr()), [&](int64_t, const C* src, C* d) {
      std::fill(d, d + in_plane, C(0));
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const C* grad_row = src + oh * g.OW;
        walk_output_row(
            g, oh, inside_lo, inside_hi,
            [&](int64_t ow) {
              const PoolWindow win = pool_window(g, oh, ow);
              if (win.empty()) return;
              const C share = grad_row[ow] / static_cast<C>(win.divisor);
              for (int64_t h = win.h0; h < win.h1; ++h)
                for (int64_t w = win.w0; w < win.w1; ++w) d[h * g.W + w] += share;
            },
            [&](auto sw, int64_t lo, int64_t hi) {
              average_strips_backward<decltype(sw)::value>(grad_row, g, oh, lo, hi, d);
            });
      }
    });
  });
}

}  // namespace ember::cpu
