// alpha_dropout / feature_alpha_dropout (nn::AlphaDropout, nn::FeatureAlphaDropout) and
// gumbel_softmax: PyTorch 1.13's two output values of alpha dropout, its moments on a
// standard normal input, the gradient, the per-channel mask, eval and p = 0 / 1; Gumbel
// samples' frequencies and the straight-through gradient; the deprecated upsample aliases.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_values;

// The distinct values of a training alpha_dropout's output (sorted).
std::vector<double> distinct(const Tensor& t) {
  std::vector<double> v = t.to_vector<double>();
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

TEST(AlphaDropout, PyTorchsTwoValuesAndGradient) {
  manual_seed(0);
  // sorted(set(F.alpha_dropout(torch.ones(10000).double(), 0.2, training=True).tolist()))
  expect_values(tensor(distinct(F::alpha_dropout(ones({10000}, kFloat64), 0.2, true))),
                {-1.2361598485763778, 1.1879435455876273}, 1e-15);
  // the same with 2.0 and p = 0.5
  expect_values(tensor(distinct(F::alpha_dropout(full({10000}, 2.0, dtype(kFloat64)), 0.5, true))),
                {-0.7791939305180315, 2.5520037198498953}, 1e-15);
  // The gradient is a = ((1 - p)(1 + p alpha'^2))^-1/2 where kept, 0 where dropped.
  const Tensor x = randn({4000}, kFloat64).requires_grad_(true);
  const Tensor y = F::alpha_dropout(x, 0.2, true);
  y.sum().backward();
  const double a = 1.0 / std::sqrt((1.7580993408473766 * 1.7580993408473766 * 0.2 + 1.0) * 0.8);
  const Tensor dropped = y == -1.2361598485763778;
  EXPECT_TRUE(equal(x.grad(), where(dropped, 0.0, full_like(x, a))));
  const double kept_fraction = 1.0 - dropped.to(kFloat64).mean().item<double>();
  EXPECT_NEAR(kept_fraction, 0.8, 0.03);
}

TEST(AlphaDropout, KeepsAStandardNormalInputsMeanAndVariance) {
  manual_seed(1);
  const Tensor x = randn({400000});
  for (const double p : {0.1, 0.5}) {
    const Tensor y = F::alpha_dropout(x, p, true);
    EXPECT_NEAR(y.mean().item<double>(), 0.0, 0.01) << p;
    EXPECT_NEAR(y.var().item<double>(), 1.0, 0.02) << p;
  }
}

TEST(AlphaDropout, ModesAndLimits) {
  const Tensor x = randn({8, 3, 5});
  EXPECT_TRUE(F::alpha_dropout(x).is_same(x));  // PyTorch's functional default: training=False
  EXPECT_TRUE(F::alpha_dropout(x, 0.0, true).is_same(x));
  EXPECT_TRUE(equal(F::alpha_dropout(x, 1.0, true), zeros_like(x)));  // PyTorch's kernel: zeros
  nn::AlphaDropout layer(0.3);
  EXPECT_EQ(layer.repr(), "AlphaDropout(p=0.3, inplace=False)");
  EXPECT_FALSE(equal(layer(x), x));
  layer.eval();
  EXPECT_TRUE(layer(x).is_same(x));
  EXPECT_EQ(error_of([] { nn::AlphaDropout(1.5); }), "dropout probability has to be between 0 and 1, but got 1.5");
  EXPECT_EQ(error_of([&] { F::alpha_dropout(x, -0.1, true); }),
            "dropout probability has to be between 0 and 1, but got -0.1");
}

TEST(FeatureAlphaDropout, OneDrawPerChannel) {
  manual_seed(2);
  const Tensor x = ones({6, 10, 4, 4});
  nn::FeatureAlphaDropout layer(0.5);
  EXPECT_EQ(layer.repr(), "FeatureAlphaDropout(p=0.5, inplace=False)");
  const Tensor y = layer(x);
  // Each [n, c] plane holds one value: kept (a + b) or dropped (alpha' a (p - 1)).
  const Tensor planes = y.reshape({60, 16});
  EXPECT_TRUE(equal(planes, planes.select(1, 0).unsqueeze(1).expand({60, 16})));
  EXPECT_EQ(distinct(y).size(), 2u);
  EXPECT_EQ(error_of([] { F::feature_alpha_dropout(ones({5}), 0.5, true); }),
            "Feature dropout requires at least 2 dimensions in the input");
  // p = 1 gives zeros before the shape is looked at, as PyTorch's kernel; eval is the identity.
  EXPECT_TRUE(equal(F::feature_alpha_dropout(ones({5}), 1.0, true), zeros({5})));
  layer.eval();
  EXPECT_TRUE(layer(x).is_same(x));
  // The feature form's two values are the elementwise form's: kept a + b, dropped alpha' a (p - 1)
  // (PyTorch 1.13 with p = 0.5 on 2.0: -0.7791939305180315 and 2.5520037198498953).
  manual_seed(3);
  expect_values(tensor(distinct(F::feature_alpha_dropout(full({40, 10, 2}, 2.0, dtype(kFloat64)), 0.5, true))),
                {-0.7791939305180315, 2.5520037198498953}, 1e-15);
}

TEST(GumbelSoftmax, SamplesFollowTheSoftmaxOfTheLogits) {
  manual_seed(3);
  const Tensor logits = tensor({1.0, 0.0, -1.0, 2.0}, dtype(kFloat64));
  const Tensor many = logits.unsqueeze(0).expand({20000, 4});
  const Tensor soft = F::gumbel_softmax(many, 1.0, false);
  EXPECT_LT(ember::testing::max_abs_diff(soft.sum(Dims{1}), ones({20000}, kFloat64)), 1e-12);
  // The argmax of logits + Gumbel noise is a draw from softmax(logits).
  const Tensor hard = F::gumbel_softmax(many, 0.5, true);
  const Tensor frequencies = hard.mean(Dims{0});
  const Tensor expected = F::softmax(logits, 0);
  EXPECT_LT(ember::testing::max_abs_diff(frequencies, expected), 0.015);
  // hard: one-hot rows.
  EXPECT_TRUE(equal(hard.sum(Dims{1}), ones({20000}, kFloat64)));
  EXPECT_TRUE(equal((hard == 0.0) | (hard == 1.0), ones({20000, 4}, dtype(kBool))));
}

TEST(GumbelSoftmax, TemperatureSharpensTheSameSample) {
  // With the same noise, softmax((l + g) / tau) = softmax(log(softmax(l + g)) / tau).
  const Tensor logits = randn({6, 5}, kFloat64);
  manual_seed(7);
  const Tensor at_one = F::gumbel_softmax(logits, 1.0);
  manual_seed(7);
  const Tensor at_half = F::gumbel_softmax(logits, 0.5);
  EXPECT_LT(ember::testing::max_abs_diff(at_half, F::softmax(log(at_one) / 0.5, 1)), 1e-12);
  EXPECT_GT(ember::testing::max_abs_diff(at_half, at_one), 1e-3);
  // bfloat16 logits are sampled in float32; 0-dim logits give 1, as PyTorch's.
  EXPECT_EQ(F::gumbel_softmax(logits.to(kBFloat16)).dtype(), kBFloat16);
  expect_values(F::gumbel_softmax(full({}, 0.3, dtype(kFloat64))), {1.0}, 0);
}

TEST(GumbelSoftmax, HardSamplesPassTheSoftGradient) {
  // y_hard - y_soft.detach() + y_soft: the gradient is the soft sample's.
  Tensor logits = randn({3, 5}, kFloat64).requires_grad_(true);
  const Tensor w = randn({3, 5}, kFloat64);
  manual_seed(4);
  (F::gumbel_softmax(logits, 0.7, true) * w).sum().backward();
  const Tensor hard_grad = logits.grad().clone();
  logits.mutable_grad() = Tensor();
  manual_seed(4);
  (F::gumbel_softmax(logits, 0.7, false) * w).sum().backward();
  EXPECT_LT(ember::testing::max_abs_diff(hard_grad, logits.grad()), 1e-15);
  EXPECT_NE(error_of([&] { F::gumbel_softmax(logits, 1.0, false, 2); }).find("Dimension out of range"),
            std::string::npos);
}

TEST(Upsample, DeprecatedAliasesAreInterpolate) {
  const Tensor x = randn({1, 2, 3, 4});
  EXPECT_TRUE(equal(F::upsample(x, {}, 2.0), F::interpolate(x, {}, 2.0)));
  EXPECT_TRUE(equal(F::upsample_nearest(x, {6, 8}), F::interpolate(x, {6, 8}, {}, "nearest")));
  EXPECT_TRUE(equal(F::upsample_bilinear(x, {}, 2.0), F::interpolate(x, {}, 2.0, "bilinear", true)));
  EXPECT_TRUE(equal(F::upsample(x, {5, 5}, {}, "bicubic", false), F::interpolate(x, {5, 5}, {}, "bicubic", false)));
}

}  // namespace
}  // namespace ember
