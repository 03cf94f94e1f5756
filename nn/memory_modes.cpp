// One model measured in each of the four modes (Note [Measuring the modes] in
// nn/memory_modes.h): allocator peaks, saved activations, graph nodes and times.
#include "nn/memory_modes.h"

#include <chrono>

#include "autograd/engine.h"
#include "autograd/saved_variable.h"
#include "core/autocast.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "core/memory.h"
#include "core/profiler.h"
#include "core/rng_state.h"
#include "cuda/stream.h"

namespace ember::memory {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A measurement leaves the model as it found it: every module's training flag, the
// buffers (BatchNorm's running statistics and count, which train_grad updates), the
// parameters' .grad (and the input's, when it requires grad) and the default generator
// (dropout's draws) are put back.
class ModelStateKept {
 public:
  ModelStateKept(nn::Module& model, const Tensor& input) : rng_(get_rng_state()) {
    for (const auto& [_, m] : model.named_modules()) flags_.emplace_back(m, m->is_training());
    NoGradGuard no_grad;
    for (const Tensor& b : model.buffers())
      if (b.defined()) buffers_.emplace_back(b, b.clone());
    for (const Tensor& p : model.parameters()) grads_.emplace_back(p, p.grad());
    if (input.requires_grad()) grads_.emplace_back(input, input.grad());
  }
  ModelStateKept(const ModelStateKept&) = delete;
  ModelStateKept& operator=(const ModelStateKept&) = delete;
  // Never throws: a buffer the forward gave another shape, dtype or device (a lazy module's
  // first forward sizes its buffers) is left as the forward made it.
  ~ModelStateKept() {
    try {
      for (auto& [m, training] : flags_) m->train(training);  // parents first: each child's own flag wins
      NoGradGuard no_grad;
      for (auto& [buffer, kept] : buffers_)
        if (buffer.sizes() == kept.sizes() && buffer.dtype() == kept.dtype() && buffer.device() == kept.device())
          buffer.copy_(kept);
      for (auto& [p, grad] : grads_) p.mutable_grad() = grad;
      set_rng_state(rng_);
    } catch (const std::exception& e) {
      logging::warn("measure_mode: could not put the model back as it was: {}", e.what());
    }
  }

 private:
  Tensor rng_;
  std::vector<std::pair<std::shared_ptr<nn::Module>, bool>> flags_;
  std::vector<std::pair<Tensor, Tensor>> buffers_;
  std::vector<std::pair<Tensor, Tensor>> grads_;
};

}  // namespace

const char* run_mode_name(RunMode mode) {
  switch (mode) {
    case RunMode::TrainGrad: return "train_grad";
    case RunMode::EvalGrad: return "eval_grad";
    case RunMode::EvalNoGrad: return "eval_no_grad";
    case RunMode::EvalInferenceMode: return "eval_inference_mode";
  }
  return "";
}

ModeMeasurement measure_mode(nn::Module& model, const Tensor& input, RunMode mode, const ModeMeasureOptions& options) {
  const Device dev = input.device();  // the allocator measured: the model must be there too
  for (const Tensor& p : model.parameters())
    EMBER_CHECK(p.device() == dev, "measure_mode: expected the model on the input's device ", dev,
                " (the allocator measured), but a parameter is on ", p.device());
  const bool records = mode == RunMode::TrainGrad || mode == RunMode::EvalGrad;
  EMBER_CHECK(!records || !is_inference_mode_enabled(), "measure_mode: ", run_mode_name(mode),
              " records a graph, which inference mode forbids; call it outside InferenceModeGuard");
  const ModelStateKept kept(model, input);
  ModeMeasurement r;
  r.mode = mode;
  model.train(mode == RunMode::TrainGrad);
  model.zero_grad(true);
  empty_cache(dev);
  r.base_bytes = allocated(dev);
  reset_peak(dev);
  const autograd::SavedTensorStats before = autograd::saved_tensor_stats();
  r.saved_base_bytes = before.current_bytes;
  profiler::RecordScope phase;  // ember mem --plot cuts the mode's events from this span
  if (!options.phase.empty() && profiler::is_enabled()) phase.begin(profiler::Category::Phase, options.phase);
  const bool grad = mode == RunMode::TrainGrad || mode == RunMode::EvalGrad;
  // The grad modes record whatever the caller's grad mode is (as PyTorch's torch.enable_grad()
  // in a training step); inference mode was refused above.
  std::optional<EnableGradGuard> enable_grad;
  std::optional<NoGradGuard> no_grad;
  std::optional<InferenceModeGuard> inference;
  if (grad) enable_grad.emplace();
  if (mode == RunMode::EvalNoGrad) no_grad.emplace();
  if (mode == RunMode::EvalInferenceMode) inference.emplace();

  cuda::synchronize();  // the clock starts with the device idle (no-op without CUDA work)
  const auto t0 = Clock::now();
  std::optional<AutocastGuard> autocast;
  if (options.autocast) autocast.emplace(dev, *options.autocast);
  // model(input), not forward(): hooks and module spans as in a user's call.
  const Tensor output = options.forward ? options.forward(input) : model(input);
  Tensor loss = options.loss ? options.loss(output) : output.sum();
  autocast.reset();
  cuda::synchronize();
  r.forward_seconds = seconds_since(t0);
  r.forward_peak_bytes = max_allocated(dev) - r.base_bytes;
  const autograd::SavedTensorStats ledger = autograd::saved_tensor_stats();
  r.saved_bytes = ledger.current_bytes - r.saved_base_bytes;
  for (const auto& [scope, bytes] : ledger.bytes_by_scope) {  // this forward's, not a graph alive before
    const auto it = before.bytes_by_scope.find(scope);
    const int64_t added = bytes - (it == before.bytes_by_scope.end() ? 0 : it->second);
    if (added != 0) r.saved_by_module[scope] = added;
  }
  r.graph_nodes = autograd::count_graph_nodes(loss);
  if (grad && loss.requires_grad()) {  // a frozen model's loss has no graph: no backward to measure
    const auto t1 = Clock::now();
    loss.backward();
    cuda::synchronize();
    r.backward_seconds = seconds_since(t1);
    r.backward_peak_bytes = max_allocated(dev) - r.base_bytes;
  }
  model.zero_grad(true);
  return r;
}

std::vector<ModeMeasurement> measure_modes(nn::Module& model, const Tensor& input, const ModeMeasureOptions& options) {
  std::vector<ModeMeasurement> out;
  for (RunMode mode : {RunMode::TrainGrad, RunMode::EvalGrad, RunMode::EvalNoGrad, RunMode::EvalInferenceMode})
    out.push_back(measure_mode(model, input, mode, options));
  return out;
}

}  // namespace ember::memory
