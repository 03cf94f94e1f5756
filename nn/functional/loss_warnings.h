// PyTorch's UserWarnings of the losses (a target of another size than the input; kl_div's
// "mean"), each logged once per call site, as Python's warnings filter shows them.
#pragma once
#include <mutex>

#include "core/logging.h"
#include "core/shape.h"

namespace ember::nn::functional::detail {

// mse_loss, l1_loss, smooth_l1_loss and huber_loss broadcast a target of another size,
// which is rarely what was meant (a [N, 1] output against an [N] target gives N x N terms).
inline void warn_target_size(std::once_flag& once, const Dims& input, const Dims& target) {
  if (input == target) return;
  std::call_once(once, [&] {
    logging::warn("Using a target size ({}) that is different to the input size ({}). This will likely lead to "
                  "incorrect results due to broadcasting. Please ensure they have the same size.",
                  target, input);
  });
}

}  // namespace ember::nn::functional::detail
