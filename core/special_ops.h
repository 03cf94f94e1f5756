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
// The modified Bessel function of order 0 (torch.i0; its derivative is special::i1).
Tensor i0(const Tensor& a);
// torch.mvlgamma: the log of the multivariate gamma function of dimension p, sum_i<p
// lgamma(x - i/2) + p (p - 1)/4 log(pi); PyTorch's "p has to be greater than or equal to 1"
// and "All elements must be greater than (p-1)/2" (one host read).
Tensor mvlgamma(const Tensor& a, int64_t p);
// hypot and logaddexp(2) take floating operands (PyTorch's '"hypot_cpu" not implemented for
// 'Long''); copysign computes integers in float32, its gradient reaches a only.
Tensor hypot(const Tensor& a, const Tensor& b);
Tensor copysign(const Tensor& a, const Tensor& b);
Tensor copysign(const Tensor& a, const Scalar& b);
Tensor logaddexp(const Tensor& a, const Tensor& b);
Tensor logaddexp2(const Tensor& a, const Tensor& b);
// torch.nextafter: the next representable value after a toward b, in their promoted floating
// dtype (float16 / bfloat16 step by their own format's unit); b where a == b, NaN where either is.
// Integer operands are '"nextafter_cpu" not implemented for 'Long''. No derivative (PyTorch's
// "the derivative for 'nextafter' is not implemented." when backward reaches it).
Tensor nextafter(const Tensor& a, const Tensor& b);

// Composed of other ops: x * log(y), 0 where x == 0 and y is not NaN (PyTorch 2.x's
// gradients: d/dx is log(y), d/dy at x = y = 0 is 0/0 = NaN); x - trunc(x) (floating
// x only: '"frac_cpu" not implemented for 'Long''); log(z / (1 - z)) of z = x clamped to
// [eps, 1 - eps] when eps is given (gradient 0 outside); sin(pi x) / (pi x), 1 at 0;
// degrees <-> radians.
Tensor xlogy(const Tensor& x, const Tensor& y);
Tensor xlogy(const Scalar& x, const Tensor& y);
Tensor xlogy(const Tensor& x, const Scalar& y);
// x * log1p(y), 0 where x == 0 and y is not NaN (torch.special.xlog1py; PyTorch's gradients).
Tensor xlog1py(const Tensor& x, const Tensor& y);
Tensor xlog1py(const Scalar& x, const Tensor& y);
Tensor xlog1py(const Tensor& x, const Scalar& y);
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

// torch.special (Note [torch.special] in autograd/functions/special_namespace.cpp): PyTorch's
// names, values and gradients; integers and bools compute in float32. Each is differentiable,
// on any device. Kernels of their own (core/bessel_normal_functions.h): i0, i0e, i1, i1e (the
// modified Bessel functions of order 0 and 1, the e forms scaled by e^-|x|), erfcx (e^(x^2)
// erfc(x)), ndtri (the standard normal's quantile; NaN outside [0, 1]) and log_ndtr (log of
// its CDF, finite far into the left tail). The rest are compositions or the top-level ops.
// Not in ember: zeta of a tensor s, gammainc / gammaincc, the Bessel J / Y / K functions,
// airy_ai and the orthogonal polynomials.
namespace special {
Tensor i0(const Tensor& a);
Tensor i0e(const Tensor& a);
Tensor i1(const Tensor& a);
Tensor i1e(const Tensor& a);
Tensor modified_bessel_i0(const Tensor& a);  // i0
Tensor modified_bessel_i1(const Tensor& a);  // i1
Tensor erfcx(const Tensor& a);
Tensor ndtri(const Tensor& a);
Tensor log_ndtr(const Tensor& a);
Tensor ndtr(const Tensor& a);  // the standard normal CDF, erfc(-x / sqrt 2) / 2
// -x ln x for x > 0, 0 at 0, -inf below (entropy terms); gradient -(1 + ln x).
Tensor entr(const Tensor& a);
Tensor xlog1py(const Tensor& x, const Tensor& y);
Tensor xlog1py(const Scalar& x, const Tensor& y);
Tensor xlog1py(const Tensor& x, const Scalar& y);
Tensor xlogy(const Tensor& x, const Tensor& y);
Tensor xlogy(const Scalar& x, const Tensor& y);
Tensor xlogy(const Tensor& x, const Scalar& y);
Tensor expit(const Tensor& a);  // sigmoid
Tensor logit(const Tensor& a, std::optional<double> eps = std::nullopt);
Tensor exp2(const Tensor& a);
Tensor expm1(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor erf(const Tensor& a);
Tensor erfc(const Tensor& a);
Tensor erfinv(const Tensor& a);
Tensor gammaln(const Tensor& a);  // lgamma
Tensor digamma(const Tensor& a);
Tensor psi(const Tensor& a);  // digamma
Tensor polygamma(int64_t n, const Tensor& a);
Tensor multigammaln(const Tensor& a, int64_t p);  // mvlgamma
Tensor sinc(const Tensor& a);
Tensor round(const Tensor& a, int64_t decimals = 0);
Tensor softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim = false);
template <DimIndex I>
Tensor logsumexp(const Tensor& a, I dim, bool keepdim = false) {
  return a.logsumexp(dim, keepdim);
}
}  // namespace special

}  // namespace ember
