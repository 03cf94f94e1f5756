// nn::FractionalMaxPool2d / nn::FractionalMaxPool3d(kernel_size, {.output_size | .output_ratio,
// .random_samples}) over nn::functional::fractional_max_pool2d/3d, PyTorch's layers: fresh
// window offsets per call unless samples are given (then a buffer, as PyTorch's), PyTorch's
// constructor checks.
#pragma once
#include <cstdint>
#include <string>
#include <tuple>

#include "nn/functional/fractional_pool.h"
#include "nn/module.h"

namespace ember::nn {

template <int Rank>
class FractionalMaxPool : public Module {
 public:
  FractionalMaxPool(IntOrPair kernel_size, const functional::FractionalMaxPoolOptions& options);
  Tensor forward(const Tensor& input) override;
  // PyTorch's return_indices=True: the output and the winners' flat indices (int64).
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);

  const Dims kernel_size;
  const IntOrPair output_size;
  const functional::Ratios output_ratio;
  // PyTorch's buffer "_random_samples" (so state_dict and to() carry it); undefined: each
  // call draws new samples.
  Tensor& random_samples;
};
extern template class FractionalMaxPool<2>;
extern template class FractionalMaxPool<3>;
using FractionalMaxPool2d = FractionalMaxPool<2>;
using FractionalMaxPool3d = FractionalMaxPool<3>;

}  // namespace ember::nn
