// nn/distributions_more.h against closed forms (python3 float64 from PyTorch's formulas,
// torch/distributions/*.py): Independent, the tanh-squashed Gaussian with its cache, an
// affine map that reverses the cdf, LogNormal, HalfNormal, Exponential, Laplace, Cauchy,
// Gumbel, OneHotCategorical, and their kl_divergence pairs.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace D = distributions;
using ember::testing::expect_values;

Tensor f64(std::vector<double> v) {
  const auto n = static_cast<int64_t>(v.size());
  return tensor(v, Dims{n}, kFloat64);
}
double at(const Tensor& t) { return t.item<double>(); }
Tensor scalar(double v) { return full({}, v, dtype(kFloat64)); }

TEST(DistributionsMore, IndependentSumsTheReinterpretedDims) {
  manual_seed(1);
  const Tensor mu = randn({2, 3}, dtype(kFloat64)), sigma = rand({2, 3}, dtype(kFloat64)) + 0.5;
  auto normal = std::make_shared<D::Normal>(mu, sigma);
  const D::Independent diagonal(normal, 1);
  EXPECT_EQ(diagonal.batch_shape(), (Dims{2}));
  EXPECT_EQ(diagonal.event_shape(), (Dims{3}));
  const Tensor x = randn({2, 3}, dtype(kFloat64));
  EXPECT_TRUE(allclose(diagonal.log_prob(x), normal->log_prob(x).sum(Dims{-1}), 0, 1e-14));
  EXPECT_TRUE(allclose(diagonal.entropy(), normal->entropy().sum(Dims{-1}), 0, 1e-14));
  EXPECT_EQ(diagonal.rsample({5}).sizes(), (Dims{5, 2, 3}));
  EXPECT_TRUE(diagonal.has_rsample());
  // KL sums the base's; another reinterpretation is PyTorch's NotImplementedError.
  auto other = std::make_shared<D::Normal>(mu * 0.5, sigma * 2.0);
  EXPECT_TRUE(allclose(D::kl_divergence(diagonal, D::Independent(other, 1)),
                       D::kl_divergence(*normal, *other).sum(Dims{-1}), 0, 1e-14));
  EXPECT_EMBER_ERROR(D::kl_divergence(diagonal, D::Independent(other, 2)), "NotImplementedError");
  EXPECT_EMBER_ERROR(D::Independent(normal, 3),
                     "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual 3 vs 2");
  // The event size is checked now: a value of 4 elements per event is refused.
  EXPECT_EMBER_ERROR(diagonal.log_prob(randn({2, 4}, dtype(kFloat64))), "must match event_shape");
  // Gradients reach the base's parameters through rsample.
  const Tensor loc = zeros({3}, dtype(kFloat64)).requires_grad_(true);
  const D::Independent policy(std::make_shared<D::Normal>(loc, 1.0), 1);
  policy.rsample({4}).sum().backward();
  EXPECT_TRUE(equal(loc.grad(), full({3}, 4.0, dtype(kFloat64))));
}

// SAC's policy: TransformedDistribution(Normal(mu, std), [TanhTransform(cache_size=1)]).
TEST(DistributionsMore, TanhSquashedGaussianAsSac) {
  manual_seed(2);
  const Tensor mu = f64({0.3, -1.0, 2.0, 20.0}).requires_grad_(true);
  const Tensor log_std = f64({-0.5, 0.1, 0.0, -3.0}).requires_grad_(true);
  auto base = std::make_shared<D::Normal>(mu, log_std.exp());
  const D::TransformedDistribution policy(base, {std::make_shared<D::TanhTransform>(/*cache_size=*/1)});
  EXPECT_EQ(policy.batch_shape(), (Dims{4}));
  const Tensor action = policy.rsample();
  const Tensor log_prob = policy.log_prob(action);
  // The cached pre-squash value: finite even where tanh rounded to 1 (mu = 20).
  EXPECT_EQ(action[3].item<double>(), 1.0);
  EXPECT_TRUE(std::isfinite(log_prob[3].item<double>()));
  // Against the formula on the pre-squash draw, for the three whose atanh is exact enough.
  const Tensor u = atanh(action.detach().narrow(0, 0, 3));
  const D::Normal first_three(mu.detach().narrow(0, 0, 3), log_std.detach().exp().narrow(0, 0, 3));
  const Tensor expected = first_three.log_prob(u) - 2.0 * (std::log(2.0) - u - nn::functional::softplus(-2.0 * u));
  EXPECT_LT(testing::max_abs_diff(log_prob.detach().narrow(0, 0, 3), expected), 1e-6);
  // Without the cache, the same value is taken back through atanh: the fourth is infinite.
  const D::TransformedDistribution uncached(base, {std::make_shared<D::TanhTransform>()});
  EXPECT_FALSE(std::isfinite(uncached.log_prob(action.detach())[3].item<double>()));
  // The SAC loss trains mu and log_std.
  (-log_prob.sum() + action.pow(2.0).sum()).backward();
  EXPECT_TRUE(mu.grad().defined());
  EXPECT_TRUE(log_std.grad().defined());
  EXPECT_EMBER_ERROR(policy.mean(), "NotImplementedError");
}

