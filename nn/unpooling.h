// nn::MaxUnpool1d/2d/3d(kernel_size, stride = kernel_size, padding = 0) over
// nn::functional::max_unpool1d/2d/3d; forward takes the pooling's indices, as PyTorch's.
#pragma once
#include <optional>
#include <string>

#include "nn/functional/unpool.h"
#include "nn/module.h"

namespace ember::nn {

// What the three layers share: forward(input) is an error, for unpooling needs the indices
// (the one-input form that Sequential calls).
class MaxUnpoolBase : public Module {
 public:
  using Module::Module;
  Tensor forward(const Tensor& input) override;
};

class MaxUnpool1d : public MaxUnpoolBase {
 public:
  explicit MaxUnpool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt, int64_t padding = 0);
  // PyTorch's forward(input, indices, output_size=None).
  Tensor forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size = std::nullopt);
  using MaxUnpoolBase::forward;
  std::string extra_repr() const override;  // "kernel_size=(2,), stride=(2,), padding=(0,)"

  const int64_t kernel_size, stride, padding;
};

class MaxUnpool2d : public MaxUnpoolBase {
 public:
  explicit MaxUnpool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0);
  Tensor forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size = std::nullopt);
  using MaxUnpoolBase::forward;
  std::string extra_repr() const override;  // "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)"

  const Pair kernel_size, stride, padding;
};

class MaxUnpool3d : public MaxUnpoolBase {
 public:
  explicit MaxUnpool3d(Triple kernel_size, std::optional<Triple> stride = std::nullopt, Triple padding = 0);
  Tensor forward(const Tensor& input, const Tensor& indices, const std::optional<Dims>& output_size = std::nullopt);
  using MaxUnpoolBase::forward;
  std::string extra_repr() const override;  // "kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0)"

  const Triple kernel_size, stride, padding;
};

}  // namespace ember::nn
