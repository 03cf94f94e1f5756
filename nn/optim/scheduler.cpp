// LRScheduler bookkeeping, the state-dict entry readers, and the closed-form lr of
// StepLR and the cosine schedules (PyTorch's).
#include "nn/optim/scheduler.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/factories.h"
#include "core/logging.h"
#include "nn/optim/scheduler_state.h"

namespace ember::optim {

namespace {
// Cosine interpolation from start (pct 0) to end (pct 1).
double cosine_anneal(double start, double end, double pct) {
  return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
}
// done / span, as 1 (the phase's end) for an empty phase.
double fraction(double done, double span) { return span > 0.0 ? done / span : 1.0; }
}  // namespace

// PyTorch's group.setdefault("initial_lr", group["lr"]): the first scheduler made on the
// optimizer fixes each group's initial lr, the base of every schedule that overwrites the lr;
// a chainable one starts from the group's current lr instead (start()).
LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g) {
    if (!optimizer.initial_lr(g)) optimizer.set_initial_lr(g, optimizer.lr(g));
    base_lrs_.push_back(*optimizer.initial_lr(g));
  }
}

void LRScheduler::start() {
  // PyTorch's _initial_step computes a chainable schedule's epoch 0 from group["lr"] (its
  // _is_initial / last_epoch == 0 branches): a second scheduler made after a warm-up's first
  // (lowered) lr goes on from it, and one made after optimizer.load_state_dict from the
  // loaded lr. Ours are closed forms: epoch 0 is computed from that lr as the base, and the
  // next step() rebases on the lr it finds; base_lrs_ stays the initial lr meanwhile.
  const std::vector<double> initial = base_lrs_;
  bool moved = false;
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    const double now = optimizer_.lr(g);
    if (now != base_lrs_[g] && base_for(g, now, 0)) {
      base_lrs_[g] = now;
      moved = true;
    }
  }
  apply(0);
  if (moved) {
    std::copy(initial.begin(), initial.end(), base_lrs_.begin());
    rebase_at_next_step_ = true;
  }
}

void LRScheduler::step() {
  // PyTorch's warning for the pre-1.1 order (scheduler first skips the schedule's first lr),
  // once per process as a Python warning is shown once.
  static std::atomic<bool> warned{false};
  if (last_epoch_ == 0 && optimizer_.steps_taken() == 0 && !warned.exchange(true)) {
    logging::warn(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should "
        "call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will "
        "result in PyTorch skipping the first value of the learning rate schedule. See more details at "
        "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate");
  }
  apply(last_epoch_ + 1, /*chain=*/true);
}

void LRScheduler::step_to(int64_t epoch) {
  EMBER_CHECK(epoch >= 0, "LRScheduler::step_to: expected an epoch >= 0, but got ", epoch);
  apply(epoch);
}

void LRScheduler::apply(int64_t epoch, bool chain) {
  // A group added to the optimizer after the scheduler was made (unfreezing a backbone)
  // goes on from its own lr when a step first sees it: its base is the one whose lr at the
  // last epoch is that lr (base_for), so the next step changes it by the schedule's step
  // from that epoch on, as PyTorch's chainable forms change each group's current lr (StepLR
  // keeps it until its next multiple of step_size). A schedule with no such base starts it
  // from its lr (OneCycleLR's lr is one for all groups).
  std::vector<double> bases = base_lrs_;
  for (size_t g = bases.size(); g < optimizer_.num_param_groups(); ++g) {
    const double now = optimizer_.lr(g);
    const std::optional<double> base = last_epoch_ > 0 ? base_for(g, now, last_epoch_) : std::nullopt;
    bases.push_back(base && std::isfinite(*base) ? *base : now);
  }
  const bool rebase_all = chain && rebase_at_next_step_;
  for (size_t g = 0; chain && g < last_lr_.size() && g < bases.size(); ++g) {
    const double now = optimizer_.lr(g);
    if (now == last_lr_[g] && !rebase_all) continue;
    const std::optional<double> base = base_for(g, now, last_epoch_);  // Note [Chainable schedules]
    if (base && std::isfinite(*base)) bases[g] = *base;
  }
  std::vector<double> lrs;
  for (size_t g = 0; g < bases.size(); ++g) {
    const bool held = chain && g < last_lr_.size() && holds_lr(g, last_epoch_, epoch);
    lrs.push_back(held ? optimizer_.lr(g) : lr_at(g, bases[g], epoch));  // may throw: change nothing yet
    EMBER_CHECK(std::isfinite(lrs.back()), "LRScheduler: the schedule gave lr ", lrs.back(), " to group ", g,
                " at epoch ", epoch, " (expected a finite lr)");
  }
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
  base_lrs_ = std::move(bases);
  last_epoch_ = epoch;
  last_lr_ = std::move(lrs);
  rebase_at_next_step_ = false;
  on_epoch(epoch);
}

