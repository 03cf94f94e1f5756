// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d: thin modules over nn::functional.
#include "nn/pooling.h"

#include <sstream>

namespace ember::nn {
namespace {

// PyTorch prints a size given as one integer as that integer, else as a tuple.
std::string size_str(Pair p) {
  std::ostringstream os;
  if (p.h == p.w) os << p.h;
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
    : Module("MaxPool2d"), kernel_size(k), stride(s.value_or(k)), padding(p) {}

Tensor MaxPool2d::forward(const Tensor& input) { return functional::max_pool2d(input, kernel_size, stride, padding); }

std::string MaxPool2d::extra_repr() const {
  return window_repr(kernel_size, stride, padding) + ", dilation=1, ceil_mode=False";
}

AvgPool2d::AvgPool2d(Pair k, std::optional<Pair> s, Pair p)
    : Module("AvgPool2d"), kernel_size(k), stride(s.value_or(k)), padding(p) {}

Tensor AvgPool2d::forward(const Tensor& input) { return functional::avg_pool2d(input, kernel_size, stride, padding); }

std::string AvgPool2d::extra_repr() const { return window_repr(kernel_size, stride, padding); }

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Pair size) : Module("AdaptiveAvgPool2d"), output_size(size) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, output_size); }

std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + size_str(output_size); }

}  // namespace ember::nn
