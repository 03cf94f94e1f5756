// The CUDA grid_sample forward (cuda/grid_sample.cu), DeviceOps::grid_sample_forward's CUDA
// entry: declared apart from cuda/cuda_internal.h, which most of cuda/ includes.
#pragma once
#include "core/dispatch.h"

namespace ember::cuda_kernels {

void grid_sample_forward(const Tensor& input, const Tensor& grid, const GridSampleLayout& layout, const Tensor& out);

}  // namespace ember::cuda_kernels
