// CyclicLR's closed form (PyTorch's get_lr, the same operations in the same order).
#include "nn/optim/scheduler_cyclic.h"

#include <cmath>

#include "core/error.h"
#include "nn/optim/scheduler_state.h"

namespace ember::optim {

namespace {

std::function<double(double)> mode_scale_fn(const std::string& mode, double gamma) {
  if (mode == "triangular") return [](double) { return 1.0; };
  if (mode == "triangular2") return [](double cycle) { return 1.0 / std::pow(2.0, cycle - 1.0); };
  if (mode == "exp_range") return [gamma](double step) { return std::pow(gamma, step); };
  EMBER_FAIL("mode is invalid and scale_fn is None (expected mode triangular, triangular2 or exp_range, but got '",
             mode, "')");
}

// Every argument check of CyclicLR, then each group's lr set to its base_lr: PyTorch sets it
// before LRScheduler.__init__, so a first scheduler's group.setdefault("initial_lr", ...)
// records base_lr, not the lr before; a refused schedule changes nothing.
Optimizer& checked_and_at_base_lr(Optimizer& optimizer, const PerGroup& base_lr, const PerGroup& max_lr,
                                  const CyclicLROptions& options) {
  const std::vector<double> base_lrs = detail::per_group("base_lr", optimizer, base_lr);
  const std::vector<double> max_lrs = detail::per_group("max_lr", optimizer, max_lr);
  for (size_t g = 0; g < base_lrs.size(); ++g) {
    EMBER_CHECK(std::isfinite(base_lrs[g]) && std::isfinite(max_lrs[g]), "CyclicLR: expected finite learning rates, ",
                "but got base_lr ", base_lrs[g], " and max_lr ", max_lrs[g], " for group ", g);
  }
  const double up = options.step_size_up, down = options.step_size_down.value_or(up);
  EMBER_CHECK(std::isfinite(up) && up > 0, "CyclicLR: expected a positive step_size_up, but got ", up);
  EMBER_CHECK(std::isfinite(down) && down >= 0, "CyclicLR: expected a step_size_down >= 0, but got ", down);
  if (options.scale_fn) {
    EMBER_CHECK(options.scale_mode == "cycle" || options.scale_mode == "iterations",
                "CyclicLR: expected scale_mode 'cycle' or 'iterations', but got '", options.scale_mode, "'");
  } else {
    (void)mode_scale_fn(options.mode, options.gamma);  // PyTorch's "mode is invalid" error
  }
  if (options.cycle_momentum) {
    for (size_t g = 0; g < optimizer.num_param_groups(); ++g)
      EMBER_CHECK(optimizer.momentum(g).has_value(),
                  "optimizer must support momentum or beta1 with `cycle_momentum` option enabled");
    (void)detail::per_group("base_momentum", optimizer, options.base_momentum);
    (void)detail::per_group("max_momentum", optimizer, options.max_momentum);
  }
  for (size_t g = 0; g < base_lrs.size(); ++g) optimizer.set_lr(g, base_lrs[g]);
  return optimizer;
}

}  // namespace

CyclicLR::CyclicLR(Optimizer& optimizer, PerGroup base_lr, PerGroup max_lr, CyclicLROptions options)
    : LRScheduler(checked_and_at_base_lr(optimizer, base_lr, max_lr, options)),
      cycle_momentum_(options.cycle_momentum) {
  max_lrs_ = detail::per_group("max_lr", optimizer, max_lr);
  const double up = options.step_size_up, down = options.step_size_down.value_or(up);
  total_size_ = up + down;
  step_ratio_ = up / total_size_;
  if (options.scale_fn) {
    scale_fn_ = std::move(options.scale_fn);
    scale_by_cycle_ = options.scale_mode == "cycle";
  } else {
    scale_fn_ = mode_scale_fn(options.mode, options.gamma);
    scale_by_cycle_ = options.mode != "exp_range";
  }
  if (cycle_momentum_) {
    base_momentums_ = detail::per_group("base_momentum", optimizer, options.base_momentum);
    max_momentums_ = detail::per_group("max_momentum", optimizer, options.max_momentum);
  }
  // Every group starts at its base_lr (checked_and_at_base_lr), the schedule's base from now on.
  base_lrs_ = detail::per_group("base_lr", optimizer, base_lr);
  start();
}

CyclicLR::Position CyclicLR::position(int64_t epoch) const {
  const double step = static_cast<double>(epoch);
  const double cycle = std::floor(1.0 + step / total_size_);
  const double x = 1.0 + step / total_size_ - cycle;
  const double rise = x <= step_ratio_ ? x / step_ratio_ : (x - 1.0) / (step_ratio_ - 1.0);
  return {rise, scale_fn_(scale_by_cycle_ ? cycle : step)};
}

double CyclicLR::lr_at(size_t group, double base, int64_t epoch) const {
  if (group >= max_lrs_.size()) return base;  // added after construction: keeps its lr
  const auto [rise, scale] = position(epoch);
  const double height = (max_lrs_[group] - base) * rise;
  return base + height * scale;
}

void CyclicLR::on_epoch(int64_t epoch) {
  if (!cycle_momentum_) return;
  const auto [rise, scale] = position(epoch);
  for (size_t g = 0; g < base_momentums_.size(); ++g) {
    const double height = (max_momentums_[g] - base_momentums_[g]) * rise;
    optimizer_.set_momentum(g, max_momentums_[g] - height * scale);
  }
}

}  // namespace ember::optim
