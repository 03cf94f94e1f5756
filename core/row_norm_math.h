// Layer norm's and group norm's per-row math over RowNormGeometry (core/nn_geometry.h),
// shared by the CPU kernels (core/cpu/norm.cpp) and the CUDA threads (cuda/norm.cu): each
// function takes a share of a row (values begin, begin + step, ...), so one call covers a
// CPU row and one call per thread covers a CUDA row. Sums in Acc (double; float for bf16 and float16).
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/reduced_float.h"
#include "core/macros.h"
#include "core/nn_geometry.h"

namespace ember::row_norm {

// The accumulation type, and the type of the mean/rstd tensors: float32 and float64 sum
// in double (a large mean keeps its digits) and keep their statistics in their own dtype;
// bf16 and float16 sum in float and keep float statistics (as PyTorch's CUDA kernels do).
template <typename T>
using Acc = std::conditional_t<is_reduced_float_v<T>, float, double>;
template <typename T>
using Stat = ComputeType<T>;

template <typename A>
struct Sums {
  A a = 0, b = 0;
};

// The parameter of value k of row r.
EMBER_HD_INLINE int64_t param_of(const RowNormGeometry& g, int64_t r, int64_t k) {
  return (g.G == 1 ? 0 : (r % g.G) * g.D) + (g.S == 1 ? k : k / g.S);
}

template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE A weight_at(const T* w, int64_t p) {
  return w ? static_cast<A>(w[p]) : A(1);
}

// The shift of a row's moment sums: its first value (the shifted-data algorithm keeps the
// cancellation in Σd² - (Σd)²/K small however large the mean).
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE A row_shift(const T* x, int64_t K) {
  return K > 0 ? static_cast<A>(x[0]) : A(0);
}

// Value k's terms of the moment sums: d and d², d = x - shift.
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE Sums<A> moment_terms(const T* x, int64_t k, A shift) {
  const A d = static_cast<A>(x[k]) - shift;
  return {d, d * d};
}

// Σd and Σd², d = x - shift, over this share of row x.
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE Sums<A> moment_sums(const T* x, int64_t K, A shift, int64_t begin, int64_t step) {
  Sums<A> s;
  for (int64_t k = begin; k < K; k += step) {
    const Sums<A> t = moment_terms(x, k, shift);
    s.a += t.a;
    s.b += t.b;
  }
  return s;
}

// The row's mean and rstd = 1 / sqrt(biased variance + eps) from its moment sums.
template <typename A>
EMBER_HD_INLINE void stats_of(Sums<A> s, int64_t K, A shift, double eps, A& mean, A& rstd) {
  using std::sqrt;
  const A m = K > 0 ? s.a / static_cast<A>(K) : A(0);
  A var = K > 0 ? s.b / static_cast<A>(K) - m * m : A(0);
  var = var < A(0) ? A(0) : var;
  mean = shift + m;
  rstd = A(1) / sqrt(var + static_cast<A>(eps));
}

// One normalized value: (x - mean) * rstd * w + b (w is 1 and b 0 where there are none).
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE T normalized(T x, A mean, A rstd, A w, A b) {
  return static_cast<T>((static_cast<A>(x) - mean) * rstd * w + b);
}

// out[k] = (x[k] - mean) * rstd * w[p] + b[p] over this share of row r.
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE void normalize_row(const T* x, const T* w, const T* b, const RowNormGeometry& g, int64_t r, A mean,
                                   A rstd, T* out, int64_t begin, int64_t step) {
  for (int64_t k = begin; k < g.K; k += step) {
    const int64_t p = param_of(g, r, k);
    out[k] = normalized(x[k], mean, rstd, weight_at(w, p), b ? static_cast<A>(b[p]) : A(0));
  }
}

// Value k's terms of the input gradient's row sums: g w and g w (x - mean).
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE Sums<A> grad_terms(const T* grad, const T* x, const T* w, const RowNormGeometry& g, int64_t r, A mean,
                                   int64_t k) {
  const A gw = static_cast<A>(grad[k]) * weight_at(w, param_of(g, r, k));
  return {gw, gw * (static_cast<A>(x[k]) - mean)};
}

// Σ g w and Σ g w (x - mean) over this share of row r (the input gradient's row sums).
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE Sums<A> grad_sums(const T* grad, const T* x, const T* w, const RowNormGeometry& g, int64_t r, A mean,
                                  int64_t begin, int64_t step) {
  Sums<A> s;
  for (int64_t k = begin; k < g.K; k += step) {
    const Sums<A> t = grad_terms(grad, x, w, g, r, mean, k);
    s.a += t.a;
    s.b += t.b;
  }
  return s;
}

// gx = rstd * (g w - mean(g w) - xhat * mean(g w xhat)), xhat = (x - mean) * rstd, over
// this share of row r, from the row's grad_sums.
template <typename T, typename A = Acc<T>>
EMBER_HD_INLINE void grad_input_row(const T* grad, const T* x, const T* w, const RowNormGeometry& g, int64_t r, A mean,
                                    A rstd, Sums<A> sums, T* gx, int64_t begin, int64_t step) {
  const A mean_gw = g.K > 0 ? sums.a / static_cast<A>(g.K) : A(0);
  const A coef = g.K > 0 ? sums.b / static_cast<A>(g.K) * rstd * rstd : A(0);  // multiplies (x - mean)
  for (int64_t k = begin; k < g.K; k += step) {
    const A gw = static_cast<A>(grad[k]) * weight_at(w, param_of(g, r, k));
    gx[k] = static_cast<T>(rstd * (gw - mean_gw - (static_cast<A>(x[k]) - mean) * coef));
  }
}

// Parameter p's Σ g xhat (its weight's gradient) and Σ g (its bias's) over the rows
// n * G + p / D for n in [n_begin, n_end) step n_step: S values each, at (p % D) * S.
template <typename T, typename S, typename A = Acc<T>>
EMBER_HD_INLINE Sums<A> param_sums(const T* grad, const T* x, const S* mean, const S* rstd, const RowNormGeometry& g,
                                   int64_t p, int64_t n_begin, int64_t n_end, int64_t n_step) {
  Sums<A> s;
  const int64_t group = p / g.D, at = (p % g.D) * g.S;
  for (int64_t n = n_begin; n < n_end; n += n_step) {
    const int64_t r = n * g.G + group;
    const A m = static_cast<A>(mean[r]), rs = static_cast<A>(rstd[r]);
    const T* gp = grad + r * g.K + at;
    const T* xp = x + r * g.K + at;
    A dot = 0, sum = 0;
    for (int64_t i = 0; i < g.S; ++i) {
      const A gv = static_cast<A>(gp[i]);
      dot += gv * (static_cast<A>(xp[i]) - m);
      sum += gv;
    }
    s.a += dot * rs;
    s.b += sum;
  }
  return s;
}

}  // namespace ember::row_norm
