// core/linalg_ops.h's torch-namespace spellings of linalg: torch.svd (V, not Vh), torch.qr,
// torch.pinverse, torch.matrix_exp, torch.slogdet, torch.chain_matmul (core/ops.h), the Tensor
// methods, and the randomized torch.svd_lowrank / pca_lowrank (Halko, Martinsson and Tropp's
// range finder), composed of linalg's functions.
#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "autograd/functions/linalg_common.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/linalg_ops.h"
#include "core/ops.h"
#include "core/shape.h"

namespace ember {
namespace {

using linalg::detail::transposed;

// An orthonormal basis Q [*, m, q] of A's range, approximately: Q of A R for R [n, q] drawn
// from N(0, 1), refined by niter power iterations (each re-orthonormalised), as
// torch._lowrank.get_approximate_basis.
Tensor approximate_basis(const Tensor& A, int64_t q, int64_t niter) {
  const Tensor R = randn({A.size(-1), q}, TensorOptions(A.dtype()).device(A.device()));
  Tensor Q = linalg::qr(matmul(A, R)).first;
  for (int64_t i = 0; i < niter; ++i) {
    Q = linalg::qr(matmul(transposed(A), Q)).first;
    Q = linalg::qr(matmul(A, Q)).first;
  }
  return Q;
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool some, bool compute_uv) {
  EMBER_CHECK(A.dim() >= 2, "linalg.svd: input should have at least 2 dimensions, but has ", A.dim(),
              " dimensions instead");
  if (!compute_uv) {
    const Tensor S = linalg::svdvals(A);
    Dims batch(A.sizes().data(), A.sizes().size() - 2);
    Dims u_shape = batch, v_shape = batch;
    u_shape.push_back(A.size(-2));
    u_shape.push_back(A.size(-2));
    v_shape.push_back(A.size(-1));
    v_shape.push_back(A.size(-1));
    const TensorOptions options = TensorOptions(A.dtype()).device(A.device());
    return {zeros(u_shape, options), S, zeros(v_shape, options)};
  }
  const auto [U, S, Vh] = linalg::svd(A, /*full_matrices=*/!some);
  return {U, S, transposed(Vh)};
}

std::pair<Tensor, Tensor> qr(const Tensor& A, bool some) { return linalg::qr(A, some ? "reduced" : "complete"); }

Tensor pinverse(const Tensor& A, double rcond) { return linalg::pinv(A, std::nullopt, rcond); }
std::pair<Tensor, Tensor> slogdet(const Tensor& A) { return linalg::slogdet(A); }
Tensor Tensor::matrix_power(int64_t n) const { return linalg::matrix_power(*this, n); }
std::pair<Tensor, Tensor> Tensor::slogdet() const { return linalg::slogdet(*this); }
Tensor Tensor::pinverse(double rcond) const { return ember::pinverse(*this, rcond); }
Tensor Tensor::matrix_exp() const { return linalg::matrix_exp(*this); }

Tensor matrix_exp(const Tensor& A) { return linalg::matrix_exp(A); }

Tensor chain_matmul(const std::vector<Tensor>& matrices) {
  EMBER_CHECK(!matrices.empty(), "chain_matmul(): Expected one or more matrices");
  for (size_t i = 0; i < matrices.size(); ++i)
    EMBER_CHECK(matrices[i].dim() == 2, "chain_matmul(): Tensor dimension is ", matrices[i].dim(),
                ", expected 2 instead.");
  // one matrix: a contiguous copy, in autocast's dtype as the products would be
  if (matrices.size() == 1)
    return autocast::cast(autocast::CastPolicy::LowerPrecision, matrices[0]).clone(MemoryFormat::Contiguous);
  return linalg::multi_dot(matrices);
}

// torch._lowrank.svd_lowrank: the basis of A's range (or of A^T's, for a wide A or one with
// more than q columns), A projected onto it, and the small projection's exact SVD; results
// have min(m, n, q) columns.
std::tuple<Tensor, Tensor, Tensor> svd_lowrank(const Tensor& A, int64_t q, int64_t niter) {
  EMBER_CHECK(A.dim() >= 2, "svd_lowrank: expected a tensor of at least 2 dimensions, but got ", A.dim());
  // Unlike pca_lowrank, PyTorch's svd_lowrank takes a q above min(m, n): the reduced QR and
  // SVD then give min(m, n, q) columns (so its default q = 6 serves small matrices too).
  EMBER_CHECK(q >= 0, "svd_lowrank: q(=", q, ") must be non-negative integer");
  EMBER_CHECK(niter >= 0, "svd_lowrank: niter(=", niter, ") must be non-negative integer");
  const int64_t m = A.size(-2), n = A.size(-1);
  if (m < n || n > q) {
    const Tensor Q = approximate_basis(transposed(A), q, niter);  // [*, n, q]
    const auto [U, S, Vh] = linalg::svd(matmul(A, Q), false);     // A Q = U S Vh
    return {U, S, matmul(Q, transposed(Vh))};
  }
  const Tensor Q = approximate_basis(A, q, niter);                       // [*, m, q]
  const auto [U, S, Vh] = linalg::svd(matmul(transposed(Q), A), false);  // Q^T A = U S Vh
  return {matmul(Q, U), S, transposed(Vh)};
}

std::tuple<Tensor, Tensor, Tensor> pca_lowrank(const Tensor& A, std::optional<int64_t> q, bool center, int64_t niter) {
  EMBER_CHECK(A.dim() >= 2, "pca_lowrank: expected a tensor of at least 2 dimensions, but got ", A.dim());
  const int64_t m = A.size(-2), n = A.size(-1), k = q.value_or(std::min<int64_t>({6, m, n}));
  EMBER_CHECK(k >= 0 && k <= std::min(m, n), "q(=", k,
              ") must be non-negative integer and not greater than min(m, n)=", std::min(m, n));
  EMBER_CHECK(niter >= 0, "niter(=", niter, ") must be non-negative integer");
  return svd_lowrank(center ? A - A.mean(Dims{-2}, /*keepdim=*/true) : A, k, niter);
}

}  // namespace ember
