// Native ops over the bit masks that backward formulas keep (Note [Compact saved
// activations] in core/bitmask.h): ReLU's and LeakyReLU's sign bits in a dense layout, the
// gradients selected by them, and the ownership checks that let those gradients overwrite
// their input (Note [Gradients overwritten in backward] in core/native.h).
#include "core/bitmask.h"

#include "core/dispatch.h"
#include "core/grad_mode.h"
#include "core/native.h"

namespace ember::native {

MemoryFormat dense_format(const Tensor& t) {
  if (t.is_contiguous()) return MemoryFormat::Contiguous;
  return t.is_contiguous(MemoryFormat::ChannelsLast) ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
}

bool overwritable_gradient(const Tensor& grad, MemoryFormat format) {
  return grad.defined() && !is_grad_enabled() && !grad.requires_grad() && !grad.is_inference() && sole_owner(grad) &&
         grad.is_contiguous(format);
}

bool sole_owner(const Tensor& t) { return t.impl_ptr().use_count() == 1 && t.storage().use_count() == 1; }

Tensor positive_bits(const Tensor& y, MemoryFormat format) {
  EMBER_CHECK(is_floating(y.dtype()), "positive_bits: expected a float32 or float64 tensor, but got ",
              dtype_name(y.dtype()));
  const Tensor dense = y.contiguous(format);
  Tensor bits = make_empty({bitmask_bytes(y.numel())}, kUInt8, y.device());
  device_ops(y.device()).positive_bits(dense, bits);
  return bits;
}

std::pair<Tensor, Tensor> relu_with_bits(const Tensor& x) {
  EMBER_CHECK(is_floating(x.dtype()), "relu_with_bits: expected a float32 or float64 tensor, but got ",
              dtype_name(x.dtype()));
  const MemoryFormat format = dense_format(x);
  const Tensor dense = x.contiguous(format);
  Tensor y = make_empty(x.sizes(), x.dtype(), x.device(), format);
  Tensor bits = make_empty({bitmask_bytes(x.numel())}, kUInt8, x.device());
  device_ops(x.device()).relu_forward_bits(dense, y, bits);
  return {y, bits};
}

namespace {
// A gradient selected by a mask of grad's elements (`op`'s backward), written by
// kernel(dense grad, out): into grad itself when overwrite_grad (Note [Gradients
// overwritten in backward]), else into a new tensor dense in `format`.
template <typename Kernel>
Tensor grad_from_bits(const char* op, const Tensor& grad, const Tensor& bits, MemoryFormat format, bool overwrite_grad,
                      Kernel kernel) {
  EMBER_CHECK(bits.dtype() == kUInt8 && bits.numel() == bitmask_bytes(grad.numel()), op,
              " backward: expected a mask of ", bitmask_bytes(grad.numel()), " bytes for a gradient of size ",
              grad.sizes(), ", but got ", bits.numel(), " of ", dtype_name(bits.dtype()));
  if (overwrite_grad) {
    EMBER_CHECK(grad.is_contiguous(format), op, " backward: a gradient overwritten in place must be dense");
    kernel(grad, grad);
    return grad;
  }
  const Tensor dense = grad.contiguous(format);
  Tensor out = make_empty(grad.sizes(), grad.dtype(), grad.device(), format);
  kernel(dense, out);
  return out;
}
}  // namespace

Tensor relu_grad_from_bits(const Tensor& grad, const Tensor& bits, MemoryFormat format, bool overwrite_grad) {
  return grad_from_bits("relu", grad, bits, format, overwrite_grad, [&](const Tensor& g, const Tensor& out) {
    device_ops(g.device()).relu_backward_bits(g, bits, out);
  });
}

Tensor leaky_relu_grad_from_bits(const Tensor& grad, const Tensor& bits, double negative_slope, MemoryFormat format,
                                 bool overwrite_grad) {
  return grad_from_bits("leaky_relu", grad, bits, format, overwrite_grad, [&](const Tensor& g, const Tensor& out) {
    device_ops(g.device()).leaky_relu_backward_bits(g, bits, negative_slope, out);
  });
}

}  // namespace ember::native
