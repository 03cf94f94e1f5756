// torch.linalg over batches of matrices [*, n, n]: the LU-based det, slogdet, solve and inv
// (with torch.det / logdet / inverse) and cholesky, composed of tensor ops, so they run on
// any device, with closed-form gradients (Note [LU-based linalg] in
// autograd/functions/linalg_lu.cpp); matrix_power, cross and matrix_norm composed of ops
// (autograd/functions/linalg_composed.cpp); the spectral eigh, svd and qr, with pinv and
// matrix_rank, by LAPACK (Note [Spectral linalg] in autograd/functions/linalg_spectral.cpp).
#pragma once
#include <concepts>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ember::linalg {

// The determinant of each matrix (0 for a singular one).
Tensor det(const Tensor& A);
// (sign, log |det|) of each matrix: (0, -inf) for a singular one.
std::pair<Tensor, Tensor> slogdet(const Tensor& A);
// X with A X = B (left) or X A = B (left = false). B is [*, n, k], or a vector [*, n] (B of
// one dim, or of A's batch shape and n); batch dims broadcast. A singular matrix is
// PyTorch's "The solver failed because the input matrix is singular." error.
Tensor solve(const Tensor& A, const Tensor& B, bool left = true);
// The inverse of each matrix; a singular one is PyTorch's "The diagonal element i is zero,
// the inversion could not be completed because the input matrix is singular." error.
Tensor inv(const Tensor& A);
// L with A = L L^T (or U = L^T with A = U^T U when upper) of each symmetric positive-definite
// matrix (only A's lower triangle is read, the upper one when upper); else "not positive-definite".
Tensor cholesky(const Tensor& A, bool upper = false);
// A^n by repeated squaring; n < 0 is inv(A)^-n, n = 0 the identity.
Tensor matrix_power(const Tensor& A, int64_t n);
// The cross product along `dim` (of size 3), with broadcasting.
Tensor cross(const Tensor& a, const Tensor& b, int64_t dim = -1);
// The matrix norms over `dims` (two dims): "fro", "nuc" (the sum of the singular values), or
// 1 / -1 (max / min column sum of |a|), inf / -inf (rows), 2 / -2 (largest / smallest
// singular value).
Tensor matrix_norm(const Tensor& A, std::string_view ord = "fro", const Dims& dims = {-2, -1}, bool keepdim = false);
Tensor matrix_norm(const Tensor& A, double ord, const Dims& dims = {-2, -1}, bool keepdim = false);

// Whether this build has LAPACK (OpenBLAS's, EMBER_BLAS): the spectral functions below need
// it on every device (a CUDA input is decomposed on the host); without it they raise.
bool has_lapack();
// (eigenvalues ascending, eigenvectors as columns) of each symmetric matrix, reading only
// its lower ("L") or upper ("U") triangle.
std::pair<Tensor, Tensor> eigh(const Tensor& A, std::string_view UPLO = "L");
Tensor eigvalsh(const Tensor& A, std::string_view UPLO = "L");
// (U, S, Vh) with A = U diag(S) Vh, S descending; full_matrices: U [*, m, m] and Vh
// [*, n, n], else [*, m, k] and [*, k, n] with k = min(m, n).
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool full_matrices = true);
Tensor svdvals(const Tensor& A);
// (Q, R) with A = Q R, R upper triangular; mode "reduced" (Q [*, m, k], R [*, k, n]),
// "complete" (Q [*, m, m], R [*, m, n]) or "r" (R only, Q empty).
std::pair<Tensor, Tensor> qr(const Tensor& A, std::string_view mode = "reduced");
// The Moore-Penrose pseudo-inverse: singular values at most max(atol, rtol * the largest)
// count as 0 (rtol defaults to max(m, n) * eps when neither is given, else to 0);
// hermitian: A is symmetric (eigh of its lower triangle).
Tensor pinv(const Tensor& A, std::optional<double> atol = std::nullopt, std::optional<double> rtol = std::nullopt,
            bool hermitian = false);
// The number of singular values above that same tolerance (int64).
Tensor matrix_rank(const Tensor& A, std::optional<double> atol = std::nullopt,
                   std::optional<double> rtol = std::nullopt, bool hermitian = false);
// The 2-norm condition number: the largest singular value over the smallest.
Tensor cond(const Tensor& A);
// torch.linalg.cond(A, p): p = 2 / -2 from the singular values (any m x n); p = 1, -1, inf,
// -inf, "fro", "nuc" as norm(A, p) * norm(inv(A), p) of square matrices, inf for a singular
// one (PyTorch's linalg_inv_ex path). An empty matrix gives 0. Other p: "linalg.cond got an
// invalid norm type".
Tensor cond(const Tensor& A, double p);
Tensor cond(const Tensor& A, std::string_view p);

