// Post-accumulate-grad hooks on leaves (Note [Gradient-ready hooks] in autograd/hooks.h);
// queue_callback and in_backward live with the engine (autograd/engine.cpp).
#include "autograd/hooks.h"

#include <algorithm>
#include <atomic>

#include "autograd/node.h"

namespace ember::autograd {
namespace {
std::atomic<uint64_t> g_next_hook_handle{1};
}

uint64_t register_post_accumulate_grad_hook(const Tensor& leaf, PostAccumulateGradHook hook) {
  EMBER_CHECK(leaf.defined() && leaf.requires_grad(),
              "register_post_accumulate_grad_hook: expected a tensor that requires grad, got one that does not");
  EMBER_CHECK(leaf.is_leaf(), "register_post_accumulate_grad_hook: expected a leaf tensor, got a non-leaf (",
              leaf.grad_fn_name(), ")");
  EMBER_CHECK(hook != nullptr, "register_post_accumulate_grad_hook: expected a callable hook, got an empty one");
  auto& meta = leaf.impl().autograd;
  if (!meta) meta = std::make_shared<AutogradMeta>();
  const uint64_t handle = g_next_hook_handle.fetch_add(1, std::memory_order_relaxed);
  meta->post_accumulate_hooks.emplace_back(handle, std::move(hook));
  return handle;
}

void remove_post_accumulate_grad_hook(const Tensor& leaf, uint64_t handle) {
  if (!leaf.defined() || !leaf.impl().autograd) return;
  auto& hooks = leaf.impl().autograd->post_accumulate_hooks;
  std::erase_if(hooks, [handle](const auto& entry) { return entry.first == handle; });
}

}  // namespace ember::autograd
