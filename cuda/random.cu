// CUDA random fills (uniform, normal) from Philox4x32-10 into a contiguous dst,
// following Note [Philox element mapping] (core/cpu/fill_random.cpp) so the same seed
// and counter draw the same numbers as the CPU: explicit __dmul_rn/__dadd_rn keep the
// compiler from fusing the affine step into an FMA. Each kernel unpacks its PhiloxArgs
// on the device (Note [Graph-safe random numbers] in core/random.h).
#include <algorithm>
#include <type_traits>

#include "core/random.h"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::grid_stride_blocks;

constexpr double kTwoPi = 6.283185307179586476925286766559;
template <typename T>
__device__ __forceinline__ double uniform_unit(const uint32_t words[4]) {
  if constexpr (std::is_same_v<T, float>) return Philox4x32::to_float(words[0]);
  else return Philox4x32::to_double(words[0], words[1]);
}

__device__ __forceinline__ double standard_normal(const uint32_t words[4]) {
  const double u1 = 1.0 - Philox4x32::to_double(words[0], words[1]);  // in (0, 1]
  const double u2 = Philox4x32::to_double(words[2], words[3]);
  return __dmul_rn(sqrt(__dmul_rn(-2.0, log(u1))), cos(__dmul_rn(kTwoPi, u2)));
}

// low + span * u rounded to T; a value that rounds to `high` becomes `low`.
template <typename T>
__global__ void uniform_kernel(T* out, int64_t n, double low, double span, double high, PhiloxArgs rng) {
  uint64_t seed = 0, counter = 0;
  rng.unpack(seed, counter);
  const T low_t = static_cast<T>(low), high_t = static_cast<T>(high);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint32_t words[4];
    Philox4x32::block(seed, counter + static_cast<uint64_t>(i), words);
    const T value = static_cast<T>(__dadd_rn(low, __dmul_rn(span, uniform_unit<T>(words))));
    out[i] = value == high_t ? low_t : value;
  }
}

// mean + stddev * z (Box-Muller) rounded to T.
template <typename T>
__global__ void normal_kernel(T* out, int64_t n, double mean, double stddev, PhiloxArgs rng) {
  uint64_t seed = 0, counter = 0;
  rng.unpack(seed, counter);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint32_t words[4];
    Philox4x32::block(seed, counter + static_cast<uint64_t>(i), words);
    out[i] = static_cast<T>(__dadd_rn(mean, __dmul_rn(stddev, standard_normal(words))));
  }
}

}  // namespace

void uniform(const Tensor& dst, double low, double high, const PhiloxArgs& rng) {
  EMBER_INTERNAL_ASSERT(dst.is_contiguous(), "uniform expects a contiguous destination");
  const int64_t n = dst.numel();
  const double span = high - low;  // on the host, as the CPU computes it
  visit_floating(dst.dtype(), "uniform", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (n == 0) return;
    uniform_kernel<T><<<grid_stride_blocks(n), cuda::detail::kThreadsPerBlock, 0, cuda::detail::current_raw_stream()>>>(
        static_cast<T*>(dst.data_ptr()), n, low, span, high, rng);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void normal(const Tensor& dst, double mean, double stddev, const PhiloxArgs& rng) {
  EMBER_INTERNAL_ASSERT(dst.is_contiguous(), "normal expects a contiguous destination");
  const int64_t n = dst.numel();
  visit_floating(dst.dtype(), "normal", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (n == 0) return;
    normal_kernel<T><<<grid_stride_blocks(n), cuda::detail::kThreadsPerBlock, 0, cuda::detail::current_raw_stream()>>>(
        static_cast<T*>(dst.data_ptr()), n, mean, stddev, rng);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

namespace {
__global__ void write_philox_state_kernel(uint64_t* state, uint64_t seed, uint64_t offset) {
  state[0] = seed;
  state[1] = offset;
}
}  // namespace

void write_philox_state(uint64_t* state, uint64_t seed, uint64_t offset) {
  write_philox_state_kernel<<<1, 1, 0, cuda::detail::current_raw_stream()>>>(state, seed, offset);
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace ember::cuda_kernels
