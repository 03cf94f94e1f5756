// The CUDA grid_sample kernels (cuda/grid_sample.cu), DeviceOps::grid_sample_forward's and
// grid_sample_backward's CUDA entries: declared apart from cuda/cuda_internal.h, which most
// of cuda/ includes.
#pragma once
#include "core/dispatch.h"

namespace ember::cuda_kernels {

void grid_sample_forward(const Tensor& input, const Tensor& grid, const GridSampleLayout& layout, const Tensor& out);
void grid_sample_backward(const Tensor& grad, const Tensor& input, const Tensor& grid, const GridSampleLayout& layout,
                          const Tensor& grad_input, const Tensor& grad_grid);

}  // namespace ember::cuda_kernels
