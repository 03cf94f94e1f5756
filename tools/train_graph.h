// `ember train --cuda-graph`: the flag's resolution and the whole training step
// (forward, loss, backward, the capturable optimizer update) captured as one CUDA graph.
//
// Note [ember train with a CUDA graph]
// On CUDA the step is static (one process, no trace: same shapes, same kernels, no host
// reads) and, unless --no-cuda-graph, runs as an nn::GraphedStep (Note [Graphed steps]):
// each full batch, a narrow() view of the data on the device, is copied into static
// buffers; the first kWarmupSteps steps run eagerly on the capture stream, the next is
// captured and replayed, later ones replay. The optimizer is capturable (Note
// [Capturable optimizers]): the scheduler's per-step lr is a fill between replays. SGD,
// Adam and AdamW have that mode; RMSprop, Adagrad, Adadelta, Adamax, NAdam and RAdam do
// not, so with them the step is not static (Note [ember train's optimizers]): --cuda-graph is an error naming why, and
// by default the run is eager and says why on its first line.
// Dropout draws from the graph's Philox words (Note [Graph-safe random numbers]), so
// each replay draws new masks, the same ones an eager run with the same seed draws. The
// loss is added to a float64 sum on the device inside the step and read once per epoch,
// so the divergence guard sees the epoch's mean (Note [A diverged run stops]) and the
// progress line shows once per epoch. The last partial batch runs eagerly (its shape
// differs) unless --drop-last drops it, zeroing the gradients in place so .grad stays the
// graph's. --cuda-graph on the CPU, or with N processes, a trace, float16 autocast (its
// GradScaler reads an inf/NaN flag on the host each step, as PyTorch's does) or an optimizer
// without a capturable mode, is an ember::Error before any work. By default (no
// --cuda-graph) a capture that fails is a warning naming why, and the run goes on eagerly:
// a capture runs nothing, so no step is lost or doubled.
#pragma once
#include <memory>
#include <string>

#include "core/device.h"
#include "core/tensor.h"
#include "nn/graphed_step.h"
#include "nn/module.h"
#include "nn/optim/optimizer.h"

namespace ember::tools {

// --cuda-graph given (1), --no-cuda-graph (0) or neither (-1).
enum class CudaGraphFlag : int { Auto = -1, Off = 0, On = 1 };

// Whether the run captures its step: Auto means "when the step is static on CUDA".
// `static_reason` is empty when the step is static, else why not ("--trace records
// each op", ...). Throws for On on the CPU or with a non-static step.
bool use_cuda_graph(CudaGraphFlag flag, Device dev, const std::string& static_reason);

class GraphedTraining {
 public:
  static constexpr int kWarmupSteps = 3;
  // amp: forward and loss under bf16 autocast inside the graph (ember train --amp).
  // fall_back: a failed capture logs a warning and the run goes on eagerly (the default
  // mode); else it is an error (--cuda-graph asked for the graph). `optimizer` is made
  // capturable here (an SGD, Adam or AdamW; any other is an ember::Error).
  GraphedTraining(nn::Module& model, optim::Optimizer& optimizer, Device dev, bool amp = false,
                  bool fall_back = false);

  // One step on a full batch (graphed) or on another size (eager); the loss is added
  // to loss_sum() on the device, nothing is read.
  void full_batch(const Tensor& x, const Tensor& y);
  void partial_batch(const Tensor& x, const Tensor& y);
  // The sum of the losses since the last reset, read from the device (one wait).
  double read_loss_sum() const;
  void reset_loss_sum();
  bool captured() const { return graphed_.captured(); }

 private:
  // set_to_none: the graphed step drops the gradients (its backward writes them anew, into
  // the graph's buffers); an eager step between replays zeroes those buffers in place, so
  // .grad keeps naming what the replays write.
  void step(const Tensor& x, const Tensor& y, bool set_to_none = true);

  nn::Module& model_;
  optim::Optimizer& optimizer_;
  Tensor loss_sum_;  // float64 [] on the device
  bool amp_;
  bool fall_back_;
  bool eager_ = false;  // after a failed capture, with fall_back
  nn::GraphedStep graphed_;
};

}  // namespace ember::tools
