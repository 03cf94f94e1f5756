// Learning-rate schedulers (PyTorch's closed forms): the LRScheduler base, StepLR and the
// cosine family (CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR). Construction
// sets the epoch-0 lr; step() moves one epoch (or batch) and writes the new lr into every
// group through Optimizer::set_lr; step_to(k) jumps (Note [Schedules jump, never replay]).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

namespace detail {
struct CompositeAccess;  // SequentialLR's and ChainedScheduler's way into their parts
}

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;
  // One epoch on. Where another writer (a second scheduler, ReduceLROnPlateau, set_lr)
  // changed a group's lr since this scheduler last set it, a chainable schedule continues
  // from that lr (Note [Chainable schedules]).
  void step();
  // Note [Schedules jump, never replay]
  // Every schedule here is a closed form of the epoch (lr_at, on_epoch), so resuming at
  // epoch k sets epoch k's lr (and momentum) directly: O(1), whatever k, and the same
  // values, bit for bit, as k calls of step(). A resumed run must never replay the
  // schedule step by step: k comes from a file and may be huge. Two schedules are not
  // O(1) and say so: CosineAnnealingWarmRestarts with T_mult > 1 finds its cycle in
  // O(log k) integer steps (exact, so still bit for bit); MultiplicativeLR's lr is a
  // product of lr_lambda(1..k), which no formula gives: it keeps the running product
  // of the last epoch it computed, so step() is O(1), a jump forward from there costs
  // the epochs in between and a jump back recomputes from epoch 0 (the same
  // multiplications in the same order, hence the same bits); its state_dict carries
  // the running product, so a resumed run never replays it.
  // step_to(k) for k >= 0 (and, for OneCycleLR, k <= total_steps).
  void step_to(int64_t epoch);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  // Each group's lr at construction (or, for a group added later, at the first step
  // after it was added): the lr the schedule scales.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  Optimizer& optimizer() const { return optimizer_; }
  // For checkpoints, as PyTorch's scheduler.state_dict(): "last_epoch" (0-dim int64),
  // "base_lrs" and "_last_lr" (float64, one per group), and a schedule's own running state
  // where it has one (MultiplicativeLR; SequentialLR and ChainedScheduler as
  // "schedulers.<i>.<key>"). load_state_dict checks all of it (a count, finite lrs, one per
  // group of the optimizer; _last_lr may be absent) and then jumps to last_epoch with
  // step_to (Note [Schedules jump, never replay]), which sets that epoch's lr, except in a
  // group whose lr is no longer the one this scheduler set (an optimizer state loaded
  // first): that lr is kept, as PyTorch's load leaves the lr alone, and the next step()
  // carries it on (Note [Chainable schedules]). A failed load changes nothing. The
  // schedule's own arguments (step_size, T_max, ...) are the constructor's.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  // The lr of `group` at `epoch`, from the group's `base` lr (base_lrs_[group], or the
  // base of a SequentialLR or ChainedScheduler that holds this schedule).
  virtual double lr_at(size_t group, double base, int64_t epoch) const = 0;
  // Derived constructors call this last: sets epoch 0's lr. A chainable schedule (base_for
  // gives a base) starts from each group's current lr, as PyTorch's _initial_step computes
  // epoch 0 from group["lr"]: made after a warm-up has lowered the lr, or after
  // optimizer.load_state_dict, step() goes on from that lr, while step_to(k) is PyTorch's
  // closed form from the initial lr (its last_epoch=k-1 resume). SequentialLR and ChainedScheduler,
  // whose base lrs they set themselves (Note [Composite schedules]), call start_from_base_lrs.
  void start();
  void start_from_base_lrs() { apply(0); }
  // Called after each epoch's lrs are set (OneCycleLR sets the momentum there).
  virtual void on_epoch(int64_t /*epoch*/) {}
  // Note [Chainable schedules]
  // PyTorch's chainable schedules (StepLR, MultiStepLR, ExponentialLR, ConstantLR,
  // LinearLR, PolynomialLR, MultiplicativeLR, CosineAnnealingLR) compute each step's lr
  // from the group's current lr (lr * factor(e) / factor(e - 1)), so two schedulers on one
  // optimizer compose, and an lr changed by hand or by ReduceLROnPlateau is carried on.
  // SWALR too starts from the current lr (its blend towards swa_lr, solved for the lr it
  // began from). The others (LambdaLR, OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts)
  // compute it from the base lr and overwrite any change. Ours are closed forms of a base lr, so
  // step() gets the chainable numbers by rebasing: where a group's lr is no longer the
  // one this scheduler last wrote, base_for(group, lr, epoch) gives the base whose lr at
  // `epoch` is that lr, and the schedule goes on from it (the new base is what
  // base_lrs() and state_dict report). It is the same lr as PyTorch's where the factor at
  // `epoch` is not 0; where it is 0 (a PolynomialLR at its end) the lr is held where PyTorch's
  // is (holds_lr); for a non-chainable schedule (nullopt, the default) the change is
  // overwritten. Construction starts a chainable schedule from the current lr
  // (start()). step_to
  // never rebases: it is PyTorch's closed-form step(epoch), from the base lrs.
  virtual std::optional<double> base_for(size_t /*group*/, double /*lr*/, int64_t /*epoch*/) const {
    return std::nullopt;
  }
  // step() from epoch `from` to `to` leaves the group's lr as it is: PyTorch's branches that
  // return group["lr"] (StepLR between multiples of step_size, MultiStepLR off its
  // milestones, LinearLR and PolynomialLR past total_iters), which keep an lr another writer
  // set even where the factor is 0 and no base gives it.
  virtual bool holds_lr(size_t /*group*/, int64_t /*from*/, int64_t /*to*/) const { return false; }
  // A schedule's own state beside last_epoch and base_lrs: save_extra appends it;
  // check_extra throws unless `entries` (every other key of a loaded dict) is exactly a
  // state save_extra could have written; set_extra then takes it (and must not throw).
  virtual void save_extra(StateDict& /*out*/) const {}
  virtual void check_extra(const StateDict& entries) const;
  virtual void set_extra(const StateDict& /*entries*/) {}

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;

 private:
  friend struct detail::CompositeAccess;
  // Sets epoch's lrs; `chain`: rebase first (Note [Chainable schedules]).
  void apply(int64_t epoch, bool chain = false);
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
  // start() set epoch 0 from the groups' current lr, keeping base_lrs_ PyTorch's (the
  // initial lr, what step_to's closed form and state_dict use): the next step() rebases
  // every group on its lr, as PyTorch's recursion goes on from group["lr"].
  bool rebase_at_next_step_ = false;
};

