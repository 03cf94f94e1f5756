// nn/distributions_more.h: Independent, the transforms and TransformedDistribution, LogNormal,
// HalfNormal, Exponential, Laplace, Cauchy, Gumbel and OneHotCategorical, and their
// kl_divergence pairs (kl_divergence_more, reached from kl_divergence).
#include "nn/distributions_more.h"

#include <cmath>
#include <limits>
#include <numbers>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "core/special_ops.h"
#include "nn/distributions_detail.h"
#include "nn/functional/basic.h"
#include "nn/functional/embedding.h"

namespace ember::distributions {
namespace {

using detail::broadcast_pair;
using detail::number_like;
using detail::scalar_tensor;

constexpr double kEulerGamma = 0.57721566490153286060;

// PyTorch's _sum_rightmost: t summed over its n right-most dims.
Tensor sum_rightmost(const Tensor& t, int64_t n) {
  if (n <= 0) return t;
  return t.flatten(t.dim() - n).sum(Dims{-1});
}

// The leading dims of a draw's shape: shape without the distribution's batch and event dims.
Dims sample_shape_of(const Dims& shape, const Distribution& d) {
  const size_t own = d.batch_shape().size() + d.event_shape().size();
  return Dims(shape.data(), shape.size() - own);
}

double finfo_eps(const Tensor& like) {
  return like.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                  : static_cast<double>(std::numeric_limits<float>::epsilon());
}
double finfo_tiny(const Tensor& like) {
  return like.dtype() == kFloat64 ? std::numeric_limits<double>::min()
                                  : static_cast<double>(std::numeric_limits<float>::min());
}

// Uniform draws in (0, 1) of shape and the parameter's dtype and device.
Tensor uniform_like(const Dims& shape, const Tensor& parameter) {
  return rand(shape, TensorOptions(parameter.dtype()).device(parameter.device()));
}

}  // namespace

// ---------------------------------------------------------------- Independent

namespace {
Dims independent_shape(const Distribution& base, int64_t ndims, bool batch) {
  const Dims& b = base.batch_shape();
  EMBER_CHECK(ndims >= 0 && ndims <= static_cast<int64_t>(b.size()),
              "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual ", ndims, " vs ",
              b.size());
  const size_t cut = b.size() - static_cast<size_t>(ndims);
  if (batch) return Dims(b.data(), cut);
  Dims event(b.data() + cut, b.size() - cut);
  for (const int64_t size : base.event_shape()) event.push_back(size);
  return event;
}
const Distribution& checked_base(const std::shared_ptr<const Distribution>& base) {
  EMBER_CHECK(base != nullptr, "Independent: expected a base distribution, got nullptr");
  return *base;
}
}  // namespace

Independent::Independent(std::shared_ptr<const Distribution> base, int64_t reinterpreted_batch_ndims,
                         std::optional<bool> validate_args)
    : Distribution(independent_shape(checked_base(base), reinterpreted_batch_ndims, true),
                   independent_shape(*base, reinterpreted_batch_ndims, false), validate_args),
      base_(std::move(base)),
      ndims_(reinterpreted_batch_ndims) {}

Tensor Independent::draw(const Dims& shape) const {
  const Dims sample_shape = sample_shape_of(shape, *this);
  return base_->has_rsample() ? base_->rsample(sample_shape) : base_->sample(sample_shape);
}

Tensor Independent::log_prob(const Tensor& value) const {
  check_value_shape(value);
  return sum_rightmost(base_->log_prob(value), ndims_);
}

Tensor Independent::entropy() const { return sum_rightmost(base_->entropy(), ndims_); }

// ---------------------------------------------------------------- transforms

Transform::Transform(int cache_size) : cache_size_(cache_size) {
  EMBER_CHECK(cache_size == 0 || cache_size == 1, "cache_size must be 0 or 1, got ", cache_size);
}

Tensor Transform::operator()(const Tensor& x) const {
  if (cache_size_ == 0) return forward(x);
  if (cached_x_.defined() && &cached_x_.impl() == &x.impl()) return cached_y_;
  Tensor y = forward(x);
  cached_x_ = x, cached_y_ = y;
  return y;
}

Tensor Transform::inv(const Tensor& y) const {
  if (cache_size_ == 0) return inverse(y);
  if (cached_y_.defined() && &cached_y_.impl() == &y.impl()) return cached_x_;
  Tensor x = inverse(y);
  cached_x_ = x, cached_y_ = y;
  return x;
}

// +1 for a map known to increase (Exp, Sigmoid, Tanh: PyTorch's sign = +1).
Tensor Transform::sign() const {
  EMBER_CHECK(increasing(), name(),
              ".sign: NotImplementedError: the map's direction is unknown, so its cdf cannot "
              "be given");
  return full({}, 1.0);
}

Tensor ExpTransform::forward(const Tensor& x) const { return x.exp(); }
Tensor ExpTransform::inverse(const Tensor& y) const { return y.log(); }
Tensor ExpTransform::log_abs_det_jacobian(const Tensor& x, const Tensor&) const { return x; }

Tensor SigmoidTransform::forward(const Tensor& x) const { return sigmoid(x).clamp(finfo_tiny(x), 1.0 - finfo_eps(x)); }
Tensor SigmoidTransform::inverse(const Tensor& y) const {
  const Tensor clipped = y.clamp(finfo_tiny(y), 1.0 - finfo_eps(y));
  return clipped.log() - (-clipped).log1p();
}
Tensor SigmoidTransform::log_abs_det_jacobian(const Tensor& x, const Tensor&) const {
  return -nn::functional::softplus(-x) - nn::functional::softplus(x);
}

Tensor TanhTransform::forward(const Tensor& x) const { return x.tanh(); }
Tensor TanhTransform::inverse(const Tensor& y) const { return atanh(y); }
Tensor TanhTransform::log_abs_det_jacobian(const Tensor& x, const Tensor&) const {
  return (std::numbers::ln2 - x - nn::functional::softplus(x * -2.0)) * 2.0;
}

Tensor AbsTransform::forward(const Tensor& x) const { return x.abs(); }
// |x| is not a bijection: PyTorch's AbsTransform has no log-determinant and no sign either
// (HalfNormal defines its own log_prob and cdf).
Tensor AbsTransform::log_abs_det_jacobian(const Tensor&, const Tensor&) const {
  EMBER_FAIL("AbsTransform.log_abs_det_jacobian: NotImplementedError: |x| is not a bijection");
}

AffineTransform::AffineTransform(const Tensor& loc, const Tensor& scale, int64_t event_dim, int cache_size)
    : Transform(cache_size), loc_(loc), scale_(scale), event_dim_(event_dim) {
  EMBER_CHECK(loc.defined() && scale.defined(), "AffineTransform: expected loc and scale tensors");
  EMBER_CHECK(event_dim >= 0, "AffineTransform: expected event_dim >= 0, got ", event_dim);
}

AffineTransform::AffineTransform(double loc, double scale, int64_t event_dim, int cache_size)
    : AffineTransform(scalar_tensor(loc), scalar_tensor(scale), event_dim, cache_size) {
  scale_is_number_ = true;
}

Tensor AffineTransform::forward(const Tensor& x) const { return loc_ + scale_ * x; }
Tensor AffineTransform::inverse(const Tensor& y) const { return (y - loc_) / scale_; }
Tensor AffineTransform::sign() const { return ember::sign(scale_); }
bool AffineTransform::increasing() const { return scale_is_number_ && scale_.item<double>() > 0; }

Tensor AffineTransform::log_abs_det_jacobian(const Tensor& x, const Tensor&) const {
  Dims shape = x.sizes();
  Tensor result = scale_.abs().log();
  if (event_dim_ > 0) {  // one log-determinant per event: the event's dims summed
    result = sum_rightmost(result.expand(broadcast_shapes(result.sizes(), shape)), event_dim_);
    shape = Dims(shape.data(), shape.size() - static_cast<size_t>(event_dim_));
  }
  return result.expand(shape);
}

bool AffineTransform::equals(const Transform& other) const {
  const auto* affine = dynamic_cast<const AffineTransform*>(&other);
  if (affine == nullptr || affine->event_dim_ != event_dim_) return false;
  const auto same = [](const Tensor& a, const Tensor& b) {
    return a.sizes() == b.sizes() && a.eq(b).all().item<bool>();
  };
  return same(loc_, affine->loc_) && same(scale_, affine->scale_);
}

// ---------------------------------------------------------------- TransformedDistribution

namespace {
int64_t transforms_event_dim(const std::vector<std::shared_ptr<const Transform>>& transforms) {
  int64_t dim = 0;
  for (const auto& t : transforms) {
    EMBER_CHECK(t != nullptr, "TransformedDistribution: expected transforms, got nullptr");
    dim = std::max(dim, t->event_dim());
  }
  return dim;
}

// The base, as an Independent over the dims a transform takes as one event beyond its own.
std::shared_ptr<const Distribution> reinterpreted_base(
    std::shared_ptr<const Distribution> base, const std::vector<std::shared_ptr<const Transform>>& transforms) {
  EMBER_CHECK(base != nullptr, "TransformedDistribution: expected a base distribution, got nullptr");
  // The transforms keep the base's shape: an affine map whose loc or scale would widen it
  // (PyTorch expands the base then) is refused rather than sampled wrongly.
  Dims base_shape = base->batch_shape();
  for (const int64_t size : base->event_shape()) base_shape.push_back(size);
  for (const auto& t : transforms)
    if (const auto* affine = dynamic_cast<const AffineTransform*>(t.get())) {
      const Dims widened =
          broadcast_shapes(broadcast_shapes(base_shape, affine->loc().sizes()), affine->scale().sizes());
      EMBER_CHECK(widened == base_shape, "TransformedDistribution: an AffineTransform with loc ", affine->loc().sizes(),
                  " and scale ", affine->scale().sizes(), " widens the base's shape ", base_shape, " to ", widened,
                  "; give the base distribution that shape (ember does not expand it)");
    }
  const int64_t extra = transforms_event_dim(transforms) - static_cast<int64_t>(base->event_shape().size());
  EMBER_CHECK(static_cast<int64_t>(base->batch_shape().size()) >= extra,
              "base_distribution needs to have shape with size at least ", transforms_event_dim(transforms),
              ", but got ", base->batch_shape().size() + base->event_shape().size(), ".");
  if (extra <= 0) return base;
  return std::make_shared<Independent>(std::move(base), extra);
}
}  // namespace

TransformedDistribution::TransformedDistribution(std::shared_ptr<const Distribution> base,
                                                 std::vector<std::shared_ptr<const Transform>> transforms,
                                                 std::optional<bool> validate_args)
    : Distribution(reinterpreted_base(base, transforms)->batch_shape(),
                   reinterpreted_base(base, transforms)->event_shape(), validate_args),
      base_(reinterpreted_base(std::move(base), transforms)),
      transforms_(std::move(transforms)) {}

// PyTorch's _validate_sample against the last transform's codomain (its support).
void TransformedDistribution::check_support(const Tensor& value) const {
  if (!validate() || transforms_.empty()) return;
  const Transform* last = transforms_.back().get();
  if (dynamic_cast<const ExpTransform*>(last) != nullptr || dynamic_cast<const AbsTransform*>(last) != nullptr)
    check_value(value.gt(0.0), "GreaterThan(lower_bound=0.0)");
  else if (dynamic_cast<const SigmoidTransform*>(last) != nullptr)
    check_value(value.ge(0.0) & value.le(1.0), "Interval(lower_bound=0.0, upper_bound=1.0)");
  else if (dynamic_cast<const TanhTransform*>(last) != nullptr)
    check_value(value.ge(-1.0) & value.le(1.0), "Interval(lower_bound=-1.0, upper_bound=1.0)");
}

Tensor TransformedDistribution::draw(const Dims& shape) const {
  const Dims sample_shape = sample_shape_of(shape, *this);
  Tensor x = base_->has_rsample() ? base_->rsample(sample_shape) : base_->sample(sample_shape);
  for (const auto& t : transforms_) x = (*t)(x);
  return x;
}

// The change of variables, right to left: each transform's log-determinant summed over the
// event dims it leaves to the distribution (PyTorch's TransformedDistribution.log_prob).
Tensor TransformedDistribution::log_prob(const Tensor& value) const {
  check_value_shape(value);
  check_support(value);
  const auto event_dim = static_cast<int64_t>(event_shape().size());
  Tensor log_prob;
  Tensor y = value;
  for (auto it = transforms_.rbegin(); it != transforms_.rend(); ++it) {
    const Tensor x = (*it)->inv(y);
    const Tensor term = sum_rightmost((*it)->log_abs_det_jacobian(x, y), event_dim - (*it)->event_dim());
    log_prob = log_prob.defined() ? log_prob - term : -term;
    y = x;
  }
  const Tensor base_term =
      sum_rightmost(base_->log_prob(y), event_dim - static_cast<int64_t>(base_->event_shape().size()));
  return log_prob.defined() ? log_prob + base_term : base_term;
}

namespace {
[[noreturn]] void not_implemented(const Distribution& d, const char* what) {
  EMBER_FAIL(d.name(), ".", what, ": NotImplementedError: ", d.name(), " has no ", what,
             " (TransformedDistribution defines none, as PyTorch's)");
}
}  // namespace

Tensor TransformedDistribution::entropy() const { not_implemented(*this, "entropy"); }
Tensor TransformedDistribution::mean() const { not_implemented(*this, "mean"); }
Tensor TransformedDistribution::mode() const { not_implemented(*this, "mode"); }
Tensor TransformedDistribution::variance() const { not_implemented(*this, "variance"); }

namespace {
// PyTorch's _monotonize_cdf: a decreasing chain turns the base's cdf around.
Tensor monotonized(const Tensor& value, const std::vector<std::shared_ptr<const Transform>>& transforms) {
  bool increasing = true;
  for (const auto& t : transforms) {
    EMBER_CHECK(dynamic_cast<const AbsTransform*>(t.get()) == nullptr,
                "AbsTransform.sign: NotImplementedError: |x| is not monotone");
    increasing = increasing && t->increasing();
  }
  if (increasing) return value;
  Tensor sign = transforms.front()->sign();
  for (size_t i = 1; i < transforms.size(); ++i) sign = sign * transforms[i]->sign();
  return sign.to(value.dtype()) * (value - 0.5) + 0.5;
}
}  // namespace

Tensor TransformedDistribution::cdf(const Tensor& value) const {
  check_support(value);
  Tensor x = value;
  for (auto it = transforms_.rbegin(); it != transforms_.rend(); ++it) x = (*it)->inv(x);
  return monotonized(base_->cdf(x), transforms_);
}

Tensor TransformedDistribution::icdf(const Tensor& value) const {
  Tensor x = base_->icdf(monotonized(value, transforms_));
  for (const auto& t : transforms_) x = (*t)(x);
  return x;
}

// ---------------------------------------------------------------- LogNormal, HalfNormal

LogNormal::LogNormal(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args)
    : TransformedDistribution(std::make_shared<Normal>(loc, scale, validate_args), {std::make_shared<ExpTransform>()},
                              validate_args) {}

LogNormal::LogNormal(double loc, double scale, std::optional<bool> validate_args)
    : LogNormal(scalar_tensor(loc), scalar_tensor(scale), validate_args) {}

Tensor LogNormal::entropy() const { return normal().entropy() + loc(); }
Tensor LogNormal::mean() const { return (loc() + scale().pow(2.0) / 2.0).exp(); }
Tensor LogNormal::mode() const { return (loc() - scale().pow(2.0)).exp(); }
Tensor LogNormal::variance() const {
  const Tensor scale_sq = scale().pow(2.0);
  return scale_sq.expm1() * (loc() * 2.0 + scale_sq).exp();
}

// The base is made without validation; HalfNormal checks its scale under its own name.
HalfNormal::HalfNormal(const Tensor& scale, std::optional<bool> validate_args)
    : TransformedDistribution(std::make_shared<Normal>(number_like(0.0, scale), scale, false),
                              {std::make_shared<AbsTransform>()}, validate_args) {
  if (validate()) check_parameter("scale", this->scale().gt(0.0), "GreaterThan(lower_bound=0.0)");
}

HalfNormal::HalfNormal(double scale, std::optional<bool> validate_args)
    : HalfNormal(scalar_tensor(scale), validate_args) {}

Tensor HalfNormal::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.ge(0.0), "GreaterThanEq(lower_bound=0.0)");
  const Tensor log_prob = normal().log_prob(value) + std::numbers::ln2;
  return where(value.ge(0.0), log_prob, -std::numeric_limits<double>::infinity());
}
Tensor HalfNormal::entropy() const { return normal().entropy() - std::numbers::ln2; }
Tensor HalfNormal::mean() const { return scale() * std::sqrt(2.0 / std::numbers::pi); }
Tensor HalfNormal::mode() const { return zeros_like(scale()); }
Tensor HalfNormal::variance() const { return scale().pow(2.0) * (1.0 - 2.0 / std::numbers::pi); }
Tensor HalfNormal::cdf(const Tensor& value) const {
  if (validate()) check_value(value.ge(0.0), "GreaterThanEq(lower_bound=0.0)");
  return normal().cdf(value) * 2.0 - 1.0;
}
Tensor HalfNormal::icdf(const Tensor& value) const { return normal().icdf((value + 1.0) / 2.0); }

