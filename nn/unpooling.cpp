// nn::MaxUnpool2d: sizes kept as pairs and printed as tuples (PyTorch's _pair), forward
// through nn::functional::max_unpool2d.
#include "nn/unpooling.h"

#include "core/error.h"
#include "nn/repr.h"

namespace ember::nn {

MaxUnpool2d::MaxUnpool2d(Pair k, std::optional<Pair> s, Pair p)
    : Module("MaxUnpool2d"), kernel_size(k), stride(s.value_or(k)), padding(p) {}

Tensor MaxUnpool2d::forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size) {
  return functional::max_unpool2d(input, indices, kernel_size, stride, padding, output_size);
}

Tensor MaxUnpool2d::forward(const Tensor& /*input*/) {
  EMBER_FAIL("MaxUnpool2d.forward() missing 1 required positional argument: 'indices' (call forward(input, indices))");
}

std::string MaxUnpool2d::extra_repr() const {
  auto pair = [](Pair p) { return detail::python_tuple(std::vector<int64_t>{p.h, p.w}); };
  return "kernel_size=" + pair(kernel_size) + ", stride=" + pair(stride) + ", padding=" + pair(padding);
}

}  // namespace ember::nn