TEST(DistributionsMore, AnAffineMapWithNegativeScaleReversesTheCdf) {
  const D::TransformedDistribution d(std::make_shared<D::Normal>(0.0, 1.0),
                                     {std::make_shared<D::AffineTransform>(1.0, -2.0)});
  const Tensor y = full({}, 0.3);
  EXPECT_NEAR(at(d.log_prob(y)), -1.6733357137646179, 1e-6);
  EXPECT_NEAR(at(d.cdf(y)), 0.363169348824381, 1e-6);
  EXPECT_NEAR(at(d.icdf(d.cdf(y))), 0.3, 1e-5);
  // An event of two dims: one log-determinant per event.
  const D::TransformedDistribution pair(std::make_shared<D::Normal>(zeros({3, 2}, dtype(kFloat64)), 1.0),
                                        {std::make_shared<D::AffineTransform>(scalar(0.0), scalar(3.0), 1)});
  EXPECT_EQ(pair.batch_shape(), (Dims{3}));
  EXPECT_EQ(pair.event_shape(), (Dims{2}));
  const Tensor v = ones({3, 2}, dtype(kFloat64));
  const Tensor z = v / 3.0;
  const Tensor by_hand = D::Normal(0.0, 1.0).log_prob(z).sum(Dims{-1}) - 2.0 * std::log(3.0);
  EXPECT_TRUE(allclose(pair.log_prob(v), by_hand, 0, 1e-12));
}

TEST(DistributionsMore, LogNormalAndHalfNormal) {
  const D::LogNormal lognormal(scalar(0.5), scalar(0.8));
  EXPECT_NEAR(at(lognormal.log_prob(scalar(2.0))), -1.4180873447615459, 1e-12);
  EXPECT_NEAR(at(lognormal.mean()), 2.270499837532406, 1e-12);
  EXPECT_NEAR(at(lognormal.variance()), 4.621510897294225, 1e-12);
  EXPECT_NEAR(at(lognormal.mode()), 0.8693582353988059, 1e-12);
  EXPECT_NEAR(at(lognormal.entropy()), 1.695794981890463, 1e-12);
  EXPECT_NEAR(at(lognormal.cdf(scalar(2.0))), 0.5953906086792149, 1e-12);
  EXPECT_NEAR(at(D::kl_divergence(lognormal, D::LogNormal(scalar(0.0), scalar(1.0)))),
              at(D::kl_divergence(D::Normal(scalar(0.5), scalar(0.8)), D::Normal(scalar(0.0), scalar(1.0)))), 1e-14);
  EXPECT_GT(lognormal.sample({100}).min().item<double>(), 0.0);
  // The support is the last transform's codomain, as PyTorch's _validate_sample.
  EXPECT_EMBER_ERROR(lognormal.log_prob(scalar(-1.0)), "to be within the support (GreaterThan(lower_bound=0.0))");
  // |x| is no bijection: a generic TransformedDistribution over it has no density or cdf.
  const D::TransformedDistribution folded(std::make_shared<D::Normal>(0.0, 1.0), {std::make_shared<D::AbsTransform>()});
  EXPECT_EMBER_ERROR(folded.log_prob(full({}, 0.5)), "NotImplementedError");
  EXPECT_EMBER_ERROR(folded.cdf(full({}, 0.5)), "NotImplementedError");

  const D::HalfNormal half(scalar(2.0));
  EXPECT_NEAR(at(half.log_prob(scalar(1.5))), -1.2001885332046727, 1e-12);
  EXPECT_NEAR(at(half.mean()), 1.5957691216057308, 1e-12);
  EXPECT_NEAR(at(half.variance()), 1.4535209105296745, 1e-12);
  EXPECT_NEAR(at(half.entropy()), 1.4189385332046727, 1e-12);
  EXPECT_NEAR(at(half.cdf(scalar(1.5))), 0.5467452952462635, 1e-12);
  EXPECT_NEAR(at(half.icdf(half.cdf(scalar(1.5)))), 1.5, 1e-9);
  EXPECT_EMBER_ERROR(half.log_prob(scalar(-1.0)), "to be within the support (GreaterThanEq(lower_bound=0.0))");
  EXPECT_EQ(at(D::HalfNormal(scalar(2.0), false).log_prob(scalar(-1.0))), -std::numeric_limits<double>::infinity());
  EXPECT_GE(half.sample({1000}).min().item<double>(), 0.0);
}