// A schedule whose lr is the base lr times a factor of the epoch (StepLR, MultiStepLR,
// ExponentialLR, ConstantLR, LinearLR, PolynomialLR, LambdaLR, MultiplicativeLR): the
// ones ChainedScheduler multiplies together.
class FactorSchedule : public LRScheduler {
 protected:
  using LRScheduler::LRScheduler;
  virtual double factor(size_t group, int64_t epoch) const = 0;

 private:
  friend struct detail::CompositeAccess;
  double lr_at(size_t group, double base, int64_t epoch) const final { return base * factor(group, epoch); }

 protected:
  // lr / factor(epoch) (Note [Chainable schedules]); LambdaLR overwrites instead.
  std::optional<double> base_for(size_t group, double lr, int64_t epoch) const override;
};

// lr = base * gamma^(epoch / step_size)
class StepLR : public FactorSchedule {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  double factor(size_t group, int64_t epoch) const override;
  // PyTorch returns group["lr"] between multiples of step_size.
  bool holds_lr(size_t, int64_t, int64_t to) const override { return to % step_size_ != 0; }
  int64_t step_size_;
  double gamma_;
};

// lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

 private:
  double lr_at(size_t group, double base, int64_t epoch) const override;
  std::optional<double> base_for(size_t group, double lr, int64_t epoch) const override;
  int64_t t_max_;
  double eta_min_;
};

