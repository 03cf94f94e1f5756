// ReduceLROnPlateau: PyTorch's step(metrics) and its counters, read back checked.
#include "nn/optim/plateau.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "nn/optim/scheduler_state.h"

namespace ember::optim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

void check_nonnegative(const char* name, double value) {
  EMBER_CHECK(std::isfinite(value) && value >= 0.0, "ReduceLROnPlateau: expected a finite ", name,
              " >= 0, but got ", value);
}
}  // namespace

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const std::string& mode, double factor, int64_t patience,
                                     double threshold, const std::string& threshold_mode, int64_t cooldown,
                                     MinLr min_lr, double eps)
    : optimizer_(optimizer),
      max_mode_(mode == "max"),
      rel_threshold_(threshold_mode == "rel"),
      factor_(factor),
      patience_(patience),
      threshold_(threshold),
      cooldown_(cooldown),
      min_lrs_(std::move(min_lr)),
      eps_(eps) {
  EMBER_CHECK(factor < 1.0, "Factor should be < 1.0.");
  check_nonnegative("factor", factor);
  EMBER_CHECK(mode == "min" || mode == "max", "mode ", mode, " is unknown!");
  EMBER_CHECK(threshold_mode == "rel" || threshold_mode == "abs", "threshold mode ", threshold_mode, " is unknown!");
  EMBER_CHECK(min_lrs_.shared || min_lrs_.values.size() == optimizer.num_param_groups(), "expected ",
              optimizer.num_param_groups(), " min_lrs, got ", min_lrs_.values.size());
  for (double m : min_lrs_.values) check_nonnegative("min_lr", m);
  EMBER_CHECK(patience >= 0, "ReduceLROnPlateau: expected patience >= 0, but got ", patience);
  EMBER_CHECK(cooldown >= 0, "ReduceLROnPlateau: expected cooldown >= 0, but got ", cooldown);
  check_nonnegative("threshold", threshold);
  check_nonnegative("eps", eps);
  best_ = max_mode_ ? -kInf : kInf;  // PyTorch's mode_worse
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g) last_lr_.push_back(optimizer.lr(g));
}

double ReduceLROnPlateau::min_lr(size_t group) const {
  if (min_lrs_.shared) return min_lrs_.values[0];
  EMBER_CHECK(group < min_lrs_.values.size(), "ReduceLROnPlateau: expected ", optimizer_.num_param_groups(),
              " min_lrs, got ", min_lrs_.values.size(), " (a parameter group was added after the scheduler was made)");
  return min_lrs_.values[group];
}

bool ReduceLROnPlateau::is_better(double metric) const {
  // PyTorch's comparisons: false for a NaN metric.
  if (max_mode_) return rel_threshold_ ? metric > best_ * (threshold_ + 1.0) : metric > best_ + threshold_;
  return rel_threshold_ ? metric < best_ * (1.0 - threshold_) : metric < best_ - threshold_;
}

void ReduceLROnPlateau::step(double metric) {
  std::vector<double> floors;  // first, so a missing min_lr changes nothing
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) floors.push_back(min_lr(g));
  last_epoch_ += 1;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (in_cooldown()) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > patience_) {
    for (size_t g = 0; g < floors.size(); ++g) {
      const double old_lr = optimizer_.lr(g);
      const double new_lr = std::max(old_lr * factor_, floors[g]);
      if (old_lr - new_lr > eps_) optimizer_.set_lr(g, new_lr);
    }
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) last_lr_.push_back(optimizer_.lr(g));
}

StateDict ReduceLROnPlateau::state_dict() const {
  return {{"best", detail::state_scalar(best_)},
          {"num_bad_epochs", detail::state_scalar(num_bad_epochs_)},
          {"cooldown_counter", detail::state_scalar(cooldown_counter_)},
          {"last_epoch", detail::state_scalar(last_epoch_)}};
}

void ReduceLROnPlateau::load_state_dict(const StateDict& state) {
  constexpr const char* kWho = "ReduceLROnPlateau::load_state_dict";
  std::optional<double> best;
  std::optional<int64_t> bad, cooldown, epoch;
  for (const auto& [name, value] : state) {
    if (name == "best") {
      best = detail::read_double(value, kWho, name);
      EMBER_CHECK(!std::isnan(*best), kWho, ": best must not be NaN");
    } else if (name == "num_bad_epochs") {
      bad = detail::read_int(value, kWho, name);
      EMBER_CHECK(*bad >= 0 && *bad <= patience_, kWho, ": num_bad_epochs must be in [0, patience = ", patience_,
                  "], but got ", *bad);
    } else if (name == "cooldown_counter") {
      cooldown = detail::read_int(value, kWho, name);
      EMBER_CHECK(*cooldown >= 0 && *cooldown <= cooldown_, kWho, ": cooldown_counter must be in [0, cooldown = ",
                  cooldown_, "], but got ", *cooldown);
    } else if (name == "last_epoch") {
      epoch = detail::read_int(value, kWho, name);
      EMBER_CHECK(*epoch >= 0, kWho, ": last_epoch must be >= 0, but got ", *epoch);
    } else {
      EMBER_FAIL(kWho, ": unexpected key \"", name,
                 "\" (expected best, num_bad_epochs, cooldown_counter and last_epoch)");
    }
  }
  EMBER_CHECK(best && bad && cooldown && epoch, kWho,
              ": expected keys best, num_bad_epochs, cooldown_counter and last_epoch");
  best_ = *best;
  num_bad_epochs_ = *bad;
  cooldown_counter_ = *cooldown;
  last_epoch_ = *epoch;
  last_lr_.clear();
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) last_lr_.push_back(optimizer_.lr(g));
}

}  // namespace ember::optim
