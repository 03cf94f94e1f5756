// nn::MaxUnpool1d/2d/3d(kernel_size, stride = kernel_size, padding = 0) over
// nn::functional::max_unpool1d/2d/3d; forward takes the pooling's indices, as PyTorch's.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "nn/functional/unpool.h"
#include "nn/module.h"

namespace ember::nn {

// The size type of each rank's layer: one integer, a Pair or a Triple.
template <int Rank>
struct UnpoolSize;
template <>
struct UnpoolSize<1> {
  using type = int64_t;
};
template <>
struct UnpoolSize<2> {
  using type = Pair;
};
template <>
struct UnpoolSize<3> {
  using type = Triple;
};

template <int Rank>
class MaxUnpool : public Module {
 public:
  using Size = typename UnpoolSize<Rank>::type;
  explicit MaxUnpool(Size kernel_size, std::optional<Size> stride = std::nullopt, Size padding = 0);
  // PyTorch's forward(input, indices, output_size=None).
  Tensor forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size = std::nullopt);
  // An Error: unpooling needs the indices (the one-input form that Sequential calls).
  Tensor forward(const Tensor& input) override;
  // "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)" (PyTorch's _single/_pair/_triple tuples)
  std::string extra_repr() const override;

  const Size kernel_size, stride, padding;
};
extern template class MaxUnpool<1>;
extern template class MaxUnpool<2>;
extern template class MaxUnpool<3>;
using MaxUnpool1d = MaxUnpool<1>;
using MaxUnpool2d = MaxUnpool<2>;
using MaxUnpool3d = MaxUnpool<3>;

}  // namespace ember::nn
