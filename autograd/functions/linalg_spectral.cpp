// core/linalg_ops.h's eigh, eigvalsh, svd, svdvals, qr, pinv, matrix_rank and cond: LAPACK
// (core/cpu/lapack.h) on the host for every device, with PyTorch's closed-form gradients
// written in tensor ops (Note [Spectral linalg]).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "autograd/function_node.h"
#include "autograd/functions/linalg_common.h"
#include "autograd/record.h"
#include "core/cpu/lapack.h"
#include "core/factories.h"
#include "core/linalg_ops.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/shape.h"

namespace ember::linalg {
namespace {

using autograd::record;
using autograd::tensor_list;
using detail::as_batch3;
using detail::batch_of;
using detail::check_square;
using detail::transposed;
using detail::with_matrix;

// Note [Spectral linalg]
// ~~~~~~~~~~~~~~~~~~~~~~
// eigh, svd and qr are LAPACK's syevd, gesdd and geqrf + orgqr (OpenBLAS's), PyTorch's CPU
// drivers, called matrix by matrix on the host. A CUDA input is copied to the host and its
// results back: one synchronising round trip per call (PyTorch's cuSOLVER and MAGMA calls
// read their status back too); a session with a GPU may put cuSOLVER behind the same seam.
// The signs of eigenvectors and singular vectors are LAPACK's, so another LAPACK (MKL's,
// under PyTorch) may flip columns; tests compare what does not depend on them (A rebuilt,
// |v|, projectors). Each call records one node with PyTorch's backward formulas, written in
// public ops so they differentiate again (Note [Higher-order gradients]):
// - eigh: gA = V (diag(gL) + skew(V^T gV) / E) V^T, E_ij = l_j - l_i, skew(X) = (X - X^T) / 2:
//   the symmetric gradient (only one triangle is read, but PyTorch's gradient, and this
//   one, is the symmetric matrix whose inner product with a symmetric dA is the change);
// - svd: gA = U (skew(U^T gU) S / E + S skew(V^T gV) / E + diag(gS)) Vh, E_jk = s_k^2 - s_j^2,
//   skew(X) = X - X^T, plus the parts of gU (m > k) or gV (n > k) outside U's or V's columns;
//   full matrices differentiate through their first k columns, as PyTorch's;
// - qr (reduced, or complete with m <= n): gA = Q (gR + tril(Q^T gQ - gQ^T Q + R gR^T -
//   gR R^T) R^-T) + (gQ - Q Q^T gQ) R^-T; for m < n, A = [X | Y] with X = Q U, Y = Q V: X's
//   formula with gQ + Y gV^T, and gY = Q gV;
// - pinv: the closed form at constant rank, gA = -P^T g P^T + (I - A P) g^T P P^T +
//   P^T P g^T (I - P A) (Golub and Pereyra), PyTorch's pinv_backward.
// Repeated eigenvalues or singular values (E = 0) make the vectors' gradients inf or NaN,
// as PyTorch's. svdvals and eigvalsh run the full decomposition when they record, so the
// vectors the gradient needs are outputs of the node and have a history under create_graph.

// A's matrices as the contiguous host batch LAPACK reads.
Tensor host_batch(const Tensor& A) {
  NoGradGuard no_grad;
  return as_batch3(A.detach()).cpu().contiguous();
}

// A LAPACK result [b, ...] back in A's batch shape and on A's device, unrecorded.
Tensor unbatched(const Tensor& t, const Tensor& A, const Dims& tail) {
  NoGradGuard no_grad;
  Dims shape = batch_of(A);
  for (const int64_t size : tail) shape.push_back(size);
  return t.reshape(shape).to(A.device()).detach();
}

std::string batch_note(const Dims& batch, int64_t matrix) {
  return batch.empty() ? std::string() : "(Batch element " + std::to_string(matrix) + "): ";
}

// PyTorch's checks of a batch of (not necessarily square) float32/float64 matrices.
void check_matrix(const Tensor& A, const char* op, const char* kernel) {
  EMBER_CHECK(A.dim() >= 2, op, ": The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(!is_reduced_float(A.dtype()), "\"", kernel, "\" not implemented for '", dtype_torch_name(A.dtype()), "'");
  EMBER_CHECK(is_floating(A.dtype()), op, ": Expected a floating point or complex tensor as input. Got ",
              dtype_torch_name(A.dtype()));
}

bool lower_triangle(std::string_view UPLO) {
  const char uplo = UPLO.size() == 1 ? static_cast<char>(std::toupper(static_cast<unsigned char>(UPLO[0]))) : '?';
  EMBER_CHECK(uplo == 'L' || uplo == 'U', "Expected UPLO argument to be 'L' or 'U', but got ", UPLO);
  return uplo == 'L';
}

TensorOptions options_of(const Tensor& t) { return TensorOptions(t.dtype()).device(t.device()); }

// (eigenvalues, eigenvectors when with_vectors), unrecorded.
std::pair<Tensor, Tensor> eigh_values(const Tensor& A, std::string_view UPLO, bool with_vectors) {
  EMBER_CHECK(A.dim() < 2 || A.dtype() == kFloat32 || A.dtype() == kFloat64,
              "\"linalg_eigh_cpu\" not implemented for '", dtype_torch_name(A.dtype()), "'");
  check_square(A, "linalg.eigh");
  const bool lower = lower_triangle(UPLO);
  const int64_t n = A.size(-1);
  const cpu::lapack::Eigh r = cpu::lapack::eigh(host_batch(A), lower, with_vectors);
  if (r.failure) {
    EMBER_CHECK(false, "linalg.eigh: ", batch_note(batch_of(A), r.failure->matrix),
                "The algorithm failed to converge because the input matrix is ill-conditioned or has too many "
                "repeated eigenvalues (error code: ",
                r.failure->info, ").");
  }
  return {unbatched(r.values, A, {n}), with_vectors ? unbatched(r.vectors, A, {n, n}) : Tensor()};
}

// (U, S, Vh), U and Vh only when with_vectors, unrecorded.
std::tuple<Tensor, Tensor, Tensor> svd_values(const Tensor& A, bool with_vectors, bool full) {
  check_matrix(A, "linalg.svd", "linalg_svd_cpu");
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  const cpu::lapack::Svd r = cpu::lapack::svd(host_batch(A), with_vectors, full);
  if (r.failure) {
    const std::string note = batch_note(batch_of(A), r.failure->matrix);
    EMBER_CHECK(r.failure->info != -4, "linalg.svd: ", note,
                "The algorithm failed to converge because the input matrix contained non-finite values.");
    EMBER_CHECK(false, "linalg.svd: ", note,
                "The algorithm failed to converge because the input matrix is ill-conditioned or has too many "
                "repeated singular values (error code: ",
                r.failure->info, ").");
  }
  if (!with_vectors) return {Tensor(), unbatched(r.S, A, {k}), Tensor()};
  return {unbatched(r.U, A, {m, full ? m : k}), unbatched(r.S, A, {k}), unbatched(r.Vh, A, {full ? n : k, n})};
}

Tensor skew(const Tensor& X) { return X - transposed(X); }

// The identity of size n on t's device and dtype.
Tensor identity_like(const Tensor& t, int64_t n) { return eye(n, options_of(t)); }

// svd's gradient (Note [Spectral linalg]) from its reduced factors; gU / gVh may be undefined.
Tensor svd_gradient(const Tensor& U, const Tensor& S, const Tensor& Vh, const Tensor& gU, const Tensor& gS,
                    const Tensor& gVh) {
  const int64_t m = U.size(-2), n = Vh.size(-1), k = S.size(-1);
  if (!gU.defined() && !gVh.defined()) return matmul(U * gS.unsqueeze(-2), Vh);
  const Tensor S2 = S * S;
  const Tensor gaps = S2.unsqueeze(-2) - S2.unsqueeze(-1) + identity_like(S, k);  // E, 1 on the diagonal
  Tensor inner;
  if (gU.defined()) inner = skew(matmul(transposed(U), gU)) * S.unsqueeze(-2);
  if (gVh.defined()) {
    const Tensor right = S.unsqueeze(-1) * skew(matmul(Vh, transposed(gVh)));
    inner = inner.defined() ? inner + right : right;
  }
  inner = inner / gaps;
  if (gS.defined()) inner = inner + diag_embed(gS);
  if (m > k && gU.defined()) {  // (I - U U^T) gU S^-1 Vh
    const Tensor gU_scaled = gU / S.unsqueeze(-2);
    return matmul(matmul(U, inner) + gU_scaled - matmul(U, matmul(transposed(U), gU_scaled)), Vh);
  }
  if (n > k && gVh.defined()) {  // U S^-1 gVh (I - V Vh)
    const Tensor gVh_scaled = gVh / S.unsqueeze(-1);
    return matmul(U, matmul(inner, Vh) + gVh_scaled - matmul(matmul(gVh_scaled, transposed(Vh)), Vh));
  }
  return matmul(matmul(U, inner), Vh);
}

// qr's gradient for m >= n (Note [Spectral linalg]): Q gR + (Q tril(...) + gQ - Q Q^T gQ) R^-T,
// the last product a triangular solve.
Tensor qr_gradient_tall(const Tensor& Q, const Tensor& R, const Tensor& gQ, const Tensor& gR) {
  const Tensor qdq = matmul(transposed(Q), gQ);
  const Tensor rdr = matmul(R, transposed(gR));
  const Tensor lower = (skew(qdq) + skew(rdr)).tril();
  const Tensor times_r_inverse_t = matmul(Q, lower - qdq) + gQ;
  return matmul(Q, gR) + solve_triangular(transposed(R), times_r_inverse_t, /*upper=*/false, /*left=*/false);
}

// The tolerance below which singular values count as 0 (pinv, matrix_rank): max(atol, rtol
// times the largest), PyTorch's defaults (rtol max(m, n) eps unless a positive atol is given).
Tensor tolerance(const Tensor& largest, const Tensor& A, std::optional<double> atol, std::optional<double> rtol) {
  const double eps = A.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                           : static_cast<double>(std::numeric_limits<float>::epsilon());
  const double absolute = atol.value_or(0.0);
  const double relative =
      rtol ? *rtol : (atol && *atol > 0 ? 0.0 : eps * static_cast<double>(std::max(A.size(-1), A.size(-2))));
  return clamp_min(largest * relative, absolute);
}

}  // namespace

bool has_lapack() { return cpu::lapack::available(); }

std::pair<Tensor, Tensor> eigh(const Tensor& A, std::string_view UPLO) {
  auto [L, V] = eigh_values(A, UPLO, true);
  if (autograd::will_record(A)) {
    record("LinalgEighBackward", {&A}, {&L, &V}, {L, V}, [](const tensor_list& g, const tensor_list& s, const auto&) {
      const Tensor &L = s[0], &V = s[1];
      Tensor inner;
      if (g[1].defined()) {
        const Tensor gaps = L.unsqueeze(-2) - L.unsqueeze(-1) + identity_like(L, L.size(-1));
        inner = skew(matmul(transposed(V), g[1])) * 0.5 / gaps;
        if (g[0].defined()) inner = inner + diag_embed(g[0]);
      } else {
        inner = diag_embed(g[0]);
      }
      return tensor_list{matmul(matmul(V, inner), transposed(V))};
    })->set_differentiable_backward();
  } else {
    autograd::note_untracked(L, {&A});
    autograd::note_untracked(V, {&A});
  }
  return {L, V};
}

Tensor eigvalsh(const Tensor& A, std::string_view UPLO) {
  if (autograd::will_record(A)) return eigh(A, UPLO).first;
  Tensor L = eigh_values(A, UPLO, false).first;
  autograd::note_untracked(L, {&A});
  return L;
}

std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool full_matrices) {
  auto [U, S, Vh] = svd_values(A, true, full_matrices);
  if (autograd::will_record(A)) {
    record("LinalgSvdBackward", {&A}, {&U, &S, &Vh}, {U, S, Vh},
           [full_matrices](const tensor_list& g, const tensor_list& s, const auto&) {
             const int64_t k = s[1].size(-1);
             // full matrices: through their first k columns (U) and rows (Vh), as PyTorch's
             const auto first_k = [&](const Tensor& t, int64_t dim) {
               return full_matrices && t.defined() ? t.narrow(dim, 0, k) : t;
             };
             return tensor_list{
                 svd_gradient(first_k(s[0], -1), s[1], first_k(s[2], -2), first_k(g[0], -1), g[1], first_k(g[2], -2))};
           })
        ->set_differentiable_backward();
  } else {
    for (const Tensor* out : {&U, &S, &Vh}) autograd::note_untracked(*out, {&A});
  }
  return {U, S, Vh};
}

