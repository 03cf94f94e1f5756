// Native all/any (composed of eq, ne and sum), the bitwise ops and shifts of integer and
// bool tensors and gcd / lcm of integer ones (the BitAnd ... Lcm kernels of every device,
// promoted like add).
#include "core/native.h"
#include "core/ops/elementwise_ops.h"

namespace ember::native {
namespace {

// all: no element is zero; any: some element is not. The count is int64 (sum of a bool
// tensor); the result is kBool, or kUInt8 for a uint8 input, as torch.all/any of 1.13.
Tensor all_or_any(const Tensor& a, const Dims& dims, bool keepdim, bool is_all) {
  const Tensor count = sum(is_all ? eq(a, Scalar(0)) : ne(a, Scalar(0)), dims, keepdim);
  const Tensor out = is_all ? eq(count, Scalar(0)) : ne(count, Scalar(0));
  return a.dtype() == kUInt8 ? to_dtype(out, kUInt8) : out;
}

// PyTorch names a floating operand's missing kernel per device ("bitwise_and_cpu" not
// implemented for 'Float'); shifts, gcd and lcm have no bool kernel either.
void check_bits(BinaryOp op, DType dtype, Device device, const char* name = nullptr) {
  const bool bool_ok = op != BinaryOp::LShift && op != BinaryOp::RShift && op != BinaryOp::Gcd && op != BinaryOp::Lcm;
  EMBER_CHECK(!is_floating(dtype) && (bool_ok || dtype != kBool), "\"", name != nullptr ? name : op_name(op),
              device.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for '", dtype_torch_name(dtype), "'");
}

Tensor bits(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_same_device(a, {&b}, op_name(op));
  check_bits(op, detail::result_type(a, b), a.device());
  return detail::binary_op(op, a, b);
}

}  // namespace

Tensor all(const Tensor& a) { return all_or_any(a, {}, false, true); }
Tensor all(const Tensor& a, int64_t dim, bool keepdim) { return all_or_any(a, {dim}, keepdim, true); }
Tensor any(const Tensor& a) { return all_or_any(a, {}, false, false); }
Tensor any(const Tensor& a, int64_t dim, bool keepdim) { return all_or_any(a, {dim}, keepdim, false); }
Tensor all(const Tensor& a, const Dims& dims, bool keepdim) { return all_or_any(a, dims, keepdim, true); }
Tensor any(const Tensor& a, const Dims& dims, bool keepdim) { return all_or_any(a, dims, keepdim, false); }

// ~x of a bool is logical not; of an integer, its bits flipped (x ^ all ones: -1 is 255 in uint8).
Tensor bitwise_not(const Tensor& a) {
  check_bits(BinaryOp::BitXor, a.dtype(), a.device(), "bitwise_not");
  if (a.dtype() == kBool) return eq(a, Scalar(false));
  return detail::scalar_op(BinaryOp::BitXor, a, Scalar(int64_t{-1}), false);
}
Tensor bitwise_and(const Tensor& a, const Tensor& b) { return bits(BinaryOp::BitAnd, a, b); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return bits(BinaryOp::BitOr, a, b); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return bits(BinaryOp::BitXor, a, b); }
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b) { return bits(BinaryOp::LShift, a, b); }
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b) { return bits(BinaryOp::RShift, a, b); }
Tensor gcd(const Tensor& a, const Tensor& b) { return bits(BinaryOp::Gcd, a, b); }
Tensor lcm(const Tensor& a, const Tensor& b) { return bits(BinaryOp::Lcm, a, b); }

Tensor bitwise_op(BinaryOp op, const Tensor& a, const Scalar& b, bool scalar_first) {
  check_bits(op, b.result_type_with(a.dtype()), a.device());
  return detail::scalar_op(op, a, b, scalar_first);
}
void bitwise_op_(BinaryOp op, const Tensor& self, const Tensor& other) {
  check_same_device(self, {&other}, op_name(op));
  check_bits(op, detail::result_type(self, other), self.device());
  detail::binary_inplace(op, self, other);
}
void bitwise_op_(BinaryOp op, const Tensor& self, const Scalar& other) {
  check_bits(op, other.result_type_with(self.dtype()), self.device());
  detail::scalar_inplace(op, self, other);
}
void bitwise_not_(const Tensor& self) {
  check_bits(BinaryOp::BitXor, self.dtype(), self.device(), "bitwise_not");
  if (self.dtype() == kBool)
    detail::scalar_inplace(BinaryOp::BitXor, self, Scalar(true));
  else
    detail::scalar_inplace(BinaryOp::BitXor, self, Scalar(int64_t{-1}));
}

}  // namespace ember::native
