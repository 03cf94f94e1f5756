// LPPool1d/2d/3d against PyTorch 1.13 (lp_pool_torch_values.h): power sums of windows with
// strides, ceil_mode, p = 1 on signed inputs, the gradient, PyTorch's NaN for a negative
// window with a fractional p; lp_pool3d against its definition; float64 gradchecks; reprs and
// errors. RReLU (eval: the mean slope; training: a slope in [lower, upper] per negative
// element, its gradient) and Softmax2d.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lp_pool_torch_values.h"
#include "nn/activation_more.h"
#include "nn/functional/activation_more.h"
#include "nn/functional/basic.h"
#include "nn/functional/loss.h"
#include "nn/functional/lp_pool.h"
#include "nn/lp_pool.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
namespace ref = ember::testing::torch_lp_pool;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// The reference script's x [6, 7] and x4 [2, 2, 6, 7] (channels x and -x / 2).
Tensor ref_x() {
  std::vector<double> v;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 7; ++j) v.push_back(std::sin(0.37 * i + 0.11 * j) * ((i + j) % 3 ? 1.5 : -0.7));
  return tensor(v, {6, 7}, TensorOptions(kFloat64));
}
Tensor ref_x4() {
  const Tensor x = ref_x().view({1, 1, 6, 7});
  return cat({x, x * -0.5}, 1).repeat({2, 1, 1, 1});
}

TEST(LpPool, MatchesPyTorch) {
  const Tensor a = ref_x4().abs().requires_grad_(true);
  const Tensor y = F::lp_pool2d(a, 2, {2, 3}, {2, 2});
  EXPECT_EQ(y.sizes(), (Dims{2, 2, 3, 3}));
  expect_values(y, ref::kLp2dP2, 1e-14);
  y.sum().backward();
  expect_values(a.grad(), ref::kLp2dP2Grad, 1e-14);
  const Tensor ceil = F::lp_pool2d(ref_x4().abs(), 3.0, 2, {}, /*ceil_mode=*/true);
  EXPECT_EQ(ceil.sizes(), (Dims{2, 2, 3, 4}));
  expect_values(ceil, ref::kLp2dP3Ceil, 1e-14);
  expect_values(F::lp_pool2d(ref_x4(), 1, 3), ref::kLp2dP1, 1e-14);  // p = 1: signed window sums
  const Tensor one_d = F::lp_pool1d(ref_x().abs().view({1, 6, 7}), 2, 3, 2);
  EXPECT_EQ(one_d.sizes(), (Dims{1, 6, 3}));
  expect_values(one_d, ref::kLp1dP2, 1e-14);
  // PyTorch's composition: x^2.5 of a negative input is NaN, and so is its window.
  const Tensor signed_p = F::lp_pool2d(ref_x4(), 2.5, 2);
  EXPECT_FALSE(std::isnan(signed_p.view({-1})[0].item<double>()));
  EXPECT_TRUE(std::isnan(signed_p.view({-1})[1].item<double>()));
}

// lp_pool3d (PyTorch 2's; 1.13 has none) against its definition: each window's
// (sum x^p)^(1/p), here with a [2, 1, 3] kernel and stride [1, 1, 2] on [1, 2, 3, 4, 5].
TEST(LpPool, ThreeDimensionsAreTheWindowsPowerSums) {
  const Tensor x = rand({1, 2, 3, 4, 5}, kFloat64) + 0.1;
  const double p = 1.7;
  const Tensor y = F::lp_pool3d(x, p, {2, 1, 3}, {1, 1, 2});
  ASSERT_EQ(y.sizes(), (Dims{1, 2, 2, 4, 2}));
  const std::vector<double> v = x.to_vector<double>(), got = y.to_vector<double>();
  size_t k = 0;
  for (int c = 0; c < 2; ++c)
    for (int d = 0; d < 2; ++d)
      for (int h = 0; h < 4; ++h)
        for (int w = 0; w < 2; ++w, ++k) {
          double sum = 0;
          for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j) sum += std::pow(v[(((c * 3) + d + i) * 4 + h) * 5 + 2 * w + j], p);
          EXPECT_NEAR(got[k], std::pow(sum, 1 / p), 1e-13) << k;
        }
  nn::LPPool3d pool(p, {2, 1, 3}, {1, 1, 2});
  EXPECT_TRUE(equal(pool.forward(x), y));
}

TEST(LpPool, Gradchecks) {
  const auto positive = [](const Dims& shape) { return (rand(shape, kFloat64) + 0.5).requires_grad_(true); };
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::lp_pool2d(in[0], 2, 2); }, {positive({1, 2, 4, 5})});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return F::lp_pool2d(in[0], 3.5, {3, 2}, {1, 2}, true);
      },
      {positive({2, 5, 5})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::lp_pool1d(in[0], 1.5, 2); }, {positive({2, 3, 7})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::lp_pool3d(in[0], 2, 2, 1); },
                   {positive({1, 1, 3, 3, 3})});
}

