// nn::Conv2d: a 2-D convolution layer over nn::functional::conv2d, initialized like
// PyTorch (kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias alike).
#pragma once
#include <string>

#include "nn/functional/conv.h"
#include "nn/module.h"

namespace ember::nn {

// An aggregate, in this order: nn::Conv2dOptions{.stride = 2, .padding = {1, 0}}.
struct Conv2dOptions {
  Pair stride = 1;
  Pair padding = 0;
  Pair dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Pair kernel_size, Conv2dOptions options = {});
  Tensor forward(const Tensor& input) override;
  // "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)" (defaults left out but stride).
  std::string extra_repr() const override;

  const int64_t in_channels;
  const int64_t out_channels;
  const Pair kernel_size;
  const Conv2dOptions options;
  Tensor& weight;  // [out, in / groups, KH, KW]
  Tensor& bias;    // [out]; undefined without bias
};

}  // namespace ember::nn
