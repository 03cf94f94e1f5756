// nn::init against torch.nn.init (PyTorch 1.13): gains and fans, the distributions' ranges
// and moments on large draws, structured fills (eye_, dirac_, orthogonal_), trunc_normal_'s
// bounds and quantile, in-place semantics (leaf kept, version bumped), and PyTorch's errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace init = nn::init;
using ember::testing::error_of;
using ember::testing::expect_values;

struct Moments {
  double mean, std, min, max;
};
Moments moments_of(const Tensor& t) {
  const auto v = t.to(kFloat64).to_vector<double>();
  double sum = 0, sq = 0, lo = v[0], hi = v[0];
  for (double x : v) {
    sum += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double mean = sum / static_cast<double>(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return {mean, std::sqrt(sq / static_cast<double>(v.size() - 1)), lo, hi};
}

// Values printed by torch.nn.init.calculate_gain and _calculate_fan_in_and_fan_out.
TEST(Init, GainsAndFansAsPyTorch) {
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu"), 1.4141428569978354);
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", 0.2), 1.3867504905630728);
  EXPECT_DOUBLE_EQ(init::calculate_gain("selu"), 0.75);
  EXPECT_DOUBLE_EQ(init::calculate_gain("tanh"), 1.6666666666666667);
  EXPECT_DOUBLE_EQ(init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain("conv_transpose2d"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("sigmoid"), 1.0);
  EXPECT_EQ(error_of([] { init::calculate_gain("foo"); }), "Unsupported nonlinearity foo");
  EXPECT_EQ(error_of([] { init::calculate_gain("conv4d"); }), "Unsupported nonlinearity conv4d");
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({6, 4, 3, 3})), (std::pair<int64_t, int64_t>{36, 54}));
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({6, 4})), (std::pair<int64_t, int64_t>{4, 6}));
  EXPECT_EQ(error_of([] { init::xavier_uniform_(empty({3})); }),
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
}

TEST(Init, RandomFillsHaveTheirDistributions) {
  manual_seed(1);
  const Tensor w = empty({256, 64, 3, 3});  // fan_in 576, fan_out 2304, 147456 values
  init::kaiming_uniform_(w, 0.0, "fan_in", "relu");
  const double kaiming_bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(576.0);
  Moments m = moments_of(w);
  EXPECT_LE(m.max, kaiming_bound);
  EXPECT_GE(m.min, -kaiming_bound);
  EXPECT_GT(m.max, 0.99 * kaiming_bound);
  EXPECT_NEAR(m.std, kaiming_bound / std::sqrt(3.0), 0.01 * kaiming_bound);
  EXPECT_NEAR(m.mean, 0.0, 0.01 * kaiming_bound);

  init::kaiming_normal_(w, 0.0, "fan_out", "relu");
  m = moments_of(w);
  EXPECT_NEAR(m.std, std::sqrt(2.0 / 2304.0), 0.01 * std::sqrt(2.0 / 2304.0));
  EXPECT_NEAR(m.mean, 0.0, 0.01 * m.std);

  init::xavier_uniform_(w, 2.0);
  const double xavier_std = 2.0 * std::sqrt(2.0 / (576.0 + 2304.0));
  m = moments_of(w);
  EXPECT_LE(m.max, std::sqrt(3.0) * xavier_std);
  EXPECT_NEAR(m.std, xavier_std, 0.01 * xavier_std);
  init::xavier_normal_(w);
  EXPECT_NEAR(moments_of(w).std, xavier_std / 2, 0.01 * xavier_std);

  init::uniform_(w, -0.5, 1.5);
  m = moments_of(w);
  EXPECT_GE(m.min, -0.5);
  EXPECT_LT(m.max, 1.5);
  EXPECT_NEAR(m.mean, 0.5, 0.01);
  init::normal_(w, 3.0, 0.25);
  m = moments_of(w);
  EXPECT_NEAR(m.mean, 3.0, 0.005);
  EXPECT_NEAR(m.std, 0.25, 0.0025);
  // the same seed, the same values
  manual_seed(9);
  const Tensor a = init::normal_(empty({100}));
  manual_seed(9);
  EXPECT_TRUE(equal(a, init::normal_(empty({100}))));
}

// The mean and std of N(0, 1) truncated to [-2, 2] and to [0.5, 3] (closed forms), and
// the bounds held in the far tail, where a rejection sampler would stall.
TEST(Init, TruncNormalIsTheTruncatedDistribution) {
  manual_seed(2);
  const Tensor t = init::trunc_normal_(empty({200000}, kFloat64));
  Moments m = moments_of(t);
  EXPECT_GE(m.min, -2.0);
  EXPECT_LE(m.max, 2.0);
  EXPECT_GT(m.max, 1.99);
  EXPECT_NEAR(m.mean, 0.0, 0.005);
  EXPECT_NEAR(m.std, 0.8796, 0.005);  // sqrt(1 - 2 * 2 * phi(2) / (Phi(2) - Phi(-2)))
  init::trunc_normal_(t, 1.0, 2.0, 2.0, 7.0);  // standardised [0.5, 3]
  m = moments_of(t);
  EXPECT_GE(m.min, 2.0);
  EXPECT_LE(m.max, 7.0);
  EXPECT_NEAR(m.mean, 1.0 + 2.0 * 1.131665, 0.01);  // (phi(0.5) - phi(3)) / (Phi(3) - Phi(0.5))
  init::trunc_normal_(t, 0.0, 1.0, 8.0, 9.0);
  m = moments_of(t);
  EXPECT_GE(m.min, 8.0);
  EXPECT_LE(m.max, 9.0);
  EXPECT_LT(m.mean, 8.2);  // most mass near 8: mean 8 + ~1/8
  EXPECT_EQ(error_of([&] { init::trunc_normal_(t, 0.0, 1.0, 2.0, -2.0); }),
            "trunc_normal_: expected a <= b, but got a=2 and b=-2");
}