// ---------------------------------------------------------------- Exponential

Exponential::Exponential(const Tensor& rate, std::optional<bool> validate_args)
    : Distribution(rate.sizes(), {}, validate_args), rate_(rate) {
  EMBER_CHECK(rate.dtype() == kFloat32 || rate.dtype() == kFloat64,
              "Exponential: expected a floating-point rate, but got ", dtype_torch_name(rate.dtype()));
  if (validate()) check_parameter("rate", rate_.gt(0.0), "GreaterThan(lower_bound=0.0)");
}

Exponential::Exponential(double rate, std::optional<bool> validate_args)
    : Exponential(scalar_tensor(rate), validate_args) {}

// -log(1 - u) / rate: u in [0, 1) keeps the draw finite, as exponential_ does.
Tensor Exponential::draw(const Dims& shape) const {
  return -(-uniform_like(shape, rate_)).log1p() / rate_.expand(shape);
}

Tensor Exponential::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.ge(0.0), "GreaterThanEq(lower_bound=0.0)");
  return rate_.log() - rate_ * value;
}
Tensor Exponential::mode() const { return zeros_like(rate_); }
Tensor Exponential::entropy() const { return 1.0 - rate_.log(); }
Tensor Exponential::cdf(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.ge(0.0), "GreaterThanEq(lower_bound=0.0)");
  return 1.0 - (-rate_ * value).exp();
}
Tensor Exponential::icdf(const Tensor& value) const { return -(-value).log1p() / rate_; }

