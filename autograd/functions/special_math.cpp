// Differentiable special math (core/special_ops.h): the kernels of core/ops/special_math.cpp
// with PyTorch's derivatives in recorded ops, the ops composed of others (xlogy's and logit's
// values, their gradients PyTorch's formulas; frac, sinc, deg2rad/rad2deg, diff), and their
// Tensor methods, in place too.
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "autograd/functions/unary_math.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native_special.h"
#include "core/ops/elementwise_ops.h"
#include "core/ops.h"

namespace ember {

using autograd::composed_inplace;
using autograd::inplace;
using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::as_floating;
using autograd::unary_math;
using autograd::unary_math_;
using autograd::UnaryMath;
using autograd::will_record_into;

// ---------------------------------------------------------------- one input
namespace {
using enum autograd::Keeps;
constexpr double kTwoOverSqrtPi = 2.0 * std::numbers::inv_sqrtpi;

constexpr UnaryMath kErfc{"ErfcBackward", native::erfc, UnaryOp::Erfc, false, Input,
                          [](const Tensor& g, const Tensor& x) {  // -g 2/sqrt(pi) e^(-x^2)
                            return mul(g, mul(exp(neg(mul(x, x))), -kTwoOverSqrtPi));
                          }};
constexpr UnaryMath kErfinv{"ErfinvBackward", native::erfinv, UnaryOp::Erfinv, true, Output,
                            [](const Tensor& g, const Tensor& y) {  // g sqrt(pi)/2 e^(y^2)
                              return mul(g, mul(exp(mul(y, y)), 1.0 / kTwoOverSqrtPi));
                            }};
constexpr UnaryMath kAsinh{"AsinhBackward", native::asinh, UnaryOp::Asinh, false, Input,
                           [](const Tensor& g, const Tensor& x) {
                             return mul(g, rsqrt(add(mul(x, x), 1.0)));  // g / sqrt(x^2 + 1)
                           }};
constexpr UnaryMath kAcosh{"AcoshBackward", native::acosh, UnaryOp::Acosh, false, Input,
                           [](const Tensor& g, const Tensor& x) {
                             return mul(g, rsqrt(sub(mul(x, x), 1.0)));  // g / sqrt(x^2 - 1)
                           }};
constexpr UnaryMath kAtanh{"AtanhBackward", native::atanh, UnaryOp::Atanh, false, Input,
                           [](const Tensor& g, const Tensor& x) {
                             return div(g, rsub(mul(x, x), 1.0));  // g / (1 - x^2)
                           }};
constexpr UnaryMath kExp2{"Exp2Backward", native::exp2, UnaryOp::Exp2, false, Output,
                          [](const Tensor& g, const Tensor& y) { return mul(g, mul(y, std::numbers::ln2)); }};
constexpr UnaryMath kLgamma{"LgammaBackward", native::lgamma, UnaryOp::Lgamma, false, Input,
                            [](const Tensor& g, const Tensor& x) { return mul(g, digamma(x)); }};
constexpr UnaryMath kDigamma{"DigammaBackward", native::digamma, UnaryOp::Digamma, false, Input,
                             [](const Tensor& g, const Tensor& x) { return mul(g, polygamma(1, x)); }};
constexpr UnaryMath kTrigamma{"PolygammaBackward", native::trigamma, UnaryOp::Trigamma, false, Input,
                              [](const Tensor& g, const Tensor& x) { return mul(g, polygamma(2, x)); }};

// Note [Polygamma of higher orders]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// polygamma(n, x) for n >= 2 is (-1)^(n+1) n! zeta(n + 1, x), PyTorch's formula, with the
// Hurwitz zeta of an integer s = n + 1 summed by Euler-Maclaurin in float64: the terms
// (x + k)^-s for k < K, K enough to move x to w = x + K >= s + 12, then w^(1-s) / (s-1) +
// w^-s / 2 + sum_j B_2j / (2j)! s (s+1) ... (s+2j-2) w^(-s-2j+1) over eight Bernoulli numbers,
// which at that distance is exact to a double. Every x >= -1 takes the same K, as tensor ops
// on its device; an x further below 0 needs its own K (about -x terms), so those few are
// summed on the host one by one (one host read tells whether there are any; x below -2^24 is
// an error rather than that many terms). A pole (x a non-positive integer, or -inf) gives
// PyTorch's signed inf; +inf gives the limit, a signed 0, where PyTorch's Cephes code gives
// NaN. The derivative is polygamma(n + 1, x) (a node), so digamma and lgamma differentiate
// any number of times.
template <typename Value>
Value euler_maclaurin_tail(const Value& w, double s) {
  using std::pow;
  // B_2j / (2j)! for j = 1..8
  constexpr double kBernoulliOverFactorial[] = {1.0 / 12.0,          -1.0 / 720.0,
                                                1.0 / 30240.0,       -1.0 / 1209600.0,
                                                1.0 / 47900160.0,    -691.0 / 1307674368000.0,
                                                1.0 / 74724249600.0, -3617.0 / 10670622842880000.0};
  Value sum = pow(w, 1.0 - s) / (s - 1.0) + pow(w, -s) * 0.5;
  double rising = s;  // s (s+1) ... (s+2j-2)
  for (int j = 1; j <= 8; ++j) {
    sum = sum + pow(w, -s - 2.0 * j + 1.0) * (kBernoulliOverFactorial[j - 1] * rising);
    rising *= (s + 2.0 * j - 1.0) * (s + 2.0 * j);
  }
  return sum;
}

// zeta(s, q) of one finite q < -1, on the host, with its own number of terms.
double hurwitz_zeta_far(double s, double q) {
  EMBER_CHECK(q > -0x1p24, "polygamma(n, x) for n >= 2 takes x > -2^24 in ember, but got x = ", q);
  const auto terms = static_cast<int64_t>(std::ceil(s + 12.0 - q));
  double sum = 0.0;
  for (int64_t k = 0; k < terms; ++k) sum += std::pow(q + static_cast<double>(k), -s);
  return sum + euler_maclaurin_tail(q + static_cast<double>(terms), s);
}

// zeta(s, q) of a float64 tensor q.
Tensor hurwitz_zeta(int64_t s, const Tensor& q) {
  const double order = static_cast<double>(s);
  const Tensor far = bitwise_and(lt(q, -1.0), bitwise_not(isneginf(q)));
  const Tensor near = where(far, Scalar(1.0), q);  // the far ones' places hold a harmless 1
  const auto terms = static_cast<int64_t>(std::ceil(order + 13.0));  // x >= -1 reaches s + 12
  Tensor sum = zeros(q.sizes(), q.options());
  for (int64_t k = 0; k < terms; ++k) sum = add(sum, pow(add(near, static_cast<double>(k)), -order));
  sum = add(sum, euler_maclaurin_tail(add(near, static_cast<double>(terms)), order));
  sum = where(isneginf(q), Scalar(std::numeric_limits<double>::infinity()), sum);
  if (q.numel() == 0 || !any(far).item<bool>()) return sum;
  std::vector<double> values = masked_select(q, far).cpu().to_vector<double>();
  for (double& v : values) v = hurwitz_zeta_far(order, v);
  const Tensor far_sums = tensor(values, {static_cast<int64_t>(values.size())}, kFloat64).to(q.device());
  return masked_scatter(sum, far, far_sums);
}

Tensor polygamma_of_order(int64_t n, const Tensor& a) {
  const Tensor x = is_floating(a.dtype()) ? a : a.to(kFloat32);  // integers in float32, as PyTorch's
  Tensor out;
  {
    NoGradGuard no_grad;
    const double sign = n % 2 == 1 ? 1.0 : -1.0;
    const Tensor zeta = hurwitz_zeta(n + 1, x.to(kFloat64));
    out = mul(zeta, sign * std::tgamma(static_cast<double>(n) + 1.0)).to(x.dtype());
  }
  if (will_record_into(out, x))
    record("PolygammaBackward", {&x}, {&out}, {x},
           [n](const tensor_list& g, const tensor_list& saved, const auto&) {
             return tensor_list{mul(g[0], polygamma(n + 1, saved[0]))};
           })
        ->set_differentiable_backward();
  return out;
}

void check_polygamma_order(int64_t n) { EMBER_CHECK(n >= 0, "polygamma(n, x) does not support negative n."); }
}  // namespace

Tensor erfc(const Tensor& a) { return unary_math(kErfc, a); }
Tensor erfinv(const Tensor& a) { return unary_math(kErfinv, a); }
Tensor asinh(const Tensor& a) { return unary_math(kAsinh, a); }
Tensor acosh(const Tensor& a) { return unary_math(kAcosh, a); }
Tensor atanh(const Tensor& a) { return unary_math(kAtanh, a); }
Tensor exp2(const Tensor& a) { return unary_math(kExp2, a); }
Tensor lgamma(const Tensor& a) { return unary_math(kLgamma, a); }
Tensor digamma(const Tensor& a) { return unary_math(kDigamma, a); }
Tensor polygamma(int64_t n, const Tensor& a) {
  check_polygamma_order(n);
  if (n >= 2) return polygamma_of_order(n, a);
  return unary_math(n == 0 ? kDigamma : kTrigamma, a);
}

Tensor Tensor::erfc() const { return ember::erfc(*this); }
Tensor Tensor::erfinv() const { return ember::erfinv(*this); }
Tensor Tensor::asinh() const { return ember::asinh(*this); }
Tensor Tensor::acosh() const { return ember::acosh(*this); }
Tensor Tensor::atanh() const { return ember::atanh(*this); }
Tensor Tensor::exp2() const { return ember::exp2(*this); }
Tensor Tensor::lgamma() const { return ember::lgamma(*this); }
Tensor Tensor::digamma() const { return ember::digamma(*this); }
Tensor Tensor::polygamma(int64_t n) const { return ember::polygamma(n, *this); }
Tensor& Tensor::erfc_() { return unary_math_(kErfc, *this); }
Tensor& Tensor::erfinv_() { return unary_math_(kErfinv, *this); }
Tensor& Tensor::asinh_() { return unary_math_(kAsinh, *this); }
Tensor& Tensor::acosh_() { return unary_math_(kAcosh, *this); }
Tensor& Tensor::atanh_() { return unary_math_(kAtanh, *this); }
Tensor& Tensor::exp2_() { return unary_math_(kExp2, *this); }
Tensor& Tensor::lgamma_() { return unary_math_(kLgamma, *this); }
Tensor& Tensor::digamma_() { return unary_math_(kDigamma, *this); }
Tensor& Tensor::polygamma_(int64_t n) {
  check_polygamma_order(n);
  if (n >= 2) return composed_inplace("PolygammaBackward", *this, [&] { return polygamma_of_order(n, *this); });
  return unary_math_(n == 0 ? kDigamma : kTrigamma, *this);
}

// ---------------------------------------------------------------- two inputs
namespace {
// hypot: d/da = g a / out, d/db = g b / out (PyTorch's); s: a, b (out is recomputed, so
// the second derivative sees it depend on a and b).
tensor_list hypot_backward(const tensor_list& g, const tensor_list& s, const std::vector<autograd::InputMeta>& in) {
  const Tensor scale = div(g[0], hypot(s[0], s[1]));
  return tensor_list{needs_grad(in, 0) ? mul(scale, s[0]) : Tensor(), needs_grad(in, 1) ? mul(scale, s[1]) : Tensor()};
}
// copysign: d/da = g copysign(a, b) / a (+-1), 0 where a == 0; nothing reaches b
// (PyTorch's). The ratio is recomputed from a, so its own derivative is 0, as it should be.
template <typename Sign>
Tensor copysign_grad(const Tensor& g, const Tensor& a, const Sign& b) {
  const Tensor zero = eq(a, 0.0);
  return mul(g, where(zero, Scalar(0.0), div(copysign(a, b), where(zero, Scalar(1.0), a))));
}
// logaddexp(2): d/da = g / (1 + base^(b - a)), d/db = g / (1 + base^(a - b)); s: a, b.
template <bool Base2>
tensor_list logaddexp_backward(const tensor_list& g, const tensor_list& s, const std::vector<autograd::InputMeta>& in) {
  auto share = [&](const Tensor& mine, const Tensor& other) {
    const Tensor gap = sub(other, mine);
    return div(g[0], add(Base2 ? exp2(gap) : exp(gap), 1.0));
  };
  return tensor_list{needs_grad(in, 0) ? share(s[0], s[1]) : Tensor(),
                     needs_grad(in, 1) ? share(s[1], s[0]) : Tensor()};
}
}  // namespace

Tensor hypot(const Tensor& a, const Tensor& b) {
  Tensor out = native::hypot(a, b);
  if (will_record_into(out, a, b))
    record("HypotBackward", {&a, &b}, {&out}, {a, b}, hypot_backward)->set_differentiable_backward();
  return out;
}
Tensor copysign(const Tensor& a, const Tensor& b) {
  Tensor out = native::copysign(a, b);
  if (will_record_into(out, a, b))
    record("CopysignBackward", {&a, &b}, {&out}, {a, b},
           [](const tensor_list& g, const tensor_list& s, const auto& in) {
             return tensor_list{needs_grad(in, 0) ? copysign_grad(g[0], s[0], s[1]) : Tensor(),
                                needs_grad(in, 1) ? zeros_like(g[0]) : Tensor()};
           })->set_differentiable_backward();
  return out;
}
Tensor copysign(const Tensor& a, const Scalar& b) {
  Tensor out = native::copysign(a, b);
  if (will_record_into(out, a))
    record("CopysignBackward", {&a}, {&out}, {a}, [b](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{copysign_grad(g[0], s[0], b)};
    })->set_differentiable_backward();
  return out;
}
Tensor logaddexp(const Tensor& a, const Tensor& b) {
  Tensor out = native::logaddexp(a, b);
  if (will_record_into(out, a, b))
    record("LogaddexpBackward", {&a, &b}, {&out}, {a, b}, logaddexp_backward<false>)->set_differentiable_backward();
  return out;
}
Tensor logaddexp2(const Tensor& a, const Tensor& b) {
  Tensor out = native::logaddexp2(a, b);
  if (will_record_into(out, a, b))
    record("Logaddexp2Backward", {&a, &b}, {&out}, {a, b}, logaddexp_backward<true>)->set_differentiable_backward();
  return out;
}

// nextafter has no derivative in PyTorch (derivatives.yaml's not_implemented): the result of
// an input that requires grad records a node whose backward is PyTorch's error.
Tensor nextafter(const Tensor& a, const Tensor& b) {
  Tensor out = native::nextafter(a, b);
  if (will_record_into(out, a, b))
    record("NextafterBackward", {&a, &b}, {&out}, {},
           [](const tensor_list&, const tensor_list&, const auto&) -> tensor_list {
             EMBER_FAIL("the derivative for 'nextafter' is not implemented.");
           });
  return out;
}

Tensor Tensor::hypot(const Tensor& other) const { return ember::hypot(*this, other); }
Tensor Tensor::nextafter(const Tensor& other) const { return ember::nextafter(*this, other); }
Tensor Tensor::copysign(const Tensor& other) const { return ember::copysign(*this, other); }
Tensor Tensor::copysign(const Scalar& other) const { return ember::copysign(*this, other); }
Tensor Tensor::logaddexp(const Tensor& other) const { return ember::logaddexp(*this, other); }
Tensor Tensor::logaddexp2(const Tensor& other) const { return ember::logaddexp2(*this, other); }
// In place: the out-of-place op on self's value written back (its node passes the gradient
// to that result's history, Note [In-place math]).
Tensor& Tensor::hypot_(const Tensor& other) {
  return composed_inplace("HypotBackward", *this,
                          [&] { return ember::hypot(autograd::value_before_write(*this, other), other); });
}
Tensor& Tensor::copysign_(const Tensor& other) {
  return composed_inplace("CopysignBackward", *this,
                          [&] { return ember::copysign(autograd::value_before_write(*this, other), other); });
}
Tensor& Tensor::nextafter_(const Tensor& other) {
  return composed_inplace("NextafterBackward", *this,
                          [&] { return ember::nextafter(autograd::value_before_write(*this, other), other); });
}
Tensor& Tensor::copysign_(const Scalar& other) {
  return composed_inplace("CopysignBackward", *this,
                          [&] { return ember::copysign(autograd::value_before_write(*this), other); });
}

// ---------------------------------------------------------------- composed
namespace {
void check_floating(const char* name, const Tensor& a) {
  EMBER_CHECK(is_floating(a.dtype()), "\"", name, a.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for '",
              dtype_torch_name(a.dtype()), "'");
}
// f of a 16-bit x computed in float32 and rounded once, as PyTorch's kernels (a composition
// run in bf16 rounded after each step: sinc(bf16 -3) was -1.3e-3, not -2.5e-9).
template <typename F>
Tensor rounded_once(const Tensor& x, const F& f) {
  return is_reduced_float(x.dtype()) ? f(x.to(kFloat32)).to(x.dtype()) : f(x);
}
// xlogy and xlog1py: PyTorch's gradients, d/dx = xlogy(g, y) (xlog1py(g, y)) except 0 where
// x == 0 and y <= 0 (y <= -1), d/dy = g x / y (g x / (y + 1)).
template <bool OnePlus>
tensor_list xlog_backward(const tensor_list& g, const tensor_list& s, const std::vector<autograd::InputMeta>& in) {
  const Tensor& x = s[0];
  const Tensor& y = s[1];
  Tensor gx, gy;
  if (needs_grad(in, 0))
    gx = where(bitwise_and(eq(x, 0.0), le(y, OnePlus ? -1.0 : 0.0)), Scalar(0.0),
               OnePlus ? xlog1py(g[0], y) : xlogy(g[0], y));
  if (needs_grad(in, 1)) gy = div(mul(g[0], x), OnePlus ? add(y, 1.0) : y);
  return {gx, gy};
}
// x * log(y) (x * log1p(y)) with PyTorch's binary float op dtype first (a 0-dim operand takes
// part like a scalar), so the composition, which broadcasts, does not promote by a 0-dim y's
// dtype. Where x == 0 (and y is not NaN) the product is 0: log(1) (log1p(0)) stands in
// there. The value only; the gradient is the node's (PyTorch's formula: the composition gave
// no d/dx at x == 0, where PyTorch's is log(y)).
template <bool OnePlus>
Tensor xlog(const Tensor& x_in, const Tensor& y_in) {
  DType dt = native::detail::result_type(x_in, y_in);
  if (!is_floating(dt)) dt = kFloat32;
  const Tensor x = x_in.dtype() == dt ? x_in : x_in.to(dt), y = y_in.dtype() == dt ? y_in : y_in.to(dt);
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor zero_term = bitwise_and(eq(x, 0.0), bitwise_not(isnan(y)));
    const Tensor safe_y = where(zero_term, Scalar(OnePlus ? 0.0 : 1.0), as_floating(y));
    out = where(zero_term, Scalar(0.0), mul(x, OnePlus ? log1p(safe_y) : log(safe_y)));
  }
  if (will_record_into(out, x, y))
    record(OnePlus ? "SpecialXlog1pyBackward" : "XlogyBackward", {&x, &y}, {&out}, {x, y}, xlog_backward<OnePlus>)
        ->set_differentiable_backward();
  return out;
}
// logit: PyTorch's logit_backward. eps: 0 outside [eps, 1 - eps]; none: NaN outside [0, 1] and
// g * inf at 0 and 1; g / (x (1 - x)) elsewhere.
// g times a factor chosen by where, so the gradient with respect to g (a double backward,
// gradgradcheck's grad_outputs) is that factor, as PyTorch's logit_backward: never the 0 * inf
// of a where branch not taken.
Tensor logit_grad(const Tensor& g, const Tensor& x, std::optional<double> eps) {
  const Tensor inner = reciprocal(mul(x, rsub(x, 1.0)));
  if (eps) return mul(g, where(bitwise_or(lt(x, *eps), gt(x, 1.0 - *eps)), Scalar(0.0), inner));
  const Tensor edge = bitwise_or(eq(x, 0.0), eq(x, 1.0));
  const Tensor outside = bitwise_or(lt(x, 0.0), gt(x, 1.0));
  return mul(g, where(outside, Scalar(std::numeric_limits<double>::quiet_NaN()),
                      where(edge, Scalar(std::numeric_limits<double>::infinity()), inner)));
}
}  // namespace

