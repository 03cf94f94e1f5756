// Models and optimizers several test files build alike: the one-block CNN (conv, batch
// norm, ReLU, max pool, dropout, linear), the fused optimizers with options that reach
// their state buffers, and layers of many families for the 16-bit sweeps, each named.
#pragma once
#include <ember/ember.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/functional.h"

namespace ember::testing {

// conv 3x3 (1 -> channels, padding 1), BatchNorm2d, ReLU, 2x2 max pool, Flatten, Dropout
// (when dropout > 0), Linear to `classes`, for side x side single-channel images.
inline std::shared_ptr<nn::Sequential> one_block_cnn(int64_t channels, int64_t side, int64_t classes, double dropout) {
  std::vector<std::shared_ptr<nn::Module>> layers{
      std::make_shared<nn::Conv2d>(1, channels, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(channels), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>()};
  if (dropout > 0) layers.push_back(std::make_shared<nn::Dropout>(dropout));
  layers.push_back(std::make_shared<nn::Linear>(channels * (side / 2) * (side / 2), classes));
  return std::make_shared<nn::Sequential>(std::move(layers));
}

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

template <typename Optimizer, typename Options>
MakeOptimizer make_optimizer(Options options) {
  return [options](std::vector<Tensor> params) -> std::unique_ptr<optim::Optimizer> {
    return std::make_unique<Optimizer>(std::move(params), options);
  };
}

// Every fused optimizer (core/cpu/optim_step*.cpp, cuda/optim_step*.cu), with momentum,
// weight decay, AMSGrad or centering on where the optimizer has them.
inline std::vector<std::pair<std::string, MakeOptimizer>> fused_optimizers() {
  return {{"SGD", make_optimizer<optim::SGD>(
                      optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true})},
          {"Adam amsgrad", make_optimizer<optim::Adam>(optim::AdamOptions{.lr = 0.01, .amsgrad = true})},
          {"AdamW", make_optimizer<optim::AdamW>(optim::AdamWOptions{.lr = 0.01})},
          {"RMSprop", make_optimizer<optim::RMSprop>(optim::RMSpropOptions{.momentum = 0.5, .centered = true})},
          {"Adagrad", make_optimizer<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1})},
          {"Adadelta", make_optimizer<optim::Adadelta>(optim::AdadeltaOptions{})},
          {"Adamax", make_optimizer<optim::Adamax>(optim::AdamaxOptions{})},
          {"NAdam", make_optimizer<optim::NAdam>(optim::NAdamOptions{})},
          {"RAdam", make_optimizer<optim::RAdam>(optim::RAdamOptions{})}};
}

