// nn::MaxUnpool2d(kernel_size, stride = kernel_size, padding = 0) over
// nn::functional::max_unpool2d; forward takes the pooling's indices, as PyTorch's.
#pragma once
#include <optional>
#include <string>

#include "nn/functional/unpool.h"
#include "nn/module.h"

namespace ember::nn {

class MaxUnpool2d : public Module {
 public:
  explicit MaxUnpool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0);
  // PyTorch's forward(input, indices, output_size=None).
  Tensor forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size = std::nullopt);
  // An Error: unpooling needs the indices (the one-input form that Sequential calls).
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)"

  const Pair kernel_size, stride, padding;
};

}  // namespace ember::nn
