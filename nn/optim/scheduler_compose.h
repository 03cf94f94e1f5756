// Schedules made of schedules: SequentialLR (one after another, at milestones) and
// ChainedScheduler (factor schedules multiplied together), both closed forms of their
// parts' closed forms (Note [Schedules jump, never replay]).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/optim/scheduler.h"

namespace ember::optim {

// Note [Composite schedules]
// PyTorch's SequentialLR and ChainedScheduler step their schedulers, which rewrite the
// optimizer's lr in turn. Here the parts are formulas: the composite evaluates their
// closed forms (LRScheduler::lr_at) from its own base lrs and writes the result once, so
// a jump, a resume and a CUDA graph's device-resident lr (Note [Capturable optimizers])
// go through the one LRScheduler::apply. The parts are never stepped: their own
// last_epoch and get_last_lr keep the values of their construction. The base lrs are
// PyTorch's: SequentialLR's are the groups' "initial_lr" (PyTorch resets the lr to it and
// starts its first part there); ChainedScheduler's give the lr the parts left at
// construction (PyTorch's leaves it), the current lr over the product of the parts'
// epoch-0 factors. The parts' running state (MultiplicativeLR's)
// goes in the composite's state_dict as "schedulers.<i>.<key>". An lr changed by another
// writer is carried on as the part in charge would (Note [Chainable schedules]); a
// SequentialLR keeps that rebased base for its later parts, where PyTorch's restart from
// the group's first lr.

// schedulers[i] from epoch milestones[i-1] (0 for i = 0), at its own epoch
// epoch - milestones[i-1]: the documented intent of PyTorch's SequentialLR, which 1.13
// gives for closed-form parts (its step(0) at a milestone restarts the next scheduler;
// for one without a closed form, such as MultiplicativeLR, 1.13 restarts from the
// previous scheduler's last lr instead of the base lr). milestones must be sorted and >= 0.
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);

 private:
  double lr_at(size_t group, double base, int64_t epoch) const override;
  // The part's own rebase within a part; none at a milestone, where the next part starts
  // from the base (Note [Chainable schedules]).
  std::optional<double> base_for(size_t group, double lr, int64_t epoch) const override;
  void on_epoch(int64_t epoch) override;
  void save_extra(StateDict& out) const override;
  void check_extra(const StateDict& entries) const override;
  void set_extra(const StateDict& entries) override;
  // The scheduler in charge at `epoch` and its own epoch.
  std::pair<LRScheduler*, int64_t> part_at(int64_t epoch) const;
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

// base * the product of every scheduler's factor at the epoch: PyTorch's
// ChainedScheduler of chainable schedules (each multiplies the lr the one before it
// left). Only FactorSchedules take part (StepLR, MultiStepLR, ExponentialLR, ConstantLR,
// LinearLR, PolynomialLR, MultiplicativeLR, and LambdaLR, whose factor is multiplied
// too, where PyTorch's LambdaLR would overwrite the lr the others set).
class ChainedScheduler : public LRScheduler {
 public:
  explicit ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers);

 private:
  double lr_at(size_t group, double base, int64_t epoch) const override;
  // lr / the product of the factors (Note [Chainable schedules]).
  std::optional<double> base_for(size_t group, double lr, int64_t epoch) const override;
  void save_extra(StateDict& out) const override;
  void check_extra(const StateDict& entries) const override;
  void set_extra(const StateDict& entries) override;
  std::vector<std::shared_ptr<FactorSchedule>> schedulers_;
};

}  // namespace ember::optim
