// Differentiable scans: cumsum, cumprod, logcumsumexp, and their reverse forms that gradients use
// (cumsum's gradient is the reverse cumsum; prod's gradient is made of cumprods). The
// cumsum node's backward is itself a scan, so it differentiates again; cumprod's backward
// is one kernel (exact at zeros, core/dispatch.h), and under create_graph a recurrence of
// differentiable ops, so it differentiates to any order, as PyTorch's.
#include <tuple>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/functions/dtype_limits.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::record;
using autograd::tensor_list;
using autograd::will_record_into;

namespace detail {
Tensor scan_recorded(ScanOp op, const Tensor& a, int64_t dim, bool reverse);

namespace {

// cumprod's gradient of x along d as recorded ops (a create_graph backward), exact at zeros.
// In scan order t (from the end when reverse), y_t = prod_{u <= t} x_u, so x_t's gradient is
// prod_{u < t} x_u * S_t with S_t = sum_{k >= t} g_k prod_{t < u <= k} x_u, that is
// S_t = g_t + x_{t+1} S_{t+1}: two passes of n slices each.
Tensor cumprod_grad_recorded(const Tensor& x, const Tensor& g, int64_t d, bool reverse) {
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  if (x.dim() == 0 || n == 0) return g * 1.0;
  const auto at = [&](const Tensor& t, int64_t step) { return t.select(d, reverse ? n - 1 - step : step); };
  std::vector<Tensor> suffix(static_cast<size_t>(n));  // S_t
  suffix.back() = at(g, n - 1);
  for (int64_t t = n - 2; t >= 0; --t)
    suffix[static_cast<size_t>(t)] = at(g, t) + at(x, t + 1) * suffix[static_cast<size_t>(t) + 1];
  std::vector<Tensor> grads(static_cast<size_t>(n));  // in x's order along d
  Tensor prefix;                                      // prod_{u < t} x_u
  for (int64_t t = 0; t < n; ++t) {
    const Tensor& s_t = suffix[static_cast<size_t>(t)];
    grads[static_cast<size_t>(reverse ? n - 1 - t : t)] = prefix.defined() ? prefix * s_t : s_t;
    prefix = prefix.defined() ? prefix * at(x, t) : at(x, t);
  }
  return stack(grads, d);
}

// logcumsumexp's gradient in recorded ops (so it differentiates again). With y its output,
// x_i's gradient is sum over k >= i (in scan order) of g_k exp(x_i - y_k), that is
// exp(x_i + L_i) with L the reverse logcumsumexp of log(g) - y. g's two signs go through two
// such scans, so no log sees a negative; a g of the other sign gives the dtype's lowest
// finite value instead of log(0) = -inf. As PyTorch's: where y_k is -inf (every x up to k is
// -inf), x_i's terms are NaN; a 0-dim or empty x passes g through.
Tensor logcumsumexp_grad(const Tensor& x, const Tensor& y, const Tensor& g, int64_t d, bool reverse) {
  if (x.dim() == 0 || x.numel() == 0) return g * 1.0;
  const Tensor lowest = scalar_tensor(Scalar(-autograd::largest_finite(g.dtype())), g.options());
  const Tensor log_magnitude = log(abs(g));
  const auto part = [&](const Tensor& sign_mask) {
    const Tensor terms = where(sign_mask, log_magnitude, lowest) - y;
    return exp(x + scan_recorded(ScanOp::LogSumExp, terms, d, !reverse));
  };
  return part(gt(g, Scalar(0))) - part(lt(g, Scalar(0)));
}

}  // namespace

// cumsum / cumprod / logcumsumexp along dim, from the end when reverse, recorded as CumsumBackward /
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
  } else if (op == ScanOp::LogSumExp) {
    record("LogcumsumexpBackward", {&a}, {&out}, {a, out},
           [d, reverse](const tensor_list& g, const tensor_list& s, const auto&) {
             return tensor_list{logcumsumexp_grad(s[0], s[1], g[0], d, reverse)};
           })->set_differentiable_backward();
  } else {
    record("CumprodBackward", {&a}, {&out}, {a}, [d, reverse](const tensor_list& g, const tensor_list& s, const auto&) {
      if (is_grad_enabled()) return tensor_list{cumprod_grad_recorded(s[0], g[0], d, reverse)};  // create_graph
      return tensor_list{native::cumprod_backward(s[0], g[0], d, reverse)};
    })->set_differentiable_backward();
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

Tensor logcumsumexp(const Tensor& a, int64_t dim) {
  return detail::scan_recorded(ScanOp::LogSumExp, autocast::cast(autocast::CastPolicy::Float32, a), dim, false);
}

// cummax / cummin: the gradient goes to the index each output came from, added where
// several outputs came from one input (CummaxBackward / CumminBackward).
namespace {
std::tuple<Tensor, Tensor> cumulative_extreme(ArgReduceOp op, const Tensor& a, int64_t dim) {
  auto [values, indices] = native::cumulative_extreme(op, a, dim);
  if (will_record_into(values, a)) {
    const int64_t d = a.dim() == 0 ? 0 : wrap_dim(dim, a.dim());
    record(op == ArgReduceOp::ArgMax ? "CummaxBackward" : "CumminBackward", {&a}, {&values}, {indices},
           [d](const tensor_list& g, const tensor_list& s, const auto&) {
             if (g[0].dim() == 0) return tensor_list{g[0] * 1.0};
             return tensor_list{scatter_add(zeros_like(g[0]), d, s[0], g[0])};
           })
        ->set_differentiable_backward();
  }
  return {values, indices};
}
}  // namespace

std::tuple<Tensor, Tensor> cummax(const Tensor& a, int64_t dim) {
  return cumulative_extreme(ArgReduceOp::ArgMax, a, dim);
}
std::tuple<Tensor, Tensor> cummin(const Tensor& a, int64_t dim) {
  return cumulative_extreme(ArgReduceOp::ArgMin, a, dim);
}
Tensor Tensor::logcumsumexp(int64_t dim) const { return ember::logcumsumexp(*this, dim); }
std::tuple<Tensor, Tensor> Tensor::cummax(int64_t dim) const { return ember::cummax(*this, dim); }
std::tuple<Tensor, Tensor> Tensor::cummin(int64_t dim) const { return ember::cummin(*this, dim); }

}  // namespace ember
