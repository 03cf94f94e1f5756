// nn::functional::max_unpool2d (torch.nn.functional's): max pooling's partial inverse, each
// value written at its flat index (max_pool2d_with_indices') in a zero image.
#pragma once
#include <optional>

#include "nn/functional/conv.h"

namespace ember::nn::functional {

// x and indices [N, C, H, W] (or [C, H, W]), indices int64 flat h * W + w into each output
// plane. The output is [.., OH, OW] with OH = (H - 1) * stride - 2 * padding + kernel
// (stride {} means the kernel), or output_size ({OH, OW} or {N, C, OH, OW}), which must lie
// strictly within a stride of that size. Differentiable in x (the gradient is gathered at
// the indices); any device; the output in x's memory format.
Tensor max_unpool2d(const Tensor& x, const Tensor& indices, IntOrPair kernel_size, IntOrPair stride = {},
                    IntOrPair padding = 0, const std::optional<Dims>& output_size = std::nullopt);

}  // namespace ember::nn::functional
