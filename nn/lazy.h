// PyTorch's lazy modules: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d,
// LazyBatchNorm1d/2d/3d and LazyInstanceNorm1d/2d/3d, whose input size comes from their first
// input (or from a checkpoint): Note [Lazy modules].
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/conv3d.h"
#include "nn/conv_transpose.h"
#include "nn/instancenorm.h"
#include "nn/linear.h"

namespace ember::nn {

// Note [Lazy modules]
// PyTorch's LazyLinear(out_features) leaves in_features open until the first forward: its
// parameters are placeholders until then, and that call sizes and initializes them and
// turns the module into a Linear. ember's lazy module registers the regular module's
// parameters and buffers under the same names as placeholders: shape [0] (of float32, or
// of whatever dtype and device to() gave them), requiring grad, so an optimizer can be made
// before the first call, as in PyTorch (num_batches_tracked is a real 0). The first forward
// reads the input size from the input (Linear: the last dim; convolutions and norms: the
// channel dim, with PyTorch's "Expected 3D (unbatched) or 4D (batched) input" rule), builds
// the regular module with it (its checks, its initialization, its draws from the generator
// at that moment, as PyTorch's reset_parameters at that call) and moves its values into the
// placeholders with set_data, so each keeps its identity: the optimizer, hooks on the
// parameters and references such as `weight` stay valid. From then on forward is the
// regular module's, computing with this module's tensors and training flag, and the repr
// and type_name are the regular module's ("Linear(in_features=7, ...)"). load_state_dict
// into a lazy module still waiting for its input sizes it from the checkpoint's tensors
// first, as PyTorch's load hook does. What PyTorch does that ember does not: the class itself
// stays the lazy one, so a dynamic_cast to Linear fails (fusion of conv and batch norm skips
// it); the placeholders have a shape ([0]) where PyTorch's raise on access.
class LazyModule : public Module {
 public:
  // Builds the regular module for an input size (in_features, in_channels, num_features).
  using Maker = std::function<std::shared_ptr<Module>(int64_t in)>;
  // Where the input size is read: the last dim (Linear), or the channel dim of an input with
  // `spatial` dims after it and an optional batch dim before (convolutions, instance norms),
  // or dim 1 of a batched input (batch norms).
  enum class InputSize { LastDim, Channels, BatchChannels };
  // Where a checkpoint gives it: dim `dim` of tensor `name` times `factor` (a convolution's
  // weight [out, in / groups, ...]: dim 1 times groups).
  struct StateSize {
    std::string name;
    int64_t dim = 0;
    int64_t factor = 1;
  };

  Tensor forward(const Tensor& input) override;
  Tensor forward_consuming(Tensor input) override;
  std::string extra_repr() const override;
  bool depends_on_training_flag() const override;
  std::string eval_mode_effect() const override;
  // Whether the first forward (or a load_state_dict) is still to size the parameters.
  bool has_uninitialized_params() const { return module_ == nullptr; }
  // The input size once known (in_features, in_channels, num_features), else 0.
  int64_t in_size() const { return in_; }
  // The regular module this one computes with once initialized, else null.
  std::shared_ptr<Module> initialized_module() const { return module_; }

 protected:
  // probe_in: an input size the regular module accepts (a convolution's groups), to learn
  // its parameters, buffers and repr at construction without drawing from the generator.
  LazyModule(std::string type_name, Maker make, int64_t probe_in, InputSize input_size, int64_t spatial,
             std::vector<StateSize> state_sizes);
  void prepare_state_load(const std::map<std::string, Tensor>& state, const std::string& prefix) override;
  // The placeholder registered under `name`, or an undefined parameter registered now (a
  // LazyLinear without bias), for a subclass's references.
  Tensor& parameter_slot(const std::string& name);

 private:
  int64_t input_size_of(const Tensor& input) const;
  void initialize(int64_t in);
  Module& ready(const Tensor& input);  // initialized, sharing this module's tensors and mode

  Maker make_;
  InputSize input_size_;
  int64_t spatial_;
  std::vector<StateSize> state_sizes_;
  std::shared_ptr<Module> probe_;   // until initialized: the repr and the mode diagnostics
  std::shared_ptr<Module> module_;  // once initialized
  std::vector<std::string> parameter_names_, buffer_names_;  // the placeholders
  int64_t in_ = 0;
};

// y = x W^T + b with in_features from the first input's last dim (becomes a Linear).
class LazyLinear : public LazyModule {
 public:
  explicit LazyLinear(int64_t out_features, bool bias = true);
  const int64_t out_features;
  Tensor& weight;  // [out, in] once initialized
  Tensor& bias;    // [out]; undefined without bias
};

// Convolutions with in_channels from the first input (become Conv1d/2d/3d, ConvTranspose1d/2d/3d).
class LazyConv1d : public LazyModule {
 public:
  LazyConv1d(int64_t out_channels, int64_t kernel_size, Conv1dOptions options = {});
  Tensor& weight;
  Tensor& bias;
};
class LazyConv2d : public LazyModule {
 public:
  LazyConv2d(int64_t out_channels, Pair kernel_size, Conv2dOptions options = {});
  Tensor& weight;
  Tensor& bias;
};
class LazyConv3d : public LazyModule {
 public:
  LazyConv3d(int64_t out_channels, Triple kernel_size, Conv3dOptions options = {});
  Tensor& weight;
  Tensor& bias;
};
class LazyConvTranspose1d : public LazyModule {
 public:
  LazyConvTranspose1d(int64_t out_channels, int64_t kernel_size, ConvTranspose1dOptions options = {});
  Tensor& weight;
  Tensor& bias;
};
class LazyConvTranspose2d : public LazyModule {
 public:
  LazyConvTranspose2d(int64_t out_channels, Pair kernel_size, ConvTranspose2dOptions options = {});
  Tensor& weight;
  Tensor& bias;
};
class LazyConvTranspose3d : public LazyModule {
 public:
  LazyConvTranspose3d(int64_t out_channels, Triple kernel_size, ConvTranspose3dOptions options = {});
  Tensor& weight;
  Tensor& bias;
};

// Norms with num_features from the first input's channels (become BatchNorm1d/2d/3d,
// InstanceNorm1d/2d/3d). Their parameters and buffers are reached by name (get_parameter,
// get_buffer), as which exist depends on affine and track_running_stats.
class LazyBatchNorm1d : public LazyModule {
 public:
  explicit LazyBatchNorm1d(BatchNormOptions options = {});
};
class LazyBatchNorm2d : public LazyModule {
 public:
  explicit LazyBatchNorm2d(BatchNormOptions options = {});
};
class LazyBatchNorm3d : public LazyModule {
 public:
  explicit LazyBatchNorm3d(BatchNormOptions options = {});
};
class LazyInstanceNorm1d : public LazyModule {
 public:
  explicit LazyInstanceNorm1d(InstanceNormOptions options = {});
};
class LazyInstanceNorm2d : public LazyModule {
 public:
  explicit LazyInstanceNorm2d(InstanceNormOptions options = {});
};
class LazyInstanceNorm3d : public LazyModule {
 public:
  explicit LazyInstanceNorm3d(InstanceNormOptions options = {});
};

}  // namespace ember::nn
