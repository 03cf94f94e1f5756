// RAdam::step, PyTorch's algorithm (core/optim_math_more.h, RadamStepArgs): the bias
// corrections, the SMA length rho_t and the rectification term on the host from the step
// count, then one fused radam_step kernel per parameter on its device, on any layout
// (Note [Staged optimizer operands] in nn/optim/fused_update.h).
#include "nn/optim/radam.h"

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

namespace {

// The step's host-side terms at step t, in PyTorch's order of operations (in double):
// rho_inf = 2 / (1 - beta2) - 1, rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t), and when
// rho_t > 5, rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
RadamStepArgs radam_args(const RAdamOptions& o, double t) {
  const auto [beta1, beta2] = o.betas;
  const double bias_correction2 = 1.0 - std::pow(beta2, t);
  const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
  const double rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / bias_correction2;
  const bool rectified = rho_t > 5.0;
  const double rect =
      rectified ? std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                : 1.0;
  return RadamStepArgs{
      .lr = o.lr,
      .beta1 = beta1,
      .beta2 = beta2,
      .eps = o.eps,
      .weight_decay = o.weight_decay,
      .bias_correction1 = 1.0 - std::pow(beta1, t),
      .bias_correction2_sqrt = std::sqrt(bias_correction2),
      .rect = rect,
      .rectified = rectified,
      .decoupled = o.decoupled_weight_decay,
      .maximize = o.maximize};
}

}  // namespace

void validate(const RAdamOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  detail::check_nonnegative_option("epsilon value", o.eps);
  detail::check_betas(o.betas);
  detail::check_nonnegative_option("weight_decay value", o.weight_decay);
}

void RAdam::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                              const RAdamOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"step", "exp_avg", "exp_avg_sq"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  detail::check_buffer(prefix + "exp_avg", loaded.at("exp_avg"), param);
  detail::check_buffer(prefix + "exp_avg_sq", loaded.at("exp_avg_sq"), param, /*nonnegative=*/true);
}

void RAdam::step() {
  const StepScope profile(*this, "RAdam.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const RAdamOptions& o = options(group);
    detail::check_not_capturing(p, "RAdam");
    if (state.count("exp_avg") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      state["exp_avg"] = detail::zeros_like_param(p);
      state["exp_avg_sq"] = detail::zeros_like_param(p);
    }
    Tensor& step = state.at("step");
    native::add_(step, 1.0);
    const RadamStepArgs args = radam_args(o, step.item<double>());
    detail::run_fused_update(p, p.grad(), {state.at("exp_avg"), state.at("exp_avg_sq")},
                             [&](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& s) {
                               device_ops(param.device()).radam_step(param, grad, s[0], s[1], args);
                             });
  });
}

}  // namespace ember::optim