TEST(DistributionsMore, ExponentialLaplaceCauchyGumbel) {
  const D::Exponential exponential(f64({0.5, 2.0}));
  expect_values(exponential.log_prob(full({2}, 1.5, dtype(kFloat64))), {-1.4431471805599454, -2.3068528194400546},
                1e-12);
  expect_values(exponential.cdf(full({2}, 1.5, dtype(kFloat64))), {0.5276334472589853, 0.950212931632136}, 1e-12);
  expect_values(exponential.entropy(), {1.6931471805599454, 0.3068528194400547}, 1e-12);
  EXPECT_NEAR(at(D::kl_divergence(D::Exponential(0.5), D::Exponential(2.0))), 1.6137056388801092, 1e-6);
  EXPECT_EMBER_ERROR(D::Exponential(-1.0), "Expected parameter rate");
  // rsample: x = -log(1 - u) / rate, so dx/drate = -x / rate.
  const Tensor rate = f64({2.0}).requires_grad_(true);
  const Tensor x = D::Exponential(rate).rsample({1000});
  x.sum().backward();
  EXPECT_NEAR(at(rate.grad()[0]), -x.detach().sum().item<double>() / 2.0, 1e-9);
  EXPECT_NEAR(x.detach().mean().item<double>(), 0.5, 0.06);

  const D::Laplace laplace(0.5, 2.0);
  EXPECT_NEAR(at(laplace.log_prob(full({}, 1.2))), -1.7362943611198904, 1e-6);
  EXPECT_NEAR(at(laplace.cdf(full({}, 1.2))), 0.6476559551406433, 1e-6);
  EXPECT_NEAR(at(laplace.icdf(laplace.cdf(full({}, 1.2)))), 1.2, 1e-5);
  EXPECT_NEAR(at(laplace.entropy()), 2.386294361119891, 1e-6);
  EXPECT_NEAR(at(D::kl_divergence(laplace, D::Laplace(-1.0, 1.0))), 0.7515859249220842, 1e-6);
  manual_seed(5);
  const Tensor draws = D::Laplace(scalar(0.5), scalar(2.0)).sample({200000});
  EXPECT_NEAR(draws.var().item<double>(), 8.0, 0.2);

  const D::Cauchy cauchy(1.0, 0.5);
  EXPECT_NEAR(at(cauchy.log_prob(full({}, 2.0))), -2.061020617723555, 1e-6);
  EXPECT_NEAR(at(cauchy.entropy()), 1.8378770664093453, 1e-6);
  EXPECT_NEAR(at(cauchy.cdf(full({}, 2.0))), 0.8524163823495667, 1e-6);  // z = 2
  EXPECT_TRUE(std::isnan(at(cauchy.mean())));
  EXPECT_TRUE(std::isinf(at(cauchy.variance())));
  EXPECT_NEAR(at(D::kl_divergence(cauchy, D::Cauchy(0.0, 2.0))), 0.5947071077466928, 1e-6);

  const D::Gumbel gumbel(scalar(1.0), scalar(2.0));
  EXPECT_NEAR(at(gumbel.log_prob(scalar(3.0))), -2.0610266217313877, 1e-12);
  EXPECT_NEAR(at(gumbel.mean()), 2.1544313298030655, 1e-12);
  EXPECT_NEAR(at(gumbel.variance()), 6.579736267392906, 1e-12);
  EXPECT_NEAR(at(gumbel.cdf(scalar(3.0))), 0.6922006275553464, 1e-12);
  EXPECT_NEAR(at(gumbel.entropy()), 2.270362845461478, 1e-12);
  EXPECT_NEAR(at(D::kl_divergence(gumbel, D::Gumbel(scalar(0.0), scalar(1.0)))), 0.619827366684472, 1e-12);
  EXPECT_NEAR(gumbel.sample({200000}).mean().item<double>(), 2.1544313298030655, 0.03);
  EXPECT_EMBER_ERROR(D::Gumbel(1.0, 0.0), "Expected parameter scale");
}

