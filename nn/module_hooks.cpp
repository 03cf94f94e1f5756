// Module hooks (Note [Module hooks] in nn/module_hooks.h): running the forward hooks and
// attaching the backward ones to one call's input and output through tensor hooks.
#include "nn/module_hooks.h"

#include <utility>

#include "autograd/function_node.h"
#include "autograd/record.h"
#include "autograd/view_history.h"
#include "core/error.h"

namespace ember::nn {

void RemovableHandle::remove() {
  if (auto hooks = hooks_.lock()) {
    hooks->forward_pre.erase(key_);
    hooks->forward.erase(key_);
    hooks->backward_pre.erase(key_);
    hooks->backward.erase(key_);
    hooks->state_dict_pre.erase(key_);
    hooks->state_dict_post.erase(key_);
    hooks->load_state_dict_pre.erase(key_);
    hooks->load_state_dict_post.erase(key_);
    std::erase_if(hooks->tags, [this](const auto& tag) { return tag.second == key_; });
  }
}

namespace hook_calls {
namespace {

// What the two tensor hooks of one call share: the gradient of the output, kept from the
// output's hook until the input's hook has passed it to the full backward hooks.
struct CallGradients {
  Tensor grad_output;
};

void check_replacement(const Tensor& got, const Tensor& like, const char* what) {
  EMBER_CHECK(got.sizes() == like.sizes(), "a module ", what, " hook returned a tensor of shape ", got.sizes(),
              ", expected ", like.sizes());
}

}  // namespace

Tensor run_forward_pre_hooks(ModuleHooks& hooks, Module& module, Tensor input) {
  // A copy: a hook may remove itself (or another) while running.
  const auto pre = hooks.forward_pre;
  for (const auto& [_, hook] : pre)
    if (std::optional<Tensor> replaced = hook(module, input); replaced && replaced->defined())
      input = std::move(*replaced);
  return input;
}

std::optional<Tensor> prepare_backward_hooks(const ModuleHooks& hooks, const Tensor& input) {
  if (hooks.backward.empty() || !input.defined() || !autograd::will_record(input)) return std::nullopt;
  // An identity node of the module's own, so the gradient the hook sees is the module's
  // input gradient even when the caller's tensor feeds other ops too.
  Tensor through = input.detach();
  autograd::record("BackwardHookFunctionBackward", {&input}, {&through}, {},
                   [](const autograd::tensor_list& grads, const autograd::tensor_list&, const std::vector<autograd::InputMeta>&) {
                     return autograd::tensor_list{grads[0]};
                   })
      ->set_differentiable_backward();
  // An alias of the caller's tensor made by a node of ours, as PyTorch's: writing into it in
  // place (nn::SiLU(true) with a full backward hook) is PyTorch's "is a view and is being
  // modified inplace" error, not a gradient that skips the write.
  autograd::mark_custom_function_alias(through);
  return through;
}

Tensor finish_hooked_call(const std::shared_ptr<ModuleHooks>& hooks, Module& module, const Tensor& input,
                          const std::optional<Tensor>& hooked_input, Tensor output) {
  {
    const auto forward = hooks->forward;
    for (const auto& [_, hook] : forward)
      if (std::optional<Tensor> replaced = hook(module, input, output); replaced && replaced->defined())
        output = std::move(*replaced);
  }
  if ((hooks->backward_pre.empty() && hooks->backward.empty()) || !output.defined() || !output.requires_grad())
    return output;

  // The hooks reach the module through its hook lists: once the module is gone (and with
  // it the lists), a late backward runs none.
  std::weak_ptr<ModuleHooks> weak = hooks;
  Module* owner = &module;
  auto state = std::make_shared<CallGradients>();
  const bool input_hooked = hooked_input.has_value();
  // The output's hook is registered first: for a module returning its input (Identity)
  // both hooks sit on one tensor and run in this order.
  output.register_hook([weak, owner, state, input_hooked](const Tensor& grad) -> Tensor {
    auto live = weak.lock();
    if (!live) return Tensor();
    Tensor grad_output = grad;
    const auto pre = live->backward_pre;
    for (const auto& [_, hook] : pre)
      if (std::optional<Tensor> replaced = hook(*owner, grad_output); replaced && replaced->defined()) {
        check_replacement(*replaced, grad, "backward pre-");
        grad_output = std::move(*replaced);
      }
    if (input_hooked) {
      state->grad_output = grad_output;
    } else {
      // PyTorch: with no input gradient to wait for, the hook runs now with None.
      const auto full = live->backward;
      for (const auto& [_, hook] : full) hook(*owner, Tensor(), grad_output);
    }
    return grad_output.is_same(grad) ? Tensor() : grad_output;
  });
  if (input_hooked) {
    hooked_input->register_hook([weak, owner, state](const Tensor& grad) -> Tensor {
      auto live = weak.lock();
      const Tensor grad_output = std::exchange(state->grad_output, Tensor());
      if (!live) return Tensor();
      Tensor grad_input = grad;
      const auto full = live->backward;
      for (const auto& [_, hook] : full)
        if (std::optional<Tensor> replaced = hook(*owner, grad_input, grad_output); replaced && replaced->defined()) {
          check_replacement(*replaced, grad, "full backward");
          grad_input = std::move(*replaced);
        }
      return grad_input.is_same(grad) ? Tensor() : grad_input;
    });
  }
  return output;
}

}  // namespace hook_calls
}  // namespace ember::nn
