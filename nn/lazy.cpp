// The lazy modules of nn/lazy.h: placeholders sized and initialized on the first forward
// (or from a checkpoint) by building the regular module (Note [Lazy modules]).
#include "nn/lazy.h"

#include <algorithm>
#include <utility>

#include "core/factories.h"
#include "core/rng_state.h"

namespace ember::nn {

namespace {

// The regular module for probe_in, built without moving the generator: constructing a lazy
// module draws nothing, as PyTorch's.
std::shared_ptr<Module> build_without_drawing(const LazyModule::Maker& make, int64_t probe_in) {
  const Tensor state = get_rng_state();
  std::shared_ptr<Module> module = make(probe_in);
  set_rng_state(state);
  return module;
}

// A placeholder for a parameter or buffer: shape [0] of its floating dtype on its device
// (an integer buffer, num_batches_tracked, keeps its value).
Tensor placeholder_for(const Tensor& t) {
  if (!is_floating(t.dtype())) return t.clone();
  return empty({0}, TensorOptions(t.dtype()).device(t.device()));
}

}  // namespace

LazyModule::LazyModule(std::string type_name, Maker make, int64_t probe_in, InputSize input_size, int64_t spatial,
                       std::vector<StateSize> state_sizes)
    : Module(std::move(type_name)),
      make_(std::move(make)),
      input_size_(input_size),
      spatial_(spatial),
      state_sizes_(std::move(state_sizes)),
      probe_(build_without_drawing(make_, probe_in)) {
  for (const auto& [name, t] : probe_->named_parameters(false)) {
    register_parameter(name, placeholder_for(t), t.requires_grad());
    parameter_names_.push_back(name);
  }
  for (const auto& [name, t] : probe_->named_buffers(false)) {
    register_buffer(name, placeholder_for(t));
    buffer_names_.push_back(name);
  }
}

Tensor& LazyModule::parameter_slot(const std::string& name) {
  for (const auto& registered : parameter_names_)
    if (registered == name) return get_parameter(name);
  return register_parameter(name, Tensor());
}

int64_t LazyModule::input_size_of(const Tensor& input) const {
  switch (input_size_) {
    case InputSize::LastDim:
      EMBER_CHECK(input.dim() >= 1, type_name(), ": expected an input with at least 1 dim, but got a 0-dim tensor");
      return input.size(-1);
    case InputSize::BatchChannels:
      EMBER_CHECK(input.dim() >= 2, type_name(), ": expected an input of at least 2 dims [N, C, ...], but got input of size: ",
                  input.sizes());
      return input.size(1);
    case InputSize::Channels:
      break;
  }
  // PyTorch's _LazyConvXdMixin._get_in_channels: [C, spatial...] or [N, C, spatial...].
  EMBER_CHECK(input.dim() == spatial_ + 1 || input.dim() == spatial_ + 2, "Expected ", spatial_ + 1,
              "D (unbatched) or ", spatial_ + 2, "D (batched) input to ", type_name(), ", but got input of size: ",
              input.sizes());
  return input.dim() == spatial_ + 2 ? input.size(1) : input.size(0);
}

void LazyModule::initialize(int64_t in) {
  std::shared_ptr<Module> module = make_(in);  // its checks and its initialization, drawn now
  for (const auto& name : parameter_names_) {
    Tensor& mine = get_parameter(name);
    const Tensor& made = module->get_parameter(name);
    mine.set_data(made.detach().to(mine.device()).to(mine.dtype()));
  }
  for (const auto& name : buffer_names_) {
    Tensor& mine = get_buffer(name);
    const Tensor& made = module->get_buffer(name);
    mine.set_data(is_floating(made.dtype()) ? made.to(mine.device()).to(mine.dtype()) : made.to(mine.device()));
  }
  module_ = std::move(module);
  probe_.reset();
  in_ = in;
  set_type_name(module_->type_name());
}

Module& LazyModule::ready(const Tensor& input) {
  if (!module_) initialize(input_size_of(input));
  // The regular module computes with this module's tensors (whatever to() or a user put in
  // the slots since) and training flag.
  for (const auto& name : parameter_names_) module_->get_parameter(name) = get_parameter(name);
  for (const auto& name : buffer_names_) module_->get_buffer(name) = get_buffer(name);
  if (module_->is_training() != is_training()) module_->train(is_training());
  return *module_;
}

Tensor LazyModule::forward(const Tensor& input) { return ready(input).forward(input); }

Tensor LazyModule::forward_consuming(Tensor input) {
  Module& module = ready(input);
  return module.forward_consuming(std::move(input));
}

std::string LazyModule::extra_repr() const {
  if (module_) return module_->extra_repr();
  // The regular module's with 0 for the input size, as PyTorch prints a lazy module:
  // "in_features=0, out_features=10, bias=True", "0, 8, kernel_size=(3, 3), ...".
  const std::string probe = probe_->extra_repr();
  const size_t first = probe.find_first_of("0123456789");
  if (first == std::string::npos) return probe;
  return probe.substr(0, first) + "0" + probe.substr(std::min(probe.find(',', first), probe.size()));
}

bool LazyModule::depends_on_training_flag() const {
  return module_ ? module_->depends_on_training_flag() : probe_->depends_on_training_flag();
}

std::string LazyModule::eval_mode_effect() const {
  return module_ ? module_->eval_mode_effect() : probe_->eval_mode_effect();
}

void LazyModule::prepare_state_load(const std::map<std::string, Tensor>& state, const std::string& prefix) {
  if (module_) return;
  for (const StateSize& rule : state_sizes_) {
    const auto it = state.find(prefix + rule.name);
    if (it == state.end() || it->second.dim() <= rule.dim) continue;
    initialize(it->second.size(rule.dim) * rule.factor);
    return;
  }
}

// ---------------------------------------------------------------- the modules

namespace {
using InputSize = LazyModule::InputSize;
using StateSize = LazyModule::StateSize;

// A convolution's weight is [out, in / groups, ...]; a transposed one's [in, out / groups, ...].
std::vector<StateSize> conv_sizes(int64_t groups) { return {{"weight", 1, groups}}; }
std::vector<StateSize> transposed_sizes() { return {{"weight", 0, 1}}; }
std::vector<StateSize> norm_sizes() { return {{"weight", 0, 1}, {"running_mean", 0, 1}}; }
}  // namespace

LazyLinear::LazyLinear(int64_t out, bool with_bias)
    : LazyModule(
          "LazyLinear", [=](int64_t in) { return std::make_shared<Linear>(in, out, with_bias); }, 1,
          InputSize::LastDim, 0, {{"weight", 1, 1}}),
      out_features(out),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

LazyConv1d::LazyConv1d(int64_t out, int64_t k, Conv1dOptions o)
    : LazyModule(
          "LazyConv1d", [=](int64_t in) { return std::make_shared<Conv1d>(in, out, k, o); }, o.groups,
          InputSize::Channels, 1, conv_sizes(o.groups)),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

LazyConv2d::LazyConv2d(int64_t out, Pair k, Conv2dOptions o)
    : LazyModule(
          "LazyConv2d", [=](int64_t in) { return std::make_shared<Conv2d>(in, out, k, o); }, o.groups,
          InputSize::Channels, 2, conv_sizes(o.groups)),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

LazyConv3d::LazyConv3d(int64_t out, Triple k, Conv3dOptions o)
    : LazyModule(
          "LazyConv3d", [=](int64_t in) { return std::make_shared<Conv3d>(in, out, k, o); }, o.groups,
          InputSize::Channels, 3, conv_sizes(o.groups)),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

LazyConvTranspose1d::LazyConvTranspose1d(int64_t out, int64_t k, ConvTranspose1dOptions o)
    : LazyModule(
          "LazyConvTranspose1d", [=](int64_t in) { return std::make_shared<ConvTranspose1d>(in, out, k, o); },
          o.groups, InputSize::Channels, 1, transposed_sizes()),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

LazyConvTranspose2d::LazyConvTranspose2d(int64_t out, Pair k, ConvTranspose2dOptions o)
    : LazyModule(
          "LazyConvTranspose2d", [=](int64_t in) { return std::make_shared<ConvTranspose2d>(in, out, k, o); },
          o.groups, InputSize::Channels, 2, transposed_sizes()),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

LazyConvTranspose3d::LazyConvTranspose3d(int64_t out, Triple k, ConvTranspose3dOptions o)
    : LazyModule(
          "LazyConvTranspose3d", [=](int64_t in) { return std::make_shared<ConvTranspose3d>(in, out, k, o); },
          o.groups, InputSize::Channels, 3, transposed_sizes()),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

LazyBatchNorm1d::LazyBatchNorm1d(BatchNormOptions o)
    : LazyModule(
          "LazyBatchNorm1d", [=](int64_t c) { return std::make_shared<BatchNorm1d>(c, o); }, 1,
          InputSize::BatchChannels, 0, norm_sizes()) {}

LazyBatchNorm2d::LazyBatchNorm2d(BatchNormOptions o)
    : LazyModule(
          "LazyBatchNorm2d", [=](int64_t c) { return std::make_shared<BatchNorm2d>(c, o); }, 1,
          InputSize::BatchChannels, 0, norm_sizes()) {}

LazyBatchNorm3d::LazyBatchNorm3d(BatchNormOptions o)
    : LazyModule(
          "LazyBatchNorm3d", [=](int64_t c) { return std::make_shared<BatchNorm3d>(c, o); }, 1,
          InputSize::BatchChannels, 0, norm_sizes()) {}

LazyInstanceNorm1d::LazyInstanceNorm1d(InstanceNormOptions o)
    : LazyModule(
          "LazyInstanceNorm1d", [=](int64_t c) { return std::make_shared<InstanceNorm1d>(c, o); }, 1,
          InputSize::Channels, 1, norm_sizes()) {}

LazyInstanceNorm2d::LazyInstanceNorm2d(InstanceNormOptions o)
    : LazyModule(
          "LazyInstanceNorm2d", [=](int64_t c) { return std::make_shared<InstanceNorm2d>(c, o); }, 1,
          InputSize::Channels, 2, norm_sizes()) {}

LazyInstanceNorm3d::LazyInstanceNorm3d(InstanceNormOptions o)
    : LazyModule(
          "LazyInstanceNorm3d", [=](int64_t c) { return std::make_shared<InstanceNorm3d>(c, o); }, 1,
          InputSize::Channels, 3, norm_sizes()) {}

}  // namespace ember::nn
