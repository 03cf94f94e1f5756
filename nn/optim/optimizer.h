// optim::Optimizer: parameter groups, per-parameter state ("momentum_buffer",
// "exp_avg", ...), zero_grad over its own parameters, lr per group (for schedulers)
// and state_dict/load_state_dict for resuming. OptimizerWithOptions<Options> adds the
// typed hyper-parameters of each group; SGD, the Adam family, RMSprop, Adagrad, Adadelta,
// Rprop, ASGD and Adafactor derive from it, LBFGS (one group, a closure) from Optimizer itself.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/profiler.h"
#include "core/tensor.h"

namespace ember::optim {

class Optimizer;
// Note [Optimizer step hooks]
// PyTorch's Optimizer.register_step_pre_hook / register_step_post_hook and the global
// torch.optim.optimizer.register_optimizer_step_pre_hook / _post_hook. A pre hook runs
// before the step reads any gradient (so it may clip or rescale them), a post hook after
// every update; each gets the optimizer. Order as PyTorch's: global pre hooks, this
// optimizer's pre hooks, the step, this optimizer's post hooks, global post hooks, each
// kind in registration order. Hooks run in the caller's grad mode; step(closure) runs them
// once, before the closure. A step that throws runs no post hook; a throwing hook stops the
// step there (a post hook's exception leaves StepScope's destructor, so a step called from
// another destructor must not have throwing post hooks). One step at a time per optimizer.
// Every built-in optimizer's step opens an Optimizer::StepScope; a subclass's own step()
// does the same to run the hooks.
using OptimizerStepHook = std::function<void(Optimizer& optimizer)>;
namespace detail {
struct StepHookTable;
}
// torch.utils.hooks.RemovableHandle for these hooks: remove() unregisters the hook (again,
// or after the optimizer is gone: a no-op).
class OptimizerHookHandle {
 public:
  OptimizerHookHandle() = default;
  void remove();
  int64_t id() const { return key_; }

 private:
  friend class Optimizer;
  friend OptimizerHookHandle register_optimizer_step_pre_hook(OptimizerStepHook hook);
  friend OptimizerHookHandle register_optimizer_step_post_hook(OptimizerStepHook hook);
  OptimizerHookHandle(std::weak_ptr<detail::StepHookTable> table, int64_t key) : table_(std::move(table)), key_(key) {}
  std::weak_ptr<detail::StepHookTable> table_;
  int64_t key_ = 0;
};
// Hooks that run around every optimizer's step (Note [Optimizer step hooks]).
OptimizerHookHandle register_optimizer_step_pre_hook(OptimizerStepHook hook);
OptimizerHookHandle register_optimizer_step_post_hook(OptimizerStepHook hook);

// Same type as nn::StateDict: ordered name -> tensor pairs.
using StateDict = std::vector<std::pair<std::string, Tensor>>;
// A closure for step(closure): zeroes the gradients, runs the forward and backward, returns the loss.
using LossClosure = std::function<Tensor()>;

namespace detail {
// Zeros with p's shape, dtype, device and dense memory format (dense_format_of), so the
// state of a channels-last parameter stays within the fused update kernels' reach.
Tensor zeros_like_param(const Tensor& p);
// PyTorch's check of a hyper-parameter that must be >= 0, and finite: "Invalid <what>:
// <value>" ("Invalid learning rate: -1", "Invalid alpha value: -0.5").
void check_nonnegative_option(const char* what, double value);
// A one-element tensor's value, read on the host as a double (loaded state counters).
double host_number(const Tensor& value);
}  // namespace detail

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (no graph is recorded).
  virtual void step() = 0;
  // PyTorch's step(closure): the closure runs once with grad mode on, then step(); returns its
  // loss (undefined for a null closure). LBFGS calls it many times. A derived class that declares
  // step() brings this one back with `using Optimizer::step;`.
  virtual Tensor step(const LossClosure& closure);
  // Only this optimizer's parameters: grads reset to undefined, or zeroed in place.
  virtual void zero_grad(bool set_to_none = true);
  // A new group with the optimizer's defaults (the constructor's options, as PyTorch's
  // add_param_group fills what a group leaves out); OptimizerWithOptions also takes
  // the group's own options.
  virtual void add_param_group(std::vector<Tensor> params) = 0;

  size_t num_param_groups() const { return groups_.size(); }
  const std::vector<Tensor>& params(size_t group) const { return groups_.at(group); }
  virtual double lr(size_t group) const = 0;
  virtual void set_lr(size_t group, double lr) = 0;
  // The momentum a scheduler may cycle (OneCycleLR): SGD's momentum, Adam's beta1;
  // std::nullopt for an optimizer without one.
  std::optional<double> momentum(size_t group) const;
  void set_momentum(size_t group, double value);

