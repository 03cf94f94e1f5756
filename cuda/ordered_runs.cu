// cub's stable radix sort of Note [Ordered runs] (core/ordered_runs.h): the keys' significant
// bits only, scratch from ember's caching allocator on the current stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cub/device/device_radix_sort.cuh>

#include "core/factories.h"
#include "cuda/cuda_internal.h"
#include "cuda/ordered_runs.cuh"

namespace ember::cuda_kernels {

SortedRuns sort_runs(const Tensor& keys, const Tensor& values, int64_t n, uint64_t max_key) {
  const int end_bit = ordered_runs::significant_bits(max_key);
  SortedRuns out{make_empty({n}, kInt64, keys.device()), make_empty({n}, kInt64, keys.device())};
  const auto* keys_in = static_cast<const uint64_t*>(keys.data_ptr());
  auto* keys_out = static_cast<uint64_t*>(out.keys.data_ptr());
  cudaStream_t stream = cuda::detail::current_raw_stream();
  size_t temp_bytes = 0;
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_in, keys_out, values.data_ptr<int64_t>(),
                                                   out.values.data_ptr<int64_t>(), n, 0, end_bit, stream));
  const Tensor temp = make_empty({std::max<int64_t>(static_cast<int64_t>(temp_bytes), 1)}, kUInt8, keys.device());
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.data_ptr(), temp_bytes, keys_in, keys_out,
                                                   values.data_ptr<int64_t>(), out.values.data_ptr<int64_t>(), n, 0,
                                                   end_bit, stream));
  return out;
}

}  // namespace ember::cuda_kernels
