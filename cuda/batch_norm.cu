// CUDA batch norm: cuDNN graphs where cudnn_batch_norm.cpp takes the case (NCHW or
// channels-last operands), else these kernels over x seen as [N, C, S], NCHW or
// channels-last alike (no copies): blocks of (image group, channel) sum in
// double (shifted Σx and Σx² for the statistics; in backward Σg and Σg(x - mean)) and a
// second kernel combines each channel's partials in order; an elementwise kernel applies
// core/batch_norm_math.h (the CPU's formula); the statistics' kernel also blends the running
// statistics with native::blend_running_stats's ops (that function itself for odd buffers).
// Each thread's work is in cuda/batch_norm_threads.h (run on the CPU by the tests too). A
// bfloat16 / float16 x (Note [16-bit layers outside autocast] in nn/functional/args.h) is
// read and written by these kernels as it is, computed in float and rounded once, with
// float32 per-channel tensors (DeviceOps::batch_norm_train); cuDNN takes float32 only.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/native.h"
#include "cuda/batch_norm_threads.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

using namespace bn_threads;

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

// Block (channel, group): its threads' sums (cuda/batch_norm_threads.h), summed over the block.
__device__ void write_block_sums(Sums sums, double* partial) {
  block_sum2(sums.a, sums.b);
  if (threadIdx.x == 0) {
    double* out = partial_of(partial, blockIdx.x, gridDim.y, blockIdx.y);
    out[0] = sums.a, out[1] = sums.b;
  }
}

template <typename X>
__global__ void stats_partial_kernel(const X* x, double* partial, Shape s, int64_t per_group) {
  const Images im = images_of(s, blockIdx.y, per_group);
  write_block_sums(stats_sums(x, s, blockIdx.x, im, threadIdx.x, blockDim.x), partial);
}

// Also blends the channel's running statistics (either may be null), as the CPU's
// native::blend_running_stats does after its statistics: no launches of their own.
template <typename X>
__global__ void stats_finalize_kernel(const X* x, const double* partial, int64_t groups, Ch<X>* mean, Ch<X>* var,
                                      Ch<X>* invstd, double eps, Shape s, Ch<X>* running_mean, Ch<X>* running_var,
                                      RunningBlend<Ch<X>> blend) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= s.C) return;
  stats_finalize(x, partial, groups, mean, var, invstd, eps, s, c);
  blend_running_stats(mean[c], var[c], running_mean, running_var, blend.keep, blend.factor, blend.unbias, c);
}

template <typename X>
__global__ void normalize_kernel(const X* x, X* out, const Ch<X>* mean, const Ch<X>* invstd, const Ch<X>* w,
                                 const Ch<X>* b, Shape s, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) normalize_element(x, out, mean, invstd, w, b, s, total <= INT32_MAX, i);
}

// Threads [0, total) normalise an element each; threads [0, C) also save their channel's
// statistics when autograd records (save_mean/save_invstd non-null): one launch either way.
template <typename X>
__global__ void normalize_eval_kernel(const X* x, X* out, const Ch<X>* mean, const Ch<X>* var, Ch<X> eps,
                                      const Ch<X>* w, const Ch<X>* b, Shape s, int64_t total, Ch<X>* save_mean,
                                      Ch<X>* save_invstd) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) normalize_eval_element(x, out, mean, var, eps, w, b, s, total <= INT32_MAX, i);
  if (i < s.C) save_eval_stats(mean, var, eps, save_mean, save_invstd, i);
}

template <typename T>
__global__ void eval_stats_kernel(const T* mean, const T* var, T eps, T* save_mean, T* save_invstd, int64_t C) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c < C) save_eval_stats(mean, var, eps, save_mean, save_invstd, c);
}

template <typename X>
__global__ void backward_partial_kernel(const X* g, const X* x, const Ch<X>* mean, double* partial, Shape s,
                                        int64_t per_group) {
  const Images im = images_of(s, blockIdx.y, per_group);
  write_block_sums(backward_sums(g, x, mean[blockIdx.x], s, blockIdx.x, im, threadIdx.x, blockDim.x), partial);
}

template <typename T>
__global__ void backward_finalize_kernel(const double* partial, int64_t groups, const T* invstd, bool training, T* gw,
                                         T* gb, T* mean_g, T* coef, Shape s) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c < s.C) backward_finalize(partial, groups, invstd, training, gw, gb, mean_g, coef, s, c);
}

template <typename X>
__global__ void grad_input_kernel(const X* g, const X* x, const Ch<X>* mean, const Ch<X>* invstd, const Ch<X>* w,
                                  const Ch<X>* mean_g, const Ch<X>* coef, X* gx, Shape s, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) grad_input_element(g, x, mean, invstd, w, mean_g, coef, gx, s, total <= INT32_MAX, i);
}

