// torch.* free functions that are NumPy-style aliases of ember ops, as PyTorch has them:
// arc* (a*), arctan2, multiply, subtract, divide, fix, greater ... not_equal, concat /
// concatenate (cat), narrow_copy, and torch.unravel_index. Included at the end of core/ops.h.
#pragma once
#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace ember {

inline Tensor arccos(const Tensor& a) { return a.acos(); }
inline Tensor arcsin(const Tensor& a) { return a.asin(); }
inline Tensor arctan(const Tensor& a) { return a.atan(); }
inline Tensor arccosh(const Tensor& a) { return a.acosh(); }
inline Tensor arcsinh(const Tensor& a) { return a.asinh(); }
inline Tensor arctanh(const Tensor& a) { return a.atanh(); }
inline Tensor arctan2(const Tensor& a, const Tensor& b) { return a.atan2(b); }
inline Tensor multiply(const Tensor& a, const Tensor& b) { return a.mul(b); }
inline Tensor multiply(const Tensor& a, const Scalar& b) { return a.mul(b); }
inline Tensor subtract(const Tensor& a, const Tensor& b, const Scalar& alpha = 1) { return a.sub(b, alpha); }
inline Tensor subtract(const Tensor& a, const Scalar& b, const Scalar& alpha = 1) { return a.sub(b, alpha); }
inline Tensor divide(const Tensor& a, const Tensor& b) { return a.div(b); }
inline Tensor divide(const Tensor& a, const Scalar& b) { return a.div(b); }
inline Tensor divide(const Tensor& a, const Tensor& b, std::optional<std::string_view> rounding_mode) {
  return a.div(b, rounding_mode);
}
inline Tensor divide(const Tensor& a, const Scalar& b, std::optional<std::string_view> rounding_mode) {
  return a.div(b, rounding_mode);
}
inline Tensor fix(const Tensor& a) { return a.trunc(); }
inline Tensor greater(const Tensor& a, const Tensor& b) { return a.gt(b); }
inline Tensor greater(const Tensor& a, const Scalar& b) { return a.gt(b); }
inline Tensor greater_equal(const Tensor& a, const Tensor& b) { return a.ge(b); }
inline Tensor greater_equal(const Tensor& a, const Scalar& b) { return a.ge(b); }
inline Tensor less(const Tensor& a, const Tensor& b) { return a.lt(b); }
inline Tensor less(const Tensor& a, const Scalar& b) { return a.lt(b); }
inline Tensor less_equal(const Tensor& a, const Tensor& b) { return a.le(b); }
inline Tensor less_equal(const Tensor& a, const Scalar& b) { return a.le(b); }
inline Tensor not_equal(const Tensor& a, const Tensor& b) { return a.ne(b); }
inline Tensor not_equal(const Tensor& a, const Scalar& b) { return a.ne(b); }
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
inline Tensor concat(const std::vector<Tensor>& tensors, int64_t dim = 0) { return cat(tensors, dim); }
inline Tensor concatenate(const std::vector<Tensor>& tensors, int64_t dim = 0) { return cat(tensors, dim); }
inline Tensor narrow_copy(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
  return a.narrow_copy(dim, start, length);
}

// torch.positive / signbit / square / resolve_conj / resolve_neg / unflatten as free functions.
inline Tensor positive(const Tensor& a) { return a.positive(); }
inline Tensor signbit(const Tensor& a) { return a.signbit(); }
inline Tensor square(const Tensor& a) { return a.square(); }
inline Tensor resolve_conj(const Tensor& a) { return a.resolve_conj(); }
inline Tensor resolve_neg(const Tensor& a) { return a.resolve_neg(); }
// A template on exactly Tensor: native::unflatten has these parameter types (Note [Free
// spellings of methods] in core/free_spellings.h).
template <std::same_as<Tensor> T>
Tensor unflatten(const T& a, int64_t dim, const Dims& sizes) {
  return a.unflatten(dim, sizes);
}
// torch.pow(self: Scalar, exponent: Tensor): the number raised to each element, in the type
// PyTorch's wrapped-number promotion gives (pow(2, int64) is int64, pow(2.5, int64) float32);
// differentiable in the exponent.
Tensor pow(const Scalar& self, const Tensor& exponent);
// torch.vander: x (1-D) -> [n, N], columns x^(N-1) ... x^0, or x^0 ... x^(N-1) when
// increasing (linalg::vander's order); N defaults to n. A template on exactly Tensor, so that
// an unqualified vander(x, n) inside namespace linalg stays linalg::vander.
Tensor torch_vander(const Tensor& x, std::optional<int64_t> N, bool increasing);
template <std::same_as<Tensor> T>
Tensor vander(const T& x, std::optional<int64_t> N = std::nullopt, bool increasing = false) {
  return torch_vander(x, N, increasing);
}
// torch.inner: the sum over the last dims of a and b (a scalar operand multiplies); torch.vdot:
// the dot of two 1-D tensors (real dtypes: dot).
Tensor inner(const Tensor& a, const Tensor& b);
Tensor vdot(const Tensor& a, const Tensor& b);

// torch.unravel_index: the coordinates, one int64 tensor per dim of shape (each of indices'
// shape), of flat row-major indices into a tensor of that shape; PyTorch's floor division
// and remainder, so negative indices count from the end and none is bounds-checked
// (autograd/functions/composite.cpp). Integer indices only; no negative sizes.
std::vector<Tensor> unravel_index(const Tensor& indices, const std::vector<int64_t>& shape);

}  // namespace ember