// ---------------------------------------------------------------- location-scale families

LocationScale::LocationScale(const Tensor& loc, const Tensor& scale, const char* family,
                             std::optional<bool> validate_args)
    : Distribution(broadcast_shapes(loc.sizes(), scale.sizes()), {}, validate_args) {
  std::tie(loc_, scale_) = broadcast_pair(loc, scale, family);
}

void LocationScale::check_parameters() {
  if (!validate()) return;
  check_parameter("loc", loc_.eq(loc_), "Real()");
  check_parameter("scale", scale_.gt(0.0), "GreaterThan(lower_bound=0.0)");
}

Laplace::Laplace(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args)
    : LocationScale(loc, scale, "Laplace", validate_args) {
  check_parameters();
}
Laplace::Laplace(double loc, double scale, std::optional<bool> validate_args)
    : Laplace(scalar_tensor(loc), scalar_tensor(scale), validate_args) {}

// PyTorch's: u uniform in [eps - 1, 1), loc - scale sign(u) log(1 - |u|).
Tensor Laplace::draw(const Dims& shape) const {
  const double eps = finfo_eps(loc_);
  const Tensor u = uniform_like(shape, loc_) * (2.0 - eps) + (eps - 1.0);
  return loc_.expand(shape) - scale_.expand(shape) * sign(u) * (-u.abs()).log1p();
}
Tensor Laplace::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  return -(scale_ * 2.0).log() - (value - loc_).abs() / scale_;
}
Tensor Laplace::entropy() const { return 1.0 + (scale_ * 2.0).log(); }
Tensor Laplace::stddev() const { return scale_ * std::numbers::sqrt2; }
Tensor Laplace::cdf(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  return 0.5 - 0.5 * sign(value - loc_) * (-(value - loc_).abs() / scale_).expm1();
}
Tensor Laplace::icdf(const Tensor& value) const {
  const Tensor term = value - 0.5;
  return loc_ - scale_ * sign(term) * (term.abs() * -2.0).log1p();
}

