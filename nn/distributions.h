// torch.distributions: Normal, Uniform, Bernoulli, Categorical and MultivariateNormal with
// PyTorch's batch and event shapes, sample / rsample, log_prob, entropy, mean, variance and
// (where PyTorch has them) cdf / icdf, PyTorch's argument checks, and kl_divergence between
// two distributions of one family. Composed of tensor ops (Note [Distributions]).
#pragma once
#include <optional>
#include <string>

#include "core/tensor.h"

namespace ember::distributions {

// PyTorch's Distribution.set_default_validate_args: whether distributions made without an
// explicit validate_args check their parameters and log_prob's values (on by default).
void set_default_validate_args(bool value);
bool default_validate_args();

class Distribution {
 public:
  virtual ~Distribution() = default;
  const Dims& batch_shape() const { return batch_shape_; }
  const Dims& event_shape() const { return event_shape_; }
  // Whether rsample is defined (a draw differentiable in the parameters).
  virtual bool has_rsample() const { return false; }
  // Draws of shape sample_shape + batch_shape + event_shape, never recorded.
  Tensor sample(const Dims& sample_shape = {}) const;
  // The same draws, reparameterized: gradients flow to the parameters. PyTorch's
  // NotImplementedError (an ember::Error here) where has_rsample() is false.
  Tensor rsample(const Dims& sample_shape = {}) const;
  virtual Tensor log_prob(const Tensor& value) const = 0;
  virtual Tensor entropy() const = 0;
  virtual Tensor mean() const = 0;
  virtual Tensor variance() const = 0;
  // sqrt(variance()) unless the family has it directly (Normal's scale), as PyTorch's.
  virtual Tensor stddev() const;
  // The most likely value (PyTorch 2's Distribution.mode).
  virtual Tensor mode() const = 0;
  // exp(entropy()).
  Tensor perplexity() const { return entropy().exp(); }
  virtual Tensor cdf(const Tensor& value) const;
  virtual Tensor icdf(const Tensor& value) const;
  virtual std::string name() const = 0;

 protected:
  Distribution(Dims batch_shape, Dims event_shape, std::optional<bool> validate_args);
  Dims extended_shape(const Dims& sample_shape) const;
  // One draw of `shape` (extended_shape's), recorded when the distribution has rsample.
  virtual Tensor draw(const Dims& shape) const = 0;
  // PyTorch's checks: a parameter where `ok` is not all true, a value outside the support.
  void check_parameter(const char* parameter, const Tensor& ok, const char* constraint) const;
  void check_value(const Tensor& ok, const std::string& support) const;
  // PyTorch's _validate_sample shape checks: the value's right-most sizes are the event shape,
  // and it broadcasts with batch_shape + event_shape (with validation on).
  void check_value_shape(const Tensor& value) const;
  bool validate() const { return validate_; }

 private:
  Dims batch_shape_, event_shape_;
  bool validate_;
};

// N(loc, scale^2), elementwise; loc and scale broadcast to the batch shape.
class Normal final : public Distribution {
 public:
  Normal(const Tensor& loc, const Tensor& scale, std::optional<bool> validate_args = std::nullopt);
  Normal(double loc, double scale, std::optional<bool> validate_args = std::nullopt);
  // A number beside a tensor is a 0-dim tensor like it (broadcast_all's): Normal(mu, 1.0).
  Normal(const Tensor& loc, double scale, std::optional<bool> validate_args = std::nullopt);
  Normal(double loc, const Tensor& scale, std::optional<bool> validate_args = std::nullopt);
  const Tensor& loc() const { return loc_; }
  const Tensor& scale() const { return scale_; }
  bool has_rsample() const override { return true; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return loc_; }
  Tensor mode() const override { return loc_; }
  Tensor variance() const override;
  Tensor stddev() const override { return scale_; }
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "Normal"; }

 private:
  Tensor draw(const Dims& shape) const override;
  Tensor loc_, scale_;
};

