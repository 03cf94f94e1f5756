// LRScheduler bookkeeping and the closed-form lr of each schedule (PyTorch's).
#include "nn/optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/factories.h"

namespace ember::optim {

namespace {
// Cosine interpolation from start (pct 0) to end (pct 1).
double cosine_anneal(double start, double end, double pct) {
  return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
}
// done / span, as 1 (the phase's end) for an empty phase.
double fraction(double done, double span) { return span > 0.0 ? done / span : 1.0; }
}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g) base_lrs_.push_back(optimizer.lr(g));
}

void LRScheduler::step() { apply(last_epoch_ + 1); }

void LRScheduler::step_to(int64_t epoch) {
  EMBER_CHECK(epoch >= 0, "LRScheduler::step_to: expected an epoch >= 0, but got ", epoch);
  apply(epoch);
}

void LRScheduler::apply(int64_t epoch) {
  // A group added to the optimizer after the scheduler was made starts its schedule from
  // its own lr when a step first sees it (PyTorch's chainable StepLR and
  // CosineAnnealingLR give it the same numbers; OneCycleLR's lr is one for all groups).
  for (size_t g = base_lrs_.size(); g < optimizer_.num_param_groups(); ++g) base_lrs_.push_back(optimizer_.lr(g));
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g) lrs.push_back(lr_at(g, epoch));  // may throw: change nothing yet
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
  last_epoch_ = epoch;
  last_lr_ = std::move(lrs);
  on_epoch(epoch);
}

StateDict LRScheduler::state_dict() const {
  Tensor lrs = make_empty({static_cast<int64_t>(base_lrs_.size())}, kFloat64, Device::cpu());
  std::copy(base_lrs_.begin(), base_lrs_.end(), lrs.data_ptr<double>());
  return {{"last_epoch", full({}, last_epoch_, TensorOptions(kInt64))}, {"base_lrs", lrs}};
}

void LRScheduler::load_state_dict(const StateDict& state) {
  Tensor epoch, lrs;
  for (const auto& [name, value] : state) {
    EMBER_CHECK(name == "last_epoch" || name == "base_lrs", "LRScheduler::load_state_dict: unexpected key \"", name,
                "\" (expected last_epoch and base_lrs)");
    (name == "last_epoch" ? epoch : lrs) = value;
  }
  EMBER_CHECK(epoch.defined() && lrs.defined(), "LRScheduler::load_state_dict: expected keys last_epoch and base_lrs");
  EMBER_CHECK(epoch.numel() == 1 && !epoch.is_floating_point(),
              "LRScheduler::load_state_dict: last_epoch must be one integer, but got ", dtype_name(epoch.dtype()),
              " of shape ", epoch.sizes());
  EMBER_CHECK(lrs.dim() == 1 && lrs.numel() == static_cast<int64_t>(optimizer_.num_param_groups()) &&
                  lrs.is_floating_point(),
              "LRScheduler::load_state_dict: base_lrs must hold one lr per parameter group (",
              optimizer_.num_param_groups(), "), but got ", dtype_name(lrs.dtype()), " of shape ", lrs.sizes());
  const std::vector<double> loaded = lrs.to_vector<double>();
  for (double lr : loaded) {
    EMBER_CHECK(std::isfinite(lr) && lr >= 0.0, "LRScheduler::load_state_dict: invalid base lr ", lr);
  }
  const int64_t target = epoch.item<int64_t>();
  EMBER_CHECK(target >= 0, "LRScheduler::load_state_dict: last_epoch must be >= 0, but got ", target);
  const std::vector<double> previous = base_lrs_;
  base_lrs_ = loaded;
  try {
    step_to(target);  // checks the epoch against the schedule (OneCycleLR's total_steps)
  } catch (...) {
    base_lrs_ = previous;
    throw;
  }
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  EMBER_CHECK(step_size > 0, "StepLR: step_size must be positive, but got ", step_size);
  start();
}

double StepLR::lr_at(size_t group, int64_t epoch) const {
  return base_lrs_[group] * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), t_max_(T_max), eta_min_(eta_min) {
  EMBER_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, but got ", T_max);
  start();
}

double CosineAnnealingLR::lr_at(size_t group, int64_t epoch) const {
  return cosine_anneal(base_lrs_[group], eta_min_, static_cast<double>(epoch) / static_cast<double>(t_max_));
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start,
                       double div_factor, double final_div_factor, bool cycle_momentum, double base_momentum,
                       double max_momentum)
    : LRScheduler(optimizer),
      cycle_momentum_(cycle_momentum),
      base_momentum_(base_momentum),
      max_momentum_(max_momentum),
      max_lr_(max_lr),
      total_steps_(total_steps),
      pct_start_(pct_start),
      initial_lr_(max_lr / div_factor),
      min_lr_(max_lr / div_factor / final_div_factor) {
  EMBER_CHECK(total_steps > 0, "Expected positive integer total_steps, but got ", total_steps);
  EMBER_CHECK(pct_start >= 0.0 && pct_start <= 1.0, "Expected float between 0 and 1 pct_start, but got ", pct_start);
  if (cycle_momentum) {
    for (size_t g = 0; g < optimizer.num_param_groups(); ++g)
      EMBER_CHECK(optimizer.momentum(g).has_value(),
                  "optimizer must support momentum or beta1 with `cycle_momentum` option enabled");
  }
  start();
}

std::pair<bool, double> OneCycleLR::phase_at(int64_t epoch) const {
  EMBER_CHECK(epoch <= total_steps_, "Tried to step ", epoch, " times. The specified number of total steps is ",
              total_steps_);
  const double step = static_cast<double>(epoch);
  const double warm_end = pct_start_ * static_cast<double>(total_steps_) - 1.0;
  if (step <= warm_end) return {true, fraction(step, warm_end)};
  const double end = static_cast<double>(total_steps_) - 1.0;
  return {false, fraction(step - warm_end, end - warm_end)};
}

double OneCycleLR::lr_at(size_t, int64_t epoch) const {
  const auto [warming, pct] = phase_at(epoch);
  return warming ? cosine_anneal(initial_lr_, max_lr_, pct) : cosine_anneal(max_lr_, min_lr_, pct);
}

void OneCycleLR::on_epoch(int64_t epoch) {
  if (!cycle_momentum_) return;
  const auto [warming, pct] = phase_at(epoch);
  const double m = warming ? cosine_anneal(max_momentum_, base_momentum_, pct)
                           : cosine_anneal(base_momentum_, max_momentum_, pct);
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) optimizer_.set_momentum(g, m);
}

}  // namespace ember::optim
