// nn::functional max_pool2d (and _with_indices), avg_pool2d, adaptive_max_pool2d (and
// _with_indices) and adaptive_avg_pool2d (1-D pooling: pool1d.cpp; max_unpool2d:
// unpool.cpp): argument checks with PyTorch's
// messages, the device's pooling kernels (core/dispatch.h), outputs in the
// input's memory format (Note [Channels-last layers] in nn/functional/args.h), and one
// backward node each (max pooling keeps its window-local argmax indices, only when
// recording: Note [Compact saved activations] in core/bitmask.h). bfloat16 and float16 input
// is pooled by the kernels directly (Note [16-bit pooling]).
//
// Note [16-bit pooling]
// ~~~~~~~~~~~~~~~~~~~~~
// Both devices' pooling kernels read and write bfloat16 and float16 tensors and compute in
// float (ComputeType): max pooling compares the widened values (exact: the winner and its
// value are float32's on the same numbers), average pooling sums and divides in float and
// rounds each output once, and both backwards sum a 16-bit gradient in float (a float plane
// per CPU thread, a float register per CUDA thread) and round each input's gradient once.
// The results are the float32 kernel's on the widened input, rounded once, as PyTorch's
// 16-bit kernels give; no float32 copy of the input or output is made (a float16 model's
// no_grad peak had held both).
//
// Note [Pooling options]
// Every PyTorch option is one field of PoolGeometry (core/nn_geometry.h), read by
// pool_window and the saved-index math (core/bitmask.h) that both devices' kernels share:
//   - dilation (max only) steps the window's taps; a tap in the padding is skipped, and a
//     window whose taps all miss the input (possible only with dilation) gives -inf and
//     no gradient (PyTorch would index outside the plane there).
//   - ceil_mode changes only OH/OW (pool_out_size, PyTorch's pooling_output_shape).
//   - count_include_pad / divisor_override change only an average's divisor; with
//     ceil_mode a window reaching past the right padding counts only up to it, as in
//     PyTorch (1.13 and 2.x alike).
//   - return_indices: PyTorch's flat h * W + w int64 indices. The returned tensor is the
//     one saved for backward (g.flat_indices), so asking for indices costs its int64
//     tensor once, not a compact copy besides; without return_indices the saved indices
//     stay window-local uint8 (the default options' saved bytes are unchanged). Both
//     route every gradient to the same element in the same order: bit-identical.
//   - adaptive max pooling is max pooling over adaptive windows (g.adaptive); its
//     window-local indices are framed by the largest window (adaptive_window_bound).
// Checks and messages follow PyTorch (pool2d_shape_check, pooling_output_shape): padding at
// most half the effective (dilated) kernel, as PyTorch 2's; "Output size is too small".
#include <tuple>
#include <vector>

#include "autograd/function_node.h"
#include "core/bitmask.h"
#include "core/dispatch.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "nn/functional/args.h"
#include "nn/functional/conv.h"

namespace ember::nn::functional {
namespace {

using autograd::tensor_list;

// Shape checks common to every pooling; fills planes, H, W.
PoolGeometry pool_input(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, op, ": Expected 3D or 4D (batch mode) tensor for input, but got input of size: ",
              x.sizes());
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a float32, float64, bfloat16 or float16 input, but got ",
              dtype_name(x.dtype()));
  PoolGeometry g{};
  g.H = x.size(x.dim() - 2);
  g.W = x.size(x.dim() - 1);
  g.planes = x.size(0) * (x.dim() == 4 ? x.size(1) : 1);
  EMBER_CHECK(g.H > 0 && g.W > 0 && x.size(x.dim() - 3) > 0, op,
              ": Expected input to have non-zero size for non-batch dimensions (3D or 4D (batch mode) tensor with "
              "optional 0 dim batch size), but got ",
              x.sizes());
  return g;
}

