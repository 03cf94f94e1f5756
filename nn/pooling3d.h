// 3-D pooling layers over nn::functional's 3-D pooling: MaxPool3d, AvgPool3d (stride
// defaults to the kernel, padding to 0; PyTorch's other options through MaxPool3dOptions
// and AvgPool3dOptions), AdaptiveMaxPool3d and AdaptiveAvgPool3d.
#pragma once
#include <optional>
#include <string>
#include <tuple>

#include "nn/functional/pool3d.h"
#include "nn/module.h"

namespace ember::nn {

// Aggregates, in this order, the kernel size apart as for the 2-D layers:
// nn::MaxPool3d(3, {.stride = 2, .ceil_mode = true}).
struct MaxPool3dOptions {
  std::optional<Triple> stride = std::nullopt;  // the kernel size when unset
  Triple padding = 0;
  Triple dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool3dOptions {
  std::optional<Triple> stride = std::nullopt;  // the kernel size when unset
  Triple padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::optional<int64_t> divisor_override = std::nullopt;
};

class MaxPool3d : public Module {
 public:
  MaxPool3d(Triple kernel_size, std::optional<Triple> stride = std::nullopt, Triple padding = 0);
  MaxPool3d(Triple kernel_size, const MaxPool3dOptions& options);
  Tensor forward(const Tensor& input) override;
  // PyTorch's return_indices=True: the output and the winners' flat indices (int64).
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"

  const Triple kernel_size, stride, padding, dilation;
  const bool ceil_mode;
};

class AvgPool3d : public Module {
 public:
  AvgPool3d(Triple kernel_size, std::optional<Triple> stride = std::nullopt, Triple padding = 0);
  AvgPool3d(Triple kernel_size, const AvgPool3dOptions& options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0", as PyTorch's

  const Triple kernel_size, stride, padding;
  const bool ceil_mode, count_include_pad;
  const std::optional<int64_t> divisor_override;
};

class AdaptiveAvgPool3d : public Module {
 public:
  explicit AdaptiveAvgPool3d(Triple output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "output_size=(1, 2, 2)" or "output_size=1"

  const Triple output_size;
};

class AdaptiveMaxPool3d : public Module {
 public:
  explicit AdaptiveMaxPool3d(Triple output_size);
  Tensor forward(const Tensor& input) override;
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);  // return_indices=True
  std::string extra_repr() const override;  // "output_size=(1, 2, 2)" or "output_size=1"

  const Triple output_size;
};

}  // namespace ember::nn
