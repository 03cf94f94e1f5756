// Hooks into backward for code that must act while gradients are produced, such as the
// data-parallel wrapper (Note [Gradient-ready hooks]): a hook run after a leaf's .grad
// has been accumulated, and callbacks queued to run when the current backward ends.
#pragma once
#include <cstdint>
#include <functional>

#include "core/tensor.h"

namespace ember::autograd {

// Note [Gradient-ready hooks]
// Like PyTorch's Tensor.register_post_accumulate_grad_hook: the hook lives on the leaf
// (in its AutogradMeta, so it outlives the graph's AccumulateGrad node, which each
// forward makes anew) and runs inside backward right after AccumulateGrad has added this
// backward's gradient into leaf.grad(), once per backward that reaches the leaf, on the
// thread running backward, with grad mode off. autograd::grad (which leaves .grad alone)
// runs no hook. A hook may call queue_callback to run code once the backward has
// finished (PyTorch's Variable._execution_engine.queue_callback): callbacks run in the
// order queued, after every node, before backward() returns; one may queue another.
// If backward throws, the queued callbacks are dropped.
using PostAccumulateGradHook = std::function<void(const Tensor& leaf)>;

// Returns a handle for remove_post_accumulate_grad_hook. `leaf` must be a leaf that
// requires grad.
uint64_t register_post_accumulate_grad_hook(const Tensor& leaf, PostAccumulateGradHook hook);
// Removes a hook (no-op for an unknown handle).
void remove_post_accumulate_grad_hook(const Tensor& leaf, uint64_t handle);

// Queues `callback` to run when the backward now running on this thread ends. Outside a
// backward it is an ember::Error.
void queue_callback(std::function<void()> callback);

// True while this thread runs a backward (inside a hook, a formula or a callback).
bool in_backward();
// A number unique to the backward this thread runs now (0 outside backward): what a
// backward computed for itself alone (a checkpoint's recomputation) is stale in another.
uint64_t current_backward_id();

}  // namespace ember::autograd
