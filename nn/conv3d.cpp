// nn::Conv3d and nn::ConvTranspose3d: option checks, PyTorch's default initialization
// (fan_in: the weight's second dim times the kernel's elements), forward and repr.
#include "nn/conv3d.h"

#include "nn/init.h"

namespace ember::nn {
namespace {

int64_t volume(const Triple& k) { return k.d * k.h * k.w; }

// PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for a weight of `shape` (fan_in: its dims
// after the first), and for the bias alike; the groups checked first, naming `layer`.
int64_t fan_in(const Dims& weight_shape) {
  return weight_shape[1] * weight_shape[2] * weight_shape[3] * weight_shape[4];
}
Tensor uniform_weight(const char* layer, int64_t in, int64_t out, int64_t groups, const Dims& shape) {
  detail::checked_groups(layer, in, out, groups);
  return init::uniform(shape, detail::init_bound(fan_in(shape)));
}
Tensor uniform_bias(bool bias, int64_t out, const Dims& weight_shape) {
  return bias ? init::uniform({out}, detail::init_bound(fan_in(weight_shape))) : Tensor();
}

Dims conv_weight_shape(int64_t in, int64_t out, int64_t groups, const Triple& k) {
  return {out, groups > 0 ? in / groups : 0, k.d, k.h, k.w};
}
Dims transposed_weight_shape(int64_t in, int64_t out, int64_t groups, const Triple& k) {
  return {in, groups > 0 ? out / groups : 0, k.d, k.h, k.w};
}

}  // namespace

Conv3d::Conv3d(int64_t in, int64_t out, Triple k, Conv3dOptions opts)
    : Module("Conv3d"),
      in_channels(in),
      out_channels(out),
      kernel_size(k),
      options(opts),
      weight(register_parameter("weight", uniform_weight("Conv3d", in, out, opts.groups,
                                                         conv_weight_shape(in, out, opts.groups, k)))),
      bias(register_parameter("bias", uniform_bias(opts.bias, out, conv_weight_shape(in, out, opts.groups, k)))) {
  EMBER_CHECK(volume(k) > 0, "Conv3d: kernel_size must be positive, but got ", Dims(k));
  detail::check_conv_padding(options.padding, options.padding_mode, options.stride, 3);
}

Tensor Conv3d::forward(const Tensor& input) {
  if (options.padding_mode == "zeros")
    return functional::conv3d(input, weight, bias, Dims(options.stride), options.padding, Dims(options.dilation),
                              options.groups);
  return functional::conv3d(detail::pad_for_mode(input, options.padding, options.padding_mode, kernel_size,
                                                 options.dilation),
                            weight, bias, Dims(options.stride), 0, Dims(options.dilation), options.groups);
}

void Conv3d::reset_parameters() { detail::reset_conv_parameters(weight, bias); }

std::string Conv3d::extra_repr() const {
  return detail::conv_repr(in_channels, out_channels, kernel_size, options.stride, options.padding, options.dilation,
                           {}, options.groups, bias.defined(), options.padding_mode);
}

ConvTranspose3d::ConvTranspose3d(int64_t in, int64_t out, Triple k, ConvTranspose3dOptions opts)
    : Module("ConvTranspose3d"),
      in_channels(in),
      out_channels(out),
      kernel_size(k),
      options(opts),
      weight(register_parameter("weight", uniform_weight("ConvTranspose3d", in, out, opts.groups,
                                                         transposed_weight_shape(in, out, opts.groups, k)))),
      bias(register_parameter("bias",
                              uniform_bias(opts.bias, out, transposed_weight_shape(in, out, opts.groups, k)))) {
  EMBER_CHECK(volume(k) > 0, "ConvTranspose3d: kernel_size must be positive, but got ", Dims(k));
}

Tensor ConvTranspose3d::operator()(const Tensor& input, const Dims& output_size) {
  return calls_.call(*this, input, {.output_size = output_size}).first;
}

Tensor ConvTranspose3d::forward(const Tensor& input) {
  if (const Frame* frame = calls_.claim()) return forward(input, frame->output_size);
  return functional::conv_transpose3d(input, weight, bias, Dims(options.stride), Dims(options.padding),
                                      Dims(options.output_padding), options.groups, Dims(options.dilation));
}

Tensor ConvTranspose3d::forward(const Tensor& input, const Dims& output_size) {
  const Dims padding = detail::output_padding_for(input, output_size, options.stride, options.padding, kernel_size,
                                                  options.dilation);
  return functional::conv_transpose3d(input, weight, bias, Dims(options.stride), Dims(options.padding), padding,
                                      options.groups, Dims(options.dilation));
}

void ConvTranspose3d::reset_parameters() { detail::reset_conv_parameters(weight, bias); }

std::string ConvTranspose3d::extra_repr() const {
  return detail::conv_repr(in_channels, out_channels, kernel_size, options.stride, Dims(options.padding),
                           options.dilation, options.output_padding, options.groups, bias.defined());
}

}  // namespace ember::nn
