// What one thread of each of ember's CUDA batch-norm kernels (cuda/batch_norm.cu) does, for
// x in either layout (NCHW or channels-last), as EMBER_HD functions of its thread (and
// block): the kernels call these, and tests/core/test_cuda_threads_on_cpu.cpp calls them for
// every thread on the CPU, so the kernels' split of the work and index math are checked in
// every CI run. X is x's element type; a 16-bit X computes in float with float per-channel
// values (Ch), reading and writing its 16-bit tensors directly.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/batch_norm_math.h"
#include "core/macros.h"
#include "core/memory_format.h"
#include "core/optim_math.h"
#include "core/reduced_float.h"
#include "core/tensor.h"

namespace ember::cuda_kernels::bn_threads {

// x as [N, C, S]: row-major (NCHW and 2-D/3-D input), or channels-last ([N, S, C] in memory).
struct Shape {
  int64_t N, C, S;
  bool channels_last = false;

  // The offset of element (n, c, i) of x.
  EMBER_HD_INLINE int64_t at(int64_t n, int64_t c, int64_t i) const {
    return channels_last ? (n * S + i) * C + c : (n * C + c) * S + i;
  }
};
// x dense in its own layout (dense_format_of(x)) assumed.
inline Shape shape_of(const Tensor& x) {
  const int64_t N = x.size(0), C = x.size(1);
  return {N, C, N * C == 0 ? 0 : x.numel() / (N * C), dense_format_of(x) == MemoryFormat::ChannelsLast};
}

// Each channel's reduction is split over blocks of whole images (a 2-D grid: channels x
// image groups, at most 65535), so even a few channels fill the GPU; a second kernel combines a channel's
// partial sums in block order (deterministic: the result depends on the shape only).
constexpr int64_t kTargetBlocks = 1024;
// Threads of each (channel, image group) block.
constexpr int kReduceThreads = 256;

// Image groups per channel, and images per group.
struct Split {
  int64_t groups, per_group;
};
inline Split split_of(const Shape& s) {
  int64_t groups = (kTargetBlocks + s.C - 1) / s.C;
  groups = groups < 1 ? 1 : (groups > s.N ? s.N : groups);
  if (groups > 65535) groups = 65535;  // gridDim.y
  const int64_t per_group = (s.N + groups - 1) / groups;
  return {(s.N + per_group - 1) / per_group, per_group};
}

// A block's image range [n0, n1) for its group.
struct Images {
  int64_t n0, n1;
};
EMBER_HD_INLINE Images images_of(const Shape& s, int64_t group, int64_t per_group) {
  const int64_t n0 = group * per_group;
  return {n0, n0 + per_group < s.N ? n0 + per_group : s.N};
}

// fn(offset) for thread `tid` of `threads`' share of channel c's elements in images
// [n0, n1): rows of S when S is long enough, else flattened (channels-last: C apart).
template <typename Fn>
EMBER_HD_INLINE void for_channel_elements(const Shape& s, int64_t c, Images im, int64_t tid, int64_t threads, Fn fn) {
  if (s.S >= 32) {
    for (int64_t n = im.n0; n < im.n1; ++n) {
      for (int64_t i = tid; i < s.S; i += threads) fn(s.at(n, c, i));
    }
  } else {
    const int64_t count = (im.n1 - im.n0) * s.S;
    for (int64_t j = tid; j < count; j += threads) fn(s.at(im.n0 + j / s.S, c, j % s.S));
  }
}

struct Sums {
  double a = 0, b = 0;
};

// The per-channel type of an x of element type X: float for bfloat16 / float16, else X.
template <typename X>
using Ch = ComputeType<X>;

// x's value v in its compute type, and as a double.
template <typename X>
EMBER_HD_INLINE Ch<X> wide(X v) {
  return static_cast<Ch<X>>(v);
}
template <typename X>
EMBER_HD_INLINE double as_double(X v) {
  return static_cast<double>(static_cast<Ch<X>>(v));
}

// A thread's share of Σ(x - K) and Σ(x - K)², K = the channel's first element (a shift that
// keeps the sums' cancellation small: the shifted-data algorithm).
template <typename X>
EMBER_HD_INLINE Sums stats_sums(const X* x, const Shape& s, int64_t c, Images im, int64_t tid, int64_t threads) {
  const double shift = as_double(x[s.at(0, c, 0)]);
  Sums sums;
  for_channel_elements(s, c, im, tid, threads, [&](int64_t at) {
    const double d = as_double(x[at]) - shift;
    sums.a += d;
    sums.b += d * d;
  });
  return sums;
}

// A thread's share of Σg and Σg(x - mean).
template <typename X>
EMBER_HD_INLINE Sums backward_sums(const X* g, const X* x, Ch<X> mean, const Shape& s, int64_t c, Images im,
                                   int64_t tid, int64_t threads) {
  Sums sums;
  for_channel_elements(s, c, im, tid, threads, [&](int64_t at) {
    const Ch<X> gv = wide(g[at]);
    sums.a += static_cast<double>(gv);
    sums.b += static_cast<double>(gv * (wide(x[at]) - mean));
  });
  return sums;
}

// Where block (c, group)'s sums go: partial[2 * (c * groups + group)] and the next.
EMBER_HD_INLINE double* partial_of(double* partial, int64_t c, int64_t groups, int64_t group) {
  return partial + 2 * (c * groups + group);
}

// Channel c: the partials in group order -> mean, biased variance, invstd = 1 / sqrt(var + eps).
template <typename X>
EMBER_HD_INLINE void stats_finalize(const X* x, const double* partial, int64_t groups, Ch<X>* mean, Ch<X>* var,
                                    Ch<X>* invstd, double eps, const Shape& s, int64_t c) {
  using T = Ch<X>;
  double sum = 0, sq = 0;
  for (int64_t g = 0; g < groups; ++g) sum += partial[2 * (c * groups + g)], sq += partial[2 * (c * groups + g) + 1];
  const double count = static_cast<double>(s.N * s.S), shifted_mean = sum / count;
  double v = sq / count - shifted_mean * shifted_mean;
  v = v < 0 ? 0 : v;
  mean[c] = static_cast<T>(as_double(x[s.at(0, c, 0)]) + shifted_mean);
  var[c] = static_cast<T>(v);
  invstd[c] = bn::invstd(static_cast<T>(v), static_cast<T>(eps));
}

// Element i's channel: 32-bit division when the tensor's indices fit (`narrow`: the common
// case, several times cheaper than 64-bit division on the GPU).
EMBER_HD_INLINE int64_t channel_of(int64_t i, const Shape& s, bool narrow) {
  if (s.channels_last) return narrow ? static_cast<uint32_t>(i) % static_cast<uint32_t>(s.C) : i % s.C;
  if (narrow) return static_cast<uint32_t>(i) / static_cast<uint32_t>(s.S) % static_cast<uint32_t>(s.C);
  return i / s.S % s.C;
}

template <typename X>
EMBER_HD_INLINE void normalize_element(const X* x, X* out, const Ch<X>* mean, const Ch<X>* invstd, const Ch<X>* w,
                                       const Ch<X>* b, const Shape& s, bool narrow, int64_t i) {
  using T = Ch<X>;
  const int64_t c = channel_of(i, s, narrow);
  out[i] = static_cast<X>(bn::normalize(wide(x[i]), mean[c], invstd[c] * (w ? w[c] : T(1)), b ? b[c] : T(0)));
}

// Eval mode in one pass: the running variance's invstd computed by each thread (as
// native::batch_norm_invstd computes it) instead of by three kernels before.
template <typename X>
EMBER_HD_INLINE void normalize_eval_element(const X* x, X* out, const Ch<X>* mean, const Ch<X>* var, Ch<X> eps,
                                            const Ch<X>* w, const Ch<X>* b, const Shape& s, bool narrow, int64_t i) {
  using T = Ch<X>;
  const int64_t c = channel_of(i, s, narrow);
  out[i] =
      static_cast<X>(bn::normalize(wide(x[i]), mean[c], bn::invstd(var[c], eps) * (w ? w[c] : T(1)), b ? b[c] : T(0)));
}

// Channel c's statistics an eval forward saves for backward when autograd records (either
// pointer may be null): a copy of the running mean, and the running variance's invstd.
template <typename T>
EMBER_HD_INLINE void save_eval_stats(const T* mean, const T* var, T eps, T* save_mean, T* save_invstd, int64_t c) {
  if (save_mean) save_mean[c] = mean[c];
  if (save_invstd) save_invstd[c] = bn::invstd(var[c], eps);
}

// Channel c: gw, gb, and the coefficients of grad_input, from the partials in group order.
template <typename T>
EMBER_HD_INLINE void backward_finalize(const double* partial, int64_t groups, const T* invstd, bool training, T* gw,
                                       T* gb, T* mean_g, T* coef, const Shape& s, int64_t c) {
  double sum_g = 0, sum_gd = 0;
  for (int64_t g = 0; g < groups; ++g) {
    sum_g += partial[2 * (c * groups + g)], sum_gd += partial[2 * (c * groups + g) + 1];
  }
  const double count = static_cast<double>(s.N * s.S);
  const T is = invstd[c];
  const double sum_gxhat = sum_gd * static_cast<double>(is);
  if (gw) gw[c] = static_cast<T>(sum_gxhat);
  if (gb) gb[c] = static_cast<T>(sum_g);
  mean_g[c] = training ? static_cast<T>(sum_g / count) : T(0);
  coef[c] = training ? static_cast<T>(sum_gxhat / count) * is : T(0);
}

template <typename X>
EMBER_HD_INLINE void grad_input_element(const X* g, const X* x, const Ch<X>* mean, const Ch<X>* invstd, const Ch<X>* w,
                                        const Ch<X>* mean_g, const Ch<X>* coef, X* gx, const Shape& s, bool narrow,
                                        int64_t i) {
  using T = Ch<X>;
  const int64_t c = channel_of(i, s, narrow);
  gx[i] = static_cast<X>(
      bn::grad_input(wide(g[i]), wide(x[i]), mean[c], invstd[c] * (w ? w[c] : T(1)), mean_g[c], coef[c]));
}

// Channel c's running statistics after a training forward from its batch mean and biased
// variance: (1 - factor) * running + factor * batch, each product and the sum rounded once
// (no FMA), the variance unbiased: native::blend_running_stats's ops, one thread a channel.
template <typename T>
EMBER_HD_INLINE void blend_running_stats(T mean, T biased_var, T* running_mean, T* running_var, T keep, T factor,
                                         T unbias, int64_t c) {
  const auto blend = [&](T running, T batch) {
    return fused::add_rn(fused::mul_rn(running, keep), fused::mul_rn(batch, factor));
  };
  if (running_mean) running_mean[c] = blend(running_mean[c], mean);
  if (running_var) running_var[c] = blend(running_var[c], fused::mul_rn(biased_var, unbias));
}

// The same after cuDNN's forward, which keeps no variance: the biased one from invstd.
template <typename T>
EMBER_HD_INLINE void running_stats(const T* mean, const T* invstd, double eps, T* running_mean, T* running_var, T keep,
                                   T factor, T unbias, int64_t c) {
  const double is = static_cast<double>(invstd[c]);
  const T biased = static_cast<T>(1.0 / (is * is) - eps);
  blend_running_stats(mean[c], biased < T(0) ? T(0) : biased, running_mean, running_var, keep, factor, unbias, c);
}

// The blend's per-call constants (as native::blend_running_stats's scalars, rounded to T).
template <typename T>
struct RunningBlend {
  T keep, factor, unbias;
};
template <typename T>
inline RunningBlend<T> running_blend(double factor, int64_t count) {
  // native::blend_running_stats' factor, inf for one value (the op layer refuses that batch)
  const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
  return {static_cast<T>(1.0 - factor), static_cast<T>(factor), static_cast<T>(unbias)};
}

}  // namespace ember::cuda_kernels::bn_threads