template <typename T>
__global__ void running_stats_kernel(const T* mean, const T* invstd, double eps, T* running_mean, T* running_var,
                                     T keep, T factor, T unbias, int64_t C) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c < C) running_stats(mean, invstd, eps, running_mean, running_var, keep, factor, unbias, c);
}

template <typename T>
const T* cdata(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}
template <typename T>
T* mdata(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// A per-channel vector for x: float32 for a 16-bit x (DeviceOps::batch_norm_train), else x's dtype.
Tensor channel_vector(const Tensor& x) { return make_empty({x.size(1)}, compute_dtype(x.dtype()), x.device()); }

// These kernels read and write every operand of a call in x's layout, dense NCHW or
// channels-last (Shape in cuda/batch_norm_threads.h): an x dense in neither is copied to
// NCHW, another operand not laid out like x is copied to x's layout, and an output not laid
// out like x is written to a temporary first. ember's batch norm passes them all alike.
Tensor kernel_x(const Tensor& x) { return x.is_contiguous(dense_format_of(x)) ? x : native::clone(x); }
Tensor like_x(const Tensor& t, const Tensor& x) {
  const MemoryFormat format = dense_format_of(x);
  return !t.defined() || t.is_contiguous(format) ? t : native::clone(t, format);
}
Tensor output_like_x(const Tensor& t, const Tensor& x) {
  const MemoryFormat format = dense_format_of(x);
  return !t.defined() || t.is_contiguous(format) ? t : make_empty(t.sizes(), t.dtype(), t.device(), format);
}
void write_back(const Tensor& temporary, const Tensor& out) {
  if (temporary.defined() && !temporary.is_same(out)) copy(temporary, out);
}

void normalize(const Tensor& x, const Tensor& mean, const Tensor& invstd, const Tensor& w, const Tensor& b,
               const Tensor& out) {
  const int64_t total = x.numel();
  if (total == 0) return;
  visit_floating_or_reduced(x.dtype(), "batch_norm", [&](auto tag) {
    using X = typename decltype(tag)::type;
    using T = Ch<X>;
    normalize_kernel<X><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<X>(), out.data_ptr<X>(), mean.data_ptr<T>(), invstd.data_ptr<T>(), cdata<T>(w), cdata<T>(b),
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
    const RunningBlend<T> blend = running_blend<T>(factor, count);
    running_stats_kernel<T><<<blocks_for(C), kThreadsPerBlock, 0, current_raw_stream()>>>(
        mean.data_ptr<T>(), invstd.data_ptr<T>(), eps, mdata<T>(running_mean), mdata<T>(running_var), blend.keep,
        blend.factor, blend.unbias, C);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void batch_norm_train(const Tensor& x_in, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                      const Tensor& running_var, double factor, double eps, const Tensor& out_in,
                      const Tensor& save_mean, const Tensor& save_invstd) {
  const Tensor mean = save_mean.defined() ? save_mean : channel_vector(x_in);
  const Tensor invstd = save_invstd.defined() ? save_invstd : channel_vector(x_in);
  if (cudnn_batch_norm_train(x_in, weight, bias, running_mean, running_var, factor, eps, out_in, mean, invstd)) return;
  const Tensor x = kernel_x(x_in), out = output_like_x(out_in, x);
  const Tensor var = channel_vector(x);
  const Shape s = shape_of(x);
  if (s.C == 0 || x.numel() == 0) return;  // no statistics of nothing (nn::functional refuses it first)
  const Split split = split_of(s);
  const Tensor partial = make_empty({2 * s.C * split.groups}, kFloat64, x.device());
  const auto blendable = [&](const Tensor& running) {  // what stats_finalize_kernel writes directly
    return !running.defined() ||
           (running.dtype() == compute_dtype(x.dtype()) && running.is_contiguous() && running.numel() == s.C);
  };
  const bool blend_in_kernel = blendable(running_mean) && blendable(running_var);
  visit_floating_or_reduced(x.dtype(), "batch_norm", [&](auto tag) {
    using X = typename decltype(tag)::type;
    using T = Ch<X>;
    const dim3 grid(static_cast<unsigned>(s.C), static_cast<unsigned>(split.groups));
    stats_partial_kernel<X><<<grid, kReduceThreads, 0, current_raw_stream()>>>(
        x.data_ptr<X>(), partial.data_ptr<double>(), s, split.per_group);
    EMBER_CUDA_LAUNCH_CHECK();
    T* const rm = blend_in_kernel ? mdata<T>(running_mean) : nullptr;
    T* const rv = blend_in_kernel ? mdata<T>(running_var) : nullptr;
    stats_finalize_kernel<X><<<blocks_for(s.C), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<X>(), partial.data_ptr<double>(), split.groups, mean.data_ptr<T>(), var.data_ptr<T>(),
        invstd.data_ptr<T>(), eps, s, rm, rv, running_blend<T>(factor, s.N * s.S));
    EMBER_CUDA_LAUNCH_CHECK();
  });
  normalize(x, mean, invstd, weight, bias, out);
  write_back(out, out_in);
  // Running buffers of another dtype or strided (F::batch_norm passes them as given): native ops.
  if (!blend_in_kernel) native::blend_running_stats(mean, var, running_mean, running_var, factor, s.N * s.S);
}

void batch_norm_eval_stats(const Tensor& mean, const Tensor& var, double eps, const Tensor& save_mean,
                           const Tensor& save_invstd) {
  const int64_t C = var.numel();
  if (C == 0 || (!save_mean.defined() && !save_invstd.defined())) return;
  visit_floating(var.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    eval_stats_kernel<T><<<blocks_for(C), kThreadsPerBlock, 0, current_raw_stream()>>>(
        mean.data_ptr<T>(), var.data_ptr<T>(), static_cast<T>(eps), mdata<T>(save_mean), mdata<T>(save_invstd), C);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void batch_norm_eval(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, double eps, const Tensor& out_in, const Tensor& save_mean,
                     const Tensor& save_invstd) {
  if (cudnn_batch_norm_eval(x_in, running_mean, running_var, eps, weight, bias, out_in, save_invstd)) {
    batch_norm_eval_stats(running_mean, running_var, eps, save_mean, Tensor());
    return;
  }
  const Tensor x = kernel_x(x_in), out = out_in.is_same(x_in) ? x : output_like_x(out_in, x);
  const int64_t total = x.numel();
  const Shape s = shape_of(x);
  // An empty x still saves its statistics: threads for max(total, C).
  const int64_t threads = total > s.C ? total : s.C;
  if (threads == 0 || (total == 0 && !save_mean.defined() && !save_invstd.defined())) return;
  visit_floating_or_reduced(x.dtype(), "batch_norm", [&](auto tag) {  // one launch: invstd in each thread
    using X = typename decltype(tag)::type;
    using T = Ch<X>;
    normalize_eval_kernel<X><<<blocks_for(threads), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<X>(), out.data_ptr<X>(), running_mean.data_ptr<T>(), running_var.data_ptr<T>(), static_cast<T>(eps),
        cdata<T>(weight), cdata<T>(bias), s, total, mdata<T>(save_mean), mdata<T>(save_invstd));
    EMBER_CUDA_LAUNCH_CHECK();
  });
  if (total > 0) write_back(out, out_in);
}

void batch_norm_backward(const Tensor& grad_in, const Tensor& x_in, const Tensor& mean, const Tensor& invstd,
                         const Tensor& weight, bool training, const Tensor& grad_x_in, const Tensor& grad_w,
                         const Tensor& grad_b) {
  // cuDNN's backward differentiates through batch statistics: training mode only; and it
  // makes no promise for grad_x == grad (DeviceOps::batch_norm_backward_in_place), which
  // these kernels keep: each thread reads its g[i] before writing gx[i], after the sums.
  const bool in_place = grad_x_in.defined() && grad_x_in.is_alias_of(grad_in);  // undefined: x needs no grad
  if (training && !in_place &&
      cudnn_batch_norm_backward(grad_in, x_in, mean, invstd, weight, grad_x_in, grad_w, grad_b)) {
    return;
  }
  const Tensor x = kernel_x(x_in), grad = like_x(grad_in, x), grad_x = output_like_x(grad_x_in, x);
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
  visit_floating_or_reduced(x.dtype(), "batch_norm backward", [&](auto tag) {
    using X = typename decltype(tag)::type;
    using T = Ch<X>;
    const dim3 grid(static_cast<unsigned>(s.C), static_cast<unsigned>(split.groups));
    backward_partial_kernel<X><<<grid, kReduceThreads, 0, current_raw_stream()>>>(
        grad.data_ptr<X>(), x.data_ptr<X>(), mean.data_ptr<T>(), partial.data_ptr<double>(), s, split.per_group);
    EMBER_CUDA_LAUNCH_CHECK();
    backward_finalize_kernel<T><<<blocks_for(s.C), kThreadsPerBlock, 0, current_raw_stream()>>>(
        partial.data_ptr<double>(), split.groups, invstd.data_ptr<T>(), training, mdata<T>(grad_w), mdata<T>(grad_b),
        mean_g.data_ptr<T>(), coef.data_ptr<T>(), s);
    EMBER_CUDA_LAUNCH_CHECK();
    const int64_t total = x.numel();
    if (grad_x.defined() && total > 0) {
      grad_input_kernel<X><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
          grad.data_ptr<X>(), x.data_ptr<X>(), mean.data_ptr<T>(), invstd.data_ptr<T>(), cdata<T>(weight),
          mean_g.data_ptr<T>(), coef.data_ptr<T>(), grad_x.data_ptr<X>(), s, total);
      EMBER_CUDA_LAUNCH_CHECK();
    }
  });
  write_back(grad_x, grad_x_in);
}

}  // namespace ember::cuda_kernels
