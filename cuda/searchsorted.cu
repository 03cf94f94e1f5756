// CUDA searchsorted: a thread per value, each a binary search of its row
// (core/sorted_position.h, the CPU kernel's math).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/sorted_position.h"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::grid_stride_blocks;
using cuda::detail::kThreadsPerBlock;

template <typename T>
__global__ void searchsorted_kernel(const T* __restrict__ boundaries, const T* __restrict__ values,
                                    int64_t* __restrict__ out, int64_t m, int64_t n, int64_t total, bool shared_row,
                                    bool right) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const T* row = shared_row ? boundaries : boundaries + (i / n) * m;
    out[i] = sorted_position(row, m, values[i], right);
  }
}

}  // namespace

void searchsorted(const Tensor& boundaries, const Tensor& values, bool right, const Tensor& out) {
  const int64_t m = boundaries.sizes().back(), n = values.sizes().back(), total = values.numel();
  if (total == 0) return;
  const bool shared_row = boundaries.numel() == m;
  const auto blocks = grid_stride_blocks(total);
  visit_dtype(values.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    searchsorted_kernel<T><<<blocks, kThreadsPerBlock, 0, current_raw_stream()>>>(
        boundaries.data_ptr<T>(), values.data_ptr<T>(), out.data_ptr<int64_t>(), m, n, total, shared_row, right);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
