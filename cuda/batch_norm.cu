// CUDA batch norm: cuDNN graphs where cudnn_batch_norm.cpp takes the case (NCHW or
// channels-last operands), else these kernels over contiguous x seen as [N, C, S] (a
// channels-last call runs them on NCHW copies): blocks of (image group, channel) sum in
// double (shifted Σx and Σx² for the statistics; in backward Σg and Σg(x - mean)) and a
// second kernel combines each channel's partials in order; an elementwise kernel applies
// core/batch_norm_math.h (the CPU's formula), native::blend_running_stats updates as on the CPU.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/batch_norm_math.h"
#include "core/native.h"
#include "core/optim_math.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

constexpr int kReduceThreads = 256;
// Each channel's reduction is split over blocks of whole images (a 2-D grid: channels x
// image groups, at most 65535), so even a few channels fill the GPU; a second kernel combines a channel's
// partial sums in block order (deterministic: the result depends on the shape only).
constexpr int64_t kTargetBlocks = 1024;

struct Shape {
  int64_t N, C, S;
};

Shape shape_of(const Tensor& x) {
  const int64_t N = x.size(0), C = x.size(1);
  return {N, C, N * C == 0 ? 0 : x.numel() / (N * C)};
}

// Image groups per channel, and images per group.
struct Split {
  int64_t groups, per_group;
};
Split split_of(const Shape& s) {
  int64_t groups = (kTargetBlocks + s.C - 1) / s.C;
  groups = groups < 1 ? 1 : (groups > s.N ? s.N : groups);
  if (groups > 65535) groups = 65535;  // gridDim.y
  const int64_t per_group = (s.N + groups - 1) / groups;
  return {(s.N + per_group - 1) / per_group, per_group};
}

// Sums a and b over the block; thread 0 gets the totals.
__device__ void block_sum2(double& a, double& b) {
  __shared__ double sa[kReduceThreads / 32], sb[kReduceThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2) {
    a += __shfl_down_sync(0xffffffffu, a, offset);
    b += __shfl_down_sync(0xffffffffu, b, offset);
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // an earlier call's reads of sa/sb are done
  if (lane == 0) sa[warp] = a, sb[warp] = b;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kReduceThreads / 32; ++w) a += sa[w], b += sb[w];
  }
}

// fn(offset) for every element of channel c in images [n0, n1) of this block's share,
// spread over the block's threads (rows of S when S is long enough, else flattened).
template <typename Fn>
__device__ void for_channel_elements(const Shape& s, int64_t c, int64_t n0, int64_t n1, Fn fn) {
  if (s.S >= 32) {
    for (int64_t n = n0; n < n1; ++n) {
      const int64_t base = (n * s.C + c) * s.S;
      for (int64_t i = threadIdx.x; i < s.S; i += blockDim.x) fn(base + i);
    }
  } else {
    const int64_t count = (n1 - n0) * s.S;
    for (int64_t j = threadIdx.x; j < count; j += blockDim.x) fn(((n0 + j / s.S) * s.C + c) * s.S + j % s.S);
  }
}

// Block (channel, group): Σ(x - K) and Σ(x - K)² over its images, K = the channel's first
// element (a shift that keeps the sums' cancellation small: the shifted-data algorithm).
template <typename T>
__global__ void stats_partial_kernel(const T* x, double* partial, Shape s, int64_t per_group) {
  const int64_t c = blockIdx.x, group = blockIdx.y;
  const int64_t n0 = group * per_group, n1 = n0 + per_group < s.N ? n0 + per_group : s.N;
  const double shift = static_cast<double>(x[c * s.S]);
  double sum = 0, sq = 0;
  for_channel_elements(s, c, n0, n1, [&](int64_t at) {
    const double d = static_cast<double>(x[at]) - shift;
    sum += d;
    sq += d * d;
  });
  block_sum2(sum, sq);
  if (threadIdx.x == 0) {
    double* out = partial + 2 * (c * gridDim.y + group);
    out[0] = sum, out[1] = sq;
  }
}

// Channel c: the partials in group order -> mean, biased variance, invstd = 1 / sqrt(var + eps).
template <typename T>
__global__ void stats_finalize_kernel(const T* x, const double* partial, int64_t groups, T* mean, T* var, T* invstd,
                                      double eps, Shape s) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= s.C) return;
  double sum = 0, sq = 0;
  for (int64_t g = 0; g < groups; ++g) sum += partial[2 * (c * groups + g)], sq += partial[2 * (c * groups + g) + 1];
  const double count = static_cast<double>(s.N * s.S), shifted_mean = sum / count;
  double v = sq / count - shifted_mean * shifted_mean;
  v = v < 0 ? 0 : v;
  const T m = static_cast<T>(static_cast<double>(x[c * s.S]) + shifted_mean);
  mean[c] = m;
  var[c] = static_cast<T>(v);
  invstd[c] = T(1) / sqrt(static_cast<T>(v) + static_cast<T>(eps));
}

