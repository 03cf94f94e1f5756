// nn/distributions.h: the Distribution base (shapes, sample / rsample, PyTorch's checks) and
// the elementwise families Normal, Uniform, Bernoulli and Categorical.
#include "nn/distributions.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "core/sampling.h"
#include "core/special_ops.h"
#include "nn/distributions_detail.h"
#include "nn/functional/basic.h"
#include "nn/functional/loss.h"

namespace ember::distributions {

// Note [Distributions]
// ~~~~~~~~~~~~~~~~~~~~
// Each family is its formulas in tensor ops (PyTorch's, torch/distributions/*.py), so it
// runs on its parameters' device and log_prob, entropy, rsample and kl_divergence
// differentiate in the parameters to any order. sample() draws under no_grad; rsample()
// draws recorded (loc + scale * eps, low + (high - low) * u, loc + L eps) and exists only
// where PyTorch has it. Draws come from ember's generator of the parameters' device
// (manual_seed), not PyTorch's, so the same seed gives other numbers. Parameters broadcast
// to the batch shape when the distribution is made. With validation on (PyTorch's default,
// set_default_validate_args), parameters are checked against their constraints when the
// distribution is made and log_prob's values against the support, each check reading one
// boolean back to the host as PyTorch's; the messages keep PyTorch's phrases
// ("Expected parameter scale ... to satisfy the constraint GreaterThan(lower_bound=0.0)",
// "Expected value argument ... to be within the support ...").

namespace {

using detail::broadcast_pair;
using detail::number_like;
using detail::scalar_tensor;

std::atomic<bool> validate_by_default{true};

// Probabilities clamped into [eps, 1 - eps] (PyTorch's clamp_probs), then their logits.
Tensor probs_to_logits(const Tensor& probs, bool binary) {
  const double eps = probs.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                               : static_cast<double>(std::numeric_limits<float>::epsilon());
  const Tensor clamped = probs.clamp(eps, 1.0 - eps);
  return binary ? clamped.log() - (-clamped).log1p() : clamped.log();
}

// The sizes joined as Python prints them: "2, 3".
std::string joined(const Dims& sizes) {
  std::ostringstream out;
  for (size_t i = 0; i < sizes.size(); ++i) out << (i ? ", " : "") << sizes[i];
  return out.str();
}

// A shape as Python prints tuple(t.shape): (2, 1), (3,) and ().
std::string shape_of(const Tensor& t) {
  return ember::detail::str_cat("Tensor of shape (", joined(t.sizes()), t.dim() == 1 ? ",)" : ")");
}

// torch.Size([2, 3]), as PyTorch's messages print a size.
std::string torch_size(const Dims& sizes) { return ember::detail::str_cat("torch.Size([", joined(sizes), "])"); }

}  // namespace

void set_default_validate_args(bool value) { validate_by_default.store(value); }
bool default_validate_args() { return validate_by_default.load(); }

Distribution::Distribution(Dims batch_shape, Dims event_shape, std::optional<bool> validate_args)
    : batch_shape_(std::move(batch_shape)),
      event_shape_(std::move(event_shape)),
      validate_(validate_args.value_or(default_validate_args())) {}

Dims Distribution::extended_shape(const Dims& sample_shape) const {
  Dims shape = sample_shape;
  for (const int64_t size : batch_shape_) shape.push_back(size);
  for (const int64_t size : event_shape_) shape.push_back(size);
  return shape;
}

// A draw without history is returned itself (a transform's cache then knows it).
Tensor Distribution::sample(const Dims& sample_shape) const {
  NoGradGuard no_grad;
  Tensor out = draw(extended_shape(sample_shape));
  return out.requires_grad() ? out.detach() : out;
}

Tensor Distribution::rsample(const Dims& sample_shape) const {
  EMBER_CHECK(has_rsample(), name(), ".rsample: NotImplementedError: ", name(),
              " has no reparameterized sample (use sample(), which is not differentiable)");
  return draw(extended_shape(sample_shape));
}

Tensor Distribution::stddev() const { return variance().sqrt(); }

Tensor Distribution::cdf(const Tensor&) const {
  EMBER_CHECK(false, name(), ".cdf: NotImplementedError: ", name(), " has no cdf");
  return Tensor();
}

Tensor Distribution::icdf(const Tensor&) const {
  EMBER_CHECK(false, name(), ".icdf: NotImplementedError: ", name(), " has no icdf");
  return Tensor();
}

void Distribution::check_parameter(const char* parameter, const Tensor& ok, const char* constraint) const {
  if (!validate_ || ok.numel() == 0) return;
  EMBER_CHECK(ok.all().item<bool>(), "Expected parameter ", parameter, " (", shape_of(ok), ") of distribution ", name(),
              " to satisfy the constraint ", constraint, ", but found invalid values");
}

void Distribution::check_value(const Tensor& ok, const std::string& support) const {
  if (!validate_ || ok.numel() == 0) return;
  EMBER_CHECK(ok.all().item<bool>(), "Expected value argument (", shape_of(ok), ") to be within the support (", support,
              ") of the distribution ", name(), ", but found invalid values");
}

void Distribution::check_value_shape(const Tensor& value) const {
  if (!validate_) return;
  const Dims& actual = value.sizes();
  const size_t events = event_shape_.size();
  bool event_ok = actual.size() >= events;
  for (size_t i = 0; event_ok && i < events; ++i) event_ok = actual[actual.size() - events + i] == event_shape_[i];
  EMBER_CHECK(event_ok, "The right-most size of value must match event_shape: ", torch_size(actual), " vs ",
              torch_size(event_shape_), ".");
  const Dims expected = extended_shape({});
  bool broadcastable = true;
  for (size_t i = 1; i <= std::min(actual.size(), expected.size()); ++i) {
    const int64_t a = actual[actual.size() - i], e = expected[expected.size() - i];
    broadcastable = broadcastable && (a == 1 || e == 1 || a == e);
  }
  EMBER_CHECK(broadcastable, "Value is not broadcastable with batch_shape+event_shape: ", torch_size(actual), " vs ",
              torch_size(expected), ".");
}

// ---------------------------------------------------------------- Normal

Normal::Normal(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args)
    : Distribution(broadcast_shapes(loc.sizes(), scale.sizes()), {}, validate_args) {
  std::tie(loc_, scale_) = broadcast_pair(loc, scale, "Normal");
  if (validate()) check_parameter("loc", loc_.eq(loc_), "Real()");
  if (validate()) check_parameter("scale", scale_.gt(0.0), "GreaterThan(lower_bound=0.0)");
}

Normal::Normal(double loc, double scale, std::optional<bool> validate_args)
    : Normal(scalar_tensor(loc), scalar_tensor(scale), validate_args) {}

Normal::Normal(const Tensor& loc, double scale, std::optional<bool> validate_args)
    : Normal(loc, number_like(scale, loc), validate_args) {}

Normal::Normal(double loc, const Tensor& scale, std::optional<bool> validate_args)
    : Normal(number_like(loc, scale), scale, validate_args) {}

Tensor Normal::draw(const Dims& shape) const {
  return loc_.expand(shape) + randn(shape, TensorOptions(loc_.dtype()).device(loc_.device())) * scale_.expand(shape);
}

Tensor Normal::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  const Tensor centred = value - loc_;
  return -(centred * centred) / (scale_ * scale_ * 2.0) - scale_.log() - std::log(std::sqrt(2.0 * std::numbers::pi));
}

