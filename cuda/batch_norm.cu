// CUDA batch norm: cuDNN graphs where cudnn_batch_norm.cpp takes the case (NCHW or
// channels-last operands), else these kernels over contiguous x seen as [N, C, S] (a
// channels-last call runs them on NCHW copies): a block per channel reduces in double
// (mean, then the centred sum of squares; in backward Σg and Σg(x - mean)), an elementwise
// kernel applies core/batch_norm_math.h (the CPU's formula), native::blend_running_stats
// updates as on the CPU.
#include <cuda_runtime.h>

#include "core/batch_norm_math.h"
#include "core/native.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

constexpr int kReduceThreads = 512;

struct Shape {
  int64_t N, C, S;
};

Shape shape_of(const Tensor& x) {
  const int64_t N = x.size(0), C = x.size(1);
  return {N, C, N * C == 0 ? 0 : x.numel() / (N * C)};
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

__device__ int64_t channel_offset(int64_t i, int64_t c, const Shape& s) { return (i / s.S * s.C + c) * s.S + i % s.S; }

// Channel blockIdx.x: mean, biased variance, invstd = 1 / sqrt(var + eps).
template <typename T>
__global__ void stats_kernel(const T* x, T* mean, T* var, T* invstd, double eps, Shape s) {
  const int64_t c = blockIdx.x, count = s.N * s.S;
  __shared__ T shared_mean;
  double sum = 0, unused = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) sum += static_cast<double>(x[channel_offset(i, c, s)]);
  block_sum2(sum, unused);
  if (threadIdx.x == 0) shared_mean = static_cast<T>(sum / static_cast<double>(count));
  __syncthreads();
  const T m = shared_mean;
  double sq = 0;
  unused = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const T d = x[channel_offset(i, c, s)] - m;
    sq += static_cast<double>(d * d);
  }
  block_sum2(sq, unused);
  if (threadIdx.x == 0) {
    const T v = static_cast<T>(sq / static_cast<double>(count));
    mean[c] = m;
    var[c] = v;
    invstd[c] = T(1) / sqrt(v + static_cast<T>(eps));
  }
}

template <typename T>
__global__ void normalize_kernel(const T* x, T* out, const T* mean, const T* invstd, const T* w, const T* b, Shape s,
                                 int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t c = i / s.S % s.C;
  out[i] = bn::normalize(x[i], mean[c], invstd[c] * (w ? w[c] : T(1)), b ? b[c] : T(0));
}

// Channel blockIdx.x of the backward: gw, gb, and the coefficients of grad_input.
template <typename T>
__global__ void backward_reduce_kernel(const T* g, const T* x, const T* mean, const T* invstd, bool training, T* gw,
                                       T* gb, T* mean_g, T* coef, Shape s) {
  const int64_t c = blockIdx.x, count = s.N * s.S;
  const T m = mean[c];
  double sum_g = 0, sum_gd = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t at = channel_offset(i, c, s);
    sum_g += static_cast<double>(g[at]);
    sum_gd += static_cast<double>(g[at] * (x[at] - m));
  }
  block_sum2(sum_g, sum_gd);
  if (threadIdx.x != 0) return;
  const T is = invstd[c];
  const double sum_gxhat = sum_gd * static_cast<double>(is);
  if (gw) gw[c] = static_cast<T>(sum_gxhat);
  if (gb) gb[c] = static_cast<T>(sum_g);
  mean_g[c] = training ? static_cast<T>(sum_g / static_cast<double>(count)) : T(0);
  coef[c] = training ? static_cast<T>(sum_gxhat / static_cast<double>(count)) * is : T(0);
}

template <typename T>
__global__ void grad_input_kernel(const T* g, const T* x, const T* mean, const T* invstd, const T* w,
                                  const T* mean_g, const T* coef, T* gx, Shape s, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t c = i / s.S % s.C;
  gx[i] = bn::grad_input(g[i], x[i], mean[c], invstd[c] * (w ? w[c] : T(1)), mean_g[c], coef[c]);
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

void batch_norm_train(const Tensor& x_in, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                      const Tensor& running_var, double factor, double eps, const Tensor& out_in,
                      const Tensor& save_mean, const Tensor& save_invstd) {
  const Tensor mean = save_mean.defined() ? save_mean : channel_vector(x_in);
  const Tensor invstd = save_invstd.defined() ? save_invstd : channel_vector(x_in);
  if (cudnn_batch_norm_train(x_in, weight, bias, running_mean, running_var, factor, eps, out_in, mean, invstd)) return;
  const Tensor x = row_major(x_in), out = row_major_output(out_in);
  const Tensor var = channel_vector(x);
  const Shape s = shape_of(x);
  if (s.C == 0) return;
  visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    stats_kernel<T><<<static_cast<unsigned>(s.C), kReduceThreads, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), mean.data_ptr<T>(), var.data_ptr<T>(), invstd.data_ptr<T>(), eps, s);
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
  const Tensor mean_g = channel_vector(x), coef = channel_vector(x);
  visit_floating(x.dtype(), "batch_norm backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backward_reduce_kernel<T><<<static_cast<unsigned>(s.C), kReduceThreads, 0, current_raw_stream()>>>(
        grad.data_ptr<T>(), x.data_ptr<T>(), mean.data_ptr<T>(), invstd.data_ptr<T>(), training, mdata<T>(grad_w),
        mdata<T>(grad_b), mean_g.data_ptr<T>(), coef.data_ptr<T>(), s);
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
