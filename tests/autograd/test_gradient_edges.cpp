// Gradients at NaN, zero and tie points, with PyTorch 1.13's values: max()/min() of a
// tensor holding NaN, maximum/minimum against NaN, pow at 0 ** 0 and at a zero base
// (each formula also gradchecked away from those points).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor leaf(const std::vector<double>& v) { return tensor(v, {static_cast<int64_t>(v.size())}, kFloat64).requires_grad_(true); }

// Element by element, NaN equal to NaN and infinities to themselves.
void expect_same(const Tensor& t, const std::vector<double>& expected) {
  const std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) EXPECT_TRUE(std::isnan(got[i])) << "element " << i << ": " << got[i];
    else if (std::isinf(expected[i])) EXPECT_EQ(got[i], expected[i]) << "element " << i;
    else EXPECT_NEAR(got[i], expected[i], 1e-12) << "element " << i;
  }
}

// torch.tensor([1., nan, 3.]).max().backward() -> [0, 1, 0]; [nan, 1, nan] -> [0.5, 0, 0.5].
TEST(GradientEdges, MaxAndMinOfATensorWithNaNSendTheGradientToTheNaNs) {
  for (bool is_max : {true, false}) {
    SCOPED_TRACE(is_max ? "max" : "min");
    Tensor x = leaf({1, kNaN, 3});
    (is_max ? x.max() : x.min()).backward();
    expect_same(x.grad(), {0, 1, 0});
    Tensor y = leaf({kNaN, 1, kNaN});
    (is_max ? y.max() : y.min()).backward();
    expect_same(y.grad(), {0.5, 0, 0.5});
    Tensor z = leaf({3, 1, 3});  // ties without NaN share as before
    (is_max ? z.max() : z.min()).backward();
    expect_same(z.grad(), is_max ? std::vector<double>{0.5, 0, 0.5} : std::vector<double>{0, 1, 0});
  }
  // amax over a NaN: PyTorch 1.13's NaN gradients (its formula compares with ==).
  Tensor a = leaf({1, kNaN, 3});
  amax(a, {0}).backward();
  expect_same(a.grad(), {kNaN, kNaN, kNaN});
}

// torch.maximum(a, b) with NaN on one side: both inputs get the gradient there, as
// PyTorch's formula masks only where an input lost a comparison.
TEST(GradientEdges, MaximumAndMinimumAgainstNaNGiveBothInputsTheGradient) {
  Tensor a = leaf({1, kNaN, 3, 2}), b = leaf({2, 2, kNaN, 2});
  maximum(a, b).sum().backward();
  expect_same(a.grad(), {0, 1, 1, 0.5});
  expect_same(b.grad(), {1, 1, 1, 0.5});
  Tensor c = leaf({1, kNaN, 3, 2}), d = leaf({2, 2, kNaN, 2});
  minimum(c, d).sum().backward();
  expect_same(c.grad(), {1, 1, 1, 0.5});
  expect_same(d.grad(), {0, 1, 1, 0.5});
  EXPECT_TRUE(autograd::gradcheck([](const auto& in) { return maximum(in[0], in[1]).sum(); },
                                  {tensor(std::vector<double>{1, 5, -2}, {3}, kFloat64).requires_grad_(true),
                                   tensor(std::vector<double>{2, 4, -3}, {3}, kFloat64).requires_grad_(true)}));
}

// torch.pow(a, b) at a zero base: a's gradient is 0 where b == 0 (no 0 * inf), b's is 0
// where a == 0 and b >= 0, and -inf / inf / nan elsewhere as PyTorch's.
TEST(GradientEdges, PowAtAZeroBaseIsPyTorchs) {
  Tensor a = leaf({0, 1, 2, 0, 0}), b = leaf({0, 1, 2, -1, 0.5});
  a.pow(b).sum().backward();
  expect_same(a.grad(), {0, 1, 4, -kInf, kInf});
  expect_same(b.grad(), {0, 0, 4 * std::log(2.0), -kInf, 0});
  Tensor c = leaf({0, -1}), d = leaf({0, 2});
  c.pow(d).sum().backward();
  expect_same(c.grad(), {0, -2});
  expect_same(d.grad(), {0, kNaN});
  Tensor x = leaf({0, 1, 2});  // x ** x: [0, 1, 4 + 4 ln 2]
  x.pow(x).sum().backward();
  expect_same(x.grad(), {0, 1, 4 + 4 * std::log(2.0)});
  EXPECT_TRUE(autograd::gradcheck([](const auto& in) { return in[0].pow(in[1]).sum(); },
                                  {tensor(std::vector<double>{0.5, 1.5, 2}, {3}, kFloat64).requires_grad_(true),
                                   tensor(std::vector<double>{0.3, -1, 2.5}, {3}, kFloat64).requires_grad_(true)}));
}

}  // namespace
}  // namespace ember
