// CUDA max / average / adaptive-average pooling over contiguous [planes, H, W]: a
// thread per output in forward, a thread per input in backward (it gathers the
// outputs whose window covers it, in the CPU's order: deterministic, no atomics).
// Windows come from pool_window (core/nn_geometry.h), shared with the CPU kernels.
#include <cuda_runtime.h>

#include <limits>

#include "core/nn_geometry.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

// The outputs [lo, hi) along one axis whose windows may cover input position i
// (a superset for the adaptive rule's rounding; callers check with pool_window).
__device__ void outputs_over(int64_t i, int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad,
                             bool adaptive, int64_t& lo, int64_t& hi) {
  if (adaptive) {
    lo = i * out / in;
    hi = ((i + 1) * out + in - 1) / in;
  } else {
    const int64_t first = i + pad - k;  // outputs with o * stride > first
    lo = first < 0 ? 0 : first / stride + 1;
    hi = (i + pad) / stride + 1;
  }
  lo = lo < 0 ? 0 : lo;
  hi = hi > out ? out : hi;
}

template <typename T>
__global__ void max_pool_forward_kernel(const T* x, T* out, int64_t* indices, PoolGeometry g, int64_t total) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= total) return;
  const int64_t ow = o % g.OW, oh = o / g.OW % g.OH, p = o / (g.OW * g.OH);
  const T* s = x + p * g.H * g.W;
  const PoolWindow win = pool_window(g, oh, ow);
  T best = -std::numeric_limits<T>::infinity();
  int64_t arg = win.h0 * g.W + win.w0;
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) {
      const T v = s[h * g.W + w];
      if (pool_takes(v, best)) {
        best = v;
        arg = h * g.W + w;
      }
    }
  out[o] = best;
  if (indices) indices[o] = arg;
}

template <typename T>
__global__ void max_pool_backward_kernel(const T* grad, const int64_t* indices, T* gx, PoolGeometry g,
                                         int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t w = i % g.W, h = i / g.W % g.H, p = i / (g.W * g.H);
  int64_t oh0, oh1, ow0, ow1;
  outputs_over(h, g.H, g.OH, g.KH, g.SH, g.PH, g.adaptive, oh0, oh1);
  outputs_over(w, g.W, g.OW, g.KW, g.SW, g.PW, g.adaptive, ow0, ow1);
  const int64_t base = p * g.OH * g.OW, self = h * g.W + w;
  T sum = 0;
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow) {
      const int64_t o = base + oh * g.OW + ow;
      if (indices[o] == self) sum += grad[o];
    }
  gx[i] = sum;
}

template <typename T>
__global__ void avg_pool_forward_kernel(const T* x, T* out, PoolGeometry g, int64_t total) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= total) return;
  const int64_t ow = o % g.OW, oh = o / g.OW % g.OH, p = o / (g.OW * g.OH);
  const T* s = x + p * g.H * g.W;
  const PoolWindow win = pool_window(g, oh, ow);
  T sum = 0;
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) sum += s[h * g.W + w];
  out[o] = win.divisor > 0 ? sum / static_cast<T>(win.divisor) : T(0);
}

template <typename T>
__global__ void avg_pool_backward_kernel(const T* grad, T* gx, PoolGeometry g, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t w = i % g.W, h = i / g.W % g.H, p = i / (g.W * g.H);
  int64_t oh0, oh1, ow0, ow1;
  outputs_over(h, g.H, g.OH, g.KH, g.SH, g.PH, g.adaptive, oh0, oh1);
  outputs_over(w, g.W, g.OW, g.KW, g.SW, g.PW, g.adaptive, ow0, ow1);
  T sum = 0;
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow) {
      const PoolWindow win = pool_window(g, oh, ow);
      if (win.divisor <= 0 || h < win.h0 || h >= win.h1 || w < win.w0 || w >= win.w1) continue;
      sum += grad[p * g.OH * g.OW + oh * g.OW + ow] / static_cast<T>(win.divisor);
    }
  gx[i] = sum;
}

}  // namespace

void max_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out, const Tensor& indices) {
  const int64_t total = out.numel();
  if (total == 0) return;
  visit_floating(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    max_pool_forward_kernel<T><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), out.data_ptr<T>(), indices.defined() ? indices.data_ptr<int64_t>() : nullptr, g, total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const PoolGeometry& g, const Tensor& grad_x) {
  const int64_t total = grad_x.numel();
  if (total == 0) return;
  visit_floating(grad.dtype(), "max_pool2d backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    max_pool_backward_kernel<T><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
        grad.data_ptr<T>(), indices.data_ptr<int64_t>(), grad_x.data_ptr<T>(), g, total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void avg_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out) {
  const int64_t total = out.numel();
  if (total == 0) return;
  visit_floating(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    avg_pool_forward_kernel<T><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), out.data_ptr<T>(), g, total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void avg_pool2d_backward(const Tensor& grad, const PoolGeometry& g, const Tensor& grad_x) {
  const int64_t total = grad_x.numel();
  if (total == 0) return;
  visit_floating(grad.dtype(), "avg_pool2d backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    avg_pool_backward_kernel<T><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
        grad.data_ptr<T>(), grad_x.data_ptr<T>(), g, total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
