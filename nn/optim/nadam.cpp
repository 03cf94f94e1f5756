// NAdam::step, PyTorch's algorithm (core/optim_math_more.h, NadamStepArgs): the momentum
// schedule, mu_product (in float32, as PyTorch's) and the two update coefficients on the
// host from the step count, then one fused nadam_step kernel per parameter on its device,
// on any layout (Note [Staged optimizer operands] in nn/optim/fused_update.h).
#include "nn/optim/nadam.h"

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

// mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)), PyTorch's momentum schedule.
double momentum_at(double beta1, double momentum_decay, double t) {
  return beta1 * (1.0 - 0.5 * std::pow(0.96, t * momentum_decay));
}

}  // namespace

void validate(const NAdamOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  detail::check_nonnegative_option("epsilon value", o.eps);
  detail::check_betas(o.betas);
  detail::check_nonnegative_option("weight_decay value", o.weight_decay);
  detail::check_nonnegative_option("momentum_decay value", o.momentum_decay);
}

void NAdam::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                              const NAdamOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"step", "mu_product", "exp_avg", "exp_avg_sq"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  const Tensor& mu_product = loaded.at("mu_product");
  EMBER_CHECK(mu_product.numel() == 1 && mu_product.is_floating_point(), "load_state_dict: optimizer state \"",
              prefix, "mu_product\" must be one floating-point number, but got ", mu_product.numel(), " elements of ",
              dtype_name(mu_product.dtype()));
  const double value = native::to_device(mu_product, Device::cpu()).item<double>();
  EMBER_CHECK(value >= 0.0 && value <= 1.0, "load_state_dict: optimizer state \"", prefix,
              "mu_product\" must be a product of momentum coefficients, in [0, 1], but got ", value);
  detail::check_buffer(prefix + "exp_avg", loaded.at("exp_avg"), param);
  detail::check_buffer(prefix + "exp_avg_sq", loaded.at("exp_avg_sq"), param, /*nonnegative=*/true);
}

// Its float32 products are part of NAdam's step, so a loaded float64 one is rounded as PyTorch's.
Tensor NAdam::loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const {
  if (name == "mu_product") return scalar_tensor(detail::host_number(value), kFloat32);
  return Optimizer::loaded_state_tensor(name, value, param);
}

void NAdam::step() {
  const StepScope profile(*this, "NAdam.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const NAdamOptions& o = options(group);
    detail::check_not_capturing(p, "NAdam");
    if (state.count("exp_avg") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      state["mu_product"] = scalar_tensor(1.0, kFloat32);
      state["exp_avg"] = detail::zeros_like_param(p);
      state["exp_avg_sq"] = detail::zeros_like_param(p);
    }
    Tensor& step = state.at("step");
    native::add_(step, 1.0);
    const double t = step.item<double>();
    const auto [beta1, beta2] = o.betas;
    const double mu = momentum_at(beta1, o.momentum_decay, t);
    const double mu_next = momentum_at(beta1, o.momentum_decay, t + 1.0);
    // PyTorch's mu_product is a float32 tensor: each product with mu_t (rounded to
    // float32) rounds to float32. The look-ahead product is PyTorch 2.x's, a double:
    // mu_product * mu_next (torch/optim/nadam.py; 1.13's counted mu_t twice).
    Tensor& mu_product = state.at("mu_product");
    const float product = mu_product.item<float>() * static_cast<float>(mu);
    const double product_next = static_cast<double>(product) * mu_next;
    native::fill_(mu_product, static_cast<double>(product));
    const NadamStepArgs args{.beta1 = beta1,
                             .beta2 = beta2,
                             .eps = o.eps,
                             .weight_decay = o.weight_decay,
                             .bias_correction2 = 1.0 - std::pow(beta2, t),
                             .grad_coef = -o.lr * (1.0 - mu) / (1.0 - static_cast<double>(product)),
                             .exp_avg_coef = -o.lr * mu_next / (1.0 - product_next),
                             .lr = o.lr,
                             .decoupled = o.decoupled_weight_decay,
                             .maximize = o.maximize};
    detail::run_fused_update(p, p.grad(), {state.at("exp_avg"), state.at("exp_avg_sq")},
                             [&](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& s) {
                               device_ops(param.device()).nadam_step(param, grad, s[0], s[1], args);
                             });
  });
}

}  // namespace ember::optim