StateDict LRScheduler::state_dict() const {
  StateDict out{{"last_epoch", detail::state_scalar(last_epoch_)},
                {"base_lrs", detail::state_vector(base_lrs_)},
                {"_last_lr", detail::state_vector(last_lr_)}};
  save_extra(out);
  return out;
}

void LRScheduler::check_extra(const StateDict& entries) const {
  for (const auto& entry : entries)
    EMBER_FAIL("LRScheduler::load_state_dict: unexpected key \"", entry.first,
               "\" (expected last_epoch, base_lrs and _last_lr)");
}

namespace {
// One finite lr per group, float64 (base_lrs, _last_lr).
std::vector<double> read_group_lrs(const Tensor& lrs, size_t groups, const char* key, bool non_negative) {
  EMBER_CHECK(lrs.dim() == 1 && lrs.numel() == static_cast<int64_t>(groups) && lrs.is_floating_point(),
              "LRScheduler::load_state_dict: ", key, " must hold one lr per parameter group (", groups, "), but got ",
              dtype_name(lrs.dtype()), " of shape ", lrs.sizes());
  const std::vector<double> out = lrs.to_vector<double>();
  for (double lr : out)
    EMBER_CHECK(std::isfinite(lr) && (!non_negative || lr >= 0.0), "LRScheduler::load_state_dict: invalid ", key,
                " entry ", lr);
  return out;
}
}  // namespace

void LRScheduler::load_state_dict(const StateDict& state) {
  Tensor epoch, lrs, last;
  StateDict extra;
  for (const auto& [name, value] : state) {
    if (name == "last_epoch")
      epoch = value;
    else if (name == "base_lrs")
      lrs = value;
    else if (name == "_last_lr")
      last = value;
    else
      extra.emplace_back(name, value);
  }
  check_extra(extra);
  EMBER_CHECK(epoch.defined() && lrs.defined(), "LRScheduler::load_state_dict: expected keys last_epoch and base_lrs");
  const int64_t target = detail::read_int(epoch, "LRScheduler::load_state_dict", "last_epoch");
  const size_t groups = optimizer_.num_param_groups();
  // A rebased base, and so an lr, may be below 0 (a cosine's, once another writer took the
  // lr under eta_min; PyTorch's gives the same lrs).
  const std::vector<double> loaded = read_group_lrs(lrs, groups, "base_lrs", /*non_negative=*/false);
  const std::vector<double> loaded_last =
      last.defined() ? read_group_lrs(last, groups, "_last_lr", /*non_negative=*/false) : std::vector<double>{};
  EMBER_CHECK(target >= 0, "LRScheduler::load_state_dict: last_epoch must be >= 0, but got ", target);
  // A group whose lr is no longer the one this scheduler set (an optimizer state loaded
  // first) keeps it, as PyTorch's load_state_dict leaves the lr alone; its next step()
  // carries it on (Note [Chainable schedules]). The others take the loaded epoch's lr, so
  // a scheduler restored onto a fresh optimizer goes on where the saved one was. The two
  // look alike where the loaded lr is exactly the one this scheduler set at construction:
  // that group is taken as not loaded.
  std::vector<double> held(groups);
  std::vector<bool> keep(groups);
  for (size_t g = 0; g < groups; ++g) {
    held[g] = optimizer_.lr(g);
    keep[g] = g >= last_lr_.size() || held[g] != last_lr_[g];
  }
  const std::vector<double> previous = base_lrs_;
  StateDict previous_extra;
  save_extra(previous_extra);
  base_lrs_ = loaded;
  set_extra(extra);
  try {
    step_to(target);  // checks the epoch against the schedule (OneCycleLR's total_steps)
  } catch (...) {
    base_lrs_ = previous;
    set_extra(previous_extra);
    throw;
  }
  for (size_t g = 0; g < groups; ++g) {
    if (!keep[g]) continue;
    optimizer_.set_lr(g, held[g]);
    if (!loaded_last.empty()) last_lr_[g] = loaded_last[g];  // what the saved scheduler last set
  }
}

