// nn::Linear: y = x W^T + b, initialized like PyTorch (U(-1/sqrt(in), 1/sqrt(in)) for
// weight and bias).
#pragma once
#include "nn/module.h"

namespace ember::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  const int64_t in_features;
  const int64_t out_features;
  Tensor& weight;  // [out, in]
  Tensor& bias;    // [out]; undefined without bias
};

}  // namespace ember::nn
