// CUDA grid_sample kernels: a thread per grid point (grid-stride), which finds its source
// position once and samples every channel there, or for the backward adds every channel's
// share into the input's gradient by atomics and writes the point's grid gradient (under
// use_deterministic_algorithms: a thread per channel plane of the input's gradient walking
// the points in order, the CPU's sums); the math is core/grid_sample_math.h's, the CPU kernels'.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/deterministic.h"
#include "core/dtype.h"
#include "core/grid_sample_math.h"
#include "cuda/atomics.cuh"
#include "cuda/cuda_internal.h"
#include "cuda/grid_sample.h"
#include "cuda/grid_stride.cuh"

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

template <typename T>
__global__ void grid_sample_backward_kernel(const T* __restrict__ grad, const T* __restrict__ input,
                                            const T* __restrict__ grid, GridSampleLayout l, T* grad_input,
                                            T* __restrict__ grad_grid) {
  const auto add = [](T* address, T value) { cuda::detail::atomic_add(address, value); };
  cuda::detail::for_each_index(l.points(), [&](int64_t p) {
    grid_sample_math::sample_point_backward(grad, input, grid, l, p / (l.Ho * l.Wo), p / l.Wo % l.Ho, p % l.Wo,
                                            grad_input, grad_grid, add);
  });
}

// The input gradient's deterministic form: a thread per (n, c) plane.
template <typename T>
__global__ void grid_sample_input_grad_planes_kernel(const T* __restrict__ grad, const T* __restrict__ grid,
                                                     GridSampleLayout l, T* grad_input) {
  cuda::detail::for_each_index(l.N * l.C, [&](int64_t plane) {
    grid_sample_math::plane_input_grad(grad, grid, l, plane / l.C, plane % l.C, grad_input);
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

void grid_sample_backward(const Tensor& grad, const Tensor& input, const Tensor& grid, const GridSampleLayout& l,
                          const Tensor& grad_input, const Tensor& grad_grid) {
  if (grad_input.defined()) fill(grad_input, Scalar(0));  // summed into
  if (l.points() == 0) return;
  const bool planes = grad_input.defined() && are_deterministic_algorithms_enabled();
  visit_floating(grid.dtype(), "grid_sample backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto pointer = [](const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; };
    if (planes && l.C > 0) {
      grid_sample_input_grad_planes_kernel<T>
          <<<cuda::detail::grid_stride_blocks(l.N * l.C), kThreadsPerBlock, 0, current_raw_stream()>>>(
              grad.data_ptr<T>(), grid.data_ptr<T>(), l, grad_input.data_ptr<T>());
      EMBER_CUDA_LAUNCH_CHECK();
    }
    if (planes && !grad_grid.defined()) return;
    const unsigned blocks = cuda::detail::grid_stride_blocks(l.points());
    grid_sample_backward_kernel<T><<<blocks, kThreadsPerBlock, 0, current_raw_stream()>>>(
        grad.data_ptr<T>(), pointer(input), grid.data_ptr<T>(), l, planes ? nullptr : pointer(grad_input),
        pointer(grad_grid));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
