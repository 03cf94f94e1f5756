// Batch norm's per-channel helpers for the kernels of every device: the inverse
// standard deviation and the running-statistics blend, as native ops (so they run
// on the statistics' device and never record).
#include "core/native.h"

namespace ember::native {

Tensor batch_norm_invstd(const Tensor& var, double eps) { return rdiv(sqrt(add(var, eps)), 1.0); }

void blend_running_stats(const Tensor& mean, const Tensor& biased_var, const Tensor& running_mean,
                         const Tensor& running_var, double factor, int64_t count) {
  const auto blend_into = [factor](const Tensor& running, const Tensor& batch) {
    copy_(running, add(mul(running, 1.0 - factor), mul(batch, factor)));
  };
  const int64_t c = mean.numel();
  if (running_mean.defined()) blend_into(running_mean, view(mean, {c}));
  if (running_var.defined()) {
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    blend_into(running_var, mul(view(biased_var, {c}), unbias));
  }
}

}  // namespace ember::native
