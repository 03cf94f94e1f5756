// Native scans along one dim: cumsum and cumprod (integers and bool give int64, as
// PyTorch), either direction (the reverse ones are the gradients' scans), and
// cumprod's gradient. Checks the dim, allocates, runs the device's scan kernel.
#include "core/dispatch.h"
#include "core/native.h"

namespace ember::native {

Tensor scan(ScanOp op, const Tensor& a, int64_t dim, bool reverse) {
  const int64_t d = wrap_dim(dim, a.dim());
  if (a.dtype() == kBFloat16) return to_dtype(scan(op, to_dtype(a, kFloat32), d, reverse), kBFloat16);
  Tensor out = make_empty(a.sizes(), is_floating(a.dtype()) ? a.dtype() : kInt64, a.device());
  if (out.numel() != 0) device_ops(a.device()).scan(op, a, a.dim() == 0 ? 0 : d, reverse, out);
  return out;
}

Tensor cumsum(const Tensor& a, int64_t dim) { return scan(ScanOp::Sum, a, dim, false); }
Tensor cumprod(const Tensor& a, int64_t dim) { return scan(ScanOp::Prod, a, dim, false); }

Tensor cumprod_backward(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse) {
  EMBER_CHECK(is_floating(x.dtype()) && x.dtype() == grad.dtype() && x.sizes() == grad.sizes(),
              "cumprod_backward: expected a floating x and a gradient of its dtype and shape, got ",
              dtype_name(x.dtype()), x.sizes(), " and ", dtype_name(grad.dtype()), grad.sizes());
  check_same_device(x, {&grad});
  const int64_t d = wrap_dim(dim, x.dim());
  if (x.dtype() == kBFloat16) {
    return to_dtype(cumprod_backward(to_dtype(x, kFloat32), to_dtype(grad, kFloat32), d, reverse), kBFloat16);
  }
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  if (out.numel() != 0) device_ops(x.device()).cumprod_backward(x, grad, x.dim() == 0 ? 0 : d, reverse, out);
  return out;
}

}  // namespace ember::native
