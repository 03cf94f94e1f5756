// nn::InstanceNorm1d / 2d / 3d: parameters and buffers, PyTorch's input-rank check, the
// unbatched input as a batch of one, and the training flag's choice of statistics; the
// math is nn::functional::instance_norm.
#include "nn/instancenorm.h"

#include <mutex>

#include "core/logging.h"
#include "nn/functional/norm.h"

namespace ember::nn {

InstanceNormBase::InstanceNormBase(std::string type_name, int64_t unbatched_dim, int64_t c, InstanceNormOptions opts)
    : NormBase(std::move(type_name), c, opts.affine, opts.track_running_stats),
      options(opts),
      unbatched_dim_(unbatched_dim) {}

Tensor InstanceNormBase::forward(const Tensor& input) {
  EMBER_CHECK(input.dim() == unbatched_dim_ || input.dim() == unbatched_dim_ + 1, "expected ", unbatched_dim_,
              "D or ", unbatched_dim_ + 1, "D input (got ", input.dim(), "D input)");
  // The channels against num_features, as PyTorch 2's _InstanceNorm: an error with affine
  // (the weight would not fit), else a warning (num_features is not used).
  const int64_t feature_dim = input.dim() - unbatched_dim_;
  if (input.size(feature_dim) != num_features) {
    EMBER_CHECK(!options.affine, "expected input's size at dim=", feature_dim, " to match num_features (",
                num_features, "), but got: ", input.size(feature_dim), ".");
    static std::once_flag warned;
    std::call_once(warned, [&] {
      logging::warn("input's size at dim={} does not match num_features. You can silence this warning by not passing "
                    "in num_features, which is not used because affine=False",
                    feature_dim);
    });
  }
  // Without running statistics the instance's are used in eval mode too.
  const bool use_input_stats = is_training() || !options.track_running_stats;
  const auto apply = [&](const Tensor& x) {
    return functional::instance_norm(x, running_mean, running_var, weight, bias, use_input_stats,
                                     options.momentum.value_or(0.0), options.eps);
  };
  return input.dim() == unbatched_dim_ ? apply(input.unsqueeze(0)).squeeze(0) : apply(input);
}

std::string InstanceNormBase::eval_mode_effect() const {
  return "it normalized each instance with its running statistics instead of the instance's own, and did not "
         "update them";
}

std::string InstanceNormBase::extra_repr() const {
  return norm_repr(options.eps, options.momentum, options.affine, options.track_running_stats);
}

}  // namespace ember::nn
