// Volumetric convolution for nn::functional (torch.nn.functional's conv3d and
// conv_transpose3d): [N, C, D, H, W] or unbatched [C, D, H, W] inputs, run by the 2-D
// convolution with depth folded into the batch and the channels (Note [3-D by folding
// depth] in nn/functional/conv3d.cpp), so every device, dtype and gradient of conv2d holds.
#pragma once
#include <cstdint>

#include "nn/functional/conv.h"

namespace ember::nn {

// A 3-D size given as one integer (used for all three) or as {depth, height, width};
// converts to Dims. Lets the 3-D layers' options read `.stride = 2` or `.padding = {0, 1, 1}`.
// one_int remembers the spelling for the pooling reprs, as Pair's; == compares the sizes.
struct Triple {
  Triple(int64_t all) : d(all), h(all), w(all), one_int(true) {}  // NOLINT: implicit on purpose
  Triple(int64_t depth, int64_t height, int64_t width) : d(depth), h(height), w(width) {}
  operator Dims() const { return {d, h, w}; }  // NOLINT
  bool operator==(const Triple& o) const { return d == o.d && h == o.h && w == o.w; }
  int64_t d, h, w;
  bool one_int = false;
};

}  // namespace ember::nn

namespace ember::nn::functional {

// A functional 3-D size: one integer or {d, h, w} (IntOrPair holds any Dims).
using IntOrTriple = IntOrPair;

// x [N, C, D, H, W] or [C, D, H, W]; w [O, C/groups, KD, KH, KW]; b [O] or undefined.
// padding: one integer, {d, h, w}, kSame (stride 1) or kValid.
Tensor conv3d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), IntOrTriple stride = 1,
              ConvPadding padding = 0, IntOrTriple dilation = 1, int64_t groups = 1);

// The transposed convolution (PyTorch's argument order): x [N, Cin, D, H, W] or
// [Cin, D, H, W]; w [Cin, Cout/groups, KD, KH, KW]; each output size (in - 1) * stride -
// 2 * padding + dilation * (k - 1) + output_padding + 1, output_padding below the stride
// (PyTorch also takes one below the dilation alone; that is a clear error here).
Tensor conv_transpose3d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), IntOrTriple stride = 1,
                        IntOrTriple padding = 0, IntOrTriple output_padding = 0, int64_t groups = 1,
                        IntOrTriple dilation = 1);

}  // namespace ember::nn::functional
