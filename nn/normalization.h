// nn::LayerNorm, nn::RMSNorm and nn::GroupNorm (PyTorch's modules): weight ones and bias zeros when
// affine. Unlike BatchNorm they keep no running statistics, so train() and eval() change
// nothing they compute (Note [The two switches]); only grad mode changes what they save.
#pragma once
#include <initializer_list>
#include <optional>

#include "nn/module.h"

namespace ember::nn {

// Normalizes over the last dims of its input, which must equal normalized_shape.
class LayerNorm : public Module {
 public:
  // bias = false: PyTorch 2.1's LayerNorm(..., bias=False), a weight without a bias.
  explicit LayerNorm(Dims normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool bias = true);
  explicit LayerNorm(int64_t normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool bias = true)
      : LayerNorm(Dims{normalized_shape}, eps, elementwise_affine, bias) {}
  // LayerNorm({C, H, W}), the docs' form (else {a, b} could also read as LayerNorm(a, b)).
  explicit LayerNorm(std::initializer_list<int64_t> normalized_shape, double eps = 1e-5,
                     bool elementwise_affine = true, bool bias = true)
      : LayerNorm(Dims(normalized_shape), eps, elementwise_affine, bias) {}
  Tensor forward(const Tensor& input) override;
  void reset_parameters();  // weight ones, bias zeros
  std::string extra_repr() const override;

  const Dims normalized_shape;
  const double eps;
  const bool elementwise_affine;
  Tensor& weight;  // normalized_shape, ones; undefined unless elementwise_affine
  Tensor& bias;    // normalized_shape, zeros; undefined unless elementwise_affine and bias
};

// PyTorch 2.4's nn.RMSNorm: F::rms_norm over the last dims, with a weight (ones) and no bias;
// eps nullopt (PyTorch's None): the input's float epsilon.
class RMSNorm : public Module {
 public:
  explicit RMSNorm(Dims normalized_shape, std::optional<double> eps = std::nullopt, bool elementwise_affine = true);
  explicit RMSNorm(int64_t normalized_shape, std::optional<double> eps = std::nullopt, bool elementwise_affine = true)
      : RMSNorm(Dims{normalized_shape}, eps, elementwise_affine) {}
  explicit RMSNorm(std::initializer_list<int64_t> normalized_shape, std::optional<double> eps = std::nullopt,
                   bool elementwise_affine = true)
      : RMSNorm(Dims(normalized_shape), eps, elementwise_affine) {}
  Tensor forward(const Tensor& input) override;
  void reset_parameters();  // weight ones
  std::string extra_repr() const override;

  const Dims normalized_shape;
  const std::optional<double> eps;
  const bool elementwise_affine;
  Tensor& weight;  // normalized_shape, ones; undefined unless elementwise_affine
};

// Input [N, C, *]: the C channels in num_groups groups, each (n, group) normalized alone.
class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& input) override;
  void reset_parameters();  // weight ones, bias zeros
  std::string extra_repr() const override;

  const int64_t num_groups;
  const int64_t num_channels;
  const double eps;
  const bool affine;
  Tensor& weight;  // [C], ones; undefined unless affine
  Tensor& bias;    // [C], zeros; undefined unless affine
};

}  // namespace ember::nn
