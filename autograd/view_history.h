// Views and in-place ops in autograd: a view remembers the tensor whose storage it
// views; an in-place op on a view rewrites that base's history, and views whose base
// changed since their history was set get it anew from the base.
//
// Note [In-place ops on views]
// PyTorch's rule, and ember's: after an in-place op on a view, the base behaves as if
// the op had been applied to the part of it the view covers, and every view of it as a
// view of the changed base.
//  - A view op made in grad mode (view, reshape as a view, flatten, unflatten, squeeze,
//    unsqueeze, transpose, permute, expand, slice, narrow, select) marks its result with
//    its base: the source's base when the source is itself a view, else the source
//    (mark_view). Roots are never views; views of views point at the root.
//  - An in-place op on such a view, when it records, builds its node as usual but not on
//    the view: the base's history becomes a CopySlices node whose backward takes the
//    base's gradient, runs the op's backward on the part the view covers and replaces
//    that part with the gradient w.r.t. the view's old values (record_inplace). The view
//    itself then reads the base again ("AsStridedBackward").
//  - A view whose storage was written since its history was set (an in-place op on the
//    base or on another view of it) gets "AsStridedBackward" of the base's current
//    history the next time its history is read (refresh_view_history: gradient_edge,
//    grad_fn(), backward's roots), as PyTorch regenerates a view's grad_fn.
//  - In-place ops on a view of a leaf that requires grad are refused, as on the leaf. Views
//    made in no_grad or inference mode take no part in autograd (they are remembered as
//    such), and an in-place op through one that would record is refused, as in PyTorch.
// Both nodes move gradients through the storage: a geometry's elements are gathered as
// a strided view of it, and scattered back by a strided copy into zeros, or, where the
// elements alias (an expanded view), by index_add over their offsets, which sums them.
// Only that last case builds an index tensor (arange, from the host): the others can
// run inside a captured CUDA graph.
#pragma once
#include <initializer_list>
#include <memory>

#include "autograd/function_node.h"

namespace ember::autograd {

// `view` (sharing `source`'s storage) is a view of source's base, made in the current
// grad mode (a view of a view keeps its source's mode when made in grad mode).
void mark_view(const Tensor& view, const Tensor& source);

// Before an in-place op on self in grad mode: PyTorch's error for a view made in no_grad or
// inference mode when the op records or the view's base requires grad (the base cannot be
// given the op's history honestly).
void check_view_can_record(const Tensor& self, bool recording);

// For a view whose base's history changed since the view's was set (the storage was
// written since): the view's history becomes "AsStridedBackward" of the base. For a
// custom Function's output aliasing its input, written since: fail_custom_function_view.
// Nothing for other tensors.
void refresh_view_history(const Tensor& t);
// PyTorch's error for an in-place write that would override a custom Function's backward:
// on its output aliasing an input (or a view of that output), or, base_modified, on the
// output after its storage was written (Note [Custom functions]).
[[noreturn]] void fail_custom_function_view(const AutogradMeta& meta, bool base_modified);
// Marks `output`, which shares an input's storage, as such an output, its storage's version
// now the one a later write is measured from.
void mark_custom_function_alias(const Tensor& output);

// The history of an in-place op on self (already written; inputs[0] is self): a node
// with edges to self's old history and the other inputs, saving to_save. On a view, the
// base gets a CopySlices node around it and self reads the base again; otherwise self's
// history is the node. Returns the op's node (its saved slots are to_save's order).
std::shared_ptr<FunctionNode> record_inplace(const char* name, const Tensor& self,
                                             std::initializer_list<const Tensor*> inputs,
                                             std::initializer_list<Tensor> to_save, BackwardFormula formula);

}  // namespace ember::autograd
