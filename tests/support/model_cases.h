// Models and optimizers several test files build alike: the one-block CNN (conv, batch
// norm, ReLU, max pool, dropout, linear) and the fused optimizers with options that reach
// their state buffers, each a named factory.
#pragma once
#include <ember/ember.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

}  // namespace ember::testing
