// max_pool2d, avg_pool2d and adaptive_avg_pool2d against direct loops, their gradients
// by gradcheck, recording only when needed, errors, and the pooling modules.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include <ember/ember.h>

#include "autograd/gradcheck.h"
#include "nn/pooling.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;

enum class Kind { Max, Avg, Adaptive };

// Direct pooling of [P, H, W] planes; k/s/p are the window for Max/Avg, k the output size for Adaptive.
std::vector<double> reference_pool(const Tensor& x, Kind kind, Dims k, Dims s, Dims p, Dims& out_shape) {
  const auto v = x.to_vector<double>();
  const int64_t H = x.size(x.dim() - 2), W = x.size(x.dim() - 1), P = x.numel() / (H * W);
  const bool adaptive = kind == Kind::Adaptive;
  const int64_t OH = adaptive ? k[0] : (H + 2 * p[0] - k[0]) / s[0] + 1;
  const int64_t OW = adaptive ? k[1] : (W + 2 * p[1] - k[1]) / s[1] + 1;
  out_shape = x.sizes();
  out_shape[out_shape.size() - 2] = OH;
  out_shape[out_shape.size() - 1] = OW;
  std::vector<double> y;
  for (int64_t pl = 0; pl < P; ++pl)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t h0 = oh * (adaptive ? 1 : s[0]) - (adaptive ? 0 : p[0]), w0 = ow * (adaptive ? 1 : s[1]) - (adaptive ? 0 : p[1]);
        int64_t h1 = h0 + k[0], w1 = w0 + k[1];
        if (adaptive) h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH, w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) {
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            best = std::max(best, v[(pl * H + h) * W + w]);
            sum += v[(pl * H + h) * W + w];
          }
        y.push_back(kind == Kind::Max ? best : sum / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
  return y;
}

Tensor run(const Tensor& x, Kind kind, Dims k, Dims s, Dims p) {
  if (kind == Kind::Max) return F::max_pool2d(x, k, s, p);
  if (kind == Kind::Avg) return F::avg_pool2d(x, k, s, p);
  return F::adaptive_avg_pool2d(x, k);
}

struct PoolCase {
  Kind kind;
  Dims x_shape, k, s, p;
};

const std::vector<PoolCase> kCases = {
    {Kind::Max, {2, 3, 8, 8}, {2, 2}, {2, 2}, {0, 0}},  {Kind::Max, {2, 2, 7, 9}, {3, 3}, {2, 2}, {1, 1}},
    {Kind::Max, {2, 2, 7, 9}, {2, 2}, {2, 2}, {0, 0}},
    {Kind::Max, {3, 5, 6}, {3, 2}, {1, 2}, {1, 0}},     {Kind::Avg, {2, 3, 8, 8}, {2, 2}, {2, 2}, {0, 0}},
    {Kind::Avg, {2, 2, 7, 9}, {3, 3}, {2, 2}, {1, 1}},  {Kind::Avg, {1, 2, 5, 6}, {3, 2}, {1, 2}, {1, 1}},
    {Kind::Adaptive, {2, 3, 7, 5}, {3, 2}, {}, {}},     {Kind::Adaptive, {2, 3, 4, 4}, {1, 1}, {}, {}},
    {Kind::Adaptive, {1, 2, 5, 5}, {7, 3}, {}, {}},
};

class PoolFunctional : public ::testing::Test {
 protected:
  void SetUp() override { manual_seed(11); }
};

TEST_F(PoolFunctional, ForwardMatchesReference) {
  for (const DType dt : {kFloat64, kFloat32})
    for (const PoolCase& c : kCases) {
      const Tensor x = randn(c.x_shape, kFloat64);
      Dims shape;
      const auto expected = reference_pool(x, c.kind, c.k, c.s, c.p, shape);
      const Tensor y = run(x.to(dt), c.kind, c.k, c.s, c.p);
      ASSERT_EQ(y.sizes(), shape) << "x" << c.x_shape << " k" << c.k;
      testing::expect_values(y, expected, dt == kFloat64 ? 1e-12 : 1e-5);
    }
}

TEST_F(PoolFunctional, Gradcheck) {
  for (const PoolCase& c : kCases) {
    const Tensor x = randn(c.x_shape, kFloat64).requires_grad_(true);
    const auto r = autograd::gradcheck_report([&](const Inputs& v) { return run(v[0], c.kind, c.k, c.s, c.p); }, {x});
    EXPECT_TRUE(r.ok) << "x" << c.x_shape << " k" << c.k << ": " << r.message;
  }
}

TEST_F(PoolFunctional, MaxPoolPropagatesNaNInTheTwoByTwoPath) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = tensor(std::vector<float>{1, nan, 3, 4, 5, 6, 7, 8}, {1, 1, 2, 4});
  const auto y = F::max_pool2d(x, {2}).to_vector<float>();
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 8.0f);
}

TEST_F(PoolFunctional, DefaultStrideNodesAndNoGrad) {
  const Tensor x = randn({2, 3, 8, 8}).requires_grad_(true);
  const Tensor y = F::max_pool2d(x, {2});
  EXPECT_EQ(y.sizes(), Dims({2, 3, 4, 4}));
  EXPECT_EQ(y.grad_fn()->name(), "MaxPool2DWithIndicesBackward");
  EXPECT_EQ(F::avg_pool2d(x, {2, 2}).grad_fn()->name(), "AvgPool2DBackward");
  EXPECT_EQ(F::adaptive_avg_pool2d(x, {1}).grad_fn()->name(), "AdaptiveAvgPool2DBackward");
  y.sum().backward();
  EXPECT_DOUBLE_EQ(x.grad().sum().item<double>(), 2.0 * 3 * 16);  // one winner per window
  NoGradGuard g;
  EXPECT_EQ(F::max_pool2d(x, {2}).grad_fn(), nullptr);
}

TEST_F(PoolFunctional, ErrorMessages) {
  const Tensor x = randn({1, 2, 4, 4});
  EXPECT_EMBER_ERROR(F::max_pool2d(x, {2}, {2}, {2}), "pad should be at most half of effective kernel size");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, {5}), "Output size is too small");
  EXPECT_EMBER_ERROR(F::avg_pool2d(randn({4, 4}), {2}), "Expected 3D or 4D (batch mode) tensor");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, {0}), "kernel size should be greater than zero");
  EXPECT_EMBER_ERROR(F::adaptive_avg_pool2d(x, {1, 2, 3}), "expected output_size to be a single integer or a pair");
}

TEST(PoolModule, ShapesAndRepr) {
  nn::MaxPool2d max_pool(2);
  EXPECT_EQ(max_pool.forward(randn({2, 32, 28, 28})).sizes(), Dims({2, 32, 14, 14}));
  EXPECT_EQ(max_pool.extra_repr(), "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False");
  nn::AvgPool2d avg_pool(3, 2, 1);
  EXPECT_EQ(avg_pool.forward(randn({1, 4, 7, 7})).sizes(), Dims({1, 4, 4, 4}));
  EXPECT_EQ(avg_pool.extra_repr(), "kernel_size=3, stride=2, padding=1");
  nn::AdaptiveAvgPool2d adaptive({2, 3});
  EXPECT_EQ(adaptive.forward(randn({1, 4, 7, 7})).sizes(), Dims({1, 4, 2, 3}));
  EXPECT_EQ(adaptive.extra_repr(), "output_size=(2, 3)");
  EXPECT_TRUE(adaptive.parameters().empty());
}

}  // namespace
}  // namespace ember
