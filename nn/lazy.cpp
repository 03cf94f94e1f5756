// The lazy modules of nn/lazy.h: placeholders sized and initialized on the first forward
// (or from a checkpoint) by building the regular module (Note [Lazy modules]).
#include "nn/lazy.h"

#include <algorithm>
#include <utility>

#include "core/factories.h"
#include "nn/init.h"

namespace ember::nn {

namespace {

// The regular module for probe_in, built without drawing (init::SkipInitGuard): constructing
// a lazy module leaves the generator alone, as PyTorch's, whatever other threads draw.
std::shared_ptr<Module> build_without_drawing(const LazyModule::Maker& make, int64_t probe_in) {
  const init::SkipInitGuard no_draws;
  return make(probe_in);
}

// A placeholder for a parameter or buffer: shape [0] of its floating dtype on its device
// (an integer buffer, num_batches_tracked, keeps its value).
Tensor placeholder_for(const Tensor& t) {
  if (!is_floating(t.dtype())) return t.clone();
  return empty({0}, TensorOptions(t.dtype()).device(t.device()));
}

}  // namespace

LazyModule::LazyModule(Maker make, int64_t probe_in, InputSize input_size, int64_t spatial,
                       std::vector<StateSize> state_sizes)
    : Module("Lazy"),
      make_(std::move(make)),
      input_size_(input_size),
      spatial_(spatial),
      state_sizes_(std::move(state_sizes)),
      probe_(build_without_drawing(make_, probe_in)) {
  set_type_name("Lazy" + probe_->type_name());
  for (const auto& [name, t] : probe_->named_parameters(false))
    parameter_slots_.emplace_back(name, &register_parameter(name, placeholder_for(t), t.requires_grad()));
  for (const auto& [name, t] : probe_->named_buffers(false))
    buffer_slots_.emplace_back(name, &register_buffer(name, placeholder_for(t)));
}

Tensor& LazyModule::parameter_slot(const std::string& name) {
  for (const auto& [registered, slot] : parameter_slots_)
    if (registered == name) return *slot;
  return register_parameter(name, Tensor());
}

int64_t LazyModule::input_size_of(const Tensor& input) const {
  switch (input_size_) {
    case InputSize::LastDim:
      EMBER_CHECK(input.dim() >= 1, type_name(), ": expected an input with at least 1 dim, but got a 0-dim tensor");
      return input.size(-1);
    case InputSize::BatchChannels:
      EMBER_CHECK(input.dim() >= 2, type_name(),
                  ": expected an input of at least 2 dims [N, C, ...], but got input of size: ", input.sizes());
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

void LazyModule::initialize(std::shared_ptr<Module> module, int64_t in) {
  for (const auto& [name, slot] : parameter_slots_) {
    const Tensor& made = module->get_parameter(name);
    slot->set_data(made.detach().to(slot->device()).to(slot->dtype()));
  }
  for (const auto& [name, slot] : buffer_slots_) {
    const Tensor& made = module->get_buffer(name);
    slot->set_data(is_floating(made.dtype()) ? made.to(slot->device()).to(slot->dtype()) : made.to(slot->device()));
  }
  module_ = std::move(module);
  probe_.reset();
  in_ = in;
  set_type_name(module_->type_name());
}

// The regular module computes with this module's tensors (whatever to(), a
// reparametrization or a user put in the slots since) and training flag.
void LazyModule::share_state() const {
  for (const auto& [name, slot] : parameter_slots_) module_->get_parameter(name) = *slot;
  for (const auto& [name, slot] : buffer_slots_) module_->get_buffer(name) = *slot;
  if (module_->is_training() != is_training()) module_->train(is_training());
}

void LazyModule::reset_parameters() {
  if (!module_) return;
  share_state();
  module_->reset_parameters();
}

// PyTorch raises at any use of an uninitialized parameter; ember's placeholders are [0]
// tensors, so a write into one (an init function, fill_) or a tensor put in its place
// before the first forward is caught here, before the regular module's values would
// silently replace it.
void LazyModule::check_placeholders_untouched() const {
  const auto check = [this](const char* kind, const std::string& name, const Tensor& t) {
    if (!t.defined() || !is_floating(t.dtype())) return;  // an absent bias; num_batches_tracked
    const auto baseline = placeholder_versions_.find(name);
    const bool written =
        !t.is_inference() && t.version() > (baseline == placeholder_versions_.end() ? 0u : baseline->second);
    EMBER_CHECK(t.numel() == 0 && !written, type_name(), ": its ", kind, " '", name,
                "' was written or replaced before the first forward, while uninitialized, and the first forward "
                "would overwrite it. Attempted to use an uninitialized parameter: call forward with a dummy batch "
                "to initialize the parameters before writing into them");
  };
  for (const auto& [name, slot] : parameter_slots_) check("parameter", name, *slot);
  for (const auto& [name, slot] : buffer_slots_) check("buffer", name, *slot);
}

Module& LazyModule::ready(const Tensor& input) {
  if (!module_) {
    check_placeholders_untouched();
    const int64_t in = input_size_of(input);
    initialize(make_(in), in);  // its checks and its initialization, drawn now
  }
  share_state();
  return *module_;
}

std::shared_ptr<Module> LazyModule::initialized_module() const {
  if (module_) share_state();
  return module_;
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

// Sized by the checkpoint only when every tensor it holds for this module has the shape the
// regular module of that size has (a lazy module's own [0] placeholders size nothing), so a
// failed load leaves the module lazy, and the generator does not move (the load overwrites
// the values; any it does not hold keep an initialization not drawn from the generator).
void LazyModule::prepare_state_load(const std::map<std::string, Tensor>& state, const std::string& prefix) {
  if (module_) return;
  if (!before_load_) {  // the state before the first of this load's calls (a shared module is prepared at each path)
    BeforeLoad before{probe_, {}, {}, placeholder_versions_, type_name()};
    for (const auto& [name, slot] : parameter_slots_)
      before.parameter_data.push_back(slot->defined() ? slot->detach() : Tensor());
    for (const auto& [name, slot] : buffer_slots_)
      before.buffer_data.push_back(slot->defined() ? slot->detach() : Tensor());
    before_load_ = std::move(before);
  }
  // a load that leaves it lazy copies a [0] tensor into each placeholder it holds: one
  // version more for those, not a write to refuse at the first forward
  for (const auto* slots : {&parameter_slots_, &buffer_slots_}) {
    for (const auto& [name, slot] : *slots) {
      if (slot->defined() && !slot->is_inference() && state.count(prefix + name))
        placeholder_versions_[name] = slot->version() + 1;
    }
  }
  for (const StateSize& rule : state_sizes_) {
    const auto it = state.find(prefix + rule.name);
    if (it == state.end() || it->second.dim() <= rule.dim || it->second.numel() == 0) continue;
    const int64_t in = it->second.size(rule.dim) * rule.factor;
    std::shared_ptr<Module> module;
    try {
      module = build_without_drawing(make_, in);
    } catch (const Error&) {
      return;  // no module of that size: load_state_dict reports the mismatch
    }
    for (const auto& [name, t] : module->state_dict()) {
      const auto given = state.find(prefix + name);
      if (given != state.end() && given->second.sizes() != t.sizes()) return;
    }
    initialize(std::move(module), in);
    return;
  }
}

// A failed load leaves the module lazy: its placeholders, probe and name as they were.
void LazyModule::finish_state_load(bool loaded) {
  if (!before_load_) return;  // prepared at another path of a shared module, or already sized
  BeforeLoad before = std::move(*before_load_);
  before_load_.reset();
  if (loaded) return;
  size_t i = 0;
  for (const auto& [name, slot] : parameter_slots_) {
    const Tensor& data = before.parameter_data[i++];
    if (data.defined()) slot->set_data(data);
  }
  i = 0;
  for (const auto& [name, slot] : buffer_slots_) {
    const Tensor& data = before.buffer_data[i++];
    if (data.defined()) slot->set_data(data);
  }
  placeholder_versions_ = std::move(before.placeholder_versions);
  if (module_) {
    module_.reset();
    probe_ = std::move(before.probe);
    in_ = 0;
    set_type_name(std::move(before.type_name));
  }
}

void check_no_uninitialized_params(Module& module, const char* what, bool recurse) {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> modules;
  if (recurse) {
    modules = module.named_modules();
  } else {
    modules.emplace_back("", std::shared_ptr<Module>(std::shared_ptr<Module>(), &module));
  }
  for (const auto& [path, m] : modules) {
    const auto* lazy = dynamic_cast<const LazyModule*>(m.get());
    const std::string where = path.empty() ? m->type_name() : "'" + path + "' (" + m->type_name() + ")";
    EMBER_CHECK(lazy == nullptr || !lazy->has_uninitialized_params(), what, ": ", where,
                " has uninitialized parameters; run a forward pass (a dummy batch) first to size them");
  }
}

LazyLinear::LazyLinear(int64_t out, bool with_bias)
    : LazyModule([=](int64_t in) { return std::make_shared<Linear>(in, out, with_bias); }, 1, InputSize::LastDim, 0,
                 {{"weight", 1, 1}}),
      out_features(out),
      weight(parameter_slot("weight")),
      bias(parameter_slot("bias")) {}

}  // namespace ember::nn
