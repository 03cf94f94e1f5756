// CUDA max / average / adaptive pooling over [planes, H, W] with PyTorch's options (Note
// [Pooling options] in nn/functional/pool.cpp), NCHW or channels-last
// (each operand either; Note [Channels-last layers] in nn/functional/args.h): a thread per
// output in forward, a thread per input in backward (it gathers the outputs whose window
// covers it, in the CPU's order: deterministic, no atomics), in memory order.
// Windows come from pool_window (core/nn_geometry.h), shared with the CPU kernels; max
// pooling's indices are window-local (Note [Compact saved activations], core/bitmask.h)
// unless flat ones were asked for (return_indices).
// Each thread's work is in cuda/pool_threads.h (run on the CPU by the tests too).
#include <cuda_runtime.h>

#include <algorithm>
#include <type_traits>

#include "core/pool_indices.h"
#include "cuda/cuda_internal.h"
#include "cuda/pool_threads.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;
using pool::layout_of;
using pool::PlaneLayout;

// A thread per element of `total`; each does what cuda/pool_threads.h says, in Index math.
template <typename T, typename I, typename Index>
__global__ void max_pool_forward_kernel(const T* x, PlaneLayout<Index> xl, T* out, PlaneLayout<Index> ol, I* indices,
                                        PlaneLayout<Index> il, PoolGeometry g, int64_t total) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o < total) pool::max_forward(x, xl, out, ol, indices, il, g, static_cast<Index>(o));
}

template <typename T, typename I, typename Index>
__global__ void max_pool_backward_kernel(const T* grad, PlaneLayout<Index> gl, const I* indices, PlaneLayout<Index> il,
                                         T* gx, PlaneLayout<Index> xl, PoolGeometry g, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) pool::max_backward(grad, gl, indices, il, gx, xl, g, static_cast<Index>(i));
}

template <typename T, typename Index>
__global__ void avg_pool_forward_kernel(const T* x, PlaneLayout<Index> xl, T* out, PlaneLayout<Index> ol,
                                        PoolGeometry g, int64_t total) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o < total) pool::avg_forward(x, xl, out, ol, g, static_cast<Index>(o));
}

template <typename T, typename Index>
__global__ void avg_pool_backward_kernel(const T* grad, PlaneLayout<Index> gl, T* gx, PlaneLayout<Index> xl,
                                         PoolGeometry g, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) pool::avg_backward(grad, gl, gx, xl, g, static_cast<Index>(i));
}

// launch(tag, index, blocks, stream) for a thread per element of `total` (nothing when 0),
// by dtype and index width: int32_t where pool_fits_32_bits for the larger of input and output.
template <typename Launch>
void launch_per_element(int64_t total, const PoolGeometry& g, DType dtype, const char* op, const Launch& launch) {
  const int64_t largest = g.planes * std::max(g.H * g.W, g.OH * g.OW);
  if (total == 0) return;
  visit_floating_or_reduced(dtype, op, [&](auto tag) {
    if (pool_fits_32_bits(g, largest)) {
      launch(tag, int32_t{}, blocks_for(total), current_raw_stream());  // each launch is checked where it is made
    } else {
      launch(tag, int64_t{}, blocks_for(total), current_raw_stream());
    }
  });
}

}  // namespace

void max_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out, const Tensor& indices) {
  visit_pool_indices(indices, [&](auto* idx) {
    using I = std::remove_pointer_t<decltype(idx)>;
    launch_per_element(out.numel(), g, x.dtype(), "max_pool2d",
                       [&](auto tag, auto index, unsigned blocks, cudaStream_t stream) {
      using T = typename decltype(tag)::type;
      using Index = decltype(index);
      max_pool_forward_kernel<T, I, Index><<<blocks, kThreadsPerBlock, 0, stream>>>(
          x.data_ptr<T>(), layout_of<Index>(x), out.data_ptr<T>(), layout_of<Index>(out), idx,
          indices.defined() ? layout_of<Index>(indices) : PlaneLayout<Index>{}, g, out.numel());
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const PoolGeometry& g, const Tensor& grad_x) {
  visit_pool_indices(indices, [&](auto* idx) {
    using I = std::remove_pointer_t<decltype(idx)>;
    launch_per_element(grad_x.numel(), g, grad.dtype(), "max_pool2d backward",
                       [&](auto tag, auto index, unsigned blocks, cudaStream_t stream) {
      using T = typename decltype(tag)::type;
      using Index = decltype(index);
      max_pool_backward_kernel<T, I, Index><<<blocks, kThreadsPerBlock, 0, stream>>>(
          grad.data_ptr<T>(), layout_of<Index>(grad), idx, layout_of<Index>(indices), grad_x.data_ptr<T>(),
          layout_of<Index>(grad_x), g, grad_x.numel());
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void avg_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out) {
  launch_per_element(out.numel(), g, x.dtype(), "avg_pool2d",
                     [&](auto tag, auto index, unsigned blocks, cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    using Index = decltype(index);
    avg_pool_forward_kernel<T, Index><<<blocks, kThreadsPerBlock, 0, stream>>>(
        x.data_ptr<T>(), layout_of<Index>(x), out.data_ptr<T>(), layout_of<Index>(out), g,
        out.numel());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void avg_pool2d_backward(const Tensor& grad, const PoolGeometry& g, const Tensor& grad_x) {
  launch_per_element(grad_x.numel(), g, grad.dtype(), "avg_pool2d backward",
                     [&](auto tag, auto index, unsigned blocks, cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    using Index = decltype(index);
    avg_pool_backward_kernel<T, Index><<<blocks, kThreadsPerBlock, 0, stream>>>(
        grad.data_ptr<T>(), layout_of<Index>(grad), grad_x.data_ptr<T>(), layout_of<Index>(grad_x), g,
        grad_x.numel());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
