// Grid-stride launches: how many blocks fill the GPU for n items (every grid-stride kernel
// of cuda/), and fn(i) for each item i a thread takes.
#pragma once
#include <algorithm>
#include <cstdint>

#include "cuda/cuda_internal.h"

namespace ember::cuda::detail {

// Enough blocks to fill the GPU with a grid-stride loop, at most one per kThreadsPerBlock items.
inline unsigned grid_stride_blocks(int64_t n) {
  constexpr int64_t kMaxBlocks = 1 << 16;
  return static_cast<unsigned>(std::min<int64_t>(blocks_for(n), kMaxBlocks));
}

template <typename Fn>
__device__ void for_each_index(int64_t n, Fn fn) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    fn(i);
}

}  // namespace ember::cuda::detail
