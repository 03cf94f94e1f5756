// nn::Module: registration, recursive traversal (dotted names, each shared module or
// tensor once), modes, zero_grad, requires_grad_, to(Device), to(MemoryFormat), and repr
// (state_dict / load_state_dict and their hooks: nn/module_state.cpp).
// operator() opens a ledger scope so saved activations are attributed to layers, and
// a profiler span while recording.
#include "nn/module.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "autograd/checkpoint.h"
#include "autograd/record.h"
#include "autograd/saved_variable.h"
#include "core/demangle.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/container.h"
#include "nn/diagnostics.h"
#include "nn/module_state.h"

namespace ember::nn {

namespace {
// Module calls in flight on this thread, and whether the parent already opened a
// ledger scope named for the next call (see call_child).
thread_local int tls_call_depth = 0;
thread_local bool tls_named_by_parent = false;

struct DepthGuard {
  DepthGuard() { ++tls_call_depth; }
  ~DepthGuard() { --tls_call_depth; }
};

}  // namespace

// The outermost call is the root of named_modules ("") and opens no scope; a child
// called through call_child is already scoped by its name; any other nested call is
// scoped by its type name.
// Mode diagnostics (Note [Mode diagnostics] in nn/diagnostics.h): the top-level call
// starts a forward; a module that depends on the training flag and runs in eval mode
// with recording on leaves its note. In training that is one flag check per call.
Tensor Module::invoke(Tensor input, bool consuming) {
  const bool named = std::exchange(tls_named_by_parent, false);
  // A checkpoint's recomputation (inside backward) repeats a forward already diagnosed.
  const bool recomputing = utils::is_recomputing();
  const bool top_level = tls_call_depth == 0 && !recomputing;
  if (top_level) diagnostics::detail::begin_top_level_forward(*this, training_);
  // The top-level forward's eval note ends with it, thrown out of or not.
  struct EndTopLevel {
    bool on;
    ~EndTopLevel() {
      if (on) diagnostics::detail::end_top_level_forward();
    }
  } const end_top_level{top_level};
  std::optional<autograd::LedgerScope> scope;
  if (!named && tls_call_depth > 0) scope.emplace(type_name());
  DepthGuard depth;
  // A span named "<path> <Type>" and the path for the ops and nodes inside (Note [Profiler]).
  profiler::RecordScope span;
  std::optional<profiler::ModulePathScope> path;
  if (EMBER_UNLIKELY(profiler::is_enabled())) {
    const std::string& p = autograd::LedgerScope::current();
    path.emplace(p);
    // A path that already ends in the type name (an unnamed nested call) is not repeated.
    span.begin(profiler::Category::Module, p.empty() ? type_name() : scope ? p : p + " " + type_name(), p);
  }
  Tensor out = EMBER_UNLIKELY(hooks_ && hooks_->has_call_hooks()) ? invoke_hooked(std::move(input))
               : consuming                                        ? forward_consuming(std::move(input))
                                                                  : forward(input);
  if (!training_ && is_grad_enabled() && depends_on_training_flag() && !recomputing)
    diagnostics::detail::eval_mode_forward(*this, out);
  return out;
}

Tensor Module::operator()(const Tensor& input) { return invoke(input, false); }

int Module::call_depth() { return tls_call_depth; }

// A module with hooks runs its plain forward (Note [Module hooks] in nn/module_hooks.h).
Tensor Module::invoke_hooked(Tensor input) {
  const std::shared_ptr<ModuleHooks> hooks = hooks_;  // a hook may remove the last hook
  Tensor in;
  {
    // Pre-hooks run one call deeper than forward, so a pre-hook that calls forward itself is
    // not taken for this call's forward (Note [Calls with more arguments] in nn/framed_calls.h).
    DepthGuard pre_hooks;
    in = hook_calls::run_forward_pre_hooks(*hooks, *this, std::move(input));
  }
  const std::optional<Tensor> hooked = hook_calls::prepare_backward_hooks(*hooks, in);
  Tensor out = forward(hooked ? *hooked : in);
  return hook_calls::finish_hooked_call(hooks, *this, in, hooked, std::move(out));
}

template <typename Hook>
RemovableHandle Module::add_hook(std::map<int64_t, Hook> ModuleHooks::*list, Hook hook, bool prepend) {
  EMBER_CHECK(hook != nullptr, type_name(), ": expected a hook, got an empty function");
  if (!hooks_) hooks_ = std::make_shared<ModuleHooks>();
  const int64_t key = prepend ? hooks_->first_key-- : hooks_->next_key++;
  ((*hooks_).*list).emplace(key, std::move(hook));
  return RemovableHandle(hooks_, key);
}

void Module::tag_hook(const RemovableHandle& handle, const std::string& tag) {
  EMBER_CHECK(hooks_ && !handle.empty() && handle.hooks_.lock() == hooks_, type_name(),
              ".tag_hook: expected a handle of a hook of this module");
  hooks_->tags[tag] = handle.key_;
}

RemovableHandle Module::hook_tagged(const std::string& tag) const {
  if (!hooks_) return RemovableHandle();
  auto it = hooks_->tags.find(tag);
  return it == hooks_->tags.end() ? RemovableHandle() : RemovableHandle(hooks_, it->second);
}

std::vector<std::string> Module::hook_tags() const {
  std::vector<std::string> out;
  if (hooks_)
    for (const auto& [tag, _] : hooks_->tags) out.push_back(tag);
  return out;
}

void Module::recompute_reparametrized() {
  if (!hooks_ || hooks_->tags.empty()) return;
  const std::shared_ptr<ModuleHooks> hooks = hooks_;
  std::set<int64_t> tagged;
  for (const auto& [_, key] : hooks->tags) tagged.insert(key);
  for (const auto& [key, hook] : std::map<int64_t, ForwardPreHook>(hooks->forward_pre))
    if (tagged.count(key)) hook(*this, Tensor());
}

RemovableHandle Module::register_state_dict_pre_hook(StateDictPreHook hook) {
  return add_hook(&ModuleHooks::state_dict_pre, std::move(hook), false);
}
RemovableHandle Module::register_state_dict_post_hook(StateDictPostHook hook) {
  return add_hook(&ModuleHooks::state_dict_post, std::move(hook), false);
}
RemovableHandle Module::register_load_state_dict_pre_hook(LoadStateDictPreHook hook) {
  return add_hook(&ModuleHooks::load_state_dict_pre, std::move(hook), false);
}
RemovableHandle Module::register_load_state_dict_post_hook(LoadStateDictPostHook hook) {
  return add_hook(&ModuleHooks::load_state_dict_post, std::move(hook), false);
}

RemovableHandle Module::register_forward_pre_hook(ForwardPreHook hook, bool prepend) {
  return add_hook(&ModuleHooks::forward_pre, std::move(hook), prepend);
}
RemovableHandle Module::register_forward_hook(ForwardHook hook, bool prepend) {
  return add_hook(&ModuleHooks::forward, std::move(hook), prepend);
}
RemovableHandle Module::register_full_backward_pre_hook(BackwardPreHook hook, bool prepend) {
  return add_hook(&ModuleHooks::backward_pre, std::move(hook), prepend);
}
RemovableHandle Module::register_full_backward_hook(BackwardHook hook, bool prepend) {
  return add_hook(&ModuleHooks::backward, std::move(hook), prepend);
}

Tensor Module::call_child(const std::string& name, Module& child, const Tensor& input) {
  autograd::LedgerScope scope(name);
  tls_named_by_parent = true;
  return child(input);
}

Tensor Module::call_child_consuming(const std::string& name, Module& child, Tensor input) {
  autograd::LedgerScope scope(name);
  tls_named_by_parent = true;
  return child.invoke(std::move(input), true);
}

bool Module::reusable(const Tensor& t) {
  const bool dense = t.defined() && (t.is_contiguous() || t.is_contiguous(MemoryFormat::ChannelsLast));
  return dense && !autograd::will_record(t) && native::sole_owner(t) &&
         (!t.is_inference() || is_inference_mode_enabled());
}

bool Module::reusable_while_recording(const Tensor& t) {
  return t.defined() && t.grad_fn() != nullptr && autograd::will_record(t) && native::sole_owner(t);
}

// ---------------------------------------------------------------- registration
namespace {
using Slots = std::vector<std::pair<std::string, std::unique_ptr<Tensor>>>;
Tensor* slot_named(const Slots& slots, const std::string& name) {
  for (const auto& [n, slot] : slots)
    if (n == name) return slot.get();
  return nullptr;
}
bool has_slot(const Slots& slots, const std::string& name) { return slot_named(slots, name) != nullptr; }
}  // namespace

bool Module::has_child(const std::string& name) const {
  for (const auto& [n, _] : children_)
    if (n == name) return true;
  return false;
}

// The class's name is filled in at the first call (the dynamic type is not known in the
// constructor), under a lock: two threads may make a module's first forward at once.
const std::string& Module::type_name() const {
  static std::mutex mu;
  const std::lock_guard<std::mutex> lock(mu);
  if (type_name_.empty()) type_name_ = unqualified_type_name(typeid(*this));
  return type_name_;
}

Tensor Module::forward(const Tensor&) {
  EMBER_FAIL("Module [", type_name(), "] is missing the required \"forward\" function (override ",
             "Tensor forward(const Tensor&) to call it through operator(), a Sequential or hooks)");
}

// PyTorch's add_module / register_parameter / register_buffer name checks and messages.
static void check_attribute_name(const std::string& name, const char* kind) {
  EMBER_CHECK(!name.empty(), kind, " name can't be empty string \"\"");
  EMBER_CHECK(name.find('.') == std::string::npos, kind, " name can't contain \".\", got: ", name);
}

void Module::check_new_child(const std::string& name, const Module* module) const {
  EMBER_CHECK(module != nullptr, type_name(), ".register_module: expected a module for '", name, "', got nullptr");
  check_attribute_name(name, "module");
  EMBER_CHECK(!has_child(name), "Submodule '", name, "' already defined (replace_module replaces a child)");
  EMBER_CHECK(!has_slot(parameters_, name) && !has_slot(buffers_, name) && !has_slot(attributes_, name),
              "attribute '", name, "' already exists");
}

// A leaf that requires grad is kept as it is (a parameter shared with another module: one
// tensor, listed once, as PyTorch's); any other tensor, one computed with history too, is
// detached and requires grad as asked (PyTorch's `nn.Parameter(t)`).
// A parameter's name registered again replaces its value in the same slot, as PyTorch's
// register_parameter replaces the entry (a buffer's name likewise).
Tensor& Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_attribute_name(name, "parameter");
  Tensor* existing = slot_named(parameters_, name);
  EMBER_CHECK(existing != nullptr || (!has_slot(buffers_, name) && !has_slot(attributes_, name) && !has_child(name)),
              "attribute '", name, "' already exists");
  const bool shared = value.defined() && value.is_leaf() && value.requires_grad() && requires_grad;
  Tensor param = !value.defined() ? Tensor() : shared ? value : value.detach();
  if (param.defined() && !shared) param.requires_grad_(requires_grad);
  if (existing != nullptr) return *existing = std::move(param);
  parameters_.emplace_back(name, std::make_unique<Tensor>(std::move(param)));
  return *parameters_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor value, bool persistent) {
  check_attribute_name(name, "buffer");
  Tensor* existing = slot_named(buffers_, name);
  EMBER_CHECK(existing != nullptr || (!has_slot(parameters_, name) && !has_slot(attributes_, name) && !has_child(name)),
              "attribute '", name, "' already exists");
  // A handle of its own over the same memory (Note [Module conversions keep parameter
  // identity]): to() converts the module's handle in place, never the caller's tensor (a
  // loss's class weights passed in stay where the caller keeps them, as PyTorch's).
  if (value.defined() && !value.requires_grad()) value = value.detach();
  if (persistent)
    non_persistent_buffers_.erase(name);
  else
    non_persistent_buffers_.insert(name);
  if (existing != nullptr) return *existing = std::move(value);
  buffers_.emplace_back(name, std::make_unique<Tensor>(std::move(value)));
  return *buffers_.back().second;
}

