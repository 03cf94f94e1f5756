// Differentiable scans: cumsum and cumprod, and their reverse forms that gradients use
// (cumsum's gradient is the reverse cumsum; prod's gradient is made of cumprods). The
// cumsum node's backward is itself a scan, so it differentiates again; cumprod's backward
// is one kernel (exact at zeros, core/dispatch.h) and differentiates once.
#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::record;
using autograd::tensor_list;
using autograd::will_record_into;

namespace detail {

// cumsum / cumprod along dim, from the end when reverse, recorded as CumsumBackward /
// CumprodBackward whichever the direction.
Tensor scan_recorded(ScanOp op, const Tensor& a, int64_t dim, bool reverse) {
  Tensor out = native::scan(op, a, dim, reverse);
  if (!will_record_into(out, a)) return out;
  const int64_t d = a.dim() == 0 ? 0 : wrap_dim(dim, a.dim());
  if (op == ScanOp::Sum) {
    // The adjoint of a sum scan is the sum scan the other way.
    record("CumsumBackward", {&a}, {&out}, {}, [d, reverse](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{scan_recorded(ScanOp::Sum, g[0], d, !reverse)};
    })->set_differentiable_backward();
  } else {
    record("CumprodBackward", {&a}, {&out}, {a}, [d, reverse](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{native::cumprod_backward(s[0], g[0], d, reverse)};
    });
  }
  return out;
}

}  // namespace detail

Tensor cumsum(const Tensor& a, int64_t dim) {
  return detail::scan_recorded(ScanOp::Sum, autocast::cast(autocast::CastPolicy::Float32, a), dim, false);
}
Tensor cumprod(const Tensor& a, int64_t dim) {
  return detail::scan_recorded(ScanOp::Prod, autocast::cast(autocast::CastPolicy::Float32, a), dim, false);
}

}  // namespace ember
