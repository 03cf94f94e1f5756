// RMSprop::step, PyTorch's algorithm (core/op_kinds.h, RmspropStepArgs): one fused
// rmsprop_step kernel per parameter on its device, on any layout (Note [Staged optimizer
// operands] in nn/optim/fused_update.h).
#include "nn/optim/rmsprop.h"

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/optim/capturable.h"
#include "nn/optim/fused_update.h"
#include "nn/optim/state_checks.h"

namespace ember::optim {

namespace {

// The state an option needs, or undefined without the option. A parameter started
// without it (the option turned on after its first step) is an error, as in PyTorch.
Tensor optional_buffer(std::map<std::string, Tensor>& state, bool needed, const char* name, const char* option) {
  if (!needed) return Tensor();
  const auto it = state.find(name);
  EMBER_CHECK(it != state.end(), "RMSprop: ", option, ", but this parameter's state has no \"", name, "\" (", option,
              " was set after its first step; PyTorch fails there too)");
  return it->second;
}

}  // namespace

void validate(const RMSpropOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  detail::check_nonnegative_option("epsilon value", o.eps);
  detail::check_nonnegative_option("momentum value", o.momentum);
  detail::check_nonnegative_option("weight_decay value", o.weight_decay);
  detail::check_nonnegative_option("alpha value", o.alpha);
}

void RMSprop::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                                const RMSpropOptions& options) const {
  detail::check_state_names(prefix, loaded, {"step", "square_avg"}, /*all_or_none=*/true,
                            {"momentum_buffer", "grad_avg"});
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  detail::check_buffer(prefix + "square_avg", loaded.at("square_avg"), param, /*nonnegative=*/true);
  if (options.momentum > 0.0) detail::check_state_present(prefix, loaded, "momentum_buffer", "momentum > 0");
  if (options.centered) detail::check_state_present(prefix, loaded, "grad_avg", "centered=True");
  for (const char* name : {"momentum_buffer", "grad_avg"})
    if (loaded.count(name) != 0) detail::check_buffer(prefix + name, loaded.at(name), param);
}

void RMSprop::step() {
  const StepScope profile(*this, "RMSprop.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const RMSpropOptions& o = options(group);
    detail::check_not_capturing(p, "RMSprop");
    if (state.count("square_avg") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      state["square_avg"] = detail::zeros_like_param(p);
      if (o.momentum > 0.0) state["momentum_buffer"] = detail::zeros_like_param(p);
      if (o.centered) state["grad_avg"] = detail::zeros_like_param(p);
    }
    const Tensor buf = optional_buffer(state, o.momentum > 0.0, "momentum_buffer", "momentum > 0");
    const Tensor grad_avg = optional_buffer(state, o.centered, "grad_avg", "centered=True");
    native::add_(state.at("step"), 1.0);
    const RmspropStepArgs args{.lr = o.lr,
                               .alpha = o.alpha,
                               .eps = o.eps,
                               .weight_decay = o.weight_decay,
                               .momentum = o.momentum,
                               .centered = o.centered,
                               .maximize = o.maximize};
    detail::run_fused_update(p, p.grad(), {state.at("square_avg"), buf, grad_avg},
                             [&](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& s) {
                               device_ops(param.device()).rmsprop_step(param, grad, s[0], s[1], s[2], args);
                             });
  });
}

}  // namespace ember::optim
