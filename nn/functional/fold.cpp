// unfold and fold composed of pad, strided slices, stack and adds, so they are exact
// copies (and sums) on every device and differentiate twice.
//
// Note [Unfold and fold by slicing]
// Block (i, j) of the kernel meets the padded input at rows i * dilation + stride * r and
// columns j * dilation + stride * c for the block grid (r, c): one strided slice. unfold
// stacks the KH * KW slices (a copy each; no arithmetic, so no rounding and no TF32, which
// an identity-kernel convolution would bring on CUDA); fold spreads each kernel position's
// columns to the stride, pads them into place, sums the images in kernel order and crops
// the padding. Only out-of-place ops, so both differentiate twice.
#include <string>
#include <vector>

#include "core/factories.h"
#include "core/ops.h"
#include "nn/functional/fold.h"
#include "nn/functional/pad.h"

namespace ember::nn::functional {
namespace {

struct Blocks {
  int64_t kh, kw, dh, dw, ph, pw, sh, sw;
  int64_t oh = 0, ow = 0;  // the block grid
};

std::pair<int64_t, int64_t> two(const IntOrPair& v, const char* op, const char* name) {
  const Dims& d = v;
  EMBER_CHECK(d.size() == 1 || d.size() == 2, op, "(): ", name, " must be an int or a pair of ints, but got ", d.size(),
              " values");
  return {d[0], d.size() == 2 ? d[1] : d[0]};
}

std::string pair_str(int64_t a, int64_t b) { return ember::detail::str_cat("(", a, ", ", b, ")"); }

// PyTorch's argument checks, then the block grid over an [height, width] image.
Blocks blocks_over(const char* op, int64_t height, int64_t width, const IntOrPair& kernel_size,
                   const IntOrPair& dilation, const IntOrPair& padding, const IntOrPair& stride) {
  Blocks b{};
  std::tie(b.kh, b.kw) = two(kernel_size, op, "kernel_size");
  std::tie(b.dh, b.dw) = two(dilation, op, "dilation");
  std::tie(b.ph, b.pw) = two(padding, op, "padding");
  std::tie(b.sh, b.sw) = two(stride, op, "stride");
  EMBER_CHECK(b.kh > 0 && b.kw > 0, "kernel size should be greater than zero, but got kernel_height: ", b.kh,
              " kernel_width: ", b.kw);
  EMBER_CHECK(b.dh > 0 && b.dw > 0, "dilation should be greater than zero, but got dilation_height: ", b.dh,
              " dilation_width: ", b.dw);
  EMBER_CHECK(b.ph >= 0 && b.pw >= 0, "padding should be non-negative, but got pad_height: ", b.ph,
              " pad_width: ", b.pw);
  EMBER_CHECK(b.sh > 0 && b.sw > 0, "stride should be greater than zero, but got stride_height: ", b.sh,
              " stride_width: ", b.sw);
  const int64_t span_h = height + 2 * b.ph - (b.dh * (b.kh - 1) + 1);
  const int64_t span_w = width + 2 * b.pw - (b.dw * (b.kw - 1) + 1);
  b.oh = span_h < 0 ? 0 : span_h / b.sh + 1;
  b.ow = span_w < 0 ? 0 : span_w / b.sw + 1;
  return b;
}

std::string geometry_str(const Blocks& b) {
  return ember::detail::str_cat("kernel_size=", pair_str(b.kh, b.kw), ", dilation=", pair_str(b.dh, b.dw),
                                ", padding=", pair_str(b.ph, b.pw));
}

// x with stride - 1 zeros after each element along dim but the last: the positions a
// strided slice read, written back (the inverse of slice(dim, 0, end, stride)).
Tensor stride_apart(const Tensor& x, int64_t dim, int64_t stride) {
  if (stride == 1 || x.size(dim) == 0) return x;
  std::vector<Tensor> lanes{x};
  const Tensor zero = zeros_like(x);
  for (int64_t k = 1; k < stride; ++k) lanes.push_back(zero);
  Dims shape = x.sizes();
  shape[static_cast<size_t>(dim)] *= stride;
  return stack(lanes, dim + 1).reshape(shape).narrow(dim, 0, (x.size(dim) - 1) * stride + 1);
}

// The [N, C, OH, OW] slice of a padded image that kernel position (i, j) meets.
Tensor block_slice(const Tensor& image, const Blocks& b, int64_t i, int64_t j) {
  return image.slice(2, i * b.dh, i * b.dh + (b.oh - 1) * b.sh + 1, b.sh)
      .slice(3, j * b.dw, j * b.dw + (b.ow - 1) * b.sw + 1, b.sw);
}

}  // namespace

Tensor unfold(const Tensor& x, IntOrPair kernel_size, IntOrPair dilation, IntOrPair padding, IntOrPair stride) {
  EMBER_CHECK(x.defined() && (x.dim() == 3 || x.dim() == 4),
              "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ",
              x.defined() ? x.sizes().str() : std::string("undefined"));
  const bool batched = x.dim() == 4;
  const Tensor input = batched ? x : x.unsqueeze(0);
  EMBER_CHECK(input.size(1) > 0 && input.size(2) > 0 && input.size(3) > 0,
              "Expected non-zero size for non-batch dimensions of input, but got: ", x.sizes().str());
  const Blocks b = blocks_over("unfold", input.size(2), input.size(3), kernel_size, dilation, padding, stride);
  EMBER_CHECK(b.oh >= 1 && b.ow >= 1, "Given input with spatial size ", pair_str(input.size(2), input.size(3)), ", ",
              geometry_str(b), ", calculated shape of the array of sliding blocks as ", pair_str(b.oh, b.ow),
              ", but its components must be at least one.");
  const Tensor padded = b.ph || b.pw ? pad(input, {b.pw, b.pw, b.ph, b.ph}) : input;
  std::vector<Tensor> columns;
  columns.reserve(static_cast<size_t>(b.kh * b.kw));
  for (int64_t i = 0; i < b.kh; ++i)
    for (int64_t j = 0; j < b.kw; ++j) columns.push_back(block_slice(padded, b, i, j));
  const Tensor out = stack(columns, 2).reshape({input.size(0), input.size(1) * b.kh * b.kw, b.oh * b.ow});
  return batched ? out : out.squeeze(0);
}

Tensor fold(const Tensor& x, IntOrPair output_size, IntOrPair kernel_size, IntOrPair dilation, IntOrPair padding,
            IntOrPair stride) {
  // PyTorch's col2im_shape_check: a batch may be empty, the other dims may not (zero channels
  // folded to an empty image).
  const bool valid =
      x.defined() && ((x.dim() == 2 && x.numel() != 0) || (x.dim() == 3 && x.size(1) != 0 && x.size(2) != 0));
  EMBER_CHECK(valid,
              "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for "
              "input, but got: ",
              x.defined() ? x.sizes().str() : std::string("undefined"));
  const bool batched = x.dim() == 3;
  const Tensor input = batched ? x : x.unsqueeze(0);
  const auto [height, width] = two(output_size, "fold", "output_size");
  EMBER_CHECK(height > 0 && width > 0, "output size should be greater than zero, but got output_height: ", height,
              " output_width: ", width);
  const Blocks b = blocks_over("fold", height, width, kernel_size, dilation, padding, stride);
  const int64_t positions = b.kh * b.kw;
  EMBER_CHECK(input.size(1) % positions == 0,
              "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=",
              input.size(1), " and kernel_size=", pair_str(b.kh, b.kw), ".");
  EMBER_CHECK(b.oh >= 1 && b.ow >= 1 && input.size(2) == b.oh * b.ow, "Given output_size=", pair_str(height, width),
              ", ", geometry_str(b), ", stride=", pair_str(b.sh, b.sw),
              ", expected size of input's dimension 2 to match the calculated number of sliding blocks ", b.oh, " * ",
              b.ow, " = ", b.oh * b.ow, ", but got input.size(2)=", input.size(2), ".");
  const int64_t n = input.size(0), channels = input.size(1) / positions;
  // Each position's block grid spread to the stride (zeros between), then padded into
  // place and summed: out-of-place ops only, so fold differentiates twice.
  Tensor spread = stride_apart(stride_apart(input.reshape({n, channels, positions, b.oh, b.ow}), 3, b.sh), 4, b.sw);
  const int64_t padded_h = height + 2 * b.ph, padded_w = width + 2 * b.pw;
  const int64_t extent_h = spread.size(3), extent_w = spread.size(4);
  Tensor image;
  for (int64_t i = 0; i < b.kh; ++i)
    for (int64_t j = 0; j < b.kw; ++j) {
      const int64_t top = i * b.dh, left = j * b.dw;
      Tensor placed = pad(spread.select(2, i * b.kw + j),
                          {left, padded_w - left - extent_w, top, padded_h - top - extent_h});
      image = image.defined() ? image + placed : placed;
    }
  Tensor out = b.ph || b.pw ? image.narrow(2, b.ph, height).narrow(3, b.pw, width).contiguous() : image;
  return batched ? out : out.squeeze(0);
}

}  // namespace ember::nn::functional
