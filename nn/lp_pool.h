// nn::LPPool1d, LPPool2d and LPPool3d over nn::functional::lp_pool1d/2d/3d (power-average
// pooling), with PyTorch's arguments and reprs.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "nn/functional/conv.h"
#include "nn/module.h"

namespace ember::nn {

class LPPool1d : public Module {
 public:
  LPPool1d(double norm_type, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt, bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  // "norm_type=2.0, kernel_size=3, stride=None, ceil_mode=False", as PyTorch's
  std::string extra_repr() const override;
  const double norm_type;
  const int64_t kernel_size;
  const std::optional<int64_t> stride;
  const bool ceil_mode;
};

// LPPool2d and LPPool3d: kernel_size and stride one size for every dim or one per dim (Dims);
// stride {} (the default) means the kernel, printed None.
template <int64_t N>
class LPPool : public Module {
 public:
  LPPool(double norm_type, IntOrPair kernel_size, IntOrPair stride = {}, bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const double norm_type;
  const Dims kernel_size, stride;
  const bool ceil_mode;
};
extern template class LPPool<2>;
extern template class LPPool<3>;
using LPPool2d = LPPool<2>;
using LPPool3d = LPPool<3>;

}  // namespace ember::nn
