// 1-D pooling for nn::functional (torch.nn.functional's max_pool1d, avg_pool1d,
// adaptive_avg_pool1d, adaptive_max_pool1d): [N, C, L] or unbatched [C, L] inputs, run by
// the 2-D pooling on a [.., 1, L] view, so every option, device and gradient of
// nn/functional/conv.h's pooling holds here too.
#pragma once
#include <cstdint>
#include <optional>
#include <tuple>

#include "core/tensor.h"

namespace ember::nn::functional {

// stride unset means stride = kernel_size; padding at most half the kernel; ceil_mode
// rounds the output length up. Max: padding is -inf, dilation spaces the taps.
Tensor max_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                  int64_t padding = 0, int64_t dilation = 1, bool ceil_mode = false);
// return_indices=True: the output and each winner's index along L (int64).
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int64_t kernel_size,
                                                   std::optional<int64_t> stride = std::nullopt, int64_t padding = 0,
                                                   int64_t dilation = 1, bool ceil_mode = false);
// Average: the divisor is the window clipped to the input and its padding
// (count_include_pad), or to the input alone.
Tensor avg_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                  int64_t padding = 0, bool ceil_mode = false, bool count_include_pad = true);
// Output [.., output_size]; window i covers [floor(i*L/out), ceil((i+1)*L/out)).
Tensor adaptive_avg_pool1d(const Tensor& x, int64_t output_size);
Tensor adaptive_max_pool1d(const Tensor& x, int64_t output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& x, int64_t output_size);

}  // namespace ember::nn::functional