Cauchy::Cauchy(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args)
    : LocationScale(loc, scale, "Cauchy", validate_args) {
  check_parameters();
}
Cauchy::Cauchy(double loc, double scale, std::optional<bool> validate_args)
    : Cauchy(scalar_tensor(loc), scalar_tensor(scale), validate_args) {}

// loc + scale tan(pi (u - 1/2)), as cauchy_.
Tensor Cauchy::draw(const Dims& shape) const {
  const Tensor eps = ((uniform_like(shape, loc_) - 0.5) * std::numbers::pi).tan();
  return loc_.expand(shape) + eps * scale_.expand(shape);
}
Tensor Cauchy::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  return -std::log(std::numbers::pi) - scale_.log() - ((value - loc_) / scale_).pow(2.0).log1p();
}
Tensor Cauchy::entropy() const { return std::log(4.0 * std::numbers::pi) + scale_.log(); }
Tensor Cauchy::mean() const { return full_like(loc_, std::numeric_limits<double>::quiet_NaN()); }
Tensor Cauchy::variance() const { return full_like(loc_, std::numeric_limits<double>::infinity()); }
Tensor Cauchy::cdf(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  return atan((value - loc_) / scale_) / std::numbers::pi + 0.5;
}
Tensor Cauchy::icdf(const Tensor& value) const { return ((value - 0.5) * std::numbers::pi).tan() * scale_ + loc_; }

