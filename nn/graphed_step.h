// nn::GraphedStep: a step of CUDA work over static input buffers, run eagerly for a few
// warm-up calls, then captured once as a cuda::Graph and replayed on every later call
// (PyTorch's whole-network capture recipe, torch.cuda.graphs.make_graphed_callables).
//
// Note [Graphed steps]
// The first call makes static buffers shaped like its inputs; every call copies its
// inputs into them (device-to-device, on the current stream) and runs the step on them.
// The first `warmup_steps` calls run the step eagerly on a side stream, the capture
// stream: libraries size their per-stream handles, plans and workspaces there, and
// optimizers make their state (capturable ones their device-resident values, Note
// [Capturable optimizers]) before any capture. The next call captures the step on that
// stream (the graph's allocations come from its private pool, Note [CUDA graph
// capture]) and then replays it, since a capture runs nothing; later calls only replay.
// So every call is exactly one step, and K calls equal K eager steps on the same
// inputs, random draws included (Note [Graph-safe random numbers]). The step must not
// read device memory on the host nor change shapes; a failed capture is an ember::Error
// naming what failed, and leaves nothing captured. Tensors the step keeps (the loss it
// adds into a sum it owns, gradients) keep their captured addresses for every replay.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "cuda/graph.h"
#include "cuda/stream.h"

namespace ember::nn {

class GraphedStep {
 public:
  using Fn = std::function<void(const std::vector<Tensor>& static_inputs)>;
  // `what` names the step in errors ("ember train's step").
  GraphedStep(Fn step, int warmup_steps = 3, std::string what = "the graphed step");

  // One step on `inputs` (CUDA tensors of the first call's shapes and dtypes).
  void operator()(const std::vector<Tensor>& inputs);
  bool captured() const { return graph_.captured(); }
  // Whether the last capture failed (its call threw; a capture runs nothing, so that
  // call's step has not happened). The next call tries again.
  bool capture_failed() const { return capture_failed_; }
  int64_t calls() const { return calls_; }
  const std::vector<Tensor>& static_inputs() const { return static_inputs_; }
  const cuda::Graph& graph() const { return graph_; }

 private:
  void capture();

  Fn step_;
  int warmup_steps_;
  std::string what_;
  std::vector<Tensor> static_inputs_;
  std::optional<cuda::Stream> stream_;
  cuda::Graph graph_;
  int64_t calls_ = 0;
  bool capture_failed_ = false;
};

}  // namespace ember::nn
