// Adafactor::step as PyTorch's _single_tensor_adafactor, composed of tensor ops on the
// parameter's device; its option and loaded-state checks.
#include "nn/optim/adafactor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/type_info.h"
#include "nn/optim/capturable.h"
#include "nn/optim/state_checks.h"

namespace ember::optim {
namespace {

// The factors' shapes: the last dim (row_var) or the second last (col_var) reduced to 1.
Dims factor_shape(const Dims& shape, int64_t reduced_from_end) {
  Dims out = shape;
  out[out.size() - static_cast<size_t>(reduced_from_end)] = 1;
  return out;
}

double rms(const Tensor& t) { return t.norm(2).item<double>() / std::sqrt(static_cast<double>(t.numel())); }

}  // namespace

// PyTorch's comparisons exactly: NaN fails each, an infinite d (no clipping) passes.
void validate(const AdafactorOptions& o) {
  EMBER_CHECK(0.0 <= o.lr, "Learning rate should be >= 0 but is: ", o.lr);
  EMBER_CHECK(0.0 >= o.beta2_decay, "beta2_decay should be <= 0 but is: ", o.beta2_decay);
  EMBER_CHECK(!o.eps1 || 0.0 <= *o.eps1, "epsilon1 should be >= 0 but is: ", o.eps1.value_or(0.0));
  EMBER_CHECK(0.0 <= o.eps2, "epsilon2 should be >= 0 but is: ", o.eps2);
  EMBER_CHECK(1.0 <= o.d, "Clipping threshold d should be >= 1 but is: ", o.d);
  EMBER_CHECK(0.0 <= o.weight_decay, "weight_decay should be >= 0 but is: ", o.weight_decay);
}

void Adafactor::check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                                  const AdafactorOptions& /*options*/) const {
  const bool factored = param.dim() > 1;
  if (factored)
    detail::check_state_names(prefix, loaded, {"step", "row_var", "col_var"}, /*all_or_none=*/true);
  else
    detail::check_state_names(prefix, loaded, {"step", "variance"}, /*all_or_none=*/true);
  if (loaded.empty()) return;
  detail::check_step_count(prefix + "step", loaded.at("step"));
  const TensorOptions like = TensorOptions(param.dtype()).device(param.device());
  if (factored) {  // check_buffer compares with a tensor of the factor's shape
    detail::check_buffer(prefix + "row_var", loaded.at("row_var"), empty(factor_shape(param.sizes(), 1), like), true);
    detail::check_buffer(prefix + "col_var", loaded.at("col_var"), empty(factor_shape(param.sizes(), 2), like), true);
  } else {
    detail::check_buffer(prefix + "variance", loaded.at("variance"), param, /*nonnegative=*/true);
  }
}

void Adafactor::step() {
  const StepScope profile(*this, "Adafactor.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  std::vector<std::optional<double>> group_eps1(num_param_groups());
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const AdafactorOptions& o = options(group);
    detail::check_not_capturing(p, "Adafactor");
    const Tensor grad = o.maximize ? p.grad().neg() : p.grad();
    const bool factored = grad.dim() > 1;
    if (state.count("step") == 0) {
      state["step"] = scalar_tensor(0.0, kFloat64);
      const TensorOptions like = TensorOptions(grad.dtype()).device(grad.device());
      if (factored) {
        state["row_var"] = zeros(factor_shape(grad.sizes(), 1), like);
        state["col_var"] = zeros(factor_shape(grad.sizes(), 2), like);
      } else {
        state["variance"] = detail::zeros_like_param(p);
      }
    }
    // PyTorch's eps1 variable: set from the first parameter of the group when None.
    std::optional<double>& eps1_slot = group_eps1[group];
    if (!eps1_slot) eps1_slot = o.eps1 ? *o.eps1 : finfo(p.dtype()).eps;
    const double eps1 = *eps1_slot;

    Tensor& step = state.at("step");
    native::add_(step, 1.0);
    const double t = step.item<double>();
    const double one_minus_beta2_t = std::pow(t, o.beta2_decay);  // PyTorch 2.6+'s rounding
    const double rho_t = std::min(o.lr, 1.0 / std::sqrt(t));
    const double alpha = std::max(o.eps2, rms(p)) * rho_t;
    if (o.weight_decay != 0.0) p.mul_(1.0 - o.lr * o.weight_decay);

    Tensor var_estimate;
    if (factored) {
      Tensor& row_var = state.at("row_var");
      Tensor& col_var = state.at("col_var");
      row_var.lerp_(grad.norm(2, {-1}, true).square().div(static_cast<double>(grad.size(-1))), one_minus_beta2_t);
      col_var.lerp_(grad.norm(2, {-2}, true).square().div(static_cast<double>(grad.size(-2))), one_minus_beta2_t);
      var_estimate = matmul(row_var, col_var).div(row_var.mean({-2}, true).clamp_min(eps1));
    } else {
      Tensor& variance = state.at("variance");
      variance.lerp_(grad * grad, one_minus_beta2_t);
      var_estimate = variance.clone();
    }
    const Tensor update = var_estimate.clamp_min(eps1 * eps1).rsqrt().mul(grad);
    const double denom =
        std::max(1.0, update.norm(2).item<double>() / (std::sqrt(static_cast<double>(update.numel())) * o.d));
    p.add_(update, -alpha / denom);
  });
}

}  // namespace ember::optim
