// GradScaler's stages, device-side inf checks and scale update (Note [Loss scaling] in
// nn/optim/grad_scaler.h).
#include "nn/optim/grad_scaler.h"

#include <cmath>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/diagnostics.h"
#include "nn/optim/scheduler_state.h"

namespace ember::amp {
namespace {

constexpr const char* kWho = "GradScaler::load_state_dict";

void check_growth_factor(double factor) {
  EMBER_CHECK(factor > 1.0 && std::isfinite(factor), "The growth factor must be > 1.0. (got ", factor, ")");
}
void check_backoff_factor(double factor) {
  EMBER_CHECK(factor < 1.0 && factor > 0.0, "The backoff factor must be < 1.0. (and > 0; got ", factor, ")");
}
void check_growth_interval(int64_t interval) {
  EMBER_CHECK(interval > 0, "GradScaler: expected a positive growth_interval, but got ", interval);
}
void check_scale(double scale, const char* what) {
  EMBER_CHECK(std::isfinite(scale) && scale > 0.0, "GradScaler: expected a finite positive ", what, ", but got ",
              scale);
}

// The flag of `device` in `flags` (a float32 0-dim zero made on first use).
Tensor& flag_on(std::vector<Tensor>& flags, Device device) {
  for (Tensor& f : flags)
    if (f.device() == device) return f;
  flags.push_back(zeros({}, TensorOptions(kFloat32).device(device)));
  return flags.back();
}

}  // namespace

GradScaler::GradScaler(GradScalerOptions options) : options_(options) {
  if (!options_.enabled) return;
  check_scale(options_.init_scale, "init_scale");
  check_growth_factor(options_.growth_factor);
  check_backoff_factor(options_.backoff_factor);
  check_growth_interval(options_.growth_interval);
}

Tensor GradScaler::scale(const Tensor& outputs) {
  if (!options_.enabled) return outputs;
  EMBER_CHECK(outputs.defined(), "GradScaler::scale: expected a defined tensor");
  if (!scale_.defined()) {
    scale_ = full({}, options_.init_scale, TensorOptions(kFloat32).device(outputs.device()));
    growth_tracker_ = full({}, loaded_tracker_, TensorOptions(kInt64).device(outputs.device()));
  }
  // A 16-bit output is scaled in float32 (PyTorch's [1]-shaped float32 scale promotes it):
  // a float16 loss times 2^16 would overflow past 65504.
  const Tensor wide = outputs.to(compute_dtype(outputs.dtype()));
  return wide * scale_.to(outputs.device());
}

std::vector<Tensor> GradScaler::scale(const std::vector<Tensor>& outputs) {
  std::vector<Tensor> out;
  for (const Tensor& t : outputs) out.push_back(scale(t));
  return out;
}

void GradScaler::check_started(const char* what) const {
  EMBER_CHECK(scale_.defined(), "Attempted ", what,
              " but _scale is None.  This may indicate your script did not use scaler.scale(loss or outputs) "
              "earlier in the iteration.");
}

void GradScaler::unscale_(optim::Optimizer& optimizer) {
  if (!options_.enabled) return;
  check_started("unscale_");
  OptimizerState& state = per_optimizer_[&optimizer];
  EMBER_CHECK(state.stage != Stage::Unscaled,
              "unscale_() has already been called on this optimizer since the last update().");
  EMBER_CHECK(state.stage != Stage::Stepped, "unscale_() is being called after step().");
  // PyTorch's refusal, before any gradient changes: a float16 gradient cannot hold the
  // scaled values' range and 1/S (below 2^-24 it is 0) at once; keep the parameters float32.
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g)
    for (const Tensor& p : optimizer.params(g))
      EMBER_CHECK(!p.grad().defined() || p.grad().dtype() != kFloat16, "Attempting to unscale FP16 gradients.");
  const NoGradGuard no_grad;
  const Tensor inv_scale = scale_.to(kFloat64).reciprocal().to(kFloat32);
  std::vector<Tensor> flags;
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g) {
    // Unscaling rewrites the gradients in place; the backward's marks stay (Note [Mode diagnostics]).
    const diagnostics::detail::GradRewrite rewrite(optimizer.params(g));
    for (const Tensor& p : optimizer.params(g)) {
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      // An inf or NaN anywhere in the gradient raises its device's flag; then unscale (a
      // bfloat16 gradient by the float32 1/S, rounded once, as PyTorch's kernel does).
      flag_on(flags, grad.device()).add_((~grad.isfinite()).any().to(kFloat32));
      const Tensor inv = inv_scale.to(grad.device());
      if (grad.dtype() == kBFloat16) grad.copy_(grad.to(kFloat32).mul(inv));
      else grad.mul_(inv.to(grad.dtype()));
    }
    rewrite.done();
  }
  state.found_inf = std::move(flags);
  state.stage = Stage::Unscaled;
}

