// Special and composed elementwise math (PyTorch's torch.* names; differentiable, CPU and
// CUDA): autograd/functions/special_math.cpp. Included by core/ops.h.
#pragma once
#include <optional>

#include "core/tensor.h"

namespace ember {

// Kernels (core/math_functors.h): integers and bools compute in float32, as sin ... erf.
// erfinv(+-1) = +-inf; digamma at 0 is -inf (+inf at -0.0), NaN at negative integers.
Tensor erfc(const Tensor& a);
Tensor erfinv(const Tensor& a);
Tensor asinh(const Tensor& a);
Tensor acosh(const Tensor& a);
Tensor atanh(const Tensor& a);
Tensor exp2(const Tensor& a);
Tensor lgamma(const Tensor& a);
Tensor digamma(const Tensor& a);
// n = 0 is digamma, n = 1 trigamma, n >= 2 (-1)^(n+1) n! zeta(n + 1, x) (Note [Polygamma of
// higher orders]); each differentiates to polygamma(n + 1, x). Negative n is PyTorch's
// "polygamma(n, x) does not support negative n.".
Tensor polygamma(int64_t n, const Tensor& a);
// hypot and logaddexp(2) take floating operands (PyTorch's '"hypot_cpu" not implemented for
// 'Long''); copysign computes integers in float32, its gradient reaches a only.
Tensor hypot(const Tensor& a, const Tensor& b);
Tensor copysign(const Tensor& a, const Tensor& b);
Tensor copysign(const Tensor& a, const Scalar& b);
Tensor logaddexp(const Tensor& a, const Tensor& b);
Tensor logaddexp2(const Tensor& a, const Tensor& b);

// Composed of other ops: x * log(y), 0 where x == 0 and y is not NaN (PyTorch 2.x's
// gradients: d/dx is log(y), d/dy at x = y = 0 is 0/0 = NaN); x - trunc(x) (floating
// x only: '"frac_cpu" not implemented for 'Long''); log(z / (1 - z)) of z = x clamped to
// [eps, 1 - eps] when eps is given (gradient 0 outside); sin(pi x) / (pi x), 1 at 0;
// degrees <-> radians.
Tensor xlogy(const Tensor& x, const Tensor& y);
Tensor xlogy(const Scalar& x, const Tensor& y);
Tensor xlogy(const Tensor& x, const Scalar& y);
Tensor frac(const Tensor& a);
Tensor logit(const Tensor& a, std::optional<double> eps = std::nullopt);
Tensor sinc(const Tensor& a);
Tensor deg2rad(const Tensor& a);
Tensor rad2deg(const Tensor& a);

// The n-th forward difference along dim (torch.diff): out[i] = x[i + 1] - x[i] (logical_xor
// for bool), n times, after prepend and append are concatenated along dim (they must match
// x's other sizes). n = 0 returns x; n < 0 is an error; x must have at least one dim.
Tensor diff(const Tensor& x, int64_t n = 1, int64_t dim = -1, const std::optional<Tensor>& prepend = std::nullopt,
            const std::optional<Tensor>& append = std::nullopt);

}  // namespace ember
