// Native special math: erfc ... trigamma, torch.special's i0 ... log_ndtr, hypot, copysign and logaddexp(2), each the
// device's unary/binary kernel of a core/math_functors.h functor (core/native_special.h).
#include <string>

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

void hypot_(const Tensor& self, const Tensor& other) {
  check_floating_operands("hypot", self, other);
  binary_inplace(BinaryOp::Hypot, self, other);
}
void copysign_(const Tensor& self, const Tensor& other) { binary_inplace(BinaryOp::Copysign, self, other); }
void copysign_(const Tensor& self, const Scalar& other) { scalar_inplace(BinaryOp::Copysign, self, other); }

}  // namespace ember::native
