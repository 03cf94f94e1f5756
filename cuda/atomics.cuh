// Atomic adds of every dtype the scatter kernels accumulate (index_add, scatter_add):
// float and double by atomicAdd, int64 by the unsigned 64-bit atomicAdd (two's
// complement), bfloat16 and float16 by compare-and-swap of the 32-bit word around it (float sum);
// and scatter_reduce's other combinations, by compare-and-swap.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "core/reduced_float.h"
#include "core/gather_layout.h"

namespace ember::cuda::detail {

__device__ __forceinline__ void atomic_add(float* address, float value) { atomicAdd(address, value); }
__device__ __forceinline__ void atomic_add(double* address, double value) { atomicAdd(address, value); }
__device__ __forceinline__ void atomic_add(int64_t* address, int64_t value) {
  atomicAdd(reinterpret_cast<unsigned long long*>(address), static_cast<unsigned long long>(value));
}
// A 16-bit float (bfloat16, float16) replaced by combine(its float value) by compare-and-swap
// of the 32-bit word around it, the float result rounded once (Note [BFloat16]).
template <typename N, typename Combine>
__device__ inline void atomic_update_16bit(N* address, const Combine& combine) {
  const auto at = reinterpret_cast<uintptr_t>(address);
  auto* word = reinterpret_cast<unsigned int*>(at & ~uintptr_t{3});  // inside the 512-byte-rounded block
  const unsigned shift = (at & 2) != 0 ? 16u : 0u;
  unsigned int old = *word, assumed = 0;
  do {
    assumed = old;
    const N current = N::from_bits(static_cast<uint16_t>(assumed >> shift));
    const N updated(combine(static_cast<float>(current)));
    const unsigned int replaced = (assumed & ~(0xffffu << shift)) | (static_cast<unsigned int>(updated.bits) << shift);
    old = atomicCAS(word, assumed, replaced);
  } while (old != assumed);
}
template <typename N, std::enable_if_t<is_reduced_float_v<N>, int> = 0>
__device__ inline void atomic_add(N* address, N value) {
  atomic_update_16bit(address, [&](float current) { return current + static_cast<float>(value); });
}

// scatter_reduce's products, maxima and minima (core/gather_layout.h's scatter_combine):
// compare-and-swap of the element's bits (16-bit floats: of the 32-bit word around it, as above).
__device__ __forceinline__ void atomic_combine(float* address, float value, ScatterReduceKind kind) {
  auto* word = reinterpret_cast<unsigned int*>(address);
  unsigned int old = *word, assumed = 0;
  do {
    assumed = old;
    const float combined = scatter_combine(kind, __uint_as_float(assumed), value);
    old = atomicCAS(word, assumed, __float_as_uint(combined));
  } while (old != assumed);
}
__device__ __forceinline__ void atomic_combine(double* address, double value, ScatterReduceKind kind) {
  auto* word = reinterpret_cast<unsigned long long*>(address);
  unsigned long long old = *word, assumed = 0;
  do {
    assumed = old;
    const double combined = scatter_combine(kind, __longlong_as_double(static_cast<long long>(assumed)), value);
    old = atomicCAS(word, assumed, static_cast<unsigned long long>(__double_as_longlong(combined)));
  } while (old != assumed);
}
__device__ __forceinline__ void atomic_combine(int64_t* address, int64_t value, ScatterReduceKind kind) {
  auto* word = reinterpret_cast<unsigned long long*>(address);
  unsigned long long old = *word, assumed = 0;
  do {
    assumed = old;
    const int64_t combined = scatter_combine(kind, static_cast<int64_t>(assumed), value);
    old = atomicCAS(word, assumed, static_cast<unsigned long long>(combined));
  } while (old != assumed);
}
template <typename N, std::enable_if_t<is_reduced_float_v<N>, int> = 0>
__device__ inline void atomic_combine(N* address, N value, ScatterReduceKind kind) {
  atomic_update_16bit(address,
                      [&](float current) { return scatter_combine(kind, current, static_cast<float>(value)); });
}

}  // namespace ember::cuda::detail