// SGDR: the cosine from base down to eta_min over T_0 epochs, restarted at base; each
// cycle is T_mult times the one before (T_i = T_0 * T_mult^i). Integer epochs only
// (PyTorch's fractional step(epoch) has no counterpart).
class CosineAnnealingWarmRestarts : public LRScheduler {
 public:
  CosineAnnealingWarmRestarts(Optimizer& optimizer, int64_t T_0, int64_t T_mult = 1, double eta_min = 0.0);

 private:
  double lr_at(size_t group, double base, int64_t epoch) const override;
  int64_t t_0_;
  int64_t t_mult_;
  double eta_min_;
};

// A value PyTorch takes as one number for every parameter group or a list, one per group.
struct PerGroup {
  PerGroup(double value) : values{value}, is_list(false) {}  // NOLINT(google-explicit-constructor)
  PerGroup(std::initializer_list<double> list) : values(list) {}
  PerGroup(std::vector<double> list) : values(std::move(list)) {}  // NOLINT(google-explicit-constructor)
  std::vector<double> values;
  bool is_list = true;
};

// PyTorch's OneCycleLR arguments after max_lr. total_steps, or epochs and steps_per_epoch;
// the momenta one value for every group or one per group.
struct OneCycleLROptions {
  std::optional<int64_t> total_steps = std::nullopt;
  std::optional<int64_t> epochs = std::nullopt;
  std::optional<int64_t> steps_per_epoch = std::nullopt;
  double pct_start = 0.3;
  std::string anneal_strategy = "cos";  // or "linear"
  bool cycle_momentum = true;
  PerGroup base_momentum = 0.85;
  PerGroup max_momentum = 0.95;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

// Each group's lr from max_lr/div_factor up to max_lr over pct_start*total_steps - 1 steps,
// then down to max_lr/(div_factor*final_div_factor) at step total_steps - 1 (three_phase:
// down to max_lr/div_factor symmetrically first, then to the minimum), by cosine or linear
// annealing; max_lr one value or one per group. Stepping past total_steps is an error.
// With cycle_momentum, momentum (SGD) or beta1 (Adam) goes from max_momentum down to
// base_momentum while the lr rises, and back while it falls. base_lrs() are the starting
// lrs (max_lr/div_factor), as PyTorch's initial_lr, which SequentialLR restarts from.
class OneCycleLR : public LRScheduler {
 public:
  // max_lr (and the momenta): one number for every group, or a list of one per group.
  OneCycleLR(Optimizer& optimizer, PerGroup max_lr, const OneCycleLROptions& options);
  // ember's earlier positional form (not PyTorch's order: there epochs and steps_per_epoch
  // follow total_steps).
  OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start = 0.3,
             double div_factor = 25.0, double final_div_factor = 1e4, bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95);

 private:
  // One of PyTorch's _schedule_phases: lr and momentum annealed between two of a group's
  // levels up to end_step.
  enum class Level : uint8_t { Initial, Max, Min };
  struct Phase {
    double end_step;
    Level start_lr, end_lr;
    bool momentum_falls;  // max_momentum -> base_momentum, else the other way (or flat at max)
    bool momentum_flat;
  };
  double lr_at(size_t group, double base, int64_t epoch) const override;
  void on_epoch(int64_t epoch) override;
  // The phase `epoch` is in and the fraction of it done.
  std::pair<const Phase*, double> phase_at(int64_t epoch) const;
  double anneal(double start, double end, double pct) const;
  double level(size_t group, Level which) const;
  int64_t total_steps_;
  bool linear_;
  bool cycle_momentum_;
  std::vector<Phase> phases_;
  std::vector<double> initial_lrs_, max_lrs_, min_lrs_;
  std::vector<double> base_momenta_, max_momenta_;
};

}  // namespace ember::optim
