// nn::functional::conv3d and conv_transpose3d: PyTorch's 3-D checks and messages, then the
// 2-D convolution with depth folded into the batch and the channels (Note [3-D by folding
// depth]); the gradients, double backward, devices and dtypes are conv2d's and the views'.
#include "nn/functional/conv3d.h"

#include <string>
#include <tuple>

#include "core/autocast.h"
#include "core/error.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/functional/args.h"
#include "nn/functional/conv_detail.h"
#include "nn/functional/fold.h"
#include "nn/functional/pad.h"

namespace ember::nn::functional {

// Note [3-D by folding depth]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A 3-D convolution is a 2-D one per output depth whose channels are the (channel, kernel
// depth) pairs: y[n, :, od] = conv2d over c and kd of x[n, c, od * SD - PD + kd * DD] with
// w[:, c, kd]. So conv3d views the depth-padded x's depth windows (Tensor::unfold, every
// DD-th tap), lays them out as [N * OD, C * KD, H, W] (one copy: KD times the input's
// elements, the part of im2col over depth) and runs one conv2d with w as [O, C/G * KD, KH,
// KW] (w's own layout; the groups stay contiguous). The transposed convolution is the
// adjoint: one conv_transpose2d of [N * D, Cin, H, W] with w as [Cin, Cout/G * KD, KH, KW]
// gives every (input depth, kd) plane, and F::fold adds them at depth d * SD + kd * DD,
// then the padding is cropped (and output_padding appended). Both are recorded views and
// ops with differentiable gradients, so every order differentiates, on every device of
// conv2d (cuDNN on CUDA) and in bfloat16. The cost: conv3d's recorded graph keeps the
// [N * OD, C * KD, H, W] copy (KD times the input) for the weight's gradient.
namespace {

// The weight's rank and the input's channel count, with PyTorch's phrases.
void check_shapes(const Tensor& x, const Tensor& w, int64_t in_channels, const std::string& given) {
  EMBER_CHECK(w.dim() == 5, "Expected 5-dimensional weight for 5-dimensional input ", x.sizes(), ", but got ",
              w.dim(), "-dimensional weight of size ", w.sizes(), " instead");
  EMBER_CHECK(x.size(1) == in_channels, "Given ", given, ", weight of size ", w.sizes(), ", expected input",
              x.sizes(), " to have ", in_channels, " channels, but got ", x.size(1), " channels instead");
}

void check_positive(const Dims& stride, const Dims& dilation) {
  for (size_t i = 0; i < 3; ++i) {
    EMBER_CHECK(stride[i] > 0, "non-positive stride is not supported");
    EMBER_CHECK(dilation[i] > 0, "dilation should be greater than zero, but got ", dilation);
  }
}

// The bias against the weight's output channels, its dtype and device against x's (the
// folded 2-D op would name its own 4-D weight).
void check_bias(const Tensor& x, const Tensor& w, const Tensor& b, int64_t out_channels, const char* op,
                bool transposed) {
  if (!b.defined()) return;
  EMBER_CHECK(b.dim() == 1 && b.size(0) == out_channels, "Given ", transposed ? "transposed=1, " : "",
              "weight of size ", w.sizes(), ", expected bias to be 1-dimensional with ", out_channels,
              " elements, but got bias of size ", b.sizes(), " instead");
  EMBER_CHECK(b.dtype() == x.dtype(), op, ": Input type (", dtype_name(x.dtype()), ") and bias type (",
              dtype_name(b.dtype()), ") should be the same");
  native::check_same_device(x, {&b}, op);
}

// x [N, C, D, H, W] as [N * D, C, H, W], and y [N * D, C, H, W] back as [N, C, D, H, W].
Tensor depth_into_batch(const Tensor& x) {
  return x.permute({0, 2, 1, 3, 4}).reshape({x.size(0) * x.size(2), x.size(1), x.size(3), x.size(4)});
}
Tensor depth_from_batch(const Tensor& y, int64_t N, int64_t D) {
  return y.reshape({N, D, y.size(1), y.size(2), y.size(3)}).permute({0, 2, 1, 3, 4}).contiguous();
}

}  // namespace

Tensor conv3d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, IntOrTriple stride_in,
              ConvPadding padding_in, IntOrTriple dilation_in, int64_t groups) {
  // Cast before folding, so the folded copy is made in the dtype the convolution runs in.
  const auto [x, w, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, w_in, b_in);
  EMBER_CHECK(x.dim() == 4 || x.dim() == 5, "Expected 4D (unbatched) or 5D (batched) input to conv3d, but got "
              "input of size: ", x.sizes());
  if (x.dim() == 4) return conv3d(x.unsqueeze(0), w, b, stride_in, padding_in, dilation_in, groups).squeeze(0);
  EMBER_PROFILE_OP("conv3d");
  EMBER_CHECK(groups > 0, "non-positive groups is not supported");
  check_shapes(x, w, w.dim() == 5 ? w.size(1) * groups : 0, "groups=" + std::to_string(groups));
  EMBER_CHECK(w.size(0) % groups == 0, "Given groups=", groups, ", expected weight to be divisible by ", groups,
              " at dimension 0, but got weight of size ", w.sizes(), " instead");
  check_bias(x, w, b, w.size(0), "conv3d", false);
  const Dims stride = detail::expand_triple(stride_in, "conv3d", "stride");
  const Dims dilation = detail::expand_triple(dilation_in, "conv3d", "dilation");
  check_positive(stride, dilation);
  const Dims kernel{w.size(2), w.size(3), w.size(4)};
  EMBER_CHECK(kernel[0] > 0 && kernel[1] > 0 && kernel[2] > 0, "kernel size should be greater than zero, but got ",
              kernel);
  Dims before{0, 0, 0}, after{0, 0, 0};
  if (padding_in.same) {
    EMBER_CHECK(stride == Dims({1, 1, 1}), "padding='same' is not supported for strided convolutions");
    std::tie(before, after) = detail::same_padding_sides(kernel, dilation);
  } else {
    before = after = detail::expand_triple(padding_in.size, "conv3d", "padding");
    for (size_t i = 0; i < 3; ++i) EMBER_CHECK(before[i] >= 0, "negative padding is not supported");
  }
  Dims padded, span;
  for (size_t i = 0; i < 3; ++i) {
    padded.push_back(x.size(static_cast<int64_t>(i) + 2) + before[i] + after[i]);
    span.push_back(dilation[i] * (kernel[i] - 1) + 1);
  }
  EMBER_CHECK(padded[0] >= span[0] && padded[1] >= span[1] && padded[2] >= span[2],
              "Calculated padded input size per channel: (", padded[0], " x ", padded[1], " x ", padded[2],
              "). Kernel size: (", span[0], " x ", span[1], " x ", span[2],
              "). Kernel size can't be greater than actual input size");
  // Depth padded here (zeros); height and width by conv2d, an odd "same" total as it splits it.
  const Tensor xp = before[0] + after[0] > 0 ? pad(x, {0, 0, 0, 0, before[0], after[0]}) : x;
  Tensor windows = xp.unfold(2, span[0], stride[0]);  // [N, C, OD, H, W, span]
  if (dilation[0] > 1) windows = windows.slice(5, 0, span[0], dilation[0]);
  const int64_t N = x.size(0), C = x.size(1), OD = windows.size(2), KD = kernel[0];
  const Tensor folded = windows.permute({0, 2, 1, 5, 3, 4}).reshape({N * OD, C * KD, x.size(3), x.size(4)});
  const Tensor w2 = w.reshape({w.size(0), w.size(1) * KD, kernel[1], kernel[2]});
  const Tensor y = padding_in.same
                       ? conv2d(folded, w2, b, 1, kSame, Dims{dilation[1], dilation[2]}, groups)
                       : conv2d(folded, w2, b, Dims{stride[1], stride[2]}, Dims{before[1], before[2]},
                                Dims{dilation[1], dilation[2]}, groups);
  return depth_from_batch(y, N, OD);
}

