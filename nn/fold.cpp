// nn::Unfold / nn::Fold: their arguments kept as given (printed as given, an int or a
// tuple, as PyTorch's repr), forward through nn::functional::unfold / fold.
#include "nn/fold.h"

#include "nn/repr.h"

namespace ember::nn {
namespace {

std::string as_given(const IntOrPair& v) {
  const Dims& d = v;
  return d.size() == 1 ? std::to_string(d[0]) : detail::python_tuple(d.vec());
}

std::string block_repr(const IntOrPair& kernel_size, const IntOrPair& dilation, const IntOrPair& padding,
                       const IntOrPair& stride) {
  return "kernel_size=" + as_given(kernel_size) + ", dilation=" + as_given(dilation) + ", padding=" +
         as_given(padding) + ", stride=" + as_given(stride);
}

}  // namespace

Unfold::Unfold(IntOrPair k, IntOrPair d, IntOrPair p, IntOrPair s)
    : Module("Unfold"), kernel_size(std::move(k)), dilation(std::move(d)), padding(std::move(p)), stride(std::move(s)) {}

Tensor Unfold::forward(const Tensor& input) { return functional::unfold(input, kernel_size, dilation, padding, stride); }

std::string Unfold::extra_repr() const { return block_repr(kernel_size, dilation, padding, stride); }

Fold::Fold(IntOrPair o, IntOrPair k, IntOrPair d, IntOrPair p, IntOrPair s)
    : Module("Fold"),
      output_size(std::move(o)),
      kernel_size(std::move(k)),
      dilation(std::move(d)),
      padding(std::move(p)),
      stride(std::move(s)) {}

Tensor Fold::forward(const Tensor& input) {
  return functional::fold(input, output_size, kernel_size, dilation, padding, stride);
}

std::string Fold::extra_repr() const {
  return "output_size=" + as_given(output_size) + ", " + block_repr(kernel_size, dilation, padding, stride);
}

}  // namespace ember::nn
