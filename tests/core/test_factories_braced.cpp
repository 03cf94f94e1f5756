// ember::tensor({...}) against libtorch 1.13's torch::tensor: integer lists give int64,
// floating ones float32 (the default dtype), bools kBool, uint8_t kUInt8; options set
// dtype, device and requires_grad; the std::vector forms keep their own dtypes.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

TEST(FactoriesBraced, DtypesAsLibtorch) {
  const Tensor d = tensor({1.0, 2.0});
  EXPECT_EQ(d.dtype(), kFloat32);  // libtorch: floating literals take the default dtype
  EXPECT_EQ(d.sizes(), (Dims{2}));
  expect_values(d, {1, 2}, 0.0);
  EXPECT_EQ(tensor({1.0f, 2.0f}).dtype(), kFloat32);
  const Tensor i = tensor({1, 2, 3});
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(tensor({true, false}).dtype(), kBool);
  EXPECT_EQ(tensor({true, false}).to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(tensor({uint8_t{1}, uint8_t{255}}).dtype(), kUInt8);
  EXPECT_EQ(tensor({int64_t{1} << 40}).item<int64_t>(), int64_t{1} << 40);
  const Tensor o = tensor({1.5, 2.5}, TensorOptions(kFloat64).requires_grad(true));
  EXPECT_EQ(o.dtype(), kFloat64);
  EXPECT_TRUE(o.requires_grad());
  EXPECT_EQ(tensor({1, 2}, kFloat64).to_vector<double>(), (std::vector<double>{1, 2}));
  const Tensor g = tensor({0.5, 1.0}, TensorOptions().requires_grad(true));  // no dtype given: float32
  EXPECT_EQ(g.dtype(), kFloat32);
  EXPECT_TRUE(g.requires_grad());
  // the vector forms are unchanged
  EXPECT_EQ(tensor(std::vector<double>{1, 2}).dtype(), kFloat64);
  EXPECT_EQ(tensor(std::vector<float>{1, 2, 3, 4}, {2, 2}).sizes(), (Dims{2, 2}));
}

}  // namespace
}  // namespace ember
