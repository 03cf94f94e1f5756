// CUDA dropout on ember's Philox stream: element dropout is one fused kernel (the keep
// mask drawn, applied and packed as bits in one pass), channel dropout (dropout2d)
// draws its [N, C, 1, 1] mask with rand() and broadcasts it; both keep the mask as bits
// for backward (Note [Compact saved activations] in core/bitmask.h).
//
// Note [Dropout on CUDA draws ember's Philox]
// cuDNN's dropout (cudnnDropoutForward) keeps curand states in device memory and
// advances them in place on each call, so a captured call would draw new masks on each
// replay; but re-seeding it means cudnnSetDropoutDescriptor, whose initialising kernel
// runs when the next eager call sees a new generation: between replays no call comes,
// so manual_seed would not restart the masks, and a re-seed seen inside a capture would
// put the initialisation into the graph and repeat the same masks on every replay. Its
// masks also differ from the CPU's, so a captured step could not be checked against an
// eager CPU one. So CUDA dropout draws from the default generator's Philox stream like
// the CPU (element i of the mask: uniform from counter offset + i, kept when >= p, as
// rand() and core/cpu/dropout.cpp do): the masks equal the CPU's for the same seed and
// counters, a capture reads its counters from the graph's device words (Note
// [Graph-safe random numbers] in core/random.h), and backward keeps a bit per element.
#include <cuda_runtime.h>

#include <type_traits>

#include "core/bitmask.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/random.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

// rand()'s uniform of one Philox block in T (Note [Philox element mapping]).
template <typename T>
__device__ __forceinline__ T uniform_of(const uint32_t w[4]) {
  if constexpr (std::is_same_v<T, float>) return Philox4x32::to_float(w[0]);
  else return Philox4x32::to_double(w[0], w[1]);
}

// A thread per mask byte: elements 8j..8j+7 get out = x * (u >= p) / (1 - p), and byte
// j of `bits` (when kept) their keep bits.
template <typename T>
__global__ void dropout_forward_kernel(const T* __restrict__ x, T* __restrict__ out, uint8_t* __restrict__ bits,
                                       int64_t n, int64_t bytes, T threshold, T scale, PhiloxArgs rng) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= bytes) return;
  uint64_t seed = 0, offset = 0;
  rng.unpack(seed, offset);
  uint8_t byte = 0;
  const int64_t i0 = j * 8;
  for (int k = 0; k < 8 && i0 + k < n; ++k) {
    uint32_t w[4];
    Philox4x32::block(seed, offset + static_cast<uint64_t>(i0 + k), w);
    const bool keep = uniform_of<T>(w) >= threshold;
    out[i0 + k] = x[i0 + k] * (static_cast<T>(keep) * scale);
    byte |= static_cast<uint8_t>(keep) << k;
  }
  if (bits != nullptr) bits[j] = byte;
}

template <typename T>
__global__ void dropout_backward_kernel(const T* __restrict__ grad, const uint8_t* __restrict__ bits,
                                        T* __restrict__ grad_x, int64_t n, T scale) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) grad_x[i] = grad[i] * (static_cast<T>(bit_at(bits, i)) * scale);
}

// Channel dropout: the CPU's rule (uniform u >= p kept, scaled by 1 / (1 - p)) on a
// mask of mask_shape from rand(), broadcast over x; backward gets the mask as bits.
Tensor channel_dropout(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep) {
  Tensor mask = rand(mask_shape, TensorOptions().dtype(x.dtype()).device(x.device()));
  mask = native::to_dtype(native::ge(mask, p), x.dtype());
  native::div_(mask, 1.0 - p);
  binary(BinaryOp::Mul, x, native::expand(mask, x.sizes()), out, 1);
  if (!keep) return Tensor();
  Tensor bits = make_empty({bitmask_bytes(mask.numel())}, kUInt8, x.device());
  positive_bits(mask, bits);
  return bits;
}

}  // namespace

Tensor dropout_forward(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep) {
  if (!(mask_shape == x.sizes())) return channel_dropout(x, p, mask_shape, out, keep);
  const int64_t n = x.numel(), bytes = bitmask_bytes(n);
  Tensor bits = keep ? make_empty({bytes}, kUInt8, x.device()) : Tensor();
  // Reserved even for n == 0 (nothing), as rand() would: the CPU's counters stay in step.
  const PhiloxArgs rng = default_generator().reserve(static_cast<uint64_t>(n), x.device());
  if (n == 0) return bits;
  visit_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dropout_forward_kernel<T><<<blocks_for(bytes), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), out.data_ptr<T>(), keep ? bits.data_ptr<uint8_t>() : nullptr, n, bytes,
        static_cast<T>(p), dropout_scale<T>(p), rng);
    EMBER_CUDA_LAUNCH_CHECK();
  });
  return bits;
}

void dropout_backward(const Tensor& grad, const Tensor& kept, double p, const Dims& mask_shape, const Tensor& grad_x) {
  if (!(mask_shape == grad.sizes())) {  // channel dropout: the mask rebuilt, then broadcast
    Tensor mask = make_empty(mask_shape, grad.dtype(), grad.device());
    unpack_dropout_bits(kept, p, mask);
    binary(BinaryOp::Mul, grad, native::expand(mask, grad.sizes()), grad_x, 1);
    return;
  }
  const int64_t n = grad.numel();
  if (n == 0) return;
  visit_floating(grad.dtype(), "dropout backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dropout_backward_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        grad.data_ptr<T>(), kept.data_ptr<uint8_t>(), grad_x.data_ptr<T>(), n, dropout_scale<T>(p));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
