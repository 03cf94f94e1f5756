// Differentiable elementwise math (core/ops.h): the natives of core/ops/math.cpp with
// PyTorch's derivative formulas written in recorded ops (so double backward works), the
// NaN/inf predicates, and nan_to_num / lerp / addcmul / addcdiv composed of other ops.
#include <cmath>
#include <limits>
#include <numbers>

#include "autograd/functions/unary_record.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::needs_grad;
using autograd::record;
using autograd::record_unary;
using autograd::tensor_list;
using autograd::will_record_into;

namespace {
// Ops autocast runs in float32 (PyTorch's CUDA fp32 list: acos, asin, cosh, sinh, tan,
// expm1, log1p, log2, log10, reciprocal, rsqrt, ...); the others keep their input's dtype.
Tensor in_float32(const Tensor& a) { return autocast::cast(autocast::CastPolicy::Float32, a); }
// Derivative 0 everywhere (sign and the roundings), as PyTorch's zeros_like(grad).
Tensor zero_grad(const Tensor& g, const Tensor&) { return zeros_like(g); }
}  // namespace

Tensor sin(const Tensor& a) {
  return record_unary("SinBackward", a, native::sin(a), false,
                      [](const Tensor& g, const Tensor& x) { return mul(g, cos(x)); });
}
Tensor cos(const Tensor& a) {
  return record_unary("CosBackward", a, native::cos(a), false,
                      [](const Tensor& g, const Tensor& x) { return neg(mul(g, sin(x))); });
}
Tensor tan(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("TanBackward", a, native::tan(a), true,
                      [](const Tensor& g, const Tensor& y) { return mul(g, add(mul(y, y), 1.0)); });  // g (1 + y^2)
}
Tensor asin(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("AsinBackward", a, native::asin(a), false, [](const Tensor& g, const Tensor& x) {
    return mul(g, rsqrt(rsub(mul(x, x), 1.0)));  // g / sqrt(1 - x^2)
  });
}
Tensor acos(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("AcosBackward", a, native::acos(a), false, [](const Tensor& g, const Tensor& x) {
    return neg(mul(g, rsqrt(rsub(mul(x, x), 1.0))));  // -g / sqrt(1 - x^2)
  });
}
Tensor atan(const Tensor& a) {
  return record_unary("AtanBackward", a, native::atan(a), false,
                      [](const Tensor& g, const Tensor& x) { return div(g, add(mul(x, x), 1.0)); });  // g / (1 + x^2)
}
Tensor sinh(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("SinhBackward", a, native::sinh(a), false,
                      [](const Tensor& g, const Tensor& x) { return mul(g, cosh(x)); });
}
Tensor cosh(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("CoshBackward", a, native::cosh(a), false,
                      [](const Tensor& g, const Tensor& x) { return mul(g, sinh(x)); });
}
Tensor log1p(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("Log1PBackward", a, native::log1p(a), false,
                      [](const Tensor& g, const Tensor& x) { return div(g, add(x, 1.0)); });
}
Tensor expm1(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("Expm1Backward", a, native::expm1(a), true,
                      [](const Tensor& g, const Tensor& y) { return mul(g, add(y, 1.0)); });
}
Tensor log2(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("Log2Backward", a, native::log2(a), false,
                      [](const Tensor& g, const Tensor& x) { return div(g, mul(x, std::numbers::ln2)); });
}
Tensor log10(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("Log10Backward", a, native::log10(a), false,
                      [](const Tensor& g, const Tensor& x) { return div(g, mul(x, std::numbers::ln10)); });
}
Tensor rsqrt(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("RsqrtBackward", a, native::rsqrt(a), true, [](const Tensor& g, const Tensor& y) {
    return mul(mul(g, mul(y, mul(y, y))), -0.5);  // -g y^3 / 2
  });
}
Tensor reciprocal(const Tensor& a_in) {
  const Tensor a = in_float32(a_in);
  return record_unary("ReciprocalBackward", a, native::reciprocal(a), true,
                      [](const Tensor& g, const Tensor& y) { return neg(mul(g, mul(y, y))); });  // -g y^2
}
Tensor erf(const Tensor& a) {
  return record_unary("ErfBackward", a, native::erf(a), false, [](const Tensor& g, const Tensor& x) {
    return mul(g, mul(exp(neg(mul(x, x))), 2.0 * std::numbers::inv_sqrtpi));  // g 2/sqrt(pi) e^(-x^2)
  });
}
Tensor sign(const Tensor& a) { return record_unary("SignBackward", a, native::sign(a), false, zero_grad); }
Tensor floor(const Tensor& a) { return record_unary("FloorBackward", a, native::floor(a), false, zero_grad); }
Tensor ceil(const Tensor& a) { return record_unary("CeilBackward", a, native::ceil(a), false, zero_grad); }
Tensor round(const Tensor& a) { return record_unary("RoundBackward", a, native::round(a), false, zero_grad); }
Tensor trunc(const Tensor& a) { return record_unary("TruncBackward", a, native::trunc(a), false, zero_grad); }

