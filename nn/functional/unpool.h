// nn::functional::max_unpool1d/2d/3d (torch.nn.functional's): max pooling's partial inverse,
// each value written at its index (max_pool*_with_indices') in a zero output.
#pragma once
#include <optional>

#include "nn/functional/conv.h"
#include "nn/functional/conv3d.h"

namespace ember::nn::functional {

// x and indices [N, C, H, W] (or [C, H, W]), indices int64 flat h * W + w into each output
// plane. The output is [.., OH, OW] with OH = (H - 1) * stride - 2 * padding + kernel
// (stride {} means the kernel), or output_size ({OH, OW} or {N, C, OH, OW}), which must lie
// strictly within a stride of that size. Differentiable in x (the gradient is gathered at
// the indices); any device; the output in x's memory format.
Tensor max_unpool2d(const Tensor& x, const Tensor& indices, IntOrPair kernel_size, IntOrPair stride = {},
                    IntOrPair padding = 0, const std::optional<Dims>& output_size = std::nullopt);
// The same along L: x and indices [N, C, L] or [C, L] (indices into each output row);
// output_size {OL} or {N, C, OL}.
Tensor max_unpool1d(const Tensor& x, const Tensor& indices, int64_t kernel_size,
                    std::optional<int64_t> stride = std::nullopt, int64_t padding = 0,
                    const std::optional<Dims>& output_size = std::nullopt);
// And over volumes: x and indices [N, C, D, H, W] or [C, D, H, W], indices flat
// d * OH * OW + h * OW + w; output_size {OD, OH, OW} or {N, C, OD, OH, OW}.
Tensor max_unpool3d(const Tensor& x, const Tensor& indices, IntOrTriple kernel_size, IntOrTriple stride = {},
                    IntOrTriple padding = 0, const std::optional<Dims>& output_size = std::nullopt);

}  // namespace ember::nn::functional
