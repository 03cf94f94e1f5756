// torch.special (core/special_ops.h): the kernels of core/bessel_normal_functions.h with
// PyTorch's derivatives in recorded ops, torch.i0 and mvlgamma, entr and ndtr, and the
// special:: spellings of the top-level ops.
#include <cmath>
#include <limits>
#include <numbers>

#include "autograd/functions/unary_math.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native_special.h"
#include "core/ops.h"

namespace ember {

using autograd::composed_inplace;
using autograd::record_unary;
using autograd::as_floating;
using autograd::unary_math;
using autograd::unary_math_;
using autograd::UnaryMath;

// Note [torch.special]
// ~~~~~~~~~~~~~~~~~~~~
// ember::special holds PyTorch's torch.special names. i0, i0e, i1, i1e, erfcx, ndtri and
// log_ndtr have kernels of their own (Note [Modified Bessel functions by series and
// asymptotics], Note [The normal tails through erfcx]), one UnaryOp each, so they run on any
// device and in place like the other math ops; their derivatives are PyTorch's formulas in
// recorded ops (i0' = i1; i0e' = i1e - sgn(x) i0e; i1' = i0 - i1/x, 1/2 at |x| <= eps; i1e' =
// i0e - i1e (sgn(x) + 1/x), 1/2 there; erfcx' = 2x erfcx - 2/sqrt(pi); ndtri' = sqrt(2 pi)
// e^(y^2/2); log_ndtr' = e^(-x^2/2 - log_ndtr(x)) / sqrt(2 pi)), so they differentiate any
// number of times. entr has its value composed and PyTorch's gradient -(1 + ln x) as a node
// (a composition would give 0 at x = 0, where PyTorch's is inf); ndtr, multigammaln and the
// aliases are compositions of differentiable ops. The modified_bessel_* spellings are i0 and
// i1 with gradients (PyTorch's have none).
namespace {
using enum autograd::Keeps;
constexpr double kTwoOverSqrtPi = 2.0 * std::numbers::inv_sqrtpi;
const double kSqrtTwoPi = std::sqrt(2.0 * std::numbers::pi);

// PyTorch's i1_backward / i1e_backward: |x| <= eps (0, and the tiny x whose 1/x overflows)
// takes the limit 1/2; x there is replaced by eps inside the formula, so the branch not taken
// has no 0 * inf in its own gradient.
Tensor tiny(const Tensor& x) { return le(abs(x), std::numeric_limits<double>::epsilon()); }
Tensor safe_for_reciprocal(const Tensor& x) {
  return where(tiny(x), Scalar(std::numeric_limits<double>::epsilon()), x);
}

constexpr UnaryMath kI0{"I0Backward", native::i0,
                        UnaryOp::I0,  false,
                        Input,        [](const Tensor& g, const Tensor& x) { return mul(g, special::i1(x)); }};
constexpr UnaryMath kI0e{
    "SpecialI0EBackward", native::i0e, UnaryOp::I0e, false, Input, [](const Tensor& g, const Tensor& x) {
      return mul(g, sub(special::i1e(x), mul(sign(x), special::i0e(x))));
    }};
constexpr UnaryMath kI1{
    "SpecialI1Backward", native::i1, UnaryOp::I1, false, Input, [](const Tensor& g, const Tensor& x) {
      const Tensor safe = safe_for_reciprocal(x);
      const Tensor slope = sub(special::i0(safe), mul(special::i1(safe), reciprocal(safe)));
      return mul(g, where(tiny(x), Scalar(0.5), slope));
    }};
constexpr UnaryMath kI1e{
    "SpecialI1EBackward", native::i1e, UnaryOp::I1e, false, Input, [](const Tensor& g, const Tensor& x) {
      const Tensor safe = safe_for_reciprocal(x);
      const Tensor slope = sub(special::i0e(safe), mul(special::i1e(safe), add(sign(safe), reciprocal(safe))));
      return mul(g, where(tiny(x), Scalar(0.5), slope));
    }};
constexpr UnaryMath kErfcx{
    "SpecialErfcxBackward", native::erfcx, UnaryOp::Erfcx, false, Input, [](const Tensor& g, const Tensor& x) {
      return mul(g, sub(mul(mul(x, special::erfcx(x)), 2.0), kTwoOverSqrtPi));
    }};
constexpr UnaryMath kNdtri{
    "SpecialNdtriBackward", native::ndtri, UnaryOp::Ndtri, false, Output, [](const Tensor& g, const Tensor& y) {
      return mul(g, mul(exp(mul(mul(y, y), 0.5)), kSqrtTwoPi));
    }};
constexpr UnaryMath kLogNdtr{
    "SpecialLogNdtrBackward", native::log_ndtr, UnaryOp::LogNdtr, false, Input, [](const Tensor& g, const Tensor& x) {
      const Tensor exponent = neg(add(mul(mul(x, x), 0.5), special::log_ndtr(x)));
      return mul(g, div(exp(exponent), kSqrtTwoPi));
    }};


void check_mvlgamma(const Tensor& x, int64_t p) {
  EMBER_CHECK(p >= 1, "p has to be greater than or equal to 1");
  const Tensor above = gt(x.detach(), 0.5 * static_cast<double>(p - 1));
  EMBER_CHECK(x.numel() == 0 || all(above).item<bool>(), "All elements must be greater than (p-1)/2");
}

// sum_i<p lgamma(x - i/2) + p (p - 1)/4 log(pi), with PyTorch's checks (x read once).
Tensor mvlgamma_of(const Tensor& a, int64_t p) {
  const Tensor x = as_floating(a);
  check_mvlgamma(x, p);
  Tensor sum = lgamma(x);
  for (int64_t i = 1; i < p; ++i) sum = add(sum, lgamma(sub(x, 0.5 * static_cast<double>(i))));
  const auto order = static_cast<double>(p);
  return add(sum, order * (order - 1.0) / 4.0 * std::log(std::numbers::pi));
}
}  // namespace

Tensor i0(const Tensor& a) { return unary_math(kI0, a); }
Tensor mvlgamma(const Tensor& a, int64_t p) { return mvlgamma_of(a, p); }
Tensor Tensor::i0() const { return ember::i0(*this); }
Tensor Tensor::mvlgamma(int64_t p) const { return ember::mvlgamma(*this, p); }
Tensor& Tensor::i0_() { return unary_math_(kI0, *this); }
Tensor& Tensor::mvlgamma_(int64_t p) {
  EMBER_CHECK(is_floating(dtype()), "result type Float can't be cast to the desired output type ",
              dtype_torch_name(dtype()));
  return composed_inplace("MvlgammaBackward", *this, [&] { return mvlgamma_of(*this, p); });
}

namespace special {

Tensor i0(const Tensor& a) { return unary_math(kI0, a); }
Tensor i0e(const Tensor& a) { return unary_math(kI0e, a); }
Tensor i1(const Tensor& a) { return unary_math(kI1, a); }
Tensor i1e(const Tensor& a) { return unary_math(kI1e, a); }
Tensor modified_bessel_i0(const Tensor& a) { return special::i0(a); }
Tensor modified_bessel_i1(const Tensor& a) { return special::i1(a); }
Tensor erfcx(const Tensor& a) { return unary_math(kErfcx, a); }
Tensor ndtri(const Tensor& a) { return unary_math(kNdtri, a); }
Tensor log_ndtr(const Tensor& a) { return unary_math(kLogNdtr, a); }
Tensor ndtr(const Tensor& a) { return mul(ember::erfc(mul(as_floating(a), -std::numbers::sqrt2 / 2.0)), 0.5); }

Tensor entr(const Tensor& a) {
  const Tensor x = as_floating(a);
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor positive = gt(x, 0.0);
    const Tensor safe = where(positive, x, Scalar(1.0));
    const Tensor below = where(eq(x, 0.0), Scalar(0.0), full_like(x, -std::numeric_limits<double>::infinity()));
    // NaN stays NaN: it is neither positive nor 0, and where() below passes it on.
    out = where(positive, neg(mul(x, ember::log(safe))), where(isnan(x), x, below));
  }
  return record_unary("SpecialEntrBackward", x, out, false,
                      [](const Tensor& g, const Tensor& saved) { return mul(g, neg(add(ember::log(saved), 1.0))); });
}

Tensor xlog1py(const Tensor& x, const Tensor& y) { return ember::xlog1py(x, y); }
Tensor xlog1py(const Scalar& x, const Tensor& y) { return ember::xlog1py(x, y); }
Tensor xlog1py(const Tensor& x, const Scalar& y) { return ember::xlog1py(x, y); }
Tensor xlogy(const Tensor& x, const Tensor& y) { return ember::xlogy(x, y); }
Tensor xlogy(const Scalar& x, const Tensor& y) { return ember::xlogy(x, y); }
Tensor xlogy(const Tensor& x, const Scalar& y) { return ember::xlogy(x, y); }
Tensor expit(const Tensor& a) { return ember::sigmoid(a); }
Tensor logit(const Tensor& a, std::optional<double> eps) { return ember::logit(a, eps); }
Tensor exp2(const Tensor& a) { return ember::exp2(a); }
Tensor expm1(const Tensor& a) { return ember::expm1(a); }
Tensor log1p(const Tensor& a) { return ember::log1p(a); }
Tensor erf(const Tensor& a) { return ember::erf(a); }
Tensor erfc(const Tensor& a) { return ember::erfc(a); }
Tensor erfinv(const Tensor& a) { return ember::erfinv(a); }
Tensor gammaln(const Tensor& a) { return ember::lgamma(a); }
Tensor digamma(const Tensor& a) { return ember::digamma(a); }
Tensor psi(const Tensor& a) { return ember::digamma(a); }
Tensor polygamma(int64_t n, const Tensor& a) { return ember::polygamma(n, a); }
Tensor multigammaln(const Tensor& a, int64_t p) { return ember::mvlgamma(a, p); }
Tensor sinc(const Tensor& a) { return ember::sinc(a); }
Tensor round(const Tensor& a, int64_t decimals) { return ember::round(a, decimals); }
Tensor softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  return dtype ? a.softmax(dim, *dtype) : a.softmax(dim);
}
Tensor log_softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  return dtype ? a.log_softmax(dim, *dtype) : a.log_softmax(dim);
}
Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim) { return ember::logsumexp(a, dims, keepdim); }

}  // namespace special
}  // namespace ember
