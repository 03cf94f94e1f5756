// Pooling layers over nn::functional: MaxPool2d, AvgPool2d (stride defaults to the
// kernel, padding to 0) and AdaptiveAvgPool2d (a fixed output size).
#pragma once
#include <optional>
#include <string>

#include "nn/functional/conv.h"
#include "nn/module.h"

namespace ember::nn {

class MaxPool2d : public Module {
 public:
  MaxPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"

  const Pair kernel_size, stride, padding;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0"

  const Pair kernel_size, stride, padding;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Pair output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "output_size=(1, 1)" or "output_size=1"

  const Pair output_size;
};

}  // namespace ember::nn
