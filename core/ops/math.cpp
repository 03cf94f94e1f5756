// Native elementwise math: sin ... erf, sign, the roundings, atan2, fmod, remainder, the
// rounded quotients (torch.div's rounding_mode)
// (kernels of core/math_functors.h through the device's unary/binary tables), out of place
// and in place, and the NaN/inf predicates composed of comparisons.
#include <limits>

#include "core/factories.h"
#include "core/native.h"
#include "core/ops/elementwise_ops.h"

namespace ember::native {
namespace {

using detail::binary_inplace;
using detail::binary_op;
using detail::scalar_inplace;
using detail::scalar_op;
using detail::unary_op;

bool integral(DType dt) { return !is_floating(dt) && dt != kBool; }

// An integer divisor of 0 is PyTorch's ZeroDivisionError (floating ones give NaN). The
// divisor is checked as the kernel sees it, in the dtype it computes in: 256 is 0 as uint8.
// An empty result divides nothing, so raises nothing (PyTorch checks inside its kernel).
void check_divisor(const Tensor& a, const Tensor& b) {
  const DType dt = detail::result_type(a, b);
  if (!integral(dt) || shape_numel(broadcast_shapes(a.sizes(), b.sizes())) == 0) return;
  EMBER_CHECK(!any(eq(b.to(dt), Scalar(int64_t{0}))).item<bool>(), "ZeroDivisionError");
}
void check_divisor(const Tensor& a, const Scalar& b) {
  const DType dt = b.result_type_with(a.dtype());
  if (!integral(dt) || a.numel() == 0) return;
  const bool zero = dt == kUInt8 ? b.to<uint8_t>() == 0 : b.to<int64_t>() == 0;
  EMBER_CHECK(!zero, "ZeroDivisionError");
}
void check_not_bool(const char* name, DType dt) {
  EMBER_CHECK(dt != kBool, "\"", name, "\" not implemented for 'Bool'");
}
// fmod's, remainder's and the rounded quotients' checks, out of place and in place.
void check_modulo(const char* name, const Tensor& a, const Tensor& b) {
  check_not_bool(name, detail::result_type(a, b));
  check_divisor(a, b);
}
void check_modulo(const char* name, const Tensor& a, const Scalar& b) {
  check_not_bool(name, b.result_type_with(a.dtype()));
  check_divisor(a, b);
}

}  // namespace

Tensor sin(const Tensor& a) { return unary_op(UnaryOp::Sin, a); }
Tensor cos(const Tensor& a) { return unary_op(UnaryOp::Cos, a); }
Tensor tan(const Tensor& a) { return unary_op(UnaryOp::Tan, a); }
Tensor asin(const Tensor& a) { return unary_op(UnaryOp::Asin, a); }
Tensor acos(const Tensor& a) { return unary_op(UnaryOp::Acos, a); }
Tensor atan(const Tensor& a) { return unary_op(UnaryOp::Atan, a); }
Tensor sinh(const Tensor& a) { return unary_op(UnaryOp::Sinh, a); }
Tensor cosh(const Tensor& a) { return unary_op(UnaryOp::Cosh, a); }
Tensor log1p(const Tensor& a) { return unary_op(UnaryOp::Log1p, a); }
Tensor expm1(const Tensor& a) { return unary_op(UnaryOp::Expm1, a); }
Tensor log2(const Tensor& a) { return unary_op(UnaryOp::Log2, a); }
Tensor log10(const Tensor& a) { return unary_op(UnaryOp::Log10, a); }
Tensor rsqrt(const Tensor& a) { return unary_op(UnaryOp::Rsqrt, a); }
Tensor reciprocal(const Tensor& a) { return unary_op(UnaryOp::Reciprocal, a); }
Tensor erf(const Tensor& a) { return unary_op(UnaryOp::Erf, a); }
Tensor sign(const Tensor& a) { return unary_op(UnaryOp::Sign, a); }
Tensor floor(const Tensor& a) { return unary_op(UnaryOp::Floor, a); }
Tensor ceil(const Tensor& a) { return unary_op(UnaryOp::Ceil, a); }
Tensor round(const Tensor& a) { return unary_op(UnaryOp::Round, a); }
Tensor trunc(const Tensor& a) { return unary_op(UnaryOp::Trunc, a); }

Tensor atan2(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Atan2, a, b); }

