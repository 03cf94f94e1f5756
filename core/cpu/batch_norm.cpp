// Fused CPU BatchNorm over x seen as [N, C, S]: each channel's values are N runs of S,
// handled by one thread, so a channel's second pass finds its data still in cache.
// Sums use 8 lanes of T (they vectorize) flushed to double per run or block. A 16-bit x
// (element type X) computes in T = float, each run widened in bulk into a float buffer
// (float16 by F16C), rounds each output once, and has float32 per-channel tensors
// (DeviceOps::batch_norm_train).
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <tuple>
#include <type_traits>
#include <vector>

#include "core/batch_norm_math.h"
#include "core/cpu/float32_compute.h"
#include "core/cpu/half_convert.h"
#include "core/cpu/kernels.h"
#include "core/kernel_data.h"
#include "core/native.h"
#include "core/parallel.h"
#include "core/reduced_float.h"

namespace ember::cpu {
namespace {

constexpr int64_t kLanes = 8, kBlock = 4096;

// sums[k] += Σ_{i < len} f(i)[k] for K = 1 or 2 values per element.
template <typename T, typename F>
void run_sums(int64_t len, const F& f, double& s0, double& s1) {
  for (int64_t b = 0; b < len; b += kBlock) {
    const int64_t end = std::min(len, b + kBlock);
    T l0[kLanes] = {}, l1[kLanes] = {};
    int64_t i = b;
    for (; i + kLanes <= end; i += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) f(i + j, l0[j], l1[j]);
    for (; i < end; ++i) {
      T a = 0, c = 0;
      f(i, a, c);
      s0 += a, s1 += c;
    }
    for (int64_t j = 0; j < kLanes; ++j) s0 += l0[j], s1 += l1[j];
  }
}

struct Shape {
  int64_t N, C, S;
};

Shape shape_of(const Tensor& x) {
  const int64_t N = x.size(0), C = x.size(1);
  return {N, C, N * C == 0 ? 0 : x.numel() / (N * C)};
}

// fn(c) for every channel, in parallel when a channel's work is small enough to share.
template <typename Fn>
void for_channels(const Shape& s, int64_t passes, const Fn& fn) {
  const int64_t per_channel = std::max<int64_t>(1, s.N * s.S * passes);
  parallel_for(0, s.C, std::max<int64_t>(1, kParallelGrain / per_channel), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) fn(c);
  });
}

using kernel_data::cdata;
using kernel_data::mdata;

// Where a run of S outputs is computed: out itself when X is T, else buf, which
// store_run then rounds into out.
template <typename T, typename X>
T* run_out(X* out, int64_t S, std::vector<T>& buf) {
  if constexpr (std::is_same_v<X, T>) {
    return out;
  } else {
    buf.resize(static_cast<size_t>(S));
    return buf.data();
  }
}

template <typename T, typename X>
void store_run(const T* computed, X* out, int64_t S) {
  if constexpr (!std::is_same_v<X, T>) convert_values(computed, out, S);
}

// Channel c's mean and biased variance (two passes; the second finds the data in cache).
template <typename X, typename T = ComputeType<X>>
std::pair<T, T> channel_stats(const X* x, int64_t c, const Shape& s) {
  double sum = 0, unused = 0;
  std::vector<T> buf;
  for (int64_t n = 0; n < s.N; ++n) {
    const T* p = values_as(x + (n * s.C + c) * s.S, s.S, buf);
    run_sums<T>(
        s.S, [p](int64_t i, T& a, T&) { a += p[i]; }, sum, unused);
  }
  const double count = static_cast<double>(s.N * s.S);
  const T m = static_cast<T>(sum / count);
  double sq = 0;
  for (int64_t n = 0; n < s.N; ++n) {
    const T* p = values_as(x + (n * s.C + c) * s.S, s.S, buf);
    run_sums<T>(
        s.S,
        [p, m](int64_t i, T& a, T&) {
          const T d = p[i] - m;
          a += d * d;
        },
        sq, unused);
  }
  return {m, static_cast<T>(sq / count)};
}

