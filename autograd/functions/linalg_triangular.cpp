// core/linalg_ops.h's solve_triangular: BLAS's trsm on the CPU, elsewhere forward or back
// substitution written as tensor ops, recorded with PyTorch's gradient, itself a triangular
// solve (Note [Triangular solves]).
#include <utility>

#include "autograd/function_node.h"
#include "autograd/functions/linalg_common.h"
#include "autograd/record.h"
#include "core/cpu/lapack.h"
#include "core/linalg_ops.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/shape.h"

namespace ember::linalg {
namespace {

using autograd::needs_grad;
using autograd::record;
using autograd::sum_to;
using autograd::tensor_list;
using detail::as_batch3;
using detail::batch_of;
using detail::transposed;
using detail::with_matrix;

// Note [Triangular solves]
// ~~~~~~~~~~~~~~~~~~~~~~~~
// On the CPU (with BLAS) X with A X = B is trsm's, as PyTorch's. On other devices, for
// triangular A [m, n, n] and B [m, n, k], a row of X at a time: lower
// triangular from the top (x_i = (b_i - sum_{j<i} a_ij x_j) / a_ii), upper from the bottom,
// each step one division and one update of the rows still to solve (2n ops, the LU solve's
// shape: for a model's small and medium matrices). Only A's triangle (and, unless
// unitriangular, its diagonal) is read; a zero on the diagonal gives inf / NaN, as BLAS's trsm
// under PyTorch (no error). X A = B is the left solve of the transposes. PyTorch's
// gradient, recorded with this same function so it differentiates again: gB =
// solve_triangular(A^T, gX) (the other triangle), gA = -gB X^T (left) or -X^T gB (right),
// kept to A's triangle (without the diagonal when unitriangular).
}  // namespace

Tensor detail::substitute_triangular(const Tensor& A3, Tensor X, bool upper, bool unitriangular) {
  const int64_t n = A3.size(1);
  for (int64_t step = 0; step < n; ++step) {
    const int64_t i = upper ? n - 1 - step : step;
    Tensor xi = X.narrow(1, i, 1);
    if (!unitriangular) xi.div_(A3.select(1, i).narrow(1, i, 1).unsqueeze(2));  // a_ii
    // the rows still to solve: above i (upper) or below it (lower)
    const int64_t start = upper ? 0 : i + 1, count = upper ? i : n - i - 1;
    if (count > 0) X.narrow(1, start, count).sub_(A3.select(2, i).narrow(1, start, count).unsqueeze(2) * xi);
  }
  return X;
}

Tensor detail::triangular_solve_in_place(const Tensor& A3, Tensor X, bool upper, bool unitriangular) {
  if (A3.device().is_cpu() && cpu::lapack::available()) {
    cpu::lapack::triangular_solve(A3.contiguous(), X, upper, unitriangular);
    return X;
  }
  return substitute_triangular(A3, std::move(X), upper, unitriangular);
}

Tensor solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool left, bool unitriangular) {
  EMBER_CHECK(B.dim() >= 2, "linalg.solve_triangular: The input tensor B must have at least 2 dimensions.");
  EMBER_CHECK(A.dim() >= 2, "linalg.solve_triangular: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(A.size(-1) == A.size(-2), "linalg.solve_triangular: A must be batches of square matrices, but they are ",
              A.size(-2), " by ", A.size(-1), " matrices");
  native::check_same_device(A, {&B}, "linalg.solve_triangular");
  const DType dtype = promote_types(A.dtype(), B.dtype());
  EMBER_CHECK(dtype == kFloat32 || dtype == kFloat64, "\"triangular_solve_cpu\" not implemented for '",
              dtype_torch_name(dtype), "'");
  if (A.dtype() != dtype || B.dtype() != dtype)
    return solve_triangular(A.to(dtype), B.to(dtype), upper, left, unitriangular);
  const int64_t n = A.size(-1);
  EMBER_CHECK((left ? B.size(-2) : B.size(-1)) == n, "linalg.solve_triangular: Incompatible shapes of A and B for the ",
              "equation ", left ? "AX = B" : "XA = B", " (", n, "x", n, " and ", B.size(-2), "x", B.size(-1), ")");
  if (!left) return transposed(solve_triangular(transposed(A), transposed(B), !upper, true, unitriangular));
  const Dims batch = broadcast_shapes(batch_of(A), batch_of(B));
  const int64_t k = B.size(-1);
  const Dims x_shape = with_matrix(batch, n, k);
  Tensor X;
  {
    NoGradGuard no_grad;
    const Tensor A3 = as_batch3(A.detach().expand(with_matrix(batch, n, n)));
    Tensor X3 = as_batch3(B.detach().expand(x_shape)).contiguous().clone();
    if (shape_numel(x_shape) > 0) X3 = detail::triangular_solve_in_place(A3, X3, upper, unitriangular);
    X = X3.reshape(x_shape).detach();
  }
  if (autograd::will_record_into(X, A, B)) {
    record("LinalgSolveTriangularBackward", {&A, &B}, {&X}, {A, X},
           [upper, unitriangular, a_sizes = A.sizes(), b_sizes = B.sizes()](const tensor_list& g, const tensor_list& s,
                                                                            const auto& in) {
             const Tensor gB = solve_triangular(transposed(s[0]), g[0], !upper, true, unitriangular);
             Tensor gA, gB_out;
             if (needs_grad(in, 0)) {
               const Tensor full = neg(matmul(gB, transposed(s[1])));
               const int64_t diagonal = unitriangular ? 1 : 0;
               gA = sum_to(upper ? full.triu(diagonal) : full.tril(-diagonal), a_sizes);
             }
             if (needs_grad(in, 1)) gB_out = sum_to(gB, b_sizes);
             return tensor_list{gA, gB_out};
           })
        ->set_differentiable_backward();
  }
  return X;
}

}  // namespace ember::linalg
