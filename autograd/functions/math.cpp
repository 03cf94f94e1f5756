// Differentiable elementwise math (core/ops.h): the natives of core/ops/math.cpp with
// PyTorch's derivative formulas written in recorded ops (so double backward works), the
// NaN/inf predicates, torch.div's rounding modes (floor_divide), nan_to_num / lerp /
// addcmul / addcdiv composed of other ops, and the in-place Tensor methods of them all
// (x.sin_(), x.fmod_(2), x.addcmul_(a, b), ...).
//
// Note [In-place math]
// x.sin_() is recorded as x.add_(y) is (autograd/functions/inplace_record.h: a leaf that
// requires grad is refused in grad mode, the version bumps, a view's base gets
// CopySlices), with one node named and differentiated as the out-of-place op. Where the
// derivative reads the input, x before the write is kept as a copy, as PyTorch does. Where
// it reads the output (tan_, expm1_, rsqrt_, reciprocal_), the same copy is kept and the
// output recomputed from it in backward: saving x itself after the write would tie x's
// history to its own node (on a view, through CopySlices), and PyTorch's saved-output
// bookkeeping is not worth that one case. The ops composed of others (nan_to_num_, lerp_,
// addcmul_, addcdiv_) run out of place on x's current value and write the result back
// (dtype and shape checked as for every in-place op); x's node, named as PyTorch's
// (AddcmulBackward, ...), passes its gradient to that result's history. Where that op's
// derivative reads x (lerp_ by a tensor weight, hypot_, xlogy_, logit_, pow_, ...), it runs
// on a copy of x taken before the write (autograd::value_before_write), which the write
// cannot invalidate.
#include <cmath>
#include <limits>
#include <numbers>

#include "autograd/functions/dtype_limits.h"
#include "autograd/functions/unary_math.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/ops/elementwise_ops.h"

