// nn::Linear: y = x W^T + b, and nn::Bilinear: y = x1^T A x2 + b, initialized like PyTorch
// (U(-1/sqrt(in), 1/sqrt(in)) for weight and bias; Bilinear's in is in1_features).
#pragma once
#include "nn/framed_calls.h"
#include "nn/module.h"

namespace ember::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in_features;
  const int64_t out_features;
  Tensor& weight;  // [out, in]
  Tensor& bias;    // [out]; undefined without bias

 protected:
  Linear(std::string type_name, int64_t in_features, int64_t out_features, bool bias);
};

// PyTorch's NonDynamicallyQuantizableLinear: MultiheadAttention's out_proj, a Linear that
// prints under its own name.
class NonDynamicallyQuantizableLinear : public Linear {
 public:
  NonDynamicallyQuantizableLinear(int64_t in_features, int64_t out_features, bool bias = true)
      : Linear("NonDynamicallyQuantizableLinear", in_features, out_features, bias) {}
};

class Bilinear : public Module {
 public:
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias = true);
  // input1 [*, in1], input2 [*, in2] -> [*, out] (functional::bilinear).
  Tensor forward(const Tensor& input1, const Tensor& input2);
  // Runs through Module::operator(), so hooks (weight_norm, pruning) see the call (Note
  // [Calls with more arguments] in nn/framed_calls.h).
  Tensor operator()(const Tensor& input1, const Tensor& input2);
  // input2 of that call; otherwise an Error: Bilinear takes two inputs (the one-input form
  // that Sequential calls).
  Tensor forward(const Tensor& input) override;
  using Module::operator();
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again

  const int64_t in1_features, in2_features, out_features;
  Tensor& weight;  // [out, in1, in2]
  Tensor& bias;    // [out]; undefined without bias

 private:
  struct Frame {
    Tensor input2;
  };
  detail::FramedCalls<Frame> calls_;
};

}  // namespace ember::nn
