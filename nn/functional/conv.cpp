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
#include "nn/functional/conv_detail.h"
#include "nn/functional/pad.h"

namespace ember::nn::functional {

using autograd::tensor_list;

namespace detail {

void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, const Dims& stride,
                     const Dims& padding, const Dims& dilation, int64_t groups) {
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a float32, float64, bfloat16 or float16 input, but got ",
              dtype_name(x.dtype()));
  EMBER_CHECK(x.dtype() == w.dtype() && (!b.defined() || b.dtype() == x.dtype()), op, ": Input type (",
              dtype_name(x.dtype()), ") and weight type (", dtype_name(w.dtype()), ")",
              b.defined() ? " and bias type (" + std::string(dtype_name(b.dtype())) + ")" : "",
              " should be the same");
  native::check_same_device(x, {&w, &b}, op);
  EMBER_CHECK(groups > 0, "non-positive groups is not supported");
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(stride[i] > 0, "non-positive stride is not supported");
    EMBER_CHECK(padding[i] >= 0, "negative padding is not supported");
    EMBER_CHECK(dilation[i] > 0, "dilation should be greater than zero");
  }
  EMBER_CHECK(w.size(2) > 0 && w.size(3) > 0, "kernel size should be greater than zero, but got kernel_height: ",
              w.size(2), " kernel_width: ", w.size(3));
}

ConvLayouts conv_layouts(const Tensor& x, const Tensor& w) {
  const bool channels_last = x.suggest_memory_format() == MemoryFormat::ChannelsLast ||
                             w.suggest_memory_format() == MemoryFormat::ChannelsLast;
  const MemoryFormat format = channels_last ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
  return {format, kernel_format(x, format)};
}

Tensor conv_operand(const Tensor& t, MemoryFormat kernel, bool recording) {
  return recording ? t.contiguous(kernel) : dense_in(t, kernel);
}

void record_convolution(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& out, const Tensor& xc,
                        const Tensor& wc, autograd::BackwardFormula formula) {
  autograd::record("ConvolutionBackward", {&x, &w, &b}, {&out},
                   {w.requires_grad() ? xc : Tensor(), x.requires_grad() ? wc : Tensor()}, std::move(formula))
      ->set_backward_reads_inputs(/*x and w, not the bias*/ 0b011);
}

std::pair<Dims, Dims> same_padding_sides(const Dims& kernel, const Dims& dilation) {
  Dims before, after;
  for (size_t i = 0; i < kernel.size(); ++i) {
    const int64_t total = dilation[i] * (kernel[i] - 1);
    before.push_back(total / 2);
    after.push_back(total - total / 2);
  }
  return {before, after};
}

// Note [Convolution's double backward]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// For create_graph (Note [Higher-order gradients] in autograd/engine.h) convolution's
// gradients are recorded ops. Both are bilinear: gx = input_grad(g, w) (the transposed
// convolution) and gw = weight_grad(x, g). Since <u, input_grad(g, w)> = <conv2d(u, w), g>
// and <v, weight_grad(x, g)> = <conv2d(x, v), g>, their gradients are again the three
// convolutions: input_grad's are conv2d(u, w) for g and weight_grad(u, g) for w;
// weight_grad's are input_grad(g, v) for x and conv2d(x, v) for g. So every order is
// differentiable, with the device's own kernels.
Tensor conv2d_of(const Tensor& x, const Tensor& w, const ConvGeometry& geo) {
  return conv2d(x, w, Tensor(), {geo.SH, geo.SW}, {geo.PH, geo.PW}, {geo.DH, geo.DW}, geo.groups);
}

Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const ConvGeometry& geo, MemoryFormat kernel) {
  const Tensor gc = g.contiguous(kernel), wc = w.contiguous(kernel);
  Tensor gx = make_empty({geo.N, geo.C, geo.H, geo.W}, g.dtype(), g.device(), kernel);
  device_ops(g.device()).conv2d_backward(gc, Tensor(), wc, geo, gx, Tensor(), Tensor());
  if (autograd::will_record_into(gx, gc, wc))
    autograd::record("ConvolutionBackwardBackward", {&gc, &wc}, {&gx}, {gc, wc},
                     [geo, kernel](const tensor_list& u, const tensor_list& s, const auto& in) {
                       return tensor_list{autograd::needs_grad(in, 0) ? conv2d_of(u[0], s[1], geo) : Tensor(),
                                          autograd::needs_grad(in, 1) ? conv2d_weight_grad(u[0], s[0], geo, kernel)
                                                                      : Tensor()};
                     })
        ->set_differentiable_backward();
  return gx;
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const ConvGeometry& geo, MemoryFormat kernel) {
  const Tensor xc = x.contiguous(kernel), gc = g.contiguous(kernel);
  Tensor gw = make_empty({geo.O, geo.C / geo.groups, geo.KH, geo.KW}, g.dtype(), g.device(), kernel);
  device_ops(g.device()).conv2d_backward(gc, xc, Tensor(), geo, Tensor(), gw, Tensor());
  if (autograd::will_record_into(gw, xc, gc))
    autograd::record("ConvolutionBackwardBackward", {&xc, &gc}, {&gw}, {xc, gc},
                     [geo, kernel](const tensor_list& v, const tensor_list& s, const auto& in) {
                       return tensor_list{autograd::needs_grad(in, 0) ? conv2d_input_grad(s[1], v[0], geo, kernel)
                                                                      : Tensor(),
                                          autograd::needs_grad(in, 1) ? conv2d_of(s[0], v[0], geo) : Tensor()};
                     })
        ->set_differentiable_backward();
  return gw;
}

}  // namespace detail

