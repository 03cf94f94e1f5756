// CosineSimilarity and PairwiseDistance: PyTorch's two-input distance modules over
// nn/functional/distance.h, called with (x1, x2).
#pragma once
#include <string>

#include "nn/module.h"

namespace ember::nn {

// A module called with two tensors; its one-tensor forward is PyTorch's missing-argument error.
class PairModule : public Module {
 public:
  explicit PairModule(std::string type_name) : Module(std::move(type_name)) {}
  virtual Tensor forward(const Tensor& x1, const Tensor& x2) = 0;
  Tensor forward(const Tensor& input) override;
  Tensor operator()(const Tensor& x1, const Tensor& x2) { return forward(x1, x2); }
  using Module::operator();
};

class CosineSimilarity : public PairModule {
 public:
  explicit CosineSimilarity(int64_t dim = 1, double eps = 1e-8) : PairModule("CosineSimilarity"), dim(dim), eps(eps) {}
  using PairModule::forward;
  Tensor forward(const Tensor& x1, const Tensor& x2) override;
  const int64_t dim;
  const double eps;
};

class PairwiseDistance : public PairModule {
 public:
  explicit PairwiseDistance(double p = 2.0, double eps = 1e-6, bool keepdim = false)
      : PairModule("PairwiseDistance"), norm(p), eps(eps), keepdim(keepdim) {}
  using PairModule::forward;
  Tensor forward(const Tensor& x1, const Tensor& x2) override;
  const double norm;  // PyTorch's attribute name for p
  const double eps;
  const bool keepdim;
};

}  // namespace ember::nn
