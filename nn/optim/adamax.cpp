// Adamax::step, PyTorch's algorithm (core/optim_math_more.h, AdamaxStepArgs): the
// bias-corrected lr on the host from the step count, then one fused adamax_step kernel per
// parameter on its device, on any layout (Note [Staged optimizer operands] in
// nn/optim/fused_update.h).
#include "nn/optim/adamax.h"

#include <cmath>

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

void validate(const AdamaxOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  detail::check_nonnegative_option("epsilon value", o.eps);
  detail::check_betas(o.betas);
  detail::check_nonnegative_option("weight_decay value", o.weight_decay);
}

void Adamax::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                               const AdamaxOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"step", "exp_avg", "exp_inf"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  detail::check_buffer(prefix + "exp_avg", loaded.at("exp_avg"), param);
  detail::check_buffer(prefix + "exp_inf", loaded.at("exp_inf"), param, /*nonnegative=*/true);
}

void Adamax::step() {
  const StepScope profile(*this, "Adamax.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const AdamaxOptions& o = options(group);
    detail::check_not_capturing(p, "Adamax");
    if (state.count("exp_avg") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      state["exp_avg"] = detail::zeros_like_param(p);
      state["exp_inf"] = detail::zeros_like_param(p);
    }
    Tensor& step = state.at("step");
    native::add_(step, 1.0);
    const double t = step.item<double>();
    const auto [beta1, beta2] = o.betas;
    const AdamaxStepArgs args{.clr = o.lr / (1.0 - std::pow(beta1, t)),
                              .beta1 = beta1,
                              .beta2 = beta2,
                              .eps = o.eps,
                              .weight_decay = o.weight_decay,
                              .maximize = o.maximize};
    detail::run_fused_update(p, p.grad(), {state.at("exp_avg"), state.at("exp_inf")},
                             [&](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& s) {
                               device_ops(param.device()).adamax_step(param, grad, s[0], s[1], args);
                             });
  });
}

}  // namespace ember::optim
