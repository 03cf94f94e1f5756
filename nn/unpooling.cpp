// nn::MaxUnpool1d/2d/3d: sizes kept as PyTorch's _single/_pair/_triple and printed as
// tuples, forward through nn::functional::max_unpool1d/2d/3d.
#include "nn/unpooling.h"

#include <vector>

#include "core/error.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {
std::string sizes_repr(const Dims& kernel, const Dims& stride, const Dims& padding) {
  return "kernel_size=" + detail::python_tuple(kernel.vec()) + ", stride=" + detail::python_tuple(stride.vec()) +
         ", padding=" + detail::python_tuple(padding.vec());
}
}  // namespace

Tensor MaxUnpoolBase::forward(const Tensor& /*input*/) {
  EMBER_FAIL(type_name(),
             ".forward() missing 1 required positional argument: 'indices' (call forward(input, "
             "indices))");
}

MaxUnpool1d::MaxUnpool1d(int64_t k, std::optional<int64_t> s, int64_t p)
    : MaxUnpoolBase("MaxUnpool1d"), kernel_size(k), stride(s.value_or(k)), padding(p) {}

Tensor MaxUnpool1d::forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size) {
  return functional::max_unpool1d(input, indices, kernel_size, stride, padding, output_size);
}

std::string MaxUnpool1d::extra_repr() const { return sizes_repr({kernel_size}, {stride}, {padding}); }

MaxUnpool2d::MaxUnpool2d(Pair k, std::optional<Pair> s, Pair p)
    : MaxUnpoolBase("MaxUnpool2d"), kernel_size(k), stride(s.value_or(k)), padding(p) {}

Tensor MaxUnpool2d::forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size) {
  return functional::max_unpool2d(input, indices, kernel_size, stride, padding, output_size);
}

std::string MaxUnpool2d::extra_repr() const { return sizes_repr(kernel_size, stride, padding); }

MaxUnpool3d::MaxUnpool3d(Triple k, std::optional<Triple> s, Triple p)
    : MaxUnpoolBase("MaxUnpool3d"), kernel_size(k), stride(s.value_or(k)), padding(p) {}

Tensor MaxUnpool3d::forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size) {
  return functional::max_unpool3d(input, indices, Dims(kernel_size), Dims(stride), Dims(padding), output_size);
}

std::string MaxUnpool3d::extra_repr() const { return sizes_repr(kernel_size, stride, padding); }

}  // namespace ember::nn
