// kl_div, gaussian_nll_loss and poisson_nll_loss of nn::functional, composed of
// differentiable ops with PyTorch 1.13's formulas, reductions and argument checks.
#include <cmath>
#include <numbers>

#include <mutex>

#include "core/autocast.h"
#include "core/logging.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/loss_more.h"
#include "nn/functional/composed.h"

namespace ember::nn::functional {

using detail::apply_reduction;

Tensor kl_div(const Tensor& input_in, const Tensor& target_in, std::string_view reduction, bool log_target) {
  EMBER_PROFILE_OP("kl_div");
  EMBER_CHECK(!is_integral(input_in.dtype(), true) && !is_integral(target_in.dtype(), true),
              "kl_div: Integral inputs not supported.");
  // on PyTorch's autocast float32 list, as poisson_nll_loss (Note [Autocast])
  const auto [input, target] = autocast::cast_inputs(autocast::CastPolicy::Float32, input_in, target_in);
  const bool batchmean = reduction == "batchmean";
  EMBER_CHECK(batchmean || reduction == "none" || reduction == "mean" || reduction == "sum", reduction,
              " is not a valid value for reduction (expected \"none\", \"mean\", \"batchmean\" or \"sum\")");
  if (reduction == "mean") {
    static std::once_flag warned;
    std::call_once(warned, [] {
      logging::warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                    "'mean' will be changed to behave the same as 'batchmean' in the next major release.");
    });
  }
  Tensor losses;
  if (log_target) {
    losses = exp(target) * (target - input);
  } else {
    // xlogy(target, target) - target * input: target * log(target), 0 where target is 0.
    // The log reads 1 there, so no 0 * -inf reaches the value or the gradient.
    losses = target * log(where(target == 0.0, 1.0, target)) - target * input;
  }
  if (!batchmean) return apply_reduction(losses, reduction_from_string(reduction));
  const Tensor total = losses.sum();
  return input.dim() == 0 ? total : total / static_cast<double>(input.size(0));
}

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var_in, bool full, double eps,
                         Reduction reduction) {
  EMBER_PROFILE_OP("gaussian_nll_loss");
  Tensor var = var_in;
  if (var.sizes() != input.sizes()) {
    const Dims& in = input.sizes();
    const Dims& v = var.sizes();
    const auto leading_equal = [](const Dims& a, const Dims& b, size_t n) {
      if (a.size() < n || b.size() < n) return false;
      for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
      return true;
    };
    const size_t n = in.size();
    if (n >= 1 && v.size() == n - 1 && leading_equal(in, v, n - 1)) {
      var = var.unsqueeze(-1);  // homoscedastic: one variance per row
    } else if (n >= 1 && v.size() == n && leading_equal(in, v, n - 1) && v[n - 1] == 1) {
      // homoscedastic, its last dim already 1
    } else {
      EMBER_FAIL("var is of incorrect size: expected ", in, ", that without its last dim, or that with a last dim of 1",
                 ", but got ", v);
    }
  }
  EMBER_CHECK(var.numel() == 0 || !(var < 0.0).any().item<bool>(), "var has negative entry/entries");
  var = detail::clamp_min_keeping_grad(var, eps);  // Note [Clamped norms] in composed.h
  // (input - target)**2 as PyTorch writes it: a pow, on the autocast float32 list
  Tensor losses = (log(var) + (input - target).pow(2) / var) * 0.5;
  if (full) losses = losses + 0.5 * std::log(2.0 * std::numbers::pi);
  return apply_reduction(losses, reduction);
}

Tensor poisson_nll_loss(const Tensor& input_in, const Tensor& target_in, bool log_input, bool full, double eps,
                        Reduction reduction) {
  EMBER_PROFILE_OP("poisson_nll_loss");
  const auto [input, target] = autocast::cast_inputs(autocast::CastPolicy::Float32, input_in, target_in);
  Tensor losses = log_input ? exp(input) - target * input : input - target * log(input + eps);
  if (full) {
    const Tensor stirling = target * log(target) - target + 0.5 * log(2.0 * std::numbers::pi * target);
    losses = losses + where(target <= 1.0, 0.0, stirling);
  }
  return apply_reduction(losses, reduction);
}

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full, double eps,
                         std::string_view reduction) {
  return gaussian_nll_loss(input, target, var, full, eps, reduction_from_string(reduction));
}
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full, double eps,
                        std::string_view reduction) {
  return poisson_nll_loss(input, target, log_input, full, eps, reduction_from_string(reduction));
}

}  // namespace ember::nn::functional