// out = (x - m) * k + shift over channel c.
// (In place when out is x: each element is read before it is written.)
template <typename X, typename T>
void normalize_channel(const X* x, X* out, int64_t c, T m, T k, T shift, const Shape& s) {
  std::vector<T> in_buf, out_buf;
  for (int64_t n = 0; n < s.N; ++n) {
    const int64_t at = (n * s.C + c) * s.S;
    const T* p = values_as(x + at, s.S, in_buf);
    T* o = run_out(out + at, s.S, out_buf);
    for (int64_t i = 0; i < s.S; ++i) o[i] = bn::normalize(p[i], m, k, shift);
    store_run(o, out + at, s.S);
  }
}

// Training forward per channel: statistics, invstd, then the output while the channel's
// values are still in cache.
template <typename X, typename T>
void train_forward(const X* x, X* out, T* mean, T* var, T* invstd, const T* w, const T* b, double eps, const Shape& s) {
  for_channels(s, 3, [&](int64_t c) {
    std::tie(mean[c], var[c]) = channel_stats(x, c, s);
    invstd[c] = bn::invstd(var[c], static_cast<T>(eps));
    normalize_channel(x, out, c, mean[c], invstd[c] * (w ? w[c] : T(1)), b ? b[c] : T(0), s);
  });
}

// Eval forward: the running statistics, invstd per channel from the running variance.
template <typename X, typename T>
void normalize_eval(const X* x, X* out, const T* mean, const T* var, T eps, const T* w, const T* b, const Shape& s) {
  for_channels(s, 1, [&](int64_t c) {
    normalize_channel(x, out, c, mean[c], bn::invstd(var[c], eps) * (w ? w[c] : T(1)), b ? b[c] : T(0), s);
  });
}

template <typename X, typename T>
void backward(const X* g, const X* x, const T* mean, const T* invstd, const T* w, bool training, X* gx, T* gw, T* gb,
              const Shape& s) {
  for_channels(s, 3, [&](int64_t c) {
    const T m = mean[c], is = invstd[c];
    double sum_g = 0, sum_gd = 0;  // Σ g and Σ g * (x - mean)
    std::vector<T> g_buf, x_buf, out_buf;
    for (int64_t n = 0; n < s.N; ++n) {
      const int64_t at = (n * s.C + c) * s.S;
      const T* gp = values_as(g + at, s.S, g_buf);
      const T* xp = values_as(x + at, s.S, x_buf);
      run_sums<T>(
          s.S,
          [gp, xp, m](int64_t i, T& a, T& d) {
            const T gi = gp[i];
            a += gi, d += gi * (xp[i] - m);
          },
          sum_g, sum_gd);
    }
    const double sum_gxhat = sum_gd * static_cast<double>(is);
    if (gw) gw[c] = static_cast<T>(sum_gxhat);
    if (gb) gb[c] = static_cast<T>(sum_g);
    if (!gx) return;
    const T k = is * (w ? w[c] : T(1));
    const double count = static_cast<double>(s.N * s.S);
    // training: gx = k * (g - mean(g) - xhat * mean(g * xhat)), xhat = (x - mean) * invstd
    const T mean_g = training ? static_cast<T>(sum_g / count) : T(0);
    const T coef = training ? static_cast<T>(sum_gxhat / count) * is : T(0);  // multiplies (x - mean)
    for (int64_t n = 0; n < s.N; ++n) {
      const int64_t at = (n * s.C + c) * s.S;
      const T* gp = values_as(g + at, s.S, g_buf);  // gx may be g (written in place, element by element)
      const T* __restrict xp = values_as(x + at, s.S, x_buf);
      T* o = run_out(gx + at, s.S, out_buf);
      for (int64_t i = 0; i < s.S; ++i) o[i] = bn::grad_input(gp[i], xp[i], m, k, mean_g, coef);
      store_run(o, gx + at, s.S);
    }
  });
}

