// Order statistics made of sort and gather, so their gradients come with those ops'
// (the incoming gradient goes to the picked elements) on every device: kthvalue, mode,
// median, nanmedian (the lower middle; NaN as PyTorch treats it), quantile and
// nanquantile (PyTorch's ranks and interpolations, computed in the input's dtype).
#include <cmath>
#include <string>

#include "autograd/function_node.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {
namespace {

int64_t reduced_size(const Tensor& x, int64_t d) { return x.dim() == 0 ? 1 : x.size(d); }

Tensor count_nans(const Tensor& x, int64_t d) { return sum(isnan(x).to(kInt64), Dims{d}, true); }

// (values, indices) of sort along d picked at per-row positions `k` (int64, keepdim shape).
std::tuple<Tensor, Tensor> pick_sorted(const Tensor& x, int64_t d, const Tensor& k, bool keepdim) {
  auto [values, indices] = sort(x, d);
  Tensor v = gather(values, d, k), i = gather(indices, d, k);
  if (!keepdim) return {v.squeeze(d), i.squeeze(d)};
  return {v, i};
}

std::tuple<Tensor, Tensor> median_along(const char* op, const Tensor& x, int64_t dim, bool keepdim, bool skip_nan) {
  EMBER_CHECK(x.defined(), op, "(): expected a defined tensor");
  const int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1));  // a 0-dim input takes dim 0 or -1
  if (x.dim() == 0) return {x.clone(), zeros({}, TensorOptions(kInt64).device(x.device()))};
  const int64_t n = x.size(d);
  EMBER_CHECK(n > 0, op, "(): Expected reduction dim ", d, " to have non-zero size.");
  Tensor nans = count_nans(x, d);
  Tensor k;
  if (skip_nan) {  // the lower middle of the non-NaN values (0 when there are none)
    Tensor valid = rsub(nans, Scalar(n));
    k = floor(div(clamp(sub(valid, Scalar(1)), Scalar(0), std::nullopt).to(kFloat64), 2.0)).to(kInt64);
  } else {  // a NaN (sorted last) wins: the first of them
    k = where(gt(nans, Scalar(0)), rsub(nans, Scalar(n)), full(nans.sizes(), (n - 1) / 2, nans.options()));
  }
  return pick_sorted(x, d, k, keepdim);
}

enum class Interpolation { Linear, Lower, Higher, Midpoint, Nearest };

Interpolation parse_interpolation(std::string_view name) {
  if (name == "linear") return Interpolation::Linear;
  if (name == "lower") return Interpolation::Lower;
  if (name == "higher") return Interpolation::Higher;
  if (name == "midpoint") return Interpolation::Midpoint;
  EMBER_CHECK(name == "nearest", "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest,",
              " but got ", name);
  return Interpolation::Nearest;
}

