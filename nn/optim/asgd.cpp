// ASGD::step, PyTorch's single-tensor algorithm: p = p * (1 - lambd * eta) - eta * grad, the
// average ax moved toward p by mu (or set to p while mu is 1), then eta and mu for the next
// step from the step count, rounded to float32 as PyTorch's state tensors are.
#include "nn/optim/asgd.h"

#include <algorithm>
#include <cmath>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/optim/capturable.h"
#include "nn/optim/state_checks.h"

namespace ember::optim {

void validate(const ASGDOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  detail::check_nonnegative_option("weight_decay value", o.weight_decay);
  EMBER_CHECK(std::isfinite(o.lambd) && std::isfinite(o.alpha) && std::isfinite(o.t0),
              "Invalid ASGD option: lambd, alpha and t0 must be finite, but got lambd=", o.lambd, ", alpha=", o.alpha,
              ", t0=", o.t0);
}

void ASGD::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                             const ASGDOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"step", "eta", "mu", "ax"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  for (const char* name : {"eta", "mu"}) {
    const Tensor& v = loaded.at(name);
    EMBER_CHECK(v.numel() == 1 && v.is_floating_point(), "load_state_dict: \"", prefix, name,
                "\" must be one floating-point number, but got ", v.numel(), " elements of ",
                std::string(dtype_name(v.dtype())));
    const double x = detail::host_number(v);
    EMBER_CHECK(std::isfinite(static_cast<float>(x)) && x >= 0.0, "load_state_dict: \"", prefix, name,
                "\" must be finite and >= 0 as a float32 number, but got ", x);
    EMBER_CHECK(std::string(name) != "mu" || x <= 1.0, "load_state_dict: \"", prefix,
                "mu\" must be at most 1, but got ", x);
  }
  detail::check_buffer(prefix + "ax", loaded.at("ax"), param);
}

Tensor ASGD::loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const {
  if (name == "eta" || name == "mu") return scalar_tensor(detail::host_number(value), kFloat32);
  return Optimizer::loaded_state_tensor(name, value, param);
}

void ASGD::step() {
  const StepScope profile(*this, "ASGD.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const ASGDOptions& o = options(group);
    detail::check_not_capturing(p, "ASGD");
    if (state.count("ax") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      state["eta"] = scalar_tensor(o.lr, kFloat32);
      state["mu"] = scalar_tensor(1.0, kFloat32);
      state["ax"] = detail::zeros_like_param(p);
    }
    Tensor& step_count = state.at("step");
    native::add_(step_count, 1.0);
    const double step = step_count.item<double>();
    const double eta = state.at("eta").item<double>(), mu = state.at("mu").item<double>();
    Tensor grad = o.maximize ? native::neg(p.grad()) : p.grad();
    if (o.weight_decay != 0.0) grad = native::add(grad, p, o.weight_decay);
    native::mul_(p, 1.0 - o.lambd * eta);
    native::add_(p, grad, -eta);
    const Tensor& ax = state.at("ax");
    if (mu != 1.0) {
      native::add_(ax, native::mul(native::sub(p, ax), mu), 1);
    } else {
      native::copy_(ax, p);
    }
    const double base = 1.0 + o.lambd * o.lr * step;
    const float next_eta = static_cast<float>(o.lr / std::pow(base, o.alpha));
    EMBER_CHECK(base > 0.0 && std::isfinite(next_eta), "ASGD: the step size lr / (1 + lambd * lr * step)^alpha is ",
                next_eta, " at step ", step, " (lr=", o.lr, ", lambd=", o.lambd, ", alpha=", o.alpha,
                "): 1 + lambd * lr * step must stay above 0");
    state["eta"] = scalar_tensor(next_eta, kFloat32);
    state["mu"] = scalar_tensor(1.0 / std::max(1.0, step - o.t0), kFloat32);
  });
}

}  // namespace ember::optim
