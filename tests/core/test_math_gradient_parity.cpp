// Gradients and edges PyTorch users rely on: xlogy's d/dx at x = 0, logit's piecewise gradient,
// remainder's floor-division quotient, median()'s gradient shared by ties, 16-bit sinc / logit
// rounded once, nan_to_num's unchecked replacements, clamp with a NaN bound, allclose as
// isclose().all(), aminmax's and scatter's messages, cdist's distance gradients.
#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_exact;
using testing::expect_gradcheck;
using testing::expect_values;
using testing::leaf;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor f64(const std::vector<double>& v) { return tensor(v, TensorOptions(kFloat64)); }

// PyTorch's xlogy gradients: d/dx = xlogy(g, y), 0 only where x == 0 and y <= 0; d/dy = g x / y.
TEST(MathGradientParity, XlogyAtZero) {
  Tensor x = leaf({0, 0, 2, 0}, {4}), y = leaf({3, 0.5, 3, 0}, {4});
  xlogy(x, y).sum().backward();
  expect_values(x.grad(), {std::log(3.0), std::log(0.5), std::log(3.0), 0.0}, 1e-15);
  expect_values(y.grad(), {0.0, 0.0, 2.0 / 3.0, kNaN}, 1e-15);  // 0 * 0 / 0 at (0, 0), as PyTorch's
  Tensor z = leaf({0.0, 1.5}, {2});
  xlogy(z, Scalar(2.0)).sum().backward();
  expect_values(z.grad(), {std::log(2.0), std::log(2.0)}, 1e-15);
  manual_seed(3);
  Tensor a = testing::grad_input({3}), b = testing::grad_input({3}, 0.5, 2.0);
  expect_gradcheck([](const std::vector<Tensor>& in) { return xlogy(in[0], in[1]); }, {a, b});
}

TEST(MathGradientParity, LogitGradientIsPiecewise) {
  Tensor x = leaf({0.0, 1.0, 0.5, -0.5, 1.5}, {5});
  logit(x).sum().backward();
  expect_exact(x.grad(), {kInf, kInf, 4.0, kNaN, kNaN});
  Tensor e = leaf({0.1, 0.5, 0.9, 0.0}, {4});
  logit(e, 0.25).sum().backward();
  expect_exact(e.grad(), {0.0, 4.0, 0.0, 0.0});
  Tensor zero_eps = leaf({0.0, -0.5}, {2});
  logit(zero_eps, 0.0).sum().backward();
  expect_exact(zero_eps.grad(), {kInf, 0.0});
  manual_seed(4);
  Tensor p = testing::grad_input({4}, 0.2, 0.8);
  expect_gradcheck([](const std::vector<Tensor>& in) { return logit(in[0]); }, {p});
}

// 16-bit sinc and logit are computed in float32 and rounded once.
TEST(MathGradientParity, SixteenBitSincAndLogitRoundOnce) {
  EXPECT_LT(std::abs(sinc(full({}, -3.0, kBFloat16)).item<double>()), 1e-6);
  EXPECT_LT(std::abs(sinc(full({}, 2.0, kFloat16)).item<double>()), 1e-6);
  EXPECT_NEAR(logit(full({}, 0.498046875, kBFloat16)).item<double>(), -0.0078125, 1e-6);
  EXPECT_EQ(sinc(full({}, 0.5, kBFloat16)).dtype(), kBFloat16);
}

TEST(MathGradientParity, RemainderGradientUsesFloorDivision) {
  Tensor b = leaf({0.1}, {1});
  remainder(Scalar(1.0), b).sum().backward();
  expect_values(b.grad(), {-9.0}, 0.0);  // -(1 // 0.1); floor(1 / 0.1) would be -10
  Tensor d = leaf({0.1}, {1});
  remainder(f64({1.0}), d).sum().backward();
  expect_values(d.grad(), {-9.0}, 0.0);
  Tensor f = leaf({-0.3}, {1});
  fmod(f64({1.0}), f).sum().backward();
  expect_values(f.grad(), {3.0}, 0.0);  // -trunc(1 / -0.3) = 3
}

TEST(MathGradientParity, NanToNumReplacementsAreConvertedUnchecked) {
  constexpr float kInfF = std::numeric_limits<float>::infinity();
  const Tensor h = tensor(std::vector<float>{kInfF, -kInfF, 1.0f}, {3}).to(kFloat16);
  expect_exact(nan_to_num(h, 0.0, 1e5, -1e5), {kInf, -kInf, 1.0});
  expect_exact(nan_to_num(ones({2}, kFloat16), 0.0, 1e5, -1e5), {1.0, 1.0});
  expect_exact(nan_to_num(f64({kNaN, kInf}), 2.0, 7.0), {2.0, 7.0});
}

