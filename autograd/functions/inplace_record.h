// The recording of an in-place op on self (and one other operand): PyTorch's checks,
// the write, then self's history moved to the op's node; shared by the in-place
// elementwise (autograd/functions/inplace.cpp), math (autograd/functions/math.cpp) and
// indexing (autograd/functions/index_ops.cpp, scatter_reduce.cpp) ops.
#pragma once
#include <optional>

#include "autograd/function_node.h"
#include "autograd/view_history.h"
#include "core/autocast.h"
#include "core/native.h"

namespace ember::autograd {

// Runs `apply` on self (and other), recording `formula` with two saved slots: s[0] self
// before the write (a copy, when save_self_before), s[1] other (when save_other).
template <typename Apply, typename Formula>
Tensor& inplace(const char* name, Tensor& self, const Tensor* other, Apply apply, Formula formula,
                bool save_self_before = false, bool save_other = false) {
  check_inplace(self);
  const bool recording = other ? will_record(self, *other) : will_record(self);
  check_view_can_record(self, recording);
  // A recorded copy, so that for create_graph it keeps self's old history (Note
  // [Higher-order gradients] in autograd/engine.h).
  Tensor before = recording && save_self_before ? self.clone() : Tensor();
  // `other` is saved before the write, as PyTorch's generated code saves inputs before the
  // kernel: one that cannot be saved (an inference tensor) is refused while self is still
  // untouched, and one sharing self's memory (y.mul_(y)) no longer matches its version at
  // backward: PyTorch's "modified by an inplace operation" error rather than a gradient from
  // the written values.
  std::optional<SavedVariable> other_before;
  if (recording && save_other && other && other->defined()) other_before.emplace(*other, name);
  apply();
  if (recording) {
    const Tensor none;
    auto node = record_inplace(name, self, {&self, other ? other : &none}, {before, Tensor()}, formula);
    node->set_differentiable_backward();
    if (other_before) node->saved()[1] = std::move(*other_before);
  }
  return self;
}

// self's value for the op of a composed in-place form (below) whose derivative reads it
// (pow_, hypot_, logit_, ...): a copy when the op will record, so the write cannot
// invalidate what that op saves, else self itself.
template <typename... Others>
Tensor value_before_write(const Tensor& self, const Others&... others) {
  return will_record(self, others...) ? self.clone() : self;
}

// self = compute(), an op composed of others run on self's current value and written back
// (dtype and shape checked as for every in-place op): self's node, named as PyTorch's,
// passes its gradient to that result's history (Note [In-place math] in
// autograd/functions/math.cpp). compute() runs with autocast off: in-place forms are on none
// of PyTorch's autocast lists, so a float32 self.addmm_() is not computed in bf16.
template <typename Compute>
Tensor& composed_inplace(const char* name, Tensor& self, Compute compute) {
  check_inplace(self);
  const Tensor result = [&] {
    const DeviceType type = self.device().type();
    std::optional<AutocastGuard> autocast_off;
    if (autocast::is_enabled(type)) autocast_off.emplace(self.device(), autocast::get_dtype(type), false);
    return compute();
  }();
  return inplace(name, self, &result, [&] { native::assign_(self, result); },
                 [](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{Tensor(), g[0]}; });
}

}  // namespace ember::autograd
