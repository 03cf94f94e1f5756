// The CUDA resampling by taps (cuda/resample_rows.cu), DeviceOps::resample_rows and
// resample_rows_transpose's CUDA entries: declared apart from cuda/cuda_internal.h, which
// most of cuda/ includes.
#pragma once
#include "core/dispatch.h"

namespace ember::cuda_kernels {

void resample_rows(const Tensor& x, const Tensor& index, const Tensor& weight, const ResampleLayout& layout,
                   const Tensor& out);
void resample_rows_transpose(const Tensor& g, const Tensor& index, const Tensor& weight, const ResampleLayout& layout,
                             const Tensor& gx);

}  // namespace ember::cuda_kernels
