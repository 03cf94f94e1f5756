// Fused CPU layer norm and group norm over x seen as M rows of K values (RowNormGeometry):
// statistics and output, or the input gradient, one row at a time in parallel over rows;
// the weight and bias gradients in parallel over parameters, rows walked in tiles so that a
// tile's values stay in cache for the next parameters. Math: core/row_norm_math.h.
#include <algorithm>
#include <vector>

#include "core/cpu/avx2_clones.h"
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
// Inlined always, so it runs in its caller's clone (Note [AVX2 clones]).
template <typename A, typename Terms>
[[gnu::always_inline]] inline Sums<A> row_sums_in_lanes(int64_t K, const Terms& terms) {
  A lanes_a[kSumLanes] = {}, lanes_b[kSumLanes] = {};  // apart, each a vector of lanes
  int64_t k = 0;
  for (; k + kSumLanes <= K; k += kSumLanes) {
    for (int l = 0; l < kSumLanes; ++l) {
      const Sums<A> t = terms(k + l);
      lanes_a[l] += t.a;
      lanes_b[l] += t.b;
    }
  }
  Sums<A> s;
  for (int l = 0; l < kSumLanes; ++l) s.a += lanes_a[l], s.b += lanes_b[l];
  for (; k < K; ++k) {
    const Sums<A> t = terms(k);
    s.a += t.a;
    s.b += t.b;
  }
  return s;
}

// Note [Row norm loops on the CPU]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// row_norm's share loops find each value's parameter with param_of (a division per value)
// and keep the compiler from vectorising. The CPU walks whole rows with each value's weight
// and bias at hand instead: layer norm's (S == 1) are the parameters' own from the row's
// group on; group norm's (S > 1) rows are walked plane by plane, S values with one channel's
// weight and bias (forward_planes; the backward: Note [Group norm's backward by planes]).
// The arithmetic per value is row_norm's (normalized, grad_terms' products,
// grad_input_row's formula), sums joined in row_sums_in_lanes' order. Layer norm's parameter
// gradients walk a tile of rows for a block of parameters, along the parameters within a
// row (param_sums' terms in its order, over contiguous values).
// Each per-row function has AVX2 clones (Note [AVX2 clones]).

// Row r's parameters from its group's first channel on, or null for none: one per value
// where S == 1 (layer norm), one per plane of S values where S > 1 (group norm).
template <typename T>
const T* row_params(const T* params, const RowNormGeometry& g, int64_t r) {
  return params ? params + (g.G == 1 ? 0 : (r % g.G) * g.D) : nullptr;
}

// A row's mean and rstd from its moment sums in lanes. Inlined always, so it runs in its
// caller's clone (Note [AVX2 clones]).
template <typename T, typename A>
[[gnu::always_inline]] inline void row_statistics(const T* x, int64_t K, double eps, A& mean, A& rstd) {
  const A shift = row_norm::row_shift(x, K);
  const Sums<A> sums = row_sums_in_lanes<A>(K, [&](int64_t k) { return row_norm::moment_terms(x, k, shift); });
  row_norm::stats_of(sums, K, shift, eps, mean, rstd);
}

// One layer-norm row's forward: its statistics, and normalize_row over values whose weight
// and bias are w[k] and b[k], their presence fixed.
template <bool kWeight, bool kBias, typename T, typename A>
EMBER_AVX2_CLONES void forward_row(const T* __restrict x, const T* __restrict w, const T* __restrict b, int64_t K,
                                   double eps, T* __restrict out, A& mean, A& rstd) {
  row_statistics(x, K, eps, mean, rstd);
  for (int64_t k = 0; k < K; ++k)
    out[k] = row_norm::normalized(x[k], mean, rstd, kWeight ? static_cast<A>(w[k]) : A(1),
                                  kBias ? static_cast<A>(b[k]) : A(0));
}