std::optional<double> FactorSchedule::base_for(size_t group, double lr, int64_t epoch) const {
  const double f = factor(group, epoch);
  if (f == 0.0 || !std::isfinite(f)) return std::nullopt;  // Note [Chainable schedules]
  return lr / f;
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : FactorSchedule(optimizer), step_size_(step_size), gamma_(gamma) {
  EMBER_CHECK(step_size > 0, "StepLR: step_size must be positive, but got ", step_size);
  start();
}

double StepLR::factor(size_t, int64_t epoch) const {
  return std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), t_max_(T_max), eta_min_(eta_min) {
  EMBER_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, but got ", T_max);
  start();
}

double CosineAnnealingLR::lr_at(size_t, double base, int64_t epoch) const {
  return cosine_anneal(base, eta_min_, static_cast<double>(epoch) / static_cast<double>(t_max_));
}

std::optional<double> CosineAnnealingLR::base_for(size_t, double lr, int64_t epoch) const {
  // lr = eta_min + (base - eta_min) * half, solved for base. At the cosine's trough (half
  // 0) no base gives lr: the rise after it starts from the base held, where PyTorch's
  // starts from its first base (the same unless an earlier step rebased).
  const double pct = static_cast<double>(epoch) / static_cast<double>(t_max_);
  const double half = (std::cos(std::numbers::pi * pct) + 1.0) / 2.0;
  if (half < 1e-12) return std::nullopt;
  return eta_min_ + (lr - eta_min_) / half;
}

CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(Optimizer& optimizer, int64_t T_0, int64_t T_mult,
                                                         double eta_min)
    : LRScheduler(optimizer), t_0_(T_0), t_mult_(T_mult), eta_min_(eta_min) {
  EMBER_CHECK(T_0 > 0, "Expected positive integer T_0, but got ", T_0);
  EMBER_CHECK(T_mult >= 1, "Expected integer T_mult >= 1, but got ", T_mult);
  EMBER_CHECK(std::isfinite(eta_min), "CosineAnnealingWarmRestarts: expected a finite eta_min, but got ", eta_min);
  start();
}

double CosineAnnealingWarmRestarts::lr_at(size_t, double base, int64_t epoch) const {
  // T_cur and T_i as PyTorch's step() counts them (T_cur += 1; at T_i: T_cur -= T_i,
  // T_i *= T_mult), in exact integers: epoch % T_0 for T_mult 1, else one subtraction per
  // cycle before it, O(log epoch) (Note [Schedules jump, never replay]).
  int64_t t_cur = epoch, t_i = t_0_;
  if (t_mult_ == 1) {
    t_cur = epoch % t_0_;
  } else {
    while (t_cur >= t_i) {
      t_cur -= t_i;
      if (t_i > std::numeric_limits<int64_t>::max() / t_mult_) {
        // The next cycle is longer than any int64 epoch: t_cur stays in it.
        return cosine_anneal(base, eta_min_,
                             static_cast<double>(t_cur) / (static_cast<double>(t_i) * static_cast<double>(t_mult_)));
      }
      t_i *= t_mult_;
    }
  }
  return cosine_anneal(base, eta_min_, static_cast<double>(t_cur) / static_cast<double>(t_i));
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, PerGroup max_lr, const OneCycleLROptions& o)
    : LRScheduler(optimizer), cycle_momentum_(o.cycle_momentum) {
  if (o.total_steps) {
    EMBER_CHECK(*o.total_steps > 0, "Expected positive integer total_steps, but got ", *o.total_steps);
    total_steps_ = *o.total_steps;
  } else {
    EMBER_CHECK(o.epochs && o.steps_per_epoch, "You must define either total_steps OR (epochs AND steps_per_epoch)");
    EMBER_CHECK(*o.epochs > 0, "Expected positive integer epochs, but got ", *o.epochs);
    EMBER_CHECK(*o.steps_per_epoch > 0, "Expected positive integer steps_per_epoch, but got ", *o.steps_per_epoch);
    EMBER_CHECK(*o.epochs <= std::numeric_limits<int64_t>::max() / *o.steps_per_epoch,
                "OneCycleLR: epochs * steps_per_epoch overflows int64 (", *o.epochs, " * ", *o.steps_per_epoch, ")");
    total_steps_ = *o.epochs * *o.steps_per_epoch;
  }
  EMBER_CHECK(o.pct_start >= 0.0 && o.pct_start <= 1.0, "Expected float between 0 and 1 pct_start, but got ",
              o.pct_start);
  EMBER_CHECK(o.anneal_strategy == "cos" || o.anneal_strategy == "linear",
              "anneal_strategy must be one of 'cos' or 'linear', instead got ", o.anneal_strategy);
  linear_ = o.anneal_strategy == "linear";
  const double total = static_cast<double>(total_steps_), rise_end = o.pct_start * total - 1.0;
  if (o.three_phase) {
    phases_ = {{rise_end, Level::Initial, Level::Max, true, false},
               {2.0 * o.pct_start * total - 2.0, Level::Max, Level::Initial, false, false},
               {total - 1.0, Level::Initial, Level::Min, false, true}};
  } else {
    phases_ = {{rise_end, Level::Initial, Level::Max, true, false},
               {total - 1.0, Level::Max, Level::Min, false, false}};
  }
  max_lrs_ = detail::per_group("max_lr", optimizer, max_lr);
  for (size_t g = 0; g < max_lrs_.size(); ++g) {
    EMBER_CHECK(std::isfinite(max_lrs_[g]), "OneCycleLR: expected a finite max_lr, but got ", max_lrs_[g],
                " for group ", g);
    initial_lrs_.push_back(max_lrs_[g] / o.div_factor);
    min_lrs_.push_back(initial_lrs_[g] / o.final_div_factor);
  }
  base_lrs_ = initial_lrs_;  // PyTorch sets group["initial_lr"] to them: what SequentialLR restarts from
  for (size_t g = 0; g < initial_lrs_.size(); ++g) optimizer.set_initial_lr(g, initial_lrs_[g]);
  if (cycle_momentum_) {
    for (size_t g = 0; g < optimizer.num_param_groups(); ++g)
      EMBER_CHECK(optimizer.momentum(g).has_value(),
                  "optimizer must support momentum or beta1 with `cycle_momentum` option enabled");
    max_momenta_ = detail::per_group("max_momentum", optimizer, o.max_momentum);
    base_momenta_ = detail::per_group("base_momentum", optimizer, o.base_momentum);
  }
  start();
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start, double div_factor,
                       double final_div_factor, bool cycle_momentum, double base_momentum, double max_momentum)
    : OneCycleLR(optimizer, max_lr,
                 OneCycleLROptions{.total_steps = total_steps,
                                   .pct_start = pct_start,
                                   .cycle_momentum = cycle_momentum,
                                   .base_momentum = base_momentum,
                                   .max_momentum = max_momentum,
                                   .div_factor = div_factor,
                                   .final_div_factor = final_div_factor}) {}

// PyTorch's get_lr: the first phase whose end_step is not passed (the last for any step).
std::pair<const OneCycleLR::Phase*, double> OneCycleLR::phase_at(int64_t epoch) const {
  EMBER_CHECK(epoch <= total_steps_, "Tried to step ", epoch, " times. The specified number of total steps is ",
              total_steps_);
  const double step = static_cast<double>(epoch);
  double start_step = 0.0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    if (step <= phase.end_step || i + 1 == phases_.size())
      return {&phase, fraction(step - start_step, phase.end_step - start_step)};
    start_step = phase.end_step;
  }
  return {&phases_.back(), 1.0};  // not reached: the loop returns at the last phase
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  return linear_ ? (end - start) * pct + start : cosine_anneal(start, end, pct);
}