Tensor xlogy(const Tensor& x, const Tensor& y) { return xlog<false>(x, y); }
Tensor xlogy(const Scalar& x, const Tensor& y) {
  return xlogy(scalar_tensor(x, y.options().dtype(x.result_type_with(y.dtype())).requires_grad(false)), y);
}
Tensor xlogy(const Tensor& x, const Scalar& y) {
  return xlogy(x, scalar_tensor(y, x.options().dtype(y.result_type_with(x.dtype())).requires_grad(false)));
}
Tensor xlog1py(const Tensor& x, const Tensor& y) { return xlog<true>(x, y); }
Tensor xlog1py(const Scalar& x, const Tensor& y) {
  return xlog1py(scalar_tensor(x, y.options().dtype(x.result_type_with(y.dtype())).requires_grad(false)), y);
}
Tensor xlog1py(const Tensor& x, const Scalar& y) {
  return xlog1py(x, scalar_tensor(y, x.options().dtype(y.result_type_with(x.dtype())).requires_grad(false)));
}
Tensor frac(const Tensor& a) {
  check_floating("frac", a);
  return sub(a, trunc(a));
}
Tensor logit(const Tensor& a, std::optional<double> eps_given) {
  const Tensor x = as_floating(a);
  const std::optional<double> eps = eps_given && *eps_given >= 0 ? eps_given : std::nullopt;  // < 0: None
  Tensor out;
  {
    NoGradGuard no_grad;  // the value; the gradient is the node's
    out = rounded_once(x, [&](const Tensor& v) {
      const Tensor z = eps ? clamp(v, Scalar(*eps), Scalar(1.0 - *eps)) : v;
      return log(div(z, rsub(z, 1.0)));
    });
  }
  if (will_record_into(out, x))
    record("LogitBackward", {&x}, {&out}, {x}, [eps](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{logit_grad(g[0], s[0], eps)};
    })->set_differentiable_backward();
  return out;
}
Tensor sinc(const Tensor& a) {
  return rounded_once(as_floating(a), [](const Tensor& x) {
    const Tensor zero = eq(x, 0.0);
    const Tensor pix = mul(where(zero, Scalar(1.0), x), std::numbers::pi);
    return where(zero, Scalar(1.0), div(sin(pix), pix));
  });
}
Tensor deg2rad(const Tensor& a) { return mul(as_floating(a), std::numbers::pi / 180.0); }
Tensor rad2deg(const Tensor& a) { return mul(as_floating(a), 180.0 / std::numbers::pi); }

