// Module hooks, PyTorch's nn.Module.register_forward_pre_hook / register_forward_hook /
// register_full_backward_pre_hook / register_full_backward_hook and the state-dict hooks: the
// hook types, the RemovableHandle they return, and the per-module lists (Note [Module hooks],
// Note [State-dict hooks]).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ember::nn {

class Module;
struct IncompatibleKeys;  // nn/module.h

// Ordered name -> tensor map (parameters and buffers, dotted names).
using StateDict = std::vector<std::pair<std::string, Tensor>>;

// Note [Module hooks]
// As in PyTorch, hooks run when a module is *called* (module(x), Sequential's children),
// not when forward() is called directly, in the order registered (prepend = true puts
// one first):
// - forward pre-hook (module, input) -> optional new input, before forward;
// - forward hook (module, input, output) -> optional new output, after forward;
// - full backward pre-hook (module, grad_output) -> optional new grad_output, when the
//   gradient of the module's output is known;
// - full backward hook (module, grad_input, grad_output) -> optional new grad_input, when
//   the gradient of the module's input is known (right after the module's own backward),
//   or, as PyTorch, with an undefined grad_input at grad_output's time when the input
//   does not require grad.
// The backward hooks attach to the call's output through tensor hooks, so they run only
// for calls that record (grad mode on, something requires grad); the input passes
// through an identity node first so that its gradient is the module's alone even when
// the input feeds other ops too. A module with any hook runs its plain forward, never
// the consuming one (Sequential's in-place reuse of intermediate values), so the input
// a forward hook sees is the input forward saw. Hooks hold no reference to the module.
using ForwardPreHook = std::function<std::optional<Tensor>(Module& module, const Tensor& input)>;
using ForwardHook = std::function<std::optional<Tensor>(Module& module, const Tensor& input, const Tensor& output)>;
using BackwardPreHook = std::function<std::optional<Tensor>(Module& module, const Tensor& grad_output)>;
using BackwardHook =
    std::function<std::optional<Tensor>(Module& module, const Tensor& grad_input, const Tensor& grad_output)>;

// Note [State-dict hooks]
// PyTorch's four, each run on every module of the tree at each of its paths (a shared module
// once per path), with that path's prefix ("layer1.0."):
// - state_dict pre-hook (module, prefix, keep_vars), before the module's entries;
// - state_dict post-hook (module, state, prefix), after the module's and its children's
//   entries: it may change, add or drop entries of `state` (the whole dict made so far);
// - load_state_dict pre-hook (module, state, prefix, strict), parents before children,
//   before anything is compared: it may rename, convert, add or drop entries of `state` (a
//   copy of the caller's entries under its prefix, as PyTorch 2's; entries it leaves outside
//   the prefix are dropped), as weight_norm's hook renames the keys of old checkpoints; strict
//   is always true, as PyTorch's load passes it;
// - load_state_dict post-hook (module, incompatible_keys), children before parents, after
//   the tensors are loaded: it may clear keys it accepts from the lists, and a strict load
//   fails only on the keys left. As every failed load, one failing then changes nothing: the
//   tensors and extra states loaded are set back from host copies kept while post-hooks are
//   registered (Note [Atomic state loads] in nn/module.cpp).
// PyTorch's local_metadata and error_msgs have no counterpart: a hook throws to fail the load.
// A load that fails its checks (a size mismatch, or missing keys without post-hooks) writes
// nothing, so its post-hooks do not run (PyTorch's run after its partial load). An entry a
// state_dict post-hook adds under a key already listed replaces it, as Python's dict.
// load_state_dict reads the module's own tensors directly, never through the state_dict hooks.
using StateDictPreHook = std::function<void(const Module& module, const std::string& prefix, bool keep_vars)>;
using StateDictPostHook = std::function<void(const Module& module, StateDict& state, const std::string& prefix)>;
using LoadStateDictPreHook =
    std::function<void(Module& module, StateDict& state, const std::string& prefix, bool strict)>;
using LoadStateDictPostHook = std::function<void(Module& module, IncompatibleKeys& incompatible_keys)>;

// A module's hooks, ordered by a key that registration picks (ascending = running order).
struct ModuleHooks {
  std::map<int64_t, ForwardPreHook> forward_pre;
  std::map<int64_t, ForwardHook> forward;
  std::map<int64_t, BackwardPreHook> backward_pre;
  std::map<int64_t, BackwardHook> backward;
  std::map<int64_t, StateDictPreHook> state_dict_pre;
  std::map<int64_t, StateDictPostHook> state_dict_post;
  std::map<int64_t, LoadStateDictPreHook> load_state_dict_pre;
  std::map<int64_t, LoadStateDictPostHook> load_state_dict_post;
  std::map<std::string, int64_t> tags;  // Module::tag_hook's names
  int64_t next_key = 1;  // the next appended key; prepended keys count down from -1 (0: none)
  int64_t first_key = -1;
  // Whether a call of the module runs hooks (the state-dict hooks do not count).
  bool has_call_hooks() const {
    return !forward_pre.empty() || !forward.empty() || !backward_pre.empty() || !backward.empty();
  }
};

// torch.utils.hooks.RemovableHandle: remove() unregisters the hook (again: no-op; after
// the module is gone: no-op).
class RemovableHandle {
 public:
  RemovableHandle() = default;
  void remove();
  int64_t id() const { return key_; }
  bool empty() const { return key_ == 0; }

 private:
  friend class Module;
  RemovableHandle(std::weak_ptr<ModuleHooks> hooks, int64_t key) : hooks_(std::move(hooks)), key_(key) {}
  std::weak_ptr<ModuleHooks> hooks_;
  int64_t key_ = 0;
};

namespace hook_calls {
// Runs the pre-hooks and returns the input forward should see.
Tensor run_forward_pre_hooks(ModuleHooks& hooks, Module& module, Tensor input);
// When a full backward hook needs the input's gradient (the call records): the input
// routed through an identity node, which forward then takes.
std::optional<Tensor> prepare_backward_hooks(const ModuleHooks& hooks, const Tensor& input);
// Runs the forward hooks (they see `input`, as the caller passed it after the pre-hooks)
// and attaches the backward hooks to this call's output and `hooked_input`.
Tensor finish_hooked_call(const std::shared_ptr<ModuleHooks>& hooks, Module& module, const Tensor& input,
                          const std::optional<Tensor>& hooked_input, Tensor output);
}  // namespace hook_calls

}  // namespace ember::nn
