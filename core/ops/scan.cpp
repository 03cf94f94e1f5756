// Native scans along one dim: cumsum, cumprod (integers and bool give int64, as PyTorch)
// and logcumsumexp, either direction (the reverse ones are the gradients' scans),
// cummax/cummin, and cumprod's gradient. Checks the dim, allocates, runs the device's
// scan kernel.
#include "core/dispatch.h"
#include "core/native.h"

namespace ember::native {

Tensor scan(ScanOp op, const Tensor& a, int64_t dim, bool reverse) {
  const int64_t d = wrap_dim(dim, a.dim());
  EMBER_CHECK(op != ScanOp::LogSumExp || is_floating(a.dtype()), "\"logcumsumexp\" not implemented for '",
              dtype_torch_name(a.dtype()), "': expected a floating tensor");
  if (is_reduced_float(a.dtype())) return to_dtype(scan(op, to_dtype(a, kFloat32), d, reverse), a.dtype());
  Tensor out = make_empty(a.sizes(), is_floating(a.dtype()) ? a.dtype() : kInt64, a.device());
  if (out.numel() != 0) device_ops(a.device()).scan(op, a, a.dim() == 0 ? 0 : d, reverse, out);
  return out;
}

Tensor cumsum(const Tensor& a, int64_t dim) { return scan(ScanOp::Sum, a, dim, false); }
Tensor cumprod(const Tensor& a, int64_t dim) { return scan(ScanOp::Prod, a, dim, false); }

std::tuple<Tensor, Tensor> cumulative_extreme(ArgReduceOp op, const Tensor& a, int64_t dim) {
  const int64_t d = wrap_dim(dim, a.dim());
  if (is_reduced_float(a.dtype())) {
    auto [values, indices] = cumulative_extreme(op, to_dtype(a, kFloat32), d);
    return {to_dtype(values, a.dtype()), indices};  // exact: the values are a's own
  }
  Tensor values = make_empty(a.sizes(), a.dtype(), a.device());
  Tensor indices = make_empty(a.sizes(), kInt64, a.device());
  if (a.numel() != 0) device_ops(a.device()).cumulative_extreme(op, a, a.dim() == 0 ? 0 : d, values, indices);
  return {values, indices};
}

Tensor cumprod_backward(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse) {
  EMBER_CHECK(is_floating(x.dtype()) && x.dtype() == grad.dtype() && x.sizes() == grad.sizes(),
              "cumprod_backward: expected a floating x and a gradient of its dtype and shape, got ",
              dtype_name(x.dtype()), x.sizes(), " and ", dtype_name(grad.dtype()), grad.sizes());
  check_same_device(x, {&grad});
  const int64_t d = wrap_dim(dim, x.dim());
  if (is_reduced_float(x.dtype())) {
    return to_dtype(cumprod_backward(to_dtype(x, kFloat32), to_dtype(grad, kFloat32), d, reverse), x.dtype());
  }
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  if (out.numel() != 0) device_ops(x.device()).cumprod_backward(x, grad, x.dim() == 0 ? 0 : d, reverse, out);
  return out;
}

}  // namespace ember::native
