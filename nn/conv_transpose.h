// nn::ConvTranspose2d and nn::ConvTranspose1d over nn::functional::conv_transpose2d / 1d:
// PyTorch's constructor order and initialization (the weight [in, out / groups, k...],
// fan_in taken from its second dim), and forward(input, output_size) as in PyTorch.
#pragma once
#include <string>

#include "nn/conv.h"
#include "nn/framed_calls.h"

namespace ember::nn {

// In PyTorch's argument order: nn::ConvTranspose2dOptions{.stride = 2, .output_padding = 1}.
struct ConvTranspose2dOptions {
  Pair stride = 1;
  Pair padding = 0;
  Pair output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  Pair dilation = 1;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Pair kernel_size, ConvTranspose2dOptions options = {});
  Tensor forward(const Tensor& input) override;
  // The output's [H, W] (or [N, C, H, W]) chosen among the sizes the stride allows; the
  // output_padding is derived from it, as PyTorch's forward(input, output_size).
  Tensor forward(const Tensor& input, const Dims& output_size);
  // Through Module::operator(), so hooks (spectral_norm, pruning) see the call (Note [Calls
  // with more arguments] in nn/framed_calls.h).
  Tensor operator()(const Tensor& input, const Dims& output_size);
  using Module::operator();
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in_channels;
  const int64_t out_channels;
  const Pair kernel_size;
  const ConvTranspose2dOptions options;
  Tensor& weight;  // [in, out / groups, KH, KW]
  Tensor& bias;    // [out]; undefined without bias

 private:
  struct Frame {
    Dims output_size;
  };
  detail::FramedCalls<Frame> calls_;
};

struct ConvTranspose1dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  int64_t dilation = 1;
};

// Over [N, C, L] (or [C, L]).
class ConvTranspose1d : public Module {
 public:
  ConvTranspose1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, ConvTranspose1dOptions options = {});
  Tensor forward(const Tensor& input) override;
  Tensor forward(const Tensor& input, const Dims& output_size);  // [L] or [N, C, L]
  // Through Module::operator(), so hooks (spectral_norm, pruning) see the call (Note [Calls
  // with more arguments] in nn/framed_calls.h).
  Tensor operator()(const Tensor& input, const Dims& output_size);
  using Module::operator();
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in_channels;
  const int64_t out_channels;
  const int64_t kernel_size;
  const ConvTranspose1dOptions options;
  Tensor& weight;  // [in, out / groups, K]
  Tensor& bias;    // [out]; undefined without bias

 private:
  struct Frame {
    Dims output_size;
  };
  detail::FramedCalls<Frame> calls_;
};

}  // namespace ember::nn
