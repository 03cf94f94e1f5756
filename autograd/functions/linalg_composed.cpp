// core/linalg_ops.h's matrix_power, cross and matrix_norm: composed of matmul, inv, narrow,
// cat and the reductions, so their devices, dtypes and gradients are those ops'.
#include <cmath>
#include <string>
#include <vector>

#include "core/factories.h"
#include "core/linalg_ops.h"
#include "core/ops.h"
#include "core/shape.h"

namespace ember::linalg {

Tensor matrix_power(const Tensor& A, int64_t n) {
  EMBER_CHECK(A.dim() >= 2, "linalg.matrix_power: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(A.size(-1) == A.size(-2), "linalg.matrix_power: A must be batches of square matrices, but they are ",
              A.size(-2), " by ", A.size(-1), " matrices");
  if (n == 0)
    return zeros(A.sizes(), TensorOptions(A.dtype()).device(A.device())) +
           eye(A.size(-1), TensorOptions(A.dtype()).device(A.device()));
  if (n == 1) return A.clone();
  // A^|n| (of inv(A) for n < 0) by squaring: the factor for each set bit of |n|
  Tensor base = n < 0 ? inv(A) : A, result;
  for (uint64_t e = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n); e != 0; e >>= 1) {
    if (e & 1) result = result.defined() ? matmul(result, base) : base;
    if (e > 1) base = matmul(base, base);
  }
  return result;
}

Tensor cross(const Tensor& a, const Tensor& b, int64_t dim) {
  EMBER_CHECK(a.dim() == b.dim(), "linalg.cross: inputs must have the same number of dimensions.");
  const Dims shape = broadcast_shapes(a.sizes(), b.sizes());
  const int64_t d = wrap_dim(dim, static_cast<int64_t>(shape.size()));
  EMBER_CHECK(a.size(d) == 3 && b.size(d) == 3, "linalg.cross: inputs dimension ", dim, " must have length 3. Got ",
              a.size(d), " and ", b.size(d));
  const Tensor x = a.expand(shape), y = b.expand(shape);
  const auto at = [d](const Tensor& t, int64_t i) { return t.narrow(d, i, 1); };
  return cat({at(x, 1) * at(y, 2) - at(x, 2) * at(y, 1), at(x, 2) * at(y, 0) - at(x, 0) * at(y, 2),
              at(x, 0) * at(y, 1) - at(x, 1) * at(y, 0)},
             d);
}

namespace {

// The checks every matrix norm makes, and its two dims wrapped.
std::pair<int64_t, int64_t> norm_dims(const Tensor& A, const Dims& dims) {
  EMBER_CHECK(A.dim() >= 2, "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(is_floating(A.dtype()), "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got ",
              dtype_torch_name(A.dtype()));
  EMBER_CHECK(dims.size() == 2, "linalg.matrix_norm: dim must be a 2-tuple. Got ", dims);
  const int64_t d0 = wrap_dim(dims[0], A.dim()), d1 = wrap_dim(dims[1], A.dim());
  EMBER_CHECK(d0 != d1, "linalg.matrix_norm: dims must be different. Got (", dims[0], ", ", dims[1], ")");
  return {d0, d1};
}

// max (or min) over `across` of the sums of |A| over `along`: 1 / -1 (columns: along the
// rows), inf / -inf (rows).
Tensor extreme_of_sums(const Tensor& A, int64_t along, int64_t across, bool largest, bool keepdim) {
  Tensor sums = A.abs().sum(Dims{along}, /*keepdim=*/true);
  Tensor out = largest ? sums.amax(Dims{across}, true) : sums.amin(Dims{across}, true);
  if (keepdim) return out;
  return out.squeeze(std::max(along, across)).squeeze(std::min(along, across));
}

}  // namespace

Tensor matrix_norm(const Tensor& A, std::string_view ord, const Dims& dims, bool keepdim) {
  const auto [d0, d1] = norm_dims(A, dims);
  if (ord == "fro") return vector_norm(A, 2.0, Dims{d0, d1}, keepdim);
  EMBER_CHECK(ord != "nuc",
              "linalg.matrix_norm: ord 'nuc' needs the singular values (linalg.svd), which ember "
              "does not have yet");
  EMBER_CHECK(false, "linalg.matrix_norm: Order ", ord, " not supported.");
  return Tensor();
}

Tensor matrix_norm(const Tensor& A, double ord, const Dims& dims, bool keepdim) {
  const auto [d0, d1] = norm_dims(A, dims);
  if (ord == 1 || ord == -1) return extreme_of_sums(A, d0, d1, ord > 0, keepdim);
  if (std::isinf(ord)) return extreme_of_sums(A, d1, d0, ord > 0, keepdim);
  EMBER_CHECK(ord != 2 && ord != -2, "linalg.matrix_norm: ord ", ord,
              " needs the singular values (linalg.svd), which "
              "ember does not have yet");
  EMBER_CHECK(false, "linalg.matrix_norm: Order ", ord, " not supported.");
  return Tensor();
}

}  // namespace ember::linalg