// Element i's channel: 32-bit division when the tensor's indices fit (the common case,
// several times cheaper than 64-bit division on the GPU).
__device__ __forceinline__ int64_t channel_of(int64_t i, const Shape& s, bool narrow) {
  if (narrow) return static_cast<uint32_t>(i) / static_cast<uint32_t>(s.S) % static_cast<uint32_t>(s.C);
  return i / s.S % s.C;
}

template <typename T>
__global__ void normalize_kernel(const T* x, T* out, const T* mean, const T* invstd, const T* w, const T* b, Shape s,
                                 int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t c = channel_of(i, s, total <= INT32_MAX);
  out[i] = bn::normalize(x[i], mean[c], invstd[c] * (w ? w[c] : T(1)), b ? b[c] : T(0));
}

// Block (channel, group) of the backward: Σg and Σg(x - mean) over its images.
template <typename T>
__global__ void backward_partial_kernel(const T* g, const T* x, const T* mean, double* partial, Shape s,
                                        int64_t per_group) {
  const int64_t c = blockIdx.x, group = blockIdx.y;
  const int64_t n0 = group * per_group, n1 = n0 + per_group < s.N ? n0 + per_group : s.N;
  const T m = mean[c];
  double sum_g = 0, sum_gd = 0;
  for_channel_elements(s, c, n0, n1, [&](int64_t at) {
    sum_g += static_cast<double>(g[at]);
    sum_gd += static_cast<double>(g[at] * (x[at] - m));
  });
  block_sum2(sum_g, sum_gd);
  if (threadIdx.x == 0) {
    double* out = partial + 2 * (c * gridDim.y + group);
    out[0] = sum_g, out[1] = sum_gd;
  }
}

// Channel c: gw, gb, and the coefficients of grad_input, from the partials in group order.
template <typename T>
__global__ void backward_finalize_kernel(const double* partial, int64_t groups, const T* invstd, bool training, T* gw,
                                         T* gb, T* mean_g, T* coef, Shape s) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= s.C) return;
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

template <typename T>
__global__ void grad_input_kernel(const T* g, const T* x, const T* mean, const T* invstd, const T* w,
                                  const T* mean_g, const T* coef, T* gx, Shape s, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t c = channel_of(i, s, total <= INT32_MAX);
  gx[i] = bn::grad_input(g[i], x[i], mean[c], invstd[c] * (w ? w[c] : T(1)), mean_g[c], coef[c]);
}

template <typename T>
__global__ void running_stats_kernel(const T* mean, const T* invstd, double eps, T* running_mean, T* running_var,
                                     T keep, T factor, T unbias, int64_t C) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  // (1 - factor) * running + factor * batch, each product and the sum rounded once (no FMA).
  const auto blend = [&](T running, T batch) {
    return fused::add_rn(fused::mul_rn(running, keep), fused::mul_rn(batch, factor));
  };
  if (running_mean) running_mean[c] = blend(running_mean[c], mean[c]);
  if (running_var) {
    const double is = static_cast<double>(invstd[c]);
    const T biased = static_cast<T>(1.0 / (is * is) - eps);
    running_var[c] = blend(running_var[c], fused::mul_rn(biased < T(0) ? T(0) : biased, unbias));
  }
}