Tensor fmod(const Tensor& a, const Tensor& b) {
  check_modulo("fmod", a, b);
  return binary_op(BinaryOp::Fmod, a, b);
}
Tensor fmod(const Tensor& a, const Scalar& b) {
  check_modulo("fmod", a, b);
  return scalar_op(BinaryOp::Fmod, a, b, false);
}
Tensor remainder(const Tensor& a, const Tensor& b) {
  check_modulo("remainder", a, b);
  return binary_op(BinaryOp::Remainder, a, b);
}
Tensor remainder(const Tensor& a, const Scalar& b) {
  check_modulo("remainder", a, b);
  return scalar_op(BinaryOp::Remainder, a, b, false);
}
Tensor remainder(const Scalar& a, const Tensor& b) {
  const DType dt = a.result_type_with(b.dtype());
  check_not_bool("remainder", dt);
  if (integral(dt) && b.numel() > 0)
    EMBER_CHECK(!any(eq(b, Scalar(int64_t{0}))).item<bool>(), "ZeroDivisionError");
  return scalar_op(BinaryOp::Remainder, b, a, true);
}

// torch.div's rounding modes, checked as fmod (bool refused, an integer divisor of 0 is
// ZeroDivisionError); an unknown mode is PyTorch's message.
BinaryOp rounding_op(std::string_view rounding_mode) {
  if (rounding_mode == "floor") return BinaryOp::DivFloor;
  if (rounding_mode == "trunc") return BinaryOp::DivTrunc;
  EMBER_FAIL("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", rounding_mode, "'");
}
Tensor div_rounded(const Tensor& a, const Tensor& b, std::string_view rounding_mode) {
  const BinaryOp op = rounding_op(rounding_mode);
  check_modulo(op_name(op), a, b);
  return binary_op(op, a, b);
}
Tensor div_rounded(const Tensor& a, const Scalar& b, std::string_view rounding_mode) {
  const BinaryOp op = rounding_op(rounding_mode);
  check_modulo(op_name(op), a, b);
  return scalar_op(op, a, b, false);
}
void div_rounded_(const Tensor& self, const Tensor& other, std::string_view rounding_mode) {
  const BinaryOp op = rounding_op(rounding_mode);
  check_modulo(op_name(op), self, other);
  binary_inplace(op, self, other);
}
void div_rounded_(const Tensor& self, const Scalar& other, std::string_view rounding_mode) {
  const BinaryOp op = rounding_op(rounding_mode);
  check_modulo(op_name(op), self, other);
  scalar_inplace(op, self, other);
}

// In place: the same checks, then self's kernel (unary_inplace refuses a float result
// into an integer self, as PyTorch).
void math_(UnaryOp op, const Tensor& self) {
  const bool basic = op == UnaryOp::Exp || op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Abs ||
                     op == UnaryOp::Sigmoid || op == UnaryOp::Tanh;  // exp_ ... tanh_ (Note [PyTorch spellings])
  EMBER_CHECK(basic || is_floating_math(op) || is_rounding(op) || op == UnaryOp::Sign, "math_: ", op_name(op),
              " is not one of the math ops");
  detail::unary_inplace(op, self, detail::unary_result_dtype(op, self.dtype()));
}
void atan2_(const Tensor& self, const Tensor& other) { binary_inplace(BinaryOp::Atan2, self, other); }
void fmod_(const Tensor& self, const Tensor& other) {
  check_modulo("fmod", self, other);
  binary_inplace(BinaryOp::Fmod, self, other);
}
void fmod_(const Tensor& self, const Scalar& other) {
  check_modulo("fmod", self, other);
  scalar_inplace(BinaryOp::Fmod, self, other);
}
void remainder_(const Tensor& self, const Tensor& other) {
  check_modulo("remainder", self, other);
  binary_inplace(BinaryOp::Remainder, self, other);
}
void remainder_(const Tensor& self, const Scalar& other) {
  check_modulo("remainder", self, other);
  scalar_inplace(BinaryOp::Remainder, self, other);
}

// Integers and bools are never NaN or infinite (PyTorch's answers for them too).
Tensor isnan(const Tensor& a) { return is_floating(a.dtype()) ? ne(a, a) : zeros(a.sizes(), a.options().dtype(kBool)); }
Tensor isposinf(const Tensor& a) {
  return is_floating(a.dtype()) ? eq(a, Scalar(std::numeric_limits<double>::infinity()))
                                : zeros(a.sizes(), a.options().dtype(kBool));
}
Tensor isneginf(const Tensor& a) {
  return is_floating(a.dtype()) ? eq(a, Scalar(-std::numeric_limits<double>::infinity()))
                                : zeros(a.sizes(), a.options().dtype(kBool));
}
Tensor isinf(const Tensor& a) {
  return is_floating(a.dtype()) ? eq(abs(a), Scalar(std::numeric_limits<double>::infinity()))
                                : zeros(a.sizes(), a.options().dtype(kBool));
}
// x - x is 0 exactly when x is finite (NaN for NaN and both infinities).
Tensor isfinite(const Tensor& a) {
  return is_floating(a.dtype()) ? eq(sub(a, a), Scalar(0.0)) : ones(a.sizes(), a.options().dtype(kBool));
}

}  // namespace ember::native
