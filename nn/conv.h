// nn::Conv2d and nn::Conv1d: convolution layers over nn::functional::conv2d / conv1d,
// initialized like PyTorch (kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
// bias alike). The transposed layers are in nn/conv_transpose.h.
#pragma once
#include <string>

#include "nn/functional/conv.h"
#include "nn/module.h"

namespace ember::nn {

// An aggregate, in this order: nn::Conv2dOptions{.stride = 2, .padding = {1, 0}}.
// padding: an int, a pair, nn::kSame or nn::kValid; padding_mode: "zeros", "reflect",
// "replicate" or "circular" (the input padded with F::pad first, as PyTorch's layers do).
struct Conv2dOptions {
  Pair stride = 1;
  ConvPadding padding = 0;
  Pair dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Pair kernel_size, Conv2dOptions options = {});
  Tensor forward(const Tensor& input) override;
  // "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)" (defaults left out but stride).
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in_channels;
  const int64_t out_channels;
  const Pair kernel_size;
  const Conv2dOptions options;
  Tensor& weight;  // [out, in / groups, KH, KW]
  Tensor& bias;    // [out]; undefined without bias
};

// nn::Conv1dOptions{.stride = 2, .padding = 1}, in this order (padding and padding_mode
// as Conv2dOptions').
struct Conv1dOptions {
  int64_t stride = 1;
  ConvPadding padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";
};

// Over [N, C, L] (or [C, L]).
class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Conv1dOptions options = {});
  Tensor forward(const Tensor& input) override;
  // "4, 6, kernel_size=(3,), stride=(2,), padding=(1,)", as PyTorch prints it.
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in_channels;
  const int64_t out_channels;
  const int64_t kernel_size;
  const Conv1dOptions options;
  Tensor& weight;  // [out, in / groups, K]
  Tensor& bias;    // [out]; undefined without bias
};

namespace detail {
// Checks a layer's groups against its channels (PyTorch's messages, naming `layer`) and
// returns it.
int64_t checked_groups(const char* layer, int64_t in, int64_t out, int64_t groups);
// PyTorch's default U(-bound, bound) bound for a weight whose dims after the first hold
// `fan_in` elements per output (and for the bias): 1 / sqrt(fan_in), 0 when empty.
double init_bound(int64_t fan_in);
// The convolutions' reset_parameters: weight and bias drawn again with the bound of the
// weight's fan_in (dim 1 times the kernel; a transposed weight's dim 1 is out / groups).
void reset_conv_parameters(Tensor& weight, Tensor& bias);
// "(3,)" or "(3, 3)": a size as PyTorch prints a tuple.
std::string tuple_repr(const Dims& values);
// PyTorch's _ConvNd.extra_repr: "4, 6, kernel_size=(3, 3), stride=(2, 2)", then padding,
// dilation, output_padding (empty: none), groups, bias and padding_mode where not the defaults.
std::string conv_repr(int64_t in, int64_t out, const Dims& kernel, const Dims& stride, const ConvPadding& padding,
                      const Dims& dilation, const Dims& output_padding, int64_t groups, bool bias,
                      const std::string& padding_mode = "zeros");
// A layer's padding options checked as PyTorch's constructors check them (padding_mode one
// of "zeros", "reflect", "replicate", "circular"; kSame at stride 1 only; one size, or one
// per spatial dim).
void check_conv_padding(const ConvPadding& padding, const std::string& padding_mode, const Dims& stride,
                        size_t spatial_dims);
// The layer's input padded with padding_mode (not "zeros") by `padding` (kSame: its split
// for kernel and dilation), for a convolution then made without padding.
Tensor pad_for_mode(const Tensor& input, const ConvPadding& padding, const std::string& padding_mode,
                    const Dims& kernel, const Dims& dilation);
// The output_padding that makes a transposed convolution of `input` (its last
// stride.size() dims spatial) output `output_size` (those dims, or with N and C before
// them), each size between the smallest output and that plus stride - 1.
Dims output_padding_for(const Tensor& input, const Dims& output_size, const Dims& stride, const Dims& padding,
                        const Dims& kernel, const Dims& dilation);
}  // namespace detail

}  // namespace ember::nn
