// The backward engine: runs the recorded graph from some roots in dependency order
// (highest sequence number first among ready nodes), summing gradients per input,
// accumulating into leaves' .grad (backward) or returning them (grad), and freeing
// saved tensors unless retain_graph.
#pragma once
#include <vector>

#include "autograd/node.h"

namespace ember::autograd {

// tensors.backward(grads): grads may be empty or hold undefined tensors for scalar roots.
void backward(const tensor_list& tensors, const tensor_list& grad_tensors = {}, bool retain_graph = false);

// Gradients of outputs with respect to inputs, leaving every .grad alone.
// allow_unused=false makes an input the outputs do not depend on an error.
tensor_list grad(const tensor_list& outputs, const tensor_list& inputs, const tensor_list& grad_outputs = {},
                 bool retain_graph = false, bool allow_unused = false);

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
