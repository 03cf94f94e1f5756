// Power-average pooling for nn::functional (torch.nn.functional's lp_pool1d, lp_pool2d and
// lp_pool3d): (sum over the window of x^p)^(1/p), composed as PyTorch composes it, so every
// device, dtype and gradient of the average pooling holds.
#pragma once
#include <cstdint>
#include <optional>

#include "nn/functional/conv3d.h"

namespace ember::nn::functional {

// PyTorch's composition: out = avg_pool(x^p) over windows of the kernel (stride: the kernel
// when not given; no padding), then (sign(out) * relu(|out|) * window size)^(1/p). norm_type
// p must be finite and nonzero (p = 1 is sum pooling; a large p tends to max pooling).
// x: [N, C, L] or [C, L] (1d), [N, C, H, W] or [C, H, W] (2d), [N, C, D, H, W] or
// [C, D, H, W] (3d).
Tensor lp_pool1d(const Tensor& x, double norm_type, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                 bool ceil_mode = false);
Tensor lp_pool2d(const Tensor& x, double norm_type, IntOrPair kernel_size, IntOrPair stride = {},
                 bool ceil_mode = false);
Tensor lp_pool3d(const Tensor& x, double norm_type, IntOrTriple kernel_size, IntOrTriple stride = {},
                 bool ceil_mode = false);

}  // namespace ember::nn::functional
