// Native all/any and the bitwise ops of bool tensors, composed of eq, ne, sum and where
// (so every device runs them with its existing kernels). PyTorch's integer bitwise ops
// have no kernel here: an integer operand is an error that says so.
#include "core/native.h"

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
// implemented for 'Float'); integers are PyTorch's bitwise ops, not supported here.
void check_bool(const char* op, DType dtype, Device device) {
  if (dtype == kBool) return;
  EMBER_CHECK(!is_floating(dtype), "\"", op, device.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for '",
              dtype_torch_name(dtype), "'");
  EMBER_FAIL(op, ": only bool tensors are supported (got '", dtype_torch_name(dtype),
             "'); ember has no integer bitwise kernel");
}

// The promoted dtype of a binary bitwise op, checked; broadcasting is where/ne's own.
void check_binary(const char* op, const Tensor& a, const Tensor& b) {
  check_same_device(a, {&b}, op);
  check_bool(op, promote_types(a.dtype(), b.dtype()), a.device());
}

}  // namespace

Tensor all(const Tensor& a) { return all_or_any(a, {}, false, true); }
Tensor all(const Tensor& a, int64_t dim, bool keepdim) { return all_or_any(a, {dim}, keepdim, true); }
Tensor any(const Tensor& a) { return all_or_any(a, {}, false, false); }
Tensor any(const Tensor& a, int64_t dim, bool keepdim) { return all_or_any(a, {dim}, keepdim, false); }

Tensor bitwise_not(const Tensor& a) {
  check_bool("bitwise_not", a.dtype(), a.device());
  return eq(a, Scalar(false));
}
Tensor bitwise_and(const Tensor& a, const Tensor& b) {
  check_binary("bitwise_and", a, b);
  return where(a, b, Scalar(false));
}
Tensor bitwise_or(const Tensor& a, const Tensor& b) {
  check_binary("bitwise_or", a, b);
  return where(a, Scalar(true), b);
}
Tensor bitwise_xor(const Tensor& a, const Tensor& b) {
  check_binary("bitwise_xor", a, b);
  return ne(a, b);
}

}  // namespace ember::native