Tensor conv_transpose3d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, IntOrTriple stride_in,
                        IntOrTriple padding_in, IntOrTriple output_padding_in, int64_t groups,
                        IntOrTriple dilation_in) {
  const auto [x, w, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, w_in, b_in);
  EMBER_CHECK(x.dim() == 4 || x.dim() == 5, "Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d, "
              "but got input of size: ", x.sizes());
  if (x.dim() == 4)
    return conv_transpose3d(x.unsqueeze(0), w, b, stride_in, padding_in, output_padding_in, groups, dilation_in)
        .squeeze(0);
  EMBER_PROFILE_OP("conv_transpose3d");
  EMBER_CHECK(groups > 0, "non-positive groups is not supported");
  check_shapes(x, w, w.dim() == 5 ? w.size(0) : 0, "transposed=1");
  const Dims stride = detail::expand_triple(stride_in, "conv_transpose3d", "stride");
  const Dims padding = detail::expand_triple(padding_in, "conv_transpose3d", "padding");
  const Dims out_pad = detail::expand_triple(output_padding_in, "conv_transpose3d", "output_padding");
  const Dims dilation = detail::expand_triple(dilation_in, "conv_transpose3d", "dilation");
  check_positive(stride, dilation);
  const Dims kernel{w.size(2), w.size(3), w.size(4)};
  EMBER_CHECK(kernel[0] > 0 && kernel[1] > 0 && kernel[2] > 0, "kernel size should be greater than zero, but got ",
              kernel);
  for (size_t i = 0; i < 3; ++i) {
    EMBER_CHECK(padding[i] >= 0, "negative padding is not supported");
    EMBER_CHECK(out_pad[i] >= 0, "negative output_padding is not supported");
    EMBER_CHECK(out_pad[i] < stride[i] || out_pad[i] < dilation[i],
                "output padding must be smaller than either stride or dilation, but got output_padding_depth: ",
                out_pad[0], " output_padding_height: ", out_pad[1], " output_padding_width: ", out_pad[2],
                " stride_depth: ", stride[0], " stride_height: ", stride[1], " stride_width: ", stride[2],
                " dilation_depth: ", dilation[0], " dilation_height: ", dilation[1], " dilation_width: ",
                dilation[2]);
  }
  EMBER_CHECK(out_pad[0] < stride[0] && out_pad[1] < stride[1] && out_pad[2] < stride[2],
              "conv_transpose3d: an output_padding ", out_pad, " at or above the stride ", stride,
              " is not supported (PyTorch takes it below the dilation ", dilation,
              "); give a larger stride or pad the output instead");
  EMBER_CHECK(w.size(0) >= groups, "Given groups=", groups, ", expected weight to be at least ", groups,
              " at dimension 0, but got weight of size ", w.sizes(), " instead");
  EMBER_CHECK(w.size(0) % groups == 0, "Given groups=", groups, ", expected weight to be divisible by ", groups,
              " at dimension 0, but got weight of size ", w.sizes(), " instead");
  const int64_t N = x.size(0), D = x.size(2), KD = kernel[0], out_channels = w.size(1) * groups;
  check_bias(x, w, b, out_channels, "conv_transpose3d", true);
  Dims out;
  for (size_t i = 0; i < 3; ++i)
    out.push_back(detail::transposed_out_size(x.size(static_cast<int64_t>(i) + 2), kernel[i], stride[i], padding[i],
                                              dilation[i], out_pad[i]));
  EMBER_CHECK(out[0] > 0 && out[1] > 0 && out[2] > 0, "Given input size per channel: (", x.size(2), " x ", x.size(3),
              " x ", x.size(4), "). Calculated output size per channel: (", out[0], " x ", out[1], " x ", out[2],
              "). Output size is too small");
  // Every (input depth, kd) plane at once: [N * D, Cout * KD, OH, OW] (channel co * KD + kd).
  const Tensor planes = conv_transpose2d(depth_into_batch(x), w.reshape({w.size(0), w.size(1) * KD, kernel[1],
                                                                          kernel[2]}),
                                         Tensor(), Dims{stride[1], stride[2]}, Dims{padding[1], padding[2]},
                                         Dims{out_pad[1], out_pad[2]}, groups, Dims{dilation[1], dilation[2]});
  const int64_t OH = planes.size(2), OW = planes.size(3);
  // fold's columns: [N, (co, oh, ow, kd), d], its blocks the input depths along a [full, 1] plane.
  const Tensor columns = planes.reshape({N, D, out_channels, KD, OH, OW})
                             .permute({0, 2, 4, 5, 3, 1})
                             .reshape({N, out_channels * OH * OW * KD, D});
  const int64_t full = (D - 1) * stride[0] + dilation[0] * (KD - 1) + 1;
  Tensor y = fold(columns, Dims{full, 1}, Dims{KD, 1}, Dims{dilation[0], 1}, 0, Dims{stride[0], 1})
                 .reshape({N, out_channels, OH, OW, full})
                 .permute({0, 1, 4, 2, 3});
  // Crop the depth padding; output_padding past the last plane is zeros.
  if (padding[0] + out[0] > full) y = pad(y, {0, 0, 0, 0, 0, padding[0] + out[0] - full});
  y = y.narrow(2, padding[0], out[0]);
  if (b.defined()) y = y + b.reshape({1, out_channels, 1, 1, 1});
  return y.contiguous();
}

}  // namespace ember::nn::functional
