// nn::functional::conv2d: PyTorch's argument checks and messages, the device's
// conv2d kernels (core/dispatch.h), the output in PyTorch's memory format (Note
// [Channels-last layers] in nn/functional/args.h), and one "ConvolutionBackward" node
// saving only what its gradients need.
#include "nn/functional/conv.h"

#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/dispatch.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/functional/args.h"

namespace ember::nn::functional {
namespace {

using autograd::tensor_list;

ConvGeometry conv_geometry(const Tensor& x, const Tensor& w, const Tensor& b, const Dims& stride,
                                   const Dims& padding, const Dims& dilation, int64_t groups) {
  EMBER_CHECK(x.dim() == 4, "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ",
              x.sizes());
  EMBER_CHECK(w.dim() == 4, "Expected 4-dimensional weight for 4-dimensional input ", x.sizes(), ", but got ",
              w.dim(), "-dimensional weight of size ", w.sizes(), " instead");
  EMBER_CHECK(is_floating(x.dtype()), "conv2d: expected a float32, float64 or bfloat16 input, but got ",
              dtype_name(x.dtype()));
  EMBER_CHECK(x.dtype() == w.dtype() && (!b.defined() || b.dtype() == x.dtype()), "conv2d: Input type (",
              dtype_name(x.dtype()), ") and weight type (", dtype_name(w.dtype()), ")",
              b.defined() ? " and bias type (" + std::string(dtype_name(b.dtype())) + ")" : "",
              " should be the same");
  native::check_same_device(x, {&w, &b}, "conv2d");
  EMBER_CHECK(groups > 0, "non-positive groups is not supported");
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(stride[i] > 0, "non-positive stride is not supported");
    EMBER_CHECK(padding[i] >= 0, "negative padding is not supported");
    EMBER_CHECK(dilation[i] > 0, "dilation should be greater than zero");
  }
  EMBER_CHECK(w.size(2) > 0 && w.size(3) > 0, "kernel size should be greater than zero, but got kernel_height: ",
              w.size(2), " kernel_width: ", w.size(3));
  const int64_t O = w.size(0);
  EMBER_CHECK(O % groups == 0, "Given groups=", groups, ", expected weight to be divisible by ", groups,
              " at dimension 0, but got weight of size ", w.sizes(), " instead");
  EMBER_CHECK(x.size(1) == w.size(1) * groups, "Given groups=", groups, ", weight of size ", w.sizes(),
              ", expected input", x.sizes(), " to have ", w.size(1) * groups, " channels, but got ", x.size(1),
              " channels instead");
  EMBER_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == O), "Given weight of size ", w.sizes(),
              ", expected bias to be 1-dimensional with ", O, " elements, but got bias of size ", b.sizes(),
              " instead");
  ConvGeometry g{x.size(0), x.size(1), x.size(2), x.size(3), O,          w.size(2), w.size(3),
                         stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups,
                         0,         0};
  g.OH = conv_out_size(g.H, g.KH, g.SH, g.PH, g.DH);
  g.OW = conv_out_size(g.W, g.KW, g.SW, g.PW, g.DW);
  EMBER_CHECK(g.OH > 0 && g.OW > 0, "Calculated padded input size per channel: (", g.H + 2 * g.PH, " x ",
              g.W + 2 * g.PW, "). Kernel size: (", g.DH * (g.KH - 1) + 1, " x ", g.DW * (g.KW - 1) + 1,
              "). Kernel size can't be greater than actual input size");
  return g;
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, IntOrPair stride_in, IntOrPair padding_in,
              IntOrPair dilation_in, int64_t groups) {
  const auto [x, w, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, w_in, b_in);
  if (x.dim() == 3) return conv2d(x.unsqueeze(0), w, b, stride_in, padding_in, dilation_in, groups).squeeze(0);
  EMBER_PROFILE_OP("conv2d");
  const Dims stride = detail::expand_pair(stride_in, "conv2d", "stride");
  const Dims padding = detail::expand_pair(padding_in, "conv2d", "padding");
  const Dims dilation = detail::expand_pair(dilation_in, "conv2d", "dilation");
  const ConvGeometry g = conv_geometry(x, w, b, stride, padding, dilation, groups);
  // Channels-last when the input or the weight is, as PyTorch's convolutions choose.
  const bool channels_last = x.suggest_memory_format() == MemoryFormat::ChannelsLast ||
                             w.suggest_memory_format() == MemoryFormat::ChannelsLast;
  const MemoryFormat format = channels_last ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
  // The kernels' layout (Note [Channels-last layers] in nn/functional/args.h).
  const MemoryFormat kernel = detail::kernel_format(x, format);
  const Tensor xc = detail::dense_in(x, kernel), wc = detail::dense_in(w, kernel), bc = detail::contiguous(b);
  Tensor out = make_empty({g.N, g.O, g.OH, g.OW}, x.dtype(), x.device(), kernel);
  device_ops(x.device()).conv2d_forward(xc, wc, bc, g, out);
  out = detail::in_format(out, format);
  if (autograd::will_record_into(out, x, w, b)) {
    // x is needed only for w's gradient, w only for x's.
    autograd::record("ConvolutionBackward", {&x, &w, &b}, {&out},
                     {w.requires_grad() ? xc : Tensor(), x.requires_grad() ? wc : Tensor()},
                     [g, kernel, w_format = dense_format_of(w)](const tensor_list& grads, const tensor_list& saved,
                                                                const auto& in) {
                       const Device dev = grads[0].device();
                       const DType dt = grads[0].dtype();
                       const auto grad_if = [&](size_t i, const Dims& shape, MemoryFormat layout) {
                         return autograd::needs_grad(in, i) ? make_empty(shape, dt, dev, layout) : Tensor();
                       };
                       tensor_list out{grad_if(0, {g.N, g.C, g.H, g.W}, kernel),
                                       grad_if(1, {g.O, g.C / g.groups, g.KH, g.KW}, kernel),
                                       grad_if(2, {g.O}, MemoryFormat::Contiguous)};
                       device_ops(dev).conv2d_backward(detail::dense_in(grads[0], kernel), saved[0], saved[1], g,
                                                       out[0], out[1], out[2]);
                       // The weight's gradient laid out like the weight, as optimizers expect.
                       if (out[1].defined()) out[1] = detail::dense_in(out[1], w_format);
                       return out;
                     });
  }
  return out;
}

}  // namespace ember::nn::functional
