// nn::LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0) over
// nn::functional::local_response_norm, with PyTorch's repr.
#pragma once
#include <cstdint>
#include <string>

#include "nn/functional/local_response_norm.h"
#include "nn/module.h"

namespace ember::nn {

class LocalResponseNorm : public Module {
 public:
  explicit LocalResponseNorm(int64_t size, double alpha = 1e-4, double beta = 0.75, double k = 1.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "2, alpha=0.0001, beta=0.75, k=1.0"

  const int64_t size;
  const double alpha, beta, k;
};

}  // namespace ember::nn