namespace {

using detail::check_conv_args;
using detail::conv2d_input_grad;
using detail::conv2d_weight_grad;

ConvGeometry conv_geometry(const Tensor& x, const Tensor& w, const Tensor& b, const Dims& stride,
                                   const Dims& padding, const Dims& dilation, int64_t groups) {
  EMBER_CHECK(x.dim() == 4, "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ",
              x.sizes());
  EMBER_CHECK(w.dim() == 4, "Expected 4-dimensional weight for 4-dimensional input ", x.sizes(), ", but got ",
              w.dim(), "-dimensional weight of size ", w.sizes(), " instead");
  check_conv_args("conv2d", x, w, b, stride, padding, dilation, groups);
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

// ConvolutionBackward's formula when the backward records (Note [Convolution's double
// backward]): the three gradients as differentiable ops.
tensor_list conv2d_recorded_grads(const Tensor& g, const Tensor& x, const Tensor& w, const ConvGeometry& geo,
                                  MemoryFormat kernel, const std::vector<autograd::InputMeta>& in) {
  return {autograd::needs_grad(in, 0) ? conv2d_input_grad(g, w, geo, kernel) : Tensor(),
          autograd::needs_grad(in, 1) ? conv2d_weight_grad(x, g, geo, kernel) : Tensor(),
          autograd::needs_grad(in, 2) ? g.sum({0, 2, 3}) : Tensor()};
}

// Note [Same padding]
// ~~~~~~~~~~~~~~~~~~~
// padding=kSame (PyTorch's padding="same") keeps the input's spatial size at stride 1:
// dilation * (kernel - 1) padded in all per dim, half before (rounded down) and the rest
// after, as PyTorch splits it. An even total is conv2d's own symmetric padding; an odd one
// first pads the input with the extra zero row or column after it (F::pad, recorded, a
// copy of the input as in PyTorch), then convolves with the symmetric part. Layers with a
// padding_mode other than "zeros" pad with that mode instead, using the same split.
Tensor conv2d_same(const Tensor& x, const Tensor& w, const Tensor& b, const Dims& stride, const Dims& dilation,
                   int64_t groups) {
  EMBER_CHECK(stride[0] == 1 && stride[1] == 1, "padding='same' is not supported for strided convolutions");
  EMBER_CHECK(w.dim() == 4, "Expected 4-dimensional weight for 4-dimensional input ", x.sizes(), ", but got ",
              w.dim(), "-dimensional weight of size ", w.sizes(), " instead");
  EMBER_CHECK(dilation[0] > 0 && dilation[1] > 0, "dilation should be greater than zero");
  const auto [before, after] = detail::same_padding_sides({w.size(2), w.size(3)}, dilation);
  const Tensor in = before == after ? x : pad(x, {0, after[1] - before[1], 0, after[0] - before[0]});
  return conv2d(in, w, b, stride, before, dilation, groups);
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, IntOrPair stride_in, ConvPadding padding_in,
              IntOrPair dilation_in, int64_t groups) {
  const auto [x, w, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, w_in, b_in);
  if (x.dim() == 3) return conv2d(x.unsqueeze(0), w, b, stride_in, padding_in, dilation_in, groups).squeeze(0);
  const Dims stride = detail::expand_pair(stride_in, "conv2d", "stride");
  const Dims dilation = detail::expand_pair(dilation_in, "conv2d", "dilation");
  if (padding_in.same) return conv2d_same(x, w, b, stride, dilation, groups);
  EMBER_PROFILE_OP("conv2d");
  const Dims padding = detail::expand_pair(padding_in.size, "conv2d", "padding");
  const ConvGeometry g = conv_geometry(x, w, b, stride, padding, dilation, groups);
  const auto [format, kernel] = detail::conv_layouts(x, w);
  const bool recording = autograd::will_record(x, w, b);
  const Tensor xc = detail::conv_operand(x, kernel, recording), wc = detail::conv_operand(w, kernel, recording);
  const Tensor bc = detail::contiguous(b);
  Tensor out = make_empty({g.N, g.O, g.OH, g.OW}, x.dtype(), x.device(), kernel);
  device_ops(x.device()).conv2d_forward(xc, wc, bc, g, out);
  out = detail::in_format(out, format);
  if (autograd::will_record_into(out, x, w, b)) {
    detail::record_convolution(x, w, b, out, xc, wc,
                     [g, kernel = kernel, w_format = dense_format_of(w)](const tensor_list& grads, const tensor_list& saved,
                                                                const auto& in) {
                       if (is_grad_enabled()) return conv2d_recorded_grads(grads[0], saved[0], saved[1], g, kernel, in);
                       const Device dev = grads[0].device();
                       const DType dt = grads[0].dtype();
                       const auto grad_if = [&](size_t i, const Dims& shape, MemoryFormat layout) {
                         return autograd::needs_grad(in, i) ? make_empty(shape, dt, dev, layout) : Tensor();
                       };
                       tensor_list out{grad_if(0, {g.N, g.C, g.H, g.W}, kernel),
                                       grad_if(1, {g.O, g.C / g.groups, g.KH, g.KW}, kernel),
                                       grad_if(2, {g.O}, MemoryFormat::Contiguous)};
                       device_ops(dev).conv2d_backward(detail::dense_in(grads[0], kernel),
                                                       detail::dense_in(saved[0], kernel),
                                                       detail::dense_in(saved[1], kernel), g, out[0], out[1], out[2]);
                       // The weight's gradient laid out like the weight, as optimizers expect.
                       if (out[1].defined()) out[1] = detail::dense_in(out[1], w_format);
                       return out;
                     });
  }
  return out;
}

}  // namespace ember::nn::functional