Tensor Normal::entropy() const { return scale_.log() + (0.5 + 0.5 * std::log(2.0 * std::numbers::pi)); }

Tensor Normal::variance() const { return scale_ * scale_; }

Tensor Normal::cdf(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  return (erf((value - loc_) * scale_.reciprocal() / std::numbers::sqrt2) + 1.0) * 0.5;
}

Tensor Normal::icdf(const Tensor& value) const {
  return loc_ + scale_ * erfinv(value * 2.0 - 1.0) * std::numbers::sqrt2;
}

// ---------------------------------------------------------------- Uniform

Uniform::Uniform(const Tensor& low, const Tensor& high, std::optional<bool> validate_args)
    : Distribution(broadcast_shapes(low.sizes(), high.sizes()), {}, validate_args) {
  std::tie(low_, high_) = broadcast_pair(low, high, "Uniform");
  if (validate() && low_.numel() > 0)
    EMBER_CHECK(low_.lt(high_).all().item<bool>(), "Uniform is not defined when low>= high");
}

Uniform::Uniform(double low, double high, std::optional<bool> validate_args)
    : Uniform(scalar_tensor(low), scalar_tensor(high), validate_args) {}

Uniform::Uniform(const Tensor& low, double high, std::optional<bool> validate_args)
    : Uniform(low, number_like(high, low), validate_args) {}

