// PyTorch's CyclicLR: the lr cycles between base_lr and max_lr (a triangle per cycle,
// scaled by the mode's function), the momentum (or Adam's beta1) the other way, as a
// closed form of the step (Note [Schedules jump, never replay] in scheduler.h).
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "nn/optim/scheduler.h"

namespace ember::optim {

// torch.optim.lr_scheduler.CyclicLR's keyword arguments (PyTorch's defaults). mode
// "triangular" (scale 1), "triangular2" (halved each cycle: 1 / 2^(cycle - 1)) or
// "exp_range" (gamma^step, per step); a scale_fn replaces the mode's, called with the
// cycle (from 1) when scale_mode is "cycle" or with the step when it is "iterations".
// step_size_down: the steps of each cycle's falling half (default step_size_up).
struct CyclicLROptions {
  double step_size_up = 2000;
  std::optional<double> step_size_down = std::nullopt;
  std::string mode = "triangular";
  double gamma = 1.0;
  std::function<double(double)> scale_fn = nullptr;
  std::string scale_mode = "cycle";
  bool cycle_momentum = true;
  PerGroup base_momentum = 0.8;
  PerGroup max_momentum = 0.9;
};

// At step k (cycle c = floor(1 + k / T), T = up + down, x = 1 + k / T - c):
// rise = x / (up / T) while x <= up / T, else (x - 1) / (up / T - 1);
// lr = base_lr + (max_lr - base_lr) * rise * scale, momentum = max_momentum -
// (max_momentum - base_momentum) * rise * scale. Construction sets every group's lr to
// base_lr (its base from then on) and, with cycle_momentum, needs an optimizer with a
// momentum or beta1 (SGD, Adam, AdamW, RMSprop), as PyTorch 2. A group added after
// construction keeps its own lr and momentum.
class CyclicLR : public LRScheduler {
 public:
  CyclicLR(Optimizer& optimizer, PerGroup base_lr, PerGroup max_lr, CyclicLROptions options = {});

 private:
  double lr_at(size_t group, double base, int64_t epoch) const override;
  void on_epoch(int64_t epoch) override;
  // Where `epoch` is: the fraction of the way from base to max (rising, then falling)
  // and the scale function's value there.
  struct Position {
    double rise, scale;
  };
  Position position(int64_t epoch) const;

  std::vector<double> max_lrs_, base_momentums_, max_momentums_;
  double total_size_, step_ratio_;
  std::function<double(double)> scale_fn_;
  bool scale_by_cycle_;
  bool cycle_momentum_;
};

}  // namespace ember::optim