// Layers of many families as one-input functions of an x of shape [2, 4, 6, 6] (reshaped
// where a layer needs another rank), parameters cast to x's dtype: what a 16-bit model may
// hold (tests/nn/test_sixteen_bit_models.cpp against float32, the CUDA twin against the CPU).
using LayerCase = std::pair<std::string, std::function<Tensor(const Tensor&)>>;
inline std::vector<LayerCase> sixteen_bit_layer_cases() {
  namespace F = nn::functional;
  // Each case holds its own copies of the parameters (captured by value), brought to x's
  // device and dtype when it runs.
  const auto like = [](const Tensor& p, const Tensor& x) { return p.to(x.device(), x.dtype()); };
  manual_seed(9);
  const Tensor w_conv = randn({6, 4, 3, 3}) * 0.2, w_conv1 = randn({6, 4, 3}) * 0.2;
  const Tensor w_conv3 = randn({3, 4, 2, 2, 2}) * 0.2, w_convt = randn({4, 3, 3, 3}) * 0.2;
  const Tensor w_lin = randn({5, 6}) * 0.3, b_lin = randn({5}) * 0.1, w_prelu = full({4}, 0.2);
  const Tensor ln_w = randn({6}) * 0.5 + 1.0, gn_w = randn({4}) + 1.0, emb_w = randn({10, 3});
  return {
      {"conv2d", [=](const Tensor& x) { return F::conv2d(x, like(w_conv, x), Tensor(), 1, 1); }},
      {"conv1d", [=](const Tensor& x) { return F::conv1d(x.flatten(2), like(w_conv1, x)); }},
      {"conv3d",
       [=](const Tensor& x) {
         return F::conv3d(x.unsqueeze(2).expand({2, 4, 3, 6, 6}), like(w_conv3, x));
       }},
      {"conv_transpose2d", [=](const Tensor& x) { return F::conv_transpose2d(x, like(w_convt, x), Tensor(), 2); }},
      {"linear", [=](const Tensor& x) { return F::linear(x, like(w_lin, x), like(b_lin, x)); }},
      {"layer_norm", [=](const Tensor& x) { return F::layer_norm(x, {6}, like(ln_w, x)); }},
      {"group_norm", [=](const Tensor& x) { return F::group_norm(x, 2, like(gn_w, x)); }},
      {"instance_norm", [=](const Tensor& x) { return F::instance_norm(x); }},
      {"local_response_norm", [=](const Tensor& x) { return F::local_response_norm(x, 3); }},
      {"prelu", [=](const Tensor& x) { return F::prelu(x, like(w_prelu, x)); }},
      {"leaky_relu", [](const Tensor& x) { return F::leaky_relu(x, 0.1); }},
      {"elu", [](const Tensor& x) { return F::elu(x); }},
      {"selu", [](const Tensor& x) { return F::selu(x); }},
      {"celu", [](const Tensor& x) { return F::celu(x); }},
      {"gelu", [](const Tensor& x) { return F::gelu(x); }},
      {"silu", [](const Tensor& x) { return F::silu(x); }},
      {"mish", [](const Tensor& x) { return F::mish(x); }},
      {"softplus", [](const Tensor& x) { return F::softplus(x); }},
      {"hardtanh", [](const Tensor& x) { return F::hardtanh(x); }},
      {"relu6", [](const Tensor& x) { return F::relu6(x); }},
      {"hardswish", [](const Tensor& x) { return F::hardswish(x); }},
      {"hardsigmoid", [](const Tensor& x) { return F::hardsigmoid(x); }},
      {"logsigmoid", [](const Tensor& x) { return F::logsigmoid(x); }},
      {"softsign", [](const Tensor& x) { return F::softsign(x); }},
      {"hardshrink", [](const Tensor& x) { return F::hardshrink(x); }},
      {"threshold", [](const Tensor& x) { return F::threshold(x, 0.1, -1.0); }},
      {"glu", [](const Tensor& x) { return F::glu(x, 3); }},
      {"softmin", [](const Tensor& x) { return F::softmin(x, 1); }},
      {"sigmoid", [](const Tensor& x) { return F::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return F::tanh(x); }},
      {"max_pool1d", [](const Tensor& x) { return F::max_pool1d(x.flatten(2), 3); }},
      {"avg_pool1d", [](const Tensor& x) { return F::avg_pool1d(x.flatten(2), 3); }},
      {"max_pool3d",
       [](const Tensor& x) {
         return F::max_pool3d(x.unsqueeze(2).expand({2, 4, 2, 6, 6}), 2);
       }},
      {"avg_pool3d",
       [](const Tensor& x) {
         return F::avg_pool3d(x.unsqueeze(2).expand({2, 4, 2, 6, 6}), 2);
       }},
      {"adaptive_max_pool2d", [](const Tensor& x) { return F::adaptive_max_pool2d(x, 4); }},
      {"lp_pool2d", [](const Tensor& x) { return F::lp_pool2d(x.abs() + 0.5, 2.0, 2); }},
      {"interpolate nearest", [](const Tensor& x) { return F::interpolate(x, {}, 2.0); }},
      {"interpolate bilinear", [](const Tensor& x) { return F::interpolate(x, {}, 2.0, "bilinear", false); }},
      {"interpolate bicubic", [](const Tensor& x) { return F::interpolate(x, {}, 2.0, "bicubic", false); }},
      {"pad reflect",
       [](const Tensor& x) {
         return F::pad(x, {1, 2, 2, 1}, "reflect");
       }},
      {"pad replicate",
       [](const Tensor& x) {
         return F::pad(x, {1, 2, 2, 1}, "replicate");
       }},
      {"pixel_shuffle", [](const Tensor& x) { return F::pixel_shuffle(x, 2); }},
      {"unfold", [](const Tensor& x) { return F::unfold(x, 3); }},
      {"normalize", [](const Tensor& x) { return F::normalize(x); }},
      {"cosine_similarity", [](const Tensor& x) { return F::cosine_similarity(x, x.flip({3}) + 0.5); }},
      {"attention", [](const Tensor& x) { return F::scaled_dot_product_attention(x, x, x); }},
      {"mse_loss", [](const Tensor& x) { return F::mse_loss(x, x.detach() * 0.5 + 0.25); }},
      {"smooth_l1_loss", [](const Tensor& x) { return F::smooth_l1_loss(x, x.detach() * 0.5); }},
      {"bce_with_logits",
       [](const Tensor& x) { return F::binary_cross_entropy_with_logits(x, (x.detach() > 0).to(x.dtype())); }},
      {"embedding weight",
       [=](const Tensor& x) {
         return F::embedding(tensor(std::vector<int64_t>{1, 3, 3, 9}, {4}).to(x.device()), like(emb_w, x) * x.mean());
       }},
  };
}

}  // namespace ember::testing
