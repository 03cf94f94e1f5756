// nn::Dropout / Dropout1d / Dropout2d / Dropout3d: mask and scale by 1/(1-p) in training, the identity in eval;
// nn::AlphaDropout / FeatureAlphaDropout: SELU's dropout (functional::alpha_dropout), the identity in eval.
// inplace = true writes the result into the input (Note [In-place activations] in nn/functional/in_place.h).
#pragma once
#include <string>
#include <utility>

#include "nn/module.h"

namespace ember::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, bool inplace = false) : Dropout("Dropout", p, inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  // Eval mode is the identity (when p > 0).
  bool depends_on_training_flag() const override { return p > 0.0; }
  std::string eval_mode_effect() const override;

  const double p;
  const bool inplace;

 protected:
  Dropout(std::string type_name, double p, bool inplace);
};

// Zeroes whole channels of [N, C, L] (or [C, L]) inputs.
class Dropout1d : public Dropout {
 public:
  explicit Dropout1d(double p = 0.5, bool inplace = false) : Dropout("Dropout1d", p, inplace) {}
  Tensor forward(const Tensor& input) override;
};

// Zeroes whole channels of [N, C, H, W] (or [C, H, W]: functional::dropout2d's note) inputs.
class Dropout2d : public Dropout {
 public:
  explicit Dropout2d(double p = 0.5, bool inplace = false) : Dropout("Dropout2d", p, inplace) {}
  Tensor forward(const Tensor& input) override;
};

// Zeroes whole channels of [N, C, D, H, W] (or [C, D, H, W]) inputs.
class Dropout3d : public Dropout {
 public:
  explicit Dropout3d(double p = 0.5, bool inplace = false) : Dropout("Dropout3d", p, inplace) {}
  Tensor forward(const Tensor& input) override;
};

// SELU networks' dropout: dropped elements take SELU's negative saturation and an affine
// correction keeps a self-normalized input's mean and variance (functional::alpha_dropout).
class AlphaDropout : public Dropout {
 public:
  explicit AlphaDropout(double p = 0.5, bool inplace = false) : Dropout("AlphaDropout", p, inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string eval_mode_effect() const override;

 protected:
  AlphaDropout(std::string type_name, double p, bool inplace) : Dropout(std::move(type_name), p, inplace) {}
};

// AlphaDropout of whole channels of [N, C, ...] inputs (functional::feature_alpha_dropout).
class FeatureAlphaDropout : public AlphaDropout {
 public:
  explicit FeatureAlphaDropout(double p = 0.5, bool inplace = false)
      : AlphaDropout("FeatureAlphaDropout", p, inplace) {}
  Tensor forward(const Tensor& input) override;
};

}  // namespace ember::nn