// PyTorch's quantile: sort along dim (moved last), ranks q * (count - 1) per row (count:
// the row's length, or its non-NaN values for nanquantile; a NaN row of quantile ranks
// its last, NaN, value), then the values at the ranks' floor and ceil, interpolated.
Tensor quantile_impl(const char* op, const Tensor& x, const Tensor& q, bool q_is_scalar, std::optional<int64_t> dim,
                     bool keepdim, std::string_view interpolation, bool skip_nan) {
  EMBER_CHECK(x.defined() && q.defined(), op, "() expects defined tensors");
  EMBER_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64, op,
              "() input tensor must be either float or double dtype");
  EMBER_CHECK(q.dim() <= 1, op, "() q must be a scalar or 1D tensor");
  EMBER_CHECK(q.dtype() == x.dtype(), op, "() q tensor must be same dtype as the input tensor");
  EMBER_CHECK(x.numel() > 0, op, "() input tensor must be non-empty");
  native::check_same_device(x, {&q}, op);
  const Interpolation mode = parse_interpolation(interpolation);
  if (q.numel() > 0) {
    Tensor qd = q.detach();
    EMBER_CHECK(native::all(native::bitwise_and(native::ge(qd, Scalar(0)), native::le(qd, Scalar(1)))).item<bool>(), op,
                "() q values must be in the range [0, 1]");
  }
  // rows [..., n]: x flattened, or with dim moved last.
  Tensor rows;
  int64_t d = 0;
  if (!dim) {
    rows = x.reshape({x.numel()});
  } else {
    d = wrap_dim(*dim, std::max<int64_t>(x.dim(), 1));
    if (x.dim() == 0) {
      rows = x.reshape({1});
    } else {
      Dims order;
      for (int64_t i = 0; i < x.dim(); ++i) if (i != d) order.push_back(i);
      order.push_back(d);
      rows = x.permute(order);
    }
  }
  const int64_t n = rows.sizes().back();
  EMBER_CHECK(n > 0, op, "() input tensor must be non-empty");
  Tensor sorted = std::get<0>(sort(rows, -1));
  // ranks [Q, ..., 1] in x's dtype
  Tensor nans = count_nans(rows, -1).to(x.dtype());
  Dims q_shape = Dims::filled(static_cast<size_t>(rows.dim()), 1);
  q_shape.insert(0, q.numel());
  Tensor qs = q.detach().reshape(q_shape);
  Tensor ranks;
  if (skip_nan) {
    ranks = clamp(mul(qs, sub(rsub(nans, Scalar(n)), Scalar(1))), Scalar(0), std::nullopt);
  } else {
    ranks = where(gt(nans, Scalar(0)), full({}, static_cast<double>(n - 1), TensorOptions(x.dtype()).device(x.device())),
                  mul(qs, static_cast<double>(n - 1)));
  }
  if (mode == Interpolation::Lower) ranks = floor(ranks);
  else if (mode == Interpolation::Higher) ranks = ceil(ranks);
  else if (mode == Interpolation::Nearest) ranks = round(ranks);
  Dims picked = ranks.sizes();
  for (size_t i = 1; i + 1 < picked.size(); ++i) picked[i] = sorted.size(static_cast<int64_t>(i) - 1);
  Tensor below_rank = floor(ranks);
  Dims candidates_shape = picked;
  candidates_shape[candidates_shape.size() - 1] = n;
  Tensor candidates = sorted.unsqueeze(0).expand(candidates_shape);
  Tensor result = gather(candidates, -1, below_rank.to(kInt64).expand(picked));
  if (mode == Interpolation::Linear || mode == Interpolation::Midpoint) {
    Tensor above = gather(candidates, -1, ceil(ranks).to(kInt64).expand(picked));
    Tensor weight = mode == Interpolation::Midpoint ? full_like(ranks, 0.5) : sub(ranks, below_rank);
    result = lerp(result, above, weight.expand(picked));
  }
  result = result.squeeze(-1);  // [Q, ...]
  if (keepdim) {
    if (!dim) {
      Dims ones_shape = Dims::filled(static_cast<size_t>(x.dim()), 1);
      ones_shape.insert(0, q.numel());
      result = result.reshape(ones_shape);
    } else if (x.dim() > 0) {
      result = result.unsqueeze(d + 1);
    }
  }
  return q_is_scalar ? result.squeeze(0) : result;
}

Tensor scalar_q(const Tensor& x, double q, const char* op) {
  EMBER_CHECK(q >= 0 && q <= 1, op, "() q must be in the range [0, 1] but got ", q);
  return full({}, q, TensorOptions(x.defined() && is_floating(x.dtype()) ? x.dtype() : kFloat32)
                         .device(x.defined() ? x.device() : Device::cpu()));
}

}  // namespace

std::tuple<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
  EMBER_CHECK(x.defined(), "kthvalue(): expected a defined tensor");
  const int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1));
  EMBER_CHECK(reduced_size(x, d) > 0, "kthvalue(): Expected reduction dim ", d, " to have non-zero size.");
  EMBER_CHECK(k >= 1 && k <= reduced_size(x, d), "kthvalue(): selected number k out of range for dimension ", d);
  if (x.dim() == 0) return {x.clone(), zeros({}, TensorOptions(kInt64).device(x.device()))};
  Dims k_shape = x.sizes();
  k_shape[static_cast<size_t>(d)] = 1;
  return pick_sorted(x, d, full(k_shape, k - 1, TensorOptions(kInt64).device(x.device())), keepdim);
}

// Note [mode by runs of the sorted row]
// mode sorts each row stably; a run of equal values starts where a value differs from the
// one before it (NaN != NaN: every NaN is its own run, as in PyTorch's kernel). Each run's
// length is counted by scatter_add into its run number, and argmax of the lengths (the
// first of the longest) picks the smallest of the most frequent values. Runs are
// consecutive, so the cumulative lengths give the run's last position; a stable sort puts
// the largest original index there, PyTorch's choice. The value is gathered from x, so
// the gradient reaches that index.
std::tuple<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim) {
  EMBER_CHECK(x.defined(), "mode(): expected a defined tensor");
  const int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1));
  if (x.dim() == 0) return {x.clone(), zeros({}, TensorOptions(kInt64).device(x.device()))};
  const int64_t n = x.size(d);
  EMBER_CHECK(n > 0, "mode(): Expected reduction dim ", d, " to have non-zero size.");
  Dims row_shape = x.sizes();
  row_shape[static_cast<size_t>(d)] = 1;
  const TensorOptions longs = TensorOptions(kInt64).device(x.device());
  Tensor index;
  if (x.numel() == 0) {
    index = zeros(row_shape, longs);
  } else {
    const auto [sorted, perm] = sort(x.dtype() == kBool ? x.to(kUInt8) : x, d, false, /*stable=*/true);
    const Tensor starts = cat({ones(row_shape, longs), ne(sorted.narrow(d, 1, n - 1), sorted.narrow(d, 0, n - 1)).to(kInt64)}, d);
    const Tensor run_number = sub(cumsum(starts, d), 1);
    const Tensor run_length = scatter_add(zeros(x.sizes(), longs), d, run_number, ones(x.sizes(), longs));
    const Tensor longest = argmax(run_length, d, /*keepdim=*/true);
    const Tensor run_end = gather(sub(cumsum(run_length, d), 1), d, longest);
    index = gather(perm, d, run_end);
  }
  Tensor values = gather(x, d, index);
  if (!keepdim) return {values.squeeze(d), index.squeeze(d)};
  return {values, index};
}