std::unique_ptr<Tensor> Module::take_slot(Slots& list, const std::string& name, const char* kind) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->first != name) continue;
    std::unique_ptr<Tensor> slot = std::move(it->second);
    list.erase(it);
    return slot;
  }
  EMBER_FAIL(type_name(), " has no ", kind, " `", name, "`");
}

Tensor& Module::parameter_to_attribute(const std::string& name) {
  attributes_.emplace_back(name, take_slot(parameters_, name, "parameter"));
  return *attributes_.back().second;
}

Tensor& Module::attribute_to_parameter(const std::string& name) {
  std::unique_ptr<Tensor> slot = take_slot(attributes_, name, "reparametrized attribute");
  Tensor value = slot->defined() ? slot->detach() : Tensor();
  if (value.defined()) value.requires_grad_(true);
  *slot = std::move(value);
  parameters_.emplace_back(name, std::move(slot));
  return *parameters_.back().second;
}

void Module::remove_parameter(const std::string& name) {
  removed_slots_.push_back(take_slot(parameters_, name, "parameter"));
  *removed_slots_.back() = Tensor();
}

void Module::remove_buffer(const std::string& name) {
  removed_slots_.push_back(take_slot(buffers_, name, "buffer"));
  *removed_slots_.back() = Tensor();
  non_persistent_buffers_.erase(name);
}

