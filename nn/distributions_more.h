// More of torch.distributions: Independent, transforms with TransformedDistribution (the
// tanh-squashed Gaussian of SAC), LogNormal, HalfNormal, Exponential, Laplace, Cauchy, Gumbel,
// OneHotCategorical (and its straight-through form), with PyTorch's shapes, formulas, checks
// and kl_divergence pairs (Note [Distributions] in nn/distributions.cpp).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/distributions.h"

namespace ember::distributions {

// PyTorch's Independent: the right-most reinterpreted_batch_ndims batch dims of `base` become
// event dims, so log_prob and entropy sum over them (Independent(Normal(mu, std), 1) is a
// diagonal Gaussian over vectors).
class Independent final : public Distribution {
 public:
  Independent(std::shared_ptr<const Distribution> base, int64_t reinterpreted_batch_ndims,
              std::optional<bool> validate_args = std::nullopt);
  const Distribution& base_dist() const { return *base_; }
  int64_t reinterpreted_batch_ndims() const { return ndims_; }
  bool has_rsample() const override { return base_->has_rsample(); }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return base_->mean(); }
  Tensor mode() const override { return base_->mode(); }
  Tensor variance() const override { return base_->variance(); }
  Tensor stddev() const override { return base_->stddev(); }
  std::string name() const override { return "Independent"; }

 private:
  Tensor draw(const Dims& shape) const override;
  std::shared_ptr<const Distribution> base_;
  int64_t ndims_;
};

// PyTorch's Transform: a bijection y = f(x) with log|dy/dx|, acting on the right-most
// event_dim dims as one event. cache_size = 1 keeps the last (x, y): the inverse of that very
// y tensor is x itself (TanhTransform(cache_size=1): the log_prob of a squashed sample needs
// no atanh of +-1).
class Transform {
 public:
  explicit Transform(int cache_size = 0);
  virtual ~Transform() = default;
  Tensor operator()(const Tensor& x) const;  // forward, through the cache
  Tensor inv(const Tensor& y) const;         // inverse, through the cache
  // log|det dy/dx|, elementwise over the event_dim right-most dims before summing them.
  virtual Tensor log_abs_det_jacobian(const Tensor& x, const Tensor& y) const = 0;
  virtual int64_t event_dim() const { return 0; }
  // +1 or -1 where the map increases or decreases (a tensor for an affine map), for cdf;
  // PyTorch's NotImplementedError unless a map defines it.
  virtual Tensor sign() const;
  // Known to increase everywhere (no sign needed); a map of another direction overrides it.
  virtual bool increasing() const { return true; }
  virtual std::string name() const = 0;
  // PyTorch's __eq__, for kl_divergence of two TransformedDistributions.
  virtual bool equals(const Transform& other) const { return name() == other.name(); }

 protected:
  virtual Tensor forward(const Tensor& x) const = 0;
  virtual Tensor inverse(const Tensor& y) const = 0;

 private:
  int cache_size_;
  mutable Tensor cached_x_, cached_y_;
};

class ExpTransform final : public Transform {
 public:
  using Transform::Transform;
  Tensor log_abs_det_jacobian(const Tensor& x, const Tensor& y) const override;
  std::string name() const override { return "ExpTransform"; }

 protected:
  Tensor forward(const Tensor& x) const override;
  Tensor inverse(const Tensor& y) const override;
};

// sigmoid, its values clipped into [tiny, 1 - eps] (PyTorch's _clipped_sigmoid).
class SigmoidTransform final : public Transform {
 public:
  using Transform::Transform;
  Tensor log_abs_det_jacobian(const Tensor& x, const Tensor& y) const override;
  std::string name() const override { return "SigmoidTransform"; }

 protected:
  Tensor forward(const Tensor& x) const override;
  Tensor inverse(const Tensor& y) const override;
};

// tanh, with PyTorch's stable log|dy/dx| = 2 (log 2 - x - softplus(-2x)).
class TanhTransform final : public Transform {
 public:
  using Transform::Transform;
  Tensor log_abs_det_jacobian(const Tensor& x, const Tensor& y) const override;
  std::string name() const override { return "TanhTransform"; }

