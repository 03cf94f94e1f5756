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
// what PyTorch's does. A node not marked (CopySlices of in-place ops on views) gives its
// gradients a NotImplemented history instead, which fails with PyTorch's phrase "the
// derivative for ... is not implemented" only if something differentiates through it.
// Saved tensors come back with their history then (SavedVariable::unpack_with_history),
// and .grad of leaves is replaced, not added to in place. Without create_graph nothing
// of this runs: backward is under no_grad and saved tensors are detached aliases, so
// first-order gradients are bit for bit the same. retain_graph defaults to create_graph.
// autograd::grad runs only the nodes whose gradients reach a requested input, and
// computes only those gradients (needed_edges_of_running_node in autograd/node.h).
#pragma once
#include <optional>
#include <vector>

#include "autograd/node.h"

namespace ember::autograd {

// tensors.backward(grads): grads may be empty or hold undefined tensors for scalar roots.
// retain_graph defaults to create_graph (Note [Higher-order gradients]).
void backward(const tensor_list& tensors, const tensor_list& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

// Gradients of outputs with respect to inputs, leaving every .grad alone (PyTorch's
// argument order). allow_unused=false makes an input the outputs do not depend on an error.
tensor_list grad(const tensor_list& outputs, const tensor_list& inputs, const tensor_list& grad_outputs = {},
                 std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                 bool allow_unused = false);

// Nodes reachable from t's grad_fn (its recorded graph), AccumulateGrad included.
size_t count_graph_nodes(const Tensor& t);

// Anomaly mode (torch.autograd.set_detect_anomaly): backward checks every computed
// gradient for NaN/Inf and names the forward op that produced it.
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
