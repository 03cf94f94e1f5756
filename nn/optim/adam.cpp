// Adam/AdamW steps. Per parameter: step, exp_avg = b1*m + (1-b1)*g,
// exp_avg_sq = b2*v + (1-b2)*g^2, p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
#include "nn/optim/adam.h"

#include <cmath>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"

namespace ember::optim {

namespace {

template <typename O>
void check_adam(const O& o) {
  EMBER_CHECK(o.lr >= 0.0, "Invalid learning rate: ", o.lr);
  EMBER_CHECK(o.eps >= 0.0, "Invalid epsilon value: ", o.eps);
  EMBER_CHECK(o.betas.first >= 0.0 && o.betas.first < 1.0, "Invalid beta parameter at index 0: ", o.betas.first);
  EMBER_CHECK(o.betas.second >= 0.0 && o.betas.second < 1.0, "Invalid beta parameter at index 1: ", o.betas.second);
  EMBER_CHECK(o.weight_decay >= 0.0, "Invalid weight_decay value: ", o.weight_decay);
}

// One Adam update of p; `decoupled` selects AdamW's weight decay.
template <typename O>
void adam_update(const Tensor& p, std::map<std::string, Tensor>& state, const O& o, bool decoupled) {
  Tensor& step = state["step"];
  Tensor& m = state["exp_avg"];
  Tensor& v = state["exp_avg_sq"];
  if (!step.defined()) {
    step = scalar_tensor(0.0, kFloat64);
    m = zeros(p.sizes(), p.options());
    v = zeros(p.sizes(), p.options());
  }
  native::add_(step, 1.0);
  const double t = step.item<double>();
  const auto [beta1, beta2] = o.betas;

  Tensor g = p.grad();
  if (o.weight_decay != 0.0) {
    if (decoupled) native::mul_(p, 1.0 - o.lr * o.weight_decay);
    else g = native::add(g, p, o.weight_decay);
  }
  native::mul_(m, beta1);
  native::add_(m, g, 1.0 - beta1);
  native::mul_(v, beta2);
  native::add_(v, native::mul(g, g), 1.0 - beta2);

  const double step_size = o.lr / (1.0 - std::pow(beta1, t));
  Tensor denom = native::add(native::div(native::sqrt(v), std::sqrt(1.0 - std::pow(beta2, t))), o.eps);
  native::add_(p, native::div(m, denom), -step_size);
}

}  // namespace

void validate(const AdamOptions& o) { check_adam(o); }
void validate(const AdamWOptions& o) { check_adam(o); }

void Adam::step() {
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& s) { adam_update(p, s, options(group), false); });
}

void AdamW::step() {
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& s) { adam_update(p, s, options(group), true); });
}

}  // namespace ember::optim
