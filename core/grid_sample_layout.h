// grid_sample's kernel layout (DeviceOps::grid_sample_forward/backward in core/dispatch.h):
// the operands' sizes and strides, the mode, padding and align_corners. The element math
// is core/grid_sample_math.h, included only by the kernels.
#pragma once
#include <cstdint>

#include "core/macros.h"

namespace ember {

enum class GridSampleMode : int { Bilinear, Nearest, Bicubic };
enum class GridSamplePadding : int { Zeros, Border, Reflection };

// input [N, C, H, W] and grid [N, Ho, Wo, 2] with any strides (in elements); the output
// [N, C, Ho, Wo] is contiguous.
struct GridSampleLayout {
  int64_t N = 0, C = 0, H = 0, W = 0, Ho = 0, Wo = 0;
  int64_t input_stride[4] = {};
  int64_t grid_stride[4] = {};
  GridSampleMode mode = GridSampleMode::Bilinear;
  GridSamplePadding padding = GridSamplePadding::Zeros;
  bool align_corners = false;

  EMBER_HD int64_t points() const { return N * Ho * Wo; }
};

}  // namespace ember
