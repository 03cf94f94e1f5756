// torch.optim.swa_utils: AveragedModel (SWA's running mean of the weights, or an EMA with
// get_ema_avg_fn), the SWALR schedule, and update_bn (Note [Averaged weights]).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/data/dataloader.h"
#include "nn/module.h"
#include "nn/optim/scheduler.h"

namespace ember::optim::swa_utils {

// Note [Averaged weights]
// As PyTorch 2's torch.optim.swa_utils. AveragedModel keeps a copy of a model whose
// parameters (and, with use_buffers, buffers) average the model's over update_parameters
// calls: the first copies them, each later one applies avg_fn(averaged, current,
// n_averaged) in place (default: the running mean averaged + (current - averaged) /
// (n + 1); get_ema_avg_fn(decay): decay * averaged + (1 - decay) * current, PyTorch 2's
// EMA). ember modules have no deepcopy, so the copy is a second instance of the
// architecture that the caller makes; the constructor loads the model's state into it
// (strict: the same keys and shapes), as deepcopy would have left it. The buffer
// n_averaged (int64, 0-dim) and the state-dict keys "n_averaged", "module.<name>" are
// PyTorch's. Averaging runs on the copy's devices without recording; reading n_averaged
// (to tell the first call) is one host read per call, as PyTorch's. Without use_buffers
// each call copies the model's buffers into the copy (PyTorch 2's; 1.13 left them as at
// construction): update_bn recomputes the BatchNorm statistics for the averaged weights
// (one pass over the data in training mode with a cumulative average, momentum restored
// after).
using AvgFn = std::function<Tensor(const Tensor& averaged, const Tensor& current, const Tensor& num_averaged)>;

// PyTorch 2's get_ema_avg_fn: decay * averaged + (1 - decay) * current.
AvgFn get_ema_avg_fn(double decay = 0.999);

struct AveragedModelOptions {
  std::optional<Device> device = std::nullopt;  // where the copy lives (default: where it is)
  AvgFn avg_fn = nullptr;                      // empty: the running mean
  bool use_buffers = false;                    // average buffers too (else update_bn recomputes them)
};

class AveragedModel : public nn::Module {
 public:
  // `copy`: a fresh instance of `model`'s architecture (see Note [Averaged weights]).
  AveragedModel(const nn::Module& model, std::shared_ptr<nn::Module> copy, AveragedModelOptions options = {});
  Tensor forward(const Tensor& input) override { return call_child("module", *module, input); }
  // Averages `model`'s parameters (and buffers, with use_buffers) into the copy's.
  void update_parameters(const nn::Module& model);
  int64_t n_averaged() const;

  const std::shared_ptr<nn::Module> module;

 private:
  AveragedModelOptions options_;
  Tensor& n_averaged_;
};

// PyTorch's SWALR: from each group's lr at construction to swa_lr over anneal_epochs
// steps, by the cosine (1 - cos(pi t)) / 2 or linearly, then swa_lr. One swa_lr for every
// group, or one per group.
class SWALR : public LRScheduler {
 public:
  SWALR(Optimizer& optimizer, double swa_lr, int64_t anneal_epochs = 10, const std::string& anneal_strategy = "cos");
  SWALR(Optimizer& optimizer, std::vector<double> swa_lrs, int64_t anneal_epochs = 10,
        const std::string& anneal_strategy = "cos");

 private:
  double lr_at(size_t group, double base, int64_t epoch) const override;
  std::optional<double> base_for(size_t group, double lr, int64_t epoch) const override;
  double alpha_at(int64_t epoch) const;  // the blend's weight of swa_lr
  double swa_lr(size_t group) const;
  std::vector<double> swa_lrs_;
  int64_t anneal_epochs_;
  bool cosine_;
};

// Recomputes every BatchNorm's running statistics of `model` from one pass over `loader`
// (its batches' x, moved to `device` when given) under no_grad, as PyTorch's update_bn.
void update_bn(data::DataLoader& loader, nn::Module& model, std::optional<Device> device = std::nullopt);
// The same over given input batches.
void update_bn(const std::vector<Tensor>& inputs, nn::Module& model, std::optional<Device> device = std::nullopt);

}  // namespace ember::optim::swa_utils
