// nn::ConvTranspose2d and nn::ConvTranspose1d: option checks, PyTorch's initialization,
// the output_padding an output_size asks for (PyTorch's _output_padding), forward and repr.
#include "nn/conv_transpose.h"

#include "nn/functional/conv_detail.h"
#include "nn/init.h"

namespace ember::nn {
namespace {

// The weight's bound: PyTorch's fan_in of a transposed weight [in, out / groups, k...]
// is its second dim times the kernel's elements.
double transposed_bound(const char* layer, int64_t in, int64_t out, int64_t groups, int64_t kernel_elements) {
  return detail::init_bound(out / detail::checked_groups(layer, in, out, groups) * kernel_elements);
}

}  // namespace

namespace detail {

Dims output_padding_for(const Tensor& input, const Dims& output_size, const Dims& stride, const Dims& padding,
                        const Dims& kernel, const Dims& dilation) {
  const size_t k = stride.size();
  // PyTorch's _output_padding: the spatial sizes, or with the non-spatial dims of the input
  // (N and C batched, C alone unbatched).
  const size_t non_spatial = input.dim() == static_cast<int64_t>(k) + 1 ? 1 : 2;
  EMBER_CHECK(output_size.size() == k || output_size.size() == k + non_spatial, "ConvTranspose", k, "D: for ",
              input.dim(), "D input, output_size must have ", k, " or ", k + non_spatial, " elements (got ",
              output_size.size(), ")");
  EMBER_CHECK(input.dim() >= static_cast<int64_t>(k), "ConvTranspose", k, "d: expected an input with ", k,
              " spatial dims, but got input of size: ", input.sizes());
  Dims wanted, smallest, largest, spatial, padding_out;
  for (size_t i = 0; i < k; ++i) {
    const int64_t in = input.size(input.dim() - static_cast<int64_t>(k - i));
    const int64_t lo = functional::detail::transposed_out_size(in, kernel[i], stride[i], padding[i], dilation[i], 0);
    wanted.push_back(output_size[output_size.size() - k + i]);
    smallest.push_back(lo);
    largest.push_back(lo + stride[i] - 1);
    spatial.push_back(in);
  }
  for (size_t i = 0; i < k; ++i) {
    EMBER_CHECK(wanted[i] >= smallest[i] && wanted[i] <= largest[i], "requested an output size of ", wanted,
                ", but valid sizes range from ", smallest, " to ", largest, " (for an input of ", spatial, ")");
    padding_out.push_back(wanted[i] - smallest[i]);
  }
  return padding_out;
}

}  // namespace detail

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, Pair k, ConvTranspose2dOptions opts)
    : Module("ConvTranspose2d"),
      in_channels(in),
      out_channels(out),
      kernel_size(k),
      options(opts),
      weight(register_parameter(
          "weight", init::uniform({in, out / detail::checked_groups("ConvTranspose2d", in, out, opts.groups), k.h, k.w},
                                  transposed_bound("ConvTranspose2d", in, out, opts.groups, k.h * k.w)))),
      bias(register_parameter("bias", opts.bias ? init::uniform({out}, transposed_bound("ConvTranspose2d", in, out,
                                                                                        opts.groups, k.h * k.w))
                                                : Tensor())) {}

Tensor ConvTranspose2d::operator()(const Tensor& input, const Dims& output_size) {
  return calls_.call(*this, input, {.output_size = output_size}).first;
}

Tensor ConvTranspose2d::forward(const Tensor& input) {
  if (const Frame* frame = calls_.claim()) return forward(input, frame->output_size);
  return functional::conv_transpose2d(input, weight, bias, options.stride, options.padding, options.output_padding,
                                      options.groups, options.dilation);
}

Tensor ConvTranspose2d::forward(const Tensor& input, const Dims& output_size) {
  const Dims padding = detail::output_padding_for(input, output_size, options.stride, options.padding, kernel_size,
                                          options.dilation);
  return functional::conv_transpose2d(input, weight, bias, options.stride, options.padding, padding, options.groups,
                                      options.dilation);
}

void ConvTranspose2d::reset_parameters() { detail::reset_conv_parameters(weight, bias); }

std::string ConvTranspose2d::extra_repr() const {
  return detail::conv_repr(in_channels, out_channels, kernel_size, options.stride, options.padding, options.dilation,
                           options.output_padding, options.groups, bias.defined());
}

ConvTranspose1d::ConvTranspose1d(int64_t in, int64_t out, int64_t k, ConvTranspose1dOptions opts)
    : Module("ConvTranspose1d"),
      in_channels(in),
      out_channels(out),
      kernel_size(k),
      options(opts),
      weight(register_parameter(
          "weight", init::uniform({in, out / detail::checked_groups("ConvTranspose1d", in, out, opts.groups), k},
                                  transposed_bound("ConvTranspose1d", in, out, opts.groups, k)))),
      bias(register_parameter(
          "bias", opts.bias ? init::uniform({out}, transposed_bound("ConvTranspose1d", in, out, opts.groups, k))
                            : Tensor())) {}

Tensor ConvTranspose1d::operator()(const Tensor& input, const Dims& output_size) {
  return calls_.call(*this, input, {.output_size = output_size}).first;
}

Tensor ConvTranspose1d::forward(const Tensor& input) {
  if (const Frame* frame = calls_.claim()) return forward(input, frame->output_size);
  return functional::conv_transpose1d(input, weight, bias, options.stride, options.padding, options.output_padding,
                                      options.groups, options.dilation);
}

Tensor ConvTranspose1d::forward(const Tensor& input, const Dims& output_size) {
  const Dims padding = detail::output_padding_for(input, output_size, {options.stride}, {options.padding}, {kernel_size},
                                          {options.dilation});
  return functional::conv_transpose1d(input, weight, bias, options.stride, options.padding, padding[0],
                                      options.groups, options.dilation);
}

void ConvTranspose1d::reset_parameters() { detail::reset_conv_parameters(weight, bias); }

std::string ConvTranspose1d::extra_repr() const {
  return detail::conv_repr(in_channels, out_channels, {kernel_size}, {options.stride}, {options.padding},
                           {options.dilation}, {options.output_padding}, options.groups, bias.defined());
}

}  // namespace ember::nn
