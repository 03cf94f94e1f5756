// CPU kernel behind nn::functional dropout: turns uniform draws into the scaled keep
// mask in place (one pass instead of compare, convert and scale).
#pragma once
#include "core/tensor.h"

namespace ember::nn::functional::detail {

// u (contiguous float, uniform in [0, 1)) becomes u >= p ? 1 / (1 - p) : 0, in place.
void dropout_mask_cpu_(const Tensor& u, double p);

}  // namespace ember::nn::functional::detail