 protected:
  Tensor forward(const Tensor& x) const override;
  Tensor inverse(const Tensor& y) const override;
};

// |x|: not a bijection; inverse is the identity (HalfNormal's), and, as PyTorch's AbsTransform,
// no log-determinant or sign (NotImplementedError).
class AbsTransform final : public Transform {
 public:
  using Transform::Transform;
  Tensor log_abs_det_jacobian(const Tensor& x, const Tensor& y) const override;
  std::string name() const override { return "AbsTransform"; }

 protected:
  Tensor forward(const Tensor& x) const override;
  Tensor inverse(const Tensor& y) const override { return y; }
};

// loc + scale * x, over event_dim right-most dims as one event.
class AffineTransform final : public Transform {
 public:
  AffineTransform(const Tensor& loc, const Tensor& scale, int64_t event_dim = 0, int cache_size = 0);
  AffineTransform(double loc, double scale, int64_t event_dim = 0, int cache_size = 0);
  const Tensor& loc() const { return loc_; }
  const Tensor& scale() const { return scale_; }
  Tensor log_abs_det_jacobian(const Tensor& x, const Tensor& y) const override;
  int64_t event_dim() const override { return event_dim_; }
  Tensor sign() const override;
  bool increasing() const override;
  std::string name() const override { return "AffineTransform"; }
  bool equals(const Transform& other) const override;

 protected:
  Tensor forward(const Tensor& x) const override;
  Tensor inverse(const Tensor& y) const override;

 private:
  Tensor loc_, scale_;
  int64_t event_dim_;
  bool scale_is_number_ = false;  // given as a number: its sign is known (PyTorch's int sign)
};

// PyTorch's TransformedDistribution: the base's draws pushed through the transforms in
// order; log_prob by the change of variables. The transforms keep the base's shape (each
// acts on its event_dim right-most dims; a transform over more dims than the base's event
// reinterprets batch dims as Independent does). mean, variance and entropy are PyTorch's
// NotImplementedError unless a family defines them (LogNormal).
class TransformedDistribution : public Distribution {
 public:
  TransformedDistribution(std::shared_ptr<const Distribution> base,
                          std::vector<std::shared_ptr<const Transform>> transforms,
                          std::optional<bool> validate_args = std::nullopt);
  const Distribution& base_dist() const { return *base_; }
  const std::vector<std::shared_ptr<const Transform>>& transforms() const { return transforms_; }
  bool has_rsample() const override { return base_->has_rsample(); }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;
  Tensor mode() const override;
  Tensor variance() const override;
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "TransformedDistribution"; }

 protected:
  Tensor draw(const Dims& shape) const override;
  void check_support(const Tensor& value) const;

 private:
  std::shared_ptr<const Distribution> base_;  // Independent over the reinterpreted dims, if any
  std::vector<std::shared_ptr<const Transform>> transforms_;
};

// exp(Normal(loc, scale)).
class LogNormal final : public TransformedDistribution {
 public:
  LogNormal(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args = std::nullopt);
  LogNormal(double loc, double scale, std::optional<bool> validate_args = std::nullopt);
  const Tensor& loc() const { return normal().loc(); }
  const Tensor& scale() const { return normal().scale(); }
  Tensor entropy() const override;
  Tensor mean() const override;
  Tensor mode() const override;
  Tensor variance() const override;
  std::string name() const override { return "LogNormal"; }

 private:
  const Normal& normal() const { return static_cast<const Normal&>(base_dist()); }
};

// |Normal(0, scale)|.
class HalfNormal final : public TransformedDistribution {
 public:
  explicit HalfNormal(const Tensor& scale, std::optional<bool> validate_args = std::nullopt);
  explicit HalfNormal(double scale, std::optional<bool> validate_args = std::nullopt);
  const Tensor& scale() const { return normal().scale(); }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;
  Tensor mode() const override;
  Tensor variance() const override;
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "HalfNormal"; }

 private:
  const Normal& normal() const { return static_cast<const Normal&>(base_dist()); }
};