// torch.linalg.lstsq: the minimum-norm X minimising |A X - B| for A [*, m, n] and B [*, m, k]
// (or the vector case [*, m]; batch dims broadcast), through the pseudo-inverse (singular
// values at most rcond times the largest count as 0; rcond defaults to max(m, n) eps).
// driver "gelsy" (the CPU's default), "gelsd", "gelss" or "gels" (CUDA's default) picks
// which of the other fields PyTorch fills: residuals |A X - B|^2 per column when m > n, every
// matrix has full rank and the driver is not gelsy; rank unless gels; singular_values for
// gelsd and gelss. Unfilled fields are empty; only the solution has a gradient.
struct LstsqResult {
  Tensor solution, residuals, rank, singular_values;
};
LstsqResult lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond = std::nullopt,
                  std::optional<std::string_view> driver = std::nullopt);
// X with A X = B (left) or X A = B for triangular A [*, n, n] (only its upper or lower
// triangle is read; unitriangular: its diagonal taken as ones), by substitution; batch
// dims broadcast.
Tensor solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool left = true, bool unitriangular = false);
// The product of the matrices (the first may be a vector [n], the last a vector [m]), in
// the order of multiplications that costs the fewest flops, as torch.linalg.multi_dot.
Tensor multi_dot(const std::vector<Tensor>& tensors);
// e^A of each square matrix (scaling and squaring of a degree-13 Pade approximant).
Tensor matrix_exp(const Tensor& A);

// LU with partial pivoting of A [*, m, n], as LAPACK's getrf (Note [LU-based linalg]): LU
// holds L below the diagonal (its unit diagonal implied) and U on and above it; pivots
// (1-based): row i was swapped with row pivots[i]. pivot = false: no swaps (pivots 1, 2,
// ...). A zero on U's diagonal is PyTorch's error; lu_factor_ex reports the first one in info
// (per matrix, 1-based; 0: none) instead. pivots and info are int64, where PyTorch's are
// int32 (ember has no int32 dtype).
std::pair<Tensor, Tensor> lu_factor(const Tensor& A, bool pivot = true);
struct LuFactorEx {
  Tensor LU, pivots, info;
};
LuFactorEx lu_factor_ex(const Tensor& A, bool pivot = true);
// (P, L, U) with A = P L U: P [*, m, m], L [*, m, k] unit lower, U [*, k, n], k = min(m, n).
std::tuple<Tensor, Tensor, Tensor> lu(const Tensor& A, bool pivot = true);
// X from lu_factor's (LU, pivots) of a square A: A X = B, or X A = B (left = false); adjoint:
// with A^T for A.
Tensor lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B, bool left = true, bool adjoint = false);
// cholesky and inv that report instead of raising: (result, info), info int64 per matrix:
// 0, or the order of the first leading minor that is not positive-definite (cholesky) or the
// first zero pivot, 1-based (inv, whose result then holds inf / NaN).
std::pair<Tensor, Tensor> cholesky_ex(const Tensor& A, bool upper = false);
std::pair<Tensor, Tensor> inv_ex(const Tensor& A);
// x [*, n] -> [*, n, N]: the powers x^0 ... x^(N-1) of each element (N defaults to n).
Tensor vander(const Tensor& x, std::optional<int64_t> N = std::nullopt);
// The dot product of x and y along dim, with broadcasting.
Tensor vecdot(const Tensor& x, const Tensor& y, int64_t dim = -1);
// torch.linalg.norm: without ord, the 2-norm over dims (all of them when not given); with a
// number ord, vector_norm over one dim and matrix_norm over two (a 1-D or 2-D input when
// dims are not given); "fro" and "nuc": matrix norms.
Tensor norm(const Tensor& A, std::optional<double> ord = std::nullopt, std::optional<Dims> dims = std::nullopt,
            bool keepdim = false);
