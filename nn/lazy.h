// PyTorch's lazy modules: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d,
// LazyBatchNorm1d/2d/3d and LazyInstanceNorm1d/2d/3d, whose input size comes from their first
// input (or from a checkpoint): Note [Lazy modules].
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
// first, as PyTorch's load hook does (only when every tensor it holds fits, so a failed load
// leaves it lazy, and without drawing from the generator). What needs sized parameters
// (weight_norm, spectral_norm, prune, DistributedDataParallel, SyncBatchNorm conversion)
// refuses a lazy module before its first forward, as PyTorch's. Where ember differs: the C++
// class stays the lazy one, so a dynamic_cast to Linear fails (module_as<Linear> looks
// through; update_bn, spectral_norm and SyncBatchNorm conversion use it; conv / batch norm
// fusion and tools/pytorch_saved.cpp do not recognize lazy layers); the placeholders have a
// shape ([0]) where PyTorch's raise on any use, so a write into one before the first forward
// (an init function, a tensor assigned in its place) is refused by that forward rather than
// at once, an optimizer's load_state_dict into them fails (its state has the sized shapes),
// and to(channels_last) changes nothing; the probe built at construction draws nothing
// (init::SkipInitGuard).
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
  // The regular module's (a lazy batch norm's num_batches_tracked).
  std::vector<std::string> optional_state_keys() const override {
    return (module_ ? module_ : probe_)->optional_state_keys();
  }
  // Once initialized, the regular module's reset_parameters on this module's tensors (in
  // place); before, nothing (PyTorch's lazy modules too).
  void reset_parameters() override;
  // Whether the first forward (or a load_state_dict) is still to size the parameters.
  bool has_uninitialized_params() const { return module_ == nullptr; }
  // The input size once known (in_features, in_channels, num_features), else 0.
  int64_t in_size() const { return in_; }
  // The regular module this one computes with once initialized (holding this module's
  // tensors and training flag now), else null.
  std::shared_ptr<Module> initialized_module() const;

 protected:
  // probe_in: an input size the regular module accepts (a convolution's groups), to learn
  // its parameters, buffers, repr and name ("Lazy" + its name) at construction without
  // drawing from the generator.
  LazyModule(Maker make, int64_t probe_in, InputSize input_size, int64_t spatial, std::vector<StateSize> state_sizes);
  void prepare_state_load(const std::map<std::string, Tensor>& state, const std::string& prefix) override;
  void finish_state_load(bool loaded) override;
  // The placeholder registered under `name`, or an undefined parameter registered now (a
  // LazyLinear without bias), for a subclass's references.
  Tensor& parameter_slot(const std::string& name);

 private:
  int64_t input_size_of(const Tensor& input) const;
  // Adopts `module` (built for input size `in`): its values move into the placeholders.
  void initialize(std::shared_ptr<Module> module, int64_t in);
  void share_state() const;  // module_ computes with this module's tensors and training flag
  Module& ready(const Tensor& input);  // initialized, sharing this module's tensors and mode
  void check_placeholders_untouched() const;  // no write into a placeholder is about to be lost

  Maker make_;
  InputSize input_size_;
  int64_t spatial_;
  std::vector<StateSize> state_sizes_;
  std::shared_ptr<Module> probe_;   // until initialized: the repr and the mode diagnostics
  std::shared_ptr<Module> module_;  // once initialized
  // The placeholders' slots: they stay valid when weight_norm or prune makes one an attribute.
  std::vector<std::pair<std::string, Tensor*>> parameter_slots_, buffer_slots_;
  int64_t in_ = 0;
  // A placeholder's version after a load_state_dict that left the module lazy (else 0): a
  // higher one at the first forward is a write that forward would lose.
  std::map<std::string, uint32_t> placeholder_versions_;
  // The lazy state before prepare_state_load, for a failed load's finish_state_load.
  struct BeforeLoad {
    std::shared_ptr<Module> probe;
    std::vector<Tensor> parameter_data, buffer_data;
    std::map<std::string, uint32_t> placeholder_versions;
    std::string type_name;
  };
  std::optional<BeforeLoad> before_load_;
};

// y = x W^T + b with in_features from the first input's last dim (becomes a Linear).
class LazyLinear : public LazyModule {
 public:
  explicit LazyLinear(int64_t out_features, bool bias = true);
  const int64_t out_features;
  Tensor& weight;  // [out, in] once initialized
  Tensor& bias;    // [out]; undefined without bias
};