// Window pooling's sizes and PyTorch's checks of them (torch 1.13's phrases).
PoolGeometry window_geometry(const Tensor& x, const char* op, const Dims& kernel_in, const Dims& stride_in,
                             const Dims& padding_in, const Dims& dilation_in, bool ceil_mode) {
  PoolGeometry g = pool_input(x, op);
  const Dims kernel = detail::expand_pair(kernel_in, op, "kernel_size");
  const Dims stride = stride_in.empty() ? kernel : detail::expand_pair(stride_in, op, "stride");
  const Dims padding = detail::expand_pair(padding_in, op, "padding");
  const Dims dilation = detail::expand_pair(dilation_in, op, "dilation");
  EMBER_CHECK(kernel[0] > 0 && kernel[1] > 0, op, ": kernel size should be greater than zero, but got kH: ", kernel[0],
              " kW: ", kernel[1]);
  EMBER_CHECK(stride[0] > 0 && stride[1] > 0, op, ": stride should be greater than zero, but got dH: ", stride[0],
              " dW: ", stride[1]);
  EMBER_CHECK(dilation[0] > 0 && dilation[1] > 0, op, ": dilation should be greater than zero, but got dilationH: ",
              dilation[0], " dilationW: ", dilation[1]);
  for (int i = 0; i < 2; ++i) {
    detail::check_pool_padding(op, padding[i], kernel[i], dilation[i]);
  }
  g.KH = kernel[0], g.KW = kernel[1], g.SH = stride[0], g.SW = stride[1], g.PH = padding[0], g.PW = padding[1];
  g.DH = dilation[0], g.DW = dilation[1];
  g.OH = pool_out_size(g.H, g.KH, g.SH, g.PH, g.DH, ceil_mode);
  g.OW = pool_out_size(g.W, g.KW, g.SW, g.PW, g.DW, ceil_mode);
  const int64_t C = x.size(x.dim() - 3);
  EMBER_CHECK(g.OH > 0 && g.OW > 0, op, ": Given input size: (", C, "x", g.H, "x", g.W, "). Calculated output size: (",
              C, "x", g.OH, "x", g.OW, "). Output size is too small");
  return g;
}

PoolGeometry adaptive_geometry(const Tensor& x, const char* op, const Dims& output_size) {
  PoolGeometry g = pool_input(x, op);
  const Dims size = detail::expand_pair(output_size, op, "output_size");
  EMBER_CHECK(size[0] >= 0 && size[1] >= 0, op, ": elements of output_size must be greater than or equal to 0 but "
              "received ", size);
  g.OH = size[0], g.OW = size[1], g.adaptive = true;
  g.KH = adaptive_window_bound(g.H, g.OH), g.KW = adaptive_window_bound(g.W, g.OW);
  return g;
}

// An adaptive output size of 0 (PyTorch returns an empty tensor): no kernel runs, whose
// window arithmetic divides by the output size; the gradient is zeros.
bool empty_output(const PoolGeometry& g) { return g.OH == 0 || g.OW == 0 || g.planes == 0; }

Dims pooled_shape(const Tensor& x, const PoolGeometry& g) {
  Dims shape = x.sizes();
  shape[shape.size() - 2] = g.OH;
  shape[shape.size() - 1] = g.OW;
  return shape;
}

Tensor average(const Tensor& x, const PoolGeometry& g, const char* node_name);

// Average pooling's gradient: linear in grad, and the forward pooling is its adjoint, so
// for create_graph (Note [Higher-order gradients] in autograd/engine.h) its own
// derivative is the pooling again.
Tensor average_grad(const Tensor& grad, const Dims& input_shape, const PoolGeometry& g, MemoryFormat kernel,
                    const char* node_name) {
  Tensor gx = make_empty(input_shape, grad.dtype(), grad.device(), kernel);
  if (empty_output(g))
    native::zero_(gx);
  else
    device_ops(gx.device()).avg_pool2d_backward(detail::dense_in(grad, kernel), g, gx);
  if (autograd::will_record_into(gx, grad))
    autograd::record("AvgPool2DBackwardBackward", {&grad}, {&gx}, {},
                     [g, node_name](const tensor_list& u, const tensor_list&, const auto&) {
                       return tensor_list{average(u[0], g, node_name)};
                     })
        ->set_differentiable_backward();
  return gx;
}

// Average pooling of either kind: forward plus an "<name>" node.
Tensor average(const Tensor& x, const PoolGeometry& g, const char* node_name) {
  const MemoryFormat format = x.suggest_memory_format();
  const MemoryFormat kernel = detail::kernel_format(x, format);  // Note [Channels-last layers]
  Tensor out = make_empty(pooled_shape(x, g), x.dtype(), x.device(), kernel);
  if (!empty_output(g)) device_ops(x.device()).avg_pool2d_forward(detail::dense_in(x, kernel), g, out);
  out = detail::in_format(out, format);
  if (autograd::will_record_into(out, x)) {
    autograd::record(node_name, {&x}, {&out}, {},
                     [g, kernel, node_name](const tensor_list& grads, const tensor_list&, const auto& in) {
                       return tensor_list{average_grad(grads[0], in[0].shape, g, kernel, node_name)};
                     })
        ->set_backward_reads_inputs();
  }
  return out;
}

