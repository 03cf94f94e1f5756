// nn::MaxUnpool1d/2d/3d (MaxUnpool<Rank>): sizes kept as PyTorch's _single/_pair/_triple and
// printed as tuples, forward through nn::functional::max_unpool1d/2d/3d.
#include "nn/unpooling.h"

#include <vector>

#include "core/error.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {
Dims as_dims(int64_t size) { return {size}; }
Dims as_dims(const Dims& size) { return size; }
}  // namespace

template <int Rank>
MaxUnpool<Rank>::MaxUnpool(Size k, std::optional<Size> s, Size p)
    : Module("MaxUnpool" + std::to_string(Rank) + "d"), kernel_size(k), stride(s.value_or(k)), padding(p) {}

template <int Rank>
Tensor MaxUnpool<Rank>::forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size) {
  if constexpr (Rank == 1) {
    return functional::max_unpool1d(input, indices, kernel_size, stride, padding, output_size);
  } else if constexpr (Rank == 2) {
    return functional::max_unpool2d(input, indices, kernel_size, stride, padding, output_size);
  } else {
    return functional::max_unpool3d(input, indices, Dims(kernel_size), Dims(stride), Dims(padding), output_size);
  }
}

template <int Rank>
Tensor MaxUnpool<Rank>::forward(const Tensor& /*input*/) {
  EMBER_FAIL(type_name(),
             ".forward() missing 1 required positional argument: 'indices' (call forward(input, "
             "indices))");
}

template <int Rank>
std::string MaxUnpool<Rank>::extra_repr() const {
  const auto tuple = [](const Size& size) { return detail::python_tuple(as_dims(size).vec()); };
  return "kernel_size=" + tuple(kernel_size) + ", stride=" + tuple(stride) + ", padding=" + tuple(padding);
}

template class MaxUnpool<1>;
template class MaxUnpool<2>;
template class MaxUnpool<3>;

}  // namespace ember::nn
