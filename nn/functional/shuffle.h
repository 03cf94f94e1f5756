// nn::functional::pixel_shuffle / pixel_unshuffle / channel_shuffle (torch.nn.functional's):
// channel blocks moved into space and back, and channel groups interleaved, as reshape and
// permute of the input; any leading batch dims, any dtype and device, PyTorch's error phrases.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember::nn::functional {

// [*, C * r * r, H, W] -> [*, C, H * r, W * r]: out[.., c, h * r + i, w * r + j] is
// x[.., c * r * r + i * r + j, h, w]. upscale_factor r > 0.
Tensor pixel_shuffle(const Tensor& x, int64_t upscale_factor);
// The inverse: [*, C, H * r, W * r] -> [*, C * r * r, H, W]; H and W divisible by r.
Tensor pixel_unshuffle(const Tensor& x, int64_t downscale_factor);
// [N, C, *] with C = groups * k: channel g * k + i moves to i * groups + g (ShuffleNet's
// shuffle). At least 3 dims, as torch 1.13's.
Tensor channel_shuffle(const Tensor& x, int64_t groups);

}  // namespace ember::nn::functional
