// SequentialLR and ChainedScheduler: closed forms of their parts' closed forms
// (Note [Composite schedules] in nn/optim/scheduler_compose.h).
#include "nn/optim/scheduler_compose.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ember::optim {

namespace detail {

struct CompositeAccess {
  static double lr_at(const LRScheduler& s, size_t group, double base, int64_t epoch) {
    return s.lr_at(group, base, epoch);
  }
  static double factor(const FactorSchedule& s, size_t group, int64_t epoch) { return s.factor(group, epoch); }
  static void on_epoch(LRScheduler& s, int64_t epoch) { s.on_epoch(epoch); }
  static std::optional<double> base_for(const LRScheduler& s, size_t group, double lr, int64_t epoch) {
    return s.base_for(group, lr, epoch);
  }

  // The parts' own state as "schedulers.<i>.<key>".
  template <typename Part>
  static void save(const std::vector<std::shared_ptr<Part>>& parts, StateDict& out) {
    for (size_t i = 0; i < parts.size(); ++i) {
      StateDict own;
      parts[i]->save_extra(own);
      for (auto& [name, value] : own) out.emplace_back(prefix(i) + name, value);
    }
  }
  template <typename Part>
  static void check(const std::vector<std::shared_ptr<Part>>& parts, const StateDict& entries, const char* who) {
    const std::vector<StateDict> split = split_by_part(parts.size(), entries, who);
    for (size_t i = 0; i < parts.size(); ++i) parts[i]->check_extra(split[i]);
  }
  template <typename Part>
  static void set(const std::vector<std::shared_ptr<Part>>& parts, const StateDict& entries, const char* who) {
    const std::vector<StateDict> split = split_by_part(parts.size(), entries, who);
    for (size_t i = 0; i < parts.size(); ++i) parts[i]->set_extra(split[i]);
  }

 private:
  static std::string prefix(size_t i) { return "schedulers." + std::to_string(i) + "."; }
  static std::vector<StateDict> split_by_part(size_t count, const StateDict& entries, const char* who) {
    std::vector<StateDict> split(count);
    for (const auto& [name, value] : entries) {
      bool found = false;
      for (size_t i = 0; i < count && !found; ++i) {
        const std::string p = prefix(i);
        if (name.compare(0, p.size(), p) != 0) continue;
        split[i].emplace_back(name.substr(p.size()), value);
        found = true;
      }
      EMBER_CHECK(found, who, "::load_state_dict: unexpected key \"", name,
                  "\" (expected last_epoch, base_lrs and schedulers.<i>.<key> for i < ", count, ")");
    }
    return split;
  }
};

}  // namespace detail

namespace {
// Each part belongs to `optimizer` (PyTorch's phrases).
void check_parts(const std::vector<std::shared_ptr<LRScheduler>>& schedulers, const char* who) {
  EMBER_CHECK(!schedulers.empty(), who, " expects at least one scheduler");
  for (size_t i = 0; i < schedulers.size(); ++i) {
    EMBER_CHECK(schedulers[i] != nullptr, who, ": schedulers[", i, "] is null");
    EMBER_CHECK(&schedulers[i]->optimizer() == &schedulers[0]->optimizer(), who,
                " expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ", i,
                " to be different");
  }
}
// The optimizer of schedulers[0], after check_parts.
Optimizer& first_optimizer(const std::vector<std::shared_ptr<LRScheduler>>& schedulers) {
  check_parts(schedulers, "ChainedScheduler");
  return schedulers[0]->optimizer();
}
std::string join(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}
}  // namespace

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  check_parts(schedulers_, "Sequential Schedulers");
  for (size_t i = 0; i < schedulers_.size(); ++i)
    EMBER_CHECK(&schedulers_[i]->optimizer() == &optimizer,
                "Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at "
                "index ",
                i, " to be different than the optimizer passed in.");
  EMBER_CHECK(milestones_.size() == schedulers_.size() - 1,
              "Sequential Schedulers expects number of schedulers provided to be one more than the number of "
              "milestone points, but got number of schedulers ",
              schedulers_.size(), " and the number of milestones to be equal to ", milestones_.size());
  EMBER_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()) && (milestones_.empty() || milestones_[0] >= 0),
              "SequentialLR: expected milestones sorted and >= 0, but got ", join(milestones_));
  // PyTorch's "Reset learning rates back to initial values" (Note [Composite schedules])
  for (size_t g = 0; g < base_lrs_.size(); ++g) base_lrs_[g] = optimizer.initial_lr(g).value_or(optimizer.lr(g));
  start_from_base_lrs();
}

