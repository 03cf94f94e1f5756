// nn::functional::unfold / fold (torch.nn.functional's im2col and col2im): sliding blocks
// of a [N, C, H, W] (or unbatched [C, H, W]) input as columns, and columns summed back
// into an image, with PyTorch's arguments, shapes and error phrases.
#pragma once
#include "nn/functional/conv.h"

namespace ember::nn::functional {

// [N, C * KH * KW, L]: column l holds block l (row-major over the OH x OW block grid),
// channel-major then kernel row then column, as PyTorch's. Any dtype, any device;
// differentiable (each block is a strided slice; Note [Unfold and fold by slicing]).
Tensor unfold(const Tensor& x, IntOrPair kernel_size, IntOrPair dilation = 1, IntOrPair padding = 0,
              IntOrPair stride = 1);
// The adjoint of unfold: x [N, C * KH * KW, L] (or [C * KH * KW, L]) summed into
// [N, C, output_size] where blocks overlap; L must be the block count for output_size.
Tensor fold(const Tensor& x, IntOrPair output_size, IntOrPair kernel_size, IntOrPair dilation = 1,
            IntOrPair padding = 0, IntOrPair stride = 1);

}  // namespace ember::nn::functional
