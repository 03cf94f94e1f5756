// nn::functional::affine_grid and grid_sample (torch.nn.functional's spatial transformer
// pair): sampling grids from batches of affine matrices, and an image sampled at a grid's
// points, bilinear, nearest or bicubic, with PyTorch's padding modes, align_corners and errors.
#pragma once
#include <string>

#include "core/tensor.h"

namespace ember::nn::functional {

// theta [N, 2, 3] and size {N, C, H, W} -> grid [N, H, W, 2]; theta [N, 3, 4] and size
// {N, C, D, H, W} -> [N, D, H, W, 3]. Point (x, y[, z]) = theta @ (x0, y0[, z0], 1) for the
// base grid's normalized coordinates in [-1, 1] (pixel centres unless align_corners, as
// PyTorch's). Differentiable in theta; float theta only.
Tensor affine_grid(const Tensor& theta, const Dims& size, bool align_corners = false);

// input [N, C, H, W], grid [N, Ho, Wo, 2] of (x, y) in [-1, 1] (-1 the left/top edge:
// the first pixel's centre with align_corners, its outer edge without) -> [N, C, Ho, Wo].
// mode "bilinear", "nearest" (ties to even, as PyTorch's nearbyint) or "bicubic"; padding_mode for
// points outside the image: "zeros", "border" (clamped to the edge pixels) or
// "reflection" (mirrored at the edges, then clamped). Gradients reach the input and, for
// bilinear and bicubic, the grid (nearest gives the grid zeros), as PyTorch's. float32/float64,
// same dtype and device for both; 4-D only (no 5-D volumes).
Tensor grid_sample(const Tensor& input, const Tensor& grid, const std::string& mode = "bilinear",
                   const std::string& padding_mode = "zeros", bool align_corners = false);

}  // namespace ember::nn::functional
