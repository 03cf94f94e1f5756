// nn::functional max_pool2d, avg_pool2d and adaptive_avg_pool2d: argument checks with
// PyTorch's messages, the device's pooling kernels (core/dispatch.h), outputs in the
// input's memory format (Note [Channels-last layers] in nn/functional/args.h), and one
// backward node each (max pooling keeps its window-local argmax indices, only when
// recording: Note [Compact saved activations] in core/bitmask.h). bfloat16 input is pooled
// in float32 through differentiable casts (the kernels have no bf16 path): max pooling
// gives the same values, average pooling rounds once, as PyTorch's bf16 kernels do.
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
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a float32, float64 or bfloat16 input, but got ",
              dtype_name(x.dtype()));
  PoolGeometry g{};
  g.H = x.size(x.dim() - 2);
  g.W = x.size(x.dim() - 1);
  g.planes = x.size(0) * (x.dim() == 4 ? x.size(1) : 1);
  EMBER_CHECK(g.H > 0 && g.W > 0, op, ": Expected input to have non-zero size for non-batch dimensions, but got ",
              x.sizes());
  return g;
}

PoolGeometry window_geometry(const Tensor& x, const char* op, const Dims& kernel_in, const Dims& stride_in,
                                     const Dims& padding_in) {
  PoolGeometry g = pool_input(x, op);
  const Dims kernel = detail::expand_pair(kernel_in, op, "kernel_size");
  const Dims stride = stride_in.empty() ? kernel : detail::expand_pair(stride_in, op, "stride");
  const Dims padding = detail::expand_pair(padding_in, op, "padding");
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(kernel[i] > 0, op, ": kernel_size must be greater than zero, but got ", kernel);
    EMBER_CHECK(stride[i] > 0, op, ": stride must be greater than zero, but got ", stride);
    EMBER_CHECK(padding[i] >= 0 && padding[i] <= kernel[i] / 2, op,
                ": pad should be at most half of effective kernel size, but got pad=", padding[i],
                ", kernel_size=", kernel[i], " and dilation=1");
  }
  g.KH = kernel[0], g.KW = kernel[1], g.SH = stride[0], g.SW = stride[1], g.PH = padding[0], g.PW = padding[1];
  g.OH = conv_out_size(g.H, g.KH, g.SH, g.PH, 1);
  g.OW = conv_out_size(g.W, g.KW, g.SW, g.PW, 1);
  EMBER_CHECK(g.OH > 0 && g.OW > 0, op, ": Given input size: ", x.sizes(), ". Calculated output size: (", g.OH, "x",
              g.OW, "). Output size is too small");
  return g;
}

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
  if (x.dtype() == kBFloat16) return average(x.to(kFloat32), g, node_name).to(kBFloat16);
  const MemoryFormat format = x.suggest_memory_format();
  const MemoryFormat kernel = detail::kernel_format(x, format);  // Note [Channels-last layers]
  Tensor out = make_empty(pooled_shape(x, g), x.dtype(), x.device(), kernel);
  device_ops(x.device()).avg_pool2d_forward(detail::dense_in(x, kernel), g, out);
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
// window-local index, window_flat_index's math) picked by index_select, which is
// differentiable again. The positions are computed in float64 (exact for any tensor
// that fits in memory) by the device's elementwise kernels.
Tensor gather_at_winners(const Tensor& u, const Tensor& indices, const PoolGeometry& g) {
  Tensor flat;
  {
    NoGradGuard positions;
    const TensorOptions f64 = TensorOptions(kFloat64).device(u.device());
    const Tensor local = native::to_dtype(native::reshape(indices, {g.planes, g.OH, g.OW}), kFloat64);
    const Tensor row = native::to_dtype(native::to_dtype(native::div(local, static_cast<double>(g.KW)), kInt64), kFloat64);
    const Tensor col = native::sub(local, native::mul(row, static_cast<double>(g.KW)));
    const Tensor oh = native::view(arange(g.OH, f64), {1, g.OH, 1});
    const Tensor ow = native::view(arange(g.OW, f64), {1, 1, g.OW});
    const Tensor h = native::add(native::add(native::mul(oh, static_cast<double>(g.SH)), -static_cast<double>(g.PH)), row);
    const Tensor w = native::add(native::add(native::mul(ow, static_cast<double>(g.SW)), -static_cast<double>(g.PW)), col);
    const Tensor plane = native::view(arange(g.planes, f64), {g.planes, 1, 1});
    const Tensor at = native::add(native::add(native::mul(plane, static_cast<double>(g.H * g.W)),
                                              native::mul(h, static_cast<double>(g.W))),
                                  w);
    flat = native::reshape(native::to_dtype(at, kInt64), {g.planes * g.OH * g.OW});
  }
  return index_select(u.reshape({g.planes * g.H * g.W}), 0, flat).view(indices.sizes());
}