TEST(LpPool, ModulesReprsAndErrors) {
  EXPECT_EQ(nn::LPPool2d(2, 3, 2).extra_repr(), "norm_type=2.0, kernel_size=3, stride=2, ceil_mode=False");
  EXPECT_EQ(nn::LPPool2d(1.5, {2, 3}).extra_repr(), "norm_type=1.5, kernel_size=(2, 3), stride=None, ceil_mode=False");
  EXPECT_EQ(nn::LPPool1d(1.5, 3).extra_repr(), "norm_type=1.5, kernel_size=3, stride=None, ceil_mode=False");
  EXPECT_EQ(nn::LPPool3d(2, 2, {}, true).extra_repr(), "norm_type=2.0, kernel_size=2, stride=None, ceil_mode=True");
  const Tensor x = ref_x4().abs();
  EXPECT_TRUE(equal(nn::LPPool2d(2, {2, 3}, {2, 2}).forward(x), F::lp_pool2d(x, 2, {2, 3}, {2, 2})));
  EXPECT_TRUE(equal(nn::LPPool1d(2, 3, 2).forward(ref_x().abs().view({1, 6, 7})),
                    F::lp_pool1d(ref_x().abs().view({1, 6, 7}), 2, 3, 2)));
  EXPECT_EMBER_ERROR(F::lp_pool2d(x, 0, 2), "lp_pool2d: norm_type must be a finite nonzero number, but got 0");
  EXPECT_EMBER_ERROR(F::lp_pool1d(x[0], std::nan(""), 2), "lp_pool1d: norm_type must be a finite nonzero number");
  // the average pooling's own checks reach the user
  EXPECT_THROW(F::lp_pool2d(x, 2, 9), Error);
}

TEST(RReLU, EvalIsTheMeanSlope) {
  const Tensor x = ref_x4();
  EXPECT_TRUE(equal(F::rrelu(x, 0.1, 0.3, /*training=*/false), F::leaky_relu(x, 0.2)));
  nn::RReLU layer;
  layer.eval();
  EXPECT_TRUE(equal(layer.forward(x), F::leaky_relu(x, (1.0 / 8 + 1.0 / 3) / 2)));
  EXPECT_EQ(layer.extra_repr(), "lower=0.125, upper=0.3333333333333333");  // PyTorch 1.13's repr
  EXPECT_TRUE(layer.depends_on_training_flag());
  EXPECT_FALSE(nn::RReLU(0.2, 0.2).depends_on_training_flag());
  EXPECT_EMBER_ERROR(F::rrelu(x, 0.5, 0.1, true), "Lower bound should be less than or equal to the upper bound");
  EXPECT_EMBER_ERROR(nn::RReLU(0.5, 0.1), "Lower bound should be less than or equal to the upper bound");
  EXPECT_EMBER_ERROR(F::rrelu(ones({3}, dtype(kInt64)), 0.1, 0.3, true),
                     "\"rrelu_with_noise\" not implemented for 'Long'");
}

TEST(RReLU, TrainingDrawsASlopePerNegativeElement) {
  manual_seed(11);
  const Tensor x =
      cat({-rand({20000}, kFloat64) - 0.01, rand({100}, kFloat64), zeros({1}, dtype(kFloat64))}).requires_grad_(true);
  const Tensor y = F::rrelu(x, 0.1, 0.3, /*training=*/true);
  y.sum().backward();
  const std::vector<double> xs = x.detach().to_vector<double>(), ys = y.detach().to_vector<double>(),
                            gs = x.grad().to_vector<double>();
  double mean = 0;
  for (size_t i = 0; i < 20000; ++i) {
    const double slope = ys[i] / xs[i];
    ASSERT_GE(slope, 0.1 - 1e-12);
    ASSERT_LE(slope, 0.3 + 1e-12);
    EXPECT_NEAR(gs[i], slope, 1e-12);  // the gradient is the slope used
    mean += slope / 20000;
  }
  EXPECT_NEAR(mean, 0.2, 0.005);  // U(0.1, 0.3): the standard error is 0.0004
  for (size_t i = 20000; i < 20100; ++i) {
    EXPECT_EQ(ys[i], xs[i]);
    EXPECT_EQ(gs[i], 1.0);
  }
  EXPECT_EQ(ys[20100], 0.0);  // x = 0 takes a random slope, as PyTorch's x <= 0
  EXPECT_GE(gs[20100], 0.1);
  EXPECT_LE(gs[20100], 0.3);
  // The same seed, the same slopes.
  manual_seed(11);
  const Tensor again = cat({-rand({20000}, kFloat64) - 0.01, rand({100}, kFloat64), zeros({1}, dtype(kFloat64))});
  EXPECT_TRUE(equal(F::rrelu(again, 0.1, 0.3, true), y.detach()));
}

TEST(Softmax2d, IsSoftmaxOverChannels) {
  const Tensor x = ref_x4();
  nn::Softmax2d layer;
  EXPECT_TRUE(equal(layer.forward(x), F::softmax(x, 1)));
  EXPECT_TRUE(equal(layer.forward(x[0]), F::softmax(x[0], 0)));
  EXPECT_EMBER_ERROR(layer.forward(ref_x()), "Softmax2d: expected input to be 3D or 4D, got 2D instead");
}

}  // namespace
}  // namespace ember