// U[low, high), elementwise.
class Uniform final : public Distribution {
 public:
  Uniform(const Tensor& low, const Tensor& high, std::optional<bool> validate_args = std::nullopt);
  Uniform(double low, double high, std::optional<bool> validate_args = std::nullopt);
  Uniform(const Tensor& low, double high, std::optional<bool> validate_args = std::nullopt);
  Uniform(double low, const Tensor& high, std::optional<bool> validate_args = std::nullopt);
  const Tensor& low() const { return low_; }
  const Tensor& high() const { return high_; }
  bool has_rsample() const override { return true; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;
  Tensor mode() const override;  // NaN: every value is as likely
  Tensor variance() const override;
  Tensor stddev() const override;
  Tensor cdf(const Tensor& value) const override;
  Tensor icdf(const Tensor& value) const override;
  std::string name() const override { return "Uniform"; }

 private:
  Tensor draw(const Dims& shape) const override;
  Tensor low_, high_;
};

// Exactly one of the two (PyTorch's keyword arguments): Bernoulli({.probs = p}).
struct ProbsOrLogits {
  Tensor probs{}, logits{};
};

// 1 with probability probs (or sigmoid(logits)), elementwise.
class Bernoulli final : public Distribution {
 public:
  explicit Bernoulli(const ProbsOrLogits& parameters, std::optional<bool> validate_args = std::nullopt);
  const Tensor& probs() const { return probs_; }
  const Tensor& logits() const { return logits_; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return probs_; }
  Tensor mode() const override;  // 1 where probs > 0.5, 0 below, NaN at 0.5
  Tensor variance() const override;
  std::string name() const override { return "Bernoulli"; }

 private:
  Tensor draw(const Dims& shape) const override;
  Tensor probs_, logits_;
};

// One of K categories by the last dim of probs (normalised to sum 1) or of logits
// (normalised to logsumexp 0); values are int64 indices; mean and variance are NaN.
class Categorical final : public Distribution {
 public:
  explicit Categorical(const ProbsOrLogits& parameters, std::optional<bool> validate_args = std::nullopt);
  const Tensor& probs() const { return probs_; }
  const Tensor& logits() const { return logits_; }
  int64_t num_events() const { return probs_.size(-1); }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;
  Tensor mode() const override;  // the first most likely category
  Tensor variance() const override;
  std::string name() const override { return "Categorical"; }

 private:
  Tensor draw(const Dims& shape) const override;
  Tensor probs_, logits_;
};

// Exactly one of the three (PyTorch's keyword arguments).
struct CovarianceOptions {
  Tensor covariance_matrix{}, precision_matrix{}, scale_tril{};
};

// N(loc, Sigma) over the last dim of loc [*, k], Sigma [*, k, k] given by its covariance,
// precision or lower Cholesky factor; batch dims of loc and Sigma broadcast.
class MultivariateNormal final : public Distribution {
 public:
  MultivariateNormal(const Tensor& loc, const CovarianceOptions& covariance,
                     std::optional<bool> validate_args = std::nullopt);
  const Tensor& loc() const { return loc_; }
  const Tensor& scale_tril() const { return scale_tril_; }
  // L as given or computed, before broadcasting to the batch shape (PyTorch's
  // _unbroadcasted_scale_tril): what every formula uses, so a shared L is factored once.
  const Tensor& unbroadcasted_scale_tril() const { return unbroadcasted_scale_tril_; }
  Tensor covariance_matrix() const;
  Tensor precision_matrix() const;
  bool has_rsample() const override { return true; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return loc_; }
  Tensor mode() const override { return loc_; }
  Tensor variance() const override;
  std::string name() const override { return "MultivariateNormal"; }

 private:
  Tensor draw(const Dims& shape) const override;
  Tensor loc_, scale_tril_;        // both expanded to the batch shape
  Tensor unbroadcasted_scale_tril_;  // L itself
};

// KL(p || q) for p and q of one family (Normal, Uniform, Bernoulli, Categorical,
// MultivariateNormal), PyTorch's formulas; other pairs are PyTorch's NotImplementedError.
Tensor kl_divergence(const Distribution& p, const Distribution& q);

}  // namespace ember::distributions
