// torch.result_type / can_cast / finfo / iinfo (core/type_info.h), against the values of
// PyTorch's tensor_attributes.rst and numpy's finfo.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(TypeInfo, ResultTypeFollowsThePromotionTable) {
  const Tensor i = zeros({2}, kInt64), f = zeros({2}), h = zeros({2}, kHalf), b = zeros({2}, kBool);
  const Tensor d0 = zeros({}, kFloat64), i0 = zeros({}, kInt64);
  EXPECT_EQ(result_type(i, 2.5), kFloat32);  // torch.result_type(int_tensor, 5.5)
  EXPECT_EQ(result_type(i, 5), kInt64);
  EXPECT_EQ(result_type(b, 5), kInt64);
  EXPECT_EQ(result_type(b, true), kBool);
  EXPECT_EQ(result_type(2.5, h), kHalf);
  EXPECT_EQ(result_type(h, d0), kHalf);     // a 0-dim tensor of the same category does not widen
  EXPECT_EQ(result_type(i, d0), kFloat64);  // but raises the kind: its own dtype
  EXPECT_EQ(result_type(f, i0), kFloat32);
  EXPECT_EQ(result_type(h, zeros({2}, kBFloat16)), kFloat32);
  EXPECT_EQ(result_type(zeros({2}, kUInt8), i), kInt64);
  EXPECT_EQ(result_type(d0, i0), kFloat64);
  // The dtype the op itself gives.
  EXPECT_EQ((h + d0).dtype(), result_type(h, d0));
  EXPECT_EQ((i * 2.5).dtype(), result_type(i, 2.5));
}

TEST(TypeInfo, CanCastAsTheInPlaceRule) {
  EXPECT_TRUE(can_cast(kFloat64, kFloat32));
  EXPECT_TRUE(can_cast(kInt64, kFloat32));
  EXPECT_TRUE(can_cast(kBool, kUInt8));
  EXPECT_TRUE(can_cast(kBool, kBool));
  EXPECT_FALSE(can_cast(kFloat32, kInt64));  // torch.can_cast(torch.float, torch.int)
  EXPECT_FALSE(can_cast(kHalf, kUInt8));
  EXPECT_FALSE(can_cast(kFloat32, kBool));
  EXPECT_FALSE(can_cast(kUInt8, kBool));
  // The in-place ops refuse exactly what can_cast refuses.
  Tensor l = zeros({2}, kInt64);
  EXPECT_EMBER_ERROR(l.add_(zeros({2})), "result type Float can't be cast to the desired output type Long");
  Tensor f = zeros({2});
  f.add_(ones({2}, kInt64));
  testing::expect_values(f, {1.0, 1.0});
}

TEST(TypeInfo, FinfoAndIinfo) {
  const FInfo f32 = finfo();
  EXPECT_EQ(f32.bits, 32);
  EXPECT_EQ(f32.eps, static_cast<double>(std::numeric_limits<float>::epsilon()));
  EXPECT_EQ(f32.max, static_cast<double>(std::numeric_limits<float>::max()));
  EXPECT_EQ(f32.min, -f32.max);
  EXPECT_EQ(f32.tiny, static_cast<double>(std::numeric_limits<float>::min()));
  EXPECT_EQ(f32.resolution, 1e-6);
  const FInfo f64 = finfo(kFloat64);
  EXPECT_EQ(f64.eps, std::numeric_limits<double>::epsilon());
  EXPECT_EQ(f64.max, std::numeric_limits<double>::max());
  EXPECT_EQ(f64.smallest_normal(), std::numeric_limits<double>::min());
  const FInfo half = finfo(kHalf);
  EXPECT_EQ(half.bits, 16);
  EXPECT_EQ(half.max, 65504.0);
  EXPECT_EQ(half.eps, 0.0009765625);
  EXPECT_EQ(half.tiny, 6.103515625e-05);
  // The values are the dtype's own: max survives the conversion, twice it overflows.
  EXPECT_EQ(full({1}, half.max, kHalf).item<double>(), 65504.0);
  EXPECT_EQ(full({1}, finfo(kBFloat16).max, kBFloat16).item<double>(), finfo(kBFloat16).max);
  EXPECT_EQ((ones({1}, kBFloat16) + finfo(kBFloat16).eps).item<double>(), 1.0078125);
  EXPECT_EQ(finfo(kBFloat16).eps, 0.0078125);
  EXPECT_EMBER_ERROR(finfo(kInt64), "requires a floating point input type");

  EXPECT_EQ(iinfo(kInt64).max, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(iinfo(kInt64).min, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(iinfo(kInt64).bits, 64);
  EXPECT_EQ(iinfo(kUInt8).max, 255);
  EXPECT_EQ(iinfo(kUInt8).min, 0);
  EXPECT_EMBER_ERROR(iinfo(kBool), "torch.bool is not supported by torch.iinfo");
  EXPECT_EMBER_ERROR(iinfo(kFloat32), "requires an integer input type");
}

}  // namespace
}  // namespace ember