// Max pooling's gradient scatters g to the winners; for create_graph (Note [Higher-order
// gradients] in autograd/engine.h) its own derivative gathers the gradient u at them:
// u's element at each winner's flat position (plane * H * W + h * W + w, from the
// saved index, window_flat_index's math) picked by index_select, which is
// differentiable again. The positions are computed in float64 (exact for any tensor
// that fits in memory) by the device's elementwise kernels; a window with no winner (a
// dilated one outside the plane, Note [Pooling options]) gathers 0.
Tensor gather_at_winners(const Tensor& u, const Tensor& indices, const PoolGeometry& g) {
  Tensor flat, found;
  {
    NoGradGuard positions;
    const TensorOptions f64 = TensorOptions(kFloat64).device(u.device());
    Tensor at = native::to_dtype(native::reshape(indices, {g.planes, g.OH, g.OW}), kFloat64);  // h * W + w, or -1
    if (!g.flat_indices) {
      // The windows' origins (window_origin), then the winners' rows and columns.
      std::vector<double> oh0(static_cast<size_t>(g.OH)), ow0(static_cast<size_t>(g.OW));
      int64_t h = 0, w = 0;
      for (int64_t o = 0; o < g.OH && g.OW > 0; ++o) {
        window_origin<int64_t>(g, o, 0, h, w);
        oh0[static_cast<size_t>(o)] = static_cast<double>(h);
      }
      for (int64_t o = 0; o < g.OW && g.OH > 0; ++o) {
        window_origin<int64_t>(g, 0, o, h, w);
        ow0[static_cast<size_t>(o)] = static_cast<double>(w);
      }
      const Tensor row =
          native::to_dtype(native::to_dtype(native::div(at, static_cast<double>(g.KW)), kInt64), kFloat64);
      const Tensor col = native::sub(at, native::mul(row, static_cast<double>(g.KW)));
      const Tensor rows = native::add(tensor(oh0, {1, g.OH, 1}, f64), native::mul(row, static_cast<double>(g.DH)));
      const Tensor cols = native::add(tensor(ow0, {1, 1, g.OW}, f64), native::mul(col, static_cast<double>(g.DW)));
      at = native::add(native::mul(rows, static_cast<double>(g.W)), cols);
      if (g.DH > 1 || g.DW > 1) {  // only dilation leaves windows without a winner
        const Tensor inside_h = native::bitwise_and(native::ge(rows, 0.0), native::lt(rows, static_cast<double>(g.H)));
        const Tensor inside_w = native::bitwise_and(native::ge(cols, 0.0), native::lt(cols, static_cast<double>(g.W)));
        found = native::bitwise_and(inside_h, inside_w);
      }
    } else if (g.DH > 1 || g.DW > 1) {
      found = native::ge(at, 0.0);
    }
    if (found.defined()) at = native::where(found, at, 0.0);
    const Tensor plane = native::view(arange(g.planes, f64), {g.planes, 1, 1});
    at = native::add(native::mul(plane, static_cast<double>(g.H * g.W)), at);
    flat = native::reshape(native::to_dtype(at, kInt64), {g.planes * g.OH * g.OW});
  }
  const Tensor gathered = index_select(u.reshape({g.planes * g.H * g.W}), 0, flat).view(indices.sizes());
  return found.defined() ? where(found.view(indices.sizes()), gathered, 0.0) : gathered;
}

// max_pool2d_backward's scatter, recorded under create_graph with the gather as its
// derivative.
Tensor max_pool_grad(const Tensor& grad, const Tensor& indices, const Dims& input_shape, const PoolGeometry& g,
                     MemoryFormat layout, const char* grad_node_name) {
  Tensor gx = make_empty(input_shape, grad.dtype(), grad.device(), layout);
  if (empty_output(g))
    native::zero_(gx);
  else
    device_ops(gx.device()).max_pool2d_backward(detail::dense_in(grad, layout), indices, g, gx);
  if (autograd::will_record_into(gx, grad))
    autograd::record(grad_node_name, {&grad}, {&gx}, {indices},
                     [g](const tensor_list& u, const tensor_list& s, const auto&) {
                       return tensor_list{gather_at_winners(u[0], s[0], g)};
                     })
        ->set_differentiable_backward();
  return gx;
}

