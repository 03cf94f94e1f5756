// The 3-D pooling layers: thin modules over nn::functional's 3-D pooling.
#include "nn/pooling3d.h"

#include "nn/conv.h"

namespace ember::nn {
namespace {

// PyTorch prints a size given as one integer as that integer, else as a tuple.
std::string size_str(const Triple& t) { return t.one_int ? std::to_string(t.d) : detail::tuple_repr(t); }

std::string window_repr(const Triple& kernel, const Triple& stride, const Triple& padding) {
  return "kernel_size=" + size_str(kernel) + ", stride=" + size_str(stride) + ", padding=" + size_str(padding);
}

}  // namespace

MaxPool3d::MaxPool3d(Triple k, std::optional<Triple> s, Triple p)
    : MaxPool3d(k, MaxPool3dOptions{.stride = s, .padding = p}) {}

MaxPool3d::MaxPool3d(Triple k, const MaxPool3dOptions& o)
    : Module("MaxPool3d"),
      kernel_size(k),
      stride(o.stride.value_or(k)),
      padding(o.padding),
      dilation(o.dilation),
      ceil_mode(o.ceil_mode) {}

Tensor MaxPool3d::forward(const Tensor& input) {
  return functional::max_pool3d(input, Dims(kernel_size), Dims(stride), Dims(padding), Dims(dilation), ceil_mode);
}

std::tuple<Tensor, Tensor> MaxPool3d::forward_with_indices(const Tensor& input) {
  return functional::max_pool3d_with_indices(input, Dims(kernel_size), Dims(stride), Dims(padding), Dims(dilation),
                                             ceil_mode);
}

std::string MaxPool3d::extra_repr() const {
  return window_repr(kernel_size, stride, padding) + ", dilation=" + size_str(dilation) +
         ", ceil_mode=" + (ceil_mode ? "True" : "False");
}

AvgPool3d::AvgPool3d(Triple k, std::optional<Triple> s, Triple p)
    : AvgPool3d(k, AvgPool3dOptions{.stride = s, .padding = p}) {}

AvgPool3d::AvgPool3d(Triple k, const AvgPool3dOptions& o)
    : Module("AvgPool3d"),
      kernel_size(k),
      stride(o.stride.value_or(k)),
      padding(o.padding),
      ceil_mode(o.ceil_mode),
      count_include_pad(o.count_include_pad),
      divisor_override(o.divisor_override) {}

Tensor AvgPool3d::forward(const Tensor& input) {
  return functional::avg_pool3d(input, Dims(kernel_size), Dims(stride), Dims(padding), ceil_mode, count_include_pad,
                                divisor_override);
}

std::string AvgPool3d::extra_repr() const { return window_repr(kernel_size, stride, padding); }

AdaptiveAvgPool3d::AdaptiveAvgPool3d(Triple size) : Module("AdaptiveAvgPool3d"), output_size(size) {}

Tensor AdaptiveAvgPool3d::forward(const Tensor& input) {
  return functional::adaptive_avg_pool3d(input, Dims(output_size));
}

std::string AdaptiveAvgPool3d::extra_repr() const { return "output_size=" + size_str(output_size); }

AdaptiveMaxPool3d::AdaptiveMaxPool3d(Triple size) : Module("AdaptiveMaxPool3d"), output_size(size) {}

Tensor AdaptiveMaxPool3d::forward(const Tensor& input) {
  return functional::adaptive_max_pool3d(input, Dims(output_size));
}

std::tuple<Tensor, Tensor> AdaptiveMaxPool3d::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool3d_with_indices(input, Dims(output_size));
}

std::string AdaptiveMaxPool3d::extra_repr() const { return "output_size=" + size_str(output_size); }

}  // namespace ember::nn
