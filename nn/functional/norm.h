// nn::functional::layer_norm and group_norm (PyTorch's signatures and checks): one fused
// kernel family for both (DeviceOps::row_norm_*); no running statistics, so no training
// flag: what they compute never depends on train()/eval(), only what they save on the grad mode.
#pragma once
#include "core/tensor.h"

namespace ember::nn::functional {

// Normalizes over the last normalized_shape.size() dims of x, which must equal
// normalized_shape; weight and bias (undefined: none) have normalized_shape's shape.
Tensor layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// x [N, C, *]: the channels split into num_groups groups (C divisible by it), each (n, group)
// normalized over its channels and positions; weight and bias [C] per channel.
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace ember::nn::functional
