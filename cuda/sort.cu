// CUDA sort_rows (sort, argsort, topk): every value becomes its sort_key() (core/sort_keys.h,
// as the CPU's order) paired with its flat position; cub's stable radix sort orders them by
// key, then by row; the first k positions of each row pick the values. cub's temporary
// storage and the buffers come from ember's caching allocator on the current stream, and
// nothing waits for the host, so a CUDA graph can capture it.
#include <cub/device/device_radix_sort.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/factories.h"
#include "core/sort_keys.h"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::grid_stride_blocks;
using cuda::detail::kThreadsPerBlock;

#define EMBER_GRID_STRIDE(i, n)                                                                           \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// keys[i] = sort_key(in[i]) (its complement for descending: the same stable sort then
// orders the other way with ties still in input order) and positions[i] = i.
template <typename T>
__global__ void keys_kernel(const T* __restrict__ in, SortKey<T>* __restrict__ keys, int64_t* __restrict__ positions,
                            int64_t total, bool descending) {
  EMBER_GRID_STRIDE(i, total) {
    const SortKey<T> k = sort_key(in[i]);
    keys[i] = descending ? static_cast<SortKey<T>>(~k) : k;
    positions[i] = i;
  }
}

// rows[i] = the row of flat position positions[i].
__global__ void rows_kernel(const int64_t* __restrict__ positions, uint64_t* __restrict__ rows, int64_t total,
                            int64_t n) {
  EMBER_GRID_STRIDE(i, total) { rows[i] = static_cast<uint64_t>(positions[i] / n); }
}

// values/indices [rows, k] from the first k sorted flat positions of each row of n.
template <typename T>
__global__ void take_kernel(const T* __restrict__ in, const int64_t* __restrict__ sorted, T* __restrict__ values,
                            int64_t* __restrict__ indices, int64_t rows, int64_t n, int64_t k) {
  EMBER_GRID_STRIDE(i, rows * k) {
    const int64_t r = i / k, j = i - r * k;
    const int64_t p = sorted[r * n + j];
    values[i] = in[p];
    indices[i] = p - r * n;
  }
}

#undef EMBER_GRID_STRIDE

// A scratch buffer of `bytes` from the caching allocator on the current stream.
Tensor scratch(int64_t bytes, Device device) { return make_empty(Dims{std::max<int64_t>(bytes, 1)}, kUInt8, device); }

template <typename P>
P* as(const Tensor& t) {
  return static_cast<P*>(t.data_ptr());
}

// Two stable radix sorts of the whole tensor (cub::DeviceRadixSort, which never waits for
// the host, unlike cub's segmented sort with many segments, so a CUDA graph can hold it):
// the flat positions by key, then by row (only the bits row numbers need).
template <typename T>
void sort_rows_of(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices) {
  using Key = SortKey<T>;
  const int64_t n = in.sizes().back(), rows = in.numel() / n, total = rows * n;
  const Device device = in.device();
  cudaStream_t stream = current_raw_stream();
  const int64_t key_bytes = total * static_cast<int64_t>(sizeof(Key)), word_bytes = total * 8;
  const Tensor keys = scratch(key_bytes, device), sorted_keys = scratch(key_bytes, device);
  const Tensor positions = scratch(word_bytes, device), by_key = scratch(word_bytes, device);
  keys_kernel<T><<<grid_stride_blocks(total), kThreadsPerBlock, 0, stream>>>(
      in.data_ptr<T>(), as<Key>(keys), as<int64_t>(positions), total, descending);
  EMBER_CUDA_LAUNCH_CHECK();
  int row_bits = 0;
  while (row_bits < 63 && (int64_t{1} << row_bits) < rows) ++row_bits;

  size_t key_pass = 0, row_pass = 0;
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, key_pass, as<Key>(keys), as<Key>(sorted_keys),
                                                   as<int64_t>(positions), as<int64_t>(by_key), total, 0,
                                                   static_cast<int>(sizeof(Key) * 8), stream));
  if (rows > 1) {
    EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, row_pass, as<uint64_t>(keys), as<uint64_t>(keys),
                                                     as<int64_t>(by_key), as<int64_t>(positions), total, 0, row_bits,
                                                     stream));
  }
  size_t temp_bytes = std::max(key_pass, row_pass);
  const Tensor temp = scratch(static_cast<int64_t>(temp_bytes), device);
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.data_ptr(), temp_bytes, as<Key>(keys), as<Key>(sorted_keys),
                                                   as<int64_t>(positions), as<int64_t>(by_key), total, 0,
                                                   static_cast<int>(sizeof(Key) * 8), stream));
  const int64_t* sorted = as<int64_t>(by_key);
  Tensor row_keys, row_sorted;
  if (rows > 1) {  // stable by row: each row's positions stay in key order
    row_keys = scratch(word_bytes, device);
    row_sorted = scratch(word_bytes, device);
    rows_kernel<<<grid_stride_blocks(total), kThreadsPerBlock, 0, stream>>>(as<int64_t>(by_key),
                                                                          as<uint64_t>(row_keys), total, n);
    EMBER_CUDA_LAUNCH_CHECK();
    temp_bytes = std::max(key_pass, row_pass);
    EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.data_ptr(), temp_bytes, as<uint64_t>(row_keys),
                                                     as<uint64_t>(row_sorted), as<int64_t>(by_key),
                                                     as<int64_t>(positions), total, 0, row_bits, stream));
    sorted = as<int64_t>(positions);
  }
  take_kernel<T><<<grid_stride_blocks(rows * k), kThreadsPerBlock, 0, stream>>>(
      in.data_ptr<T>(), sorted, values.data_ptr<T>(), indices.data_ptr<int64_t>(), rows, n, k);
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace

void sort_rows(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices) {
  const int64_t n = in.sizes().back();
  if (n == 0 || k == 0 || in.numel() == 0) return;
  visit_dtype(in.dtype(), [&](auto tag) { sort_rows_of<typename decltype(tag)::type>(in, k, descending, values, indices); });
}

}  // namespace ember::cuda_kernels