Tensor diff(const Tensor& x, int64_t n, int64_t dim, const std::optional<Tensor>& prepend,
            const std::optional<Tensor>& append) {
  EMBER_CHECK(x.dim() >= 1, "diff expects input to be at least one-dimensional");
  EMBER_CHECK(n >= 0, "order must be non-negative but got ", n);
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  EMBER_CHECK(d >= 0 && d < x.dim(), "Dimension out of range (expected to be in range of [", -x.dim(), ", ",
              x.dim() - 1, "], but got ", dim, ")");
  // PyTorch's diff_check_compatible_shape
  const auto check_compatible = [&](const Tensor& other) {
    EMBER_CHECK(other.dim() == x.dim(), "diff expects prepend or append to be the same dimension as input");
    for (int64_t i = 0; i < x.dim(); ++i)
      EMBER_CHECK(i == d || other.size(i) == x.size(i),
                  "diff expects the shape of tensor to prepend or append to match that of input except along the "
                  "differencing dimension; input.size(", i, ") = ", x.size(i), ", but got tensor.size(", i, ") = ",
                  other.size(i));
  };
  Tensor out = x;
  if (prepend || append) {
    std::vector<Tensor> parts;
    if (prepend) {
      check_compatible(*prepend);
      parts.push_back(*prepend);
    }
    parts.push_back(x);
    if (append) {
      check_compatible(*append);
      parts.push_back(*append);
    }
    out = cat(parts, d);
  }
  // a new tensor, never the input, and n = 0 ignores prepend and append (PyTorch's diff)
  if (n == 0 || (!prepend && !append && x.size(d) == 0)) return x.clone();
  for (int64_t k = 0; k < n && out.size(d) > 0; ++k) {
    const int64_t len = out.size(d);
    const Tensor later = out.narrow(d, 1, len - 1), earlier = out.narrow(d, 0, len - 1);
    out = out.dtype() == kBool ? bitwise_xor(later, earlier) : sub(later, earlier);
  }
  return out;
}

