// nn::functional::conv3d and conv_transpose3d: PyTorch's 3-D checks and messages, then the
// 2-D convolution with depth folded into the batch and the channels (Note [3-D by folding
// depth]), each recorded as one node that saves x and w.
#include "nn/functional/conv3d.h"

#include <string>
#include <tuple>

#include "core/autocast.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "core/nn_geometry.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/functional/args.h"
#include "nn/functional/conv_detail.h"
#include "nn/functional/fold.h"
#include "nn/functional/pad.h"

namespace ember::nn::functional {

using autograd::tensor_list;

// Note [3-D by folding depth]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A 3-D convolution is a 2-D one per output depth whose channels are the (channel, kernel
// depth) pairs: y[n, :, od] = conv2d over c and kd of x[n, c, od * SD - PD + kd * DD] with
// w[:, c, kd]. So conv3d views the depth-padded x's depth windows (Tensor::unfold, every
// DD-th tap), lays them out as [N * OD, C * KD, H, W] (one transient copy, KD times the
// input: the depth part of im2col) and runs the device's conv2d with w as [O, C/G * KD, KH,
// KW] (a view; the groups stay contiguous). It records one ConvolutionBackward node that
// saves x and w, as PyTorch's does, not the folded copy: the weight's gradient folds x again
// for conv2d's weight gradient, and the input's adds the folded input gradient's windows back
// (F::fold over depth) and crops the padding. The transposed convolution is the adjoint: one
// conv_transpose2d of [N * D, Cin, H, W] with w as [Cin, Cout/G * KD, KH, KW] gives every
// (input depth, kd) plane, the same window sum adds them at depth d * SD + kd * DD, and the
// padding is cropped (output_padding appended). It too records one node saving x and w, whose
// gradients are conv3d's: conv3d(gy, w) for x, conv3d's weight gradient of gy by x for w. All
// the gradients are recorded ops under create_graph, so every order differentiates, on every
// device of conv2d (cuDNN's 2-D graphs on CUDA) and in bfloat16.
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
Tensor to_folded_batch(const Tensor& x) {
  return x.permute({0, 2, 1, 3, 4}).reshape({x.size(0) * x.size(2), x.size(1), x.size(3), x.size(4)});
}
Tensor from_folded_batch(const Tensor& y, int64_t N, int64_t D) {
  return y.reshape({N, D, y.size(1), y.size(2), y.size(3)}).permute({0, 2, 1, 3, 4}).contiguous();
}

// The adjoint of taking L depth windows: t [N * L, C * KD, H, W] (window l's tap kd) added at
// depth l * stride + kd * dilation of a [N, C, depth, H, W] result. F::fold does it on the
// [depth, H * W] plane with a (KD, 1) kernel, so every copy and add runs along whole planes.
Tensor add_depth_windows(const Tensor& t, int64_t N, int64_t L, int64_t C, int64_t KD, int64_t depth, int64_t stride,
                         int64_t dilation) {
  const int64_t H = t.size(2), W = t.size(3);
  const Tensor columns = t.reshape({N, L, C * KD, H * W}).permute({0, 2, 1, 3}).reshape({N, C * KD, L * H * W});
  return fold(columns, Dims{depth, H * W}, Dims{KD, 1}, Dims{dilation, 1}, 0, Dims{stride, 1})
      .reshape({N, C, depth, H, W});
}

// A conv3d as the conv2d it folds into (Note [3-D by folding depth]): the padding before
// and after each dim, the stride, dilation and kernel depth, and the 2-D geometry.
struct FoldedConv3d {
  Dims before, after, stride, dilation;
  int64_t KD;
  Dims in;     // x's D, H, W
  int64_t OD;  // the output's depth (the windows)
  ConvGeometry geo;
};

// x [N, C, D, H, W] padded in depth (and by an odd "same" total's extra after H and W), its
// depth windows laid out as [N * OD, C * KD, H', W']: one copy.
Tensor fold_depth(const Tensor& x, const FoldedConv3d& f) {
  const Dims &b = f.before, &a = f.after;
  const bool padded = b[0] + a[0] + (a[1] - b[1]) + (a[2] - b[2]) > 0;
  const Tensor xp = padded ? pad(x, {0, a[2] - b[2], 0, a[1] - b[1], b[0], a[0]}) : x;
  const int64_t span = f.dilation[0] * (f.KD - 1) + 1;
  Tensor windows = xp.unfold(2, span, f.stride[0]);  // [N, C, OD, H', W', span]
  if (f.dilation[0] > 1) windows = windows.slice(5, 0, span, f.dilation[0]);
  return windows.permute({0, 2, 1, 5, 3, 4}).reshape({f.geo.N, f.geo.C, f.geo.H, f.geo.W});
}

// w [O, C/G, KD, KH, KW] as the folded conv2d's [O, C/G * KD, KH, KW] (a view).
Tensor weight_2d(const Tensor& w, const FoldedConv3d& f) {
  return w.reshape({w.size(0), w.size(1) * f.KD, f.geo.KH, f.geo.KW});
}

// The input gradient from the folded one: the windows added back, the padding cropped.
Tensor unfold_depth_grad(const Tensor& g_folded, const FoldedConv3d& f, int64_t N, int64_t C) {
  const int64_t padded_depth = f.in[0] + f.before[0] + f.after[0];
  return add_depth_windows(g_folded, N, f.OD, C, f.KD, padded_depth, f.stride[0], f.dilation[0])
      .narrow(2, f.before[0], f.in[0])
      .narrow(3, 0, f.in[1])
      .narrow(4, 0, f.in[2])
      .contiguous();
}

// The conv2d a conv3d folds into: input [N, C, in...] by a weight of O outputs and `kernel`,
// padded by before and after (after > before only by an odd "same" total), as FoldedConv3d.
FoldedConv3d fold_geometry(int64_t N, int64_t C, const Dims& in, int64_t O, const Dims& kernel, const Dims& stride,
                           const Dims& before, const Dims& after, const Dims& dilation, int64_t groups) {
  const int64_t KD = kernel[0], span = dilation[0] * (KD - 1) + 1;
  const int64_t OD = (in[0] + before[0] + after[0] - span) / stride[0] + 1;
  // [N * OD, C * KD, H', W'] (H', W': with an odd "same" total's extra row and column) by
  // [O, C/G * KD, KH, KW], padded symmetrically by before.
  const int64_t H2 = in[1] + after[1] - before[1], W2 = in[2] + after[2] - before[2];
  const ConvGeometry geo{N * OD,    C * KD,    H2,        W2,        O,           kernel[1],   kernel[2],
                         stride[1], stride[2], before[1], before[2], dilation[1], dilation[2], groups,
                         conv_out_size(H2, kernel[1], stride[1], before[1], dilation[1]),
                         conv_out_size(W2, kernel[2], stride[2], before[2], dilation[2])};
  return FoldedConv3d{before, after, stride, dilation, KD, in, OD, geo};
}

// conv3d's weight gradient from its input x and its output's gradient, folded ([N * OD, O, ..]).
Tensor conv3d_weight_grad(const Tensor& x, const Tensor& g_folded, const FoldedConv3d& f) {
  const Tensor g = detail::conv2d_weight_grad(fold_depth(x, f), g_folded, f.geo, MemoryFormat::Contiguous);
  return g.reshape({f.geo.O, f.geo.C / f.geo.groups / f.KD, f.KD, f.geo.KH, f.geo.KW});
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
  detail::check_conv_args("conv3d", x, w, b, Dims{1, 1}, Dims{0, 0}, Dims{1, 1}, groups);
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
  const int64_t N = x.size(0), O = w.size(0);
  const FoldedConv3d f = fold_geometry(N, x.size(1), {x.size(2), x.size(3), x.size(4)}, O, kernel, stride, before,
                                       after, dilation, groups);
  Tensor out;
  {
    NoGradGuard one_node;  // the node below records the whole convolution
    out = from_folded_batch(detail::conv2d_of(fold_depth(x, f), weight_2d(w, f), f.geo), N, f.OD);
    if (b.defined()) native::add_(out, native::reshape(b, {1, O, 1, 1, 1}), 1);
  }
  if (autograd::will_record_into(out, x, w, b)) {
    detail::record_convolution(x, w, b, out, x, w, [f](const tensor_list& grads, const tensor_list& saved,
                                                       const auto& in) {
      const Tensor& gy = grads[0];
      const Tensor g2 = to_folded_batch(gy);
      Tensor gx, gw;
      if (autograd::needs_grad(in, 0)) {
        const Tensor& w_saved = saved[1];
        gx = unfold_depth_grad(detail::conv2d_input_grad(g2, weight_2d(w_saved, f), f.geo, MemoryFormat::Contiguous),
                               f, gy.size(0), w_saved.size(1) * f.geo.groups);
      }
      if (autograd::needs_grad(in, 1)) gw = conv3d_weight_grad(saved[0], g2, f);
      return tensor_list{gx, gw, autograd::needs_grad(in, 2) ? gy.sum({0, 2, 3, 4}) : Tensor()};
    });
  }
  return out;
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
  detail::check_conv_args("conv_transpose3d", x, w, b, Dims{1, 1}, Dims{0, 0}, Dims{1, 1}, groups);
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
  Tensor y;
  {
    NoGradGuard one_node;  // the node below records the whole transposed convolution
    // Every (input depth, kd) plane at once: [N * D, Cout * KD, OH, OW] (channel co * KD + kd).
    const Tensor planes = conv_transpose2d(to_folded_batch(x), w.reshape({w.size(0), w.size(1) * KD, kernel[1],
                                                                            kernel[2]}),
                                           Tensor(), Dims{stride[1], stride[2]}, Dims{padding[1], padding[2]},
                                           Dims{out_pad[1], out_pad[2]}, groups, Dims{dilation[1], dilation[2]});
    const int64_t full = (D - 1) * stride[0] + dilation[0] * (KD - 1) + 1;
    y = add_depth_windows(planes, N, D, out_channels, KD, full, stride[0], dilation[0]);
    // Crop the depth padding; output_padding past the last plane is zeros.
    if (padding[0] + out[0] > full) y = pad(y, {0, 0, 0, 0, 0, padding[0] + out[0] - full});
    y = y.narrow(2, padding[0], out[0]);
    y = b.defined() ? y + b.reshape({1, out_channels, 1, 1, 1}) : y.contiguous();
  }
  if (autograd::will_record_into(y, x, w, b)) {
    // Its gradients are conv3d's: for x, conv3d(gy, w) (whose output has x's size, as the
    // output_padding is below the stride); for w, conv3d's weight gradient with gy as the
    // input and x as the output's gradient.
    const FoldedConv3d adjoint =
        fold_geometry(N, out_channels, out, w.size(0), kernel, stride, padding, padding, dilation, groups);
    detail::record_convolution(x, w, b, y, x, w,
                               [adjoint, stride, padding, dilation, groups](const tensor_list& grads,
                                                                            const tensor_list& saved, const auto& in) {
                                 const Tensor& gy = grads[0];
                                 return tensor_list{
                                     autograd::needs_grad(in, 0)
                                         ? conv3d(gy, saved[1], Tensor(), stride, padding, dilation, groups)
                                         : Tensor(),
                                     autograd::needs_grad(in, 1)
                                         ? conv3d_weight_grad(gy, to_folded_batch(saved[0]), adjoint)
                                         : Tensor(),
                                     autograd::needs_grad(in, 2) ? gy.sum({0, 2, 3, 4}) : Tensor()};
                               });
  }
  return y;
}

}  // namespace ember::nn::functional