Tensor svdvals(const Tensor& A) {
  if (autograd::will_record(A)) return std::get<1>(linalg::svd(A, false));
  Tensor S = std::get<1>(svd_values(A, false, false));
  autograd::note_untracked(S, {&A});
  return S;
}

std::pair<Tensor, Tensor> qr(const Tensor& A, std::string_view mode) {
  EMBER_CHECK(mode == "reduced" || mode == "complete" || mode == "r", "qr received unrecognized mode '", mode,
              "' but expected one of 'reduced' (default), 'r', or 'complete'");
  check_matrix(A, "linalg.qr", "geqrf_cpu");
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  const bool complete = mode == "complete", with_q = mode != "r";
  const cpu::lapack::Qr r = cpu::lapack::qr(host_batch(A), complete, with_q);
  Tensor Q = with_q ? unbatched(r.Q, A, {m, complete ? m : k}) : empty({0}, options_of(A));
  Tensor R = unbatched(r.R, A, {complete ? m : k, n});
  if (autograd::will_record(A)) {
    record("LinalgQrBackward", {&A}, {&Q, &R}, {Q, R},
           [with_q, complete, m, n](const tensor_list& g, const tensor_list& s, const auto&) {
             EMBER_CHECK(with_q,
                         "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                         "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.");
             EMBER_CHECK(!complete || m <= n,
                         "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.");
             const Tensor &Q = s[0], &R = s[1];
             const Tensor gQ = g[0].defined() ? g[0] : zeros_like(Q);
             const Tensor gR = g[1].defined() ? g[1] : zeros_like(R);
             if (m >= n) return tensor_list{qr_gradient_tall(Q, R, gQ, gR)};
             // A = [X | Y], R = [U | V]: X = Q U, Y = Q V
             const Tensor V = R.narrow(-1, m, n - m), gV = gR.narrow(-1, m, n - m);
             const Tensor gX = qr_gradient_tall(Q, R.narrow(-1, 0, m), gQ + matmul(matmul(Q, V), transposed(gV)),
                                                gR.narrow(-1, 0, m));
             return tensor_list{cat({gX, matmul(Q, gV)}, -1)};
           })
        ->set_differentiable_backward();
  } else {
    autograd::note_untracked(Q, {&A});
    autograd::note_untracked(R, {&A});
  }
  return {Q, R};
}

namespace {

// The pseudo-inverse P of A (recorded, Note [Spectral linalg]) with the singular values (or
// |eigenvalues|) it was made from and the tolerance they were cut at, both unrecorded.
struct PseudoInverse {
  Tensor P, values, tol;
};

PseudoInverse pseudo_inverse(const Tensor& A, std::optional<double> atol, std::optional<double> rtol, bool hermitian) {
  const int64_t m = A.size(-2), n = A.size(-1);
  PseudoInverse out;
  {
    NoGradGuard no_grad;
    const Tensor a = A.detach();
    if (a.numel() == 0) {
      out.P = zeros(with_matrix(batch_of(A), n, m), options_of(A));
      Dims values_shape = batch_of(A), tol_shape = batch_of(A);
      values_shape.push_back(std::min(m, n));
      tol_shape.push_back(1);
      out.values = empty(values_shape, options_of(A));
      out.tol = zeros(tol_shape, options_of(A));
    } else if (hermitian) {
      const auto [L, V] = eigh(a);
      out.values = L.abs();
      out.tol = tolerance(out.values.amax(Dims{-1}, true), a, atol, rtol);
      const Tensor inverse = where(out.values > out.tol, L.reciprocal(), 0.0);
      out.P = matmul(V * inverse.unsqueeze(-2), transposed(V));
    } else {
      const auto [U, S, Vh] = linalg::svd(a, false);
      out.values = S;
      out.tol = tolerance(S.narrow(-1, 0, 1), a, atol, rtol);
      const Tensor inverse = where(S > out.tol, S.reciprocal(), 0.0);
      out.P = matmul(transposed(Vh) * inverse.unsqueeze(-2), transposed(U));
    }
    out.P = out.P.detach();  // not a view made under no_grad
  }
  if (autograd::will_record_into(out.P, A)) {
    record("LinalgPinvBackward", {&A}, {&out.P}, {A, out.P},
           [](const tensor_list& g, const tensor_list& s, const auto&) {
             const Tensor &A = s[0], &P = s[1];
             const Tensor Pt = transposed(P), gt = transposed(g[0]);
             const Tensor left = matmul(gt, matmul(P, Pt));   // g^T P P^T, then (I - A P) times it
             const Tensor right = matmul(matmul(Pt, P), gt);  // P^T P g^T, then times (I - P A)
             return tensor_list{neg(matmul(matmul(Pt, g[0]), Pt)) + (left - matmul(A, matmul(P, left))) +
                                (right - matmul(matmul(right, P), A))};
           })
        ->set_differentiable_backward();
  }
  return out;
}

// The number of values above tol along the last dim (int64; 0 for none).
Tensor count_above(const Tensor& values, const Tensor& tol) {
  if (values.size(-1) == 0)
    return zeros(Dims(values.sizes().data(), values.sizes().size() - 1), TensorOptions(kInt64).device(values.device()));
  return (values > tol).sum(Dims{-1}).to(kInt64);
}

}  // namespace

Tensor pinv(const Tensor& A, std::optional<double> atol, std::optional<double> rtol, bool hermitian) {
  EMBER_CHECK(A.dim() >= 2 && (A.dtype() == kFloat32 || A.dtype() == kFloat64), "linalg.pinv(",
              dtype_torch_name(A.dtype()), "{", A.sizes(),
              "}): expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types");
  return pseudo_inverse(A, atol, rtol, hermitian).P;
}

LstsqResult lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond,
                  std::optional<std::string_view> driver) {
  EMBER_CHECK(A.dim() >= 2, "torch.linalg.lstsq: input must have at least 2 dimensions.");
  EMBER_CHECK(B.dim() >= 1, "torch.linalg.lstsq: other must have at least 1 dimension.");
  EMBER_CHECK(A.dtype() == B.dtype(), "torch.linalg.lstsq: Expected input and other to have the same dtype, but got ",
              "input's dtype ", dtype_torch_name(A.dtype()), " and other's dtype ", dtype_torch_name(B.dtype()));
  check_matrix(A, "torch.linalg.lstsq", "linalg_lstsq_cpu");
  native::check_same_device(A, {&B}, "torch.linalg.lstsq");
  EMBER_CHECK(A.dim() >= B.dim() && A.dim() - B.dim() <= 1,
              "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - "
              "other.dim()) <= 1");
  const std::string_view name = driver.value_or(A.device().is_cuda() ? "gels" : "gelsy");
  EMBER_CHECK(name == "gels" || name == "gelsy" || name == "gelsd" || name == "gelss",
              "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)");
  const bool vector = B.dim() == A.dim() - 1;
  const int64_t m = A.size(-2), n = A.size(-1);
  EMBER_CHECK(B.size(vector ? -1 : -2) == m, "torch.linalg.lstsq: input.size(-2) should match other.size(",
              vector ? -1 : -2, ")");
  const Tensor B_matrix = vector ? B.unsqueeze(-1) : B;
  const int64_t k = B_matrix.size(-1);
  const Dims batch = broadcast_shapes(batch_of(A), batch_of(B_matrix));
  const Tensor A_batch = A.expand(with_matrix(batch, m, n)), B_batch = B_matrix.expand(with_matrix(batch, m, k));
  // Of A itself, so rank and singular_values have A's batch shape, as PyTorch's; the product
  // with B broadcasts.
  const PseudoInverse inverse = pseudo_inverse(A, std::nullopt, rcond, false);
  LstsqResult out;
  const Tensor X = matmul(inverse.P, B_batch);
  out.solution = vector ? X.squeeze(-1) : X;
  NoGradGuard no_grad;
  const Tensor rank = count_above(inverse.values, inverse.tol);
  // residuals only where PyTorch's driver gives them: m > n, not gelsy, every matrix of full
  // rank (gels assumes it; the others' ranks are read back here, once)
  const bool residuals = m > n && name != "gelsy" &&
                         (name == "gels" || shape_numel(batch) == 0 || rank.eq(std::min(m, n)).all().item<bool>());
  out.residuals =
      residuals ? (matmul(A_batch, X.detach()) - B_batch).square().sum(Dims{-2}).detach() : empty({0}, options_of(A));
  out.rank = name != "gels" ? rank : empty({0}, TensorOptions(kInt64).device(A.device()));
  out.singular_values = name == "gelsd" || name == "gelss" ? inverse.values : empty({0}, options_of(A));
  return out;
}

