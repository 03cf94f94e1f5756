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

}  // namespace
}  // namespace ember