TEST(DistributionsMore, OneHotCategoricalAndStraightThrough) {
  manual_seed(7);
  const D::OneHotCategorical one_hot({.probs = f64({0.2, 0.3, 0.5})});
  EXPECT_EQ(one_hot.event_shape(), (Dims{3}));
  const Tensor draws = one_hot.sample({4000});
  EXPECT_EQ(draws.sizes(), (Dims{4000, 3}));
  EXPECT_TRUE(equal(draws.sum(Dims{-1}), ones({4000}, dtype(kFloat64))));
  EXPECT_NEAR(draws.mean(Dims{0})[2].item<double>(), 0.5, 0.03);
  EXPECT_NEAR(at(one_hot.log_prob(f64({0, 0, 1}))), std::log(0.5), 1e-12);
  EXPECT_TRUE(equal(one_hot.mode(), f64({0, 0, 1})));
  EXPECT_EMBER_ERROR(one_hot.log_prob(f64({0.5, 0.5, 0})), "to be within the support (OneHot())");
  EXPECT_FALSE(one_hot.has_rsample());
  EXPECT_NEAR(at(D::kl_divergence(one_hot, D::OneHotCategorical({.probs = f64({0.5, 0.25, 0.25})}))),
              at(D::kl_divergence(D::Categorical({.probs = f64({0.2, 0.3, 0.5})}),
                                  D::Categorical({.probs = f64({0.5, 0.25, 0.25})}))),
              1e-14);

  const Tensor logits = f64({0.1, -0.4, 0.3}).requires_grad_(true);
  const D::OneHotCategorical straight({.logits = logits}, std::nullopt, /*straight_through=*/true);
  EXPECT_EQ(straight.name(), "OneHotCategoricalStraightThrough");
  const Tensor sample = straight.rsample();
  EXPECT_TRUE(equal(sample.detach().sum(), full({}, 1.0, dtype(kFloat64))));
  (sample * f64({1, 2, 3})).sum().backward();
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_GT(logits.grad().abs().sum().item<double>(), 0.0);
}

// The review's smaller points: a number beside a tensor for Uniform (broadcast_all), and
// MultivariateNormal's messages printing the parameters' broadcast shapes, as PyTorch's.
TEST(DistributionsMore, UniformNumbersAndMultivariateNormalMessages) {
  const D::Uniform u(zeros({2}, dtype(kFloat64)), 1.0);
  EXPECT_EQ(u.batch_shape(), (Dims{2}));
  EXPECT_EQ(u.high().dtype(), kFloat64);
  EXPECT_TRUE(equal(D::Uniform(-1.0, ones({3})).low(), full({3}, -1.0)));
  const Tensor not_pd = tensor(std::vector<double>{1, 2, 0, 2, 1, 0, 0, 0, 1}, Dims{3, 3}, kFloat64);
  EXPECT_EMBER_ERROR(D::MultivariateNormal(zeros({2, 3}, dtype(kFloat64)), {.covariance_matrix = not_pd}),
                     "Expected parameter covariance_matrix (Tensor of shape (2, 3, 3))");
  Tensor loc = zeros({3}, dtype(kFloat64));
  loc = loc.index_fill(0, tensor(std::vector<int64_t>{1}), std::nan(""));
  EXPECT_EMBER_ERROR(D::MultivariateNormal(loc, {.covariance_matrix = eye(3, dtype(kFloat64)).expand({2, 3, 3})}),
                     "Expected parameter loc (Tensor of shape (2, 3))");
}

