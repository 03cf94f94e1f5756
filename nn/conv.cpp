// nn::Conv2d and nn::Conv1d: option checks, PyTorch's default initialization, forward and
// repr; the helpers the transposed layers share.
#include "nn/conv.h"

#include <cmath>
#include <sstream>
#include <tuple>
#include <vector>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/functional/conv_detail.h"
#include "nn/functional/pad.h"
#include "nn/init.h"
#include "nn/repr.h"

namespace ember::nn {

namespace detail {

int64_t checked_groups(const char* layer, int64_t in, int64_t out, int64_t groups) {
  EMBER_CHECK(groups > 0, layer, ": groups must be a positive integer, but got ", groups);
  EMBER_CHECK(in % groups == 0, layer, ": in_channels must be divisible by groups, but got in_channels=", in,
              " and groups=", groups);
  EMBER_CHECK(out % groups == 0, layer, ": out_channels must be divisible by groups, but got out_channels=", out,
              " and groups=", groups);
  return groups;
}

double init_bound(int64_t fan_in) { return fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0; }

void reset_conv_parameters(Tensor& weight, Tensor& bias) {
  init::redraw_uniform_({&weight, &bias}, init_bound(init::calculate_fan_in_and_fan_out(weight).first));
}

std::string tuple_repr(const Dims& values) { return detail::python_tuple(values.vec()); }

std::string conv_repr(int64_t in, int64_t out, const Dims& kernel, const Dims& stride, const ConvPadding& padding,
                      const Dims& dilation, const Dims& output_padding, int64_t groups, bool bias,
                      const std::string& padding_mode) {
  std::ostringstream os;
  os << in << ", " << out << ", kernel_size=" << tuple_repr(kernel) << ", stride=" << tuple_repr(stride);
  const Dims& given = padding.size;  // one value: the same on every spatial dim
  const Dims pads = given.size() == 1 ? Dims::filled(kernel.size(), given[0]) : given;
  if (padding.same || padding.valid) os << ", padding=" << (padding.same ? "same" : "valid");
  else if (pads != Dims::filled(pads.size(), 0)) os << ", padding=" << tuple_repr(pads);
  if (dilation != Dims::filled(dilation.size(), 1)) os << ", dilation=" << tuple_repr(dilation);
  if (output_padding != Dims::filled(output_padding.size(), 0))
    os << ", output_padding=" << tuple_repr(output_padding);
  if (groups != 1) os << ", groups=" << groups;
  if (!bias) os << ", bias=False";
  if (padding_mode != "zeros") os << ", padding_mode=" << padding_mode;
  return os.str();
}

void check_conv_padding(const ConvPadding& padding, const std::string& padding_mode, const Dims& stride,
                        size_t spatial_dims) {
  const size_t given = padding.size.dims.size();
  EMBER_CHECK(padding.same || padding.valid || given == 1 || given == spatial_dims,
              "expected padding to be a single integer value or a list of ", spatial_dims,
              " values to match the convolution dimensions, but got padding=", padding.size.dims);
  EMBER_CHECK(padding_mode == "zeros" || padding_mode == "reflect" || padding_mode == "replicate" ||
                  padding_mode == "circular",
              "padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='",
              padding_mode, "'");
  EMBER_CHECK(!padding.same || stride == Dims::filled(stride.size(), 1),
              "padding='same' is not supported for strided convolutions");
}

Tensor pad_for_mode(const Tensor& input, const ConvPadding& padding, const std::string& padding_mode,
                    const Dims& kernel, const Dims& dilation) {
  Dims before = Dims::filled(kernel.size(), 0), after = before;
  if (padding.same) {
    std::tie(before, after) = functional::detail::same_padding_sides(kernel, dilation);
  } else {
    const Dims& pads = padding.size;
    for (size_t i = 0; i < kernel.size(); ++i) before[i] = after[i] = pads[pads.size() == 1 ? 0 : i];
  }
  std::vector<int64_t> sides;  // F::pad's order: the last dim first
  for (size_t i = kernel.size(); i-- > 0;) {
    sides.push_back(before[i]);
    sides.push_back(after[i]);
  }
  return functional::pad(input, sides, padding_mode);
}

}  // namespace detail

namespace {

// The groups are checked inside: this may run before the weight's shape is computed (the
// order of a call's arguments is unspecified).
double conv_bound(const char* layer, int64_t in, int64_t out, int64_t groups, int64_t kernel_elements) {
  return detail::init_bound(in / detail::checked_groups(layer, in, out, groups) * kernel_elements);
}

}  // namespace

Conv2d::Conv2d(int64_t in, int64_t out, Pair k, Conv2dOptions opts)
    : Module("Conv2d"),
      in_channels(in),
      out_channels(out),
      kernel_size(k),
      options(opts),
      weight(register_parameter("weight",
                                init::uniform({out, in / detail::checked_groups("Conv2d", in, out, opts.groups), k.h, k.w},
                                              conv_bound("Conv2d", in, out, opts.groups, k.h * k.w)))),
      bias(register_parameter("bias", opts.bias ? init::uniform({out}, conv_bound("Conv2d", in, out, opts.groups, k.h * k.w))
                                                : Tensor())) {
  detail::check_conv_padding(options.padding, options.padding_mode, options.stride, 2);
}

Tensor Conv2d::forward(const Tensor& input) {
  if (options.padding_mode == "zeros")
    return functional::conv2d(input, weight, bias, options.stride, options.padding, options.dilation, options.groups);
  return functional::conv2d(detail::pad_for_mode(input, options.padding, options.padding_mode, kernel_size,
                                                 options.dilation),
                            weight, bias, options.stride, 0, options.dilation, options.groups);
}

void Conv2d::reset_parameters() { detail::reset_conv_parameters(weight, bias); }

std::string Conv2d::extra_repr() const {
  return detail::conv_repr(in_channels, out_channels, kernel_size, options.stride, options.padding, options.dilation,
                           {}, options.groups, bias.defined(), options.padding_mode);
}

Conv1d::Conv1d(int64_t in, int64_t out, int64_t k, Conv1dOptions opts)
    : Module("Conv1d"),
      in_channels(in),
      out_channels(out),
      kernel_size(k),
      options(opts),
      weight(register_parameter("weight", init::uniform({out, in / detail::checked_groups("Conv1d", in, out, opts.groups), k},
                                                       conv_bound("Conv1d", in, out, opts.groups, k)))),
      bias(register_parameter("bias", opts.bias ? init::uniform({out}, conv_bound("Conv1d", in, out, opts.groups, k))
                                                : Tensor())) {
  detail::check_conv_padding(options.padding, options.padding_mode, {options.stride}, 1);
}

Tensor Conv1d::forward(const Tensor& input) {
  if (options.padding_mode == "zeros")
    return functional::conv1d(input, weight, bias, options.stride, options.padding, options.dilation, options.groups);
  return functional::conv1d(detail::pad_for_mode(input, options.padding, options.padding_mode, {kernel_size},
                                                 {options.dilation}),
                            weight, bias, options.stride, 0, options.dilation, options.groups);
}

void Conv1d::reset_parameters() { detail::reset_conv_parameters(weight, bias); }

std::string Conv1d::extra_repr() const {
  return detail::conv_repr(in_channels, out_channels, {kernel_size}, {options.stride}, options.padding,
                           {options.dilation}, {}, options.groups, bias.defined(), options.padding_mode);
}

}  // namespace ember::nn
