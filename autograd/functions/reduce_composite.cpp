// Reductions and comparisons composed of other ops (core/ops.h): nansum, nanmean, aminmax,
// renorm, isclose, isin. Each runs on any device and differentiates through its parts
// (nansum's NaNs through where: a zero gradient); isclose and isin give kBool and are not
// recorded.
#include <algorithm>
#include <limits>
#include <tuple>

#include "autograd/functions/inplace_record.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "core/shape.h"

namespace ember {

Tensor nansum(const Tensor& a, const Dims& dims, bool keepdim) {
  if (!is_floating(a.dtype())) return sum(a, dims, keepdim);
  return sum(where(isnan(a), Scalar(0.0), a), dims, keepdim);
}

Tensor nanmean(const Tensor& a, const Dims& dims, bool keepdim) {
  EMBER_CHECK(is_floating(a.dtype()), "nanmean(): expected input to have floating point dtype but got ",
              dtype_torch_name(a.dtype()));
  const Tensor nan = isnan(a);
  const Tensor kept = sum(~nan, dims, keepdim).to(a.dtype());  // the counts of the others
  return div(sum(where(nan, Scalar(0.0), a), dims, keepdim), kept);
}

std::tuple<Tensor, Tensor> aminmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  // PyTorch's own messages (TORCH_META_FUNC(aminmax)), before amin's.
  if (dim) {
    const int64_t d = wrap_dim(*dim, std::max<int64_t>(a.dim(), 1));
    EMBER_CHECK(a.dim() == 0 || a.size(d) != 0, "aminmax(): Expected reduction dim ", d, " to have non-zero size.");
  } else {
    EMBER_CHECK(a.numel() != 0,
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.");
  }
  const Dims dims = dim ? Dims{*dim} : Dims{};
  return {amin(a, dims, keepdim), amax(a, dims, keepdim)};
}

// PyTorch's renorm: the norms over every dim but `dim` (float32 for a 16-bit x; a non-floating
// x is vector_norm's error, as PyTorch's), the factor maxnorm / (norm + 1e-7) where a norm
// exceeds maxnorm (else 1) in x's dtype, and x times it. Its gradient reaches x through the
// factor's norm too, as PyTorch's renorm_backward.
Tensor renorm(const Tensor& x_in, double p, int64_t dim, double maxnorm) {
  EMBER_CHECK(p > 0, "renorm: non-positive-norm not supported");
  EMBER_CHECK(maxnorm >= 0, "renorm: expected maxnorm to be >= 0 but got ", maxnorm);
  EMBER_CHECK(x_in.dim() > 1, "renorm: input needs at least 2 dimensions, got ", x_in.dim(), " dimensions");
  const Tensor x = autocast::cast(autocast::CastPolicy::Float32, x_in);
  const int64_t kept = wrap_dim(dim, x.dim());
  Dims reduced;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != kept) reduced.push_back(d);
  const Tensor norm = linalg::vector_norm(x.to(compute_dtype(x.dtype())), p, reduced, /*keepdim=*/true);
  const Tensor factor = where(gt(norm, maxnorm), Scalar(maxnorm) / (norm + 1e-7), Scalar(1.0));
  return mul(x, factor.to(x.dtype()));
}

Tensor Tensor::renorm(double p, int64_t dim, double maxnorm) const { return ember::renorm(*this, p, dim, maxnorm); }
// renorm saves self's value (the norm's and the product's derivatives read it): a copy when
// it records, so the write does not invalidate it.
Tensor& Tensor::renorm_(double p, int64_t dim, double maxnorm) {
  return autograd::composed_inplace(
      "RenormBackward", *this, [&] { return ember::renorm(autograd::value_before_write(*this), p, dim, maxnorm); });
}

Tensor Tensor::nansum(const Dims& dims, bool keepdim) const { return ember::nansum(*this, dims, keepdim); }
Tensor Tensor::nanmean(const Dims& dims, bool keepdim) const { return ember::nanmean(*this, dims, keepdim); }
std::tuple<Tensor, Tensor> Tensor::aminmax(std::optional<int64_t> dim, bool keepdim) const {
  return ember::aminmax(*this, dim, keepdim);
}