template <typename T>
const T* cdata(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}
template <typename T>
T* mdata(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

Tensor channel_vector(const Tensor& x) { return make_empty({x.size(1)}, x.dtype(), x.device()); }

// These kernels read and write [N, C, S] row-major: an operand laid out otherwise (channels-
// last) is copied to that layout, and an output written to a row-major temporary first.
Tensor row_major(const Tensor& t) { return !t.defined() || t.is_contiguous() ? t : native::clone(t); }
Tensor row_major_output(const Tensor& t) {
  return !t.defined() || t.is_contiguous() ? t : make_empty(t.sizes(), t.dtype(), t.device());
}
void write_back(const Tensor& temporary, const Tensor& out) {
  if (temporary.defined() && !temporary.is_same(out)) copy(temporary, out);
}

void normalize(const Tensor& x, const Tensor& mean, const Tensor& invstd, const Tensor& w, const Tensor& b,
               const Tensor& out) {
  const int64_t total = x.numel();
  if (total == 0) return;
  visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    normalize_kernel<T><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), out.data_ptr<T>(), mean.data_ptr<T>(), invstd.data_ptr<T>(), cdata<T>(w), cdata<T>(b),
        shape_of(x), total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

void update_running_stats(const Tensor& mean, const Tensor& invstd, double eps, const Tensor& running_mean,
                          const Tensor& running_var, double factor, int64_t count) {
  if (!running_mean.defined() && !running_var.defined()) return;
  const int64_t C = mean.numel();
  visit_floating(mean.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const double unbias = static_cast<double>(count) / static_cast<double>(count > 1 ? count - 1 : 1);
    running_stats_kernel<T><<<blocks_for(C), kThreadsPerBlock, 0, current_raw_stream()>>>(
        mean.data_ptr<T>(), invstd.data_ptr<T>(), eps, mdata<T>(running_mean), mdata<T>(running_var),
        static_cast<T>(1.0 - factor), static_cast<T>(factor), static_cast<T>(unbias), C);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void batch_norm_train(const Tensor& x_in, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                      const Tensor& running_var, double factor, double eps, const Tensor& out_in,
                      const Tensor& save_mean, const Tensor& save_invstd) {
  const Tensor mean = save_mean.defined() ? save_mean : channel_vector(x_in);
  const Tensor invstd = save_invstd.defined() ? save_invstd : channel_vector(x_in);
  if (cudnn_batch_norm_train(x_in, weight, bias, running_mean, running_var, factor, eps, out_in, mean, invstd)) return;
  const Tensor x = row_major(x_in), out = row_major_output(out_in);
  const Tensor var = channel_vector(x);
  const Shape s = shape_of(x);
  if (s.C == 0 || x.numel() == 0) return;  // no statistics of nothing (nn::functional refuses it first)
  const Split split = split_of(s);
  const Tensor partial = make_empty({2 * s.C * split.groups}, kFloat64, x.device());
  visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const dim3 grid(static_cast<unsigned>(s.C), static_cast<unsigned>(split.groups));
    stats_partial_kernel<T><<<grid, kReduceThreads, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), partial.data_ptr<double>(), s, split.per_group);
    EMBER_CUDA_LAUNCH_CHECK();
    stats_finalize_kernel<T><<<blocks_for(s.C), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), partial.data_ptr<double>(), split.groups, mean.data_ptr<T>(), var.data_ptr<T>(),
        invstd.data_ptr<T>(), eps, s);
    EMBER_CUDA_LAUNCH_CHECK();
  });
  normalize(x, mean, invstd, weight, bias, out);
  write_back(out, out_in);
  native::blend_running_stats(mean, var, running_mean, running_var, factor, s.N * s.S);
}

void batch_norm_eval(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, double eps, const Tensor& out_in) {
  const Tensor invstd = native::batch_norm_invstd(running_var, eps);
  if (cudnn_batch_norm_eval(x_in, running_mean, invstd, weight, bias, out_in)) return;
  const Tensor x = row_major(x_in), out = out_in.is_same(x_in) ? x : row_major_output(out_in);
  normalize(x, running_mean, invstd, weight, bias, out);
  write_back(out, out_in);
}

void batch_norm_backward(const Tensor& grad_in, const Tensor& x_in, const Tensor& mean, const Tensor& invstd,
                         const Tensor& weight, bool training, const Tensor& grad_x_in, const Tensor& grad_w,
                         const Tensor& grad_b) {
  // cuDNN's backward differentiates through batch statistics: training mode only.
  if (training && cudnn_batch_norm_backward(grad_in, x_in, mean, invstd, weight, grad_x_in, grad_w, grad_b)) return;
  const Tensor grad = row_major(grad_in), x = row_major(x_in), grad_x = row_major_output(grad_x_in);
  const Shape s = shape_of(x);
  if (s.C == 0) return;
  if (x.numel() == 0) {  // empty sums
    if (grad_w.defined()) fill(grad_w, Scalar(0));
    if (grad_b.defined()) fill(grad_b, Scalar(0));
    return;
  }
  const Tensor mean_g = channel_vector(x), coef = channel_vector(x);
  const Split split = split_of(s);
  const Tensor partial = make_empty({2 * s.C * split.groups}, kFloat64, x.device());
  visit_floating(x.dtype(), "batch_norm backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const dim3 grid(static_cast<unsigned>(s.C), static_cast<unsigned>(split.groups));
    backward_partial_kernel<T><<<grid, kReduceThreads, 0, current_raw_stream()>>>(
        grad.data_ptr<T>(), x.data_ptr<T>(), mean.data_ptr<T>(), partial.data_ptr<double>(), s, split.per_group);
    EMBER_CUDA_LAUNCH_CHECK();
    backward_finalize_kernel<T><<<blocks_for(s.C), kThreadsPerBlock, 0, current_raw_stream()>>>(
        partial.data_ptr<double>(), split.groups, invstd.data_ptr<T>(), training, mdata<T>(grad_w), mdata<T>(grad_b),
        mean_g.data_ptr<T>(), coef.data_ptr<T>(), s);
    EMBER_CUDA_LAUNCH_CHECK();
    const int64_t total = x.numel();
    if (grad_x.defined() && total > 0) {
      grad_input_kernel<T><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
          grad.data_ptr<T>(), x.data_ptr<T>(), mean.data_ptr<T>(), invstd.data_ptr<T>(), cdata<T>(weight),
          mean_g.data_ptr<T>(), coef.data_ptr<T>(), grad_x.data_ptr<T>(), s, total);
      EMBER_CUDA_LAUNCH_CHECK();
    }
  });
  write_back(grad_x, grad_x_in);
}

}  // namespace ember::cuda_kernels
