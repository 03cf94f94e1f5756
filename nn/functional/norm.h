// nn::functional::layer_norm and group_norm (PyTorch's signatures and checks): one fused
// kernel family for both (DeviceOps::row_norm_*); no running statistics, so no training
// flag: what they compute never depends on train()/eval(), only what they save on the grad mode.
// instance_norm is composed of group_norm and batch_norm (nn/functional/instance_norm.cpp).
#pragma once
#include <optional>

#include "core/tensor.h"

namespace ember::nn::functional {

// Normalizes over the last normalized_shape.size() dims of x, which must equal
// normalized_shape; weight and bias (undefined: none) have normalized_shape's shape.
Tensor layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// PyTorch 2.4's F.rms_norm: x / sqrt(mean(x^2 over the last normalized_shape dims) + eps) * weight,
// computed in float32 for 16-bit x and rounded once; eps nullopt: the compute dtype's epsilon.
Tensor rms_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight = Tensor(),
                std::optional<double> eps = std::nullopt);

// x [N, C, *]: the channels split into num_groups groups (C divisible by it), each (n, group)
// normalized over its channels and positions; weight and bias [C] per channel.
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// PyTorch's F.instance_norm: x [N, C, *] with each (n, c) normalized over its positions.
// use_input_stats: the instance's statistics, and running_mean/running_var (if defined)
// are updated with momentum by the mean over n of the per-instance statistics (the
// variance unbiased, as batch_norm's). Otherwise the running statistics (both required).
// weight and bias [C] (undefined: none). Note [Instance norm composed].
Tensor instance_norm(const Tensor& x, const Tensor& running_mean = Tensor(), const Tensor& running_var = Tensor(),
                     const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool use_input_stats = true,
                     double momentum = 0.1, double eps = 1e-5);

}  // namespace ember::nn::functional