std::tuple<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim) {
  return median_along("median", x, dim, keepdim, false);
}
std::tuple<Tensor, Tensor> nanmedian(const Tensor& x, int64_t dim, bool keepdim) {
  return median_along("nanmedian", x, dim, keepdim, true);
}
namespace {
// median() / nanmedian() of a whole tensor: the value of the 1-D form, and PyTorch's
// evenly_distribute_backward: the gradient shared by every element equal to the result (by the
// NaNs where it is NaN), not given to one of them.
Tensor whole_median(const char* op, const char* node, const Tensor& x, bool skip_nan) {
  EMBER_CHECK(x.defined(), op, "(): expected a defined tensor");
  if (x.numel() == 0) return full({}, std::nan(""), x.options());
  Tensor out;
  {
    NoGradGuard no_grad;
    out = std::get<0>(median_along(op, x.reshape({x.numel()}), 0, false, skip_nan));
  }
  if (autograd::will_record_into(out, x))
    autograd::record(node, {&x}, {&out}, {x, out},
                     [](const autograd::tensor_list& g, const autograd::tensor_list& s, const auto&) {
                       const Tensor hit = (eq(s[0], s[1]) | (isnan(s[0]) & isnan(s[1]))).to(g[0].dtype());
                       return autograd::tensor_list{mul(hit, div(g[0], hit.sum()))};
                     })
        ->set_differentiable_backward();
  return out;
}
}  // namespace

Tensor median(const Tensor& x) { return whole_median("median", "MedianBackward", x, false); }
Tensor nanmedian(const Tensor& x) { return whole_median("nanmedian", "NanmedianBackward", x, true); }

Tensor quantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                std::string_view interpolation) {
  return quantile_impl("quantile", x, q, q.defined() && q.dim() == 0, dim, keepdim, interpolation, false);
}
Tensor quantile(const Tensor& x, double q, std::optional<int64_t> dim, bool keepdim, std::string_view interpolation) {
  return quantile_impl("quantile", x, scalar_q(x, q, "quantile"), true, dim, keepdim, interpolation, false);
}
Tensor nanquantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                   std::string_view interpolation) {
  return quantile_impl("nanquantile", x, q, q.defined() && q.dim() == 0, dim, keepdim, interpolation, true);
}
Tensor nanquantile(const Tensor& x, double q, std::optional<int64_t> dim, bool keepdim,
                   std::string_view interpolation) {
  return quantile_impl("nanquantile", x, scalar_q(x, q, "nanquantile"), true, dim, keepdim, interpolation, true);
}

std::tuple<Tensor, Tensor> Tensor::mode(int64_t dim, bool keepdim) const { return ember::mode(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::kthvalue(int64_t k, int64_t dim, bool keepdim) const {
  return ember::kthvalue(*this, k, dim, keepdim);
}
Tensor Tensor::median() const { return ember::median(*this); }
std::tuple<Tensor, Tensor> Tensor::median(int64_t dim, bool keepdim) const { return ember::median(*this, dim, keepdim); }
Tensor Tensor::nanmedian() const { return ember::nanmedian(*this); }
std::tuple<Tensor, Tensor> Tensor::nanmedian(int64_t dim, bool keepdim) const {
  return ember::nanmedian(*this, dim, keepdim);
}
Tensor Tensor::quantile(double q, std::optional<int64_t> dim, bool keepdim, std::string_view interpolation) const {
  return ember::quantile(*this, q, dim, keepdim, interpolation);
}
Tensor Tensor::quantile(const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                        std::string_view interpolation) const {
  return ember::quantile(*this, q, dim, keepdim, interpolation);
}
Tensor Tensor::nanquantile(double q, std::optional<int64_t> dim, bool keepdim, std::string_view interpolation) const {
  return ember::nanquantile(*this, q, dim, keepdim, interpolation);
}
Tensor Tensor::nanquantile(const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                           std::string_view interpolation) const {
  return ember::nanquantile(*this, q, dim, keepdim, interpolation);
}

}  // namespace ember
