// SGD::step, PyTorch's algorithm: d = g + wd*p; buf = momentum*buf + (1-dampening)*d
// (buf = d on the first step); d = nesterov ? d + momentum*buf : buf; p -= lr*d.
// One fused sgd_step kernel per parameter on its device (row-major or channels-last,
// with gradient and buffer laid out alike); the native-op formula for any other layout.
#include "nn/optim/sgd.h"

#include <cmath>

#include "core/dispatch.h"
#include "core/fused_operands.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "nn/optim/state_checks.h"
#include "core/profiler.h"

namespace ember::optim {

namespace {

// Whether the fused kernel can update p: its gradient (and momentum buffer, once there)
// laid out like p.
bool fusable(const Tensor& p, const Tensor& g, const Tensor& buf) {
  return fused::laid_out_like(p, g) && (!buf.defined() || fused::laid_out_like(p, buf));
}

// The same update from native ops (any layout).
void native_update(const SGDOptions& o, const Tensor& p, Tensor& buf) {
  Tensor d = p.grad();
  if (o.weight_decay != 0.0) d = native::add(d, p, o.weight_decay);
  if (o.momentum != 0.0) {
    if (!buf.defined()) {
      buf = native::clone(d);
    } else {
      native::mul_(buf, o.momentum);
      native::add_(buf, d, 1.0 - o.dampening);
    }
    d = o.nesterov ? native::add(d, buf, o.momentum) : buf;
  }
  native::add_(p, d, -o.lr);
}

}  // namespace

void validate(const SGDOptions& o) {
  EMBER_CHECK(std::isfinite(o.lr) && o.lr >= 0.0, "Invalid learning rate: ", o.lr, " (expected a finite value >= 0)");
  EMBER_CHECK(std::isfinite(o.momentum) && o.momentum >= 0.0, "Invalid momentum value: ", o.momentum,
              " (expected a finite value >= 0)");
  EMBER_CHECK(std::isfinite(o.dampening), "Invalid dampening value: ", o.dampening, " (expected a finite value)");
  EMBER_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0, "Invalid weight_decay value: ", o.weight_decay,
              " (expected a finite value >= 0)");
  EMBER_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
              "Nesterov momentum requires a momentum and zero dampening (got momentum ", o.momentum, ", dampening ",
              o.dampening, ")");
}

void SGD::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                            const SGDOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"momentum_buffer"}, /*all_or_none=*/false);
  for (const auto& [name, value] : loaded) detail::check_buffer(prefix + name, value, param);
}

void SGD::hyper_parameters_changed(size_t group) {
  detail::write_capturable_group(capturable_, group, options(group).lr, options(group).momentum, "SGD lr",
                                 "SGD momentum");
}

void SGD::step() {
  const profiler::StepScope profile("SGD.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const SGDOptions& o = options(group);
    const Tensor g = p.grad();
    Tensor unused;
    Tensor& buf = o.momentum != 0.0 ? state["momentum_buffer"] : unused;
    if (!fusable(p, g, buf)) {
      if (o.capturable) detail::check_capturable_fusable(false, "SGD");
      native_update(o, p, buf);
      return;
    }
    const bool first_step = o.momentum != 0.0 && !buf.defined();
    if (first_step && o.capturable) detail::check_outside_capture("SGD's momentum buffer", "starting");
    if (first_step) buf = detail::zeros_like_param(p);
    SgdStepArgs args{.lr = o.lr,
                     .momentum = o.momentum,
                     .dampening = o.dampening,
                     .weight_decay = o.weight_decay,
                     .nesterov = o.nesterov,
                     .first_step = first_step};
    if (o.capturable) {
      detail::CapturableGroup& values = detail::capturable_group(capturable_, group);
      args.device_lr = values.lr.get(o.lr, p.device(), "SGD lr");
      args.device_momentum = values.momentum.get(o.momentum, p.device(), "SGD momentum");
    }
    device_ops(p.device()).sgd_step(p, g, buf, args);
    native::mark_mutated(p);
    if (buf.defined()) native::mark_mutated(buf);
  });
}

}  // namespace ember::optim
