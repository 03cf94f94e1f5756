// Volumetric pooling for nn::functional (torch.nn.functional's max_pool3d, avg_pool3d,
// adaptive_avg_pool3d, adaptive_max_pool3d): [N, C, D, H, W] or unbatched [C, D, H, W]
// inputs, pooled over (H, W) and then over D by the 2-D pooling (Note [Separable 3-D
// pooling] in nn/functional/pool3d.cpp), so every device, dtype and gradient of it holds.
#pragma once
#include <cstdint>
#include <optional>
#include <tuple>

#include "nn/functional/conv3d.h"

namespace ember::nn::functional {

// stride {} (the default) means stride = kernel; padding at most half the kernel;
// ceil_mode rounds the output sizes up. Max: padding is -inf, dilation spaces the taps.
Tensor max_pool3d(const Tensor& x, IntOrTriple kernel, IntOrTriple stride = {}, IntOrTriple padding = 0,
                  IntOrTriple dilation = 1, bool ceil_mode = false);
// return_indices=True: the output and each winner's flat index d * H * W + h * W + w in
// its [D, H, W] volume (int64), as PyTorch's.
std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& x, IntOrTriple kernel, IntOrTriple stride = {},
                                                   IntOrTriple padding = 0, IntOrTriple dilation = 1,
                                                   bool ceil_mode = false);
// Average: the divisor is the window clipped to the input and its padding
// (count_include_pad), or to the input alone, or divisor_override (nonzero) when given.
Tensor avg_pool3d(const Tensor& x, IntOrTriple kernel, IntOrTriple stride = {}, IntOrTriple padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
// Output [.., OD, OH, OW]; window i covers [floor(i*D/OD), ceil((i+1)*D/OD)) in each dim.
Tensor adaptive_avg_pool3d(const Tensor& x, IntOrTriple output_size);
Tensor adaptive_max_pool3d(const Tensor& x, IntOrTriple output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool3d_with_indices(const Tensor& x, IntOrTriple output_size);

}  // namespace ember::nn::functional
