// nn::functional::conv_transpose2d: PyTorch's arguments, checks and messages; the forward
// is conv2d's input gradient on the device's conv2d_backward kernel (cuDNN's data gradient
// on CUDA, GEMM + col2im on the CPU), recorded as one "ConvolutionBackward" node whose
// gradients are convolutions again (Note [Transposed convolution]).
#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/dispatch.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/functional/args.h"
#include "nn/functional/conv.h"
#include "nn/functional/conv_detail.h"

namespace ember::nn::functional {
namespace {

using autograd::needs_grad;
using autograd::tensor_list;

// Note [Transposed convolution]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// conv_transpose2d(x, w) with x [N, Cin, H, W] and w [Cin, Cout / groups, KH, KW] is the
// gradient for its input of the conv2d with weight w (O = Cin, C = Cout) whose output has
// x's shape: OH = (H - 1) * SH - 2 * PH + DH * (KH - 1) + output_padding + 1. While
// output_padding is below the stride, that conv2d maps OH rows back to exactly H, so the
// device's conv2d_backward kernels run it as they are (rows no window reads get zero, then
// the bias). PyTorch also takes an output_padding at or above the stride when it is below
// the dilation; ember refuses that case by name. The gradients: for x, conv2d(u, w); for
// w, conv2d's weight gradient with u as its input and x as its output's gradient; for the
// bias, u summed over N, H and W. All three are recorded ops (Note [Convolution's double
// backward] in nn/functional/conv.cpp), so every order differentiates, on any device.

// The geometry of the conv2d whose input gradient conv_transpose2d(x, w) is.
ConvGeometry transposed_geometry(const Tensor& x, const Tensor& w, const Tensor& b, const Dims& stride,
                                 const Dims& padding, const Dims& output_padding, const Dims& dilation,
                                 int64_t groups) {
  EMBER_CHECK(w.dim() == 4, "Expected 4-dimensional weight for 4-dimensional input ", x.sizes(), ", but got ",
              w.dim(), "-dimensional weight of size ", w.sizes(), " instead");
  detail::check_conv_args("conv_transpose2d", x, w, b, stride, padding, dilation, groups);
  const Dims& op = output_padding;
  EMBER_CHECK(op[0] >= 0 && op[1] >= 0, "negative output_padding is not supported");
  EMBER_CHECK((op[0] < stride[0] || op[0] < dilation[0]) && (op[1] < stride[1] || op[1] < dilation[1]),
              "output padding must be smaller than either stride or dilation, but got output_padding_height: ",
              op[0], " output_padding_width: ", op[1], " stride_height: ", stride[0], " stride_width: ", stride[1],
              " dilation_height: ", dilation[0], " dilation_width: ", dilation[1]);
  EMBER_CHECK(op[0] < stride[0] && op[1] < stride[1], "conv_transpose2d: an output_padding ", op,
              " at or above the stride ", stride, " is not supported (PyTorch takes it below the dilation ",
              dilation, "); give a larger stride or pad the output instead");
  const int64_t in_channels = w.size(0);
  EMBER_CHECK(in_channels % groups == 0, "Given groups=", groups, ", expected weight to be divisible by ", groups,
              " at dimension 0, but got weight of size ", w.sizes(), " instead");
  EMBER_CHECK(x.size(1) == in_channels, "Given transposed=1, weight of size ", w.sizes(), ", expected input",
              x.sizes(), " to have ", in_channels, " channels, but got ", x.size(1), " channels instead");
  const int64_t out_channels = w.size(1) * groups;
  EMBER_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == out_channels), "Given transposed=1, weight of size ",
              w.sizes(), ", expected bias to be 1-dimensional with ", out_channels,
              " elements, but got bias of size ", b.sizes(), " instead");
  const auto out_size = [&](int i, int64_t in, int64_t kernel) {
    return detail::transposed_out_size(in, kernel, stride[i], padding[i], dilation[i], op[i]);
  };
  const int64_t OH = out_size(0, x.size(2), w.size(2)), OW = out_size(1, x.size(3), w.size(3));
  EMBER_CHECK(OH > 0 && OW > 0, "Given input size per channel: (", x.size(2), " x ", x.size(3),
              "). Calculated output size per channel: (", OH, " x ", OW, "). Output size is too small");
  return ConvGeometry{x.size(0), out_channels, OH,          OW,          in_channels, w.size(2), w.size(3),
                      stride[0], stride[1],    padding[0],  padding[1],  dilation[0], dilation[1], groups,
                      x.size(2), x.size(3)};
}

}  // namespace

Tensor conv_transpose2d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, IntOrPair stride_in,
                        IntOrPair padding_in, IntOrPair output_padding_in, int64_t groups, IntOrPair dilation_in) {
  const auto [x, w, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, w_in, b_in);
  if (x.dim() == 3)
    return conv_transpose2d(x.unsqueeze(0), w, b, stride_in, padding_in, output_padding_in, groups, dilation_in)
        .squeeze(0);
  EMBER_CHECK(x.dim() == 4,
              "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: ", x.sizes());
  EMBER_PROFILE_OP("conv_transpose2d");
  const Dims stride = detail::expand_pair(stride_in, "conv_transpose2d", "stride");
  const Dims padding = detail::expand_pair(padding_in, "conv_transpose2d", "padding");
  const Dims output_padding = detail::expand_pair(output_padding_in, "conv_transpose2d", "output_padding");
  const Dims dilation = detail::expand_pair(dilation_in, "conv_transpose2d", "dilation");
  const ConvGeometry g = transposed_geometry(x, w, b, stride, padding, output_padding, dilation, groups);
  const auto [format, kernel] = detail::conv_layouts(x, w);
  const bool recording = autograd::will_record(x, w, b);
  const Tensor xc = detail::conv_operand(x, kernel, recording), wc = detail::conv_operand(w, kernel, recording);
  Tensor out = make_empty({g.N, g.C, g.H, g.W}, x.dtype(), x.device(), kernel);
  device_ops(x.device()).conv2d_backward(xc, Tensor(), wc, g, out, Tensor(), Tensor());
  if (b.defined()) native::add_(out, native::view(detail::contiguous(b), {1, g.C, 1, 1}), 1);
  out = detail::in_format(out, format);
  if (autograd::will_record_into(out, x, w, b)) {
    detail::record_convolution(x, w, b, out, xc, wc,
                     [g, kernel = kernel, w_format = dense_format_of(w)](const tensor_list& u, const tensor_list& s,
                                                                const auto& in) {
                       // The weight's gradient laid out like the weight, as optimizers expect.
                       return tensor_list{
                           needs_grad(in, 0) ? detail::conv2d_of(u[0], s[1], g) : Tensor(),
                           needs_grad(in, 1) ? detail::conv2d_weight_grad(u[0], s[0], g, kernel).contiguous(w_format)
                                             : Tensor(),
                           needs_grad(in, 2) ? u[0].sum({0, 2, 3}) : Tensor()};
                     });
  }
  return out;
}

}  // namespace ember::nn::functional