template <typename T, typename A>
void forward_row(const T* x, const T* w, const T* b, int64_t K, double eps, T* out, A& mean, A& rstd) {
  if (w && b) return forward_row<true, true>(x, w, b, K, eps, out, mean, rstd);
  if (w) return forward_row<true, false>(x, w, b, K, eps, out, mean, rstd);
  if (b) return forward_row<false, true>(x, w, b, K, eps, out, mean, rstd);
  forward_row<false, false>(x, w, b, K, eps, out, mean, rstd);
}

// grad_input_row over a row whose value k has weight w[k] (1 without weights): the row's
// sums of grad_terms, then each value's gradient.
template <bool kWeight, typename T, typename A>
EMBER_AVX2_CLONES void grad_input_per_value(const T* __restrict grad, const T* __restrict x, const T* __restrict w,
                                            int64_t K, A mean, A rstd, T* __restrict gx) {
  const auto gw_at = [&](int64_t k) { return static_cast<A>(grad[k]) * (kWeight ? static_cast<A>(w[k]) : A(1)); };
  const Sums<A> sums = row_sums_in_lanes<A>(K, [&](int64_t k) {
    const A gw = gw_at(k);
    return Sums<A>{gw, gw * (static_cast<A>(x[k]) - mean)};
  });
  const A mean_gw = K > 0 ? sums.a / static_cast<A>(K) : A(0);
  const A coef = K > 0 ? sums.b / static_cast<A>(K) * rstd * rstd : A(0);  // multiplies (x - mean)
  for (int64_t k = 0; k < K; ++k)
    gx[k] = static_cast<T>(rstd * (gw_at(k) - mean_gw - (static_cast<A>(x[k]) - mean) * coef));
}

int64_t rows_grain(const RowNormGeometry& g, int64_t passes) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, g.K * passes));
}

// One group-norm row's forward (S > 1): its statistics as forward_row's, then each of its D
// planes of S values normalized with that channel's weight and bias (normalized's
// arithmetic, so the values forward_row would give with the parameters spread per value).
template <typename T, typename A>
EMBER_AVX2_CLONES void forward_planes(const T* __restrict x, const T* __restrict w, const T* __restrict b, int64_t D,
                                      int64_t S, double eps, T* __restrict out, A& mean, A& rstd) {
  row_statistics(x, D * S, eps, mean, rstd);
  for (int64_t d = 0; d < D; ++d) {
    const A wd = w ? static_cast<A>(w[d]) : A(1), bd = b ? static_cast<A>(b[d]) : A(0);
    const T* xd = x + d * S;
    T* od = out + d * S;
    for (int64_t i = 0; i < S; ++i) od[i] = row_norm::normalized(xd[i], mean, rstd, wd, bd);
  }
}

template <typename T>
void forward(const T* x, const T* w, const T* b, const RowNormGeometry& g, double eps, T* out, Stat<T>* mean,
             Stat<T>* rstd) {
  using A = Acc<T>;
  parallel_for(0, g.M, rows_grain(g, 2), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      A m, rs;
      const T *wr = row_params(w, g, r), *br = row_params(b, g, r);
      if (g.S > 1) forward_planes(x + r * g.K, wr, br, g.D, g.S, eps, out + r * g.K, m, rs);
      else forward_row(x + r * g.K, wr, br, g.K, eps, out + r * g.K, m, rs);
      if (mean) mean[r] = static_cast<Stat<T>>(m), rstd[r] = static_cast<Stat<T>>(rs);
    }
  });
}

// Layer norm's input gradient (S == 1; group norm's is backward_by_planes).
template <typename T>
void grad_input(const T* grad, const T* x, const Stat<T>* mean, const Stat<T>* rstd, const T* w,
                const RowNormGeometry& g, T* gx) {
  using A = Acc<T>;
  parallel_for(0, g.M, rows_grain(g, 2), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const A m = static_cast<A>(mean[r]), rs = static_cast<A>(rstd[r]);
      const T* wr = row_params(w, g, r);
      const int64_t at = r * g.K;
      if (wr) grad_input_per_value<true>(grad + at, x + at, wr, g.K, m, rs, gx + at);
      else grad_input_per_value<false>(grad + at, x + at, wr, g.K, m, rs, gx + at);
    }
  });
}

constexpr int64_t kRowTile = 64;