TEST(Init, StructuredFillsAsPyTorch) {
  expect_values(init::eye_(empty({2, 3})), {1, 0, 0, 0, 1, 0}, 0.0);
  // t = torch.empty(4, 2, 3); nn.init.dirac_(t, groups=2)
  expect_values(init::dirac_(empty({4, 2, 3}), 2), {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,  //
                                                    0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0},
                0.0);
  // a dirac conv2d weight copies its input's channels
  const Tensor w = init::dirac_(empty({3, 3, 3, 3}));
  const Tensor x = randn({2, 3, 5, 5});
  EXPECT_LT(testing::max_abs_diff(nn::functional::conv2d(x, w, Tensor(), 1, 1), x), 1e-6);
  expect_values(init::constant_(empty({3}), 2.5), {2.5, 2.5, 2.5}, 0.0);
  expect_values(init::ones_(empty({2})), {1, 1}, 0.0);
  expect_values(init::zeros_(empty({2}, kInt64)), {0, 0}, 0.0);
  EXPECT_EQ(error_of([] { init::eye_(empty({3})); }), "Only tensors with 2 dimensions are supported");
  EXPECT_EQ(error_of([] { init::dirac_(empty({3, 3})); }), "Only tensors with 3, 4, or 5 dimensions are supported");
  EXPECT_EQ(error_of([] { init::dirac_(empty({5, 3, 3, 3}), 2); }), "dim 0 must be divisible by groups");
}

TEST(Init, OrthogonalRowsOrColumns) {
  manual_seed(4);
  for (const Dims& shape : {Dims{6, 4}, Dims{4, 6}, Dims{5, 2, 3}, Dims{7, 7}}) {
    SCOPED_TRACE(shape.str());
    const Tensor w = init::orthogonal_(empty(shape), 1.5);
    const Tensor flat = w.reshape({shape[0], -1}).to(kFloat64);
    const bool tall = flat.size(0) >= flat.size(1);
    const Tensor gram = tall ? matmul(flat.t(), flat) : matmul(flat, flat.t());
    const int64_t n = gram.size(0);
    EXPECT_LT(testing::max_abs_diff(gram, eye(n, TensorOptions(kFloat64)).mul(2.25)), 1e-5);
  }
  EXPECT_EQ(error_of([] { init::orthogonal_(empty({3})); }), "Only tensors with 2 or more dimensions are supported");
}

TEST(Init, InPlaceOnParametersAndErrors) {
  nn::Conv2d conv(3, 8, 3);
  const int64_t version = conv.weight.version();
  const Tensor same = init::kaiming_normal_(conv.weight, 0.0, "fan_out", "relu");
  EXPECT_TRUE(conv.weight.is_leaf());
  EXPECT_TRUE(conv.weight.requires_grad());
  EXPECT_EQ(same.data_ptr(), conv.weight.data_ptr());
  EXPECT_GT(conv.weight.version(), version);
  init::zeros_(conv.bias);
  EXPECT_EQ(conv.bias.abs().sum().item<double>(), 0.0);
  // bfloat16 draws are rounded from float32
  const Tensor bf = init::uniform_(empty({1000}, kBFloat16), -1, 1);
  EXPECT_EQ(bf.dtype(), kBFloat16);
  EXPECT_LE(moments_of(bf).max, 1.0);
  EXPECT_EQ(init::kaiming_uniform_(empty({0, 3})).numel(), 0);  // PyTorch: a no-op
  EXPECT_EQ(error_of([] { init::uniform_(empty({3}, kInt64)); }), "\"check_uniform_bounds\" not implemented for 'Long'");
  EXPECT_EQ(error_of([] { init::uniform_(empty({3}), 2, 1); }),
            "uniform_ expects to return a [from, to) range, but found from=2 > to=1");
  EXPECT_EQ(error_of([] { init::normal_(empty({3}), 0, -1); }), "normal expects std >= 0.0, but found std -1");
  EXPECT_EQ(error_of([] {
              init::kaiming_uniform_(empty({3, 4}), 0, "fan");
            }),
            "Mode fan not supported, please use one of ['fan_in', 'fan_out']");
}

// A 16-bit uniform_ stays in [a, b): a draw that rounds up to b is a, as PyTorch's CUDA kernel.
TEST(Init, SixteenBitUniformStaysBelowTheUpperBound) {
  for (const DType dt : {kFloat16, kBFloat16}) {
    manual_seed(3);
    const Tensor w = empty({1 << 20}, dtype(dt));
    init::uniform_(w, 0.0, 1.0);
    EXPECT_LT(w.max().item<double>(), 1.0) << dtype_name(dt);
    EXPECT_GE(w.min().item<double>(), 0.0) << dtype_name(dt);
    init::uniform_(w, -1.0, 1.0);
    EXPECT_LT(w.max().item<double>(), 1.0) << dtype_name(dt);
    EXPECT_NEAR(w.to(kFloat32).mean().item<double>(), 0.0, 0.01) << dtype_name(dt);
  }
}

}  // namespace
}  // namespace ember