Tensor norm(const Tensor& A, std::string_view ord, std::optional<Dims> dims = std::nullopt, bool keepdim = false);
// The dims as a braced list or one integer, as libtorch's: norm(A, 2, {1}), norm(A, "fro", {0, 1}).
inline Tensor norm(const Tensor& A, std::optional<double> ord, const Dims& dims, bool keepdim = false) {
  return norm(A, ord, std::optional<Dims>(dims), keepdim);
}
inline Tensor norm(const Tensor& A, std::string_view ord, const Dims& dims, bool keepdim = false) {
  return norm(A, ord, std::optional<Dims>(dims), keepdim);
}
template <DimIndex I>
Tensor norm(const Tensor& A, std::optional<double> ord, I dim, bool keepdim = false) {
  return norm(A, ord, std::optional<Dims>(Dims{static_cast<int64_t>(dim)}), keepdim);
}
// torch.linalg.diagonal: the diagonal of the last two dims by default (a view), and
// torch.linalg.matmul (torch.matmul). Templates on exactly Tensor, so that inside namespace
// linalg an unqualified diagonal / matmul still means ember's (found by ADL, and preferred as
// a non-template; Note [Free spellings of methods]).
template <std::same_as<Tensor> T>
Tensor diagonal(const T& A, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1) {
  return A.diagonal(offset, dim1, dim2);
}
template <std::same_as<Tensor> T>
Tensor matmul(const T& a, const T& b) {
  return a.matmul(b);
}
// torch.linalg.householder_product: the first k columns of H_0 ... H_{k-1}, H_i = I - tau_i v_i
// v_i^T with v_i V's column i below the diagonal (1 on it, 0 above), V [*, m, k] (m >= k),
// tau [*, k]; composed of recorded ops (differentiable; any device).
Tensor householder_product(const Tensor& V, const Tensor& tau);
// solve that reports instead of raising: (X, info), info int64 per matrix of A: 0, or its
// first zero pivot (1-based), X then holding inf / NaN.
std::pair<Tensor, Tensor> solve_ex(const Tensor& A, const Tensor& B, bool left = true);
// torch.linalg.tensorinv: the inverse of A read as a matrix of its first `ind` dims by the
// rest (their products equal), shaped A's last dims followed by its first ind dims.
Tensor tensorinv(const Tensor& A, int64_t ind = 2);
// torch.linalg.tensorsolve: X with tensordot(A, X, X.dim()) = B (A's dims in `dims` moved to
// the end first); X has A's shape after B's dims.
Tensor tensorsolve(const Tensor& A, const Tensor& B, std::optional<Dims> dims = std::nullopt);

}  // namespace ember::linalg

namespace ember {

Tensor det(const Tensor& A);      // torch.det: linalg::det
std::pair<Tensor, Tensor> slogdet(const Tensor& A);  // torch.slogdet: linalg::slogdet
Tensor logdet(const Tensor& A);   // torch.logdet: log(det): NaN where det < 0, -inf where 0
Tensor inverse(const Tensor& A);  // torch.inverse: linalg::inv
// torch.cholesky_solve: X with A X = B for A = L L^T (or U^T U when upper), from L;
// torch.cholesky_inverse: A^-1 from L. Batch dims broadcast; gradients through L.
Tensor cholesky_solve(const Tensor& B, const Tensor& L, bool upper = false);
Tensor cholesky_inverse(const Tensor& L, bool upper = false);
// torch.svd, the older spelling: (U, S, V) with A = U diag(S) V^T (V, not Vh); some: the
// reduced factors; compute_uv = false: U [*, m, m] and V [*, n, n] of zeros, as PyTorch's.
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool some = true, bool compute_uv = true);
// torch.qr: linalg::qr, "reduced" when some, else "complete". A mode string is linalg::qr's:
// without the deleted overload, qr(A, "r") would convert "r" to true here.
std::pair<Tensor, Tensor> qr(const Tensor& A, bool some = true);
std::pair<Tensor, Tensor> qr(const Tensor& A, const char* mode) = delete;
Tensor pinverse(const Tensor& A, double rcond = 1e-15);  // torch.pinverse: linalg::pinv, rtol = rcond
Tensor matrix_exp(const Tensor& A);                      // torch.matrix_exp: linalg::matrix_exp
// torch.svd_lowrank: (U, S, V) of rank q by Halko et al.'s randomized range finder (niter
// power iterations, the random basis from ember's generator), A [*, m, n].
std::tuple<Tensor, Tensor, Tensor> svd_lowrank(const Tensor& A, int64_t q = 6, int64_t niter = 2);
// torch.pca_lowrank: svd_lowrank of A less its column means (center), q defaulting to
// min(6, m, n).
std::tuple<Tensor, Tensor, Tensor> pca_lowrank(const Tensor& A, std::optional<int64_t> q = std::nullopt,
                                               bool center = true, int64_t niter = 2);
// torch.lu_unpack: (P, L, U) with A = P L U from linalg::lu_factor's (LU, pivots) of an
// m x n A: P [*, m, m] in LU's dtype, L [*, m, k] unit lower, U [*, k, n]. unpack_data =
// false leaves L and U undefined, unpack_pivots = false leaves P undefined (PyTorch's empty
// results). Differentiable in LU (L and U are its triangles).
std::tuple<Tensor, Tensor, Tensor> lu_unpack(const Tensor& LU, const Tensor& pivots, bool unpack_data = true,
                                             bool unpack_pivots = true);

}  // namespace ember