Gumbel::Gumbel(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args)
    : LocationScale(loc, scale, "Gumbel", validate_args) {
  check_parameters();
}
Gumbel::Gumbel(double loc, double scale, std::optional<bool> validate_args)
    : Gumbel(scalar_tensor(loc), scalar_tensor(scale), validate_args) {}

// PyTorch's transforms of U(tiny, 1 - eps): loc - scale log(-log u).
Tensor Gumbel::draw(const Dims& shape) const {
  const Tensor u = uniform_like(shape, loc_).clamp(finfo_tiny(loc_), 1.0 - finfo_eps(loc_));
  return loc_.expand(shape) - scale_.expand(shape) * (-u.log()).log();
}
Tensor Gumbel::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  const Tensor y = (loc_ - value) / scale_;
  return (y - y.exp()) - scale_.log();
}
Tensor Gumbel::entropy() const { return scale_.log() + (1.0 + kEulerGamma); }
Tensor Gumbel::mean() const { return loc_ + scale_ * kEulerGamma; }
Tensor Gumbel::stddev() const { return scale_ * (std::numbers::pi / std::sqrt(6.0)); }
Tensor Gumbel::variance() const { return stddev().pow(2.0); }
Tensor Gumbel::cdf(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(value.eq(value), "Real()");
  return (-(-(value - loc_) / scale_).exp()).exp();
}
Tensor Gumbel::icdf(const Tensor& value) const { return loc_ - scale_ * (-value.log()).log(); }

