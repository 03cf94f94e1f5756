// Folding an eval-mode BatchNorm into the layer before it (Note [Folding BatchNorm] in
// nn/fusion.h), with PyTorch 1.13's operations in its order.
#include "nn/fusion.h"

#include <vector>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/init.h"

namespace ember::nn::utils {
namespace {

void check_foldable(const Module& layer, const BatchNormBase& bn, int64_t out_channels,
                    bool one_feature_folds = false) {
  EMBER_CHECK(!layer.is_training() && !bn.is_training(), "Fusion only for eval! (", layer.type_name(), " and ",
              bn.type_name(), " must be in eval mode)");
  EMBER_CHECK(bn.running_mean.defined() && bn.running_var.defined(), "fuse: ", bn.type_name(),
              " has no running statistics (track_running_stats=False) to fold");
  // PyTorch 2.x folds a one-feature BatchNorm1d into any Linear (its scale broadcasts).
  EMBER_CHECK(bn.num_features == out_channels || (one_feature_folds && bn.num_features == 1), "fuse: ",
              layer.type_name(), " gives ", out_channels, " channels but ", bn.type_name(), " normalises ",
              bn.num_features, one_feature_folds ? " (To fuse, linear.out_features == bn.num_features or "
                                                   "bn.num_features == 1)" : "");
}

// The fused layer's parameters, set from (weight, bias) on their device and dtype, requiring grad
// as PyTorch's nn.Parameter(fused, layer_param.requires_grad) (a bias the layer lacked: no grad).
void take(Tensor& weight, Tensor& bias, const std::pair<Tensor, Tensor>& fused, const Tensor& layer_weight,
          const Tensor& layer_bias) {
  weight.set_data(fused.first.detach());
  bias.set_data(fused.second.detach());
  weight.requires_grad_(layer_weight.requires_grad());
  bias.requires_grad_(layer_bias.defined() && layer_bias.requires_grad());
}

}  // namespace

std::pair<Tensor, Tensor> fuse_conv_bn_weights(const Tensor& conv_w, const Tensor& conv_b, const Tensor& bn_rm,
                                               const Tensor& bn_rv, double bn_eps, const Tensor& bn_w,
                                               const Tensor& bn_b, bool transpose) {
  const NoGradGuard no_grad;
  const Tensor b = conv_b.defined() ? conv_b : zeros_like(bn_rm);
  const Tensor w = bn_w.defined() ? bn_w : ones_like(bn_rm);
  const Tensor shift = bn_b.defined() ? bn_b : zeros_like(bn_rm);
  const Tensor var_rsqrt = (bn_rv + bn_eps).rsqrt();
  std::vector<int64_t> shape(static_cast<size_t>(conv_w.dim()), 1);
  shape[transpose ? 1 : 0] = -1;
  // PyTorch 2.x: the results in the layer's dtypes (a float16 conv with a float32 BatchNorm stays float16).
  const DType bias_dtype = conv_b.defined() ? conv_b.dtype() : conv_w.dtype();
  return {(conv_w * (w * var_rsqrt).reshape(shape)).to(conv_w.dtype()),
          ((b - bn_rm) * var_rsqrt * w + shift).to(bias_dtype)};
}

std::pair<Tensor, Tensor> fuse_linear_bn_weights(const Tensor& linear_w, const Tensor& linear_b,
                                                 const Tensor& bn_rm, const Tensor& bn_rv, double bn_eps,
                                                 const Tensor& bn_w, const Tensor& bn_b) {
  const NoGradGuard no_grad;
  const Tensor b = linear_b.defined() ? linear_b : zeros_like(bn_rm);
  const Tensor w = bn_w.defined() ? bn_w : ones_like(bn_rm);
  const Tensor shift = bn_b.defined() ? bn_b : zeros_like(bn_rm);
  const Tensor scale = w * (bn_rv + bn_eps).rsqrt();
  const DType bias_dtype = linear_b.defined() ? linear_b.dtype() : linear_w.dtype();
  return {linear_w * scale.unsqueeze(-1).to(linear_w.dtype()), ((b - bn_rm) * scale + shift).to(bias_dtype)};
}

namespace {
// A new convolution like `conv` (Conv1d, Conv2d or Conv3d, or a transposed one), with a
// bias, holding the fold of bn.
template <typename Conv>
std::shared_ptr<Conv> fused_conv(const Conv& conv, const BatchNormBase& bn, bool transpose = false) {
  check_foldable(conv, bn, conv.out_channels);
  EMBER_CHECK(!transpose || conv.options.groups == 1,
              "fuse: a transposed convolution with groups=", conv.options.groups,
              " cannot be folded (PyTorch's reshape of the scale needs groups=1)");
  auto options = conv.options;
  options.bias = true;
  // Made without drawing (its parameters are replaced below), as PyTorch's deepcopy draws nothing.
  const std::shared_ptr<Conv> fused = [&] {
    const init::SkipInitGuard no_draws;
    return std::make_shared<Conv>(conv.in_channels, conv.out_channels, conv.kernel_size, options);
  }();
  take(fused->weight, fused->bias,
       fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.options.eps, bn.weight, bn.bias,
                            transpose),
       conv.weight, conv.bias);
  fused->eval();
  return fused;
}
}  // namespace

