// nn::functional's further activations, with PyTorch's names, parameters and defaults:
// hardswish, hardsigmoid, prelu, selu, celu, logsigmoid, softsign, tanhshrink,
// hardshrink, softshrink, threshold, glu, softmin and rrelu (nn/functional/activation_more.cpp).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember::nn::functional {

// Composed of differentiable ops, so autograd, every derivative order and every device
// come from those ops; the gradients at the kinks are PyTorch 1.13's (Note [Gradients at
// the kinks] in activation_more.cpp). inplace = true (and the underscore forms) overwrites x
// with the result and returns x, as PyTorch's (Note [In-place activations] in
// nn/functional/in_place.h).

// x * relu6(x + 3) / 6; dy/dx is 0 below -3, x / 3 + 0.5 on [-3, 3], 1 above.
Tensor hardswish(const Tensor& x, bool inplace = false);
// relu6(x + 3) / 6; dy/dx is 1/6 strictly inside (-3, 3), else 0.
Tensor hardsigmoid(const Tensor& x, bool inplace = false);
// x where x > 0, else weight * x. weight holds 1 value or one per channel (dim 1 of x;
// a 1-D x has one channel), PyTorch's "Mismatch of parameter numbers and input channel size".
Tensor prelu(const Tensor& x, const Tensor& weight);
// scale * elu(x, alpha) with PyTorch's constants alpha = 1.6732632423543772,
// scale = 1.0507009873554805.
Tensor selu(const Tensor& x, bool inplace = false);
Tensor selu_(const Tensor& x);
// x where x > 0, else alpha * (exp(x / alpha) - 1); alpha != 0.
Tensor celu(const Tensor& x, double alpha = 1.0, bool inplace = false);
Tensor celu_(const Tensor& x, double alpha = 1.0);
// log(sigmoid(x)), computed without overflow: min(x, 0) - log1p(exp(-|x|)).
Tensor logsigmoid(const Tensor& x);
// x / (1 + |x|)
Tensor softsign(const Tensor& x);
// x - tanh(x)
Tensor tanhshrink(const Tensor& x);
// x where |x| > lambd, else 0.
Tensor hardshrink(const Tensor& x, double lambd = 0.5);
// x - lambd above lambd, x + lambd below -lambd, else 0; lambd >= 0.
Tensor softshrink(const Tensor& x, double lambd = 0.5);
// x where x > threshold, else value (no defaults, as in PyTorch).
Tensor threshold(const Tensor& x, double threshold, double value, bool inplace = false);
Tensor threshold_(const Tensor& x, double threshold, double value);
// a * sigmoid(b), where a and b are the two halves of x along dim (its size must be even).
Tensor glu(const Tensor& x, int64_t dim = -1);
// softmax(-x, dim); with a dtype, x cast to it first (F.softmin(x, dim, dtype=...)).
Tensor softmin(const Tensor& x, int64_t dim);
Tensor softmin(const Tensor& x, int64_t dim, DType dtype);
// Randomized leaky ReLU: in training, x where x > 0, else x * a with a drawn from
// U(lower, upper) for each element (ember's generator on x's device, as dropout's masks);
// in eval, leaky_relu(x, (lower + upper) / 2). The gradient is the slope each element used.
// lower <= upper (PyTorch's "Lower bound should be less than or equal to the upper bound").
Tensor rrelu(const Tensor& x, double lower = 1.0 / 8, double upper = 1.0 / 3, bool training = false,
             bool inplace = false);
Tensor rrelu_(const Tensor& x, double lower = 1.0 / 8, double upper = 1.0 / 3, bool training = false);

}  // namespace ember::nn::functional