namespace ember {

using autograd::inplace;
using autograd::largest_finite;
using autograd::needs_grad;
using autograd::record;
using autograd::record_unary;
using autograd::tensor_list;
using autograd::will_record_into;

namespace {
// Derivative 0 everywhere (sign and the roundings), as PyTorch's zeros_like(grad).
Tensor zero_grad(const Tensor& g, const Tensor&) { return zeros_like(g); }
}  // namespace

// ---------------------------------------------------------------- one input
namespace {
using autograd::Keeps;
using autograd::unary_math;
using autograd::unary_math_;
using autograd::UnaryMath;
using enum Keeps;
constexpr UnaryMath kSin{"SinBackward", native::sin, UnaryOp::Sin, false, Input,
                         [](const Tensor& g, const Tensor& x) { return mul(g, cos(x)); }};
constexpr UnaryMath kCos{"CosBackward", native::cos, UnaryOp::Cos, false, Input,
                         [](const Tensor& g, const Tensor& x) { return neg(mul(g, sin(x))); }};
constexpr UnaryMath kTan{"TanBackward", native::tan, UnaryOp::Tan, true, Output,
                         [](const Tensor& g, const Tensor& y) { return mul(g, add(mul(y, y), 1.0)); }};  // g (1 + y^2)
constexpr UnaryMath kAsin{"AsinBackward", native::asin, UnaryOp::Asin, true, Input,
                          [](const Tensor& g, const Tensor& x) {
                            return mul(g, rsqrt(rsub(mul(x, x), 1.0)));  // g / sqrt(1 - x^2)
                          }};
constexpr UnaryMath kAcos{"AcosBackward", native::acos, UnaryOp::Acos, true, Input,
                          [](const Tensor& g, const Tensor& x) {
                            return neg(mul(g, rsqrt(rsub(mul(x, x), 1.0))));  // -g / sqrt(1 - x^2)
                          }};
constexpr UnaryMath kAtan{"AtanBackward", native::atan, UnaryOp::Atan, false, Input,
                          [](const Tensor& g, const Tensor& x) {
                            return div(g, add(mul(x, x), 1.0));  // g / (1 + x^2)
                          }};
constexpr UnaryMath kSinh{"SinhBackward", native::sinh, UnaryOp::Sinh, true, Input,
                          [](const Tensor& g, const Tensor& x) { return mul(g, cosh(x)); }};
constexpr UnaryMath kCosh{"CoshBackward", native::cosh, UnaryOp::Cosh, true, Input,
                          [](const Tensor& g, const Tensor& x) { return mul(g, sinh(x)); }};
constexpr UnaryMath kLog1p{"Log1PBackward", native::log1p, UnaryOp::Log1p, true, Input,
                           [](const Tensor& g, const Tensor& x) { return div(g, add(x, 1.0)); }};
constexpr UnaryMath kExpm1{"Expm1Backward", native::expm1, UnaryOp::Expm1, true, Output,
                           [](const Tensor& g, const Tensor& y) { return mul(g, add(y, 1.0)); }};
constexpr UnaryMath kLog2{"Log2Backward", native::log2, UnaryOp::Log2, true, Input,
                          [](const Tensor& g, const Tensor& x) { return div(g, mul(x, std::numbers::ln2)); }};
constexpr UnaryMath kLog10{"Log10Backward", native::log10, UnaryOp::Log10, true, Input,
                           [](const Tensor& g, const Tensor& x) { return div(g, mul(x, std::numbers::ln10)); }};
constexpr UnaryMath kRsqrt{"RsqrtBackward", native::rsqrt, UnaryOp::Rsqrt, true, Output,
                           [](const Tensor& g, const Tensor& y) {
                             return mul(mul(g, mul(y, mul(y, y))), -0.5);  // -g y^3 / 2
                           }};
constexpr UnaryMath kReciprocal{"ReciprocalBackward", native::reciprocal, UnaryOp::Reciprocal, true, Output,
                                [](const Tensor& g, const Tensor& y) { return neg(mul(g, mul(y, y))); }};  // -g y^2
constexpr UnaryMath kErf{"ErfBackward", native::erf, UnaryOp::Erf, false, Input,
                         [](const Tensor& g, const Tensor& x) {  // g 2/sqrt(pi) e^(-x^2)
                           return mul(g, mul(exp(neg(mul(x, x))), 2.0 * std::numbers::inv_sqrtpi));
                         }};
constexpr UnaryMath kSign{"SignBackward", native::sign, UnaryOp::Sign, false, Nothing, zero_grad};
constexpr UnaryMath kFloor{"FloorBackward", native::floor, UnaryOp::Floor, false, Nothing, zero_grad};
constexpr UnaryMath kCeil{"CeilBackward", native::ceil, UnaryOp::Ceil, false, Nothing, zero_grad};
constexpr UnaryMath kRound{"RoundBackward", native::round, UnaryOp::Round, false, Nothing, zero_grad};
constexpr UnaryMath kTrunc{"TruncBackward", native::trunc, UnaryOp::Trunc, false, Nothing, zero_grad};
}  // namespace

Tensor sin(const Tensor& a) { return unary_math(kSin, a); }
Tensor cos(const Tensor& a) { return unary_math(kCos, a); }
Tensor tan(const Tensor& a) { return unary_math(kTan, a); }
Tensor asin(const Tensor& a) { return unary_math(kAsin, a); }
Tensor acos(const Tensor& a) { return unary_math(kAcos, a); }
Tensor atan(const Tensor& a) { return unary_math(kAtan, a); }
Tensor sinh(const Tensor& a) { return unary_math(kSinh, a); }
Tensor cosh(const Tensor& a) { return unary_math(kCosh, a); }
Tensor log1p(const Tensor& a) { return unary_math(kLog1p, a); }
Tensor expm1(const Tensor& a) { return unary_math(kExpm1, a); }
Tensor log2(const Tensor& a) { return unary_math(kLog2, a); }
Tensor log10(const Tensor& a) { return unary_math(kLog10, a); }
Tensor rsqrt(const Tensor& a) { return unary_math(kRsqrt, a); }
Tensor reciprocal(const Tensor& a) { return unary_math(kReciprocal, a); }
Tensor erf(const Tensor& a) { return unary_math(kErf, a); }
Tensor sign(const Tensor& a) { return unary_math(kSign, a); }
Tensor floor(const Tensor& a) { return unary_math(kFloor, a); }
Tensor ceil(const Tensor& a) { return unary_math(kCeil, a); }
Tensor round(const Tensor& a) { return unary_math(kRound, a); }
Tensor trunc(const Tensor& a) { return unary_math(kTrunc, a); }
// PyTorch's round_decimals kernel: nearbyint(x * 10^d) / 10^d (x / 10^-d ... for d < 0) in
// the dtype's compute type, 10^d rounded to it once; the gradient is round's, zero.
Tensor round(const Tensor& a, int64_t decimals) {
  if (decimals == 0) return round(a);
  EMBER_CHECK(is_floating(a.dtype()), "\"round", a.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for '",
              dtype_torch_name(a.dtype()), "'");
  const DType compute = compute_dtype(a.dtype());
  const Tensor x = a.dtype() == compute ? a : a.to(compute);
  const Scalar ten_pow(std::pow(10.0, static_cast<double>(decimals < 0 ? -decimals : decimals)));
  const Tensor out = decimals > 0 ? div(round(mul(x, ten_pow)), ten_pow) : mul(round(div(x, ten_pow)), ten_pow);
  return out.dtype() == a.dtype() ? out : out.to(a.dtype());
}
Tensor Tensor::round(int64_t decimals) const { return ember::round(*this, decimals); }

Tensor& Tensor::sin_() { return unary_math_(kSin, *this); }
Tensor& Tensor::cos_() { return unary_math_(kCos, *this); }
Tensor& Tensor::tan_() { return unary_math_(kTan, *this); }
Tensor& Tensor::asin_() { return unary_math_(kAsin, *this); }
Tensor& Tensor::acos_() { return unary_math_(kAcos, *this); }
Tensor& Tensor::atan_() { return unary_math_(kAtan, *this); }
Tensor& Tensor::sinh_() { return unary_math_(kSinh, *this); }
Tensor& Tensor::cosh_() { return unary_math_(kCosh, *this); }
Tensor& Tensor::log1p_() { return unary_math_(kLog1p, *this); }
Tensor& Tensor::expm1_() { return unary_math_(kExpm1, *this); }
Tensor& Tensor::log2_() { return unary_math_(kLog2, *this); }
Tensor& Tensor::log10_() { return unary_math_(kLog10, *this); }
Tensor& Tensor::rsqrt_() { return unary_math_(kRsqrt, *this); }
Tensor& Tensor::reciprocal_() { return unary_math_(kReciprocal, *this); }
Tensor& Tensor::erf_() { return unary_math_(kErf, *this); }
Tensor& Tensor::sign_() { return unary_math_(kSign, *this); }
Tensor& Tensor::floor_() { return unary_math_(kFloor, *this); }
Tensor& Tensor::ceil_() { return unary_math_(kCeil, *this); }
Tensor& Tensor::round_() { return unary_math_(kRound, *this); }
Tensor& Tensor::round_(int64_t decimals) {
  if (decimals == 0) return round_();
  return autograd::composed_inplace("RoundBackward", *this, [&] { return ember::round(*this, decimals); });
}
Tensor& Tensor::trunc_() { return unary_math_(kTrunc, *this); }

// ---------------------------------------------------------------- two inputs
namespace {
// atan2(a, b): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2); s: a, b.
tensor_list atan2_backward(const tensor_list& g, const tensor_list& s, const std::vector<autograd::InputMeta>& in) {
  const Tensor scale = div(g[0], add(mul(s[0], s[0]), mul(s[1], s[1])));
  return tensor_list{needs_grad(in, 0) ? mul(scale, s[1]) : Tensor(),
                     needs_grad(in, 1) ? neg(mul(scale, s[0])) : Tensor()};
}
}  // namespace

Tensor atan2(const Tensor& a, const Tensor& b) {
  Tensor out = native::atan2(a, b);
  if (will_record_into(out, a, b))
    record("Atan2Backward", {&a, &b}, {&out}, {a, b}, atan2_backward)->set_differentiable_backward();
  return out;
}
Tensor& Tensor::atan2_(const Tensor& other) {
  return inplace("Atan2Backward", *this, &other, [&] { native::atan2_(*this, other); }, atan2_backward,
                 /*save_self_before=*/true, /*save_other=*/true);
}

// fmod(a, b) = a - b * trunc(a / b) and remainder(a, b) = a - b * floor(a / b): d/da = 1,
// d/db = -trunc(a / b) (-floor(a / b)), PyTorch's formulas; a and b are kept when b needs
// its gradient.
namespace {
template <typename Round>
auto modulo_backward(Round round_quotient) {
  return [round_quotient](const tensor_list& g, const tensor_list& s, const std::vector<autograd::InputMeta>& in) {
    return tensor_list{needs_grad(in, 0) ? g[0] : Tensor(),
                       needs_grad(in, 1) ? neg(mul(g[0], round_quotient(s[0], s[1]))) : Tensor()};
  };
}
// PyTorch's quotients: self.div(other, rounding_mode=...), not a rounding of the float quotient
// (remainder(1, 0.1)'s is 9, where floor(1 / 0.1) is 10).
Tensor truncated(const Tensor& a, const Tensor& b) { return div(a, b, "trunc"); }
Tensor floored(const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }
tensor_list pass_through(const tensor_list& g, const tensor_list&, const std::vector<autograd::InputMeta>&) {
  return g;
}

template <typename Round>
Tensor record_modulo(const char* name, const Tensor& a, const Tensor& b, Tensor out, Round round_quotient) {
  if (will_record_into(out, a, b)) {
    record(name, {&a, &b}, {&out}, {b.requires_grad() ? a : Tensor(), b.requires_grad() ? b : Tensor()},
           modulo_backward(round_quotient))
        ->set_differentiable_backward();
  }
  return out;
}
template <typename Round>
Tensor& record_modulo_(const char* name, Tensor& self, const Tensor& b, void (*write)(const Tensor&, const Tensor&),
                       Round round_quotient) {
  return inplace(name, self, &b, [&] { write(self, b); }, modulo_backward(round_quotient),
                 /*save_self_before=*/b.requires_grad(), /*save_other=*/b.requires_grad());
}
Tensor record_modulo_scalar(const char* name, const Tensor& a, Tensor out) {
  if (will_record_into(out, a)) record(name, {&a}, {&out}, {}, pass_through)->set_differentiable_backward();
  return out;
}
}  // namespace

Tensor fmod(const Tensor& a, const Tensor& b) {
  return record_modulo("FmodBackward", a, b, native::fmod(a, b), truncated);
}
Tensor fmod(const Tensor& a, const Scalar& b) { return record_modulo_scalar("FmodBackward", a, native::fmod(a, b)); }
Tensor remainder(const Tensor& a, const Tensor& b) {
  return record_modulo("RemainderBackward", a, b, native::remainder(a, b), floored);
}
Tensor remainder(const Tensor& a, const Scalar& b) {
  return record_modulo_scalar("RemainderBackward", a, native::remainder(a, b));
}
// s - a * floor(s / a): d/da = -floor(s / a).
Tensor remainder(const Scalar& a, const Tensor& b) {
  Tensor out = native::remainder(a, b);
  if (will_record_into(out, b))
    record("RemainderBackward", {&b}, {&out}, {b}, [a](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{neg(mul(g[0], div(full_like(s[0], a), s[0], "floor")))};
    })->set_differentiable_backward();
  return out;
}

Tensor& Tensor::fmod_(const Tensor& other) {
  return record_modulo_("FmodBackward", *this, other, native::fmod_, truncated);
}
Tensor& Tensor::fmod_(const Scalar& other) {
  return inplace("FmodBackward", *this, nullptr, [&] { native::fmod_(*this, other); }, pass_through);
}
Tensor& Tensor::remainder_(const Tensor& other) {
  return record_modulo_("RemainderBackward", *this, other, native::remainder_, floored);
}
Tensor& Tensor::remainder_(const Scalar& other) {
  return inplace("RemainderBackward", *this, nullptr, [&] { native::remainder_(*this, other); }, pass_through);
}

// torch.div with a rounding mode: a step function of a and b, so both gradients are zero,
// as PyTorch's DivBackward (recorded, so a backward through it reaches the inputs).
namespace {
tensor_list zero_quotient_grads(const tensor_list& g, const tensor_list&, const std::vector<autograd::InputMeta>& in) {
  tensor_list grads(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    if (needs_grad(in, i)) grads[i] = zeros_like(g[0]);
  return grads;
}
}  // namespace

Tensor div(const Tensor& a, const Tensor& b, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div(a, b);
  Tensor out = native::div_rounded(a, b, *rounding_mode);
  if (will_record_into(out, a, b))
    record("DivBackward", {&a, &b}, {&out}, {}, zero_quotient_grads)->set_differentiable_backward();
  return out;
}
Tensor div(const Tensor& a, const Scalar& b, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div(a, b);
  Tensor out = native::div_rounded(a, b, *rounding_mode);
  if (will_record_into(out, a)) record("DivBackward", {&a}, {&out}, {}, zero_quotient_grads)->set_differentiable_backward();
  return out;
}
Tensor floor_divide(const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }
Tensor floor_divide(const Tensor& a, const Scalar& b) { return div(a, b, "floor"); }
Tensor true_divide(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor true_divide(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor Tensor::div(const Tensor& other, std::optional<std::string_view> rounding_mode) const {
  return ember::div(*this, other, rounding_mode);
}
Tensor Tensor::div(const Scalar& other, std::optional<std::string_view> rounding_mode) const {
  return ember::div(*this, other, rounding_mode);
}
Tensor Tensor::floor_divide(const Tensor& other) const { return ember::floor_divide(*this, other); }
Tensor Tensor::floor_divide(const Scalar& other) const { return ember::floor_divide(*this, other); }
Tensor Tensor::true_divide(const Tensor& other) const { return ember::div(*this, other); }
Tensor& Tensor::div_(const Tensor& other, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div_(other);
  const std::string_view mode = *rounding_mode;
  return inplace("DivBackward", *this, &other, [&] { native::div_rounded_(*this, other, mode); }, zero_quotient_grads);
}
Tensor& Tensor::div_(const Scalar& other, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div_(other);
  const std::string_view mode = *rounding_mode;
  return inplace("DivBackward", *this, nullptr, [&] { native::div_rounded_(*this, other, mode); }, zero_quotient_grads);
}
Tensor& Tensor::floor_divide_(const Tensor& other) { return div_(other, "floor"); }
Tensor& Tensor::floor_divide_(const Scalar& other) { return div_(other, "floor"); }

Tensor isnan(const Tensor& a) { return native::isnan(a); }
Tensor isinf(const Tensor& a) { return native::isinf(a); }
Tensor isposinf(const Tensor& a) { return native::isposinf(a); }
Tensor isneginf(const Tensor& a) { return native::isneginf(a); }
Tensor isfinite(const Tensor& a) { return native::isfinite(a); }

// ---------------------------------------------------------------- composed
Tensor nan_to_num(const Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (!is_floating(a.dtype())) return a.clone();  // nothing to replace, as PyTorch
  const double big = largest_finite(a.dtype());
  // Each replacement converted to a's dtype unchecked, as PyTorch's static_cast: a float16
  // posinf of 1e5 is inf there, not an overflow error.
  const auto in_dtype = [&](double v) {
    return Scalar(native::to_dtype(full({}, v, TensorOptions(kFloat64)), a.dtype()).item<double>());
  };
  Tensor out = where(isnan(a), in_dtype(nan.value_or(0.0)), a);
  out = where(isposinf(a), in_dtype(posinf.value_or(big)), out);
  return where(isneginf(a), in_dtype(neginf.value_or(-big)), out);
}

// PyTorch's lerp checks: floating tensors of one dtype (its kernel has no integer or mixed form).
static void check_lerp(const Tensor& a, const Tensor& b, const Tensor* weight) {
  EMBER_CHECK(a.dtype() == b.dtype(), "expected dtype ", dtype_torch_name(a.dtype()), " for `end` but got dtype ",
              dtype_torch_name(b.dtype()));
  EMBER_CHECK(weight == nullptr || weight->dtype() == a.dtype(), "expected dtype ", dtype_torch_name(a.dtype()),
              " for `weight` but got dtype ", weight != nullptr ? dtype_torch_name(weight->dtype()) : "");
  EMBER_CHECK(is_floating(a.dtype()), "\"lerp_kernel_scalar\" not implemented for '", dtype_torch_name(a.dtype()),
              "'");
}

// PyTorch's two-sided form keeps lerp(a, b, 1) == b exactly.
Tensor lerp(const Tensor& a, const Tensor& b, const Scalar& weight) {
  check_lerp(a, b, nullptr);
  const double w = weight.to_double();
  const Tensor d = sub(b, a);
  return std::abs(w) < 0.5 ? add(a, mul(d, weight)) : sub(b, mul(d, 1.0 - w));
}
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight) {
  check_lerp(a, b, &weight);
  const Tensor d = sub(b, a);
  return where(lt(abs(weight), 0.5), add(a, mul(d, weight)), sub(b, mul(d, rsub(weight, 1.0))));
}

namespace {
// t + value * (a op b) with PyTorch's dtype rules for addcmul / addcdiv: one result_type of
// all three operands (a 0-dim one promotes only across categories), and a 16-bit result
// computed in float32 and rounded once, as their CPU kernels.
Tensor add_product(const Tensor& t, const Tensor& a, const Tensor& b, const Scalar& value, bool divide) {
  const DType dtype = native::detail::result_type(std::vector<Tensor>{t, a, b});
  const DType compute = compute_dtype(dtype);
  const auto in = [compute](const Tensor& x) { return x.dtype() == compute ? x : x.to(compute); };
  const Tensor product = divide ? div(in(a), in(b)) : mul(in(a), in(b));
  // An integer addcmul takes value as its dtype does (0.5 truncates to 0), as PyTorch's
  // kernel's value.to<scalar_t>(); add's alpha check would name an argument never passed.
  const Scalar scale = !divide && !is_floating(compute) && value.is_floating()
                           ? Scalar(static_cast<int64_t>(std::trunc(value.to_double())))
                           : value;
  const Tensor sum = add(in(t), product, scale);
  return sum.dtype() == dtype ? sum : sum.to(dtype);
}
}  // namespace

Tensor addcmul(const Tensor& t, const Tensor& a, const Tensor& b, const Scalar& value) {
  return add_product(t, a, b, value, /*divide=*/false);
}
Tensor addcdiv(const Tensor& t, const Tensor& a, const Tensor& b, const Scalar& value) {
  EMBER_CHECK(is_floating(a.dtype()) || is_floating(b.dtype()),
              "Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform a "
              "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
              "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
              "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
              "(input + value * tensor1 / tensor2), for all dtypes.");
  return add_product(t, a, b, value, /*divide=*/true);
}

using autograd::composed_inplace;

Tensor& Tensor::nan_to_num_(std::optional<double> nan, std::optional<double> posinf, std::optional<double> neginf) {
  return composed_inplace("NanToNumBackward", *this, [&] { return ember::nan_to_num(*this, nan, posinf, neginf); });
}
Tensor& Tensor::lerp_(const Tensor& end, const Scalar& weight) {
  return composed_inplace("LerpBackward", *this, [&] { return ember::lerp(*this, end, weight); });
}
Tensor& Tensor::lerp_(const Tensor& end, const Tensor& weight) {
  return composed_inplace("LerpBackward", *this,
                          [&] { return ember::lerp(autograd::value_before_write(*this, end, weight), end, weight); });
}
Tensor& Tensor::addcmul_(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value) {
  return composed_inplace("AddcmulBackward", *this, [&] { return ember::addcmul(*this, tensor1, tensor2, value); });
}
Tensor& Tensor::addcdiv_(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value) {
  return composed_inplace("AddcdivBackward", *this, [&] { return ember::addcdiv(*this, tensor1, tensor2, value); });
}

}  // namespace ember
