// CPU kernels behind nn::functional::batch_norm for contiguous float32/float64 input
// seen as [N, C, S]: the training forward (statistics then output, per channel), the
// eval forward, and the backward's three gradients in two passes per channel.
#pragma once
#include <tuple>

#include "core/tensor.h"

namespace ember::nn::functional::detail {

// Training: batch statistics, invstd = 1 / sqrt(var + eps) and the output, channel by
// channel in one kernel (a channel is read from memory once).
struct BatchNormTrainForward {
  Tensor out, mean, var, invstd;  // var: biased
};
BatchNormTrainForward batch_norm_train_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                                   double eps);

// out = (x - mean) * invstd * weight + bias; weight/bias may be undefined.
Tensor batch_norm_forward_cpu(const Tensor& x, const Tensor& mean, const Tensor& invstd, const Tensor& weight,
                              const Tensor& bias);

// Gradients of batch_norm_forward_cpu with respect to x, weight and bias (undefined
// when not needed). training: mean and invstd came from x itself.
std::tuple<Tensor, Tensor, Tensor> batch_norm_backward_cpu(const Tensor& grad, const Tensor& x, const Tensor& mean,
                                                           const Tensor& invstd, const Tensor& weight, bool training,
                                                           bool need_x, bool need_w, bool need_b);

}  // namespace ember::nn::functional::detail
