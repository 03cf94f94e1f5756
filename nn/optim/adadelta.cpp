// Adadelta::step, PyTorch's algorithm (core/optim_math_more.h, AdadeltaStepArgs): one fused
// adadelta_step kernel per parameter on its device, on any layout (Note [Staged optimizer
// operands] in nn/optim/fused_update.h).
#include "nn/optim/adadelta.h"

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/optim_math_more.h"
#include "core/profiler.h"
#include "nn/optim/capturable.h"
#include "nn/optim/fused_update.h"
#include "nn/optim/option_checks.h"
#include "nn/optim/state_checks.h"

namespace ember::optim {

void validate(const AdadeltaOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  detail::check_closed_unit_option("rho value", o.rho);
  detail::check_nonnegative_option("epsilon value", o.eps);
  detail::check_nonnegative_option("weight_decay value", o.weight_decay);
}

void Adadelta::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                                 const AdadeltaOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"step", "square_avg", "acc_delta"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  detail::check_buffer(prefix + "square_avg", loaded.at("square_avg"), param, /*nonnegative=*/true);
  detail::check_buffer(prefix + "acc_delta", loaded.at("acc_delta"), param, /*nonnegative=*/true);
}

void Adadelta::step() {
  const StepScope profile(*this, "Adadelta.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const AdadeltaOptions& o = options(group);
    detail::check_not_capturing(p, "Adadelta");
    if (state.count("square_avg") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      state["square_avg"] = detail::zeros_like_param(p);
      state["acc_delta"] = detail::zeros_like_param(p);
    }
    native::add_(state.at("step"), 1.0);
    const AdadeltaStepArgs args{
        .lr = o.lr, .rho = o.rho, .eps = o.eps, .weight_decay = o.weight_decay, .maximize = o.maximize};
    detail::run_fused_update(p, p.grad(), {state.at("square_avg"), state.at("acc_delta")},
                             [&](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& s) {
                               device_ops(param.device()).adadelta_step(param, grad, s[0], s[1], args);
                             });
  });
}

}  // namespace ember::optim
