// nn::Conv3d and nn::ConvTranspose3d: volumetric layers over nn::functional::conv3d /
// conv_transpose3d, with PyTorch's constructor order, options, initialization, reprs and
// forward(input, output_size) for the transposed layer.
#pragma once
#include <string>

#include "nn/conv.h"
#include "nn/framed_calls.h"
#include "nn/functional/conv3d.h"

namespace ember::nn {

// An aggregate, in this order: nn::Conv3dOptions{.stride = 2, .padding = {0, 1, 1}}.
// padding and padding_mode as Conv2dOptions'.
struct Conv3dOptions {
  Triple stride = 1;
  ConvPadding padding = 0;
  Triple dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";
};

// Over [N, C, D, H, W] (or [C, D, H, W]).
class Conv3d : public Module {
 public:
  Conv3d(int64_t in_channels, int64_t out_channels, Triple kernel_size, Conv3dOptions options = {});
  Tensor forward(const Tensor& input) override;
  // "1, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1)", as PyTorch prints it.
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in_channels;
  const int64_t out_channels;
  const Triple kernel_size;
  const Conv3dOptions options;
  Tensor& weight;  // [out, in / groups, KD, KH, KW]
  Tensor& bias;    // [out]; undefined without bias
};

// In PyTorch's argument order: nn::ConvTranspose3dOptions{.stride = 2, .output_padding = 1}.
struct ConvTranspose3dOptions {
  Triple stride = 1;
  Triple padding = 0;
  Triple output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  Triple dilation = 1;
};

class ConvTranspose3d : public Module {
 public:
  ConvTranspose3d(int64_t in_channels, int64_t out_channels, Triple kernel_size, ConvTranspose3dOptions options = {});
  Tensor forward(const Tensor& input) override;
  // The output's [D, H, W] (or [N, C, D, H, W]) chosen among the sizes the stride allows,
  // as PyTorch's forward(input, output_size).
  Tensor forward(const Tensor& input, const Dims& output_size);
  // Through Module::operator(), so hooks (spectral_norm, pruning) see the call (Note [Calls
  // with more arguments] in nn/framed_calls.h).
  Tensor operator()(const Tensor& input, const Dims& output_size);
  using Module::operator();
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in_channels;
  const int64_t out_channels;
  const Triple kernel_size;
  const ConvTranspose3dOptions options;
  Tensor& weight;  // [in, out / groups, KD, KH, KW]
  Tensor& bias;    // [out]; undefined without bias

 private:
  struct Frame {
    Dims output_size;
  };
  detail::FramedCalls<Frame> calls_;
};

}  // namespace ember::nn
