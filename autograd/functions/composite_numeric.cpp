// core/composite_ops.h's numeric utilities: combinations, the trapezoidal rule, cov and
// corrcoef, float_power, ldexp and frexp, composed of other ops as PyTorch's are (so they run on
// any device and differentiate through their parts), with PyTorch's argument errors.
#include <cmath>
#include <vector>

#include "core/composite_ops.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "core/ops.h"
#include "core/special_ops.h"

namespace ember {

Tensor combinations(const Tensor& a, int64_t r, bool with_replacement) {
  EMBER_CHECK(a.dim() == 1, "Expect a 1D vector, but got shape ", a.sizes());
  EMBER_CHECK(r >= 0, "Expect a non-negative number, but got ", r);
  if (r == 0) return empty({0}, a.options());
  // Every increasing (non-decreasing with replacement) r-tuple of positions, in order.
  const int64_t n = a.size(0);
  std::vector<int64_t> positions, tuple(static_cast<size_t>(r));
  const auto fill = [&](auto&& self, int64_t depth, int64_t from) -> void {
    if (depth == r) {
      positions.insert(positions.end(), tuple.begin(), tuple.end());
      return;
    }
    for (int64_t i = from; i < n; ++i) {
      tuple[static_cast<size_t>(depth)] = i;
      self(self, depth + 1, with_replacement ? i : i + 1);
    }
  };
  fill(fill, 0, 0);
  const int64_t count = static_cast<int64_t>(positions.size()) / r;
  const Tensor index = tensor(positions, {count * r}).to(a.device());
  return a.index_select(0, index).reshape({count, r});
}

namespace {

void check_trapezoid_operands(const Tensor& y, const Tensor* x) {
  EMBER_CHECK(y.dtype() != kBool && (x == nullptr || x->dtype() != kBool),
              "trapezoid: received a bool input for `x` or `y`, but bool is not supported");
}

// y's shape without dim, filled with zeros (the integral over no samples, as NumPy's).
Tensor zeros_without(const Tensor& y, int64_t dim) {
  Dims shape = y.sizes();
  shape.erase(static_cast<size_t>(dim));
  return zeros(shape, y.options());
}

// x's spacings along dim, shaped to broadcast with y's: a 1-D x lies along dim (one value
// per sample); a shorter x gets leading 1s (PyTorch's trapezoid, after NumPy's).
Tensor spacings(const Tensor& y, const Tensor& x, int64_t dim) {
  Tensor along = x;
  if (x.dim() == 1) {
    EMBER_CHECK(x.size(0) == y.size(dim), "trapezoid: There must be one `x` value for each sample point");
    Dims shape = Dims::filled(static_cast<size_t>(y.dim()), 1);
    shape[static_cast<size_t>(dim)] = x.size(0);
    along = x.view(shape);
  } else if (x.dim() < y.dim()) {
    Dims shape = Dims::filled(static_cast<size_t>(y.dim() - x.dim()), 1);
    for (const int64_t s : x.sizes()) shape.push_back(s);
    along = x.view(shape);
  }
  const int64_t n = along.size(dim);
  return along.narrow(dim, 1, n - 1) - along.narrow(dim, 0, n - 1);
}

// y[i] + y[i + 1] along dim.
Tensor pair_sums(const Tensor& y, int64_t dim) {
  const int64_t n = y.size(dim);
  return y.narrow(dim, 0, n - 1) + y.narrow(dim, 1, n - 1);
}

}  // namespace

Tensor trapezoid(const Tensor& y, const Tensor& x, int64_t dim_in) {
  const int64_t dim = wrap_dim(dim_in, y.dim());
  if (y.size(dim) == 0) return zeros_without(y, dim);
  check_trapezoid_operands(y, &x);
  return (spacings(y, x, dim) * pair_sums(y, dim)).sum(dim) / 2.0;
}

Tensor trapezoid(const Tensor& y, double dx, int64_t dim_in) {
  const int64_t dim = wrap_dim(dim_in, y.dim());
  if (y.size(dim) == 0) return zeros_without(y, dim);
  check_trapezoid_operands(y, nullptr);
  return (y.sum(dim) - (y.select(dim, 0) + y.select(dim, -1)) * 0.5) * dx;
}

Tensor trapz(const Tensor& y, const Tensor& x, int64_t dim) { return trapezoid(y, x, dim); }
Tensor trapz(const Tensor& y, double dx, int64_t dim) { return trapezoid(y, dx, dim); }

Tensor cumulative_trapezoid(const Tensor& y, const Tensor& x, int64_t dim_in) {
  const int64_t dim = wrap_dim(dim_in, y.dim());
  check_trapezoid_operands(y, &x);
  if (y.size(dim) == 0) return y.narrow(dim, 0, 0) * 1.0;
  return (pair_sums(y, dim) * spacings(y, x, dim)).cumsum(dim) / 2.0;
}

Tensor cumulative_trapezoid(const Tensor& y, double dx, int64_t dim_in) {
  const int64_t dim = wrap_dim(dim_in, y.dim());
  check_trapezoid_operands(y, nullptr);
  if (y.size(dim) == 0) return y.narrow(dim, 0, 0) * 1.0;
  return (pair_sums(y, dim) * (dx / 2.0)).cumsum(dim);
}

// PyTorch's cov (aten's Correlation.cpp): the weighted mean of each variable over the
// observations, then (x - mean) (w (x - mean))^T over the normaliser.
Tensor cov(const Tensor& input, int64_t correction, const Tensor& fweights, const Tensor& aweights) {
  EMBER_CHECK(input.dim() <= 2, "cov(): expected input to have two or fewer dimensions but got an input with ",
              input.dim(), " dimensions");
  EMBER_CHECK(input.dtype() != kBool, "cov(): bool dtype is not supported for input");
  const Tensor in = input.dim() < 2 ? input.reshape({1, -1}) : input;
  const int64_t observations = in.size(1);
  Tensor w;
  if (fweights.defined()) {
    EMBER_CHECK(fweights.dim() <= 1, "cov(): expected fweights to have one or fewer dimensions but got fweights with ",
                fweights.dim(), " dimensions");
    EMBER_CHECK(is_integral(fweights.dtype(), /*include_bool=*/false),
                "cov(): expected fweights to have integral dtype but got fweights with ",
                dtype_torch_name(fweights.dtype()), " dtype");
    EMBER_CHECK(fweights.numel() == observations,
                "cov(): expected fweights to have the same numel as there are observations in the input but got ",
                fweights.numel(), " != ", observations);
    EMBER_CHECK(observations == 0 || fweights.min().ge(Scalar(0)).item<bool>(), "cov(): fweights cannot be negative");
    w = fweights;
  }
  if (aweights.defined()) {
    EMBER_CHECK(aweights.dim() <= 1, "cov(): expected aweights to have one or fewer dimensions but got aweights with ",
                aweights.dim(), " dimensions");
    EMBER_CHECK(is_floating(aweights.dtype()),
                "cov(): expected aweights to have floating point dtype but got aweights ", "with ",
                dtype_torch_name(aweights.dtype()), " dtype");
    EMBER_CHECK(aweights.numel() == observations,
                "cov(): expected aweights to have the same numel as there are observations in the input but got ",
                aweights.numel(), " != ", observations);
    EMBER_CHECK(observations == 0 || aweights.min().ge(Scalar(0)).item<bool>(), "cov(): aweights cannot be negative");
    w = w.defined() ? w * aweights : aweights;
  }
  const Tensor w_sum =
      w.defined() ? w.sum() : full({}, Scalar(observations), TensorOptions(kInt64).device(in.device()));
  EMBER_CHECK(!w.defined() || w_sum.ne(Scalar(0)).item<bool>(), "cov(): weights sum to zero, can't be normalized");
  const Tensor average = (w.defined() ? in * w : in).sum(1) / w_sum;
  Tensor normaliser = w.defined() && aweights.defined() && correction != 0
                          ? w_sum - (w * aweights).sum() * static_cast<double>(correction) / w_sum
                          : w_sum - correction;
  if (normaliser.le(Scalar(0)).item<bool>()) {
    logging::warn(
        "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
        "observations.");
    normaliser = zeros_like(normaliser);
  }
  const Tensor centred = in - average.unsqueeze(1);
  return (mm(centred, (w.defined() ? centred * w : centred).t()) / normaliser).squeeze();
}

Tensor corrcoef(const Tensor& input) {
  EMBER_CHECK(input.dim() <= 2, "corrcoef(): expected input to have two or fewer dimensions but got an input with ",
              input.dim(), " dimensions");
  const Tensor c = cov(input);
  if (c.dim() == 0) return c / c;
  const Tensor stddev = c.diagonal().sqrt();
  return (c / stddev.view({-1, 1}) / stddev.view({1, -1})).clamp(Scalar(-1), Scalar(1));
}

Tensor float_power(const Tensor& a, const Tensor& b) { return pow(a.to(kFloat64), b.to(kFloat64)); }
Tensor float_power(const Tensor& a, const Scalar& b) { return pow(a.to(kFloat64), Scalar(b.to<double>())); }
Tensor float_power(const Scalar& a, const Tensor& b) {
  return pow(full({}, Scalar(a.to<double>()), TensorOptions(kFloat64).device(b.device())), b.to(kFloat64));
}
Tensor ldexp(const Tensor& a, const Tensor& b) { return a * exp2(b); }

// frexp: x = m 2^e with 0.5 <= |m| < 1 (m = x and e = 0 for zeros, infinities and NaN, as C's
// frexp). e comes from log2 in float64 (every float32 / 16-bit value is normal there), settled
// into place where log2 rounded across a power of two; m = x 2^-e in two exact steps, since
// 2^1074 (a float64 subnormal's) overflows. The gradient is g / 2^e, PyTorch's.
std::tuple<Tensor, Tensor> frexp(const Tensor& x) {
  EMBER_CHECK(is_floating(x.dtype()), "torch.frexp() only supports floating-point dtypes");
  const Tensor d = x.to(kFloat64);
  Tensor exponent, down, rest;
  {
    NoGradGuard no_grad;
    const Tensor regular = logical_and(isfinite(d), ne(d, Scalar(0)));
    const Tensor magnitude = abs(d);
    Tensor e = where(regular, floor(log2(where(regular, magnitude, Scalar(1.0)))) + 1, Scalar(0.0));
    const auto scale_by_minus = [&](const Tensor& v, const Tensor& power) {
      const Tensor half = trunc(-power / 2);
      return v * exp2(half) * exp2(-power - half);
    };
    const Tensor m = scale_by_minus(magnitude, e);
    e = e + logical_and(regular, ge(m, Scalar(1.0))).to(kFloat64) -
        logical_and(regular, lt(m, Scalar(0.5))).to(kFloat64);
    down = trunc(-e / 2);
    rest = -e - down;
    exponent = e.to(kInt64);
  }
  Tensor mantissa = (d * exp2(down) * exp2(rest)).to(x.dtype());
  return {mantissa, exponent};
}

Tensor Tensor::cov(int64_t correction, const Tensor& fweights, const Tensor& aweights) const {
  return ember::cov(*this, correction, fweights, aweights);
}
std::tuple<Tensor, Tensor> Tensor::frexp() const { return ember::frexp(*this); }
Tensor Tensor::corrcoef() const { return ember::corrcoef(*this); }
Tensor Tensor::float_power(const Tensor& exponent) const { return ember::float_power(*this, exponent); }
Tensor Tensor::float_power(const Scalar& exponent) const { return ember::float_power(*this, exponent); }
Tensor Tensor::ldexp(const Tensor& other) const { return ember::ldexp(*this, other); }

}  // namespace ember
