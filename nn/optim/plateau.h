// ReduceLROnPlateau (PyTorch's): multiplies each group's lr by `factor` once a metric has
// not improved for more than `patience` steps. Not an LRScheduler: the lr follows the
// metrics seen, not a formula of the epoch, so it has no step_to; its counters are
// its state_dict.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

class ReduceLROnPlateau {
 public:
  // One floor for every group (a group added later included), or one per group.
  struct MinLr {
    MinLr(double value) : values{value}, shared(true) {}  // NOLINT: as PyTorch's scalar
    MinLr(std::vector<double> per_group) : values(std::move(per_group)), shared(false) {}  // NOLINT
    MinLr(std::initializer_list<double> per_group) : values(per_group), shared(false) {}  // NOLINT
    std::vector<double> values;
    bool shared;
  };

  // PyTorch's arguments and defaults: mode "min" or "max"; threshold_mode "rel" or "abs".
  // Beyond PyTorch's checks (factor < 1, known modes, one min_lr per group): factor,
  // threshold, min_lr and eps finite and >= 0, patience and cooldown >= 0.
  explicit ReduceLROnPlateau(Optimizer& optimizer, const std::string& mode = "min", double factor = 0.1,
                             int64_t patience = 10, double threshold = 1e-4, const std::string& threshold_mode = "rel",
                             int64_t cooldown = 0, MinLr min_lr = 0.0, double eps = 1e-8);

  // One epoch's metric. A NaN metric is never an improvement (as in PyTorch: a bad
  // epoch). A reduction writes each group's lr with Optimizer::set_lr (so a capturable
  // optimizer's device-resident lr follows: Note [Capturable optimizers]); a group whose
  // lr would fall by no more than eps keeps it.
  void step(double metric);

  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }

  // "best" (0-dim float64), "num_bad_epochs", "cooldown_counter", "last_epoch" (0-dim
  // int64): the counters, as in PyTorch's state_dict; the arguments are the constructor's
  // and the lrs live in the optimizer's state. load_state_dict checks every entry
  // (best not NaN, 0 <= num_bad_epochs <= patience, 0 <= cooldown_counter <= cooldown,
  // last_epoch >= 0) before anything changes.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

 private:
  bool is_better(double metric) const;
  double min_lr(size_t group) const;

  Optimizer& optimizer_;
  bool max_mode_;
  bool rel_threshold_;
  double factor_;
  int64_t patience_;
  double threshold_;
  int64_t cooldown_;
  MinLr min_lrs_;
  double eps_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace ember::optim
