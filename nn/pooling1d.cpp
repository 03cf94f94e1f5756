// The 1-D pooling layers: thin modules over nn::functional, reprs as PyTorch prints them
// (AvgPool1d's sizes as 1-tuples, its other layers' as integers).
#include "nn/pooling1d.h"

#include <string>

namespace ember::nn {

MaxPool1d::MaxPool1d(int64_t k, std::optional<int64_t> s, int64_t p)
    : MaxPool1d(k, MaxPool1dOptions{.stride = s, .padding = p}) {}

MaxPool1d::MaxPool1d(int64_t k, const MaxPool1dOptions& o)
    : Module("MaxPool1d"),
      kernel_size(k),
      stride(o.stride.value_or(k)),
      padding(o.padding),
      dilation(o.dilation),
      ceil_mode(o.ceil_mode) {}

Tensor MaxPool1d::forward(const Tensor& input) {
  return functional::max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode);
}

std::tuple<Tensor, Tensor> MaxPool1d::forward_with_indices(const Tensor& input) {
  return functional::max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode);
}

std::string MaxPool1d::extra_repr() const {
  return "kernel_size=" + std::to_string(kernel_size) + ", stride=" + std::to_string(stride) +
         ", padding=" + std::to_string(padding) + ", dilation=" + std::to_string(dilation) +
         ", ceil_mode=" + (ceil_mode ? "True" : "False");
}

AvgPool1d::AvgPool1d(int64_t k, std::optional<int64_t> s, int64_t p)
    : AvgPool1d(k, AvgPool1dOptions{.stride = s, .padding = p}) {}

AvgPool1d::AvgPool1d(int64_t k, const AvgPool1dOptions& o)
    : Module("AvgPool1d"),
      kernel_size(k),
      stride(o.stride.value_or(k)),
      padding(o.padding),
      ceil_mode(o.ceil_mode),
      count_include_pad(o.count_include_pad) {}

Tensor AvgPool1d::forward(const Tensor& input) {
  return functional::avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad);
}

std::string AvgPool1d::extra_repr() const {
  return "kernel_size=(" + std::to_string(kernel_size) + ",), stride=(" + std::to_string(stride) + ",), padding=(" +
         std::to_string(padding) + ",)";
}

AdaptiveAvgPool1d::AdaptiveAvgPool1d(int64_t size) : Module("AdaptiveAvgPool1d"), output_size(size) {}

Tensor AdaptiveAvgPool1d::forward(const Tensor& input) { return functional::adaptive_avg_pool1d(input, output_size); }

std::string AdaptiveAvgPool1d::extra_repr() const { return "output_size=" + std::to_string(output_size); }

AdaptiveMaxPool1d::AdaptiveMaxPool1d(int64_t size) : Module("AdaptiveMaxPool1d"), output_size(size) {}

Tensor AdaptiveMaxPool1d::forward(const Tensor& input) { return functional::adaptive_max_pool1d(input, output_size); }

std::tuple<Tensor, Tensor> AdaptiveMaxPool1d::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool1d_with_indices(input, output_size);
}

std::string AdaptiveMaxPool1d::extra_repr() const { return "output_size=" + std::to_string(output_size); }

}  // namespace ember::nn