// Layer norm's param_sums terms of one row for parameters [0, P) of a block: g xhat, g.
template <typename T, typename A>
EMBER_AVX2_CLONES void add_param_terms(const T* __restrict grad, const T* __restrict x, A mean, A rstd, int64_t P,
                                       A* __restrict tile_a, A* __restrict tile_b) {
  for (int64_t i = 0; i < P; ++i) {
    const A gv = static_cast<A>(grad[i]);
    tile_a[i] += gv * (static_cast<A>(x[i]) - mean) * rstd;
    tile_b[i] += gv;
  }
}

template <typename T>
void grad_params(const T* grad, const T* x, const Stat<T>* mean, const Stat<T>* rstd, const RowNormGeometry& g, T* gw,
                 T* gb) {
  using A = Acc<T>;
  const int64_t P = g.params(), images = g.G > 0 ? g.M / g.G : 0;
  const int64_t per_param = std::max<int64_t>(1, images * g.S);
  const bool along_params = g.S == 1 && g.G == 1;  // layer norm: row n's value p is parameter p's
  parallel_for(0, P, std::max<int64_t>(1, kParallelGrain / per_param), [&](int64_t lo, int64_t hi) {
    const size_t block = static_cast<size_t>(hi - lo);
    std::vector<Sums<A>> sums(block);
    std::vector<A> tile_a(along_params ? block : 0), tile_b(tile_a.size());
    for (int64_t n0 = 0; n0 < images; n0 += kRowTile) {
      const int64_t n1 = std::min(images, n0 + kRowTile);
      if (along_params) {  // param_sums' terms and order, the parameters the inner loop
        std::fill(tile_a.begin(), tile_a.end(), A(0));
        std::fill(tile_b.begin(), tile_b.end(), A(0));
        for (int64_t n = n0; n < n1; ++n)
          add_param_terms(grad + n * g.K + lo, x + n * g.K + lo, static_cast<A>(mean[n]), static_cast<A>(rstd[n]),
                          hi - lo, tile_a.data(), tile_b.data());
        for (size_t i = 0; i < block; ++i) sums[i].a += tile_a[i], sums[i].b += tile_b[i];
        continue;
      }
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

// Note [Group norm's backward by planes]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// With S > 1 every sum the backward needs comes from two per-plane sums, plane (n, c) being
// its S values of row r = n * G + c / D: dd = Σ g (x - mean_r) and db = Σ g, each in
// row_sums_in_lanes' order. The weight's gradient is Σ_n dd * rstd_r, the bias's Σ_n db, in
// tiles of kRowTile images as the layer-norm walk, and the input gradient's row sums are
// Σ_c w_c db and Σ_c w_c dd over the row's D planes (what grad_terms sum value by value, in
// another order). So g and x are read twice (the plane sums, then the input gradient) where
// a per-parameter walk and per-row sums read them three times, and no weight is spread per
// value: bench_cnn_layers' group_norm of [32, 64, 32, 32] in 8 groups, forward + backward,
// 2.24 -> 1.01 ms on the 2-core VM (PyTorch 1.13: 0.80).
template <typename T, typename A>
EMBER_AVX2_CLONES Sums<A> plane_sums(const T* __restrict grad, const T* __restrict x, int64_t S, A mean) {
  return row_sums_in_lanes<A>(S, [&](int64_t i) {
    const A gv = static_cast<A>(grad[i]);
    return Sums<A>{gv * (static_cast<A>(x[i]) - mean), gv};
  });
}

// One plane's input gradient: rstd (g w - mean_gw - (x - mean) coef), grad_input_row's formula.
template <typename T, typename A>
EMBER_AVX2_CLONES void plane_grad_input(const T* __restrict grad, const T* __restrict x, int64_t S, A w, A mean,
                                        A rstd, A mean_gw, A coef, T* __restrict gx) {
  for (int64_t i = 0; i < S; ++i)
    gx[i] = static_cast<T>(rstd * (static_cast<A>(grad[i]) * w - mean_gw - (static_cast<A>(x[i]) - mean) * coef));
}

template <typename T>
void backward_by_planes(const T* grad, const T* x, const Stat<T>* mean, const Stat<T>* rstd, const T* w,
                        const RowNormGeometry& g, T* gx, T* gw, T* gb) {
  using A = Acc<T>;
  const int64_t C = g.params(), images = g.G > 0 ? g.M / g.G : 0, planes = images * C;
  std::vector<Sums<A>> sums(static_cast<size_t>(planes));  // plane n * C + c: {dd, db}
  const int64_t plane_grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, g.S));
  parallel_for(0, planes, plane_grain, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const int64_t r = (p / C) * g.G + (p % C) / g.D;  // image p / C, channel p % C
      sums[static_cast<size_t>(p)] = plane_sums(grad + p * g.S, x + p * g.S, g.S, static_cast<A>(mean[r]));
    }
  });
  if (gw || gb) {
    const int64_t channel_grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, images));
    parallel_for(0, C, channel_grain, [&](int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; ++c) {
        Sums<A> total;
        for (int64_t n0 = 0; n0 < images; n0 += kRowTile) {
          Sums<A> tile;
          for (int64_t n = n0; n < std::min(images, n0 + kRowTile); ++n) {
            const Sums<A>& plane = sums[static_cast<size_t>(n * C + c)];
            tile.a += plane.a * static_cast<A>(rstd[n * g.G + c / g.D]);
            tile.b += plane.b;
          }
          total.a += tile.a;
          total.b += tile.b;
        }
        if (gw) gw[c] = static_cast<T>(total.a);
        if (gb) gb[c] = static_cast<T>(total.b);
      }
    });
  }
  if (!gx) return;
  parallel_for(0, g.M, rows_grain(g, 2), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t n = r / g.G, first = (r % g.G) * g.D;  // the row's first channel
      Sums<A> row;  // Σ g w and Σ g w (x - mean) over the row
      for (int64_t d = 0; d < g.D; ++d) {
        const Sums<A>& plane = sums[static_cast<size_t>(n * C + first + d)];
        const A wd = w ? static_cast<A>(w[first + d]) : A(1);
        row.a += wd * plane.b;
        row.b += wd * plane.a;
      }
      const A m = static_cast<A>(mean[r]), rs = static_cast<A>(rstd[r]);
      const A mean_gw = g.K > 0 ? row.a / static_cast<A>(g.K) : A(0);
      const A coef = g.K > 0 ? row.b / static_cast<A>(g.K) * rs * rs : A(0);  // multiplies (x - mean)
      for (int64_t d = 0; d < g.D; ++d) {
        const int64_t at = r * g.K + d * g.S;
        plane_grad_input(grad + at, x + at, g.S, w ? static_cast<A>(w[first + d]) : A(1), m, rs, mean_gw, coef,
                         gx + at);
      }
    }
  });
}

}  // namespace

void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps,
                      const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  visit_floating_or_reduced(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    forward(cdata<T>(x), cdata<T>(weight), cdata<T>(bias), g, eps, mdata<T>(out), mdata<Stat<T>>(mean),
            mdata<Stat<T>>(rstd));
  });
}

void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                       const RowNormGeometry& g, const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b) {
  visit_floating_or_reduced(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (g.S > 1) {  // Note [Group norm's backward by planes]
      return backward_by_planes(cdata<T>(grad), cdata<T>(x), cdata<Stat<T>>(mean), cdata<Stat<T>>(rstd),
                                cdata<T>(weight), g, mdata<T>(grad_x), mdata<T>(grad_w), mdata<T>(grad_b));
    }
    if (grad_x.defined())
      grad_input(cdata<T>(grad), cdata<T>(x), cdata<Stat<T>>(mean), cdata<Stat<T>>(rstd), cdata<T>(weight), g,
                 mdata<T>(grad_x));
    if (grad_w.defined() || grad_b.defined())
      grad_params(cdata<T>(grad), cdata<T>(x), cdata<Stat<T>>(mean), cdata<Stat<T>>(rstd), g, mdata<T>(grad_w),
                  mdata<T>(grad_b));
  });
}

}  // namespace ember::cpu
