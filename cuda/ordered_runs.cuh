// The sorted form of Note [Ordered runs] (core/ordered_runs.h) on CUDA: keys and values
// sorted by cub's stable radix sort (cuda/ordered_runs.cu), then a thread per sorted position
// combining the runs that start there. Included by cuda/scatter_gather.cu and
// cuda/indexing_kernels.cu.
#pragma once
#include <cstdint>

#include "core/ordered_runs.h"
#include "core/tensor.h"
#include "cuda/grid_stride.cuh"

namespace ember::cuda_kernels {

// keys and values (int64 tensors of n, the keys' bits as uint64, every key <= max_key)
// sorted by key, stably; scratch from the caching allocator on the current stream, nothing
// waits for the host (a CUDA graph can hold it).
struct SortedRuns {
  Tensor keys, values;
};
SortedRuns sort_runs(const Tensor& keys, const Tensor& values, int64_t n, uint64_t max_key);

template <typename T, typename O, typename Combine>
__global__ void combine_runs_kernel(T* self, const O* __restrict__ other, const uint64_t* __restrict__ keys,
                                    const int64_t* __restrict__ values, int64_t n, Combine combine) {
  cuda::detail::for_each_index(n, [&](int64_t p) {
    ordered_runs::combine_run(p, keys, values, n, [&](int64_t s, int64_t o) { combine(self[s], other[o]); });
  });
}

// Combines the sorted runs into self: other[value] into self[key - 1], run by run in order.
template <typename T, typename O, typename Combine>
void combine_sorted_runs(T* self, const O* other, const SortedRuns& runs, int64_t n, Combine combine) {
  combine_runs_kernel<T, O, Combine>
      <<<cuda::detail::grid_stride_blocks(n), cuda::detail::kThreadsPerBlock, 0, cuda::detail::current_raw_stream()>>>(
          self, other, static_cast<const uint64_t*>(runs.keys.data_ptr()), runs.values.data_ptr<int64_t>(), n, combine);
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace ember::cuda_kernels
