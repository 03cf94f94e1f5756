// The pooling layers: thin modules over nn::functional.
#include "nn/pooling.h"

#include <sstream>

namespace ember::nn {
namespace {

// PyTorch prints a size given as one integer as that integer, else as a tuple.
std::string size_str(Pair p) {
  std::ostringstream os;
  if (p.one_int)
    os << p.h;
  else os << "(" << p.h << ", " << p.w << ")";
  return os.str();
}

std::string window_repr(Pair kernel, Pair stride, Pair padding) {
  std::ostringstream os;
  os << "kernel_size=" << size_str(kernel) << ", stride=" << size_str(stride) << ", padding=" << size_str(padding);
  return os.str();
}

}  // namespace

MaxPool2d::MaxPool2d(Pair k, std::optional<Pair> s, Pair p)
    : MaxPool2d(k, MaxPool2dOptions{.stride = s, .padding = p}) {}

MaxPool2d::MaxPool2d(Pair k, const MaxPool2dOptions& o)
    : Module("MaxPool2d"),
      kernel_size(k),
      stride(o.stride.value_or(k)),
      padding(o.padding),
      dilation(o.dilation),
      ceil_mode(o.ceil_mode) {}

Tensor MaxPool2d::forward(const Tensor& input) {
  return functional::max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode);
}

std::tuple<Tensor, Tensor> MaxPool2d::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode);
}

std::string MaxPool2d::extra_repr() const {
  return window_repr(kernel_size, stride, padding) + ", dilation=" + size_str(dilation) +
         ", ceil_mode=" + (ceil_mode ? "True" : "False");
}

AvgPool2d::AvgPool2d(Pair k, std::optional<Pair> s, Pair p)
    : AvgPool2d(k, AvgPool2dOptions{.stride = s, .padding = p}) {}

AvgPool2d::AvgPool2d(Pair k, const AvgPool2dOptions& o)
    : Module("AvgPool2d"),
      kernel_size(k),
      stride(o.stride.value_or(k)),
      padding(o.padding),
      ceil_mode(o.ceil_mode),
      count_include_pad(o.count_include_pad),
      divisor_override(o.divisor_override) {}

Tensor AvgPool2d::forward(const Tensor& input) {
  return functional::avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);
}

std::string AvgPool2d::extra_repr() const { return window_repr(kernel_size, stride, padding); }

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Pair size) : Module("AdaptiveAvgPool2d"), output_size(size) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, output_size); }

std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + size_str(output_size); }

AdaptiveMaxPool2d::AdaptiveMaxPool2d(Pair size) : Module("AdaptiveMaxPool2d"), output_size(size) {}

Tensor AdaptiveMaxPool2d::forward(const Tensor& input) { return functional::adaptive_max_pool2d(input, output_size); }

std::tuple<Tensor, Tensor> AdaptiveMaxPool2d::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool2d_with_indices(input, output_size);
}

std::string AdaptiveMaxPool2d::extra_repr() const { return "output_size=" + size_str(output_size); }

}  // namespace ember::nn