// The operands' dtypes as DeviceOps::batch_norm_train states them: x's for the elementwise
// ones, the channel dtype (float32 for a 16-bit x) for the per-channel ones; the kernels
// read raw pointers, so a mismatch is an error here, not a misread.
void check_dtypes(const char* op, const Tensor& x, std::initializer_list<const Tensor*> like_x,
                  std::initializer_list<const Tensor*> per_channel) {
  const DType channel = compute_dtype(x.dtype());
  for (const Tensor* t : like_x)
    EMBER_INTERNAL_ASSERT(!t->defined() || t->dtype() == x.dtype(), op, ": expected ", dtype_name(x.dtype()),
                          " like x, got ", dtype_name(t->dtype()));
  for (const Tensor* t : per_channel)
    EMBER_INTERNAL_ASSERT(!t->defined() || t->dtype() == channel, op, ": expected a ", dtype_name(channel),
                          " per-channel tensor, got ", dtype_name(t->dtype()));
}

// A [C] tensor in the per-channel dtype (float32 for a 16-bit x).
Tensor channel_vector(const Tensor& x) {
  return make_empty({x.size(1)}, compute_dtype(x.dtype()), x.device());
}

}  // namespace

void batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                      const Tensor& running_var, double factor, double eps, const Tensor& out, const Tensor& save_mean,
                      const Tensor& save_invstd) {
  check_dtypes("batch_norm", x, {&out}, {&weight, &bias, &save_mean, &save_invstd});
  const Tensor mean = save_mean.defined() ? save_mean : channel_vector(x);
  const Tensor invstd = save_invstd.defined() ? save_invstd : channel_vector(x);
  const Tensor var = channel_vector(x);
  visit_floating_or_reduced(x.dtype(), "batch_norm", [&](auto tag) {
    using X = typename decltype(tag)::type;
    using T = ComputeType<X>;
    train_forward(cdata<X>(x), mdata<X>(out), mdata<T>(mean), mdata<T>(var), mdata<T>(invstd), cdata<T>(weight),
                  cdata<T>(bias), eps, shape_of(x));
  });
  native::blend_running_stats(mean, var, running_mean, running_var, factor,
                              x.numel() / std::max<int64_t>(x.size(1), 1));
}

void batch_norm_eval(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, double eps, const Tensor& out, const Tensor& save_mean,
                     const Tensor& save_invstd) {
  check_dtypes("batch_norm", x, {&out}, {&running_mean, &running_var, &weight, &bias, &save_mean, &save_invstd});
  visit_floating_or_reduced(x.dtype(), "batch_norm", [&](auto tag) {
    using X = typename decltype(tag)::type;
    using T = ComputeType<X>;
    normalize_eval(cdata<X>(x), mdata<X>(out), cdata<T>(running_mean), cdata<T>(running_var), static_cast<T>(eps),
                   cdata<T>(weight), cdata<T>(bias), shape_of(x));
    T* const saved_mean = mdata<T>(save_mean);
    T* const saved_invstd = mdata<T>(save_invstd);
    const T* mean = cdata<T>(running_mean);
    const T* var = cdata<T>(running_var);
    for (int64_t c = 0; c < x.size(1); ++c) {
      if (saved_mean) saved_mean[c] = mean[c];
      if (saved_invstd) saved_invstd[c] = bn::invstd(var[c], static_cast<T>(eps));
    }
  });
}

void batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& invstd,
                         const Tensor& weight, bool training, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  check_dtypes("batch_norm backward", x, {&grad, &gx}, {&mean, &invstd, &weight, &gw, &gb});
  visit_floating_or_reduced(x.dtype(), "batch_norm backward", [&](auto tag) {
    using X = typename decltype(tag)::type;
    using T = ComputeType<X>;
    backward(cdata<X>(grad), cdata<X>(x), cdata<T>(mean), cdata<T>(invstd), cdata<T>(weight), training, mdata<X>(gx),
             mdata<T>(gw), mdata<T>(gb), shape_of(x));
  });
}

}  // namespace ember::cpu
