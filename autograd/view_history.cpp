// Views and in-place ops in autograd (Note [In-place ops on views] in the header): the
// view marks, the refresh of a view's history, in-place recording, and the two nodes
// (CopySlices, AsStridedBackward) that move gradients through storage offsets, with
// recorded forms for create_graph (Note [Double backward through views]).
#include "autograd/view_history.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember::autograd {
namespace {

// Where a tensor's elements sit in its storage.
struct Geometry {
  Dims sizes, strides;
  int64_t offset = 0;

  explicit Geometry(const Tensor& t) : sizes(t.sizes()), strides(t.strides()), offset(t.storage_offset()) {}
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
  // One past the highest storage element it reaches (its offset when empty).
  int64_t extent() const {
    if (numel() == 0) return offset;
    int64_t last = offset;
    for (size_t d = 0; d < sizes.size(); ++d) last += (sizes[d] - 1) * strides[d];
    return last + 1;
  }
  // Whether no two elements share a storage element: sorted by stride, each dim of size
  // > 1 steps past every element the smaller-stride dims reach.
  bool non_overlapping() const {
    std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of the dims of size > 1
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] == 0) return true;
      if (sizes[d] > 1) dims.emplace_back(strides[d], sizes[d]);
    }
    std::sort(dims.begin(), dims.end());
    int64_t reach = 1;  // one past the largest offset the smaller-stride dims reach
    for (const auto& [stride, size] : dims) {
      if (stride < reach) return false;
      reach += stride * (size - 1);
    }
    return true;
  }
  // The geometry's elements as a view of `flat` (a storage of `span` elements).
  Tensor in(const Tensor& flat) const { return native::as_strided(flat, sizes, strides, offset); }
  // The storage offset of each element, in row-major order: int64 [numel].
  Tensor element_offsets(int64_t span, Device device) const {
    const Tensor all = arange(0, span, 1, TensorOptions(kInt64).device(device));
    return native::reshape(native::clone(in(all)), {numel()});
  }
};

// A gradient laid out in `geometry`, scattered into a storage of `span` elements
// (zeros elsewhere): a strided copy, or, where elements alias (an expanded view), an
// index_add that sums them. Gathering back in another geometry is a strided view of
// the result (reads may alias). Note [In-place ops on views].
Tensor scatter(const Tensor& grad, const Geometry& geometry, int64_t span) {
  if (!geometry.non_overlapping()) {
    return native::index_select_backward(native::reshape(grad, {grad.numel()}), Dims{span}, 0,
                                         geometry.element_offsets(span, grad.device()));
  }
  // A geometry that covers every element of the span once needs no zero fill first.
  Tensor flat = geometry.numel() == span ? make_empty({span}, grad.dtype(), grad.device())
                                         : zeros({span}, TensorOptions(grad.dtype()).device(grad.device()));
  native::copy_(geometry.in(flat), grad);
  return flat;
}

// Note [Double backward through views]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Under create_graph (grad mode on inside the backward, Note [Higher-order gradients] in
// autograd/engine.h) CopySlices and AsStridedBackward move gradients with recorded ops
// instead of strided copies: a scatter into the storage's span is index_add at the
// elements' storage offsets, a read in another geometry is index_select at its offsets,
// and the covered elements of a CopySlices are cleared by where() with a constant mask.
// index_add and index_select are each other's derivatives, so the gradients these
// nodes return can be differentiated again (PyTorch's CopySlices records copy_ and
// as_strided for the same). CopySlices is differentiable exactly when its op's formula
// is; otherwise its gradients get the NotImplemented history. Without create_graph the
// strided copies above run, bit for bit as before.
Tensor scatter_recorded(const Tensor& grad, const Geometry& geometry, int64_t span) {
  const Tensor flat = zeros({span}, TensorOptions(grad.dtype()).device(grad.device()));
  return flat.index_add(0, geometry.element_offsets(span, grad.device()), grad.reshape({grad.numel()}));
}
Tensor gather_recorded(const Tensor& flat, const Geometry& geometry, int64_t span) {
  return flat.index_select(0, geometry.element_offsets(span, flat.device())).reshape(geometry.sizes);
}