double OneCycleLR::level(size_t group, Level which) const {
  switch (which) {
    case Level::Initial:
      return initial_lrs_[group];
    case Level::Max:
      return max_lrs_[group];
    case Level::Min:
      return min_lrs_[group];
  }
  return 0.0;
}

double OneCycleLR::lr_at(size_t group, double, int64_t epoch) const {
  const auto [phase, pct] = phase_at(epoch);
  const size_t g = std::min(group, max_lrs_.size() - 1);  // a group added later: the last one's
  return anneal(level(g, phase->start_lr), level(g, phase->end_lr), pct);
}

void OneCycleLR::on_epoch(int64_t epoch) {
  if (!cycle_momentum_) return;
  const auto [phase, pct] = phase_at(epoch);
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) {
    const size_t k = std::min(g, max_momenta_.size() - 1);
    const double high = max_momenta_[k], low = base_momenta_[k];
    const double m = phase->momentum_flat    ? high
                     : phase->momentum_falls ? anneal(high, low, pct)
                                             : anneal(low, high, pct);
    optimizer_.set_momentum(g, m);
  }
}

namespace detail {

std::vector<double> per_group(const char* name, size_t groups, const std::vector<double>& values, bool list) {
  if (!list) return std::vector<double>(groups, values.at(0));
  EMBER_CHECK(values.size() == groups, name, " must have the same length as optimizer.param_groups. ", name, " has ",
              values.size(), " values, param_groups has ", groups, ".");
  return values;
}
std::vector<double> per_group(const char* name, const Optimizer& optimizer, const PerGroup& value) {
  return per_group(name, optimizer.num_param_groups(), value.values, value.is_list);
}

Tensor state_scalar(int64_t value) { return full({}, value, TensorOptions(kInt64)); }
Tensor state_scalar(double value) { return full({}, value, TensorOptions(kFloat64)); }
Tensor state_vector(const std::vector<int64_t>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kInt64);
}
Tensor state_vector(const std::vector<double>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kFloat64);
}