// The slot `name` in `slots` of the module that owns a dotted target (get_parameter,
// get_buffer). Every registered name leads somewhere: "2.weight" reaches a module shared
// as "0" and "2" (children_, not the de-duplicated named_children).
Tensor& Module::slot_of_target(const std::string& target, bool parameter) {
  Module* m = this;
  size_t start = 0;
  for (size_t dot; (dot = target.find('.', start)) != std::string::npos; start = dot + 1) {
    const std::string part = target.substr(start, dot - start);
    Module* next = nullptr;
    for (const auto& [n, child] : m->children_)
      if (n == part) next = child.get();
    EMBER_CHECK(next != nullptr, m->type_name(), " has no attribute `", part, "` (looking for '", target, "')");
    m = next;
  }
  const std::string name = target.substr(start);
  Slots& slots = parameter ? m->parameters_ : m->buffers_;
  const Slots& others = parameter ? m->buffers_ : m->parameters_;
  for (auto& [n, t] : slots)
    if (n == name) return *t;
  EMBER_CHECK(!has_slot(others, name), "`", name, parameter ? "` is not an nn.Parameter" : "` is not a buffer");
  EMBER_FAIL(m->type_name(), " has no attribute `", name, "`");
}

void Module::set_submodule(const std::string& target, std::shared_ptr<Module> module, bool strict) {
  EMBER_CHECK(!target.empty(), "Cannot set the submodule without a target name!");
  EMBER_CHECK(module != nullptr, "`module` is not an nn.Module, found nullptr (setting '", target, "')");
  const size_t dot = target.rfind('.');
  const std::shared_ptr<Module> holder = dot == std::string::npos ? nullptr : get_submodule(target.substr(0, dot));
  Module& parent = holder ? *holder : *this;
  const std::string name = dot == std::string::npos ? target : target.substr(dot + 1);
  const bool exists = std::any_of(parent.children_.begin(), parent.children_.end(),
                                  [&](const auto& child) { return child.first == name; });
  if (exists) {
    parent.replace_child(name, std::move(module));
    return;
  }
  const auto named = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& entry) { return entry.first == name; });
  };
  EMBER_CHECK(!named(parent.parameters_) && !named(parent.buffers_), "`", name, "` is not an nn.Module");
  EMBER_CHECK(!strict, parent.type_name(), " has no attribute `", name, "`");
  parent.add_module(name, std::move(module));
}