// The history of a view regenerated from its base: the gradient goes to the elements of
// the base it covers.
class AsStridedBackward final : public Node {
 public:
  AsStridedBackward(Geometry base, Geometry view) : base_(std::move(base)), view_(std::move(view)) {}
  std::string name() const override { return "AsStridedBackward"; }
  bool differentiable_backward() const override { return true; }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads.at(0);
    if (!g.defined()) return {Tensor()};
    const int64_t span = std::max(base_.extent(), view_.extent());
    if (is_grad_enabled()) return {gather_recorded(scatter_recorded(g, view_, span), base_, span)};
    return {base_.in(scatter(g, view_, span))};
  }

 private:
  Geometry base_, view_;
};

// The base's history after an in-place op on one of its views: op_ is the op's node
// (edges to the view's old history and the op's other inputs, which this node's edges
// 1.. repeat; edge 0 is the base's old history).
class CopySlices final : public Node {
 public:
  CopySlices(Geometry base, Geometry view, std::shared_ptr<FunctionNode> op)
      : base_(std::move(base)), view_(std::move(view)), op_(std::move(op)) {}
  std::string name() const override { return "CopySlices"; }
  bool differentiable_backward() const override { return op_->differentiable_backward(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads.at(0);
    tensor_list out(next_edges().size());
    if (!g.defined()) return out;
    const int64_t span = std::max(base_.extent(), view_.extent());
    if (is_grad_enabled()) return apply_recorded(g, span);
    Tensor flat = scatter(g, base_, span);
    tensor_list op_grads = op_->apply({native::clone(view_.in(flat))});
    const Tensor view_grad = !op_grads.empty() ? op_grads[0] : Tensor();
    // The covered elements' gradient is the one w.r.t. the view's old values.
    if (view_.non_overlapping()) {
      if (view_grad.defined()) native::copy_(view_.in(flat), view_grad);
      else native::zero_(view_.in(flat));
    } else {
      const Tensor covered =
          native::gt(scatter(ones(view_.sizes, TensorOptions(g.dtype()).device(g.device())), view_, span), 0);
      flat = native::where(covered, 0.0, flat);
      if (view_grad.defined()) flat = native::add(flat, scatter(view_grad, view_, span));
    }
    out[0] = base_.in(flat);
    for (size_t i = 1; i < op_grads.size() && i < out.size(); ++i) out[i] = std::move(op_grads[i]);
    return out;
  }
  void release_saved() override { op_->release_saved(); }

 private:
  // apply() under create_graph (Note [Double backward through views]).
  tensor_list apply_recorded(const Tensor& g, int64_t span) {
    tensor_list out(next_edges().size());
    Tensor flat = scatter_recorded(g, base_, span);
    tensor_list op_grads = op_->apply({gather_recorded(flat, view_, span)});
    Tensor covered;
    {
      NoGradGuard constant;
      covered = native::gt(scatter(ones(view_.sizes, TensorOptions(g.dtype()).device(g.device())), view_, span), 0);
    }
    flat = where(covered, 0.0, flat);
    if (!op_grads.empty() && op_grads[0].defined()) flat = flat + scatter_recorded(op_grads[0], view_, span);
    out[0] = gather_recorded(flat, base_, span);
    for (size_t i = 1; i < op_grads.size() && i < out.size(); ++i) out[i] = std::move(op_grads[i]);
    return out;
  }

  Geometry base_, view_;
  std::shared_ptr<FunctionNode> op_;
};

// The base of a view made in grad mode; undefined for other tensors.
Tensor base_of(const Tensor& t) {
  const auto& meta = t.impl().autograd;
  return meta && meta->view_base && meta->view_mode == ViewMode::Grad ? Tensor(meta->view_base) : Tensor();
}

}  // namespace