std::pair<LRScheduler*, int64_t> SequentialLR::part_at(int64_t epoch) const {
  const size_t i = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return {schedulers_[i].get(), i == 0 ? epoch : epoch - milestones_[i - 1]};
}

double SequentialLR::lr_at(size_t group, double base, int64_t epoch) const {
  const auto [part, own_epoch] = part_at(epoch);
  return detail::CompositeAccess::lr_at(*part, group, base, own_epoch);
}

std::optional<double> SequentialLR::base_for(size_t group, double lr, int64_t epoch) const {
  const auto [part, own_epoch] = part_at(epoch);
  if (part_at(epoch + 1).first != part) return std::nullopt;  // step() goes one epoch on
  return detail::CompositeAccess::base_for(*part, group, lr, own_epoch);
}

void SequentialLR::on_epoch(int64_t epoch) {
  const auto [part, own_epoch] = part_at(epoch);
  detail::CompositeAccess::on_epoch(*part, own_epoch);  // OneCycleLR's momentum
}

void SequentialLR::save_extra(StateDict& out) const { detail::CompositeAccess::save(schedulers_, out); }
void SequentialLR::check_extra(const StateDict& entries) const {
  detail::CompositeAccess::check(schedulers_, entries, "SequentialLR");
}
void SequentialLR::set_extra(const StateDict& entries) {
  detail::CompositeAccess::set(schedulers_, entries, "SequentialLR");
}

namespace {
// The checked parts of a ChainedScheduler: each a FactorSchedule.
std::vector<std::shared_ptr<FactorSchedule>> factor_parts(const std::vector<std::shared_ptr<LRScheduler>>& schedulers) {
  std::vector<std::shared_ptr<FactorSchedule>> parts;
  for (size_t i = 0; i < schedulers.size(); ++i) {
    parts.push_back(std::dynamic_pointer_cast<FactorSchedule>(schedulers[i]));
    EMBER_CHECK(parts.back() != nullptr, "ChainedScheduler: schedulers[", i,
                "] is not chainable: expected schedules that scale the lr by a factor (StepLR, MultiStepLR, "
                "ExponentialLR, ConstantLR, LinearLR, PolynomialLR, LambdaLR, MultiplicativeLR)");
  }
  return parts;
}
}  // namespace

ChainedScheduler::ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers)
    : LRScheduler(first_optimizer(schedulers)),
      schedulers_(factor_parts(schedulers)) {
  // PyTorch's ChainedScheduler leaves the lr as its parts set it (Note [Composite schedules])
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    double at_start = 1.0;
    for (const auto& part : schedulers_) at_start *= detail::CompositeAccess::factor(*part, g, 0);
    if (at_start != 0.0 && std::isfinite(at_start)) base_lrs_[g] = optimizer().lr(g) / at_start;
  }
  start_from_base_lrs();
}

double ChainedScheduler::lr_at(size_t group, double base, int64_t epoch) const {
  double lr = base;
  for (const auto& part : schedulers_) lr *= detail::CompositeAccess::factor(*part, group, epoch);
  return lr;
}

std::optional<double> ChainedScheduler::base_for(size_t group, double lr, int64_t epoch) const {
  const double product = lr_at(group, 1.0, epoch);
  if (product == 0.0 || !std::isfinite(product)) return std::nullopt;
  return lr / product;
}

void ChainedScheduler::save_extra(StateDict& out) const { detail::CompositeAccess::save(schedulers_, out); }
void ChainedScheduler::check_extra(const StateDict& entries) const {
  detail::CompositeAccess::check(schedulers_, entries, "ChainedScheduler");
}
void ChainedScheduler::set_extra(const StateDict& entries) {
  detail::CompositeAccess::set(schedulers_, entries, "ChainedScheduler");
}

}  // namespace ember::optim
