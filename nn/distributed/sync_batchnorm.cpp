// nn::SyncBatchNorm: when it synchronises (training, a process group of several), and
// convert_sync_batchnorm's swap of BatchNorm layers that keeps their tensors.
#include "nn/distributed/sync_batchnorm.h"

#include "core/grad_mode.h"
#include "nn/distributed/process_group.h"
#include "nn/lazy.h"

namespace ember::nn {

SyncBatchNorm::SyncBatchNorm(int64_t c, BatchNormOptions opts) : BatchNormBase("SyncBatchNorm", c, opts) {}

void SyncBatchNorm::check_input(const Tensor& input) const {
  EMBER_CHECK(input.dim() >= 2, "expected at least 2D input (got ", input.dim(), "D input)");
}

Tensor SyncBatchNorm::forward(const Tensor& input) {
  const bool synced = is_training() && distributed::is_initialized() && distributed::world_size() > 1;
  if (!synced) return BatchNormBase::forward(input);  // Note [Synchronised batch statistics]
  check_input_and_channels(input);
  if (options.track_running_stats) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1);
  }
  return functional::sync_batch_norm(input, running_mean, running_var, weight, bias, momentum(), options.eps,
                                     num_batches_tracked);
}

std::shared_ptr<Module> SyncBatchNorm::convert_sync_batchnorm(const std::shared_ptr<Module>& module) {
  EMBER_CHECK(module != nullptr, "SyncBatchNorm::convert_sync_batchnorm: expected a module, got nullptr");
  EMBER_CHECK(module->type_name().rfind("LazyBatchNorm", 0) != 0, "SyncBatchNorm::convert_sync_batchnorm: ",
              module->type_name(),
              " has uninitialized parameters; run a forward pass (a dummy batch) first to size them");
  const auto* bn = module_as<const BatchNormBase>(*module);  // an initialized lazy one too
  if (bn && !dynamic_cast<const SyncBatchNorm*>(bn)) {
    auto sync = std::make_shared<SyncBatchNorm>(bn->num_features, bn->options);
    // The same tensors, not copies: optimizers and state_dict keys see no change.
    sync->weight = bn->weight;
    sync->bias = bn->bias;
    sync->running_mean = bn->running_mean;
    sync->running_var = bn->running_var;
    sync->num_batches_tracked = bn->num_batches_tracked;
    sync->set_momentum(bn->momentum());
    sync->train(bn->is_training());
    sync->set_eval_on_purpose(bn->eval_on_purpose());
    return sync;
  }
  for (const auto& [name, child] : module->named_children()) {
    std::shared_ptr<Module> converted = convert_sync_batchnorm(child);
    if (converted != child) module->replace_module(name, std::move(converted));
  }
  return module;
}

}  // namespace ember::nn
