// ember::distributions (Note [Distributions]): log_prob, entropy, cdf / icdf, moments and
// kl_divergence against torch.distributions 1.13, sample / rsample shapes, devices-free
// statistics of draws, gradients through rsample and log_prob, and PyTorch's checks.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/distributions.h"
#include "support/linalg_helpers.h"

namespace ember {
namespace {

namespace D = ember::distributions;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::f64;
using ember::testing::max_abs_diff;
using Inputs = std::vector<Tensor>;

const std::vector<double> kCovariance{4., 1., -2., 1., 2., 0.5, -2., 0.5, 3.};

// torch 1.13, float64.
TEST(Distributions, NormalAsPyTorch) {
  const D::Normal n(f64({0.5, -1.}, {2}), f64({2., 0.25}, {2}));
  EXPECT_EQ(n.batch_shape(), (Dims{2}));
  EXPECT_EQ(n.event_shape(), Dims{});
  const Tensor x = f64({1., -0.5}, {2});
  expect_values(n.log_prob(x), {-1.643335713764618, -1.532644172084782}, 1e-14);
  expect_values(n.entropy(), {2.112085713764618, 0.0326441720847821}, 1e-14);
  expect_values(n.cdf(x), {0.5987063256829237, 0.9772498680518208}, 1e-14);
  expect_values(n.icdf(f64({0.1, 0.8}, {2})), {-2.0631031310892016, -0.7895946916067714}, 1e-13);
  expect_values(n.mean(), {0.5, -1.0}, 0.0);
  expect_values(n.variance(), {4.0, 0.0625}, 0.0);
  expect_values(n.stddev(), {2.0, 0.25}, 0.0);
  expect_values(D::kl_divergence(n, D::Normal(f64({0., 0.}, {2}), f64({1., 3.}, {2}))),
                {0.9318528194400547, 2.043934427565778}, 1e-14);
  // scalars broadcast; draws take sample_shape + batch_shape
  EXPECT_EQ(D::Normal(0.0, 1.0).sample({3}).sizes(), (Dims{3}));
  EXPECT_EQ(n.sample({4, 5}).sizes(), (Dims{4, 5, 2}));
}

TEST(Distributions, UniformBernoulliAndCategoricalAsPyTorch) {
  const D::Uniform u(f64({0., -1.}, {2}), f64({2., 3.}, {2}));
  expect_values(u.log_prob(f64({1., 0.}, {2})), {-0.6931471805599453, -1.3862943611198906}, 1e-15);
  expect_values(u.entropy(), {0.6931471805599453, 1.3862943611198906}, 1e-15);
  expect_values(u.mean(), {1.0, 1.0}, 0.0);
  expect_values(u.variance(), {0.3333333333333333, 1.3333333333333333}, 1e-15);
  expect_values(u.cdf(f64({1., 0.}, {2})), {0.5, 0.25}, 0.0);

  const D::Bernoulli b({.probs = f64({0.2, 0.9}, {2})});
  expect_values(b.log_prob(f64({1., 0.}, {2})), {-1.6094379124341003, -2.302585092994046}, 1e-14);
  expect_values(b.entropy(), {0.5004024235381879, 0.32508297339144826}, 1e-14);
  expect_values(b.variance(), {0.16, 0.09}, 1e-15);
  expect_values(b.logits(), {-1.3862943611198906, 2.1972245773362196}, 1e-14);
  const D::Bernoulli bl({.logits = f64({0.3, -2.}, {2})});
  expect_values(bl.probs(), {0.574442516811659, 0.11920292202211755}, 1e-15);
  expect_values(bl.log_prob(f64({0., 1.}, {2})), {-0.854355244468527, -2.1269280110429727}, 1e-14);
  expect_values(bl.entropy(), {0.6820224894250293, 0.3653338550872077}, 1e-14);
  expect_values(D::kl_divergence(b, bl), {0.29395282093033936, 1.6018450376515245}, 1e-13);

  const D::Categorical c({.probs = f64({0.2, 0.3, 0.5, 0.6, 0.1, 0.3}, {2, 3})});
  EXPECT_EQ(c.batch_shape(), (Dims{2}));
  expect_values(c.log_prob(tensor(std::vector<int64_t>{2, 0}, {2})), {-0.6931471805599453, -0.5108256237659907}, 1e-15);
  expect_values(c.entropy(), {1.0296530140645737, 0.8979457248567798}, 1e-14);
  expect_values(c.logits(),
                {-1.6094379124341003, -1.2039728043259361, -0.6931471805599453, -0.5108256237659907,
                 -2.3025850929940455, -1.2039728043259361},
                1e-14);
  EXPECT_TRUE(std::isnan(c.mean().select(0, 0).item<double>()));
  const D::Categorical cl({.logits = f64({1., -1., 0.5}, {3})});
  expect_values(cl.probs(), {0.5740969929676946, 0.0776955791485706, 0.3482074278837349}, 1e-15);
  expect_values(cl.log_prob(tensor(std::vector<int64_t>{1, 2}, {2})), {-2.554956919641991, -1.0549569196419908}, 1e-14);
  expect_values(cl.entropy(), {0.8844517918809994}, 1e-14);
  expect_values(D::kl_divergence(c, cl), {0.3753039055774172, 0.007011194785210978}, 1e-14);
  EXPECT_EQ(c.sample({4}).sizes(), (Dims{4, 2}));
  EXPECT_EQ(c.sample({4}).dtype(), kInt64);
}

TEST(Distributions, MultivariateNormalAsPyTorch) {
  const Tensor S = f64(kCovariance, {3, 3});
  const D::MultivariateNormal m(f64({1., 0., -1.}, {3}), {.covariance_matrix = S});
  EXPECT_EQ(m.batch_shape(), Dims{});
  EXPECT_EQ(m.event_shape(), (Dims{3}));
  const Tensor y = f64({0.5, 0.5, 0.5}, {3});
  expect_values(m.log_prob(y), {-4.329983146111041}, 1e-13);
  expect_values(m.entropy(), {5.408108146111042}, 1e-13);
  expect_values(m.variance(), {4.0, 2.0, 3.0}, 1e-14);
  expect_values(m.scale_tril(),
                {2.0, 0.0, 0.0, 0.5, 1.3228756555322954, 0.0, -1.0, 0.7559289460184544, 1.1952286093343938}, 1e-14);
  EXPECT_LT(max_abs_diff(m.covariance_matrix(), S), 1e-14);
  const D::MultivariateNormal m2(zeros({3}, kFloat64),
                                 {.scale_tril = f64({1., 0., 0., 0.5, 2., 0., -1., 0.3, 1.5}, {3, 3})});
  expect_values(D::kl_divergence(m, m2), {1.87315307550442}, 1e-13);
  expect_values(m2.covariance_matrix(), {1.0, 0.5, -1.0, 0.5, 4.25, 0.1, -1.0, 0.1, 3.34}, 1e-14);
  const D::MultivariateNormal by_precision(zeros({3}, kFloat64), {.precision_matrix = S});
  expect_values(by_precision.log_prob(y), {-2.605523053116995}, 1e-13);
  expect_values(by_precision.covariance_matrix(), {0.575, -0.4, 0.45, -0.4, 0.8, -0.4, 0.45, -0.4, 0.7}, 1e-14);
  EXPECT_LT(max_abs_diff(by_precision.precision_matrix(), S), 1e-13);
  // batches broadcast between loc and the matrix; draws take sample + batch + event
  const D::MultivariateNormal batched(zeros({2, 3}, kFloat64), {.covariance_matrix = eye(3, kFloat64)});
  EXPECT_EQ(batched.batch_shape(), (Dims{2}));
  EXPECT_EQ(batched.rsample({5}).sizes(), (Dims{5, 2, 3}));
  EXPECT_EQ(batched.log_prob(zeros({4, 2, 3}, kFloat64)).sizes(), (Dims{4, 2}));
}

// Many draws have the moments they should (a loose, seed-fixed check of the samplers).
TEST(Distributions, DrawsHaveTheirMoments) {
  manual_seed(51);
  const D::Normal n(f64({0.5, -1.}, {2}), f64({2., 0.25}, {2}));
  const Tensor x = n.sample({20000});
  EXPECT_LT(max_abs_diff(x.mean(Dims{0}), n.mean()), 0.05);
  EXPECT_LT(max_abs_diff(x.std(Dims{0}), n.stddev()), 0.05);
  const D::Uniform u(f64({0.}, {1}), f64({2.}, {1}));
  const Tensor v = u.sample({20000});
  EXPECT_GE(v.min().item<double>(), 0.0);
  EXPECT_LT(v.max().item<double>(), 2.0);
  EXPECT_NEAR(v.mean().item<double>(), 1.0, 0.03);
  const D::Categorical c({.probs = f64({0.2, 0.3, 0.5}, {3})});
  const Tensor draws = c.sample({20000});
  for (int64_t k = 0; k < 3; ++k)
    EXPECT_NEAR(draws.eq(k).to(kFloat64).mean().item<double>(), c.probs().select(0, k).item<double>(), 0.02);
  const D::MultivariateNormal m(zeros({3}, kFloat64), {.covariance_matrix = f64(kCovariance, {3, 3})});
  const Tensor z = m.sample({40000});
  const Tensor centred = z - z.mean(Dims{0}, true);
  const Tensor empirical = matmul(centred.t(), centred) / 40000.0;
  EXPECT_LT(max_abs_diff(empirical, m.covariance_matrix()), 0.15);
}

TEST(Distributions, GradientsThroughRsampleLogProbAndKl) {
  // rsample: d(loc + scale eps)/d(scale) = eps, so a fixed seed makes it a function
  const auto normal = [](const Inputs& in) {
    manual_seed(52);
    const D::Normal n(in[0], in[1].exp());
    return cat({n.rsample({3}).flatten(), n.log_prob(in[2]), n.entropy()});
  };
  manual_seed(53);
  const Tensor loc = testing::grad_input({2}), log_scale = testing::grad_input({2}), value = testing::grad_input({2});
  expect_gradcheck(normal, {loc, log_scale, value});
  const auto mvn = [](const Inputs& in) {
    manual_seed(54);
    const Tensor L = in[1].tril(-1) + diag_embed(diagonal(in[1], 0, -2, -1).exp());
    const D::MultivariateNormal m(in[0], {.scale_tril = L});
    const D::MultivariateNormal q(zeros({3}, kFloat64), {.covariance_matrix = f64(kCovariance, {3, 3})});
    return cat({m.rsample({2}).flatten(), m.log_prob(in[2]).unsqueeze(0), m.entropy().unsqueeze(0),
                D::kl_divergence(m, q).unsqueeze(0)});
  };
  const Tensor mean = testing::grad_input({3}), factor = testing::grad_input({3, 3}), point = testing::grad_input({3});
  expect_gradcheck(mvn, {mean, factor, point});
  const auto discrete = [](const Inputs& in) {
    const D::Categorical c({.logits = in[0]});
    const D::Bernoulli b({.logits = in[1]});
    return cat({c.log_prob(tensor(std::vector<int64_t>{2, 0}, {2})), c.entropy(), b.log_prob(f64({1., 0.}, {2})),
                b.entropy(), D::kl_divergence(c, D::Categorical({.probs = f64({0.2, 0.3, 0.5}, {3})}))});
  };
  expect_gradcheck(discrete, {testing::grad_input({2, 3}), testing::grad_input({2})});
  // sample() records nothing
  EXPECT_FALSE(D::Normal(loc, log_scale.exp()).sample({2}).requires_grad());
}

TEST(Distributions, ChecksAsPyTorch) {
  EXPECT_EMBER_ERROR(D::Normal(f64({0.}, {1}), f64({-1.}, {1})),
                     "Expected parameter scale (Tensor of shape (1,)) of distribution Normal to satisfy the constraint "
                     "GreaterThan(lower_bound=0.0), but found invalid values");
  EXPECT_EMBER_ERROR(D::Normal(0.0, 1.0).log_prob(f64({NAN}, {1})),
                     "Expected value argument (Tensor of shape (1,)) to be within the support (Real()) of the "
                     "distribution Normal, but found invalid values");
  EXPECT_EMBER_ERROR(D::Bernoulli({.probs = f64({1.5}, {1})}),
                     "to satisfy the constraint Interval(lower_bound=0.0, upper_bound=1.0)");
  EXPECT_EMBER_ERROR(D::Bernoulli({.probs = f64({0.5}, {1}), .logits = f64({0.}, {1})}),
                     "Either `probs` or `logits` must be specified, but not both.");
  EXPECT_EMBER_ERROR(D::Categorical({.probs = f64({0.2, -0.1}, {2})}), "to satisfy the constraint Simplex()");
  EXPECT_EMBER_ERROR(D::Bernoulli({.probs = f64({0.5}, {1})}).log_prob(f64({0.5}, {1})),
                     "to be within the support (Boolean())");
  EXPECT_EMBER_ERROR(D::Categorical({.logits = f64({0., 1.}, {2})}).log_prob(tensor(std::vector<int64_t>{3}, {1})),
                     "to be within the support (IntegerInterval(lower_bound=0, upper_bound=1))");
  EXPECT_EMBER_ERROR(D::Uniform(f64({1.}, {1}), f64({0.}, {1})), "Uniform is not defined when low>= high");
  EXPECT_EMBER_ERROR(D::MultivariateNormal(zeros({2}, kFloat64), {.covariance_matrix = -eye(2, kFloat64)}),
                     "to satisfy the constraint PositiveDefinite()");
  EXPECT_EMBER_ERROR(D::MultivariateNormal(zeros({2}, kFloat64), {}),
                     "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.");
  EXPECT_EMBER_ERROR(D::kl_divergence(D::Normal(0.0, 1.0), D::Bernoulli({.probs = f64({0.5}, {1})})),
                     "NotImplementedError");
  EXPECT_EMBER_ERROR(D::Bernoulli({.probs = f64({0.5}, {1})}).rsample(), "NotImplementedError");
  // the support's closed end, the parameter's own shape in the message, loc and the event size checked
  EXPECT_EQ(D::Uniform(f64({0.}, {1}), f64({1.}, {1})).log_prob(f64({1.}, {1})).item<double>(), -INFINITY);
  EXPECT_EMBER_ERROR(D::Categorical({.probs = f64({0.2, -0.1, 0.5, 0.5, 0.2, 0.3}, {2, 3})}),
                     "Expected parameter probs (Tensor of shape (2, 3)) of distribution Categorical");
  EXPECT_EMBER_ERROR(D::MultivariateNormal(f64({NAN, 0.}, {2}), {.covariance_matrix = eye(2, kFloat64)}),
                     "Expected parameter loc (Tensor of shape (2,)) of distribution MultivariateNormal to satisfy the "
                     "constraint IndependentConstraint(Real(), 1)");
  const D::MultivariateNormal standard(zeros({3}, kFloat64), {.covariance_matrix = eye(3, kFloat64)});
  EXPECT_EMBER_ERROR(standard.log_prob(zeros({4, 1}, kFloat64)),
                     "The right-most size of value must match event_shape: torch.Size([4, 1]) vs torch.Size([3]).");
  // a float32 covariance one ulp from symmetric passes, as torch.isclose lets it
  const Tensor nearly = tensor(std::vector<float>{1000.f, 1.f, 1.00001f, 1000.f}, {2, 2});
  EXPECT_NO_THROW(D::MultivariateNormal(zeros({2}), {.covariance_matrix = nearly}));
  // Categorical takes whole floating values as indices, as PyTorch's value.long()
  expect_values(D::Categorical({.logits = f64({1., -1., 0.5}, {3})}).log_prob(f64({1., 2.}, {2})),
                {-2.554956919641991, -1.0549569196419908}, 1e-14);
  // validation can be turned off, per distribution or by default
  EXPECT_NO_THROW(D::Normal(f64({0.}, {1}), f64({-1.}, {1}), /*validate_args=*/false));
  EXPECT_NO_THROW(D::Categorical({.probs = empty({2, 0}, kFloat64)}, false));
  D::set_default_validate_args(false);
  EXPECT_NO_THROW(D::Normal(f64({0.}, {1}), f64({-1.}, {1})));
  D::set_default_validate_args(true);
  EXPECT_TRUE(D::default_validate_args());
}

// PyTorch's _validate_sample: a value that does not broadcast with batch_shape + event_shape is
// its error for every family; each matrix names itself when it is not a matrix.
TEST(Distributions, ValueShapesAreCheckedAsPyTorch) {
  const Tensor three = zeros({3}, kFloat64);
  EXPECT_EMBER_ERROR(D::Normal(three, ones({3}, kFloat64)).log_prob(zeros({2}, kFloat64)),
                     "Value is not broadcastable with batch_shape+event_shape: torch.Size([2]) vs torch.Size([3]).");
  EXPECT_EMBER_ERROR(D::Uniform(three, ones({3}, kFloat64)).cdf(zeros({2}, kFloat64)), "Value is not broadcastable");
  EXPECT_EMBER_ERROR(D::Bernoulli({.probs = full({3}, 0.5, kFloat64)}).log_prob(zeros({2}, kFloat64)),
                     "Value is not broadcastable");
  EXPECT_EMBER_ERROR(D::Categorical({.logits = zeros({3, 4}, kFloat64)}).log_prob(zeros({2}, kInt64)),
                     "Value is not broadcastable with batch_shape+event_shape: torch.Size([2]) vs torch.Size([3]).");
  const D::MultivariateNormal mvn(zeros({2, 3}, kFloat64), {.covariance_matrix = eye(3, kFloat64)});
  EXPECT_EMBER_ERROR(mvn.log_prob(zeros({4, 3}, kFloat64)),
                     "Value is not broadcastable with batch_shape+event_shape: torch.Size([4, 3]) vs torch.Size([2, 3]).");
  EXPECT_EQ(mvn.log_prob(zeros({5, 1, 3}, kFloat64)).sizes(), (Dims{5, 2}));  // broadcasts
  EXPECT_EMBER_ERROR(D::MultivariateNormal(three, {.covariance_matrix = ones({3}, kFloat64)}),
                     "covariance_matrix must be at least two-dimensional, with optional leading batch dimensions");
  EXPECT_EMBER_ERROR(D::MultivariateNormal(three, {.scale_tril = ones({3}, kFloat64)}),
                     "scale_tril matrix must be at least two-dimensional");
  EXPECT_EMBER_ERROR(D::MultivariateNormal(three, {.precision_matrix = ones({3}, kFloat64)}),
                     "precision_matrix must be at least two-dimensional");
}

// stddev from the parameters where PyTorch has it (no overflow through the variance), mode and
// perplexity as PyTorch 2's, and numbers beside tensors as broadcast_all takes them.
TEST(Distributions, StddevModePerplexityAndNumberArguments) {
  const D::Normal wide(zeros({1}), full({1}, 1e20f));
  EXPECT_EQ(wide.stddev().item<float>(), 1e20f);  // sqrt(1e40) is inf in float32
  EXPECT_EQ(D::Normal(zeros({1}), full({1}, 1e-25f)).stddev().item<float>(), 1e-25f);
  EXPECT_NEAR(D::Uniform(0.0, 1e20).stddev().item<double>(), 1e20 / std::sqrt(12.0), 1e13);
  EXPECT_EQ(D::Uniform(0.0, 1.0).batch_shape(), Dims{});
  const Tensor mu = f64({1., -2.}, {2});
  const D::Normal with_number(mu, 2.0);
  EXPECT_EQ(with_number.batch_shape(), (Dims{2}));
  expect_values(with_number.stddev(), {2., 2.}, 0.0);
  expect_values(with_number.mode(), {1., -2.}, 0.0);
  expect_values(D::Normal(0.5, f64({1., 3.}, {2})).mean(), {0.5, 0.5}, 0.0);
  expect_values(with_number.perplexity(), {std::exp(std::log(2.0) + 0.5 + 0.5 * std::log(2 * M_PI)),
                                           std::exp(std::log(2.0) + 0.5 + 0.5 * std::log(2 * M_PI))},
                1e-12);
  EXPECT_EQ(D::Normal(mu, 0.1).scale()[0].item<double>(), 0.1);  // in loc's dtype, as broadcast_all
  EXPECT_EQ(D::Normal(0.3, f64({1.}, {1})).loc().item<double>(), 0.3);
  const Tensor bernoulli_mode = D::Bernoulli({.probs = f64({0.2, 0.5, 0.9}, {3})}).mode();
  EXPECT_EQ(bernoulli_mode[0].item<double>(), 0.0);
  EXPECT_TRUE(std::isnan(bernoulli_mode[1].item<double>()));
  EXPECT_EQ(bernoulli_mode[2].item<double>(), 1.0);
  EXPECT_EQ(D::Categorical({.probs = f64({0.2, 0.5, 0.3, 0.6, 0.2, 0.2}, {2, 3})}).mode().to_vector<int64_t>(),
            (std::vector<int64_t>{1, 0}));
  EXPECT_TRUE(std::isnan(D::Uniform(0.0, 1.0).mode().item<double>()));
  const D::MultivariateNormal mvn(mu, {.covariance_matrix = eye(2, kFloat64)});
  expect_values(mvn.mode(), {1., -2.}, 0.0);
}

// MultivariateNormal works on its L as given: a shared scale_tril with a batch of means gives
// each row's numbers and gradients without an L per row (PyTorch's _batch_mahalanobis).
TEST(Distributions, MultivariateNormalSharesItsScaleAcrossTheBatch) {
  const Tensor L = f64({2., 0., 0., 0.5, 1., 0., -1., 0.25, 1.5}, {3, 3}).requires_grad_();
  const Tensor locs = f64({0., 1., -1., 2., 0.5, 0.}, {2, 3});
  const D::MultivariateNormal shared(locs, {.scale_tril = L});
  EXPECT_EQ(shared.unbroadcasted_scale_tril().sizes(), (Dims{3, 3}));
  EXPECT_EQ(shared.scale_tril().sizes(), (Dims{2, 3, 3}));
  const Tensor x = f64({0.5, -1., 2., 1., 1., 1., -3., 0., 0.25, 0., 0., 0.}, {2, 2, 3});  // [sample, batch, 3]
  const Tensor lp = shared.log_prob(x);
  EXPECT_EQ(lp.sizes(), (Dims{2, 2}));
  for (int64_t b = 0; b < 2; ++b) {  // each row as a distribution of its own
    const D::MultivariateNormal alone(locs[b], {.scale_tril = L});
    for (int64_t s = 0; s < 2; ++s)
      EXPECT_NEAR(lp[s][b].item<double>(), alone.log_prob(x[s][b]).item<double>(), 1e-13);
  }
  EXPECT_EQ(shared.entropy().sizes(), (Dims{2}));
  EXPECT_EQ(shared.variance().sizes(), (Dims{2, 3}));
  EXPECT_EQ(shared.covariance_matrix().sizes(), (Dims{2, 3, 3}));
  EXPECT_EQ(shared.precision_matrix().sizes(), (Dims{2, 3, 3}));
  EXPECT_EQ(shared.rsample({4}).sizes(), (Dims{4, 2, 3}));
  // a batch of L against a sample batch: the same numbers as one distribution per matrix
  const Tensor Ls = stack({L.detach(), L.detach() * 2.0}, 0);
  const D::MultivariateNormal batched(locs, {.scale_tril = Ls});
  const Tensor blp = batched.log_prob(x);
  for (int64_t b = 0; b < 2; ++b) {
    const D::MultivariateNormal alone(locs[b], {.scale_tril = Ls[b]});
    for (int64_t s = 0; s < 2; ++s)
      EXPECT_NEAR(blp[s][b].item<double>(), alone.log_prob(x[s][b]).item<double>(), 1e-13);
  }
  // (tril: gradcheck's steps above the diagonal would not be a Cholesky factor)
  expect_gradcheck(
      [&](const Inputs& in) { return D::MultivariateNormal(locs, {.scale_tril = in[0].tril()}).log_prob(x); },
      {L.detach().requires_grad_()});
  // an empty batch gives empty results
  const D::MultivariateNormal none(zeros({0, 3}, kFloat64), {.scale_tril = L.detach()});
  EXPECT_EQ(none.log_prob(zeros({0, 3}, kFloat64)).sizes(), (Dims{0}));
  const D::MultivariateNormal none_of_L(zeros({3}, kFloat64), {.scale_tril = zeros({0, 3, 3}, kFloat64)}, false);
  EXPECT_EQ(none_of_L.log_prob(zeros({3}, kFloat64)).sizes(), (Dims{0}));
  const D::MultivariateNormal other(zeros({3}, kFloat64), {.covariance_matrix = eye(3, kFloat64) * 2.0});
  const Tensor kl = D::kl_divergence(shared, other);
  EXPECT_EQ(kl.sizes(), (Dims{2}));
  EXPECT_NEAR(kl[1].item<double>(),
              D::kl_divergence(D::MultivariateNormal(locs[1], {.scale_tril = L}), other).item<double>(), 1e-13);
}

}  // namespace
}  // namespace ember
