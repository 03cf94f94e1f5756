// Native reductions made of other native ops, so they run on every device without a
// kernel of their own: logsumexp (shifted by the max, as PyTorch's) and
// linalg.vector_norm (sum of |x|^p, amax/amin of |x|, or the count of nonzeros).
#include <cmath>
#include <limits>

#include "core/native.h"

namespace ember::native {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// a's sizes with the dims of `dims` (all when empty) wrapped, for the empty-input checks.
Dims wrapped(const Tensor& a, const Dims& dims) {
  Dims out;
  if (dims.empty()) {
    for (int64_t d = 0; d < a.dim(); ++d) out.push_back(d);
  } else {
    for (int64_t d : dims) out.push_back(wrap_dim(d, a.dim()));
  }
  return out;
}

}  // namespace

Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim) {
  // Integers and bool reduce as the default float dtype (PyTorch 1.13's promotion).
  if (!is_floating(a.dtype())) return logsumexp(to_dtype(a, kFloat32), dims, keepdim);
  if (is_reduced_float(a.dtype())) return to_dtype(logsumexp(to_dtype(a, kFloat32), dims, keepdim), a.dtype());
  if (a.numel() == 0) return log(sum(exp(a), dims, keepdim));  // log(0) = -inf; amax has no identity
  // An infinite max would make x - max NaN: shift by 0 there (-inf rows stay -inf, +inf gives inf).
  const Tensor m = amax(a, dims, true);
  const Tensor shift = where(eq(abs(m), kInf), Scalar(0.0), m);
  const Tensor out = log(sum(exp(sub(a, shift)), dims, keepdim));
  return add(out, keepdim ? shift : view(shift, out.sizes()));
}

Tensor vector_norm(const Tensor& a, double ord, const Dims& dims, bool keepdim) {
  EMBER_CHECK(is_floating(a.dtype()), "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ",
              dtype_torch_name(a.dtype()));
  const Dims reduced = wrapped(a, dims);
  if (a.numel() == 0 && (ord < 0 || ord == kInf)) {  // no identity: PyTorch's words
    EMBER_CHECK(!dims.empty(), "linalg.vector_norm cannot compute the ", ord,
                " norm on an empty tensor because the operation does not have an identity");
    for (int64_t d : reduced)
      EMBER_CHECK(a.dim() == 0 || a.size(d) != 0, "linalg.vector_norm cannot compute the ", ord,
                  " norm on the dimension ", d, " because this dimension is empty and the operation does not have an identity");
  }
  if (is_reduced_float(a.dtype())) return to_dtype(vector_norm(to_dtype(a, kFloat32), ord, dims, keepdim), a.dtype());
  if (ord == 2) return sqrt(sum(mul(a, a), dims, keepdim));
  if (ord == 1) return sum(abs(a), dims, keepdim);
  if (ord == kInf) return amax(abs(a), dims, keepdim);
  if (ord == -kInf) return amin(abs(a), dims, keepdim);
  if (ord == 0) return sum(to_dtype(ne(a, 0.0), a.dtype()), dims, keepdim);
  return pow(sum(pow(abs(a), ord), dims, keepdim), 1.0 / ord);
}

}  // namespace ember::native
