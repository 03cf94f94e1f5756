// CUDA max / average / adaptive-average pooling over contiguous [planes, H, W]: a
// thread per output in forward, a thread per input in backward (it gathers the
// outputs whose window covers it, in the CPU's order: deterministic, no atomics).
// Windows come from pool_window (core/nn_geometry.h), shared with the CPU kernels; max
// pooling's indices are window-local (Note [Compact saved activations], core/bitmask.h).
#include <cuda_runtime.h>

#include <limits>
#include <type_traits>

#include "core/bitmask.h"
#include "core/pool_indices.h"
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

// Input element i of the [planes, H, W] input: its plane and position, and the outputs
// [oh0, oh1) x [ow0, ow1) whose windows may cover it (the backward kernels' gather range).
struct InputSite {
  int64_t h, w, p, oh0, oh1, ow0, ow1;
};

__device__ InputSite input_site(int64_t i, const PoolGeometry& g) {
  InputSite s{};
  s.w = i % g.W, s.h = i / g.W % g.H, s.p = i / (g.W * g.H);
  outputs_over(s.h, g.H, g.OH, g.KH, g.SH, g.PH, g.adaptive, s.oh0, s.oh1);
  outputs_over(s.w, g.W, g.OW, g.KW, g.SW, g.PW, g.adaptive, s.ow0, s.ow1);
  return s;
}

template <typename T, typename I>
__global__ void max_pool_forward_kernel(const T* x, T* out, I* indices, PoolGeometry g, int64_t total) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= total) return;
  const int64_t ow = o % g.OW, oh = o / g.OW % g.OH, p = o / (g.OW * g.OH);
  const T* s = x + p * g.H * g.W;
  int64_t arg;
  out[o] = window_max(s, g.W, pool_window(g, oh, ow), -std::numeric_limits<T>::infinity(), arg);
  if (indices) indices[o] = static_cast<I>(window_local_index(g, oh, ow, arg));
}

template <typename T, typename I>
__global__ void max_pool_backward_kernel(const T* grad, const I* indices, T* gx, PoolGeometry g, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const InputSite site = input_site(i, g);
  const int64_t h = site.h, w = site.w, p = site.p;
  const int64_t base = p * g.OH * g.OW, self = h * g.W + w;
  T sum = 0;
  for (int64_t oh = site.oh0; oh < site.oh1; ++oh)
    for (int64_t ow = site.ow0; ow < site.ow1; ++ow) {
      const int64_t o = base + oh * g.OW + ow;
      if (window_flat_index(g, oh, ow, indices[o]) == self) sum += grad[o];
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
  const T sum = window_sum(s, g.W, win);
  out[o] = win.divisor > 0 ? sum / static_cast<T>(win.divisor) : T(0);
}

template <typename T>
__global__ void avg_pool_backward_kernel(const T* grad, T* gx, PoolGeometry g, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const InputSite site = input_site(i, g);
  const int64_t h = site.h, w = site.w, p = site.p;
  T sum = 0;
  for (int64_t oh = site.oh0; oh < site.oh1; ++oh)
    for (int64_t ow = site.ow0; ow < site.ow1; ++ow) {
      const PoolWindow win = pool_window(g, oh, ow);
      if (win.divisor <= 0 || h < win.h0 || h >= win.h1 || w < win.w0 || w >= win.w1) continue;
      sum += grad[p * g.OH * g.OW + oh * g.OW + ow] / static_cast<T>(win.divisor);
    }
  gx[i] = sum;
}

// launch(tag, blocks, stream) for a thread per element of `total` (nothing when 0), by dtype.
template <typename Launch>
void launch_per_element(int64_t total, DType dtype, const char* op, const Launch& launch) {
  if (total == 0) return;
  visit_floating(dtype, op, [&](auto tag) {
    launch(tag, blocks_for(total), current_raw_stream());  // each launch is checked where it is made
  });
}

}  // namespace

void max_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out, const Tensor& indices) {
  visit_pool_indices(indices, [&](auto* idx) {
    using I = std::remove_pointer_t<decltype(idx)>;
    launch_per_element(out.numel(), x.dtype(), "max_pool2d", [&](auto tag, unsigned blocks, cudaStream_t stream) {
      using T = typename decltype(tag)::type;
      max_pool_forward_kernel<T, I>
          <<<blocks, kThreadsPerBlock, 0, stream>>>(x.data_ptr<T>(), out.data_ptr<T>(), idx, g, out.numel());
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const PoolGeometry& g, const Tensor& grad_x) {
  visit_pool_indices(indices, [&](auto* idx) {
    using I = std::remove_pointer_t<decltype(idx)>;
    launch_per_element(grad_x.numel(), grad.dtype(), "max_pool2d backward", [&](auto tag, unsigned blocks,
                                                                                 cudaStream_t stream) {
      using T = typename decltype(tag)::type;
      max_pool_backward_kernel<T, I><<<blocks, kThreadsPerBlock, 0, stream>>>(
          grad.data_ptr<T>(), idx, grad_x.data_ptr<T>(), g, grad_x.numel());
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void avg_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out) {
  launch_per_element(out.numel(), x.dtype(), "avg_pool2d", [&](auto tag, unsigned blocks, cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    avg_pool_forward_kernel<T><<<blocks, kThreadsPerBlock, 0, stream>>>(x.data_ptr<T>(), out.data_ptr<T>(), g,
                                                                         out.numel());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void avg_pool2d_backward(const Tensor& grad, const PoolGeometry& g, const Tensor& grad_x) {
  launch_per_element(grad_x.numel(), grad.dtype(), "avg_pool2d backward", [&](auto tag, unsigned blocks,
                                                                               cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    avg_pool_backward_kernel<T><<<blocks, kThreadsPerBlock, 0, stream>>>(grad.data_ptr<T>(), grad_x.data_ptr<T>(),
                                                                          g, grad_x.numel());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
