// The factor schedules (PyTorch's closed forms) and the user's lambdas: LambdaLR's
// lr_lambda(epoch), MultiplicativeLR's cached running product of it.
#include "nn/optim/scheduler_factor.h"

#include <algorithm>
#include <cmath>

#include "nn/optim/scheduler_state.h"

namespace ember::optim {

namespace {
void check_gamma(const char* who, double gamma) {
  EMBER_CHECK(std::isfinite(gamma) && gamma > 0.0, who, ": expected a finite gamma > 0, but got ", gamma);
}
void check_total_iters(const char* who, int64_t total_iters) {
  EMBER_CHECK(total_iters > 0, who, ": total_iters must be positive, but got ", total_iters);
}
// min(epoch, total_iters) / total_iters
double progress(int64_t epoch, int64_t total_iters) {
  return static_cast<double>(std::min(epoch, total_iters)) / static_cast<double>(total_iters);
}
}  // namespace

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : FactorSchedule(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  check_gamma("MultiStepLR", gamma);
  std::sort(milestones_.begin(), milestones_.end());
  EMBER_CHECK(milestones_.empty() || milestones_.front() >= 0,
              "MultiStepLR: milestones must be epochs >= 0, but got ", milestones_.front());
  start();
}

double MultiStepLR::factor(size_t, int64_t epoch) const {
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : FactorSchedule(optimizer), gamma_(gamma) {
  check_gamma("ExponentialLR", gamma);
  start();
}

double ExponentialLR::factor(size_t, int64_t epoch) const { return std::pow(gamma_, static_cast<double>(epoch)); }

ConstantLR::ConstantLR(Optimizer& optimizer, double factor, int64_t total_iters)
    : FactorSchedule(optimizer), factor_(factor), total_iters_(total_iters) {
  EMBER_CHECK(factor >= 0.0 && factor <= 1.0, "Constant multiplicative factor expected to be between 0 and 1.");
  check_total_iters("ConstantLR", total_iters);
  start();
}

double ConstantLR::factor(size_t, int64_t epoch) const { return epoch < total_iters_ ? factor_ : 1.0; }

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : FactorSchedule(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  EMBER_CHECK(start_factor > 0.0 && start_factor <= 1.0,  // 0 would make every later factor a division by 0
              "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
  EMBER_CHECK(end_factor >= 0.0 && end_factor <= 1.0, "Ending multiplicative factor expected to be between 0 and 1.");
  check_total_iters("LinearLR", total_iters);
  start();
}

double LinearLR::factor(size_t, int64_t epoch) const {
  return start_factor_ + (end_factor_ - start_factor_) * progress(epoch, total_iters_);
}

PolynomialLR::PolynomialLR(Optimizer& optimizer, int64_t total_iters, double power)
    : FactorSchedule(optimizer), total_iters_(total_iters), power_(power) {
  check_total_iters("PolynomialLR", total_iters);
  EMBER_CHECK(std::isfinite(power) && power >= 0.0, "PolynomialLR: expected a finite power >= 0, but got ", power);
  start();
}

double PolynomialLR::factor(size_t, int64_t epoch) const {
  return std::pow(1.0 - progress(epoch, total_iters_), power_);
}

namespace detail {

GroupLambdas::GroupLambdas(const char* who, const Optimizer& optimizer, std::vector<LrLambda> lambdas, bool shared)
    : who_(who), lambdas_(std::move(lambdas)), shared_(shared) {
  EMBER_CHECK(shared || lambdas_.size() == optimizer.num_param_groups(), "Expected ", optimizer.num_param_groups(),
              " lr_lambdas, but got ", lambdas_.size());
  for (const LrLambda& fn : lambdas_) EMBER_CHECK(static_cast<bool>(fn), who, ": lr_lambda is an empty function");
}

double GroupLambdas::operator()(size_t group, int64_t epoch) const {
  if (!shared_ && group >= lambdas_.size()) return 1.0;
  return lambdas_[shared_ ? 0 : group](epoch);
}

}  // namespace detail

LambdaLR::LambdaLR(Optimizer& optimizer, LrLambda lr_lambda)
    : FactorSchedule(optimizer), lambdas_("LambdaLR", optimizer, {std::move(lr_lambda)}, true) {
  start();
}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<LrLambda> lr_lambdas)
    : FactorSchedule(optimizer), lambdas_("LambdaLR", optimizer, std::move(lr_lambdas), false) {
  start();
}

double LambdaLR::factor(size_t group, int64_t epoch) const { return lambdas_(group, epoch); }

MultiplicativeLR::MultiplicativeLR(Optimizer& optimizer, LrLambda lr_lambda)
    : FactorSchedule(optimizer), lambdas_("MultiplicativeLR", optimizer, {std::move(lr_lambda)}, true) {
  start();
}

MultiplicativeLR::MultiplicativeLR(Optimizer& optimizer, std::vector<LrLambda> lr_lambdas)
    : FactorSchedule(optimizer), lambdas_("MultiplicativeLR", optimizer, std::move(lr_lambdas), false) {
  start();
}

double MultiplicativeLR::factor(size_t group, int64_t epoch) const {
  // Note [Schedules jump, never replay]: on from the cached product, or from epoch 0 when
  // `epoch` is before it; the same multiplications in the same order either way.
  if (running_.size() <= group) running_.resize(group + 1);
  Running& run = running_[group];
  if (epoch < run.epoch) run = Running{};
  while (run.epoch < epoch) {
    const double next = run.factor * lambdas_(group, run.epoch + 1);
    run = Running{run.epoch + 1, next};
  }
  return run.factor;
}

void MultiplicativeLR::save_extra(StateDict& out) const {
  std::vector<int64_t> epochs;
  std::vector<double> factors;
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    const Running run = g < running_.size() ? running_[g] : Running{};
    epochs.push_back(run.epoch);
    factors.push_back(run.factor);
  }
  out.emplace_back("running_epochs", detail::state_vector(epochs));
  out.emplace_back("running_factors", detail::state_vector(factors));
}

void MultiplicativeLR::check_extra(const StateDict& entries) const {
  constexpr const char* kWho = "MultiplicativeLR::load_state_dict";
  bool epochs = false, factors = false;
  const size_t groups = optimizer_.num_param_groups();
  for (const auto& [name, value] : entries) {
    if (name == "running_epochs") {
      for (int64_t e : detail::read_ints(value, kWho, name, groups))
        EMBER_CHECK(e >= 0, kWho, ": running_epochs must be >= 0, but got ", e);
      epochs = true;
    } else if (name == "running_factors") {
      for (double f : detail::read_doubles(value, kWho, name, groups))
        EMBER_CHECK(std::isfinite(f), kWho, ": running_factors must be finite, but got ", f);
      factors = true;
    } else {
      EMBER_FAIL(kWho, ": unexpected key \"", name,
                 "\" (expected last_epoch, base_lrs, running_epochs and running_factors)");
    }
  }
  EMBER_CHECK(epochs && factors, kWho, ": expected keys running_epochs and running_factors");
}

void MultiplicativeLR::set_extra(const StateDict& entries) {
  std::vector<int64_t> epochs;
  std::vector<double> factors;
  for (const auto& [name, value] : entries) {
    if (name == "running_epochs")
      epochs = value.to(kInt64).to_vector<int64_t>();
    else
      factors = value.to(kFloat64).to_vector<double>();
  }
  running_.assign(epochs.size(), Running{});
  for (size_t g = 0; g < epochs.size(); ++g) running_[g] = Running{epochs[g], factors[g]};
}

}  // namespace ember::optim
