// all/any, the bitwise ops and operators of integer and bool tensors (~ & | ^ << >>, in
// place too), gcd / lcm and masked_fill. all, any, the bitwise ops, gcd and lcm give bool
// or integer results and are never recorded; masked_fill is where(mask, value, self), so its gradient is where's.
#include "autograd/record.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

Tensor all(const Tensor& a) { return native::all(a); }
Tensor all(const Tensor& a, int64_t dim, bool keepdim) { return native::all(a, dim, keepdim); }
Tensor any(const Tensor& a) { return native::any(a); }
Tensor any(const Tensor& a, int64_t dim, bool keepdim) { return native::any(a, dim, keepdim); }
Tensor Tensor::all() const { return ember::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return ember::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return ember::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return ember::any(*this, dim, keepdim); }
Tensor all(const Tensor& a, const Dims& dims, bool keepdim) { return native::all(a, dims, keepdim); }
Tensor any(const Tensor& a, const Dims& dims, bool keepdim) { return native::any(a, dims, keepdim); }
Tensor Tensor::all(const Dims& dims, bool keepdim) const { return ember::all(*this, dims, keepdim); }
Tensor Tensor::any(const Dims& dims, bool keepdim) const { return ember::any(*this, dims, keepdim); }

Tensor bitwise_not(const Tensor& a) { return native::bitwise_not(a); }
Tensor bitwise_and(const Tensor& a, const Tensor& b) { return native::bitwise_and(a, b); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return native::bitwise_or(a, b); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return native::bitwise_xor(a, b); }
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b) { return native::bitwise_left_shift(a, b); }
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b) { return native::bitwise_right_shift(a, b); }
Tensor gcd(const Tensor& a, const Tensor& b) { return native::gcd(a, b); }
Tensor lcm(const Tensor& a, const Tensor& b) { return native::lcm(a, b); }
Tensor Tensor::gcd(const Tensor& other) const { return native::gcd(*this, other); }
Tensor Tensor::lcm(const Tensor& other) const { return native::lcm(*this, other); }
Tensor bitwise_and(const Tensor& a, const Scalar& b) { return native::bitwise_op(BinaryOp::BitAnd, a, b); }
Tensor bitwise_or(const Tensor& a, const Scalar& b) { return native::bitwise_op(BinaryOp::BitOr, a, b); }
Tensor bitwise_xor(const Tensor& a, const Scalar& b) { return native::bitwise_op(BinaryOp::BitXor, a, b); }
Tensor bitwise_left_shift(const Tensor& a, const Scalar& b) { return native::bitwise_op(BinaryOp::LShift, a, b); }
Tensor bitwise_right_shift(const Tensor& a, const Scalar& b) { return native::bitwise_op(BinaryOp::RShift, a, b); }
Tensor bitwise_left_shift(const Scalar& a, const Tensor& b) {
  return native::bitwise_op(BinaryOp::LShift, b, a, /*scalar_first=*/true);
}
Tensor bitwise_right_shift(const Scalar& a, const Tensor& b) {
  return native::bitwise_op(BinaryOp::RShift, b, a, /*scalar_first=*/true);
}
Tensor operator~(const Tensor& a) { return bitwise_not(a); }
Tensor operator&(const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }
Tensor operator|(const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }
Tensor operator^(const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }
Tensor operator<<(const Tensor& a, const Tensor& b) { return bitwise_left_shift(a, b); }
Tensor operator>>(const Tensor& a, const Tensor& b) { return bitwise_right_shift(a, b); }
Tensor operator&(const Tensor& a, const Scalar& b) { return bitwise_and(a, b); }
Tensor operator|(const Tensor& a, const Scalar& b) { return bitwise_or(a, b); }
Tensor operator^(const Tensor& a, const Scalar& b) { return bitwise_xor(a, b); }
Tensor operator<<(const Tensor& a, const Scalar& b) { return bitwise_left_shift(a, b); }
Tensor operator>>(const Tensor& a, const Scalar& b) { return bitwise_right_shift(a, b); }