Tensor matrix_rank(const Tensor& A, std::optional<double> atol, std::optional<double> rtol, bool hermitian) {
  EMBER_CHECK(A.dim() >= 2, "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.");
  NoGradGuard no_grad;
  const Tensor a = A.detach();
  const Tensor values = hermitian ? eigvalsh(a).abs() : svdvals(a);
  if (values.size(-1) == 0) return count_above(values, Tensor());
  return count_above(values, tolerance(values.amax(Dims{-1}, true), a, atol, rtol));
}

Tensor cond(const Tensor& A) { return cond(A, 2.0); }

namespace {

// PyTorch's _linalg_cond_helper: norm(A) * norm(A^-1), the inverse of a singular matrix
// taken as all inf, and 0 * inf (a zero matrix) as inf.
template <typename Ord>
Tensor cond_by_inverse(const Tensor& A, Ord p) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  auto [inverse, info] = inv_ex(A);
  inverse = inverse.masked_fill(info.gt(Scalar(0)).unsqueeze(-1).unsqueeze(-1), Scalar(inf));
  return (matrix_norm(A, p) * matrix_norm(inverse, p)).nan_to_num(inf, inf, -inf);
}

void check_cond_square(const Tensor& A, const std::string& name) {
  EMBER_CHECK(A.size(-1) == A.size(-2), "linalg.cond(ord=", name, "): A must be batches of square matrices, but they ",
              "are ", A.size(-2), " by ", A.size(-1), " matrices");
}

}  // namespace

