// nn::InstanceNorm1d / 2d / 3d: parameters and buffers, PyTorch's input-rank check, the
// unbatched input as a batch of one, and the training flag's choice of statistics; the
// math is nn::functional::instance_norm.
#include "nn/instancenorm.h"

#include <sstream>

#include "core/factories.h"
#include "nn/functional/norm.h"

namespace ember::nn {

namespace {
Tensor if_enabled(bool on, Tensor t) { return on ? std::move(t) : Tensor(); }
}  // namespace

InstanceNormBase::InstanceNormBase(std::string type_name, int64_t unbatched_dim, int64_t c, InstanceNormOptions opts)
    : Module(std::move(type_name)),
      num_features(c),
      options(opts),
      weight(register_parameter("weight", if_enabled(opts.affine, ones({c})))),
      bias(register_parameter("bias", if_enabled(opts.affine, zeros({c})))),
      running_mean(register_buffer("running_mean", if_enabled(opts.track_running_stats, zeros({c})))),
      running_var(register_buffer("running_var", if_enabled(opts.track_running_stats, ones({c})))),
      num_batches_tracked(register_buffer("num_batches_tracked",
                                          if_enabled(opts.track_running_stats, zeros({}, kInt64)))),
      unbatched_dim_(unbatched_dim) {}

Tensor InstanceNormBase::forward(const Tensor& input) {
  EMBER_CHECK(input.dim() == unbatched_dim_ || input.dim() == unbatched_dim_ + 1, "expected ", unbatched_dim_,
              "D or ", unbatched_dim_ + 1, "D input (got ", input.dim(), "D input)");
  // Without running statistics the instance's are used in eval mode too.
  const bool use_input_stats = is_training() || !options.track_running_stats;
  const auto apply = [&](const Tensor& x) {
    return functional::instance_norm(x, running_mean, running_var, weight, bias, use_input_stats, options.momentum,
                                     options.eps);
  };
  return input.dim() == unbatched_dim_ ? apply(input.unsqueeze(0)).squeeze(0) : apply(input);
}

std::string InstanceNormBase::eval_mode_effect() const {
  return "it normalized each instance with its running statistics instead of the instance's own, and did not "
         "update them";
}

std::string InstanceNormBase::extra_repr() const {
  std::ostringstream os;
  os << num_features << ", eps=" << options.eps << ", momentum=" << options.momentum
     << ", affine=" << (options.affine ? "True" : "False")
     << ", track_running_stats=" << (options.track_running_stats ? "True" : "False");
  return os.str();
}

}  // namespace ember::nn
