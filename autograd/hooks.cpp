// Post-accumulate-grad hooks on leaves (Note [Gradient-ready hooks] in autograd/hooks.h),
// Tensor::register_hook / remove_hook (Note [Tensor hooks] in autograd/engine.h, which
// runs them) and Node's pre- and post-hooks (Note [Node hooks] there); queue_callback and
// in_backward live with the engine (autograd/engine.cpp).
#include "autograd/hooks.h"

#include <algorithm>
#include <atomic>

#include "autograd/node.h"

namespace ember::autograd {
namespace {
std::atomic<uint64_t> g_next_hook_handle{1};  // shared by every kind of hook
}

uint64_t register_post_accumulate_grad_hook(const Tensor& leaf, PostAccumulateGradHook hook) {
  EMBER_CHECK(leaf.defined() && leaf.requires_grad(),
              "cannot register a hook on a tensor that doesn't require gradient");
  EMBER_CHECK(leaf.is_leaf(),
              "post accumulate grad hooks cannot be registered on non-leaf tensors (this one's grad_fn is ",
              leaf.grad_fn_name(), ")");
  EMBER_CHECK(hook != nullptr, "register_post_accumulate_grad_hook: expected a callable hook, got an empty one");
  auto& meta = leaf.impl().autograd;
  if (!meta) meta = std::make_shared<AutogradMeta>();
  const uint64_t handle = g_next_hook_handle.fetch_add(1, std::memory_order_relaxed);
  meta->post_accumulate_hooks.emplace_back(handle, std::move(hook));
  return handle;
}

uint64_t Node::register_prehook(NodePreHook hook) {
  EMBER_CHECK(hook != nullptr, "register_prehook: expected a callable hook, got an empty one");
  const uint64_t handle = g_next_hook_handle.fetch_add(1, std::memory_order_relaxed);
  pre_hooks_.emplace_back(handle, std::move(hook));
  return handle;
}

uint64_t Node::register_hook(NodePostHook hook) {
  EMBER_CHECK(hook != nullptr, "register_hook: expected a callable hook, got an empty one");
  const uint64_t handle = g_next_hook_handle.fetch_add(1, std::memory_order_relaxed);
  post_hooks_.emplace_back(handle, std::move(hook));
  return handle;
}

void Node::remove_hook(uint64_t handle) {
  std::erase_if(pre_hooks_, [handle](const auto& entry) { return entry.first == handle; });
  std::erase_if(post_hooks_, [handle](const auto& entry) { return entry.first == handle; });
}

void remove_post_accumulate_grad_hook(const Tensor& leaf, uint64_t handle) {
  if (!leaf.defined() || !leaf.impl().autograd) return;
  auto& hooks = leaf.impl().autograd->post_accumulate_hooks;
  std::erase_if(hooks, [handle](const auto& entry) { return entry.first == handle; });
}

}  // namespace ember::autograd

namespace ember {

uint64_t Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
  EMBER_CHECK(defined(), "register_hook: expected a defined tensor");
  EMBER_CHECK(requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
  EMBER_CHECK(hook != nullptr, "register_hook: expected a callable hook, got an empty one");
  const uint64_t handle = autograd::g_next_hook_handle.fetch_add(1, std::memory_order_relaxed);
  // grad_fn() first: a view whose base changed gets its current history (Note [In-place
  // ops on views]), and the hook goes to that node, as in PyTorch.
  const std::shared_ptr<autograd::Node> fn = grad_fn();
  auto& meta = impl().autograd;
  if (!meta) meta = std::make_shared<autograd::AutogradMeta>();
  if (!fn) {
    meta->tensor_hooks.push_back({handle, 0, std::move(hook)});
    return handle;
  }
  fn->add_tensor_hook({handle, output_nr(), std::move(hook)});
  auto& nodes = meta->hooked_nodes;
  std::erase_if(nodes, [](const std::weak_ptr<autograd::Node>& n) { return n.expired(); });
  if (nodes.empty() || nodes.back().lock() != fn) nodes.push_back(fn);
  return handle;
}

void Tensor::remove_hook(uint64_t handle) const {
  if (!defined() || !impl().autograd) return;
  auto& meta = *impl().autograd;
  std::erase_if(meta.tensor_hooks, [handle](const autograd::TensorHookEntry& e) { return e.handle == handle; });
  for (const auto& weak : meta.hooked_nodes)
    if (auto node = weak.lock()) node->remove_tensor_hook(handle);
}

}  // namespace ember
