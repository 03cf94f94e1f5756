// Adam/AdamW steps. Per parameter: step, exp_avg = b1*m + (1-b1)*g,
// exp_avg_sq = b2*v + (1-b2)*g^2 (amsgrad: max_exp_avg_sq = max(itself, v) replaces v below),
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), rounded as PyTorch's (Note
// [PyTorch's order of operations] in core/optim_math.h). One fused adam_step kernel per
// parameter on its device, on any layout (Note [Staged optimizer operands] in
// nn/optim/fused_update.h; a capturable step needs them laid out alike).
#include "nn/optim/adam.h"

#include <cmath>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/fused_operands.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "nn/optim/fused_update.h"
#include "nn/optim/state_checks.h"
#include "core/profiler.h"
#include "cuda/graph.h"

namespace ember::optim {

namespace {

template <typename O>
void check_adam(const O& o) {
  EMBER_CHECK(std::isfinite(o.lr) && o.lr >= 0.0, "Invalid learning rate: ", o.lr, " (expected a finite value >= 0)");
  EMBER_CHECK(std::isfinite(o.eps) && o.eps >= 0.0, "Invalid epsilon value: ", o.eps,
              " (expected a finite value >= 0)");
  EMBER_CHECK(o.betas.first >= 0.0 && o.betas.first < 1.0, "Invalid beta parameter at index 0: ", o.betas.first,
              " (expected a value in [0, 1))");
  EMBER_CHECK(o.betas.second >= 0.0 && o.betas.second < 1.0, "Invalid beta parameter at index 1: ", o.betas.second,
              " (expected a value in [0, 1))");
  EMBER_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0, "Invalid weight_decay value: ", o.weight_decay,
              " (expected a finite value >= 0)");
}

// A loaded Adam/AdamW state: step, exp_avg and exp_avg_sq together, or nothing; with
// amsgrad, max_exp_avg_sq too (kept, unused, without: PyTorch keeps it).
void check_adam_state(const std::string& prefix, const std::map<std::string, Tensor>& loaded, const Tensor& param,
                      bool amsgrad) {
  detail::check_state_names(prefix, loaded, {"step", "exp_avg", "exp_avg_sq"}, /*all_or_none=*/true,
                            {"max_exp_avg_sq"});
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  detail::check_buffer(prefix + "exp_avg", loaded.at("exp_avg"), param);
  detail::check_buffer(prefix + "exp_avg_sq", loaded.at("exp_avg_sq"), param, /*nonnegative=*/true);
  if (amsgrad) detail::check_state_present(prefix, loaded, "max_exp_avg_sq", "amsgrad=True");
  if (loaded.count("max_exp_avg_sq") != 0)
    detail::check_buffer(prefix + "max_exp_avg_sq", loaded.at("max_exp_avg_sq"), param, /*nonnegative=*/true);
}

// One Adam update of p; `decoupled` selects AdamW's weight decay. Capturable options
// keep the step count and the group's lr and beta1 on p's device (`capturable`).
template <typename O>
void adam_update(const Tensor& p, std::map<std::string, Tensor>& state, const O& o, bool decoupled,
                 std::vector<detail::CapturableGroup>& capturable, size_t group) {
  const char* name = decoupled ? "AdamW" : "Adam";
  const bool started = state.count("exp_avg") != 0;
  EMBER_CHECK(!started || !o.amsgrad || state.count("max_exp_avg_sq") != 0, name,
              ": amsgrad=True, but this parameter's state has no \"max_exp_avg_sq\" (amsgrad was turned on after "
              "its first step; PyTorch fails there too)");
  Tensor& step = state["step"];
  Tensor& m = state["exp_avg"];
  Tensor& v = state["exp_avg_sq"];
  if (!started) {
    if (o.capturable) detail::check_outside_capture("Adam's moments", "starting");
    if (!step.defined()) step = o.capturable ? Tensor() : scalar_tensor(0.0, kFloat64);
    m = detail::zeros_like_param(p);
    v = detail::zeros_like_param(p);
    if (o.amsgrad) state["max_exp_avg_sq"] = detail::zeros_like_param(p);
  }
  const Tensor max_v = o.amsgrad ? state.at("max_exp_avg_sq") : Tensor();
  const Tensor g = p.grad();
  const auto [beta1, beta2] = o.betas;
  AdamStepArgs args{.lr = o.lr,
                    .beta1 = beta1,
                    .beta2 = beta2,
                    .eps = o.eps,
                    .weight_decay = o.weight_decay,
                    .decoupled = decoupled,
                    .amsgrad = o.amsgrad,
                    .maximize = o.maximize};
  if (o.capturable) {  // the bias corrections are computed on the device
    detail::check_capturable_fusable(fused::laid_out_like(p, p) && fused::laid_out_like(p, g) &&
                                         fused::laid_out_like(p, m) && fused::laid_out_like(p, v) &&
                                         (!o.amsgrad || fused::laid_out_like(p, max_v)),
                                     name);
    native::add_(detail::device_step(step, p.device()), 1.0);
    detail::CapturableGroup& values = detail::capturable_group(capturable, group);
    args.device_lr = values.lr.get(o.lr, p.device(), "Adam lr");
    args.device_beta1 = values.momentum.get(beta1, p.device(), "Adam beta1");
    args.device_step = step.data_ptr<double>();
  } else {
    EMBER_CHECK(!p.is_cuda() || !cuda::is_current_stream_capturing(), name,
                ": a step inside a CUDA graph capture needs capturable=True (the step count and the bias "
                "corrections would be frozen at the capture's values; Note [Capturable optimizers])");
    native::add_(step, 1.0);
    const double t = step.item<double>();
    args.step_size = o.lr / (1.0 - std::pow(beta1, t));
    args.bias_correction2_sqrt = std::sqrt(1.0 - std::pow(beta2, t));
  }
  detail::run_fused_update(p, g, {m, v, max_v},
                           [&](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& s) {
                             device_ops(param.device()).adam_step(param, grad, s[0], s[1], s[2], args);
                           });
}

template <typename O>
void write_capturable(std::vector<detail::CapturableGroup>& capturable, size_t group, const O& o) {
  detail::write_capturable_group(capturable, group, o.lr, o.betas.first, "Adam lr", "Adam beta1");
}

}  // namespace

void validate(const AdamOptions& o) { check_adam(o); }
void validate(const AdamWOptions& o) { check_adam(o); }

void Adam::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                             const AdamOptions& options) const {
  check_adam_state(prefix, loaded, param, options.amsgrad);
}

void AdamW::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                              const AdamWOptions& options) const {
  check_adam_state(prefix, loaded, param, options.amsgrad);
}

void Adam::step() {
  const StepScope profile(*this, "Adam.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& s) {
    adam_update(p, s, options(group), options(group).decoupled_weight_decay, capturable_, group);
  });
}

void Adam::hyper_parameters_changed(size_t group) { write_capturable(capturable_, group, options(group)); }

void AdamW::step() {
  const StepScope profile(*this, "AdamW.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad(
      [&](size_t group, Tensor& p, ParamState& s) { adam_update(p, s, options(group), true, capturable_, group); });
}

void AdamW::hyper_parameters_changed(size_t group) { write_capturable(capturable_, group, options(group)); }

}  // namespace ember::optim
