// torch.result_type / can_cast / finfo / iinfo (core/type_info.h).
#include "core/type_info.h"

#include "core/error.h"
#include "core/ops/elementwise_ops.h"

namespace ember {

DType result_type(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.defined() && b.defined(), "result_type: expected defined tensors");
  return native::detail::result_type(a, b);
}
DType result_type(const Tensor& a, const Scalar& b) {
  EMBER_CHECK(a.defined(), "result_type: expected a defined tensor");
  return b.result_type_with(a.dtype());
}
DType result_type(const Scalar& a, const Tensor& b) { return result_type(b, a); }

// c10's canCast, without its complex rule.
bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to) && to != kBool) return false;
  return from == kBool || to != kBool;
}

FInfo finfo(DType dtype) {
  switch (dtype) {
    case kFloat32:
      return {
          32,   1.1920928955078125e-07, 3.4028234663852886e+38, -3.4028234663852886e+38, 1.1754943508222875e-38, 1e-06,
          dtype};
    case kFloat64:
      return {64,
              2.220446049250313e-16,
              1.7976931348623157e+308,
              -1.7976931348623157e+308,
              2.2250738585072014e-308,
              1e-15,
              dtype};
    case kFloat16:
      return {16, 0.0009765625, 65504.0, -65504.0, 6.103515625e-05, 0.001, dtype};
    case kBFloat16:
      return {16, 0.0078125, 3.3895313892515355e+38, -3.3895313892515355e+38, 1.1754943508222875e-38, 0.01, dtype};
    default:
      EMBER_FAIL("torch.finfo() requires a floating point input type, but got ", dtype_name(dtype),
                 ". Use iinfo to handle ", dtype_name(dtype));
  }
}

IInfo iinfo(DType dtype) {
  switch (dtype) {
    case kInt64:
      return {64, INT64_MAX, INT64_MIN, dtype};
    case kUInt8:
      return {8, 255, 0, dtype};
    default:
      EMBER_CHECK(dtype != kBool, "torch.bool is not supported by torch.iinfo");
      EMBER_FAIL("torch.iinfo() requires an integer input type, but got ", dtype_name(dtype), ". Use finfo to handle ",
                 dtype_name(dtype));
  }
}

}  // namespace ember