Tensor& Module::get_parameter(const std::string& target) { return slot_of_target(target, true); }
Tensor& Module::get_buffer(const std::string& target) { return slot_of_target(target, false); }

// ---------------------------------------------------------------- structure
// Note [Shared modules and tensors] in nn/module.h.
using detail::prefix_of;

void Module::visit(const std::string& path, const std::shared_ptr<Module>& holder, std::set<const Module*>* memo,
                   const ModuleVisitor& fn) const {
  if (memo != nullptr && !memo->insert(this).second) return;
  fn(path, *this, holder);
  for (const auto& [name, child] : children_) child->visit(prefix_of(path) + name, child, memo, fn);
}

// As PyTorch's _named_members: the modules of named_modules (or this one alone), each one's
// defined tensors in registration order, a tensor already listed skipped.
StateDict Module::named_tensors(bool params, bool recurse, bool remove_duplicate) const {
  StateDict out;
  std::set<const TensorImpl*> seen;
  const ModuleVisitor add = [&](const std::string& path, const Module& m, const std::shared_ptr<Module>&) {
    for (const auto& [name, t] : params ? m.parameters_ : m.buffers_) {
      if (!t->defined() || (remove_duplicate && !seen.insert(t->impl_ptr().get()).second)) continue;
      out.emplace_back(prefix_of(path) + name, *t);
    }
  };
  if (!recurse) {
    add("", *this, nullptr);
    return out;
  }
  std::set<const Module*> memo;
  visit("", nullptr, remove_duplicate ? &memo : nullptr, add);
  return out;
}

StateDict Module::named_parameters(bool recurse, bool remove_duplicate) const {
  return named_tensors(true, recurse, remove_duplicate);
}

StateDict Module::named_buffers(bool recurse, bool remove_duplicate) const {
  return named_tensors(false, recurse, remove_duplicate);
}

