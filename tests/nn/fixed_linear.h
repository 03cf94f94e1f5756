// A float64 Linear(3, 2) with fixed weights and a fixed [2, 3] batch, whose PyTorch 1.13
// values the module-hook and reparametrization tests quote.
#pragma once
#include <memory>
#include <vector>

#include "support/helpers.h"

namespace ember::testing {

// W = [[1, 2, 3], [4, -5, 6]], b = [0.5, -0.5].
inline std::shared_ptr<nn::Linear> linear_2x3() {
  auto fc = std::make_shared<nn::Linear>(3, 2);
  fc->to(kFloat64);
  NoGradGuard no_grad;
  fc->weight.copy_(tensor(std::vector<double>{1, 2, 3, 4, -5, 6}, {2, 3}, TensorOptions(kFloat64)));
  fc->bias.copy_(tensor(std::vector<double>{0.5, -0.5}, {2}, TensorOptions(kFloat64)));
  return fc;
}

// x = [[1, 0.5, -1], [2, 1, 0]].
inline Tensor batch_2x3(bool requires_grad = false) {
  return tensor(std::vector<double>{1, 0.5, -1, 2, 1, 0}, {2, 3}, TensorOptions(kFloat64).requires_grad(requires_grad));
}

}  // namespace ember::testing
