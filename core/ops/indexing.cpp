// Native index_select and its gradient: checks as PyTorch's (the index a vector or a
// scalar of int64 on the input's device), the output allocated contiguous, then
// the device's index_select / index_add kernel over core/index_layout.h's layout.
#include "core/dispatch.h"
#include "core/factories.h"
#include "core/native.h"

namespace ember::native {
namespace {

// The index as the kernels take it: kInt64, contiguous, on self's device.
Tensor checked_index(const char* op, const Tensor& self, const Tensor& index) {
  EMBER_CHECK(self.defined() && index.defined(), op, ": expected defined tensors");
  EMBER_CHECK(index.dtype() == kInt64, op, ": Expected dtype int64 for index, but got ", dtype_name(index.dtype()));
  EMBER_CHECK(index.dim() <= 1, op, ": Index is supposed to be a vector, but got an index of shape ", index.sizes());
  check_same_device(self, {&index}, op);
  return index.is_contiguous() ? index : clone(index);
}

IndexLayout layout_of(const Dims& shape, int64_t dim, int64_t count) {
  IndexLayout l;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) l.outer *= shape[static_cast<size_t>(d)];
    else if (d > dim) l.inner *= shape[static_cast<size_t>(d)];
  }
  l.size = shape.empty() ? 1 : shape[static_cast<size_t>(dim)];
  l.count = count;
  return l;
}

}  // namespace

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index_in) {
  const Tensor index = checked_index("index_select()", self, index_in);
  const int64_t d = wrap_dim(dim, self.dim());
  Dims shape = self.sizes();
  if (self.dim() == 0) {  // a scalar: its one element, selected by an index of one value
    EMBER_CHECK(index.numel() == 1, "index_select(): Index to scalar can have only 1 value, got ", index.numel(),
                " value(s)");
  } else {
    shape[static_cast<size_t>(d)] = index.numel();
  }
  Tensor out = make_empty(shape, self.dtype(), self.device());
  if (out.numel() == 0) {
    // Nothing to copy, but the positions are still checked, as PyTorch's (a bad index in an
    // empty batch was no error).
    const int64_t size = self.dim() == 0 ? 1 : self.size(d);
    if (index.numel() > 0) {
      const int64_t low = min(index).item<int64_t>(), high = max(index).item<int64_t>();
      EMBER_CHECK(low >= 0 && high < size, "index out of range in self: index ", low < 0 ? low : high,
                  " is out of bounds for dimension ", d, " with size ", size);
    }
    return out;
  }
  const Tensor in = self.is_contiguous() ? self : clone(self);
  device_ops(self.device()).index_select(in, index, layout_of(self.sizes(), d, index.numel()), out);
  return out;
}

Tensor index_select_backward(const Tensor& grad, const Dims& input_shape, int64_t dim, const Tensor& index_in) {
  const Tensor index = checked_index("index_select() backward", grad, index_in);
  const int64_t d = wrap_dim(dim, static_cast<int64_t>(input_shape.size()));
  Tensor grad_input = zeros(input_shape, TensorOptions(grad.dtype()).device(grad.device()));
  if (grad.numel() == 0 || grad_input.numel() == 0) return grad_input;
  const Tensor source = grad.is_contiguous() ? grad : clone(grad);
  device_ops(grad.device()).index_add(grad_input, index, layout_of(input_shape, d, index.numel()), source);
  return grad_input;
}

}  // namespace ember::native