namespace {
StateDict prefixed(StateDict entries, const std::string& prefix) {
  if (prefix.empty()) return entries;
  for (auto& [name, _] : entries) name = prefix + "." + name;
  return entries;
}
}  // namespace
StateDict Module::named_parameters(const std::string& prefix, bool recurse, bool remove_duplicate) const {
  return prefixed(named_tensors(true, recurse, remove_duplicate), prefix);
}
StateDict Module::named_buffers(const std::string& prefix, bool recurse, bool remove_duplicate) const {
  return prefixed(named_tensors(false, recurse, remove_duplicate), prefix);
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  std::set<const Module*> memo;
  for (const auto& [name, child] : children_)
    if (memo.insert(child.get()).second) out.emplace_back(name, child);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& [_, child] : named_children()) out.push_back(std::move(child));
  return out;
}

void Module::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, type_name(), ".replace_module: expected a module for '", name, "', got nullptr");
  for (size_t i = 0; i < children_.size(); ++i) {
    if (children_[i].first != name) continue;
    children_[i].second = module;
    child_replaced(i, module);
    return;
  }
  std::string names;
  for (const auto& [n, _] : children_) names += (names.empty() ? "" : ", ") + n;
  EMBER_FAIL(type_name(), ".replace_module: expected the name of a child (", names.empty() ? "it has none" : names,
             "), got '", name, "'");
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules(bool remove_duplicate,
                                                                                   const std::string& prefix) {
  // A module not owned by a shared_ptr (e.g. on the stack) is listed through a
  // non-owning pointer.
  std::shared_ptr<Module> self = weak_from_this().lock();
  if (!self) self = std::shared_ptr<Module>(std::shared_ptr<Module>(), this);
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  std::set<const Module*> memo;
  visit(prefix, nullptr, remove_duplicate ? &memo : nullptr,
        [&](const std::string& path, const Module&, const std::shared_ptr<Module>& holder) {
          out.emplace_back(path, holder ? holder : self);
        });
  return out;
}

std::shared_ptr<Module> Module::get_submodule(const std::string& target) {
  std::shared_ptr<Module> m = weak_from_this().lock();
  if (!m) m = std::shared_ptr<Module>(std::shared_ptr<Module>(), this);
  if (target.empty()) return m;
  size_t start = 0;
  while (true) {
    const size_t dot = target.find('.', start);
    const std::string part = target.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::shared_ptr<Module> next;
    for (const auto& [n, child] : m->children_)
      if (n == part) next = child;
    if (!next) {
      EMBER_CHECK(!has_slot(m->parameters_, part) && !has_slot(m->buffers_, part), "`", part, "` is not an nn.Module");
      EMBER_FAIL(m->type_name(), " has no attribute `", part, "`");
    }
    m = next;
    if (dot == std::string::npos) return m;
    start = dot + 1;
  }
}

void Module::unregister_module(const std::string& name) {
  for (size_t i = 0; i < children_.size(); ++i) {
    if (children_[i].first != name) continue;
    children_.erase(children_.begin() + static_cast<ptrdiff_t>(i));
    child_unregistered(i);
    // Sequential and ModuleList number their children by position: renumber the rest, as
    // PyTorch's `del seq[i]` (their forward and push_back go by those names).
    if (dynamic_cast<Sequential*>(this) != nullptr || dynamic_cast<ModuleList*>(this) != nullptr)
      for (size_t j = i; j < children_.size(); ++j) children_[j].first = std::to_string(j);
    return;
  }
  EMBER_FAIL("No Module with name `", name, "` is registered in ", type_name());
}

// A child's name again is an error, not PyTorch's replacement: a C++ module keeps its children
// in typed members, which would still call the old child (replace_module returns the new one
// for the member).
void Module::add_module(const std::string& name, std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "add_module: expected a module for '", name, "', got nullptr");
  register_module(name, std::move(module));
}

std::vector<std::shared_ptr<Module>> Module::modules() {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& [_, m] : named_modules()) out.push_back(std::move(m));
  return out;
}

// ---------------------------------------------------------------- modes
void Module::train(bool on) {
  training_ = on;
  for (const auto& [_, child] : children_) child->train(on);
}

void Module::set_eval_on_purpose(bool on) {
  eval_on_purpose_ = on;
  for (const auto& [_, child] : children_) child->set_eval_on_purpose(on);
}