std::shared_ptr<Conv2d> fuse_conv_bn_eval(const Conv2d& conv, const BatchNorm2d& bn) { return fused_conv(conv, bn); }

std::shared_ptr<Conv1d> fuse_conv_bn_eval(const Conv1d& conv, const BatchNorm1d& bn) { return fused_conv(conv, bn); }

std::shared_ptr<Conv3d> fuse_conv_bn_eval(const Conv3d& conv, const BatchNorm3d& bn) { return fused_conv(conv, bn); }

std::shared_ptr<ConvTranspose1d> fuse_conv_bn_eval(const ConvTranspose1d& conv, const BatchNorm1d& bn) {
  return fused_conv(conv, bn, /*transpose=*/true);
}
std::shared_ptr<ConvTranspose2d> fuse_conv_bn_eval(const ConvTranspose2d& conv, const BatchNorm2d& bn) {
  return fused_conv(conv, bn, /*transpose=*/true);
}
std::shared_ptr<ConvTranspose3d> fuse_conv_bn_eval(const ConvTranspose3d& conv, const BatchNorm3d& bn) {
  return fused_conv(conv, bn, /*transpose=*/true);
}

std::shared_ptr<Linear> fuse_linear_bn_eval(const Linear& linear, const BatchNorm1d& bn) {
  check_foldable(linear, bn, linear.out_features, /*one_feature_folds=*/true);
  const std::shared_ptr<Linear> fused = [&] {
    const init::SkipInitGuard no_draws;  // as in fused_conv: the fusion draws nothing
    return std::make_shared<Linear>(linear.in_features, linear.out_features, /*bias=*/true);
  }();
  auto folded = fuse_linear_bn_weights(linear.weight, linear.bias, bn.running_mean, bn.running_var, bn.options.eps,
                                       bn.weight, bn.bias);
  if (folded.second.numel() != linear.out_features)  // a one-feature fold of a Linear without bias: [1]
    folded.second = folded.second.expand({linear.out_features}).contiguous();
  take(fused->weight, fused->bias, folded, linear.weight, linear.bias);
  fused->eval();
  return fused;
}

std::shared_ptr<Sequential> fuse_conv_bn_eval(const Sequential& model) {
  EMBER_CHECK(!model.is_training(), "Fusion only for eval! (call eval() on the Sequential first)");
  auto fused = std::make_shared<Sequential>();
  fused->eval();  // before any child: the children it shares keep their own flags
  for (size_t i = 0; i < model.size(); ++i) {
    const std::shared_ptr<Module>& layer = model[i];
    const Module* next = i + 1 < model.size() ? model[i + 1].get() : nullptr;
    // A BatchNorm without running statistics has nothing to fold: left as it is, as
    // torch.fx's fuse skips it (the pairwise fuse_conv_bn_eval refuses it).
    if (const auto* bn = dynamic_cast<const BatchNormBase*>(next); bn && !bn->running_mean.defined()) next = nullptr;
    std::shared_ptr<Module> folded;
    if (const auto* conv = dynamic_cast<const Conv2d*>(layer.get())) {
      if (const auto* bn = dynamic_cast<const BatchNorm2d*>(next)) folded = fuse_conv_bn_eval(*conv, *bn);
    } else if (const auto* conv1 = dynamic_cast<const Conv1d*>(layer.get())) {
      if (const auto* bn = dynamic_cast<const BatchNorm1d*>(next)) folded = fuse_conv_bn_eval(*conv1, *bn);
    } else if (const auto* conv3 = dynamic_cast<const Conv3d*>(layer.get())) {
      if (const auto* bn = dynamic_cast<const BatchNorm3d*>(next)) folded = fuse_conv_bn_eval(*conv3, *bn);
    } else if (const auto* linear = dynamic_cast<const Linear*>(layer.get())) {
      if (const auto* bn = dynamic_cast<const BatchNorm1d*>(next)) folded = fuse_linear_bn_eval(*linear, *bn);
    }
    fused->push_back(folded ? folded : layer);
    if (folded) ++i;  // the BatchNorm is in the fused layer
  }
  return fused;
}

}  // namespace ember::nn::utils
