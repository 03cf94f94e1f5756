// The backward engine: runs the recorded graph from some roots in dependency order
// (highest sequence number first among ready nodes), summing gradients per input,
// accumulating into leaves' .grad (backward) or returning them (grad), and freeing
// saved tensors unless retain_graph.
//
// Note [Higher-order gradients]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// As in PyTorch, create_graph=true runs the backward formulas with grad mode on, so
// they are recorded like any forward op and the gradients they return have a history
// (a gradient penalty, a Hessian-vector product, MAML). Formulas written with ember's
// public, differentiable ops say so when recorded (FunctionNode::set_differentiable_backward);
// a fused kernel's gradient is itself a recorded op whose derivative is known (ReLU's
// mask, pooling's scatter and gather, convolution's three kernels, Note [Convolution's
// double backward]), or is recomputed from composed ops (batch norm, cross_entropy).
// Where PyTorch's backward op reads the forward input, the gradient is linked to it with
// a zero derivative (FunctionNode::set_backward_reads_inputs), so what requires grad is
// what PyTorch's does. A node not marked (batch norm with a 16-bit weight) gives its
// gradients a NotImplemented history instead, which fails with PyTorch's phrase "the
// derivative for ... is not implemented" only if something differentiates through it.
// Saved tensors come back with their history then (SavedVariable::unpack_with_history),
// and .grad of leaves is replaced, not added to in place. Without create_graph nothing
// of this runs: backward is under no_grad and saved tensors are detached aliases, so
// first-order gradients are bit for bit the same. retain_graph defaults to create_graph.
// autograd::grad runs only the nodes whose gradients reach a requested input, and
// computes only those gradients (needed_edges_of_running_node in autograd/node.h).
//
// Note [Tensor hooks]
// ~~~~~~~~~~~~~~~~~~~
// Tensor::register_hook is PyTorch's Tensor.register_hook: a hook runs on the gradient of
// its tensor, summed over every use, when the engine takes that gradient out of the input
// buffer of the tensor's node: its grad_fn (hooks stored on the node, per output_nr) or,
// for a leaf, its AccumulateGrad (hooks stored in the leaf's AutogradMeta, since each
// forward makes a new AccumulateGrad). The hooks of one gradient run in registration
// order, each on the previous one's result; a defined result replaces the gradient, which
// then goes to retain_grad, the formula, and for a leaf into .grad (before any
// post-accumulate hook). A result of another shape, dtype or device is an ember::Error.
// They run with the engine's grad mode: under create_graph what a hook computes is
// recorded, so the gradient keeps its history. An undefined gradient (no use produced
// one) runs no hook; PyTorch calls a Python hook with None there.
// autograd::grad runs the hooks of the nodes it reaches on the way to a requested input,
// as PyTorch 2.x does: a captured node whose formula does not run (a leaf input, or an
// intermediate nothing requested lies behind) runs them before its gradient is captured,
// so the result is the hooked gradient; a captured node that also leads to another input
// is captured before its hooks run, and the hooked gradient flows on. PyTorch 1.13
// never hooked a captured gradient and ran no hook of a leaf input.
// A non-leaf's hook belongs to the node that was its grad_fn when it was registered
// (PyTorch 2.x's update_tensor_hooks_on_new_gradfn): after an in-place op the older hooks
// see the gradient with respect to the value before the op, newer ones the value after;
// a view's hook stays with its view node, so it does not run once an in-place op through
// the base or the view has replaced the view's history (the old node is no longer
// reached). retain_grad runs after every hook, so .grad of a retained tensor is the
// hooked gradient whatever the order of the calls (PyTorch 2.x; 1.13 ran them in the
// order registered). retain_grad keeps the gradients of the nodes that run and, under
// autograd::grad, of the requested ones (as PyTorch 2.x's retains_grad hooks).
//
// Note [Node hooks]
// ~~~~~~~~~~~~~~~~~
// Node::register_prehook and Node::register_hook are PyTorch's Node.register_prehook and
// Node.register_hook (y.grad_fn()->register_hook(...)). They run only when the node's
// formula runs (not for a node autograd::grad merely captures), in PyTorch's order: the
// tensor hooks and retain_grad first, then the pre-hooks on the incoming gradients (one per
// output of the forward op), then the formula, then the post-hooks with the gradients it
// computed (one per next edge: grad_inputs) and the ones it got (grad_outputs). Each hook
// of a kind runs in registration order on the previous one's result; an empty result keeps
// the gradients, a non-empty one replaces them all (an undefined value drops its gradient)
// and must have as many values, each of the same shape, dtype and device, and none where
// there was none (PyTorch's check_result messages). An AccumulateGrad's post-hooks get no
// grad_inputs. A leaf keeps its AccumulateGrad weakly, as PyTorch's: a hook on it lasts while
// some graph holds it; tensor hooks are the way to hook a leaf for good.
//
// Note [Backward to some inputs]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// backward(..., inputs) is torch.autograd.backward(inputs=...): the graph runs as for
// autograd::grad (only what leads to the inputs) plus each input's own node, as PyTorch's
// run_backward marks them: a leaf's AccumulateGrad (so its hooks, post-accumulate hooks and
// create_graph history are those of a full backward), and a non-leaf input, made to
// retain_grad, gets its .grad from its grad_fn (which runs and frees what it saved). Other
// leaves' .grad are left alone; an input the roots do not depend on is left alone too (no
// allow_unused error, as in PyTorch).
#pragma once
#include <optional>
#include <vector>

#include "autograd/node.h"

namespace ember::autograd {

// tensors.backward(grads): grads may be empty or hold undefined tensors for scalar roots.
// retain_graph defaults to create_graph (Note [Higher-order gradients]). Non-empty
// `inputs` (torch.autograd.backward's inputs=): only those tensors' .grad are accumulated
// into, leaves or not, and only the part of the graph that leads to them runs.
void backward(const tensor_list& tensors, const tensor_list& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const tensor_list& inputs = {});

// Gradients of outputs with respect to inputs, leaving every .grad alone (PyTorch's
// argument order). allow_unused=false makes an input the outputs do not depend on an error;
// materialize_grads (PyTorch 2.1) gives such an input zeros (requiring grad, as PyTorch's)
// instead of an undefined tensor.
tensor_list grad(const tensor_list& outputs, const tensor_list& inputs, const tensor_list& grad_outputs = {},
                 std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                 bool allow_unused = false, bool materialize_grads = false);

// Nodes reachable from t's grad_fn (its recorded graph), AccumulateGrad included.
size_t count_graph_nodes(const Tensor& t);

// Anomaly mode (torch.autograd.set_detect_anomaly): backward checks every computed
// gradient for NaN (inf is a value) and names the forward op that produced it.
void set_detect_anomaly(bool enabled);
bool is_anomaly_enabled();
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace ember::autograd