TEST(MathGradientParity, ClampWithANaNBoundAndBoolPow) {
  expect_exact(clamp(f64({0.5, 2.0}), kNaN, 1.0), {kNaN, kNaN});
  expect_exact(clamp(f64({0.5, 2.0}), 0.0, kNaN), {kNaN, kNaN});
  Tensor in_place = f64({0.5, 2.0});
  in_place.clamp_(kNaN, 1.0);
  expect_exact(in_place, {kNaN, kNaN});
  expect_exact(clamp(f64({0.5, 2.0}), 0.0, 1.0), {0.5, 1.0});
  const Tensor flags = ones({2}, kBool);
  EXPECT_EMBER_ERROR(pow(flags, flags), "\"pow\" not implemented for 'Bool'");
}

TEST(MathGradientParity, AllcloseIsIscloseAll) {
  EXPECT_TRUE(allclose(ones({2}), ones({1})));
  EXPECT_TRUE(allclose(ones({3}), full({}, 1.0)));
  EXPECT_TRUE(allclose(ones({2, 1}), ones({1, 2})));
  EXPECT_FALSE(allclose(ones({2}), tensor(std::vector<float>{1.0f, 1.1f})));
  EXPECT_EMBER_ERROR(allclose(ones({2}), ones({3})), "The size of tensor a (2) must match the size of tensor b (3)");
  EXPECT_EMBER_ERROR(allclose(ones({2}), ones({2}, kFloat64)), "Float did not match Double");
  EXPECT_EMBER_ERROR(allclose(ones({2}), ones({2}), -1.0), "rtol must be greater than or equal to zero");
}

// PyTorch's evenly_distribute_backward for the dim-less median / nanmedian.
TEST(MathGradientParity, MedianOfAllSharesTheGradient) {
  Tensor ties = leaf({1, 2, 2, 3}, {4});
  ties.median().backward();
  expect_values(ties.grad(), {0, 0.5, 0.5, 0}, 0.0);
  Tensor nan_ties = leaf({1, 2, 2, kNaN}, {4});
  nan_ties.nanmedian().backward();
  expect_values(nan_ties.grad(), {0, 0.5, 0.5, 0}, 0.0);
  Tensor nans = leaf({1, kNaN, 2, kNaN}, {4});
  nans.median().backward();
  expect_values(nans.grad(), {0, 0.5, 0, 0.5}, 0.0);
  Tensor along = leaf({1, 2, 2, 3}, {4});  // the dim form keeps one index, as PyTorch's
  std::get<0>(median(along, 0)).backward();
  EXPECT_EQ(along.grad().sum().item<double>(), 1.0);
  EXPECT_EQ(along.grad().max().item<double>(), 1.0);
}

TEST(MathGradientParity, MessagesOfAminmaxScatterAndIndexSelect) {
  EXPECT_EMBER_ERROR(zeros({0}).aminmax(),
                     "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.");
  EXPECT_EMBER_ERROR(zeros({0, 2}).aminmax(0), "aminmax(): Expected reduction dim 0 to have non-zero size.");
  const auto [low, high] = zeros({0, 2}).aminmax(1);
  EXPECT_EQ(low.sizes(), (Dims{0}));
  const Tensor bytes = tensor(std::vector<uint8_t>{1, 2}, {2});
  EXPECT_EMBER_ERROR(bytes.scatter(0, tensor({0}), Scalar(300)), "without overflow");
  EXPECT_EMBER_ERROR(zeros({2}, kFloat16).scatter(0, tensor({0}), Scalar(1e6)), "without overflow");
  EXPECT_EMBER_ERROR(ones({0, 3}).index_select(1, tensor({5})), "index out of range in self");
  EXPECT_EQ(ones({0, 3}).index_select(1, tensor({2})).sizes(), (Dims{0, 1}));
}

// cdist's gradients are pdist's (PyTorch's _cdist_backward): the full sign to every tied
// coordinate for p = inf, zeros for p = 0.
TEST(MathGradientParity, CdistGradientsAtTiesAndPZero) {
  Tensor a = leaf({2, -2}, {1, 2});
  cdist(a, zeros({1, 2}, kFloat64), kInf).sum().backward();
  expect_values(a.grad(), {1, -1}, 0.0);
  Tensor b = leaf({2, 0}, {1, 2});
  const Tensor count = cdist(b, zeros({1, 2}, kFloat64), 0.0);
  expect_values(count, {1}, 0.0);
  count.sum().backward();
  ASSERT_TRUE(b.grad().defined());
  expect_values(b.grad(), {0, 0}, 0.0);
}

}  // namespace
}  // namespace ember
