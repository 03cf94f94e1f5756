// PyTorch's dtype= forms of sum, mean, prod, cumsum and cumprod (autograd/functions/
// reduce_dtype.cpp): the input cast first, the result in dtype, the gradient in the input's.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_exact;
using ember::testing::expect_gradcheck;
using ember::testing::grad_input;
using In = std::vector<Tensor>;

TEST(DtypeForms, ReductionsCastFirstAndReturnTheDtype) {
  const Tensor ints = tensor(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(ints.sum(kFloat64).dtype(), kFloat64);
  expect_exact(ints.sum(kFloat64), {10});
  expect_exact(sum(ints, {1}, false, kFloat32), {3, 7});
  expect_exact(ints.mean(kFloat64), {2.5});  // mean of int64 alone is PyTorch's error
  expect_exact(ints.mean(0, true, kFloat32), {2, 3});
  expect_exact(ints.prod(kFloat64), {24});
  expect_exact(prod(ints, 1, false, kFloat64), {2, 12});
  expect_exact(ints.cumsum(1, kFloat64), {1, 3, 3, 7});
  expect_exact(cumprod(ints, 0, kFloat32), {1, 2, 3, 8});
  // an integer dtype is kept (uint8 wraps, as PyTorch's accumulation in it)
  const Tensor bytes = full({300}, 1, kUInt8);
  EXPECT_EQ(bytes.sum(kUInt8).dtype(), kUInt8);
  EXPECT_EQ(bytes.sum(kUInt8).item<int64_t>(), 300 % 256);
  EXPECT_EQ(ints.sum(kUInt8).item<int64_t>(), 10);
  EXPECT_EMBER_ERROR(ints.mean(kInt64), "Optional dtype must be either a floating point or complex dtype. Got: ");
  // {} is still "every dim", never a dtype: an int64 sum stays int64 and exact
  const Tensor big = tensor(std::vector<int64_t>{16777217, 1});
  EXPECT_EQ(big.sum({}).dtype(), kInt64);
  EXPECT_EQ(big.sum({}).item<int64_t>(), 16777218);
  EXPECT_EQ(sum(big, {}).item<int64_t>(), 16777218);
  const Tensor doubles = tensor(std::vector<double>{0.1, 0.2});
  EXPECT_EQ(doubles.mean({}).dtype(), kFloat64);
  EXPECT_EQ(mean(doubles, {}).dtype(), kFloat64);
  // a bf16 sum in float32 keeps the small terms bf16 accumulation would round away
  const Tensor halves = full({1000}, 1.0, kBFloat16);
  EXPECT_EQ(halves.sum(kFloat32).item<double>(), 1000.0);
  EXPECT_EQ(halves.sum(kFloat32).dtype(), kFloat32);
}

TEST(DtypeForms, GradientComesBackInTheInputsDtype) {
  Tensor x = tensor(std::vector<float>{1, 2, 3}, {3}).requires_grad_(true);
  x.cumsum(0, kFloat64).sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  expect_exact(x.grad(), {3, 2, 1});
  expect_gradcheck([](const In& in) { return in[0].prod(1, false, kFloat64); }, {grad_input({2, 3})});
  expect_gradcheck([](const In& in) { return in[0].cumprod(0, kFloat64); }, {grad_input({3, 2})});
}

TEST(DtypeForms, AnExplicitDtypeWinsOverAutocast) {
  const Tensor x = ones({4}, kFloat32);
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  EXPECT_EQ(x.sum().dtype(), kFloat32);            // sum is on autocast's float32 list
  EXPECT_EQ(x.sum(kBFloat16).dtype(), kBFloat16);  // fp32_set_opt_dtype: the dtype given stays
  EXPECT_EQ(x.cumsum(0, kFloat64).dtype(), kFloat64);
}

}  // namespace
}  // namespace ember
