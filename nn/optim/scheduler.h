// Learning-rate schedulers (PyTorch's closed forms): StepLR, CosineAnnealingLR and
// OneCycleLR (cosine). Construction sets the epoch-0 lr; each step() moves one epoch
// (or batch, for OneCycleLR) and writes the new lr into every parameter group;
// step_to(k) moves straight to epoch k in O(1) (Note [Schedules jump, never replay]).
#pragma once
#include <cstdint>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  void step();
  // Note [Schedules jump, never replay]
  // Every schedule here is a closed form of the epoch (lr_at, on_epoch), so resuming at
  // epoch k sets epoch k's lr (and momentum) directly: O(1), whatever k, and the same
  // values, bit for bit, as k calls of step(). A resumed run must never replay the
  // schedule step by step: k comes from a file and may be huge.
  // step_to(k) for k >= 0 (and, for OneCycleLR, k <= total_steps).
  void step_to(int64_t epoch);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  // For checkpoints, as PyTorch's scheduler.state_dict(): "last_epoch" (0-dim int64) and
  // "base_lrs" (float64, one per group). load_state_dict checks both (a count, finite
  // positive-or-zero lrs, one per group of the optimizer) and then jumps to last_epoch
  // with step_to (Note [Schedules jump, never replay]); the schedule's own arguments
  // (step_size, T_max, ...) are the constructor's.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  // The lr of `group` at `epoch`; base_lrs_ holds each group's lr at construction (or,
  // for a group added later, at the first step after it was added).
  virtual double lr_at(size_t group, int64_t epoch) const = 0;
  // Derived constructors call this last: sets epoch 0's lr.
  void start() { apply(0); }
  // Called after each epoch's lrs are set (OneCycleLR sets the momentum there).
  virtual void on_epoch(int64_t /*epoch*/) {}

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;

 private:
  void apply(int64_t epoch);
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

// lr = base * gamma^(epoch / step_size)
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  double lr_at(size_t group, int64_t epoch) const override;
  int64_t step_size_;
  double gamma_;
};

// lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

 private:
  double lr_at(size_t group, int64_t epoch) const override;
  int64_t t_max_;
  double eta_min_;
};

// Two cosine phases: max_lr/div_factor -> max_lr over pct_start*total_steps - 1
// steps, then -> max_lr/(div_factor*final_div_factor) at step total_steps - 1.
// Stepping past total_steps is an error.
// PyTorch's defaults: with cycle_momentum, momentum (SGD) or beta1 (Adam) goes from
// max_momentum down to base_momentum while the lr warms up, and back while it anneals.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start = 0.3,
             double div_factor = 25.0, double final_div_factor = 1e4, bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95);

 private:
  double lr_at(size_t group, int64_t epoch) const override;
  void on_epoch(int64_t epoch) override;
  // Where `epoch` is in the cycle: the phase (true while warming up) and the fraction done.
  std::pair<bool, double> phase_at(int64_t epoch) const;
  bool cycle_momentum_;
  double base_momentum_;
  double max_momentum_;
  double max_lr_;
  int64_t total_steps_;
  double pct_start_;
  double initial_lr_;
  double min_lr_;
};

}  // namespace ember::optim
