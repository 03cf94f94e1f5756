// The one place that decides recording: an op calls will_record(inputs...) and, when
// true, builds its node, saves what its backward needs, and calls set_history(outputs,
// node). Nothing is built under no_grad / inference mode or without an input that
// requires grad (Note [Saved tensors under no_grad]).
#pragma once
#include <initializer_list>
#include <memory>
#include <span>

#include "autograd/node.h"
#include "core/grad_mode.h"

namespace ember::autograd {

void refresh_view_history(const Tensor& t);  // autograd/view_history.h

// An op's inputs: a braced list ({&a, &b}) for most ops, a vector for ops over a list of
// tensors (cat). Each function below that takes one has an overload for either.
using InputList = std::span<const Tensor* const>;
inline InputList input_list(std::initializer_list<const Tensor*> inputs) { return {inputs.begin(), inputs.size()}; }

// A view requires grad when its base does, even if the base gained it after the view
// was made: such a view's history is brought up to date here, before the op decides
// what to save by its inputs' requires_grad (Note [In-place ops on views] in
// autograd/view_history.h).
inline bool any_requires_grad(InputList inputs) {
  bool any = false;
  for (const Tensor* t : inputs) {
    if (!t->defined()) continue;
    const TensorImpl& impl = t->impl();
    const AutogradMeta* meta = impl.autograd.get();
    if (!impl.requires_grad && meta && meta->view_base && meta->view_base->requires_grad &&
        meta->view_mode == ViewMode::Grad)
      refresh_view_history(*t);
    any = any || impl.requires_grad;
  }
  return any;
}
inline bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  return any_requires_grad(input_list(inputs));
}

inline bool will_record(InputList inputs) {
  // Inference mode records nothing, even where an EnableGradGuard turned grad mode back on.
  if (!is_grad_enabled() || is_inference_mode_enabled()) return false;
  // Nor, as PyTorch's, an op whose every input is an inference tensor (made in inference mode,
  // used after it): its result is a normal tensor that does not require grad.
  bool all_inference = true;
  for (const Tensor* t : inputs) all_inference = all_inference && (!t->defined() || t->impl().is_inference);
  if (all_inference) return false;
  return any_requires_grad(inputs);
}
template <typename... Ts>
bool will_record(const Ts&... inputs) {
  return will_record(input_list({&inputs...}));
}

// The mark a result not recorded from `inputs` inherits (Note [Untracked results] in
// autograd/mode_hints.h): an input that requires grad (so grad mode is off) gives
// NoGrad or InferenceMode, else the strongest mark among the inputs.
hints::Untracked untracked_origin_of(InputList inputs);
void mark_untracked(const Tensor& out, hints::Untracked origin);

// will_record(inputs...) for an op whose result `out` is already made: when it returns
// false, out takes the inputs' Untracked mark (Note [Untracked results]).
// note_untracked is that second half alone, for ops that asked will_record before
// making out.
inline void note_untracked(const Tensor& out, InputList inputs) {
  const hints::Untracked origin = untracked_origin_of(inputs);
  if (origin != hints::Untracked::No) mark_untracked(out, origin);
}
inline void note_untracked(const Tensor& out, std::initializer_list<const Tensor*> inputs) {
  note_untracked(out, input_list(inputs));
}
template <typename... Ts>
bool will_record_into(const Tensor& out, const Ts&... inputs) {
  if (will_record(inputs...)) return true;
  note_untracked(out, {&inputs...});
  return false;
}

// t's autograd state, made on first use.
AutogradMeta& meta_of(const Tensor& t);

// The edge a gradient for t flows into: its grad_fn, or its leaf accumulator
// (created on first use). Invalid when t does not require grad. A view's history is
// brought up to date first (refresh_view_history).
Edge gradient_edge(const Tensor& t);

// Makes a node of type N, points its next edges at the inputs, and returns it.
template <typename N, typename... Args>
std::shared_ptr<N> make_node(InputList inputs, Args&&... args) {
  auto node = std::make_shared<N>(std::forward<Args>(args)...);
  auto& edges = node->mutable_next_edges();
  edges.reserve(inputs.size());
  for (const Tensor* t : inputs) edges.push_back(t->defined() ? gradient_edge(*t) : Edge{});
  return node;
}
template <typename N, typename... Args>
std::shared_ptr<N> make_node(std::initializer_list<const Tensor*> inputs, Args&&... args) {
  return make_node<N>(input_list(inputs), std::forward<Args>(args)...);
}

// Marks outputs as produced by node (output i is node's output i) and requiring grad.
void set_history(const Tensor& output, const std::shared_ptr<Node>& node, uint32_t output_nr = 0);

// Before an in-place op on self: errors for a leaf that requires grad, or a view of one,
// as in PyTorch; a view's history brought up to date (autograd/view_history.h).
void check_inplace(const Tensor& self);

// Sums grad down to `shape` (undoing broadcasting).
Tensor sum_to(const Tensor& grad, const Dims& shape);

}  // namespace ember::autograd
