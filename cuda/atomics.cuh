// Atomic adds of every dtype the scatter kernels accumulate (index_add, scatter_add):
// float and double by atomicAdd, int64 by the unsigned 64-bit atomicAdd (two's
// complement), bfloat16 by compare-and-swap of the 32-bit word around it (float sum).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "core/bfloat16.h"

namespace ember::cuda::detail {

__device__ __forceinline__ void atomic_add(float* address, float value) { atomicAdd(address, value); }
__device__ __forceinline__ void atomic_add(double* address, double value) { atomicAdd(address, value); }
__device__ __forceinline__ void atomic_add(int64_t* address, int64_t value) {
  atomicAdd(reinterpret_cast<unsigned long long*>(address), static_cast<unsigned long long>(value));
}
__device__ inline void atomic_add(BFloat16* address, BFloat16 value) {
  const auto at = reinterpret_cast<uintptr_t>(address);
  auto* word = reinterpret_cast<unsigned int*>(at & ~uintptr_t{3});  // inside the 512-byte-rounded block
  const unsigned shift = (at & 2) != 0 ? 16u : 0u;
  unsigned int old = *word, assumed = 0;
  do {
    assumed = old;
    const BFloat16 current = BFloat16::from_bits(static_cast<uint16_t>(assumed >> shift));
    const BFloat16 sum(static_cast<float>(current) + static_cast<float>(value));  // Note [BFloat16]
    const unsigned int replaced = (assumed & ~(0xffffu << shift)) | (static_cast<unsigned int>(sum.bits) << shift);
    old = atomicCAS(word, assumed, replaced);
  } while (old != assumed);
}

}  // namespace ember::cuda::detail
