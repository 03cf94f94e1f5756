// MemoryFormat (PyTorch's torch.memory_format): how a dense 4-D [N, C, H, W] tensor
// lays out its elements, row-major NCHW (Contiguous) or NHWC (ChannelsLast), plus the
// stride rules behind Tensor::is_contiguous(format), contiguous(format) and
// suggest_memory_format(). Size-1 dims are ignored where PyTorch ignores them.
#pragma once
#include <ostream>

#include "core/shape.h"

namespace ember {

enum class MemoryFormat {
  Contiguous,    // row-major (torch.contiguous_format)
  ChannelsLast,  // NHWC order of a 4-D NCHW tensor (torch.channels_last)
  Preserve,      // keep the source's format (torch.preserve_format), which ember reads
                 // as the source's Tensor::suggest_memory_format()
};

// "torch.contiguous_format", "torch.channels_last", "torch.preserve_format"
std::ostream& operator<<(std::ostream& os, MemoryFormat format);

// PyTorch's dense NHWC strides of a 4-D shape: [C*H*W, 1, W*C, C] (sizes taken as they
// are, so a size-0 dim zeroes the strides outside it). Other ranks are an error.
Dims channels_last_strides(const Dims& sizes);
// The dense strides of `format` (Contiguous or ChannelsLast) for `sizes`.
Dims memory_format_strides(const Dims& sizes, MemoryFormat format);

// is_contiguous(ChannelsLast): 4-D, and each dim of size != 1, taken in the order
// C, W, H, N, has exactly the stride of a dense NHWC layout (size-1 dims are ignored).
bool is_channels_last_contiguous_layout(const Dims& sizes, const Dims& strides);
// Whether the strides *look* NHWC even if not dense (a channels-last tensor sliced in
// H or W): PyTorch's is_channels_last_strides_2d, which decides suggest_memory_format.
// Ambiguous cases (C has stride 0, N111 tensors, a size-0 dim) say no: NCHW wins.
bool looks_channels_last(const Dims& sizes, const Dims& strides);

}  // namespace ember