Tensor cond(const Tensor& A, double p) {
  EMBER_CHECK(A.dim() >= 2, "linalg.cond: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(std::abs(p) == 2 || std::abs(p) == 1 || std::isinf(p), "linalg.cond got an invalid norm type: ", p);
  if (A.numel() == 0) return zeros(batch_of(A), options_of(A));  // NumPy leaves it undefined; PyTorch's 0
  if (std::abs(p) == 2) {
    const Tensor S = svdvals(A);
    const Tensor largest = S.select(-1, 0), smallest = S.select(-1, S.size(-1) - 1);
    return p > 0 ? largest / smallest : smallest / largest;
  }
  check_cond_square(A, std::isinf(p) ? (p > 0 ? "inf" : "-inf") : std::to_string(static_cast<int>(p)));
  return cond_by_inverse(A, p);
}

Tensor cond(const Tensor& A, std::string_view p) {
  EMBER_CHECK(A.dim() >= 2, "linalg.cond: The input tensor A must have at least 2 dimensions.");
  check_cond_square(A, std::string(p));
  EMBER_CHECK(p == "fro" || p == "nuc", "linalg.cond got an invalid norm type: ", p);
  if (A.numel() == 0) return zeros(batch_of(A), options_of(A));
  if (p == "nuc") {  // PyTorch's: the singular values' sum times their reciprocals' sum
    const Tensor S = svdvals(A);
    return S.sum(Dims{-1}) * S.reciprocal().sum(Dims{-1});
  }
  return cond_by_inverse(A, p);
}

}  // namespace ember::linalg
