// nn::BatchNorm1d / 2d / 3d: batch statistics and running-statistics updates in
// training, running statistics in eval. Buffers running_mean, running_var,
// num_batches_tracked (int64); parameters weight, bias (when affine): nn/norm_base.h.
#pragma once
#include <optional>

#include "nn/norm_base.h"

namespace ember::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;  // nullopt: cumulative moving average
  bool affine = true;
  bool track_running_stats = true;
};

class BatchNormBase : public NormBase {
 public:
  Tensor forward(const Tensor& input) override;
  // In eval mode (running statistics) normalises a reusable row-major input in place
  // (the kernels' layout; a channels-last input goes through forward).
  Tensor forward_consuming(Tensor input) override;
  std::string extra_repr() const override;
  // Eval mode uses the running statistics instead of the batch's (when it tracks them).
  bool depends_on_training_flag() const override { return options.track_running_stats; }
  std::string eval_mode_effect() const override;
  std::function<std::string()> eval_mode_effect_later() const override;  // num_batches_tracked read later

  const BatchNormOptions options;
  // PyTorch's settable `module.momentum` (swa_utils::update_bn sets nullopt for its pass):
  // what forward uses; options.momentum until set.
  std::optional<double> momentum() const { return momentum_; }
  void set_momentum(std::optional<double> momentum) { momentum_ = momentum; }

 protected:
  BatchNormBase(std::string type_name, int64_t num_features, BatchNormOptions options);
  virtual void check_input(const Tensor& input) const = 0;
  // check_input, then the channels (dim 1) against num_features, with PyTorch's phrase.
  void check_input_and_channels(const Tensor& input) const;

 private:
  std::optional<double> momentum_;
};

// Input [N, C] or [N, C, L].
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {});

 protected:
  void check_input(const Tensor& input) const override;
};

// Input [N, C, H, W].
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {});

 protected:
  void check_input(const Tensor& input) const override;
};

// Input [N, C, D, H, W].
class BatchNorm3d : public BatchNormBase {
 public:
  explicit BatchNorm3d(int64_t num_features, BatchNormOptions options = {});

 protected:
  void check_input(const Tensor& input) const override;
};

}  // namespace ember::nn
