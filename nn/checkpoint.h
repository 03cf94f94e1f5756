// checkpoint_sequential, as torch.utils.checkpoint.checkpoint_sequential: a Sequential
// run in segments, each but the last under utils::checkpoint (Note [Activation
// checkpointing] in autograd/checkpoint.h), so only the segments' inputs are kept.
#pragma once
#include <cstdint>
#include <memory>

#include "autograd/checkpoint.h"
#include "nn/container.h"

namespace ember::utils {

// Splits `model`'s children into `segments` runs of size()/segments (the last takes the
// rest), checkpoints all but the last and returns the output; `model` is kept alive by
// the graph until backward. segments must be in [1, size()].
Tensor checkpoint_sequential(const std::shared_ptr<nn::Sequential>& model, int64_t segments, const Tensor& input,
                             CheckpointOptions options = {});

}  // namespace ember::utils
