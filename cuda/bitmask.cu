// CUDA bit masks kept for backward (Note [Compact saved activations] in core/bitmask.h):
// a thread per mask byte packs y > 0, or runs ReLU's forward or backward, over its eight
// elements;
// a thread per element rebuilds dropout's scaled mask. The math is core/bitmask.h's.
#include <cuda_runtime.h>

#include "core/bitmask.h"
#include "core/reduced_float.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

template <typename T>
__global__ void positive_bits_kernel(const T* y, uint8_t* bits, int64_t n, int64_t bytes) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j < bytes) bits[j] = positive_bits_byte(y, n, j);
}

template <typename T>
__global__ void relu_forward_bits_kernel(const T* x, T* y, uint8_t* bits, int64_t n, int64_t bytes) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j < bytes) bits[j] = relu_bits_byte(x, y, n, j);
}

template <typename T>
__global__ void relu_backward_bits_kernel(const T* grad, const uint8_t* bits, T* grad_x, int64_t n, int64_t bytes) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j < bytes) grad_where_bits_byte(grad, bits[j], grad_x, n, j);
}

template <typename T>
__global__ void leaky_relu_backward_bits_kernel(const T* grad, const uint8_t* bits, T slope, T* grad_x, int64_t n,
                                                int64_t bytes) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j < bytes) leaky_grad_where_bits_byte(grad, bits[j], slope, grad_x, n, j);
}

// 16-bit: the byte's values widened, LeakyReluGrad's select in float, each rounded once.
template <typename T>
__global__ void leaky_relu_backward_bits_16_kernel(const T* grad, const uint8_t* bits, float slope, T* grad_x,
                                                   int64_t n, int64_t bytes) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= bytes) return;
  float g[8], d[8];
  if (8 * j + 8 <= n) {  // a whole byte: fixed trip counts keep g and d in registers
#pragma unroll
    for (int k = 0; k < 8; ++k) g[k] = static_cast<float>(grad[8 * j + k]);
    leaky_grad_where_bits_byte(g, bits[j], slope, d, int64_t{8}, int64_t{0});
#pragma unroll
    for (int k = 0; k < 8; ++k) grad_x[8 * j + k] = static_cast<T>(d[k]);
    return;
  }
  const int64_t values = n - 8 * j;
  for (int64_t k = 0; k < values; ++k) g[k] = static_cast<float>(grad[8 * j + k]);
  leaky_grad_where_bits_byte(g, bits[j], slope, d, values, int64_t{0});
  for (int64_t k = 0; k < values; ++k) grad_x[8 * j + k] = static_cast<T>(d[k]);
}

template <typename T>
__global__ void unpack_dropout_bits_kernel(const uint8_t* bits, double p, T* mask, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) mask[i] = static_cast<T>(bit_at(bits, i)) * dropout_scale<T>(p);
}

}  // namespace

void positive_bits(const Tensor& y, const Tensor& bits) {
  const int64_t n = y.numel(), bytes = bitmask_bytes(n);
  if (bytes == 0) return;
  visit_floating_or_reduced(y.dtype(), "positive_bits", [&](auto tag) {
    using T = typename decltype(tag)::type;
    positive_bits_kernel<T><<<blocks_for(bytes), kThreadsPerBlock, 0, current_raw_stream()>>>(
        y.data_ptr<T>(), bits.data_ptr<uint8_t>(), n, bytes);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void relu_forward_bits(const Tensor& x, const Tensor& y, const Tensor& bits) {
  const int64_t n = x.numel(), bytes = bitmask_bytes(n);
  if (bytes == 0) return;
  visit_floating_or_reduced(x.dtype(), "relu", [&](auto tag) {
    using T = typename decltype(tag)::type;
    relu_forward_bits_kernel<T><<<blocks_for(bytes), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), y.data_ptr<T>(), bits.data_ptr<uint8_t>(), n, bytes);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void relu_backward_bits(const Tensor& grad, const Tensor& bits, const Tensor& grad_x) {
  const int64_t n = grad.numel(), bytes = bitmask_bytes(n);
  if (bytes == 0) return;
  visit_floating_or_reduced(grad.dtype(), "relu backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    relu_backward_bits_kernel<T><<<blocks_for(bytes), kThreadsPerBlock, 0, current_raw_stream()>>>(
        grad.data_ptr<T>(), bits.data_ptr<uint8_t>(), grad_x.data_ptr<T>(), n, bytes);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void leaky_relu_backward_bits(const Tensor& grad, const Tensor& bits, double negative_slope, const Tensor& grad_x) {
  const int64_t n = grad.numel(), bytes = bitmask_bytes(n);
  if (bytes == 0) return;
  visit_floating_or_reduced(grad.dtype(), "leaky_relu backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_reduced_float_v<T>) {
      leaky_relu_backward_bits_16_kernel<T><<<blocks_for(bytes), kThreadsPerBlock, 0, current_raw_stream()>>>(
          grad.data_ptr<T>(), bits.data_ptr<uint8_t>(), static_cast<float>(negative_slope), grad_x.data_ptr<T>(), n,
          bytes);
      EMBER_CUDA_LAUNCH_CHECK();
    } else {
      leaky_relu_backward_bits_kernel<T><<<blocks_for(bytes), kThreadsPerBlock, 0, current_raw_stream()>>>(
          grad.data_ptr<T>(), bits.data_ptr<uint8_t>(), static_cast<T>(negative_slope), grad_x.data_ptr<T>(), n,
          bytes);
      EMBER_CUDA_LAUNCH_CHECK();
    }
  });
}

void unpack_dropout_bits(const Tensor& bits, double p, const Tensor& mask) {
  const int64_t n = mask.numel();
  if (n == 0) return;
  visit_floating_or_reduced(mask.dtype(), "dropout backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    unpack_dropout_bits_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        bits.data_ptr<uint8_t>(), p, mask.data_ptr<T>(), n);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
