// nn::functional max_pool2d, avg_pool2d and adaptive_avg_pool2d: argument checks with
// PyTorch's messages, the kernels of pool_cpu.cpp, and one backward node each (max
// pooling keeps its argmax indices only when recording).
#include "autograd/function_node.h"
#include "core/native.h"
#include "nn/functional/conv.h"
#include "nn/functional/conv_cpu.h"

namespace ember::nn::functional {
namespace {

using autograd::tensor_list;

// Shape checks common to every pooling; fills planes, H, W.
detail::PoolGeometry pool_input(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, op, ": Expected 3D or 4D (batch mode) tensor for input, but got input of size: ",
              x.sizes());
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a float32 or float64 input, but got ", dtype_name(x.dtype()));
  EMBER_CHECK(x.is_cpu(), op, ": only CPU tensors are supported for now, but got a tensor on ", x.device());
  detail::PoolGeometry g{};
  g.H = x.size(x.dim() - 2);
  g.W = x.size(x.dim() - 1);
  g.planes = x.size(0) * (x.dim() == 4 ? x.size(1) : 1);
  EMBER_CHECK(g.H > 0 && g.W > 0, op, ": Expected input to have non-zero size for non-batch dimensions, but got ",
              x.sizes());
  return g;
}

detail::PoolGeometry window_geometry(const Tensor& x, const char* op, const Dims& kernel_in, const Dims& stride_in,
                                     const Dims& padding_in) {
  detail::PoolGeometry g = pool_input(x, op);
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
  g.OH = detail::conv_out_size(g.H, g.KH, g.SH, g.PH, 1);
  g.OW = detail::conv_out_size(g.W, g.KW, g.SW, g.PW, 1);
  EMBER_CHECK(g.OH > 0 && g.OW > 0, op, ": Given input size: ", x.sizes(), ". Calculated output size: (", g.OH, "x",
              g.OW, "). Output size is too small");
  return g;
}

// Average pooling of either kind: forward plus an "<name>" node.
Tensor average(const Tensor& x, const detail::PoolGeometry& g, const char* node_name) {
  Tensor out = detail::avg_pool2d_forward(x, g);
  if (autograd::will_record(x)) {
    autograd::record(node_name, {&x}, {&out}, {}, [g](const tensor_list& grads, const tensor_list&, const auto& in) {
      return tensor_list{detail::avg_pool2d_backward(grads[0], g, in[0].shape)};
    });
  }
  return out;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Dims kernel, Dims stride, Dims padding) {
  const detail::PoolGeometry g = window_geometry(x, "max_pool2d", kernel, stride, padding);
  const bool recording = autograd::will_record(x);
  Dims out_shape = x.sizes();
  out_shape[out_shape.size() - 2] = g.OH;
  out_shape[out_shape.size() - 1] = g.OW;
  const Tensor indices = recording ? make_empty(out_shape, kInt64, x.device()) : Tensor();
  Tensor out = detail::max_pool2d_forward(x, g, indices);
  if (recording) {
    autograd::record("MaxPool2DWithIndicesBackward", {&x}, {&out}, {indices},
                     [g](const tensor_list& grads, const tensor_list& saved, const auto& in) {
                       return tensor_list{detail::max_pool2d_backward(grads[0], saved[0], in[0].shape, &g)};
                     });
  }
  return out;
}

Tensor avg_pool2d(const Tensor& x, Dims kernel, Dims stride, Dims padding) {
  return average(x, window_geometry(x, "avg_pool2d", kernel, stride, padding), "AvgPool2DBackward");
}

Tensor adaptive_avg_pool2d(const Tensor& x, Dims output_size) {
  detail::PoolGeometry g = pool_input(x, "adaptive_avg_pool2d");
  const Dims size = detail::expand_pair(output_size, "adaptive_avg_pool2d", "output_size");
  EMBER_CHECK(size[0] >= 0 && size[1] >= 0, "adaptive_avg_pool2d: elements of output_size must be greater than or "
              "equal to 0 but received ", size);
  g.OH = size[0], g.OW = size[1], g.adaptive = true;
  return average(x, g, "AdaptiveAvgPool2DBackward");
}

}  // namespace ember::nn::functional
