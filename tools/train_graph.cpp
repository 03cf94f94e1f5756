// `ember train --cuda-graph`: flag checks and the graphed training step (Note [ember
// train with a CUDA graph] in tools/train_graph.h).
#include "tools/train_graph.h"

#include <optional>

#include "core/autocast.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "nn/functional/loss.h"
#include "tools/train_optimizer.h"

namespace ember::tools {

bool use_cuda_graph(CudaGraphFlag flag, Device dev, const std::string& static_reason) {
  if (flag == CudaGraphFlag::Off) return false;
  if (flag == CudaGraphFlag::Auto) return dev.is_cuda() && static_reason.empty();
  EMBER_CHECK(dev.is_cuda(), "--cuda-graph: a CUDA graph needs --device cuda, but the device is ", dev.str(),
              " (drop --cuda-graph to train on it)");
  EMBER_CHECK(static_reason.empty(), "--cuda-graph: the training step is not static: ", static_reason,
              " (use --no-cuda-graph)");
  return true;
}

GraphedTraining::GraphedTraining(nn::Module& model, optim::Optimizer& optimizer, Device dev, bool amp,
                                 bool fall_back)
    : model_(model),
      optimizer_(optimizer),
      loss_sum_(zeros({}, TensorOptions(kFloat64).device(dev))),
      amp_(amp),
      fall_back_(fall_back),
      graphed_([this](const std::vector<Tensor>& in) { step(in[0], in[1]); }, kWarmupSteps,
               "ember train's step") {
  make_capturable(optimizer);
}

void GraphedTraining::step(const Tensor& x, const Tensor& y, bool set_to_none) {
  optimizer_.zero_grad(set_to_none);
  Tensor loss;
  {
    std::optional<AutocastGuard> autocast;  // as EpochRun::step: forward and loss only
    if (amp_) autocast.emplace(x.device(), kBFloat16);
    loss = nn::functional::cross_entropy(model_(x), y);
  }
  loss.backward();
  optimizer_.step();
  NoGradGuard no_grad;
  loss_sum_.add_(loss.detach());
}

void GraphedTraining::full_batch(const Tensor& x, const Tensor& y) {
  if (eager_) return step(x, y);
  try {
    graphed_({x, y});
  } catch (const Error& e) {
    if (!fall_back_ || !graphed_.capture_failed()) throw;
    logging::warn("{}; training goes on eagerly (--no-cuda-graph does so from the start)", e.what());
    eager_ = true;
    step(x, y);  // the failed capture ran nothing: this batch's step
  }
}

void GraphedTraining::partial_batch(const Tensor& x, const Tensor& y) { step(x, y, /*set_to_none=*/false); }

double GraphedTraining::read_loss_sum() const { return loss_sum_.item<double>(); }

void GraphedTraining::reset_loss_sum() { loss_sum_.zero_(); }

}  // namespace ember::tools
