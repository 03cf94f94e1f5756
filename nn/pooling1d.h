// 1-D pooling layers over nn::functional's 1-D pooling: MaxPool1d, AvgPool1d (stride
// defaults to the kernel, padding to 0; PyTorch's other options through MaxPool1dOptions
// and AvgPool1dOptions), AdaptiveMaxPool1d and AdaptiveAvgPool1d.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "nn/functional/pool1d.h"
#include "nn/module.h"

namespace ember::nn {

// Aggregates, in this order, the kernel size apart as for the 2-D layers:
// nn::MaxPool1d(3, {.stride = 2, .ceil_mode = true}).
struct MaxPool1dOptions {
  std::optional<int64_t> stride = std::nullopt;  // the kernel size when unset
  int64_t padding = 0;
  int64_t dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool1dOptions {
  std::optional<int64_t> stride = std::nullopt;  // the kernel size when unset
  int64_t padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

class MaxPool1d : public Module {
 public:
  MaxPool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt, int64_t padding = 0);
  MaxPool1d(int64_t kernel_size, const MaxPool1dOptions& options);
  Tensor forward(const Tensor& input) override;
  // PyTorch's return_indices=True: the output and the winners' indices along L (int64).
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"

  const int64_t kernel_size, stride, padding, dilation;
  const bool ceil_mode;
};

class AvgPool1d : public Module {
 public:
  AvgPool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt, int64_t padding = 0);
  AvgPool1d(int64_t kernel_size, const AvgPool1dOptions& options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=(3,), stride=(3,), padding=(0,)", as PyTorch's

  const int64_t kernel_size, stride, padding;
  const bool ceil_mode, count_include_pad;
};

class AdaptiveAvgPool1d : public Module {
 public:
  explicit AdaptiveAvgPool1d(int64_t output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "output_size=5"
  const int64_t output_size;
};

class AdaptiveMaxPool1d : public Module {
 public:
  explicit AdaptiveMaxPool1d(int64_t output_size);
  Tensor forward(const Tensor& input) override;
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);  // return_indices=True
  std::string extra_repr() const override;  // "output_size=5"
  const int64_t output_size;
};

}  // namespace ember::nn
