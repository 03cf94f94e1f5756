// Rprop::step, PyTorch's single-tensor algorithm op for op (the same roundings): the sign of
// grad * prev picks each element's factor (etaplus, etaminus or 1), the step sizes are
// scaled and clamped, a flipped element's gradient is dropped, and p -= sign(grad) * step.
#include "nn/optim/rprop.h"

#include <cmath>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/optim/capturable.h"
#include "nn/optim/state_checks.h"

namespace ember::optim {

void validate(const RpropOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  const auto [etaminus, etaplus] = o.etas;
  EMBER_CHECK(std::isfinite(etaminus) && std::isfinite(etaplus) && 0.0 < etaminus && etaminus < 1.0 && 1.0 < etaplus,
              "Invalid eta values: ", etaminus, ", ", etaplus, " (expected 0 < etaminus < 1 < etaplus)");
  const auto [low, high] = o.step_sizes;
  EMBER_CHECK(std::isfinite(low) && std::isfinite(high) && 0.0 <= low && low <= high, "Invalid step sizes: ", low, ", ",
              high, " (expected finite values with 0 <= step_size_min <= step_size_max)");
}

void Rprop::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                              const RpropOptions& /*options*/) const {
  detail::check_state_names(prefix, loaded, {"step", "prev", "step_size"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  detail::check_buffer(prefix + "prev", loaded.at("prev"), param);
  detail::check_buffer(prefix + "step_size", loaded.at("step_size"), param, /*nonnegative=*/true);
}

void Rprop::step() {
  const StepScope profile(*this, "Rprop.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const RpropOptions& o = options(group);
    detail::check_not_capturing(p, "Rprop");
    const Tensor grad = o.maximize ? native::neg(p.grad()) : p.grad();
    if (state.count("prev") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      state["prev"] = detail::zeros_like_param(p);
      Tensor step_size = detail::zeros_like_param(p);
      native::fill_(step_size, o.lr);
      state["step_size"] = step_size;
    }
    native::add_(state.at("step"), 1.0);
    const Tensor& prev = state.at("prev");
    const Tensor& step_size = state.at("step_size");
    const auto [etaminus, etaplus] = o.etas;
    // PyTorch's sign[sign > 0] = etaplus; sign[sign < 0] = etaminus; sign[sign == 0] = 1, in
    // that order (sign(NaN) is 0, so a NaN product keeps its step size).
    const Tensor sign = native::sign(native::mul(grad, prev));
    const Tensor factor = native::where(
        native::gt(sign, 0), Scalar(etaplus),
        native::where(native::lt(sign, 0), Scalar(etaminus), native::where(native::eq(sign, 0), Scalar(1.0), sign)));
    native::mul_(step_size, factor);
    native::clamp_(step_size, Scalar(o.step_sizes.first), Scalar(o.step_sizes.second));
    // PyTorch drops the gradient where sign == etaminus, which is where the product was
    // negative (etaminus < 1 < etaplus); comparing the signs keeps that true in bfloat16,
    // where a scalar comparison would widen etaminus and miss its rounded copy.
    const Tensor kept = native::where(native::lt(sign, 0), Scalar(0.0), grad);
    // PyTorch's param.addcmul_(grad.sign(), step_size, value=-1): the product is exact.
    native::sub_(p, native::mul(native::sign(kept), step_size), 1);
    native::copy_(prev, kept);
  });
}

}  // namespace ember::optim
