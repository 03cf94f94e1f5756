// check_fill_value: which scalars each dtype holds, as PyTorch's checked conversion decides.
//
// Note [Fill values]
// PyTorch converts a fill value with c10's overflow check, so torch.zeros(2, dtype=torch.uint8)
// .fill_(300) and a long tensor's fill_(nan) are errors where a plain cast would wrap or be
// undefined. ember checks the same ranges before any kernel runs:
// - bool and float64 take every value;
// - float32 and bfloat16 take every integer and every float up to their largest finite value
//   (NaN and +-inf too);
// - float16 takes the integers and floats up to 65504 in magnitude (65519.9, which would
//   round to 65504, is an error as in PyTorch), NaN and +-inf;
// - int64 takes every integer, and a float whose truncation lies in [-2^63, 2^63);
// - uint8 takes the integers in [-255, 255] (a negative one wraps, as in C), and the floats in
//   [0, 255].
#include "core/fill_value.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace ember {

void check_fill_value(const Scalar& value, DType dtype) {
  if (value.is_bool() || dtype == kBool || dtype == kFloat64) return;
  const double v = value.to_double();
  const bool integral = value.is_integral();
  switch (dtype) {
    case kFloat32:
      EMBER_CHECK(integral || !std::isfinite(v) || std::abs(v) <= std::numeric_limits<float>::max(),
                  "value cannot be converted to type float without overflow");
      return;
    case kBFloat16:
      EMBER_CHECK(integral || !std::isfinite(v) || std::abs(v) <= 3.3895313892515355e38,
                  "value cannot be converted to type at::BFloat16 without overflow");
      return;
    case kFloat16:
      EMBER_CHECK(!std::isfinite(v) || std::abs(v) <= 65504.0,  // integers too: 100000 is past float16's range
                  "value cannot be converted to type at::Half without overflow");
      return;
    case kInt64:
      EMBER_CHECK(integral || (v >= -9223372036854775808.0 && v < 9223372036854775808.0),
                  "value cannot be converted to type int64_t without overflow");
      return;
    case kUInt8: {
      const bool fits = integral ? value.to_int() >= -255 && value.to_int() <= 255 : v >= 0.0 && v <= 255.0;
      EMBER_CHECK(fits, "value cannot be converted to type uint8_t without overflow");
      return;
    }
    default:
      return;
  }
}

}  // namespace ember
