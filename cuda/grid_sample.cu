// CUDA grid_sample forward: a thread per grid point (grid-stride), which finds its source
// position once and samples every channel there; the math is core/grid_sample_math.h's, the
// CPU kernel's.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/dtype.h"
#include "core/grid_sample_math.h"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"
#include "cuda/grid_sample.h"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

template <typename T>
__global__ void grid_sample_kernel(const T* __restrict__ input, const T* __restrict__ grid, GridSampleLayout l,
                                   T* __restrict__ out) {
  cuda::detail::for_each_index(l.points(), [&](int64_t p) {
    grid_sample_math::sample_point(input, grid, l, p / (l.Ho * l.Wo), p / l.Wo % l.Ho, p % l.Wo, out);
  });
}

}  // namespace

void grid_sample_forward(const Tensor& input, const Tensor& grid, const GridSampleLayout& l, const Tensor& out) {
  if (l.points() == 0 || l.C == 0) return;
  visit_floating(input.dtype(), "grid_sample", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const unsigned blocks = cuda::detail::grid_stride_blocks(l.points());
    grid_sample_kernel<T><<<blocks, kThreadsPerBlock, 0, current_raw_stream()>>>(
        input.data_ptr<T>(), grid.data_ptr<T>(), l, out.data_ptr<T>());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
