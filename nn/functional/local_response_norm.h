// nn::functional::local_response_norm (torch.nn.functional's, AlexNet's normalization
// across channels): x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember::nn::functional {

// x [N, C, *] (at least 3 dims). The window of channel c spans channels
// [c - size / 2, c + (size - 1) / 2], zero past the ends, the mean always divided by
// `size`, as PyTorch's. Differentiable, any device; an empty x is returned as is.
Tensor local_response_norm(const Tensor& x, int64_t size, double alpha = 1e-4, double beta = 0.75, double k = 1.0);

}  // namespace ember::nn::functional