Uniform::Uniform(double low, const Tensor& high, std::optional<bool> validate_args)
    : Uniform(number_like(low, high), high, validate_args) {}

Tensor Uniform::draw(const Dims& shape) const {
  const Tensor u = rand(shape, TensorOptions(low_.dtype()).device(low_.device()));
  return low_.expand(shape) + u * (high_ - low_).expand(shape);
}

Tensor Uniform::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.ge(low_) & value.le(high_), "Interval(lower_bound=low, upper_bound=high)");
  const Tensor inside = (low_.le(value) & high_.gt(value)).to(low_.dtype());
  return inside.log() - (high_ - low_).log();
}

Tensor Uniform::entropy() const { return (high_ - low_).log(); }

Tensor Uniform::mean() const { return (high_ + low_) * 0.5; }

Tensor Uniform::mode() const { return high_ * std::numeric_limits<double>::quiet_NaN(); }

Tensor Uniform::stddev() const { return (high_ - low_) / std::sqrt(12.0); }

Tensor Uniform::variance() const {
  const Tensor width = high_ - low_;
  return width * width / 12.0;
}

Tensor Uniform::cdf(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.ge(low_) & value.le(high_), "Interval(lower_bound=low, upper_bound=high)");
  return ((value - low_) / (high_ - low_)).clamp(0.0, 1.0);
}

Tensor Uniform::icdf(const Tensor& value) const { return value * (high_ - low_) + low_; }

// ---------------------------------------------------------------- Bernoulli

namespace {

void check_one_of(const ProbsOrLogits& parameters) {
  EMBER_CHECK(parameters.probs.defined() != parameters.logits.defined(),
              "Either `probs` or `logits` must be specified, but not both.");
  const Tensor& given = parameters.probs.defined() ? parameters.probs : parameters.logits;
  EMBER_CHECK(given.dtype() == kFloat32 || given.dtype() == kFloat64,
              "expected floating-point probs or logits, but got ", dtype_torch_name(given.dtype()));
}

const Tensor& given_of(const ProbsOrLogits& parameters) {
  check_one_of(parameters);
  return parameters.probs.defined() ? parameters.probs : parameters.logits;
}

}  // namespace

Bernoulli::Bernoulli(const ProbsOrLogits& parameters, std::optional<bool> validate_args)
    : Distribution(given_of(parameters).sizes(), {}, validate_args) {
  if (parameters.probs.defined()) {
    probs_ = parameters.probs;
    if (validate())
      check_parameter("probs", probs_.ge(0.0) & probs_.le(1.0), "Interval(lower_bound=0.0, upper_bound=1.0)");
    logits_ = probs_to_logits(probs_, /*binary=*/true);
  } else {
    logits_ = parameters.logits;
    if (validate()) check_parameter("logits", logits_.eq(logits_), "Real()");
    probs_ = sigmoid(logits_);
  }
}

Tensor Bernoulli::draw(const Dims& shape) const { return bernoulli(probs_.expand(shape)); }

Tensor Bernoulli::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(0.0) | value.eq(1.0), "Boolean()");
  const Dims shape = broadcast_shapes(logits_.sizes(), value.sizes());
  return -nn::functional::binary_cross_entropy_with_logits(
      logits_.expand(shape), value.to(logits_.dtype()).expand(shape), Tensor(), nn::functional::Reduction::None);
}

Tensor Bernoulli::entropy() const {
  return nn::functional::binary_cross_entropy_with_logits(logits_, probs_, Tensor(), nn::functional::Reduction::None);
}

