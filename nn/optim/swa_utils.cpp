// AveragedModel, SWALR and update_bn (Note [Averaged weights] in nn/optim/swa_utils.h).
#include "nn/optim/swa_utils.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/batchnorm.h"
#include "nn/lazy.h"
#include "nn/module_state.h"
#include "nn/optim/scheduler_state.h"

namespace ember::optim::swa_utils {

AvgFn get_ema_avg_fn(double decay) {
  EMBER_CHECK(decay >= 0 && decay <= 1, "get_ema_avg_fn: expected a decay in [0, 1], got ", decay);
  return [decay](const Tensor& averaged, const Tensor& current, const Tensor&) {
    return averaged * decay + current * (1 - decay);
  };
}

namespace {
// The tensors update_parameters averages, in order: parameters, then buffers when asked,
// every slot (a tied weight under each of its names), so a model tied after it was made
// pairs slot by slot with an untied copy (PyTorch's deepcopy keeps the tie instead).
std::vector<Tensor> averaged_tensors(const nn::Module& m, bool use_buffers) {
  std::vector<Tensor> out;
  for (const auto& [_, p] : m.named_parameters(true, /*remove_duplicate=*/false)) out.push_back(p);
  if (use_buffers)
    for (const auto& [_, b] : m.named_buffers(true, /*remove_duplicate=*/false)) out.push_back(b);
  return out;
}
}  // namespace

AveragedModel::AveragedModel(const nn::Module& model, std::shared_ptr<nn::Module> copy, AveragedModelOptions options)
    : nn::Module("AveragedModel"),
      module(std::move(copy)),
      options_(std::move(options)),
      n_averaged_(register_buffer("n_averaged", zeros(Dims{}, TensorOptions(kInt64)))) {
  EMBER_CHECK(module != nullptr, "AveragedModel: expected a fresh instance of the model's architecture, got nullptr");
  EMBER_CHECK(module.get() != &model,
              "AveragedModel: expected a second instance of the model's architecture, got the model itself");
  register_module("module", module);
  module->load_state_dict(nn::detail::state_dict_without_hooks(model), /*strict=*/true);
  if (options_.device) {
    module->to(*options_.device);
    n_averaged_ = n_averaged_.to(*options_.device);
  }
}

int64_t AveragedModel::n_averaged() const { return n_averaged_.item<int64_t>(); }

void AveragedModel::update_parameters(const nn::Module& model) {
  const std::vector<Tensor> mine = averaged_tensors(*module, options_.use_buffers);
  const std::vector<Tensor> theirs = averaged_tensors(model, options_.use_buffers);
  EMBER_CHECK(mine.size() == theirs.size(), "AveragedModel.update_parameters: expected a model with ", mine.size(),
              options_.use_buffers ? " parameters and buffers" : " parameters", " (the averaged copy's), got ",
              theirs.size());
  NoGradGuard no_grad;
  const bool first = n_averaged() == 0;
  for (size_t i = 0; i < mine.size(); ++i) {
    EMBER_CHECK(mine[i].sizes() == theirs[i].sizes(), "AveragedModel.update_parameters: tensor ", i,
                " has shape ", theirs[i].sizes(), " in the model, expected ", mine[i].sizes());
  }
  for (size_t i = 0; i < mine.size(); ++i) {
    bool seen = false;  // a tensor tied in the copy too is averaged once, from its first slot
    for (size_t j = 0; j < i && !seen; ++j) seen = mine[j].is_same(mine[i]);
    if (seen) continue;
    Tensor averaged = mine[i];
    const Tensor current = theirs[i].detach().to(averaged.device());
    if (first) {
      averaged.copy_(current);
    } else if (options_.avg_fn) {
      averaged.copy_(options_.avg_fn(averaged.detach(), current, n_averaged_.to(averaged.device())));
    } else if (averaged.is_floating_point()) {
      averaged.copy_(averaged + (current - averaged) / (n_averaged_.to(averaged.device()) + 1));
    } else {  // num_batches_tracked with use_buffers: PyTorch's float mean, truncated
      averaged.copy_(averaged.to(kFloat64) + (current.to(kFloat64) - averaged.to(kFloat64)) /
                                                 (n_averaged_.to(averaged.device()) + 1));
    }
  }
  if (!options_.use_buffers) {
    // PyTorch 2's: buffers not averaged follow the model's (BatchNorm statistics included)
    const std::vector<Tensor> my_buffers = module->buffers(), their_buffers = model.buffers();
    EMBER_CHECK(my_buffers.size() == their_buffers.size(), "AveragedModel.update_parameters: expected a model with ",
                my_buffers.size(), " buffers (the averaged copy's), got ", their_buffers.size());
    for (size_t i = 0; i < my_buffers.size(); ++i) {
      if (!my_buffers[i].defined() || !their_buffers[i].defined()) continue;
      EMBER_CHECK(my_buffers[i].sizes() == their_buffers[i].sizes(), "AveragedModel.update_parameters: buffer ", i,
                  " has shape ", their_buffers[i].sizes(), " in the model, expected ", my_buffers[i].sizes());
      Tensor mine_buffer = my_buffers[i];
      mine_buffer.copy_(their_buffers[i].detach().to(mine_buffer.device()));
    }
  }
  n_averaged_.add_(1);
}

SWALR::SWALR(Optimizer& optimizer, double swa_lr, int64_t anneal_epochs, const std::string& anneal_strategy)
    : SWALR(optimizer, std::vector<double>(optimizer.num_param_groups(), swa_lr), anneal_epochs, anneal_strategy) {}

SWALR::SWALR(Optimizer& optimizer, std::vector<double> swa_lrs, int64_t anneal_epochs,
             const std::string& anneal_strategy)
    : LRScheduler(optimizer),
      swa_lrs_(detail::per_group("swa_lr", optimizer.num_param_groups(), swa_lrs, /*list=*/true)),
      anneal_epochs_(anneal_epochs) {
  for (double lr : swa_lrs_) EMBER_CHECK(std::isfinite(lr) && lr >= 0, "SWALR: expected swa_lr >= 0, got ", lr);
  EMBER_CHECK(anneal_strategy == "cos" || anneal_strategy == "linear",
              "anneal_strategy must by one of 'cos' or 'linear', instead got ", anneal_strategy);
  EMBER_CHECK(anneal_epochs >= 0, "anneal_epochs must be equal or greater than 0, got ", anneal_epochs);
  cosine_ = anneal_strategy == "cos";
  start();
}

// PyTorch's get_lr inverts the previous step's blend to find the lr it started from; as
// long as nothing else changes the lr that is the group's lr at construction, so epoch k's
// lr is the blend at t = k / anneal_epochs (clamped to [0, 1]; anneal_epochs 0: swa_lr);
// where something else changed it, base_for rebases.
double SWALR::alpha_at(int64_t epoch) const {
  const int64_t step = anneal_epochs_ == 0 ? std::max<int64_t>(1, epoch) : epoch;
  const double t = std::clamp(static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, anneal_epochs_)),
                              0.0, 1.0);
  return cosine_ ? (1 - std::cos(std::numbers::pi * t)) / 2 : t;
}

