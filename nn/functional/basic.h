// nn::functional basics: linear, activations, dropout and batch_norm. Each is
// differentiable; train-only work (dropout masks, batch statistics) depends on the
// `training` argument, and what is saved for backward only on the grad mode.
#pragma once
#include <optional>
#include <string_view>

#include "core/tensor.h"

namespace ember::nn::functional {

// x @ weight^T + bias; weight [out, in], bias [out] (may be undefined).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// inplace = true (and the underscore forms) overwrites x with the result and returns x, as
// PyTorch's (Note [In-place activations] in nn/functional/in_place.h): PyTorch's in-place
// checks, the out-of-place form's gradients.
Tensor relu(const Tensor& x, bool inplace = false);
Tensor relu_(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01, bool inplace = false);
Tensor leaky_relu_(const Tensor& x, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

// PyTorch's activations with their parameters and defaults (nn/functional/activation.cpp):
// float32, float64, bfloat16 or float16 x; one node each, whose backward runs on x's device
// (Note [Activation gradients] in core/activation_functors.h). gelu's approximate is
// "none" (x * Phi(x)) or "tanh"; relu6(x) is hardtanh(x, 0, 6). inplace as relu's (gelu
// and softplus have none, as in PyTorch).
Tensor gelu(const Tensor& x, std::string_view approximate = "none");
Tensor silu(const Tensor& x, bool inplace = false);
Tensor elu(const Tensor& x, double alpha = 1.0, bool inplace = false);
Tensor elu_(const Tensor& x, double alpha = 1.0);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0, bool inplace = false);
Tensor hardtanh_(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor relu6(const Tensor& x, bool inplace = false);
Tensor mish(const Tensor& x, bool inplace = false);

// Zeroes each element with probability p and scales the rest by 1/(1-p) when
// training; the identity (x itself) otherwise. The mask is kept only when recording.
// inplace: the result is written into x (x is returned; only the mask is kept).
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, bool inplace = false);
// Zeroes whole channels: x is [N, C, L] or [C, L].
Tensor dropout1d(const Tensor& x, double p = 0.5, bool training = true, bool inplace = false);
// Zeroes whole channels: x is [N, C, H, W], or 3-D: (N, C, L) with PyTorch 2.x's warning (its
// dropout1d's form; PyTorch documents a future (C, H, W)), so whole (sample, channel) rows drop.
Tensor dropout2d(const Tensor& x, double p = 0.5, bool training = true, bool inplace = false);
// Zeroes whole channels: x is [N, C, D, H, W] or [C, D, H, W].
Tensor dropout3d(const Tensor& x, double p = 0.5, bool training = true, bool inplace = false);

// Normalizes over every dim but dim 1 (channels). Training: batch statistics, and
// running_mean/running_var (if defined) are updated with `momentum`, or with the
// cumulative average 1/num_batches_tracked when momentum is nullopt. Eval: running
// statistics. weight and bias may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                  std::optional<double> momentum = 0.1, double eps = 1e-5,
                  const Tensor& num_batches_tracked = Tensor());
// The eval form in place: x (contiguous, recorded by nothing) becomes its normalization
// by the running statistics, through the same kernel as batch_norm(training = false).
void batch_norm_eval_(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                      const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace ember::nn::functional