Tensor Bernoulli::mode() const {
  return where(probs_.eq(0.5), std::numeric_limits<double>::quiet_NaN(), probs_.ge(0.5).to(probs_.dtype()));
}

Tensor Bernoulli::variance() const { return probs_ * (-probs_ + 1.0); }

// ---------------------------------------------------------------- Categorical

Categorical::Categorical(const ProbsOrLogits& parameters, std::optional<bool> validate_args)
    : Distribution(
          [&] {
            const Tensor& given = given_of(parameters);
            EMBER_CHECK(given.dim() >= 1, "`", parameters.probs.defined() ? "probs" : "logits",
                        "` parameter must be at least one-dimensional.");
            return Dims(given.sizes().data(), given.sizes().size() - 1);
          }(),
          {}, validate_args) {
  if (parameters.probs.defined()) {
    probs_ = parameters.probs / parameters.probs.sum(Dims{-1}, /*keepdim=*/true);
    if (validate()) {
      // a flag per element of probs (the message names its shape): its row is a simplex
      const Tensor sums_to_one = (probs_.sum(Dims{-1}, /*keepdim=*/true) - 1.0).abs().lt(1e-6);
      const Tensor rows_ok = probs_.ge(0.0).to(kInt64).amin(Dims{-1}, /*keepdim=*/true).eq(1) & sums_to_one;
      check_parameter("probs", rows_ok.expand(probs_.sizes()), "Simplex()");
    }
    logits_ = probs_to_logits(probs_, /*binary=*/false);
  } else {
    logits_ = parameters.logits - parameters.logits.logsumexp(Dims{-1}, /*keepdim=*/true);
    if (validate()) check_parameter("logits", logits_.eq(logits_), "IndependentConstraint(Real(), 1)");
    probs_ = logits_.exp();
  }
}

Tensor Categorical::draw(const Dims& shape) const {
  // one draw per (sample, batch) element: multinomial over the flattened batch, with
  // replacement, then the samples moved in front
  const int64_t k = num_events();
  const Dims& batch = batch_shape();
  const int64_t draws = shape_numel(shape) / std::max<int64_t>(1, shape_numel(batch));
  const Tensor rows = probs_.reshape({-1, k});
  if (rows.size(0) == 0 || draws == 0) return zeros(shape, TensorOptions(kInt64).device(probs_.device()));
  return multinomial(rows, draws, /*replacement=*/true).t().reshape(shape);
}

Tensor Categorical::log_prob(const Tensor& value) const {
  EMBER_CHECK(value.dtype() != kBool, "Categorical.log_prob: expected category indices, but got Bool");
  check_value_shape(value);
  if (value.dtype() != kInt64) {  // PyTorch's value.long(), after its support check
    if (validate())
      check_value(value.eq(value.floor()),
                  "IntegerInterval(lower_bound=0, upper_bound=" + std::to_string(num_events() - 1) + ")");
    return log_prob(value.to(kInt64));
  }
  if (validate())
    check_value(value.ge(0) & value.lt(num_events()),
                "IntegerInterval(lower_bound=0, upper_bound=" + std::to_string(num_events() - 1) + ")");
  // the value's shape broadcast against the batch shape, then one gather of its logits
  Dims batch = broadcast_shapes(value.sizes(), batch_shape());
  Dims index_shape = batch, logits_shape = batch;
  index_shape.push_back(1);
  logits_shape.push_back(num_events());
  const Tensor index = value.unsqueeze(-1).expand(index_shape);
  return logits_.expand(logits_shape).gather(-1, index).squeeze(-1);
}

Tensor Categorical::entropy() const {
  const double lowest = logits_.dtype() == kFloat64 ? std::numeric_limits<double>::lowest()
                                                    : static_cast<double>(std::numeric_limits<float>::lowest());
  return -(logits_.clamp_min(lowest) * probs_).sum(Dims{-1});
}

Tensor Categorical::mean() const {
  return full(batch_shape(), std::numeric_limits<double>::quiet_NaN(),
              TensorOptions(probs_.dtype()).device(probs_.device()));
}

Tensor Categorical::mode() const { return probs_.argmax(-1); }

Tensor Categorical::variance() const { return mean(); }

}  // namespace ember::distributions