Tensor Tensor::xlogy(const Tensor& other) const { return ember::xlogy(*this, other); }
Tensor Tensor::xlogy(const Scalar& other) const { return ember::xlogy(*this, other); }
Tensor Tensor::frac() const { return ember::frac(*this); }
Tensor Tensor::logit(std::optional<double> eps) const { return ember::logit(*this, eps); }
Tensor Tensor::sinc() const { return ember::sinc(*this); }
Tensor Tensor::deg2rad() const { return ember::deg2rad(*this); }
Tensor Tensor::rad2deg() const { return ember::rad2deg(*this); }
Tensor Tensor::diff(int64_t n, int64_t dim, const std::optional<Tensor>& prepend,
                    const std::optional<Tensor>& append) const {
  return ember::diff(*this, n, dim, prepend, append);
}
Tensor& Tensor::xlogy_(const Tensor& other) {
  return composed_inplace("XlogyBackward", *this,
                          [&] { return ember::xlogy(autograd::value_before_write(*this, other), other); });
}
Tensor& Tensor::xlogy_(const Scalar& other) {
  return composed_inplace("XlogyBackward", *this,
                          [&] { return ember::xlogy(autograd::value_before_write(*this), other); });
}
Tensor& Tensor::frac_() {
  return composed_inplace("FracBackward", *this, [&] { return ember::frac(autograd::value_before_write(*this)); });
}
Tensor& Tensor::logit_(std::optional<double> eps) {
  return composed_inplace("LogitBackward", *this,
                          [&] { return ember::logit(autograd::value_before_write(*this), eps); });
}
Tensor& Tensor::sinc_() {
  return composed_inplace("SincBackward", *this, [&] { return ember::sinc(autograd::value_before_write(*this)); });
}
Tensor& Tensor::deg2rad_() { return composed_inplace("Deg2RadBackward", *this, [&] { return ember::deg2rad(*this); }); }
Tensor& Tensor::rad2deg_() { return composed_inplace("Rad2DegBackward", *this, [&] { return ember::rad2deg(*this); }); }

}  // namespace ember
