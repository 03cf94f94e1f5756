// SGD::step, PyTorch's algorithm: g = maximize ? -grad : grad; d = g + wd*p; buf = momentum*buf + (1-dampening)*d
// (buf = d on the first step); d = nesterov ? d + momentum*buf : buf; p -= lr*d.
// Fused sgd_step kernels, one launch for many parameters on CUDA (Note [One launch for the
// SGD step]; row-major or channels-last, with gradient and buffer laid out alike); the
// native-op formula for any other layout.
#include "nn/optim/sgd.h"

#include <cmath>
#include <vector>

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
  Tensor d = o.maximize ? native::neg(p.grad()) : p.grad();
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

// Note [One launch for the SGD step]
// A step updates its parameters in buckets, one per run of consecutive parameters of one
// group, device and dtype: one sgd_step_many call each, which on CUDA is one kernel per 32
// parameters (PyTorch's foreach step) instead of one per parameter; the small CNN's 12
// parameters take 1 launch, not 12, eagerly and in a captured step. Each parameter keeps
// its own first_step; the math and its bits are sgd_step's. Parameters the fused kernel
// cannot take (other layouts) run native_update in place, as before. What can refuse a
// parameter (its layout under capturable, a new buffer inside a capture, a capturable
// group's device) is checked while the bucket fills, and momentum buffers are made just
// before their bucket's launch: a step that throws leaves no buffer its update never used.
void SGD::step() {
  const StepScope profile(*this, "SGD.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  struct Pending {
    Tensor param, grad, buf;  // buf: the momentum buffer, undefined until its first step
    ParamState* state;        // where a first step's buffer goes
    bool first_step;
  };
  std::vector<Pending> bucket;
  size_t bucket_group = 0;
  SgdStepArgs bucket_args;
  const auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<SgdOperands> operands;
    operands.reserve(bucket.size());
    for (Pending& q : bucket) {
      if (q.first_step) (*q.state)["momentum_buffer"] = q.buf = detail::zeros_like_param(q.param);
      operands.push_back({q.param, q.grad, q.buf, q.first_step});
    }
    device_ops(operands.front().param.device()).sgd_step_many(operands, bucket_args);
    for (const SgdOperands& o : operands) {
      native::mark_mutated(o.param);
      if (o.momentum_buf.defined()) native::mark_mutated(o.momentum_buf);
    }
    bucket.clear();
  };
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const SGDOptions& o = options(group);
    const Tensor g = p.grad();
    const auto found = state.find("momentum_buffer");
    const Tensor buf = o.momentum != 0.0 && found != state.end() ? found->second : Tensor();
    if (!fusable(p, g, buf)) {
      if (o.capturable) detail::check_capturable_fusable(false, "SGD");
      Tensor unused;
      native_update(o, p, o.momentum != 0.0 ? state["momentum_buffer"] : unused);
      return;
    }
    const bool first_step = o.momentum != 0.0 && !buf.defined();
    if (first_step && o.capturable) detail::check_outside_capture("SGD's momentum buffer", "starting");
    if (!bucket.empty()) {
      const Tensor& last = bucket.back().param;
      if (group != bucket_group || p.device() != last.device() || p.dtype() != last.dtype()) flush();
    }
    if (bucket.empty()) {  // the bucket's arguments (a capturable group on a second device is refused here)
      bucket_group = group;
      bucket_args = SgdStepArgs{.lr = o.lr,
                                .momentum = o.momentum,
                                .dampening = o.dampening,
                                .weight_decay = o.weight_decay,
                                .nesterov = o.nesterov,
                                .maximize = o.maximize};
      if (o.capturable) {
        detail::CapturableGroup& values = detail::capturable_group(capturable_, group);
        bucket_args.device_lr = values.lr.get(o.lr, p.device(), "SGD lr");
        bucket_args.device_momentum = values.momentum.get(o.momentum, p.device(), "SGD momentum");
      }
    }
    bucket.push_back({p, g, buf, &state, first_step});
  });
  flush();
}

}  // namespace ember::optim