// A convolution M (Conv1d/2d/3d, ConvTranspose1d/2d/3d) with in_channels from the first
// input's channels: a checkpoint's weight is [out, in / groups, ...], or [in, out / groups,
// ...] when Transposed.
template <typename M, typename Kernel, typename Options, int64_t Spatial, bool Transposed>
class LazyConvolution : public LazyModule {
 public:
  LazyConvolution(int64_t out_channels, Kernel kernel_size, Options options = {})
      : LazyModule([=](int64_t in) { return std::make_shared<M>(in, out_channels, kernel_size, options); },
                   options.groups, InputSize::Channels, Spatial,
                   {Transposed ? StateSize{"weight", 0, 1} : StateSize{"weight", 1, options.groups}}),
        weight(parameter_slot("weight")),
        bias(parameter_slot("bias")) {}
  Tensor& weight;
  Tensor& bias;  // undefined without bias
};

using LazyConv1d = LazyConvolution<Conv1d, int64_t, Conv1dOptions, 1, false>;
using LazyConv2d = LazyConvolution<Conv2d, Pair, Conv2dOptions, 2, false>;
using LazyConv3d = LazyConvolution<Conv3d, Triple, Conv3dOptions, 3, false>;
using LazyConvTranspose1d = LazyConvolution<ConvTranspose1d, int64_t, ConvTranspose1dOptions, 1, true>;
using LazyConvTranspose2d = LazyConvolution<ConvTranspose2d, Pair, ConvTranspose2dOptions, 2, true>;
using LazyConvTranspose3d = LazyConvolution<ConvTranspose3d, Triple, ConvTranspose3dOptions, 3, true>;

// A norm M (BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d) with num_features from the first
// input's channels. Its parameters and buffers are reached by name (get_parameter,
// get_buffer), as which exist depends on affine and track_running_stats.
template <typename M, typename Options, LazyModule::InputSize Size, int64_t Spatial>
class LazyNorm : public LazyModule {
 public:
  explicit LazyNorm(Options options = {})
      : LazyModule([=](int64_t c) { return std::make_shared<M>(c, options); }, 1, Size, Spatial,
                   {{"weight", 0, 1}, {"running_mean", 0, 1}}) {}
};

using LazyBatchNorm1d = LazyNorm<BatchNorm1d, BatchNormOptions, LazyModule::InputSize::BatchChannels, 0>;
using LazyBatchNorm2d = LazyNorm<BatchNorm2d, BatchNormOptions, LazyModule::InputSize::BatchChannels, 0>;
using LazyBatchNorm3d = LazyNorm<BatchNorm3d, BatchNormOptions, LazyModule::InputSize::BatchChannels, 0>;
// PyTorch's lazy instance norms default to affine and tracked statistics (the regular ones
// to neither): pass these options for the same module.
inline constexpr InstanceNormOptions kLazyInstanceNormDefaults{.affine = true, .track_running_stats = true};
template <typename M, int64_t Spatial>
class LazyInstanceNorm : public LazyNorm<M, InstanceNormOptions, LazyModule::InputSize::Channels, Spatial> {
 public:
  explicit LazyInstanceNorm(InstanceNormOptions options = kLazyInstanceNormDefaults)
      : LazyNorm<M, InstanceNormOptions, LazyModule::InputSize::Channels, Spatial>(options) {}
};
using LazyInstanceNorm1d = LazyInstanceNorm<InstanceNorm1d, 1>;
using LazyInstanceNorm2d = LazyInstanceNorm<InstanceNorm2d, 2>;
using LazyInstanceNorm3d = LazyInstanceNorm<InstanceNorm3d, 3>;

// `module` as a T, looking through a lazy module to the regular one it became (code that
// asks "is this a BatchNorm?" sees an initialized LazyBatchNorm2d as one); else null.
template <typename T>
T* module_as(Module& module) {
  if (auto* t = dynamic_cast<T*>(&module)) return t;
  if (auto* lazy = dynamic_cast<LazyModule*>(&module)) {
    if (std::shared_ptr<Module> inner = lazy->initialized_module()) return dynamic_cast<T*>(inner.get());
  }
  return nullptr;
}

// PyTorch's error for what needs sized parameters (weight_norm, prune, DDP, ...): `module`
// or, with recurse, any module in its tree, a lazy module before its first forward.
void check_no_uninitialized_params(Module& module, const char* what, bool recurse = false);

}  // namespace ember::nn
