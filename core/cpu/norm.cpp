// Fused CPU layer norm and group norm over x seen as M rows of K values (RowNormGeometry):
// statistics and output, or the input gradient, one row at a time in parallel over rows;
// the weight and bias gradients in parallel over parameters, rows walked in tiles so that a
// tile's values stay in cache for the next parameters. Math: core/row_norm_math.h.
#include <algorithm>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/kernel_data.h"
#include "core/parallel.h"
#include "core/row_norm_math.h"

namespace ember::cpu {
namespace {

using row_norm::Acc;
using row_norm::Stat;
using row_norm::Sums;

using kernel_data::cdata;
using kernel_data::mdata;

// A whole row's sums of terms(k) in kSumLanes interleaved lanes (lane l: k = l, l + L, ...),
// joined in lane order: independent chains the core overlaps, where row_norm's one-share
// loops (the CUDA threads' shares) wait on every add. Fixed order, so fixed results.
constexpr int kSumLanes = 4;
template <typename A, typename Terms>
Sums<A> row_sums_in_lanes(int64_t K, const Terms& terms) {
  Sums<A> lanes[kSumLanes];
  int64_t k = 0;
  for (; k + kSumLanes <= K; k += kSumLanes) {
    for (int l = 0; l < kSumLanes; ++l) {
      const Sums<A> t = terms(k + l);
      lanes[l].a += t.a;
      lanes[l].b += t.b;
    }
  }
  Sums<A> s;
  for (const Sums<A>& lane : lanes) s.a += lane.a, s.b += lane.b;
  for (; k < K; ++k) {
    const Sums<A> t = terms(k);
    s.a += t.a;
    s.b += t.b;
  }
  return s;
}

// normalize_row for a row whose value k has parameter k (layer norm's rows: one group, one
// value per parameter), with the weight's and bias's presence fixed: a loop the compiler
// vectorises, where normalize_row's per-value parameter lookup keeps it scalar.
template <bool kWeight, bool kBias, typename T, typename A>
void normalize_row_per_value(const T* __restrict x, const T* __restrict w, const T* __restrict b, int64_t K, A mean,
                             A rstd, T* __restrict out) {
  for (int64_t k = 0; k < K; ++k)
    out[k] = row_norm::normalized(x[k], mean, rstd, kWeight ? static_cast<A>(w[k]) : A(1),
                                  kBias ? static_cast<A>(b[k]) : A(0));
}

template <typename T, typename A>
void normalize(const T* x, const T* w, const T* b, const RowNormGeometry& g, int64_t r, A mean, A rstd, T* out) {
  if (g.G != 1 || g.S != 1) return row_norm::normalize_row(x, w, b, g, r, mean, rstd, out, 0, 1);
  if (w && b) return normalize_row_per_value<true, true>(x, w, b, g.K, mean, rstd, out);
  if (w) return normalize_row_per_value<true, false>(x, w, b, g.K, mean, rstd, out);
  if (b) return normalize_row_per_value<false, true>(x, w, b, g.K, mean, rstd, out);
  normalize_row_per_value<false, false>(x, w, b, g.K, mean, rstd, out);
}

int64_t rows_grain(const RowNormGeometry& g, int64_t passes) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, g.K * passes));
}

template <typename T>
void forward(const T* x, const T* w, const T* b, const RowNormGeometry& g, double eps, T* out, Stat<T>* mean,
             Stat<T>* rstd) {
  using A = Acc<T>;
  parallel_for(0, g.M, rows_grain(g, 2), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* xr = x + r * g.K;
      const A shift = row_norm::row_shift(xr, g.K);
      A m, rs;
      const Sums<A> sums = row_sums_in_lanes<A>(g.K, [&](int64_t k) { return row_norm::moment_terms(xr, k, shift); });
      row_norm::stats_of(sums, g.K, shift, eps, m, rs);
      if (mean) mean[r] = static_cast<Stat<T>>(m), rstd[r] = static_cast<Stat<T>>(rs);
      normalize(xr, w, b, g, r, m, rs, out + r * g.K);
    }
  });
}

template <typename T>
void grad_input(const T* grad, const T* x, const Stat<T>* mean, const Stat<T>* rstd, const T* w,
                const RowNormGeometry& g, T* gx) {
  using A = Acc<T>;
  parallel_for(0, g.M, rows_grain(g, 2), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* gr = grad + r * g.K;
      const T* xr = x + r * g.K;
      const A m = static_cast<A>(mean[r]), rs = static_cast<A>(rstd[r]);
      const Sums<A> sums =
          row_sums_in_lanes<A>(g.K, [&](int64_t k) { return row_norm::grad_terms(gr, xr, w, g, r, m, k); });
      row_norm::grad_input_row(gr, xr, w, g, r, m, rs, sums, gx + r * g.K, 0, 1);
    }
  });
}

constexpr int64_t kRowTile = 64;

template <typename T>
void grad_params(const T* grad, const T* x, const Stat<T>* mean, const Stat<T>* rstd, const RowNormGeometry& g, T* gw,
                 T* gb) {
  using A = Acc<T>;
  const int64_t P = g.params(), images = g.G > 0 ? g.M / g.G : 0;
  const int64_t per_param = std::max<int64_t>(1, images * g.S);
  parallel_for(0, P, std::max<int64_t>(1, kParallelGrain / per_param), [&](int64_t lo, int64_t hi) {
    std::vector<Sums<A>> sums(static_cast<size_t>(hi - lo));
    for (int64_t n0 = 0; n0 < images; n0 += kRowTile) {
      const int64_t n1 = std::min(images, n0 + kRowTile);
      for (int64_t p = lo; p < hi; ++p) {
        const Sums<A> s = row_norm::param_sums(grad, x, mean, rstd, g, p, n0, n1, 1);
        sums[static_cast<size_t>(p - lo)].a += s.a;
        sums[static_cast<size_t>(p - lo)].b += s.b;
      }
    }
    for (int64_t p = lo; p < hi; ++p) {
      if (gw) gw[p] = static_cast<T>(sums[static_cast<size_t>(p - lo)].a);
      if (gb) gb[p] = static_cast<T>(sums[static_cast<size_t>(p - lo)].b);
    }
  });
}

}  // namespace

void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps,
                      const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  visit_floating_or_bf16(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    forward(cdata<T>(x), cdata<T>(weight), cdata<T>(bias), g, eps, mdata<T>(out), mdata<Stat<T>>(mean),
            mdata<Stat<T>>(rstd));
  });
}

void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                       const RowNormGeometry& g, const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b) {
  visit_floating_or_bf16(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (grad_x.defined())
      grad_input(cdata<T>(grad), cdata<T>(x), cdata<Stat<T>>(mean), cdata<Stat<T>>(rstd), cdata<T>(weight), g,
                 mdata<T>(grad_x));
    if (grad_w.defined() || grad_b.defined())
      grad_params(cdata<T>(grad), cdata<T>(x), cdata<Stat<T>>(mean), cdata<Stat<T>>(rstd), g, mdata<T>(grad_w),
                  mdata<T>(grad_b));
  });
}

}  // namespace ember::cpu