// Max pooling of either kind (window or adaptive): the output, and with return_indices
// the flat indices (Note [Pooling options]), plus a "<node_name>" node.
std::tuple<Tensor, Tensor> max_pool(const Tensor& x, PoolGeometry g, bool return_indices, const char* node_name,
                                    const char* grad_node_name) {
  g.flat_indices = return_indices;
  const bool recording = autograd::will_record(x);
  const MemoryFormat format = x.suggest_memory_format();
  const MemoryFormat layout = detail::kernel_format(x, format);  // Note [Channels-last layers]
  Tensor out = make_empty(pooled_shape(x, g), x.dtype(), x.device(), layout);
  // The winners' positions in their windows, not the input (Note [Compact saved activations]),
  // laid out like the kernel's output, as backward reads them.
  const DType index_dtype = pool_indices_fit_uint8(g) ? kUInt8 : kInt64;
  const Tensor indices =
      recording || return_indices ? make_empty(out.sizes(), index_dtype, x.device(), layout) : Tensor();
  if (!empty_output(g)) device_ops(x.device()).max_pool2d_forward(detail::dense_in(x, layout), g, out, indices);
  out = detail::in_format(out, format);
  if (recording) {
    autograd::record(node_name, {&x}, {&out}, {indices},
                     [g, layout, grad_node_name](const tensor_list& grads, const tensor_list& saved, const auto& in) {
                       return tensor_list{max_pool_grad(grads[0], saved[0], in[0].shape, g, layout, grad_node_name)};
                     })
        ->set_backward_reads_inputs();
  } else {
    autograd::note_untracked(out, {&x});
  }
  return {out, return_indices ? detail::in_format(indices, format) : Tensor()};
}

}  // namespace

Tensor max_pool2d(const Tensor& x, IntOrPair kernel, IntOrPair stride, IntOrPair padding, IntOrPair dilation,
                  bool ceil_mode) {
  const PoolGeometry g = window_geometry(x, "max_pool2d", kernel, stride, padding, dilation, ceil_mode);
  return std::get<0>(max_pool(x, g, false, "MaxPool2DWithIndicesBackward", "MaxPool2DWithIndicesBackwardBackward"));
}

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, IntOrPair kernel, IntOrPair stride,
                                                   IntOrPair padding, IntOrPair dilation, bool ceil_mode) {
  const PoolGeometry g = window_geometry(x, "max_pool2d", kernel, stride, padding, dilation, ceil_mode);
  return max_pool(x, g, true, "MaxPool2DWithIndicesBackward", "MaxPool2DWithIndicesBackwardBackward");
}

Tensor avg_pool2d(const Tensor& x, IntOrPair kernel, IntOrPair stride, IntOrPair padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  EMBER_CHECK(!divisor_override || *divisor_override != 0, "avg_pool2d: divisor must be not zero");
  PoolGeometry g = window_geometry(x, "avg_pool2d", kernel, stride, padding, {1}, ceil_mode);
  g.count_include_pad = count_include_pad;
  g.divisor_override = divisor_override.value_or(0);
  return average(x, g, "AvgPool2DBackward");
}

Tensor adaptive_avg_pool2d(const Tensor& x, IntOrPair output_size) {
  return average(x, adaptive_geometry(x, "adaptive_avg_pool2d", output_size), "AdaptiveAvgPool2DBackward");
}

Tensor adaptive_max_pool2d(const Tensor& x, IntOrPair output_size) {
  const PoolGeometry g = adaptive_geometry(x, "adaptive_max_pool2d", output_size);
  return std::get<0>(max_pool(x, g, false, "AdaptiveMaxPool2DBackward", "AdaptiveMaxPool2DBackwardBackward"));
}

std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& x, IntOrPair output_size) {
  const PoolGeometry g = adaptive_geometry(x, "adaptive_max_pool2d", output_size);
  return max_pool(x, g, true, "AdaptiveMaxPool2DBackward", "AdaptiveMaxPool2DBackwardBackward");
}

}  // namespace ember::nn::functional