// The probe review's cases: a decreasing affine map after Exp (cdf and icdf through the signs),
// an affine map that would widen the base refused, support messages with the value's shape and
// the family's own name.
TEST(DistributionsMore, ChainsShapesAndMessages) {
  const D::TransformedDistribution chain(
      std::make_shared<D::Normal>(scalar(0.2), scalar(1.3)),
      {std::make_shared<D::ExpTransform>(), std::make_shared<D::AffineTransform>(1.0, -2.0)});
  EXPECT_NEAR(at(chain.cdf(scalar(-1.0))), 0.561134479249142, 1e-6);
  EXPECT_NEAR(at(chain.icdf(scalar(0.3))), -3.830103263682733, 1e-5);
  EXPECT_EMBER_ERROR(D::TransformedDistribution(std::make_shared<D::Normal>(0.0, 1.0),
                                                {std::make_shared<D::AffineTransform>(f64({1, 2, 3}), f64({1, 2, 3}))}),
                     "widens the base's shape");
  const D::OneHotCategorical one_hot({.probs = f64({0.2, 0.3, 0.5})});
  EXPECT_EMBER_ERROR(one_hot.log_prob(f64({0.5, 0.5, 0})), "Expected value argument (Tensor of shape (3,))");
  EXPECT_EMBER_ERROR(D::HalfNormal(-1.0), "Expected parameter scale (Tensor of shape ()) of distribution HalfNormal");
}

TEST(DistributionsMore, CrossFamilyPairsAsPyTorch) {
  EXPECT_NEAR(at(D::kl_divergence(D::Uniform(0.0, 2.0), D::Normal(0.5, 1.5))), 0.7608860903825214, 1e-6);
  EXPECT_TRUE(std::isinf(at(D::kl_divergence(D::Normal(0.5, 1.5), D::Uniform(0.0, 2.0)))));
  // kl.py's cross-family closed forms (float64, hand-computed from its formulas) and infinities.
  const auto kl = [](const D::Distribution& p, const D::Distribution& q) { return at(D::kl_divergence(p, q)); };
  EXPECT_NEAR(kl(D::Exponential(scalar(2.0)), D::Normal(scalar(0.5), scalar(1.5))), 1.0731063774283378, 1e-12);
  EXPECT_NEAR(kl(D::Laplace(scalar(0.5), scalar(2.0)), D::Normal(scalar(-1.0), scalar(1.5))), 1.2158870579707242,
              1e-12);
  EXPECT_NEAR(kl(D::Gumbel(scalar(1.0), scalar(2.0)), D::Normal(scalar(0.5), scalar(1.5))), 1.1244584163906572, 1e-12);
  EXPECT_NEAR(kl(D::Normal(scalar(0.5), scalar(1.5)), D::Gumbel(scalar(1.0), scalar(2.0))), 0.3198008410955091, 1e-12);
  EXPECT_NEAR(kl(D::Uniform(scalar(0.0), scalar(2.0)), D::Exponential(scalar(2.0))), 0.6137056388801094, 1e-12);
  EXPECT_NEAR(kl(D::Uniform(scalar(0.0), scalar(2.0)), D::Gumbel(scalar(1.0), scalar(2.0))), 1.0421906109874948, 1e-12);
  EXPECT_NEAR(kl(D::Exponential(scalar(2.0)), D::Gumbel(scalar(1.0), scalar(2.0))), 1.455271377679993, 1e-12);
  EXPECT_TRUE(std::isinf(kl(D::Uniform(-1.0, 2.0), D::Exponential(2.0))));
  EXPECT_TRUE(std::isinf(kl(D::Laplace(0.0, 1.0), D::Uniform(0.0, 1.0))));
  EXPECT_TRUE(std::isinf(kl(D::Gumbel(0.0, 1.0), D::Exponential(1.0))));
  EXPECT_TRUE(std::isinf(kl(D::Exponential(1.0), D::Uniform(0.0, 1.0))));
  EXPECT_NEAR(kl(D::Normal(scalar(0.1), scalar(1.0)), D::Laplace(scalar(0.0), scalar(1.0))), 0.07607930976470201,
              1e-12);
  EXPECT_EMBER_ERROR(D::kl_divergence(D::Cauchy(0.0, 1.0), D::Normal(0.0, 1.0)), "NotImplementedError");
}

}  // namespace
}  // namespace ember