bool GradScaler::step(optim::Optimizer& optimizer) {
  if (!options_.enabled) {
    optimizer.step();
    return true;
  }
  check_started("step");
  OptimizerState& state = per_optimizer_[&optimizer];
  EMBER_CHECK(state.stage != Stage::Stepped, "step() has already been called since the last update().");
  if (state.stage == Stage::Ready) unscale_(optimizer);
  EMBER_CHECK(!state.found_inf.empty(), "No inf checks were recorded for this optimizer.");
  double found = 0;
  for (const Tensor& flag : state.found_inf) found += flag.item<double>();  // the host waits here
  const bool finite = found == 0;
  if (finite) optimizer.step();
  state.stage = Stage::Stepped;
  return finite;
}

void GradScaler::update(std::optional<double> new_scale) {
  if (!options_.enabled) return;
  check_started("update");
  const NoGradGuard no_grad;
  if (new_scale) {
    check_scale(*new_scale, "new_scale");
    scale_.fill_(*new_scale);
  } else {
    Tensor found;
    for (const auto& [_, state] : per_optimizer_)
      for (const Tensor& flag : state.found_inf) {
        const Tensor here = flag.to(scale_.device());
        found = found.defined() ? found + here : here;
      }
    EMBER_CHECK(found.defined(), "No inf checks were recorded prior to update.");
    // PyTorch's _amp_update_scale_, as device ops: nothing is read back.
    const Tensor inf = found > 0;
    const Tensor counted = where(inf, Scalar(int64_t{0}), growth_tracker_ + 1);
    const Tensor grow = ~inf & (counted == options_.growth_interval);
    // The float32 scale times the double factor, rounded once to float32 (PyTorch's kernel).
    const Tensor wide = scale_.to(kFloat64);
    const Tensor grown = (wide * options_.growth_factor).to(kFloat32);
    const Tensor backed_off = (wide * options_.backoff_factor).to(kFloat32);
    const Tensor next = where(inf, backed_off, where(grow & grown.isfinite(), grown, scale_));
    scale_.copy_(next);
    growth_tracker_.copy_(where(grow, Scalar(int64_t{0}), counted));
  }
  per_optimizer_.clear();
}

double GradScaler::get_scale() const {
  if (!options_.enabled) return 1.0;
  return scale_.defined() ? scale_.item<double>() : options_.init_scale;
}

void GradScaler::set_growth_factor(double factor) {
  check_growth_factor(factor);
  options_.growth_factor = factor;
}

void GradScaler::set_backoff_factor(double factor) {
  check_backoff_factor(factor);
  options_.backoff_factor = factor;
}

void GradScaler::set_growth_interval(int64_t interval) {
  check_growth_interval(interval);
  options_.growth_interval = interval;
}

optim::StateDict GradScaler::state_dict() const {
  if (!options_.enabled) return {};
  using optim::detail::state_scalar;
  const int64_t tracker = growth_tracker_.defined() ? growth_tracker_.item<int64_t>() : loaded_tracker_;
  return {{"scale", state_scalar(get_scale())},
          {"growth_factor", state_scalar(options_.growth_factor)},
          {"backoff_factor", state_scalar(options_.backoff_factor)},
          {"growth_interval", state_scalar(options_.growth_interval)},
          {"_growth_tracker", state_scalar(tracker)}};
}

void GradScaler::load_state_dict(const optim::StateDict& state) {
  if (!options_.enabled) return;
  EMBER_CHECK(!state.empty(),
              "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.");
  std::optional<double> scale, growth, backoff;
  std::optional<int64_t> interval, tracker;
  for (const auto& [key, value] : state) {
    using optim::detail::read_double;
    using optim::detail::read_int;
    if (key == "scale") scale = read_double(value, kWho, key);
    else if (key == "growth_factor") growth = read_double(value, kWho, key);
    else if (key == "backoff_factor") backoff = read_double(value, kWho, key);
    else if (key == "growth_interval") interval = read_int(value, kWho, key);
    else if (key == "_growth_tracker") tracker = read_int(value, kWho, key);
    else EMBER_FAIL(kWho, ": unexpected key \"", key, "\"");
  }
  EMBER_CHECK(scale && growth && backoff && interval && tracker, kWho,
              ": expected the keys scale, growth_factor, backoff_factor, growth_interval and _growth_tracker");
  check_scale(*scale, "scale");
  check_growth_factor(*growth);
  check_backoff_factor(*backoff);
  check_growth_interval(*interval);
  EMBER_CHECK(*tracker >= 0 && *tracker < *interval, kWho, ": expected a _growth_tracker from 0 to growth_interval - 1 (",
              *interval - 1, "), but got ", *tracker);
  options_.init_scale = *scale;
  options_.growth_factor = *growth;
  options_.backoff_factor = *backoff;
  options_.growth_interval = *interval;
  loaded_tracker_ = *tracker;
  if (scale_.defined()) {
    scale_.fill_(*scale);
    growth_tracker_.fill_(*tracker);
  }
}

}  // namespace ember::amp
