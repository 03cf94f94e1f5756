// Pooling layers over nn::functional: MaxPool2d, AvgPool2d (stride defaults to the
// kernel, padding to 0; the rest of PyTorch's options through MaxPool2dOptions and
// AvgPool2dOptions), AdaptiveMaxPool2d and AdaptiveAvgPool2d (a fixed output size).
#pragma once
#include <optional>
#include <string>
#include <tuple>

#include "nn/functional/conv.h"
#include "nn/module.h"

namespace ember::nn {

// Aggregates, in this order, the kernel size apart as for Conv2d:
// nn::MaxPool2d(3, {.stride = 2, .ceil_mode = true}) is libtorch's
// MaxPool2d(MaxPool2dOptions(3).stride(2).ceil_mode(true)). return_indices is
// forward_with_indices, as in libtorch.
struct MaxPool2dOptions {
  std::optional<Pair> stride = std::nullopt;  // the kernel size when unset
  Pair padding = 0;
  Pair dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool2dOptions {
  std::optional<Pair> stride = std::nullopt;  // the kernel size when unset
  Pair padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::optional<int64_t> divisor_override = std::nullopt;
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0);
  MaxPool2d(Pair kernel_size, const MaxPool2dOptions& options);
  Tensor forward(const Tensor& input) override;
  // PyTorch's return_indices=True: the output and the winners' flat indices (int64).
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"

  const Pair kernel_size, stride, padding, dilation;
  const bool ceil_mode;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0);
  AvgPool2d(Pair kernel_size, const AvgPool2dOptions& options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0", as PyTorch's

  const Pair kernel_size, stride, padding;
  const bool ceil_mode, count_include_pad;
  const std::optional<int64_t> divisor_override;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Pair output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "output_size=(1, 1)" or "output_size=1"

  const Pair output_size;
};

class AdaptiveMaxPool2d : public Module {
 public:
  explicit AdaptiveMaxPool2d(Pair output_size);
  Tensor forward(const Tensor& input) override;
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);  // return_indices=True
  std::string extra_repr() const override;  // "output_size=(1, 1)" or "output_size=1"

  const Pair output_size;
};

}  // namespace ember::nn
