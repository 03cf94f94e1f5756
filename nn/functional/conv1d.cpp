// nn::functional::conv1d and conv_transpose1d: [N, C, L] (or unbatched [C, L]) inputs run
// as [N, C, 1, L] views through conv2d and conv_transpose2d, so they share those ops'
// kernels, gradients and double backward; the 1-D checks and messages are PyTorch's.
#include "nn/functional/conv.h"

#include <string>

namespace ember::nn::functional {
namespace {

// The 1-D checks, made before the 2-D op so messages name the caller's op and shapes (in
// PyTorch's order: groups before the channels). The weight's dtype against x's is left to
// the 2-D op, after autocast's casts.
void check_1d(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups, bool transposed) {
  EMBER_CHECK(x.dim() == 2 || x.dim() == 3, "Expected 2D (unbatched) or 3D (batched) input to ", op,
              ", but got input of size: ", x.sizes());
  EMBER_CHECK(w.dim() == 3, "Expected 3-dimensional weight for 3-dimensional input ", x.sizes(), ", but got ",
              w.dim(), "-dimensional weight of size ", w.sizes(), " instead");
  EMBER_CHECK(groups > 0, "non-positive groups is not supported");
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a float32, float64, bfloat16 or float16 input, but got ",
              dtype_name(x.dtype()));
  const int64_t in_channels = transposed ? w.size(0) : w.size(1) * groups;
  EMBER_CHECK(x.size(-2) == in_channels, "Given ", transposed ? "transposed=1" : "groups=" + std::to_string(groups),
              ", weight of size ", w.sizes(), ", expected input", x.sizes(), " to have ", in_channels,
              " channels, but got ", x.size(-2), " channels instead");
  const int64_t out_channels = transposed ? w.size(1) * groups : w.size(0);
  EMBER_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == out_channels), "Given ", transposed ? "transposed=1, " : "",
              "weight of size ", w.sizes(), ", expected bias to be 1-dimensional with ", out_channels,
              " elements, but got bias of size ", b.sizes(), " instead");
}

// x as [N, C, 1, L] (unbatched: [1, C, 1, L]); the op's 4-D output back to x's rank.
Tensor as_2d(const Tensor& x) { return x.dim() == 2 ? x.unsqueeze(0).unsqueeze(2) : x.unsqueeze(2); }
Tensor from_2d(const Tensor& out, const Tensor& x) { return x.dim() == 2 ? out.squeeze(2).squeeze(0) : out.squeeze(2); }

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride, ConvPadding padding_in,
              int64_t dilation, int64_t groups) {
  check_1d("conv1d", x, w, b, groups, false);
  if (padding_in.same)
    return from_2d(conv2d(as_2d(x), w.unsqueeze(2), b, Dims{1, stride}, kSame, Dims{1, dilation}, groups), x);
  const Dims& sizes = padding_in.size;
  EMBER_CHECK(sizes.size() == 1, "conv1d: expected padding to be a single integer, but got ", sizes);
  const int64_t padding = sizes[0];
  if (stride > 0 && padding >= 0 && dilation > 0 && w.size(2) > 0) {
    const int64_t L = x.size(-1), K = w.size(2);
    EMBER_CHECK(L + 2 * padding >= dilation * (K - 1) + 1, "Calculated padded input size per channel: (",
                L + 2 * padding, "). Kernel size: (", dilation * (K - 1) + 1,
                "). Kernel size can't be greater than actual input size");
  }
  return from_2d(conv2d(as_2d(x), w.unsqueeze(2), b, Dims{1, stride}, Dims{0, padding}, Dims{1, dilation}, groups), x);
}

Tensor conv_transpose1d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride, int64_t padding,
                        int64_t output_padding, int64_t groups, int64_t dilation) {
  check_1d("conv_transpose1d", x, w, b, groups, true);
  return from_2d(conv_transpose2d(as_2d(x), w.unsqueeze(2), b, Dims{1, stride}, Dims{0, padding},
                                  Dims{0, output_padding}, groups, Dims{1, dilation}),
                 x);
}

}  // namespace ember::nn::functional