// max_pool2d_backward's scatter, recorded under create_graph with the gather as its
// derivative.
Tensor max_pool_grad(const Tensor& grad, const Tensor& indices, const Dims& input_shape, const PoolGeometry& g,
                     MemoryFormat layout) {
  Tensor gx = make_empty(input_shape, grad.dtype(), grad.device(), layout);
  device_ops(gx.device()).max_pool2d_backward(detail::dense_in(grad, layout), indices, g, gx);
  if (autograd::will_record_into(gx, grad))
    autograd::record("MaxPool2DWithIndicesBackwardBackward", {&grad}, {&gx}, {indices},
                     [g](const tensor_list& u, const tensor_list& s, const auto&) {
                       return tensor_list{gather_at_winners(u[0], s[0], g)};
                     })
        ->set_differentiable_backward();
  return gx;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, IntOrPair kernel, IntOrPair stride, IntOrPair padding) {
  const PoolGeometry g = window_geometry(x, "max_pool2d", kernel, stride, padding);
  if (x.dtype() == kBFloat16) return max_pool2d(x.to(kFloat32), kernel, stride, padding).to(kBFloat16);
  const bool recording = autograd::will_record(x);
  const MemoryFormat format = x.suggest_memory_format();
  const MemoryFormat layout = detail::kernel_format(x, format);  // Note [Channels-last layers]
  Tensor out = make_empty(pooled_shape(x, g), x.dtype(), x.device(), layout);
  // The winners' positions in their windows, not the input (Note [Compact saved activations]),
  // laid out like the kernel's output, as backward reads them.
  const DType index_dtype = pool_indices_fit_uint8(g) ? kUInt8 : kInt64;
  const Tensor indices = recording ? make_empty(out.sizes(), index_dtype, x.device(), layout) : Tensor();
  device_ops(x.device()).max_pool2d_forward(detail::dense_in(x, layout), g, out, indices);
  out = detail::in_format(out, format);
  if (recording) {
    autograd::record("MaxPool2DWithIndicesBackward", {&x}, {&out}, {indices},
                     [g, layout](const tensor_list& grads, const tensor_list& saved, const auto& in) {
                       return tensor_list{max_pool_grad(grads[0], saved[0], in[0].shape, g, layout)};
                     })
        ->set_backward_reads_inputs();
  } else {
    autograd::note_untracked(out, {&x});
  }
  return out;
}

Tensor avg_pool2d(const Tensor& x, IntOrPair kernel, IntOrPair stride, IntOrPair padding) {
  return average(x, window_geometry(x, "avg_pool2d", kernel, stride, padding), "AvgPool2DBackward");
}

Tensor adaptive_avg_pool2d(const Tensor& x, IntOrPair output_size) {
  PoolGeometry g = pool_input(x, "adaptive_avg_pool2d");
  const Dims size = detail::expand_pair(output_size, "adaptive_avg_pool2d", "output_size");
  EMBER_CHECK(size[0] >= 0 && size[1] >= 0, "adaptive_avg_pool2d: elements of output_size must be greater than or "
              "equal to 0 but received ", size);
  g.OH = size[0], g.OW = size[1], g.adaptive = true;
  return average(x, g, "AdaptiveAvgPool2DBackward");
}

}  // namespace ember::nn::functional
