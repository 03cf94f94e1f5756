// Adagrad::step, PyTorch's algorithm (core/op_kinds.h, AdagradStepArgs): the decayed lr
// on the host from the step count, then one fused adagrad_step kernel per parameter on
// its device, on any layout (Note [Staged optimizer operands] in nn/optim/fused_update.h).
#include "nn/optim/adagrad.h"

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/optim/capturable.h"
#include "nn/optim/fused_update.h"
#include "nn/optim/state_checks.h"

namespace ember::optim {

void validate(const AdagradOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  detail::check_nonnegative_option("lr_decay value", o.lr_decay);
  detail::check_nonnegative_option("weight_decay value", o.weight_decay);
  detail::check_nonnegative_option("initial_accumulator_value value", o.initial_accumulator_value);
  detail::check_nonnegative_option("epsilon value", o.eps);
}

void Adagrad::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                                const AdagradOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"step", "sum"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  detail::check_buffer(prefix + "sum", loaded.at("sum"), param, /*nonnegative=*/true);
}

void Adagrad::step() {
  const StepScope profile(*this, "Adagrad.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const AdagradOptions& o = options(group);
    detail::check_not_capturing(p, "Adagrad");
    if (state.count("sum") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      Tensor sum = detail::zeros_like_param(p);
      native::fill_(sum, o.initial_accumulator_value);
      state["sum"] = sum;
    }
    Tensor& step = state.at("step");
    native::add_(step, 1.0);
    const double t = step.item<double>();
    const AdagradStepArgs args{.clr = o.lr / (1.0 + (t - 1.0) * o.lr_decay),
                               .eps = o.eps,
                               .weight_decay = o.weight_decay,
                               .maximize = o.maximize};
    detail::run_fused_update(p, p.grad(), {state.at("sum")},
                             [&](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& s) {
                               device_ops(param.device()).adagrad_step(param, grad, s[0], args);
                             });
  });
}

}  // namespace ember::optim
