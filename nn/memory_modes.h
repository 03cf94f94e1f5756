// What a model keeps and peaks at in each of the four modes PyTorch users compare
// (train + grad, eval + grad, eval + no_grad, eval + inference_mode), measured on any model
// and input with the device's allocator and the saved-activation ledger (Note [Measuring the modes]).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "nn/module.h"

namespace ember::memory {

// Note [Measuring the modes]
// measure_mode runs one forward of `model` on `input` (and, where grad is on, the loss and
// its backward) in one mode:
//   TrainGrad          model.train(), grad on         (a training step's forward and backward)
//   EvalGrad           model.eval(), grad on          (evaluation without no_grad: the common mistake)
//   EvalNoGrad         model.eval() + NoGradGuard     (torch.no_grad())
//   EvalInferenceMode  model.eval() + InferenceModeGuard (torch.inference_mode())
// It reports the allocator's peak over the forward (and loss) and over forward + backward,
// both less the bytes allocated before (the input, the parameters), the saved-activation
// bytes after the forward (autograd::saved_tensor_stats, by module), the graph's node count
// and the times (on CUDA read after cuda::synchronize()). Before each mode the gradients are
// set to none and the device's cache is emptied, so cached blocks do not hide a peak. A
// measurement leaves the model as it found it: every module's training flag, its buffers (the
// running statistics train_grad updates), the parameters' .grad and the default generator are
// put back afterwards. `ember mem` is this, on the small CNN.
enum class RunMode { TrainGrad, EvalGrad, EvalNoGrad, EvalInferenceMode };

// "train_grad", "eval_grad", "eval_no_grad", "eval_inference_mode" (ember mem's names).
const char* run_mode_name(RunMode mode);

struct ModeMeasureOptions {
  // The scalar backward starts from, given the forward's output; default: output.sum().
  std::function<Tensor(const Tensor& output)> loss = {};
  // The forward; default: model.forward(input) (e.g. utils::checkpoint_sequential).
  std::function<Tensor(const Tensor& input)> forward = {};
  // The forward and the loss under AutocastGuard(input's device, *autocast) (backward outside, as PyTorch's recipe).
  std::optional<DType> autocast = std::nullopt;
  // When the profiler is on: a Phase span of this name around the mode ("" for none).
  std::string phase = "";
};

struct ModeMeasurement {
  RunMode mode = RunMode::TrainGrad;
  int64_t forward_peak_bytes = 0;   // allocator peak over the forward and loss, less base_bytes
  int64_t saved_bytes = 0;          // saved activations after the forward (ledger growth)
  size_t graph_nodes = 0;           // autograd nodes behind the loss (0 without grad)
  double forward_seconds = 0;
  int64_t backward_peak_bytes = -1;  // peak over forward + backward, less base_bytes; -1 without grad
  double backward_seconds = 0;
  std::map<std::string, int64_t> saved_by_module;  // saved bytes by module path ("0", "features.3", ...)
  int64_t base_bytes = 0;        // allocated on the input's device before the forward
  int64_t saved_base_bytes = 0;  // saved activations before the forward
};

ModeMeasurement measure_mode(nn::Module& model, const Tensor& input, RunMode mode,
                             const ModeMeasureOptions& options = {});

// The four modes in the order above, each leaving the model as it found it.
std::vector<ModeMeasurement> measure_modes(nn::Module& model, const Tensor& input,
                                           const ModeMeasureOptions& options = {});

}  // namespace ember::memory
