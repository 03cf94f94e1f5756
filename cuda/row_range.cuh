// The rows a group of kRowThreads threads works on in the row kernels (softmax and the
// class losses in cuda/softmax_loss.cu, LayerNorm/GroupNorm in cuda/norm.cu): a
// grid-stride loop over rows, the same for every thread of the group.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace ember::cuda::detail {

// This thread's row group starts at `first` and steps by `stride` (row groups in the grid).
template <int kRowThreads>
struct RowRange {
  int64_t first, stride;
  __device__ RowRange() {
    const int64_t groups_per_block = blockDim.x / kRowThreads;
    first = static_cast<int64_t>(blockIdx.x) * groups_per_block + threadIdx.x / kRowThreads;
    stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  }
};

}  // namespace ember::cuda::detail
