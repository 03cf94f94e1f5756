// CosineSimilarity and PairwiseDistance: PyTorch's two-input distance modules over
// nn/functional/distance.h, called with (x1, x2).
#pragma once
#include <string>

#include "nn/framed_calls.h"
#include "nn/module.h"

namespace ember::nn {

// A module called with two tensors. module(x1, x2) runs through Module::operator(), so its
// hooks see the call with x1 as the input (Note [Calls with more arguments] in
// nn/framed_calls.h); forward(x1) outside such a call is PyTorch's missing-argument error.
class PairModule : public Module {
 public:
  explicit PairModule(std::string type_name) : Module(std::move(type_name)) {}
  virtual Tensor forward(const Tensor& x1, const Tensor& x2) = 0;
  Tensor forward(const Tensor& input) override;
  Tensor operator()(const Tensor& x1, const Tensor& x2);
  using Module::operator();

 private:
  struct Frame {
    Tensor x2;
  };
  detail::FramedCalls<Frame> calls_;
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