  // "param_groups.<g>.params" (int64 parameter indices), "param_groups.<g>.<hyper>"
  // (0-dim float64) and "state.<i>.<name>" (i counts parameters over all groups).
  StateDict state_dict() const;
  // Needs the same groups of the same sizes; every value is checked as the constructor
  // would check it (Note [Loaded state is checked]) before anything changes; state
  // tensors are then copied to each parameter's device and dtype.
  void load_state_dict(const StateDict& state);

  // How many step() calls applied gradients (LRScheduler's step-order warning reads it).
  int64_t steps_taken() const { return steps_taken_; }

  // Note [Optimizer step hooks]
  OptimizerHookHandle register_step_pre_hook(OptimizerStepHook hook);
  OptimizerHookHandle register_step_post_hook(OptimizerStepHook hook);

  // PyTorch's param_groups[g]["initial_lr"]: the lr the first LR scheduler made on this
  // optimizer found (a later scheduler, or one made after a resume, starts from it), kept
  // in state_dict as "param_groups.<g>.initial_lr" and restored by load_state_dict.
  std::optional<double> initial_lr(size_t group) const;
  void set_initial_lr(size_t group, double lr);

 protected:
  Optimizer();
  using ParamState = std::map<std::string, Tensor>;

  // Opened first in every step (Note [Optimizer step hooks]): the profiler's span named
  // profile_name (none for nullptr), and the step hooks around the step when it is the
  // outermost scope of this optimizer (step(closure) around step() runs them once).
  class StepScope {
   public:
    StepScope(Optimizer& optimizer, const char* profile_name);
    ~StepScope() noexcept(false);  // the post hooks, unless the step is throwing
    StepScope(const StepScope&) = delete;
    StepScope& operator=(const StepScope&) = delete;

   private:
    Optimizer& optimizer_;
    std::optional<profiler::StepScope> profile_;
    int uncaught_at_start_;
    bool outermost_;
  };

  // Appends a group (checks: leaves, floating point, not already in a group).
  void add_params(std::vector<Tensor> params);
  // Calls fn(group, param, state) for each parameter with a defined gradient.
  // Mode diagnostics (Note [Mode diagnostics] in nn/diagnostics.h) look at the
  // gradients before any update (step_after_eval_forward) and mark them applied after
  // all of them (grad_across_steps).
  template <typename Fn>
  void for_each_param_with_grad(const Fn& fn) {
    check_gradients_before_step();
    size_t index = 0;
    for (size_t g = 0; g < groups_.size(); ++g)
      for (Tensor& p : groups_[g]) {
        ParamState& state = state_[index++];
        if (p.grad().defined()) fn(g, p, state);
      }
    mark_gradients_applied();
  }

  // Parameter `index`'s state (counting over all groups), whether or not it has a gradient
  // (LBFGS keeps its one global state in its first parameter's, as PyTorch's).
  ParamState& param_state(size_t index) { return state_.at(index); }
  // The mode diagnostics for_each_param_with_grad runs around its updates, for an optimizer
  // that walks its parameters itself (LBFGS, whose closure makes the gradients).
  void check_gradients_before_step() const;
  void mark_gradients_applied();
  // How load_state_dict stores a checked state tensor `name` of `param`: a step count as a
  // float64 number on the host, any other buffer laid out like param on its device and in its
  // dtype (the state it replaces). Optimizers with host numbers of their own (NAdam's
  // mu_product, ASGD's eta and mu) or LBFGS's flat vectors override it.
  virtual Tensor loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const;

  // Called after set_lr, set_momentum or a loaded value changed `group`'s options
  // (capturable optimizers write their device-resident copies: Note [Capturable optimizers]).
  virtual void hyper_parameters_changed(size_t /*group*/) {}
  virtual std::vector<std::pair<std::string, double>> hyper_parameters(size_t group) const = 0;
  virtual void set_hyper_parameter(size_t group, const std::string& name, double value) = 0;
  // Throws unless `group`'s options with these values set would pass the options' own
  // validate() (the one the constructor and add_param_group call).
  virtual void check_hyper_parameters(size_t group, const std::vector<std::pair<std::string, double>>& values) const = 0;
  // Throws unless `loaded` (one parameter's state, keys "<prefix><name>", as read) is a
  // state this optimizer's step() could have made for `param` in `group` with the loaded
  // hyper-parameters `values` set (e.g. Adam's max_exp_avg_sq belongs to amsgrad).
  virtual void check_loaded_param_state(size_t group, const std::vector<std::pair<std::string, double>>& values,
                                        const std::string& prefix, const ParamState& loaded,
                                        const Tensor& param) const = 0;

 private:
  std::vector<std::vector<Tensor>> groups_;
  std::vector<ParamState> state_;  // one per parameter, in group order
  int64_t steps_taken_ = 0;        // for grad_across_steps' message
  std::vector<std::optional<double>> initial_lr_;  // per group; grown with groups_
  std::shared_ptr<detail::StepHookTable> step_hooks_;
  int step_depth_ = 0;  // open StepScopes
};

