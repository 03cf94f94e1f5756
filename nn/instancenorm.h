// nn::InstanceNorm1d / 2d / 3d (PyTorch's modules): each (n, c) normalized over its
// positions. PyTorch's defaults: no affine weight and bias, no running statistics; with
// track_running_stats, eval mode normalizes with the running statistics (buffers
// running_mean, running_var, num_batches_tracked, which InstanceNorm never counts).
#pragma once
#include <optional>

#include "nn/norm_base.h"

namespace ember::nn {

struct InstanceNormOptions {
  double eps = 1e-5;
  // PyTorch's Optional[float]: nullopt is its momentum=None, which InstanceNorm runs as 0.0
  // (the running statistics never move), unlike BatchNorm's cumulative average.
  std::optional<double> momentum = 0.1;
  bool affine = false;
  bool track_running_stats = false;
};

class InstanceNormBase : public NormBase {
 public:
  // An input without the batch dim (one dim fewer) is normalized as a batch of one.
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  // Eval mode uses the running statistics instead of the instance's (when it tracks them).
  bool depends_on_training_flag() const override { return options.track_running_stats; }
  std::string eval_mode_effect() const override;

  const InstanceNormOptions options;  // num_batches_tracked stays 0, as PyTorch's

 protected:
  // unbatched_dim: the rank of an input without the batch dim (2 for InstanceNorm1d).
  InstanceNormBase(std::string type_name, int64_t unbatched_dim, int64_t num_features, InstanceNormOptions options);

 private:
  const int64_t unbatched_dim_;
};

// Input [N, C, L] or [C, L].
class InstanceNorm1d : public InstanceNormBase {
 public:
  explicit InstanceNorm1d(int64_t num_features, InstanceNormOptions options = {})
      : InstanceNormBase("InstanceNorm1d", 2, num_features, options) {}
};

// Input [N, C, H, W] or [C, H, W].
class InstanceNorm2d : public InstanceNormBase {
 public:
  explicit InstanceNorm2d(int64_t num_features, InstanceNormOptions options = {})
      : InstanceNormBase("InstanceNorm2d", 3, num_features, options) {}
};

// Input [N, C, D, H, W] or [C, D, H, W].
class InstanceNorm3d : public InstanceNormBase {
 public:
  explicit InstanceNorm3d(int64_t num_features, InstanceNormOptions options = {})
      : InstanceNormBase("InstanceNorm3d", 4, num_features, options) {}
};

}  // namespace ember::nn
