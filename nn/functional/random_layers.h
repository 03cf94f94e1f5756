// nn::functional's further layers that draw from ember's generator, PyTorch's names and
// defaults: alpha_dropout and feature_alpha_dropout (SELU's dropout, which keeps a
// self-normalized input's mean and variance) and gumbel_softmax.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember::nn::functional {

// Training: each element is dropped with probability p and set to SELU's negative
// saturation -alpha * scale (alpha = 1.6733, scale = 1.0507; alpha' = 1.7581 their product),
// then every element is a * x' + b with a = ((1 - p)(1 + p alpha'^2))^-1/2 and
// b = a * alpha' * p, PyTorch's affine correction. Not training (PyTorch's default for the
// functional form), p = 0 or an empty input: x itself. p = 1: zeros, as PyTorch's kernel.
// The gradient to x is a where kept, 0 where dropped. Any device (bernoulli from ember's
// generator and elementwise ops). float32 and float64 give PyTorch's values; bfloat16 rounds
// the constants once, so a dropped value may differ from PyTorch's by a bfloat16 step.
Tensor alpha_dropout(const Tensor& x, double p = 0.5, bool training = false, bool inplace = false);
// The same with one draw per channel: x [N, C, ...] (at least 2 dims), a mask [N, C, 1, ...].
// inplace: the result is written into x and x returned (Note [In-place activations] in
// nn/functional/in_place.h).
Tensor feature_alpha_dropout(const Tensor& x, double p = 0.5, bool training = false, bool inplace = false);

// softmax((logits + g) / tau) along dim with g ~ Gumbel(0, 1) drawn from ember's generator
// (-log(E), E ~ Exp(1)); hard: the one-hot of its argmax with the soft sample's gradient
// (y_hard - y_soft.detach() + y_soft), as PyTorch's straight-through estimator. bfloat16
// logits are sampled in float32 (the result is bfloat16); 0-dim logits give 1.
Tensor gumbel_softmax(const Tensor& logits, double tau = 1.0, bool hard = false, int64_t dim = -1);

}  // namespace ember::nn::functional
