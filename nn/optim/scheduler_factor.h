// PyTorch's schedules that scale each group's base lr by a factor of the epoch:
// MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR (closed forms),
// LambdaLR (the user's function of the epoch) and MultiplicativeLR (a running product of
// it: Note [Schedules jump, never replay]). ChainedScheduler multiplies their factors.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "nn/optim/scheduler.h"

namespace ember::optim {

// gamma^(number of milestones <= epoch). Milestones may repeat (each one counts, as
// PyTorch's Counter) and come in any order: they are sorted, as PyTorch 1.13 effectively
// does (its step() looks each epoch up in a Counter, its closed form sorts). A negative
// milestone, which PyTorch's step() would never reach, is an error.
class MultiStepLR : public FactorSchedule {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 private:
  double factor(size_t group, int64_t epoch) const override;
  // PyTorch returns group["lr"] at an epoch that is no milestone.
  bool holds_lr(size_t, int64_t, int64_t to) const override {
    return !std::binary_search(milestones_.begin(), milestones_.end(), to);
  }
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

// gamma^epoch
class ExponentialLR : public FactorSchedule {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  double factor(size_t group, int64_t epoch) const override;
  double gamma_;
};

// factor before epoch total_iters, 1 from there. total_iters must be positive (at 0
// PyTorch 1.13's step() keeps the factor forever while its closed form gives 1).
class ConstantLR : public FactorSchedule {
 public:
  explicit ConstantLR(Optimizer& optimizer, double factor = 1.0 / 3, int64_t total_iters = 5);

 private:
  double factor(size_t group, int64_t epoch) const override;
  double factor_;
  int64_t total_iters_;
};

// start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters.
// start_factor 0 works (PyTorch 1.13's step() divides by it at epoch 1).
class LinearLR : public FactorSchedule {
 public:
  explicit LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
                    int64_t total_iters = 5);

 private:
  double factor(size_t group, int64_t epoch) const override;
  // Past total_iters PyTorch returns group["lr"]: an lr another writer set stays.
  bool holds_lr(size_t, int64_t, int64_t to) const override { return to > total_iters_; }
  double start_factor_;
  double end_factor_;
  int64_t total_iters_;
};

// (1 - min(epoch, total_iters) / total_iters)^power: down to 0 at total_iters.
class PolynomialLR : public FactorSchedule {
 public:
  explicit PolynomialLR(Optimizer& optimizer, int64_t total_iters = 5, double power = 1.0);

 private:
  double factor(size_t group, int64_t epoch) const override;
  bool holds_lr(size_t, int64_t, int64_t to) const override { return to > total_iters_; }  // as LinearLR's
  int64_t total_iters_;
  double power_;
};

using LrLambda = std::function<double(int64_t)>;

namespace detail {
// One function for every group (a group added later included), or one per group at
// construction (a group added later keeps its lr: factor 1).
class GroupLambdas {
 public:
  GroupLambdas(const char* who, const Optimizer& optimizer, std::vector<LrLambda> lambdas, bool shared);
  // lambda(epoch) of `group`'s function; 1 where the group has none.
  double operator()(size_t group, int64_t epoch) const;

 private:
  const char* who_;
  std::vector<LrLambda> lambdas_;
  bool shared_;
};
}  // namespace detail

// base * lr_lambda(epoch), one function for all groups or one per group.
class LambdaLR : public FactorSchedule {
 public:
  LambdaLR(Optimizer& optimizer, LrLambda lr_lambda);
  LambdaLR(Optimizer& optimizer, std::vector<LrLambda> lr_lambdas);

 private:
  double factor(size_t group, int64_t epoch) const override;
  // Not chainable, as PyTorch's: base * lambda(epoch) overwrites other writers' changes
  // (Note [Chainable schedules]).
  std::optional<double> base_for(size_t, double, int64_t) const override { return std::nullopt; }
  detail::GroupLambdas lambdas_;
};

// lr_lambda(1) * lr_lambda(2) * ... * lr_lambda(epoch) (1 at epoch 0). Not a closed form:
// each group keeps the product at the last epoch it computed, and state_dict carries it
// ("running_epochs", "running_factors"), see Note [Schedules jump, never replay].
class MultiplicativeLR : public FactorSchedule {
 public:
  MultiplicativeLR(Optimizer& optimizer, LrLambda lr_lambda);
  MultiplicativeLR(Optimizer& optimizer, std::vector<LrLambda> lr_lambdas);

 private:
  double factor(size_t group, int64_t epoch) const override;
  void save_extra(StateDict& out) const override;
  void check_extra(const StateDict& entries) const override;
  void set_extra(const StateDict& entries) override;
  struct Running {
    int64_t epoch = 0;
    double factor = 1.0;
  };
  detail::GroupLambdas lambdas_;
  mutable std::vector<Running> running_;  // per group; a cache of the product
};

}  // namespace ember::optim
