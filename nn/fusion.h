// torch.nn.utils.fusion: a BatchNorm in eval mode folded into the convolution or linear
// layer before it (one layer's work instead of two at inference), and the same for every
// such pair of a Sequential (Note [Folding BatchNorm]).
#pragma once
#include <memory>
#include <utility>

#include "nn/batchnorm.h"
#include "nn/container.h"
#include "nn/conv.h"
#include "nn/conv3d.h"
#include "nn/conv_transpose.h"
#include "nn/linear.h"

namespace ember::nn::utils {

// Note [Folding BatchNorm]
// In eval mode BatchNorm is the affine map y = (x - mean) * w / sqrt(var + eps) + b per
// channel, so a convolution (or linear layer) followed by it equals one convolution with
// W' = W * s (s = w / sqrt(var + eps), per output channel; per input channel of a
// transposed convolution's [in, out, ...] weight) and b' = (b - mean) * s + b0, PyTorch
// 1.13's fuse_conv_bn_weights and fuse_linear_bn_weights to the operation (so to the
// last bit on the CPU). The fused layer is new, in eval mode, with a bias, on the
// weights' device and dtype; the originals are unchanged. Only for eval: a module in
// training mode is PyTorch's "Fusion only for eval!"; a BatchNorm without running
// statistics (track_running_stats=false) normalises by each batch and cannot be folded.
// The results equal the unfused pair's up to rounding (a few ulps), which may flip an
// argmax between two nearly equal logits.

// Tensors: the fused weight and bias; conv_b, bn_w and bn_b may be undefined (PyTorch's None).
std::pair<Tensor, Tensor> fuse_conv_bn_weights(const Tensor& conv_w, const Tensor& conv_b, const Tensor& bn_rm,
                                               const Tensor& bn_rv, double bn_eps, const Tensor& bn_w,
                                               const Tensor& bn_b, bool transpose = false);
std::pair<Tensor, Tensor> fuse_linear_bn_weights(const Tensor& linear_w, const Tensor& linear_b,
                                                 const Tensor& bn_rm, const Tensor& bn_rv, double bn_eps,
                                                 const Tensor& bn_w, const Tensor& bn_b);

std::shared_ptr<Conv2d> fuse_conv_bn_eval(const Conv2d& conv, const BatchNorm2d& bn);
std::shared_ptr<Conv1d> fuse_conv_bn_eval(const Conv1d& conv, const BatchNorm1d& bn);
std::shared_ptr<Conv3d> fuse_conv_bn_eval(const Conv3d& conv, const BatchNorm3d& bn);
// PyTorch's fuse_conv_bn_eval(conv, bn, transpose=True): the scale along the weight's dim 1
// (groups 1, as PyTorch's reshape needs).
std::shared_ptr<ConvTranspose1d> fuse_conv_bn_eval(const ConvTranspose1d& conv, const BatchNorm1d& bn);
std::shared_ptr<ConvTranspose2d> fuse_conv_bn_eval(const ConvTranspose2d& conv, const BatchNorm2d& bn);
std::shared_ptr<ConvTranspose3d> fuse_conv_bn_eval(const ConvTranspose3d& conv, const BatchNorm3d& bn);
std::shared_ptr<Linear> fuse_linear_bn_eval(const Linear& linear, const BatchNorm1d& bn);

// A new Sequential in which each Conv2d followed by a BatchNorm2d (Conv1d / Linear by a
// BatchNorm1d, Conv3d by a BatchNorm3d) is one fused layer; every other child is the same module, shared. The
// model must be in eval mode.
std::shared_ptr<Sequential> fuse_conv_bn_eval(const Sequential& model);

}  // namespace ember::nn::utils