Tensor Tensor::bitwise_not() const { return ember::bitwise_not(*this); }
Tensor Tensor::bitwise_and(const Tensor& other) const { return ember::bitwise_and(*this, other); }
Tensor Tensor::bitwise_or(const Tensor& other) const { return ember::bitwise_or(*this, other); }
Tensor Tensor::bitwise_xor(const Tensor& other) const { return ember::bitwise_xor(*this, other); }
Tensor Tensor::bitwise_and(const Scalar& other) const { return ember::bitwise_and(*this, other); }
Tensor Tensor::bitwise_or(const Scalar& other) const { return ember::bitwise_or(*this, other); }
Tensor Tensor::bitwise_xor(const Scalar& other) const { return ember::bitwise_xor(*this, other); }
Tensor Tensor::bitwise_left_shift(const Tensor& other) const { return ember::bitwise_left_shift(*this, other); }
Tensor Tensor::bitwise_right_shift(const Tensor& other) const { return ember::bitwise_right_shift(*this, other); }
Tensor Tensor::bitwise_left_shift(const Scalar& other) const { return ember::bitwise_left_shift(*this, other); }
Tensor Tensor::bitwise_right_shift(const Scalar& other) const { return ember::bitwise_right_shift(*this, other); }

// In place: integer and bool results are never recorded; check_inplace still refuses what
// PyTorch refuses for any in-place op (an inference tensor outside inference mode, ...).
namespace {
template <typename Other>
Tensor& bits_(BinaryOp op, Tensor& self, const Other& other) {
  autograd::check_inplace(self);
  native::bitwise_op_(op, self, other);
  return self;
}
}  // namespace
Tensor& Tensor::bitwise_not_() {
  autograd::check_inplace(*this);
  native::bitwise_not_(*this);
  return *this;
}
Tensor& Tensor::bitwise_and_(const Tensor& other) { return bits_(BinaryOp::BitAnd, *this, other); }
Tensor& Tensor::bitwise_or_(const Tensor& other) { return bits_(BinaryOp::BitOr, *this, other); }
Tensor& Tensor::bitwise_xor_(const Tensor& other) { return bits_(BinaryOp::BitXor, *this, other); }
Tensor& Tensor::bitwise_and_(const Scalar& other) { return bits_(BinaryOp::BitAnd, *this, other); }
Tensor& Tensor::bitwise_or_(const Scalar& other) { return bits_(BinaryOp::BitOr, *this, other); }
Tensor& Tensor::bitwise_xor_(const Scalar& other) { return bits_(BinaryOp::BitXor, *this, other); }
Tensor& Tensor::bitwise_left_shift_(const Tensor& other) { return bits_(BinaryOp::LShift, *this, other); }
Tensor& Tensor::bitwise_right_shift_(const Tensor& other) { return bits_(BinaryOp::RShift, *this, other); }
Tensor& Tensor::bitwise_left_shift_(const Scalar& other) { return bits_(BinaryOp::LShift, *this, other); }
Tensor& Tensor::bitwise_right_shift_(const Scalar& other) { return bits_(BinaryOp::RShift, *this, other); }
Tensor& Tensor::gcd_(const Tensor& other) { return bits_(BinaryOp::Gcd, *this, other); }
Tensor& Tensor::lcm_(const Tensor& other) { return bits_(BinaryOp::Lcm, *this, other); }
Tensor& operator&=(Tensor& a, const Tensor& b) { return a.bitwise_and_(b); }
Tensor& operator|=(Tensor& a, const Tensor& b) { return a.bitwise_or_(b); }
Tensor& operator^=(Tensor& a, const Tensor& b) { return a.bitwise_xor_(b); }
Tensor& operator<<=(Tensor& a, const Tensor& b) { return a.bitwise_left_shift_(b); }
Tensor& operator>>=(Tensor& a, const Tensor& b) { return a.bitwise_right_shift_(b); }
Tensor& operator&=(Tensor& a, const Scalar& b) { return a.bitwise_and_(b); }
Tensor& operator|=(Tensor& a, const Scalar& b) { return a.bitwise_or_(b); }
Tensor& operator^=(Tensor& a, const Scalar& b) { return a.bitwise_xor_(b); }
Tensor& operator<<=(Tensor& a, const Scalar& b) { return a.bitwise_left_shift_(b); }
Tensor& operator>>=(Tensor& a, const Scalar& b) { return a.bitwise_right_shift_(b); }

namespace {
// PyTorch 2's rule (1.13 still took other masks, with a deprecation warning for uint8).
void check_mask(const Tensor& mask) {
  EMBER_CHECK(mask.dtype() == kBool, "masked_fill_ only supports boolean masks, but got mask with dtype ",
              dtype_torch_name(mask.dtype()));
}
}  // namespace

// Out of place, as torch.masked_fill: mask and self broadcast together.
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  check_mask(mask);
  return ember::where(mask, scalar_tensor(value, options()), *this);
}

Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  check_mask(mask);
  EMBER_CHECK(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
              value.dim(), " dimension(s).");
  return ember::where(mask, value.to(device(), dtype()), *this);
}

}  // namespace ember