void mark_view(const Tensor& view, const Tensor& source) {
  if (view.is_same(source) || !view.is_alias_of(source) || !is_floating(view.dtype()) || view.is_inference()) return;
  const auto& source_meta = source.impl().autograd;
  const bool source_is_view = source_meta && source_meta->view_base;
  AutogradMeta& meta = meta_of(view);
  meta.view_base = source_is_view ? source_meta->view_base : source.impl_ptr();
  meta.view_version = view.storage()->version();
  const ViewMode made = is_inference_mode_enabled() ? ViewMode::Inference
                        : !is_grad_enabled()        ? ViewMode::NoGrad
                                                    : ViewMode::Grad;
  // PyTorch's propagate_creation_meta: a view of a view keeps its source's mode when made in grad
  // mode, and an inference-mode source's always (a no_grad view of it is still "inference mode").
  if (!source_is_view) meta.view_mode = made;
  else if (made == ViewMode::Grad) meta.view_mode = source_meta->view_mode;
  else meta.view_mode = source_meta->view_mode == ViewMode::Inference ? ViewMode::Inference : made;
}

void check_view_can_record(const Tensor& self, bool recording) {
  const auto& meta = self.impl().autograd;
  if (!is_grad_enabled() || is_inference_mode_enabled() || !meta || !meta->view_base ||
      meta->view_mode == ViewMode::Grad || !(recording || meta->view_base->requires_grad))
    return;
  const bool no_grad = meta->view_mode == ViewMode::NoGrad;
  EMBER_FAIL("A view was created in ", no_grad ? "no_grad mode" : "inference mode",
             " and is being modified inplace with grad mode enabled. Given that this use case is ambiguous and "
             "error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either "
             "both inside the ", no_grad ? "no_grad" : "inference_mode",
             " block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be "
             "tracked).");
}

void refresh_view_history(const Tensor& t) {
  if (!t.defined() || !t.impl().autograd) return;
  AutogradMeta& meta = *t.impl().autograd;
  // A custom Function's output aliasing its input, whose storage was written since: its
  // history is no longer its values' (PyTorch's IN_CUSTOM_FUNCTION views raise here too).
  if (meta.custom_function_alias && meta.grad_fn && meta.view_version != t.storage()->version())
    fail_custom_function_view(meta, true);
  if (!meta.view_base) return;
  if (meta.view_mode != ViewMode::Grad) return;
  const uint32_t version = t.storage()->version();
  const Tensor base(meta.view_base);
  const bool stale = meta.view_version != version || !t.impl().requires_grad;
  if (!stale || !base.impl().requires_grad) return;
  meta.view_version = version;
  auto node = make_node<AsStridedBackward>({&base}, Geometry(base), Geometry(t));
  set_history(t, node);
}

std::shared_ptr<FunctionNode> record_inplace(const char* name, const Tensor& self,
                                             std::initializer_list<const Tensor*> inputs,
                                             std::initializer_list<Tensor> to_save, BackwardFormula formula) {
  const Tensor base = base_of(self);
  if (!base.defined()) return record(name, inputs, {&self}, to_save, std::move(formula));
  // The write is this op's: the view's history before it is its current one.
  self.impl().autograd->view_version = self.storage()->version();
  std::shared_ptr<FunctionNode> op = record(name, inputs, {}, to_save, std::move(formula));
  op->set_num_outputs(1);
  auto copy = std::make_shared<CopySlices>(Geometry(base), Geometry(self), op);
  auto& edges = copy->mutable_next_edges();
  edges.push_back(gradient_edge(base));
  for (size_t i = 1; i < op->next_edges().size(); ++i) edges.push_back(op->next_edges()[i]);
  set_history(base, copy);
  meta_of(self).view_version = ~self.storage()->version();  // stale: reads the base again
  refresh_view_history(self);
  return op;
}

}  // namespace ember::autograd