void zero_grad_of(Tensor& parameter, bool set_to_none) {
  if (!parameter.grad().defined()) return;
  Tensor& grad = parameter.mutable_grad();
  if (set_to_none) {
    grad = Tensor();
    return;
  }
  if (grad.requires_grad()) grad = grad.detach();  // a grad with history (create_graph)
  native::zero_(grad);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) zero_grad_of(p, set_to_none);
}

Module& Module::requires_grad_(bool requires_grad) {
  for (Tensor& p : parameters()) p.requires_grad_(requires_grad);
  return *this;
}

void Module::to(Device device) {
  replace_tensors([device](const Tensor& t) { return t.defined() && t.device() != device; },
                  [device](const Tensor& t) { return t.to(device); });
}

// Note [Module conversions keep parameter identity]
// As PyTorch's module.to / .double() / .cuda() (which assign param.data), a parameter
// keeps its TensorImpl and takes the converted data (Tensor::set_data), so an optimizer
// or any handle taken before the conversion still trains the module's parameters; its
// gradient is converted alongside. Buffers keep their identity the same way, as libtorch's
// Module::to (set_data on both): a buffer handle kept as a member (mean_ =
// register_buffer(...)) follows the conversion. register_buffer keeps a handle of its own
// (a detached view of the tensor given), so the caller's tensor is never converted, as
// PyTorch's _apply replaces only the module's buffer.
void Module::replace_tensors(const std::function<bool(const Tensor&)>& picks,
                             const std::function<Tensor(const Tensor&)>& convert) {
  NoGradGuard no_grad;
  for (auto& [_, p] : parameters_) {
    if (!picks(*p)) continue;
    const Tensor grad = p->grad();
    p->set_data(convert(*p));
    if (grad.defined()) p->mutable_grad() = convert(grad);
  }
  for (auto& [_, b] : buffers_)
    if (picks(*b)) b->set_data(convert(*b));
  for (auto& [_, a] : attributes_)  // a pre-hook recomputes them; converted meanwhile
    if (picks(*a)) *a = convert(*a);
  for (const auto& [_, child] : children_) child->replace_tensors(picks, convert);
}

void Module::to(MemoryFormat format) {
  if (format == MemoryFormat::Preserve) return;  // PyTorch's t.to(memory_format=preserve_format) keeps each
  replace_tensors([format](const Tensor& t) { return t.defined() && t.dim() == 4 && !t.is_contiguous(format); },
                  [format](const Tensor& t) { return t.contiguous(format); });
}

void Module::to(DType dtype) {
  EMBER_CHECK(is_floating(dtype), "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=",
              dtype_name(dtype));
  replace_tensors([dtype](const Tensor& t) { return t.defined() && t.is_floating_point() && t.dtype() != dtype; },
                  [dtype](const Tensor& t) { return t.to(dtype); });
}

// As PyTorch's, over children(): a module shared within one parent is visited once, one
// held by two parents once per parent.
void Module::apply(const std::function<void(Module&)>& fn) {
  for (const std::shared_ptr<Module>& child : children()) child->apply(fn);
  fn(*this);
}

// ---------------------------------------------------------------- printing
std::string Module::repr(int indent) const {
  const std::string pad(static_cast<size_t>(indent) + 2, ' ');
  std::string out = type_name() + "(";
  const std::string extra = extra_repr();
  // As PyTorch's: a one-line extra_repr without children stays inline; otherwise each of
  // its lines, then each child, goes on a line of its own.
  if (children_.empty() && extra.find('\n') == std::string::npos) return out + extra + ")";
  for (size_t begin = 0, end = 0; begin < extra.size(); begin = end + 1) {
    end = std::min(extra.find('\n', begin), extra.size());
    out += "\n" + pad + extra.substr(begin, end - begin);
  }
  // ModuleList's children as PyTorch 2.x prints them: a run of equal ones as "(0-2): 3 x ...".
  const bool group = repr_groups_repeats();
  for (size_t i = 0; i < children_.size();) {
    const std::string text = children_[i].second->repr(indent + 2);
    size_t j = i + 1;
    while (group && j < children_.size() && children_[j].second->repr(indent + 2) == text) ++j;
    const std::string label = j - i > 1 ? children_[i].first + "-" + children_[j - 1].first + "): " +
                                              std::to_string(j - i) + " x "
                                        : children_[i].first + "): ";
    out += "\n" + pad + "(" + label + text;
    i = j;
  }
  return out + "\n" + std::string(static_cast<size_t>(indent), ' ') + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.repr(); }

}  // namespace ember::nn