// ---------------------------------------------------------------- OneHotCategorical

OneHotCategorical::OneHotCategorical(const ProbsOrLogits& parameters, std::optional<bool> validate_args,
                                     bool straight_through)
    : OneHotCategorical(Categorical(parameters, validate_args), validate_args, straight_through) {}

OneHotCategorical::OneHotCategorical(Categorical categorical, std::optional<bool> validate_args, bool straight_through)
    : Distribution(categorical.batch_shape(), Dims{categorical.num_events()}, validate_args),
      categorical_(std::move(categorical)),
      straight_through_(straight_through) {}

Tensor OneHotCategorical::draw(const Dims& shape) const {
  const Tensor indices = categorical_.sample(sample_shape_of(shape, *this));
  Tensor samples = nn::functional::one_hot(indices, categorical_.num_events()).to(probs().dtype());
  if (straight_through_) samples = samples + (probs() - probs().detach());
  return samples;
}

Tensor OneHotCategorical::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) {  // one verdict per event, printed with the value's shape as PyTorch's
    const Tensor is_int = value.eq(0.0) | value.eq(1.0);
    check_value((is_int.all(-1) & value.sum(Dims{-1}).eq(1.0)).unsqueeze(-1).expand(value.sizes()), "OneHot()");
  }
  return categorical_.log_prob(value.argmax(-1));
}

Tensor OneHotCategorical::mode() const {
  return nn::functional::one_hot(probs().argmax(-1), categorical_.num_events()).to(probs().dtype());
}

Tensor OneHotCategorical::variance() const { return probs() * (1.0 - probs()); }

// ---------------------------------------------------------------- kl_divergence