// rate * exp(-rate x) on x >= 0.
class Exponential final : public Distribution {
 public:
  explicit Exponential(const Tensor& rate, std::optional<bool> validate_args = std::nullopt);
  explicit Exponential(double rate, std::optional<bool> validate_args = std::nullopt);
  const Tensor& rate() const { return rate_; }
  bool has_rsample() const override { return true; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return rate_.reciprocal(); }
  Tensor mode() const override;  // 0
  Tensor variance() const override { return rate_.pow(-2.0); }
  Tensor stddev() const override { return rate_.reciprocal(); }
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "Exponential"; }

 private:
  Tensor draw(const Dims& shape) const override;
  Tensor rate_;
};

// The two-parameter families of a location and a scale > 0, elementwise.
class LocationScale : public Distribution {
 public:
  const Tensor& loc() const { return loc_; }
  const Tensor& scale() const { return scale_; }
  bool has_rsample() const override { return true; }

 protected:
  LocationScale(const Tensor& loc, const Tensor& scale, const char* family, std::optional<bool> validate_args);
  void check_parameters();  // after the derived class exists (its name in the message)
  Tensor loc_, scale_;
};

// exp(-|x - loc| / scale) / (2 scale).
class Laplace final : public LocationScale {
 public:
  Laplace(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args = std::nullopt);
  Laplace(double loc, double scale, std::optional<bool> validate_args = std::nullopt);
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return loc_; }
  Tensor mode() const override { return loc_; }
  Tensor variance() const override { return scale_ * scale_ * 2.0; }
  Tensor stddev() const override;
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "Laplace"; }

 private:
  Tensor draw(const Dims& shape) const override;
};

// 1 / (pi scale (1 + ((x - loc) / scale)^2)); mean NaN, variance inf, as PyTorch's.
class Cauchy final : public LocationScale {
 public:
  Cauchy(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args = std::nullopt);
  Cauchy(double loc, double scale, std::optional<bool> validate_args = std::nullopt);
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;
  Tensor mode() const override { return loc_; }
  Tensor variance() const override;
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "Cauchy"; }

 private:
  Tensor draw(const Dims& shape) const override;
};

// The maximum of many draws: exp(-(z + exp(-z))) / scale, z = (x - loc) / scale.
class Gumbel final : public LocationScale {
 public:
  Gumbel(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args = std::nullopt);
  Gumbel(double loc, double scale, std::optional<bool> validate_args = std::nullopt);
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;
  Tensor mode() const override { return loc_; }
  Tensor variance() const override;
  Tensor stddev() const override;
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "Gumbel"; }

 private:
  Tensor draw(const Dims& shape) const override;
};

// Categorical's draws as one-hot vectors of the last dim (event shape [K], float values).
// straight_through (PyTorch's OneHotCategoricalStraightThrough): rsample is the draw plus
// probs - probs.detach(), so gradients reach the probabilities.
class OneHotCategorical final : public Distribution {
 public:
  explicit OneHotCategorical(const ProbsOrLogits& parameters, std::optional<bool> validate_args = std::nullopt,
                             bool straight_through = false);
  const Tensor& probs() const { return categorical_.probs(); }
  const Tensor& logits() const { return categorical_.logits(); }
  const Categorical& categorical() const { return categorical_; }
  bool has_rsample() const override { return straight_through_; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override { return categorical_.entropy(); }
  Tensor mean() const override { return probs(); }
  Tensor mode() const override;
  Tensor variance() const override;
  std::string name() const override {
    return straight_through_ ? "OneHotCategoricalStraightThrough" : "OneHotCategorical";
  }

 private:
  OneHotCategorical(Categorical categorical, std::optional<bool> validate_args, bool straight_through);
  Tensor draw(const Dims& shape) const override;
  Categorical categorical_;
  bool straight_through_;
};

}  // namespace ember::distributions