double SWALR::swa_lr(size_t group) const { return group < swa_lrs_.size() ? swa_lrs_[group] : swa_lrs_.back(); }

double SWALR::lr_at(size_t group, double base, int64_t epoch) const {
  const double alpha = alpha_at(epoch);
  return swa_lr(group) * alpha + base * (1 - alpha);
}

// The blend solved for its base (Note [Chainable schedules]): PyTorch's get_lr starts each
// step from the group's current lr, so an lr changed by another schedule (the cosine an
// SWA recipe runs before SWALR takes over) is carried on. Once annealed (alpha 1) no base
// gives the lr, and the lr is swa_lr from there on.
std::optional<double> SWALR::base_for(size_t group, double lr, int64_t epoch) const {
  const double alpha = alpha_at(epoch);
  if (alpha >= 1.0) return std::nullopt;
  return (lr - swa_lr(group) * alpha) / (1 - alpha);
}

namespace {
template <typename ForEachInput>
void recompute_batch_norm_statistics(nn::Module& model, ForEachInput&& for_each_input) {
  std::vector<std::pair<nn::BatchNormBase*, std::optional<double>>> momenta;
  for (auto& [_, m] : model.named_modules()) {
    auto* bn = nn::module_as<nn::BatchNormBase>(*m);  // an initialized lazy one too
    if (bn == nullptr || !bn->running_mean.defined()) continue;
    momenta.emplace_back(bn, bn->momentum());
  }
  if (momenta.empty()) return;
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.train();
  for (auto& [bn, _] : momenta) {
    bn->running_mean.zero_();
    bn->running_var.fill_(1);
    bn->num_batches_tracked.zero_();
    bn->set_momentum(std::nullopt);
  }
  try {
    for_each_input([&](const Tensor& x) { model(x); });
  } catch (...) {
    for (auto& [bn, momentum] : momenta) bn->set_momentum(momentum);
    model.train(was_training);
    throw;
  }
  for (auto& [bn, momentum] : momenta) bn->set_momentum(momentum);
  model.train(was_training);
}
}  // namespace

void update_bn(data::DataLoader& loader, nn::Module& model, std::optional<Device> device) {
  recompute_batch_norm_statistics(model, [&](const auto& run) {
    for (auto& batch : loader) run(device ? batch.x.to(*device) : batch.x);
  });
}

void update_bn(const std::vector<Tensor>& inputs, nn::Module& model, std::optional<Device> device) {
  recompute_batch_norm_statistics(model, [&](const auto& run) {
    for (const Tensor& x : inputs) run(device ? x.to(*device) : x);
  });
}

}  // namespace ember::optim::swa_utils