namespace detail {

// The pairs of this file's families, and Uniform / Normal (PyTorch's kl.py); nullopt for a
// pair without a formula.
std::optional<Tensor> kl_divergence_more(const Distribution& p, const Distribution& q) {
  const double inf = std::numeric_limits<double>::infinity();
  if (const auto* a = dynamic_cast<const Independent*>(&p)) {
    const auto* b = dynamic_cast<const Independent*>(&q);
    if (b == nullptr) return std::nullopt;
    EMBER_CHECK(a->reinterpreted_batch_ndims() == b->reinterpreted_batch_ndims(),
                "kl_divergence: NotImplementedError: Independent distributions with different "
                "reinterpreted_batch_ndims (",
                a->reinterpreted_batch_ndims(), " and ", b->reinterpreted_batch_ndims(), ")");
    return sum_rightmost(kl_divergence(a->base_dist(), b->base_dist()), a->reinterpreted_batch_ndims());
  }
  if (const auto* a = dynamic_cast<const TransformedDistribution*>(&p)) {
    const auto* b = dynamic_cast<const TransformedDistribution*>(&q);
    if (b == nullptr) return std::nullopt;
    bool same = a->transforms().size() == b->transforms().size() && a->event_shape() == b->event_shape();
    for (size_t i = 0; same && i < a->transforms().size(); ++i) same = a->transforms()[i]->equals(*b->transforms()[i]);
    EMBER_CHECK(same, "kl_divergence: NotImplementedError: ", p.name(), " and ", q.name(),
                " with different transforms or event shapes");
    return kl_divergence(a->base_dist(), b->base_dist());
  }
  const auto* q_normal = dynamic_cast<const Normal*>(&q);
  const auto* q_exponential = dynamic_cast<const Exponential*>(&q);
  const auto* q_gumbel = dynamic_cast<const Gumbel*>(&q);
  const bool q_uniform = dynamic_cast<const Uniform*>(&q) != nullptr;
  if (const auto* a = dynamic_cast<const Exponential*>(&p)) {
    if (q_exponential != nullptr) {
      const Tensor rate_ratio = q_exponential->rate() / a->rate();
      return -rate_ratio.log() + rate_ratio - 1.0;
    }
    if (q_normal != nullptr) {
      const Tensor var_normal = q_normal->scale().pow(2.0), rate_sqr = a->rate().pow(2.0);
      const Tensor t1 = (rate_sqr * var_normal * (2.0 * std::numbers::pi)).log() * 0.5;
      const Tensor t2 = rate_sqr.reciprocal(), t3 = q_normal->loc() / a->rate(), t4 = q_normal->loc().pow(2.0) * 0.5;
      return t1 - 1.0 + (t2 - t3 + t4) / var_normal;
    }
    if (q_gumbel != nullptr) {
      const Tensor scale_rate_prod = a->rate() * q_gumbel->scale(),
                   loc_scale_ratio = q_gumbel->loc() / q_gumbel->scale();
      const Tensor t2 = loc_scale_ratio.exp() * scale_rate_prod / (scale_rate_prod + 1.0);
      return scale_rate_prod.log() - 1.0 - loc_scale_ratio + t2 + scale_rate_prod.reciprocal();
    }
    if (q_uniform) return full_like(a->rate(), inf);
    return std::nullopt;
  }
  if (const auto* a = dynamic_cast<const Laplace*>(&p)) {
    if (const auto* b = dynamic_cast<const Laplace*>(&q)) {
      const Tensor scale_ratio = a->scale() / b->scale();
      const Tensor loc_abs_diff = (a->loc() - b->loc()).abs();
      return -scale_ratio.log() + loc_abs_diff / b->scale() + scale_ratio * (-loc_abs_diff / a->scale()).exp() - 1.0;
    }
    if (q_normal != nullptr) {
      const Tensor var_normal = q_normal->scale().pow(2.0);
      const Tensor ratio = a->scale().pow(2.0) / var_normal;
      const Tensor t1 = (ratio * (2.0 / std::numbers::pi)).log() * 0.5;
      const Tensor quadratic = a->loc().pow(2.0) * 0.5 - a->loc() * q_normal->loc() + q_normal->loc().pow(2.0) * 0.5;
      return -t1 + ratio + quadratic / var_normal - 1.0;
    }
    if (q_exponential != nullptr || q_uniform) return full_like(a->loc(), inf);
    return std::nullopt;
  }
  if (const auto* a = dynamic_cast<const Cauchy*>(&p)) {
    const auto* b = dynamic_cast<const Cauchy*>(&q);
    if (b == nullptr) return std::nullopt;
    const Tensor t1 = ((a->scale() + b->scale()).pow(2.0) + (a->loc() - b->loc()).pow(2.0)).log();
    return t1 - (a->scale() * b->scale() * 4.0).log();
  }
  if (const auto* a = dynamic_cast<const Gumbel*>(&p)) {
    if (q_gumbel != nullptr) {
      const Tensor ct1 = a->scale() / q_gumbel->scale(), ct2 = q_gumbel->loc() / q_gumbel->scale(),
                   ct3 = a->loc() / q_gumbel->scale();
      const Tensor t1 = -ct1.log() - ct2 + ct3;
      const Tensor t3 = (ct2 + lgamma(ct1 + 1.0) - ct3).exp();
      return t1 + ct1 * kEulerGamma + t3 - (1.0 + kEulerGamma);
    }
    if (q_normal != nullptr) {
      const Tensor ratio = a->scale() / q_normal->scale();
      const Tensor t1 = (ratio / std::sqrt(2.0 * std::numbers::pi)).log();
      const Tensor t2 = (ratio * (std::numbers::pi * 0.5)).pow(2.0) / 3.0;
      const Tensor t3 = ((a->loc() + a->scale() * kEulerGamma - q_normal->loc()) / q_normal->scale()).pow(2.0) * 0.5;
      return -t1 + t2 + t3 - (kEulerGamma + 1.0);
    }
    if (q_exponential != nullptr || q_uniform) return full_like(a->loc(), inf);
    return std::nullopt;
  }
  if (const auto* a = dynamic_cast<const OneHotCategorical*>(&p)) {
    const auto* b = dynamic_cast<const OneHotCategorical*>(&q);
    if (b == nullptr) return std::nullopt;
    return kl_divergence(a->categorical(), b->categorical());
  }
  if (const auto* a = dynamic_cast<const Uniform*>(&p)) {
    const Tensor width = a->high() - a->low();
    if (q_normal != nullptr) {  // PyTorch's _kl_uniform_normal
      const Tensor t1 = (q_normal->scale() * std::sqrt(2.0 * std::numbers::pi) / width).log();
      const Tensor t2 = width.pow(2.0) / 12.0;
      const Tensor t3 = ((a->high() + a->low() - q_normal->loc() * 2.0) / 2.0).pow(2.0);
      return t1 + (t2 + t3) * 0.5 / q_normal->scale().pow(2.0);
    }
    if (q_exponential != nullptr) {  // inf where the uniform reaches below 0
      const Tensor result =
          q_exponential->rate() * (a->high() + a->low()) / 2.0 - (width * q_exponential->rate()).log();
      return where(a->low().lt(0.0), inf, result);
    }
    if (q_gumbel != nullptr) {
      const Tensor common = q_gumbel->scale() / width;
      const Tensor high_diff = (a->high() - q_gumbel->loc()) / q_gumbel->scale();
      const Tensor low_diff = (a->low() - q_gumbel->loc()) / q_gumbel->scale();
      return common.log() + (high_diff + low_diff) * 0.5 - common * ((-high_diff).exp() - (-low_diff).exp());
    }
    return std::nullopt;
  }
  if (const auto* a = dynamic_cast<const Normal*>(&p)) {
    if (q_uniform || q_exponential != nullptr) return full_like(a->loc(), inf);  // _kl_normal_infinity
    if (const auto* b = dynamic_cast<const Laplace*>(&q)) {                      // PyTorch's _kl_normal_laplace
      const Tensor loc_diff = a->loc() - b->loc();
      const Tensor t1 = (a->scale() / b->scale()).log();
      const Tensor t2 =
          a->scale() * std::sqrt(2.0 / std::numbers::pi) * ((loc_diff / a->scale()).pow(2.0) * -0.5).exp();
      const Tensor t3 = loc_diff * erf(loc_diff / a->scale() * std::sqrt(0.5));
      return -t1 + (t2 + t3) / b->scale() - 0.5 * (1.0 + std::log(0.5 * std::numbers::pi));
    }
    if (q_gumbel != nullptr) {
      const Tensor mean_scale_ratio = a->loc() / q_gumbel->scale();
      const Tensor var_scale_sqr_ratio = (a->scale() / q_gumbel->scale()).pow(2.0);
      const Tensor loc_scale_ratio = q_gumbel->loc() / q_gumbel->scale();
      const Tensor t3 = (-mean_scale_ratio + var_scale_sqr_ratio * 0.5 + loc_scale_ratio).exp();
      return -var_scale_sqr_ratio.log() * 0.5 + (mean_scale_ratio - loc_scale_ratio) + t3 -
             0.5 * (1.0 + std::log(2.0 * std::numbers::pi));
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace detail

}  // namespace ember::distributions
