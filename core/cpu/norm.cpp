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
      row_norm::stats_of(row_norm::moment_sums(xr, g.K, shift, 0, 1), g.K, shift, eps, m, rs);
      if (mean) mean[r] = static_cast<Stat<T>>(m), rstd[r] = static_cast<Stat<T>>(rs);
      row_norm::normalize_row(xr, w, b, g, r, m, rs, out + r * g.K, 0, 1);
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
      const Sums<A> sums = row_norm::grad_sums(gr, xr, w, g, r, m, 0, 1);
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
