// Module hooks, PyTorch's nn.Module.register_forward_pre_hook / register_forward_hook /
// register_full_backward_pre_hook / register_full_backward_hook: the hook types, the
// RemovableHandle they return, and the per-module lists (Note [Module hooks]).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/tensor.h"

namespace ember::nn {

class Module;

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

// A module's hooks, ordered by a key that registration picks (ascending = running order).
struct ModuleHooks {
  std::map<int64_t, ForwardPreHook> forward_pre;
  std::map<int64_t, ForwardHook> forward;
  std::map<int64_t, BackwardPreHook> backward_pre;
  std::map<int64_t, BackwardHook> backward;
  std::map<std::string, int64_t> tags;  // Module::tag_hook's names
  int64_t next_key = 1;  // the next appended key; prepended keys count down from -1 (0: none)
  int64_t first_key = -1;
  bool empty() const { return forward_pre.empty() && forward.empty() && backward_pre.empty() && backward.empty(); }
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
