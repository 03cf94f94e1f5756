// CUDA sort_rows (sort, argsort, topk): each row's values become sort_key()s
// (core/sort_keys.h, as the CPU's order) paired with their positions, cub's stable
// segmented sort orders every row (one segment each), then the first k positions of each
// row pick the values. cub's temporary storage and the key buffers come from ember's
// caching allocator on the current stream (CUDA-graph capturable: no cudaMalloc).
#include <cub/device/device_segmented_sort.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/factories.h"
#include "core/sort_keys.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

constexpr int64_t kMaxBlocks = 1 << 16;

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>(cuda::detail::blocks_for(n), kMaxBlocks));
}

#define EMBER_GRID_STRIDE(i, n)                                                                           \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// keys[i] = sort_key(in[i]) and positions[i] = i's position in its row of n; offsets[r] = r * n.
template <typename T>
__global__ void keys_kernel(const T* __restrict__ in, SortKey<T>* __restrict__ keys, int64_t* __restrict__ positions,
                            int64_t* __restrict__ offsets, int64_t rows, int64_t n) {
  EMBER_GRID_STRIDE(i, rows * n) {
    keys[i] = sort_key(in[i]);
    positions[i] = i % n;
  }
  EMBER_GRID_STRIDE(r, rows + 1) { offsets[r] = r * n; }
}

// values/indices [rows, k] from the first k sorted positions of each row of n.
template <typename T>
__global__ void take_kernel(const T* __restrict__ in, const int64_t* __restrict__ sorted_positions, T* __restrict__ values,
                            int64_t* __restrict__ indices, int64_t rows, int64_t n, int64_t k) {
  EMBER_GRID_STRIDE(i, rows * k) {
    const int64_t r = i / k, j = i - r * k;
    const int64_t p = sorted_positions[r * n + j];
    values[i] = in[r * n + p];
    indices[i] = p;
  }
}

#undef EMBER_GRID_STRIDE

// A scratch buffer of `bytes` from the caching allocator on the current stream.
Tensor scratch(int64_t bytes, Device device) { return make_empty(Dims{std::max<int64_t>(bytes, 1)}, kUInt8, device); }

template <typename T>
void sort_rows_of(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices) {
  using Key = SortKey<T>;
  const int64_t n = in.sizes().back(), rows = in.numel() / n, total = rows * n;
  const Device device = in.device();
  cudaStream_t stream = current_raw_stream();
  const Tensor keys_in = scratch(total * static_cast<int64_t>(sizeof(Key)), device);
  const Tensor keys_out = scratch(total * static_cast<int64_t>(sizeof(Key)), device);
  const Tensor positions_in = scratch(total * 8, device), positions_out = scratch(total * 8, device);
  const Tensor offsets = scratch((rows + 1) * 8, device);
  auto* kin = static_cast<Key*>(keys_in.data_ptr());
  auto* kout = static_cast<Key*>(keys_out.data_ptr());
  auto* pin = static_cast<int64_t*>(positions_in.data_ptr());
  auto* pout = static_cast<int64_t*>(positions_out.data_ptr());
  auto* off = static_cast<int64_t*>(offsets.data_ptr());
  keys_kernel<T><<<grid_for(total), kThreadsPerBlock, 0, stream>>>(in.data_ptr<T>(), kin, pin, off, rows, n);
  EMBER_CUDA_LAUNCH_CHECK();

  const auto run = [&](void* temp, size_t& bytes) {
    return descending ? cub::DeviceSegmentedSort::StableSortPairsDescending(temp, bytes, kin, kout, pin, pout, total,
                                                                            rows, off, off + 1, stream)
                      : cub::DeviceSegmentedSort::StableSortPairs(temp, bytes, kin, kout, pin, pout, total, rows, off,
                                                                  off + 1, stream);
  };
  size_t temp_bytes = 0;
  EMBER_CUDA_CHECK(run(nullptr, temp_bytes));
  const Tensor temp = scratch(static_cast<int64_t>(temp_bytes), device);
  EMBER_CUDA_CHECK(run(temp.data_ptr(), temp_bytes));

  take_kernel<T><<<grid_for(rows * k), kThreadsPerBlock, 0, stream>>>(in.data_ptr<T>(), pout, values.data_ptr<T>(),
                                                                        indices.data_ptr<int64_t>(), rows, n, k);
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace

void sort_rows(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices) {
  const int64_t n = in.sizes().back();
  if (n == 0 || k == 0 || in.numel() == 0) return;
  visit_dtype(in.dtype(), [&](auto tag) { sort_rows_of<typename decltype(tag)::type>(in, k, descending, values, indices); });
}

}  // namespace ember::cuda_kernels