// Note [Loaded state is checked]
// A state dict comes from a file, so it is input like any other: load_state_dict holds
// it to the same rules as the constructor. Hyper-parameters go through the options
// type's one validate(const Options&), the function the constructor and
// add_param_group call (never a second copy of its rules); state tensors go through
// check_param_state (nn/optim/state_checks.h) with the group's options as loaded: known
// names, the buffers those options need present (amsgrad's max_exp_avg_sq, RMSprop's
// momentum_buffer and grad_avg), floating point, the parameter's shape, finite values,
// exp_avg_sq, square_avg, sum >= 0, whole non-negative step counts. Everything is checked
// before anything changes.

// The typed layer: Options is an aggregate (SGDOptions, ...) with an `lr` field;
// visit_fields(Options&, fn) (found by ADL) names its hyper-parameters, and
// validate(const Options&) checks them (Note [Loaded state is checked]).
template <typename Options>
class OptimizerWithOptions : public Optimizer {
 public:
  // Every field of `options` is the group's (a C++ aggregate has no "left out": fields not
  // named in a designated initializer take the struct's defaults, not the optimizer's;
  // copy defaults() and change what differs to get PyTorch's fill-in).
  void add_param_group(std::vector<Tensor> params, const Options& options) {
    validate(options);
    add_params(std::move(params));
    options_.push_back(options);
  }
  void add_param_group(std::vector<Tensor> params) override { add_param_group(std::move(params), defaults_); }
  // PyTorch's add_param_group({'params': head, 'lr': 1e-2}): the optimizer's defaults with
  // what `edit` changes, e.g. add_param_group(head, [](SGDOptions& o) { o.lr = 1e-2; }).
  template <typename Edit>
    requires std::is_invocable_v<Edit&, Options&>
  void add_param_group(std::vector<Tensor> params, Edit&& edit) {
    Options options = defaults_;
    edit(options);
    add_param_group(std::move(params), options);
  }
  const Options& defaults() const { return defaults_; }
  const Options& options(size_t group) const { return options_.at(group); }
  Options& options(size_t group) { return options_.at(group); }
  double lr(size_t group) const override { return options_.at(group).lr; }
  void set_lr(size_t group, double lr) override {
    const double previous = options_.at(group).lr;
    options_.at(group).lr = lr;
    try {
      hyper_parameters_changed(group);  // a capturable group's device value (not inside a capture)
    } catch (...) {
      options_.at(group).lr = previous;  // the host and device values stay one
      throw;
    }
  }

 protected:
  OptimizerWithOptions(std::vector<Tensor> params, const Options& options) : defaults_(options) {
    add_param_group(std::move(params), options);
  }

  std::vector<std::pair<std::string, double>> hyper_parameters(size_t group) const override {
    std::vector<std::pair<std::string, double>> out;
    Options copy = options_.at(group);
    visit_fields(copy, [&](const char* name, auto& value) { out.emplace_back(name, static_cast<double>(value)); });
    return out;
  }
  void set_hyper_parameter(size_t group, const std::string& name, double value) override {
    assign(options_.at(group), name, value);
    hyper_parameters_changed(group);
  }
  void check_hyper_parameters(size_t group, const std::vector<std::pair<std::string, double>>& values) const override {
    validate(candidate(group, values));
  }
  void check_loaded_param_state(size_t group, const std::vector<std::pair<std::string, double>>& values,
                                const std::string& prefix, const ParamState& loaded,
                                const Tensor& param) const final {
    check_param_state(prefix, loaded, param, candidate(group, values));
  }
  // Throws unless `loaded` is a state step() could have made for `param` in a group with
  // `options` (Note [Loaded state is checked]).
  virtual void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                                 const Options& options) const = 0;

 private:
  // `group`'s options with `values` set.
  Options candidate(size_t group, const std::vector<std::pair<std::string, double>>& values) const {
    Options options = options_.at(group);
    for (const auto& [name, value] : values) assign(options, name, value);
    return options;
  }
  // Sets the field `name`; a bool field (nesterov) takes only 0 or 1.
  static void assign(Options& options, const std::string& name, double value) {
    bool found = false;
    visit_fields(options, [&](const char* field, auto& slot) {
      if (name != field) return;
      using Slot = std::decay_t<decltype(slot)>;
      if constexpr (std::is_same_v<Slot, bool>)
        EMBER_CHECK(value == 0.0 || value == 1.0, "optimizer option ", name, " is a flag: expected 0 or 1, but got ",
                    value);
      slot = static_cast<Slot>(value);
      found = true;
    });
    EMBER_CHECK(found, "load_state_dict: unknown optimizer hyper-parameter \"", name, "\"");
  }

  std::vector<Options> options_;
  Options defaults_;  // the constructor's options (add_param_group without options)
};

}  // namespace ember::optim
