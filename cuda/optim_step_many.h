// The CUDA multi-parameter SGD step (cuda/optim_step_many.cu), DeviceOps::sgd_step_many's
// CUDA entry: declared apart from cuda/cuda_internal.h, which most of cuda/ includes.
#pragma once
#include <vector>

#include "core/dispatch.h"

namespace ember::cuda_kernels {

void sgd_step_many(const std::vector<SgdOperands>& params, const SgdStepArgs& args);

}  // namespace ember::cuda_kernels
