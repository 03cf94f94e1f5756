// core/linalg_ops.h: det, slogdet, solve / solve_ex and inv / inv_ex from an LU
// factorization with partial pivoting (LAPACK's on the CPU, tensor ops elsewhere), and
// cholesky / cholesky_ex as tensor ops, with their closed-form gradients (Note [LU-based
// linalg]).
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/functions/linalg_common.h"
#include "autograd/record.h"
#include "core/cpu/lapack.h"
#include "core/factories.h"
#include "core/linalg_ops.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/shape.h"

namespace ember {
namespace linalg {
namespace {

using autograd::needs_grad;
using autograd::record;
using autograd::sum_to;
using autograd::tensor_list;
using detail::as_batch3;
using detail::batch_of;
using detail::check_square;
using detail::factor_lu;
using detail::first_flag_info;
using detail::first_flagged;
using detail::Lu;
using detail::transposed;
using detail::with_matrix;

// Note [LU-based linalg]
// ~~~~~~~~~~~~~~~~~~~~~~
// On the CPU the factorization is LAPACK's getrf and its solves BLAS's trsm (OpenBLAS's, as
// PyTorch's). Elsewhere
// PyTorch's cuSOLVER calls are written as tensor ops over a batch [b, m, n]
// (factor_lu_by_steps, also the CPU's for pivot = false, which PyTorch has on CUDA only, and
// in a build without BLAS): for each column k < min(m, n), the
// row of the largest |a_ik| at or below k is swapped into row k (partial pivoting, the first
// such row on ties, as getrf's), the multipliers a_ik / a_kk are stored below the diagonal and
// their outer product with row k is taken off the trailing block. So A = P^T L U with L unit
// lower and U upper in one tensor, and each op runs on the matrices' device with its own
// kernels (n steps of a few launches: meant for the small and medium matrices of a model, not
// for large dense solves; LinalgLuFactor.TheStepsOffTheCpuMatchGetrf checks them against
// getrf on the CPU). The two round differently (getrf's blocked updates), so pivots and the
// zero-pivot check agree only up to rounding: a matrix singular to working precision, such as
// [[1, 2, 3], [4, 5, 6], [7, 8, 9]], can meet an exact 0 on one device and 1e-16 on the other,
// and a NaN is the largest |a_ik| for argmax, not for getrf's iamax. The factorization is not
// recorded; each result has a node with its closed form, written with these same public
// ops, so every order differentiates: solve's gB = solve(A^T, g) and gA = -gB X^T; inv is
// solve(A, I); det's gA = g det A^-T and slogdet's gA = g_logabsdet A^-T (sign has no
// gradient). Where det is 0, its gradient is 0, as PyTorch 1.13's first-order one (the
// adjugate is not formed; PyTorch's create_graph path gives the adjugate there); slogdet's
// there is inf and NaN, as PyTorch's. A zero pivot (the matrix is
// singular to working precision, an exact 0 on U's diagonal) makes solve and inv raise
// PyTorch's errors, which reads the pivots back to the host, as PyTorch's own check does;
// the _ex forms return that check as info instead. PyTorch 1.13 factors A^T for a contiguous
// A (its solve_ex / inv_ex solve the adjoint system), ember A itself: for a singular matrix
// the reported pivot (info, "The diagonal element i") can differ, e.g. [[0, 0], [1, 1]]: 1 in
// PyTorch, 2 here; the solutions of nonsingular systems are the same up to rounding. lu_factor / lu / lu_solve expose
// the factorization (autograd/functions/linalg_lu_factor.cpp).

}  // namespace

namespace detail {

Lu factor_lu(const Tensor& A3, bool pivot) {
  NoGradGuard no_grad;
  if (pivot && A3.device().is_cpu() && cpu::lapack::available()) {  // LAPACK's getrf, as PyTorch's
    const cpu::lapack::Lu f = cpu::lapack::lu(A3.contiguous());
    return Lu{f.lu, f.perm, f.swaps, f.pivots};
  }
  return factor_lu_by_steps(A3, pivot);
}

Lu factor_lu_by_steps(const Tensor& A3, bool pivot) {
  NoGradGuard no_grad;
  const int64_t b = A3.size(0), m = A3.size(1), n = A3.size(2), steps = std::min(m, n);
  const TensorOptions index_options = TensorOptions(kInt64).device(A3.device());
  Lu f{A3.contiguous().clone(), arange(m, index_options).expand({b, m}).contiguous(), zeros({b}, index_options),
       arange(steps, index_options).expand({b, steps}).contiguous()};
  for (int64_t k = 0; k < steps; ++k) {
    if (pivot) {
      const Tensor pivot_row = f.lu.select(2, k).narrow(1, k, m - k).abs().argmax(1) + k;  // [b]
      f.pivots.select(1, k).copy_(pivot_row);
      // swap rows k and pivot_row of lu and perm (a no-op where they are the same row)
      const Tensor at_lu = pivot_row.view({b, 1, 1}).expand({b, 1, n});
      const Tensor row_k = f.lu.select(1, k).clone(), row_p = f.lu.gather(1, at_lu);
      f.lu.select(1, k).copy_(row_p.squeeze(1));
      f.lu.scatter_(1, at_lu, row_k.unsqueeze(1));
      const Tensor at_perm = pivot_row.view({b, 1});
      const Tensor perm_k = f.perm.select(1, k).clone();
      f.perm.select(1, k).copy_(f.perm.gather(1, at_perm).squeeze(1));
      f.perm.scatter_(1, at_perm, perm_k.unsqueeze(1));
      f.swaps.add_(pivot_row.ne(k).to(kInt64));
    }
    if (k + 1 == m) break;
    const Tensor pivot_value = f.lu.select(1, k).select(1, k).unsqueeze(1);  // [b, 1]
    Tensor below = f.lu.select(2, k).narrow(1, k + 1, m - k - 1);            // [b, m-k-1]
    // pivoting, a zero pivot has a zero column below it (it is the largest): multipliers 0,
    // not 0/0
    const Tensor multipliers = pivot ? where(pivot_value.eq(0.0), 0.0, below / pivot_value) : below / pivot_value;
    below.copy_(multipliers);
    if (k + 1 == n) continue;
    const Tensor row = f.lu.select(1, k).narrow(1, k + 1, n - k - 1);  // [b, n-k-1]
    f.lu.narrow(1, k + 1, m - k - 1).narrow(2, k + 1, n - k - 1).sub_(multipliers.unsqueeze(2) * row.unsqueeze(1));
  }
  return f;
}

}  // namespace detail

namespace {

Tensor diagonal_of(const Tensor& lu) { return diagonal(lu, 0, -2, -1); }

// X = U^-1 L^-1 P B for B [m, n, k], by forward then back substitution (no pivot check).
Tensor solve_with_lu(const Lu& f, const Tensor& B3) {
  NoGradGuard no_grad;
  const int64_t m = f.lu.size(0), n = f.lu.size(1), k = B3.size(2);
  Tensor X = B3.gather(1, f.perm.unsqueeze(2).expand({m, n, k})).contiguous();                            // P B
  X = detail::triangular_solve_in_place(f.lu, std::move(X), /*upper=*/false, /*unitriangular=*/true);     // L Y = P B
  return detail::triangular_solve_in_place(f.lu, std::move(X), /*upper=*/true, /*unitriangular=*/false);  // U X = Y
}

// PyTorch's singular-matrix errors: the first zero pivot of the first singular matrix.
void check_nonsingular(const Lu& f, const Dims& batch, const std::string& what, bool says_element) {
  const auto first = first_flagged(diagonal_of(f.lu).eq(0.0), batch);
  if (!first) return;
  const auto& [batch_note, column] = *first;
  if (says_element) {
    EMBER_CHECK(false, what, ": ", batch_note, "The diagonal element ", column + 1,
                " is zero, the inversion could not be completed because the input matrix is singular.");
  }
  EMBER_CHECK(false, what, ": ", batch_note, "The solver failed because the input matrix is singular.");
}

// The inverses of A's matrices, recorded (Note [LU-based linalg]); singular ones are an
// error when `check`, else hold inf and NaN (what the gradients of slogdet need there).
// info, when given, is set to inv_ex's (the first zero pivot per matrix).
Tensor inverse_of(const Tensor& A, bool check, Tensor* info = nullptr) {
  const int64_t n = A.size(-1);
  const Dims shape = with_matrix(batch_of(A), n, n);
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor A3 = as_batch3(A.detach());
    if (n == 0 || A3.size(0) == 0) {
      out = zeros(shape, TensorOptions(A.dtype()).device(A.device()));
      if (info) *info = zeros(batch_of(A), TensorOptions(kInt64).device(A.device()));
    } else {
      const Lu f = factor_lu(A3);
      if (check) check_nonsingular(f, batch_of(A), "linalg.inv", true);
      if (info) *info = first_flag_info(diagonal_of(f.lu).eq(0.0), batch_of(A));
      const Tensor identity = eye(n, TensorOptions(A.dtype()).device(A.device())).expand(A3.sizes());
      out = solve_with_lu(f, identity).reshape(shape);
    }
    out = out.detach();  // not a view made under no_grad
  }
  if (autograd::will_record_into(out, A)) {
    record("LinalgInvExBackward", {&A}, {&out}, {out}, [](const tensor_list& g, const tensor_list& s, const auto&) {
      const Tensor inverse_t = transposed(s[0]);
      return tensor_list{neg(matmul(matmul(inverse_t, g[0]), inverse_t))};  // -A^-T g A^-T
    })->set_differentiable_backward();
  }
  return out;
}

// A^-T for the gradients, recorded when they are.
Tensor inverse_transposed(const Tensor& A) { return transposed(inverse_of(A, false)); }

}  // namespace

namespace detail {

void check_square(const Tensor& A, const char* op) {
  EMBER_CHECK(A.dim() >= 2, op, ": The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(!is_reduced_float(A.dtype()), "\"", op, "\" not implemented for '", dtype_torch_name(A.dtype()), "'");
  EMBER_CHECK(is_floating(A.dtype()), op, ": Expected a floating point or complex tensor as input. Got ",
              dtype_torch_name(A.dtype()));
  EMBER_CHECK(A.size(-1) == A.size(-2), op, ": A must be batches of square matrices, but they are ", A.size(-2), " by ",
              A.size(-1), " matrices");
}

std::optional<std::pair<std::string, int64_t>> first_flagged(const Tensor& flags, const Dims& batch) {
  if (flags.numel() == 0 || !flags.any().item<bool>()) return std::nullopt;
  const std::vector<int64_t> values = flags.to(kInt64).cpu().to_vector<int64_t>();
  const int64_t n = flags.size(1);
  int64_t first = 0;
  while (values[static_cast<size_t>(first)] == 0) ++first;
  return std::make_pair(batch.empty() ? std::string() : "(Batch element " + std::to_string(first / n) + "): ",
                        first % n);
}

Tensor first_flag_info(const Tensor& flags, const Dims& batch) {
  const int64_t n = flags.size(1);
  const Tensor unflagged_prefix = flags.to(kInt64).cumsum(1).eq(0).sum(Dims{1});  // [b]
  return where(unflagged_prefix.eq(n), 0, unflagged_prefix + 1).to(kInt64).reshape(batch);
}

}  // namespace detail

std::pair<Tensor, Tensor> slogdet(const Tensor& A) {
  check_square(A, "linalg.slogdet");
  const Dims batch = batch_of(A);
  const int64_t n = A.size(-1);
  Tensor sign, logabsdet;
  {
    NoGradGuard no_grad;
    const Tensor A3 = as_batch3(A.detach());
    if (n == 0) {
      sign = ones(batch, TensorOptions(A.dtype()).device(A.device()));
      logabsdet = zeros(batch, TensorOptions(A.dtype()).device(A.device()));
    } else {
      const Lu f = factor_lu(A3);
      const Tensor d = diagonal_of(f.lu);
      const Tensor parity = (f.swaps.remainder(2) * -2 + 1).to(A.dtype());  // (-1)^swaps
      sign = (d.sign().prod(1) * parity).reshape(batch);
      logabsdet = d.abs().log().sum(1).reshape(batch);
    }
    sign = sign.detach();  // not views made under no_grad
    logabsdet = logabsdet.detach();
  }
  if (autograd::will_record_into(logabsdet, A)) {
    record("LinalgSlogdetBackward", {&A}, {&logabsdet}, {A},
           [](const tensor_list& g, const tensor_list& s, const auto&) {
             return tensor_list{g[0].unsqueeze(-1).unsqueeze(-1) * inverse_transposed(s[0])};
           })
        ->set_differentiable_backward();
  }
  return {sign, logabsdet};
}

Tensor det(const Tensor& A) {
  check_square(A, "linalg.det");
  const Dims batch = batch_of(A);
  Tensor d;
  {
    NoGradGuard no_grad;
    const Tensor A3 = as_batch3(A.detach());
    if (A.size(-1) == 0) {
      d = ones(batch, TensorOptions(A.dtype()).device(A.device()));
    } else {
      const Lu f = factor_lu(A3);
      const Tensor parity = (f.swaps.remainder(2) * -2 + 1).to(A.dtype());  // (-1)^swaps
      d = (diagonal_of(f.lu).prod(1) * parity).reshape(batch);
    }
    d = d.detach();  // not a view made under no_grad
  }
  if (autograd::will_record_into(d, A)) {
    record("LinalgDetBackward", {&A}, {&d}, {A, d}, [](const tensor_list& g, const tensor_list& s, const auto&) {
      const Tensor scale = (g[0] * s[1]).unsqueeze(-1).unsqueeze(-1);
      const Tensor singular = s[1].eq(0.0).unsqueeze(-1).unsqueeze(-1);
      // A^-T of the nonsingular matrices only (a singular one is replaced by I first)
      const Tensor identity = eye(s[0].size(-1), TensorOptions(s[0].dtype()).device(s[0].device()));
      return tensor_list{where(singular, 0.0, scale * inverse_transposed(where(singular, identity, s[0])))};
    })->set_differentiable_backward();
  }
  return d;
}

namespace {

// solve, and solve_ex when info is given (set to the first zero pivot of each of A's matrices
// instead of raising).
Tensor solve_of(const Tensor& A, const Tensor& B, bool left, Tensor* info) {
  check_square(A, "linalg.solve");
  EMBER_CHECK(A.dtype() == B.dtype(), "linalg.solve: Expected A and B to have the same dtype, but found A of type ",
              dtype_torch_name(A.dtype()), " and B of type ", dtype_torch_name(B.dtype()), " instead");
  native::check_same_device(A, {&B}, "linalg.solve");
  EMBER_CHECK(B.dim() >= 1, "linalg.solve: The input tensor B must have at least 2 dimensions.");
  const int64_t n = A.size(-1);
  const Dims a_batch = batch_of(A);
  // PyTorch's vector case: B of one dim, or of A's batch shape and n (a column; for XA = B
  // that is a 1-column B, so n must be 1)
  const bool vector =
      B.dim() == 1 || (B.dim() == A.dim() - 1 && B.sizes() == Dims(A.sizes().data(), A.sizes().size() - 1));
  const Tensor B_matrix = vector ? B.unsqueeze(-1) : B;
  const int64_t b_rows = B_matrix.size(-2), b_cols = B_matrix.size(-1);
  EMBER_CHECK((left ? b_rows : b_cols) == n, "linalg.solve: Incompatible shapes of A and B for the equation ",
              left ? "AX = B" : "XA = B", " (", n, "x", n, " and ", b_rows, "x", b_cols, ")");
  EMBER_CHECK(left || !vector,
              "linalg.solve: Vector broadcasting of the left hand side is not supported for left=False. In this "
              "case linalg.solve is equivalent to B / A.squeeze(-1)");
  if (!left) return transposed(solve_of(transposed(A), transposed(B_matrix), true, info));
  const Dims batch = broadcast_shapes(a_batch, batch_of(B_matrix));
  const int64_t k = b_cols;
  const Dims a_shape = with_matrix(batch, n, n), b_shape = with_matrix(batch, n, k);
  Tensor X;
  {
    NoGradGuard no_grad;
    // A factored at its own batch shape (its error names A's batch element), then expanded
    const Tensor A3 = as_batch3(A.detach());
    // PyTorch's error, or info
    const auto check = [&](const Lu& f) {
      if (info)
        *info = first_flag_info(diagonal_of(f.lu).eq(0.0), a_batch);
      else
        check_nonsingular(f, a_batch, "torch.linalg.solve", false);
    };
    if (info) *info = zeros(a_batch, TensorOptions(kInt64).device(A.device()));
    if (n == 0 || A3.size(0) == 0 || shape_numel(b_shape) == 0) {
      if (n > 0 && A3.size(0) > 0) check(factor_lu(A3));
      X = zeros(b_shape, TensorOptions(A.dtype()).device(A.device()));
    } else {
      Lu f = factor_lu(A3);
      check(f);
      if (!(a_batch == batch)) {
        f.lu = as_batch3(f.lu.reshape(with_matrix(a_batch, n, n)).expand(a_shape));
        f.perm = f.perm.reshape(with_matrix(a_batch, 1, n)).expand(with_matrix(batch, 1, n)).reshape({-1, n});
      }
      X = solve_with_lu(f, as_batch3(B_matrix.detach().expand(b_shape))).reshape(b_shape);
    }
    if (vector) X = X.squeeze(-1);
    X = X.detach();  // not a view made under no_grad (in-place ops on it record as on any result)
  }
  if (autograd::will_record_into(X, A, B)) {
    record(
        "LinalgSolveBackward", {&A, &B}, {&X}, {A, X},
        [vector, a_sizes = A.sizes(), b_sizes = B.sizes()](const tensor_list& g, const tensor_list& s, const auto& in) {
          const Tensor gX = vector ? g[0].unsqueeze(-1) : g[0];
          const Tensor X_matrix = vector ? s[1].unsqueeze(-1) : s[1];
          const Tensor gB = solve(transposed(s[0]), gX);  // A^-T g
          Tensor gA, gB_out;
          if (needs_grad(in, 0)) gA = sum_to(neg(matmul(gB, transposed(X_matrix))), a_sizes);
          if (needs_grad(in, 1)) gB_out = sum_to(vector ? gB.squeeze(-1) : gB, b_sizes);
          return tensor_list{gA, gB_out};
        })
        ->set_differentiable_backward();
  }
  return X;
}

}  // namespace

Tensor solve(const Tensor& A, const Tensor& B, bool left) { return solve_of(A, B, left, nullptr); }

std::pair<Tensor, Tensor> solve_ex(const Tensor& A, const Tensor& B, bool left) {
  Tensor info;
  Tensor X = solve_of(A, B, left, &info);
  return {X, info};
}

Tensor inv(const Tensor& A) {
  check_square(A, "linalg.inv");
  return inverse_of(A, true);
}

// Cholesky on the CPU by LAPACK's potrf, as PyTorch's; elsewhere by columns, right-looking, as
// tensor ops: l_kk = sqrt(a_kk), the column below divided by it, its outer product taken off
// the trailing block. Only the lower triangle is read (the upper one with upper, as PyTorch's
// potrf('U')). The first pivot that is not positive, or is NaN (LAPACK's potrf2 check, so a
// NaN input is PyTorch's CPU error), names the leading minor in PyTorch's error. The gradient
// is the symmetric one PyTorch's gives:
// gA = (S + S^T) / 2, S = L^-T Phi(L^T gL) L^-1, Phi the lower triangle with its diagonal
// halved.
namespace {

// cholesky, and cholesky_ex when info is given (set instead of raising).
Tensor cholesky_of(const Tensor& A, bool upper, Tensor* info) {
  check_square(A, "linalg.cholesky");
  const Dims batch = batch_of(A);
  const int64_t n = A.size(-1);
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor A3 = as_batch3(A.detach());
    const int64_t m = A3.size(0);
    // the factor of the lower triangle's matrix, or of the upper's (as its transpose's lower)
    Tensor work = (upper ? transposed(A3) : A3).tril().contiguous();
    // pivots not positive, or NaN
    Tensor failed = zeros({m, n}, TensorOptions(kBool).device(A.device()));
    if (A3.device().is_cpu() && cpu::lapack::available() && (A.dtype() == kFloat32 || A.dtype() == kFloat64)) {
      // LAPACK's potrf, as PyTorch's CPU: a blocked factorization, not n steps of tensor ops
      const cpu::lapack::Cholesky f = cpu::lapack::cholesky(work);
      work = f.L;
      const std::vector<int64_t> orders = f.info.to_vector<int64_t>();
      for (int64_t i = 0; i < m; ++i) {
        const int64_t order = orders[static_cast<size_t>(i)];
        if (order > 0) failed.select(0, i).select(0, order - 1).fill_(true);
      }
    } else {
      for (int64_t k = 0; k < n; ++k) {
        Tensor pivot = work.select(1, k).narrow(1, k, 1);  // [m, 1]: a_kk
        failed.select(1, k).copy_(pivot.squeeze(1).gt(0.0).logical_not());
        pivot.sqrt_();
        if (k + 1 == n) break;
        Tensor column = work.select(2, k).narrow(1, k + 1, n - k - 1);  // [m, n-k-1]
        column.div_(pivot);
        work.narrow(1, k + 1, n - k - 1).narrow(2, k + 1, n - k - 1).sub_(column.unsqueeze(2) * column.unsqueeze(1));
      }
    }
    if (info) {
      *info = n == 0 ? zeros(batch, TensorOptions(kInt64).device(A.device())) : first_flag_info(failed, batch);
    } else if (const auto first = first_flagged(failed, batch)) {
      EMBER_CHECK(false, "linalg.cholesky: ", first->first,
                  "The factorization could not be completed because the input is not positive-definite (the "
                  "leading minor of order ",
                  first->second + 1, " is not positive-definite).");
    }
    const Tensor L = work.tril().reshape(with_matrix(batch, n, n));
    out = (upper ? transposed(L).contiguous() : L).detach();  // not a view made under no_grad
  }
  if (autograd::will_record_into(out, A)) {
    record("LinalgCholeskyExBackward", {&A}, {&out}, {out},
           [upper](const tensor_list& g, const tensor_list& s, const auto&) {
             const Tensor L = upper ? transposed(s[0]) : s[0];
             const Tensor gL = upper ? transposed(g[0]) : g[0];
             const Tensor lower = matmul(transposed(L), gL).tril();
             const Tensor phi = lower - diagonal(lower, 0, -2, -1).diag_embed() * 0.5;
             const Tensor L_inverse = inverse_of(L, false);
             const Tensor S = matmul(matmul(transposed(L_inverse), phi), L_inverse);
             return tensor_list{(S + transposed(S)) * 0.5};
           })
        ->set_differentiable_backward();
  }
  return out;
}

}  // namespace

Tensor cholesky(const Tensor& A, bool upper) { return cholesky_of(A, upper, nullptr); }

std::pair<Tensor, Tensor> cholesky_ex(const Tensor& A, bool upper) {
  Tensor info;
  Tensor L = cholesky_of(A, upper, &info);
  return {L, info};
}

std::pair<Tensor, Tensor> inv_ex(const Tensor& A) {
  check_square(A, "linalg.inv_ex");
  Tensor info;
  Tensor inverse = inverse_of(A, false, &info);
  return {inverse, info};
}

}  // namespace linalg

Tensor det(const Tensor& A) { return linalg::det(A); }

Tensor logdet(const Tensor& A) {
  linalg::detail::check_square(A, "logdet");
  const auto [sign, logabsdet] = linalg::slogdet(A);
  return where(sign.lt(0.0), std::numeric_limits<double>::quiet_NaN(), logabsdet);
}

Tensor inverse(const Tensor& A) { return linalg::inv(A); }

Tensor Tensor::det() const { return linalg::det(*this); }
Tensor Tensor::logdet() const { return ember::logdet(*this); }
Tensor Tensor::inverse() const { return linalg::inv(*this); }

}  // namespace ember
