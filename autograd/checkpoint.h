// Activation checkpointing, as torch.utils.checkpoint.checkpoint(fn, *args,
// use_reentrant=False): a function's saved tensors are dropped after its forward and
// recomputed by running it again when backward first needs one.
#pragma once
#include <functional>
#include <vector>

#include "core/tensor.h"

namespace ember::utils {

// Note [Activation checkpointing]
// checkpoint(fn, inputs) runs fn once, recording as usual, but every tensor an op inside
// saves for backward becomes a placeholder (autograd/saved_variable.h), so the graph
// keeps none of fn's activations, only the inputs (held by the checkpoint, with their
// version, so modifying one in place before backward is the usual error). When backward
// first unpacks a placeholder, fn runs again on the saved inputs with grad mode on and
// the saves are collected in order; each recomputed tensor lives until the node that
// needs it has run (with retain_graph, until that backward ends: a second backward
// recomputes again). The graph itself is the forward's, so autograd::grad, hooks and
// create_graph work through it as without checkpoint. As PyTorch's:
//  - the random state is the forward's during the recomputation (preserve_rng_state), so
//    dropout draws the same masks; inside a checkpoint, dropout on CUDA draws from
//    ember's generator (not cuDNN's state, which cannot be rewound): the CPU's masks;
//  - autocast is as it was in the forward, and tensors saved are checked to have the
//    forward's shapes, dtypes and devices, in the same number ("A different number of
//    tensors was saved ...");
//  - a function that saves nothing (all of it under no_grad, or nothing requires grad)
//    keeps nothing; under no_grad or inference mode fn is simply called.
// Unlike PyTorch's, batch norm in training mode does not update its running statistics
// (nor num_batches_tracked) a second time during the recomputation (is_recomputing()),
// so a checkpointed model trains to the same numbers as the plain one.
// Errors where the recomputation would silently differ from the forward (PyTorch 1.13
// computes wrong gradients in these cases): an input modified in place after the forward
// or by fn itself (ReLU(inplace=true) first in a segment), or a tensor from outside fn (a
// parameter) that an op saved, modified in place between the forward and backward (an
// optimizer step): the plain run's error. One that no op saved itself but fn reads again
// (w in exp(x * w) for x that needs no gradient; a weight whose bf16 copy autocast saved)
// is read with its new values, as in PyTorch: do not modify what fn reads before backward. A backward inside fn (autograd::grad of a
// gradient penalty computed in it) is not supported: a clear error. fn is copied and kept
// until backward (or until the graph is freed): what it refers to (modules, tensors
// captured by reference) must live that long, and is read again by the recomputation.
// Inference tensors may be inputs (kept as they are, having no version).
struct CheckpointOptions {
  bool preserve_rng_state = true;
};

using CheckpointFunction = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs)>;

std::vector<Tensor> checkpoint(CheckpointFunction fn, const std::vector<Tensor>& inputs,
                               CheckpointOptions options = {});
// One tensor in, one out: checkpoint([&](const Tensor& x) { return block->forward(x); }, x).
Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input, CheckpointOptions options = {});

// True on this thread while a checkpointed function recomputes for backward.
bool is_recomputing();
// True inside a checkpointed function, in its forward and in its recomputation: random
// draws there must be repeatable from ember's generator state.
bool in_checkpoint();

}  // namespace ember::utils