// PyTorch's rule: equal values (and, with equal_nan, two NaNs) are close; otherwise a finite
// |a - b| within atol + rtol * |b|. Integers and bool with a tolerance compare in float32,
// PyTorch's default dtype.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  EMBER_CHECK(a.dtype() == b.dtype(), dtype_torch_name(a.dtype()), " did not match ", dtype_torch_name(b.dtype()),
              " (isclose(): self and other must have the same scalar type)");
  EMBER_CHECK(rtol >= 0, "rtol must be greater than or equal to zero, but got ", rtol);
  EMBER_CHECK(atol >= 0, "atol must be greater than or equal to zero, but got ", atol);
  NoGradGuard no_grad;
  Tensor close = eq(a, b);
  if (equal_nan && is_floating(a.dtype())) close = close | (isnan(a) & isnan(b));
  if (rtol == 0 && atol == 0) return close;
  const Tensor x = is_floating(a.dtype()) ? a : a.to(kFloat32);
  const Tensor y = is_floating(b.dtype()) ? b : b.to(kFloat32);
  const Tensor error = abs(x - y);
  const Tensor allowed = abs(y) * rtol + atol;
  return close | (isfinite(error) & le(error, allowed));
}
Tensor Tensor::isclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return ember::isclose(*this, other, rtol, atol, equal_nan);
}
bool Tensor::allclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return ember::allclose(*this, other, rtol, atol, equal_nan);
}
bool Tensor::equal(const Tensor& other) const { return ember::equal(*this, other); }

// Each element looked up in the sorted test elements: where searchsorted puts it, an equal
// value is, if any is. The test elements' NaNs (sorted last) become +inf first, since a
// binary search through NaNs goes astray (Note [searchsorted and NaN]); so that +inf then
// matches only a real +inf, an element +inf is found only if the test elements have one.
Tensor isin(const Tensor& elements, const Tensor& test_elements, bool /*assume_unique*/, bool invert) {
  EMBER_CHECK(elements.device() == test_elements.device(), "isin(): expected elements and test_elements on one ",
              "device, got ", elements.device(), " and ", test_elements.device());
  NoGradGuard no_grad;
  const DType common = promote_types(elements.dtype(), test_elements.dtype());
  EMBER_CHECK(common != kBool, "\"isin_default_", elements.is_cuda() ? "cuda" : "cpu",
              "\" not implemented for 'Bool'");  // PyTorch's dispatch has no bool either
  const Tensor x = elements.to(common);
  Tensor found;
  if (test_elements.numel() == 0) {
    found = zeros(elements.sizes(), elements.options().dtype(kBool));
  } else {
    const Tensor test = test_elements.to(common).reshape({-1});
    Tensor sorted = std::get<0>(sort(test));
    const Tensor flat = x.reshape({-1});
    const bool floating = is_floating(common);
    const double inf = std::numeric_limits<double>::infinity();
    if (floating) sorted = where(isnan(sorted), Scalar(inf), sorted);
    const Tensor at = searchsorted(sorted, flat).clamp(std::nullopt, Scalar(sorted.numel() - 1));
    found = eq(sorted.index_select(0, at), flat);
    if (floating) found = found & (ne(flat, Scalar(inf)) | any(eq(test, Scalar(inf))));
    found = found.view(elements.sizes());
  }
  return invert ? ~found : found;
}
Tensor isin(const Tensor& elements, const Scalar& test_element, bool /*assume_unique*/, bool invert) {
  NoGradGuard no_grad;
  return invert ? ne(elements, test_element) : eq(elements, test_element);
}
Tensor Tensor::isin(const Tensor& test_elements, bool assume_unique, bool invert) const {
  return ember::isin(*this, test_elements, assume_unique, invert);
}

}  // namespace ember