// d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2).
Tensor atan2(const Tensor& a, const Tensor& b) {
  Tensor out = native::atan2(a, b);
  if (will_record_into(out, a, b)) {
    record("Atan2Backward", {&a, &b}, {&out}, {a, b}, [](const tensor_list& g, const tensor_list& s, const auto& in) {
      const Tensor scale = div(g[0], add(mul(s[0], s[0]), mul(s[1], s[1])));
      return tensor_list{needs_grad(in, 0) ? mul(scale, s[1]) : Tensor(),
                         needs_grad(in, 1) ? neg(mul(scale, s[0])) : Tensor()};
    })->set_differentiable_backward();
  }
  return out;
}

// fmod(a, b) = a - b * trunc(a / b) and remainder(a, b) = a - b * floor(a / b): d/da = 1,
// d/db = -trunc(a / b) (-floor(a / b)), PyTorch's formulas.
namespace {
template <typename Round>
Tensor record_modulo(const char* name, const Tensor& a, const Tensor& b, Tensor out, Round round_quotient) {
  if (will_record_into(out, a, b)) {
    record(name, {&a, &b}, {&out}, {b.requires_grad() ? a : Tensor(), b.requires_grad() ? b : Tensor()},
           [round_quotient](const tensor_list& g, const tensor_list& s, const auto& in) {
             return tensor_list{needs_grad(in, 0) ? g[0] : Tensor(),
                                needs_grad(in, 1) ? neg(mul(g[0], round_quotient(div(s[0], s[1])))) : Tensor()};
           })->set_differentiable_backward();
  }
  return out;
}
Tensor record_modulo_scalar(const char* name, const Tensor& a, Tensor out) {
  if (will_record_into(out, a))
    record(name, {&a}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto&) {
      return g;
    })->set_differentiable_backward();
  return out;
}
}  // namespace

Tensor fmod(const Tensor& a, const Tensor& b) {
  return record_modulo("FmodBackward", a, b, native::fmod(a, b), [](const Tensor& q) { return trunc(q); });
}
Tensor fmod(const Tensor& a, const Scalar& b) { return record_modulo_scalar("FmodBackward", a, native::fmod(a, b)); }
Tensor remainder(const Tensor& a, const Tensor& b) {
  return record_modulo("RemainderBackward", a, b, native::remainder(a, b), [](const Tensor& q) { return floor(q); });
}
Tensor remainder(const Tensor& a, const Scalar& b) {
  return record_modulo_scalar("RemainderBackward", a, native::remainder(a, b));
}
// s - a * floor(s / a): d/da = -floor(s / a).
Tensor remainder(const Scalar& a, const Tensor& b) {
  Tensor out = native::remainder(a, b);
  if (will_record_into(out, b))
    record("RemainderBackward", {&b}, {&out}, {b}, [a](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{neg(mul(g[0], floor(rdiv(s[0], a))))};
    })->set_differentiable_backward();
  return out;
}

Tensor isnan(const Tensor& a) { return native::isnan(a); }
Tensor isinf(const Tensor& a) { return native::isinf(a); }
Tensor isposinf(const Tensor& a) { return native::isposinf(a); }
Tensor isneginf(const Tensor& a) { return native::isneginf(a); }
Tensor isfinite(const Tensor& a) { return native::isfinite(a); }

// ---------------------------------------------------------------- composed
namespace {
// torch.finfo(dtype).max of a floating dtype.
double largest_finite(DType dt) {
  if (dt == kFloat64) return std::numeric_limits<double>::max();
  if (dt == kBFloat16) return 3.3895313892515355e38;  // (2 - 2^-7) * 2^127
  return std::numeric_limits<float>::max();
}
}  // namespace

Tensor nan_to_num(const Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (!is_floating(a.dtype())) return a.clone();  // nothing to replace, as PyTorch
  const double big = largest_finite(a.dtype());
  Tensor out = where(isnan(a), Scalar(nan.value_or(0.0)), a);
  out = where(isposinf(a), Scalar(posinf.value_or(big)), out);
  return where(isneginf(a), Scalar(neginf.value_or(-big)), out);
}

// PyTorch's two-sided form keeps lerp(a, b, 1) == b exactly.
Tensor lerp(const Tensor& a, const Tensor& b, const Scalar& weight) {
  const double w = weight.to_double();
  const Tensor d = sub(b, a);
  return std::abs(w) < 0.5 ? add(a, mul(d, weight)) : sub(b, mul(d, 1.0 - w));
}
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight) {
  const Tensor d = sub(b, a);
  return where(lt(abs(weight), 0.5), add(a, mul(d, weight)), sub(b, mul(d, rsub(weight, 1.0))));
}

Tensor addcmul(const Tensor& t, const Tensor& a, const Tensor& b, const Scalar& value) {
  return add(t, mul(a, b), value);
}
Tensor addcdiv(const Tensor& t, const Tensor& a, const Tensor& b, const Scalar& value) {
  return add(t, div(a, b), value);
}

}  // namespace ember
