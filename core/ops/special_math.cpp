// Native special math: erfc ... trigamma, torch.special's i0 ... log_ndtr, hypot, copysign, logaddexp(2) and
// nextafter, each the device's unary/binary kernel of a core/math_functors.h functor (core/native_special.h);
// nextafter of 16-bit floats steps in float64 with other ops.
#include <cmath>
#include <string>

#include "core/native.h"
#include "core/native_special.h"
#include "core/ops/elementwise_ops.h"

namespace ember::native {
namespace {

using detail::binary_inplace;
using detail::binary_op;
using detail::scalar_inplace;
using detail::scalar_op;
using detail::unary_op;

// hypot and logaddexp have no integer kernels in PyTorch: its dispatch error, named by device.
void check_floating_operands(const char* name, const Tensor& a, const Tensor& b) {
  const DType dt = promote_types(a.dtype(), b.dtype());
  EMBER_CHECK(is_floating(dt), "\"", name, a.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for '",
              dtype_torch_name(dt), "'");
}

// nextafter of float16 / bfloat16, computed in float64 (where every 16-bit value and its
// neighbours are exact; a float32 nextafter would round back to a): |a| moves by one unit in
// the last place of the 16-bit format, 2^(max(e, emin) - p) for 2^e <= |a| (half a unit when
// stepping down from a normal power of two); zero steps to the smallest subnormal of b's sign,
// an infinity to the largest finite value; a == b gives b, NaN stays. The largest finite value
// stepped up rounds to infinity in the cast back.
Tensor nextafter_16bit(const Tensor& a, const Tensor& b) {
  const DType dt = a.dtype();
  const bool half = dt == kFloat16;
  const int64_t digits = half ? 10 : 7, min_exponent = half ? -14 : -126;
  const double largest = half ? 65504.0 : 0x1.fep127;
  const Tensor x = to_dtype(a, kFloat64), y = to_dtype(b, kFloat64);
  const Tensor magnitude = abs(x);
  const Tensor exponent = floor(log2(where(gt(magnitude, Scalar(0)), magnitude, Scalar(1.0))));
  const Tensor ulp = exp2(sub(clamp(exponent, Scalar(min_exponent), std::nullopt), Scalar(digits)));
  const Tensor at_power = bitwise_and(eq(magnitude, exp2(exponent)), gt(exponent, Scalar(min_exponent)));
  const Tensor away = eq(gt(y, x), gt(x, Scalar(0)));
  Tensor r = where(away, add(magnitude, ulp), sub(magnitude, where(at_power, mul(ulp, Scalar(0.5)), ulp)));
  r = copysign(where(isinf(x), Scalar(largest), r), x);
  const Tensor smallest = add(mul(x, Scalar(0)), Scalar(std::ldexp(1.0, static_cast<int>(min_exponent - digits))));
  r = where(eq(x, Scalar(0)), copysign(smallest, y), r);
  r = where(eq(x, y), y, r);
  r = where(bitwise_or(isnan(x), isnan(y)), add(x, y), r);
  return to_dtype(r, dt);
}

}  // namespace

Tensor erfc(const Tensor& a) { return unary_op(UnaryOp::Erfc, a); }
Tensor erfinv(const Tensor& a) { return unary_op(UnaryOp::Erfinv, a); }
Tensor asinh(const Tensor& a) { return unary_op(UnaryOp::Asinh, a); }
Tensor acosh(const Tensor& a) { return unary_op(UnaryOp::Acosh, a); }
Tensor atanh(const Tensor& a) { return unary_op(UnaryOp::Atanh, a); }
Tensor exp2(const Tensor& a) { return unary_op(UnaryOp::Exp2, a); }
Tensor lgamma(const Tensor& a) { return unary_op(UnaryOp::Lgamma, a); }
Tensor digamma(const Tensor& a) { return unary_op(UnaryOp::Digamma, a); }
Tensor trigamma(const Tensor& a) { return unary_op(UnaryOp::Trigamma, a); }
Tensor i0(const Tensor& a) { return unary_op(UnaryOp::I0, a); }
Tensor i0e(const Tensor& a) { return unary_op(UnaryOp::I0e, a); }
Tensor i1(const Tensor& a) { return unary_op(UnaryOp::I1, a); }
Tensor i1e(const Tensor& a) { return unary_op(UnaryOp::I1e, a); }
Tensor erfcx(const Tensor& a) { return unary_op(UnaryOp::Erfcx, a); }
Tensor ndtri(const Tensor& a) { return unary_op(UnaryOp::Ndtri, a); }
Tensor log_ndtr(const Tensor& a) { return unary_op(UnaryOp::LogNdtr, a); }

Tensor hypot(const Tensor& a, const Tensor& b) {
  check_floating_operands("hypot", a, b);
  return binary_op(BinaryOp::Hypot, a, b);
}
Tensor copysign(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Copysign, a, b); }
Tensor copysign(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Copysign, a, b, false); }
Tensor logaddexp(const Tensor& a, const Tensor& b) {
  check_floating_operands("logaddexp", a, b);
  return binary_op(BinaryOp::LogAddExp, a, b);
}
Tensor logaddexp2(const Tensor& a, const Tensor& b) {
  check_floating_operands("logaddexp2", a, b);
  return binary_op(BinaryOp::LogAddExp2, a, b);
}

Tensor nextafter(const Tensor& a, const Tensor& b) {
  check_floating_operands("nextafter", a, b);
  const DType dt = detail::result_type(a, b);
  if (is_reduced_float(dt)) return nextafter_16bit(to_dtype(a, dt), to_dtype(b, dt));
  return binary_op(BinaryOp::NextAfter, a, b);
}

void hypot_(const Tensor& self, const Tensor& other) {
  check_floating_operands("hypot", self, other);
  binary_inplace(BinaryOp::Hypot, self, other);
}
void copysign_(const Tensor& self, const Tensor& other) { binary_inplace(BinaryOp::Copysign, self, other); }
void copysign_(const Tensor& self, const Scalar& other) { scalar_inplace(BinaryOp::Copysign, self, other); }
void nextafter_(const Tensor& self, const Tensor& other) {
  check_floating_operands("nextafter", self, other);
  if (is_reduced_float(self.dtype())) {
    copy_(self, nextafter(self, other));
    return;
  }
  binary_inplace(BinaryOp::NextAfter, self, other);
}

}  // namespace ember::native
