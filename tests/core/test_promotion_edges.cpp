// Edges of PyTorch's dtype rules a review found apart: clamp's bounds converted to an integer
// compute dtype (an out-of-range one is an error), xlogy's 0-dim operand taking part like a
// scalar, and std / var's once-per-process warning for no degrees of freedom.
#include <gtest/gtest.h>

#include <cmath>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(ClampBounds, AnIntegerComputeDtypeMustHoldThem) {
  const Tensor bytes = tensor(std::vector<uint8_t>{200, 5}, {2});
  EXPECT_EMBER_ERROR(clamp(bytes, Scalar(int64_t{300}), std::nullopt),
                     "value cannot be converted to type uint8_t without overflow");
  // c10's checked convert wraps a negative bound uint8 can hold the magnitude of: -1 is 255.
  EXPECT_EQ(clamp(bytes, std::nullopt, Scalar(int64_t{-1})).to_vector<uint8_t>(), (std::vector<uint8_t>{200, 5}));
  EXPECT_EQ(clamp(bytes, std::nullopt, Scalar(int64_t{-56})).to_vector<uint8_t>(), (std::vector<uint8_t>{200, 5}));
  EXPECT_EQ(clamp(bytes, Scalar(int64_t{-56}), std::nullopt).to_vector<uint8_t>(), (std::vector<uint8_t>{200, 200}));
  EXPECT_EQ(clamp(bytes, Scalar(int64_t{10}), std::nullopt).to_vector<uint8_t>(), (std::vector<uint8_t>{200, 10}));
  // A floating bound promotes instead (an int tensor clamped to 0.5 is float32).
  EXPECT_EQ(clamp(bytes, Scalar(300.5), std::nullopt).dtype(), kFloat32);
}

TEST(XlogyPromotion, AZeroDimOperandTakesPartLikeAScalar) {
  const Tensor x = tensor(std::vector<float>{1, 2});
  const Tensor y = scalar_tensor(3.0, kFloat64);
  const Tensor r = xlogy(x, y);
  EXPECT_EQ(r.dtype(), kFloat32);
  EXPECT_NEAR(r.to_vector<float>()[1], 2.0f * std::log(3.0f), 1e-6);
  EXPECT_EQ(xlogy(tensor(std::vector<int64_t>{0, 1}), tensor(std::vector<int64_t>{5, 1})).dtype(), kFloat32);
}

TEST(VarianceDegreesOfFreedom, NoneLeftWarnsOnceAsPyTorch) {
  testing::expect_logged_in_fresh_process(
      [] { (void)ember::var(tensor(std::vector<float>{1, 2}), Dims{}, /*correction=*/2.0); },
      "var\\(\\): degrees of freedom is <= 0");
  EXPECT_TRUE(std::isnan(ember::std(tensor(std::vector<float>{1})).item<float>()));
  EXPECT_TRUE(std::isinf(ember::var(tensor(std::vector<float>{1, 2}), Dims{}, 2.0).item<float>()));
}

// PyTorch refuses what ember used to compute: lerp of mixed or integer dtypes, addcdiv's
// integer division.
TEST(LerpAndAddcdiv, RefuseWhatPyTorchRefuses) {
  const Tensor a = tensor(std::vector<float>{1, 2}), b = tensor(std::vector<float>{3, 6});
  EXPECT_EQ(lerp(a, b, Scalar(0.5)).to_vector<float>(), (std::vector<float>{2, 4}));
  EXPECT_EMBER_ERROR(lerp(a, b.to(kFloat64), Scalar(0.5)), "expected dtype Float for `end` but got dtype Double");
  EXPECT_EMBER_ERROR(lerp(a, b, tensor(std::vector<double>{0.5, 0.5})),
                     "expected dtype Float for `weight` but got dtype Double");
  const Tensor i = tensor(std::vector<int64_t>{1, 2}), j = tensor(std::vector<int64_t>{3, 4});
  EXPECT_EMBER_ERROR(lerp(i, j, Scalar(0.5)), "\"lerp_kernel_scalar\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(addcdiv(a, i, j), "Integer division with addcdiv is no longer supported");
  EXPECT_EQ(addcdiv(a, i.to(kFloat32), j).to_vector<float>(), (std::vector<float>{1.0f + 1.0f / 3.0f, 2.5f}));
}

}  // namespace
}  // namespace ember