int64_t read_int(const Tensor& value, const char* who, const std::string& key) {
  EMBER_CHECK(value.numel() == 1 && is_integral(value.dtype()), who, ": ", key, " must be one integer, but got ",
              dtype_name(value.dtype()), " of shape ", value.sizes());
  return value.to(kInt64).item<int64_t>();
}

double read_double(const Tensor& value, const char* who, const std::string& key) {
  EMBER_CHECK(value.numel() == 1 && value.is_floating_point(), who, ": ", key,
              " must be one floating-point value, but got ", dtype_name(value.dtype()), " of shape ", value.sizes());
  return value.to(kFloat64).item<double>();
}

std::vector<int64_t> read_ints(const Tensor& value, const char* who, const std::string& key, size_t count) {
  EMBER_CHECK(value.dim() == 1 && value.numel() == static_cast<int64_t>(count) && is_integral(value.dtype()), who,
              ": ", key, " must hold one integer per parameter group (", count, "), but got ",
              dtype_name(value.dtype()), " of shape ", value.sizes());
  return value.to(kInt64).to_vector<int64_t>();
}

std::vector<double> read_doubles(const Tensor& value, const char* who, const std::string& key, size_t count) {
  EMBER_CHECK(value.dim() == 1 && value.numel() == static_cast<int64_t>(count) && value.is_floating_point(), who,
              ": ", key, " must hold one floating-point value per parameter group (", count, "), but got ",
              dtype_name(value.dtype()), " of shape ", value.sizes());
  return value.to(kFloat64).to_vector<double>();
}

}  // namespace detail

}  // namespace ember::optim
