// core/linalg_ops.h's lu_factor, lu_factor_ex, lu and lu_solve (the factorization of Note
// [LU-based linalg], exposed as PyTorch's: LAPACK's getrf on the CPU, tensor ops elsewhere),
// torch.lu_unpack, and torch.cholesky_solve / cholesky_inverse (triangular solves), with
// PyTorch's gradients.
#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/functions/linalg_common.h"
#include "autograd/record.h"
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
using detail::transposed;
using detail::with_matrix;

void check_lu_input(const Tensor& A, const char* op) {
  EMBER_CHECK(A.dim() >= 2, op, ": Expected tensor with 2 or more dimensions. Got size: ", A.sizes(), " instead");
  EMBER_CHECK(A.dtype() == kFloat32 || A.dtype() == kFloat64, "\"lu_cpu\" not implemented for '",
              dtype_torch_name(A.dtype()), "'");
}

// P (PyTorch's, A = P L U) of perm [*, m]: P[r, i] = 1 where r = perm[i], in `like`'s dtype.
Tensor permutation_matrix(const Tensor& perm, const Tensor& like) {
  const int64_t m = perm.size(-1);
  const Tensor rows = arange(m, TensorOptions(kInt64).device(perm.device())).unsqueeze(-1);
  return rows.eq(perm.unsqueeze(-2)).to(like.dtype());
}

// PyTorch's linalg_lu_backward: gA from the gradients of L [*, m, k] and U [*, k, n] (either
// may be undefined), only their free entries (L's strict lower part, U's upper part) counted.
// Tall or square (m >= n): P [gL1 + L1^-T triu(gU U^T - L^T gL) ; gL2] U^-T; wide (m < n):
// P L^-T [tril((L^T gL - gU U^T) U1^-T, -1) + gU1 | gU2].
Tensor lu_gradient(const Tensor& P, const Tensor& L, const Tensor& U, Tensor gL, Tensor gU) {
  const int64_t m = L.size(-2), n = U.size(-1), k = U.size(-2);
  if (!gL.defined() && !gU.defined()) return Tensor();
  if (gL.defined()) gL = gL.tril(-1);
  if (gU.defined()) gU = gU.triu();
  Tensor g;
  const auto add = [&g](const Tensor& term) { g = g.defined() ? g + term : term; };
  if (m >= n) {
    if (gU.defined()) add(matmul(gU, transposed(U)));
    if (gL.defined()) add(neg(matmul(transposed(L), gL)));
    const Tensor L1 = L.narrow(-2, 0, k);
    g = solve_triangular(transposed(L1), g.triu(), /*upper=*/true, /*left=*/true, /*unitriangular=*/true);
    if (gL.defined()) g = cat({g + gL.narrow(-2, 0, k), gL.narrow(-2, k, m - k)}, -2);
    g = solve_triangular(transposed(U), g, /*upper=*/false, /*left=*/false);
    if (!gL.defined() && m > k) g = cat({g, zeros_like(L.narrow(-2, k, m - k))}, -2);
  } else {
    if (gL.defined()) add(matmul(transposed(L), gL));
    if (gU.defined()) add(neg(matmul(gU, transposed(U))));
    const Tensor U1 = U.narrow(-1, 0, k);
    g = solve_triangular(transposed(U1), g.tril(-1), /*upper=*/false, /*left=*/false);
    if (gU.defined()) g = cat({g + gU.narrow(-1, 0, k), gU.narrow(-1, k, n - k)}, -1);
    g = solve_triangular(transposed(L), g, /*upper=*/true, /*left=*/true, /*unitriangular=*/true);
    if (!gU.defined()) g = cat({g, zeros_like(U.narrow(-1, k, n - k))}, -1);
  }
  return matmul(P, g);
}

// The m x k matrix with ones on its diagonal.
Tensor identity(int64_t m, int64_t k, const Tensor& like) {
  return eye(std::max(m, k), TensorOptions(like.dtype()).device(like.device())).narrow(0, 0, m).narrow(1, 0, k);
}

// L (unit lower, [*, m, k]) and U ([*, k, n]) of a packed LU [*, m, n].
std::pair<Tensor, Tensor> unpack(const Tensor& LU) {
  const int64_t m = LU.size(-2), n = LU.size(-1), k = std::min(m, n);
  const Tensor L = LU.narrow(-1, 0, k).tril(-1) + identity(m, k, LU);
  return {L, LU.narrow(-2, 0, k).triu()};
}

// perm [*, n] (row i of P^T B is row perm[i] of B) from LAPACK's 1-based sequential swaps
// pivots [*, k]: the swaps replayed on 0..n-1 as tensor ops (k steps, nothing read back).
Tensor permutation_of(const Tensor& pivots, int64_t n) {
  NoGradGuard no_grad;
  const Dims batch(pivots.sizes().data(), pivots.sizes().size() - 1);
  const int64_t b = shape_numel(batch), k = pivots.size(-1);
  const TensorOptions index_options = TensorOptions(kInt64).device(pivots.device());
  Tensor perm = arange(n, index_options).expand({b, n}).contiguous();
  const Tensor swaps = pivots.reshape({b, k}).to(kInt64) - 1;
  for (int64_t i = 0; i < k; ++i) {
    const Tensor at = swaps.narrow(1, i, 1);  // [b, 1]
    const Tensor perm_i = perm.select(1, i).clone();
    perm.select(1, i).copy_(perm.gather(1, at).squeeze(1));
    perm.scatter_(1, at, perm_i.unsqueeze(1));
  }
  Dims shape = batch;
  shape.push_back(n);
  return perm.reshape(shape);
}

}  // namespace

LuFactorEx lu_factor_ex(const Tensor& A, bool pivot) {
  check_lu_input(A, "torch.linalg.lu_factor_ex");
  const Dims batch = batch_of(A);
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  const TensorOptions index_options = TensorOptions(kInt64).device(A.device());
  Dims pivots_shape = batch;
  pivots_shape.push_back(k);
  LuFactorEx out;
  Tensor perm;
  {
    NoGradGuard no_grad;
    const Tensor A3 = as_batch3(A.detach());
    if (A3.numel() == 0) {
      out.LU = A.detach().clone();
      out.pivots = (arange(k, index_options) + 1).expand(pivots_shape).to(kInt64);
      out.info = zeros(batch, TensorOptions(kInt64).device(A.device()));
      perm = arange(m, index_options).expand(with_matrix(batch, 1, m)).squeeze(-2);
    } else {
      const detail::Lu f = detail::factor_lu(A3, pivot);
      out.LU = f.lu.reshape(A.sizes());
      out.pivots = (f.pivots + 1).to(kInt64).reshape(pivots_shape);
      // info: the first zero on U's diagonal, 1-based (LAPACK's getrf)
      out.info = detail::first_flag_info(diagonal(f.lu, 0, -2, -1).eq(0.0), batch);
      perm = f.perm.reshape(with_matrix(batch, 1, m)).squeeze(-2);
    }
    out.LU = out.LU.detach();  // not a view made under no_grad
  }
  if (autograd::will_record_into(out.LU, A)) {
    record("LinalgLuFactorExBackward", {&A}, {&out.LU}, {out.LU},
           [perm](const tensor_list& g, const tensor_list& s, const auto&) {
             const auto [L, U] = unpack(s[0]);
             const int64_t k = U.size(-2);
             return tensor_list{
                 lu_gradient(permutation_matrix(perm, L), L, U, g[0].narrow(-1, 0, k), g[0].narrow(-2, 0, k))};
           })
        ->set_differentiable_backward();
  }
  return out;
}

std::pair<Tensor, Tensor> lu_factor(const Tensor& A, bool pivot) {
  check_lu_input(A, "torch.linalg.lu_factor");
  LuFactorEx f = lu_factor_ex(A, pivot);
  // PyTorch's error names the first matrix with a zero on U's diagonal, read back here
  const std::vector<int64_t> info = f.info.reshape({-1}).cpu().to_vector<int64_t>();
  const auto first = std::find_if(info.begin(), info.end(), [](int64_t v) { return v != 0; });
  if (first != info.end()) {
    const Dims batch = batch_of(A);
    EMBER_CHECK(false, "torch.linalg.lu_factor: ",
                batch.empty() ? std::string() : "(Batch element " + std::to_string(first - info.begin()) + "): ", "U[",
                *first, ",", *first,
                "] is zero and using it on lu_solve would result in a division by zero. If you still want to perform "
                "the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)");
  }
  return {f.LU, f.pivots};
}

std::tuple<Tensor, Tensor, Tensor> lu(const Tensor& A, bool pivot) {
  check_lu_input(A, "linalg.lu");
  const Dims batch = batch_of(A);
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  Tensor P, L, U;
  {
    NoGradGuard no_grad;
    const Tensor A3 = as_batch3(A.detach());
    Tensor perm;
    if (A3.numel() == 0) {
      perm = arange(m, TensorOptions(kInt64).device(A.device())).expand(with_matrix(batch, 1, m)).squeeze(-2);
      L = zeros(with_matrix(batch, m, k), TensorOptions(A.dtype()).device(A.device())) + identity(m, k, A);
      U = zeros(with_matrix(batch, k, n), TensorOptions(A.dtype()).device(A.device()));
    } else {
      const detail::Lu f = detail::factor_lu(A3, pivot);
      perm = f.perm.reshape(with_matrix(batch, 1, m)).squeeze(-2);
      std::tie(L, U) = unpack(f.lu.reshape(A.sizes()));
    }
    P = permutation_matrix(perm, A).detach();
    L = L.contiguous().detach();
    U = U.contiguous().detach();
  }
  if (autograd::will_record(A)) {
    record("LinalgLuBackward", {&A}, {&L, &U}, {P, L, U}, [](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{lu_gradient(s[0], s[1], s[2], g[0], g[1])};
    })->set_differentiable_backward();
  } else {
    autograd::note_untracked(P, {&A});
    autograd::note_untracked(L, {&A});
    autograd::note_untracked(U, {&A});
  }
  // without pivoting P is PyTorch's empty tensor (its linalg_lu meta: set_output(0, {0}))
  if (!pivot) P = empty({0}, TensorOptions(A.dtype()).device(A.device()));
  return {P, L, U};
}

// Composed of solve_triangular on LU's two triangles and a permutation of rows, so its
// gradients (in LU and B) are theirs.
Tensor lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B, bool left, bool adjoint) {
  EMBER_CHECK(LU.dim() >= 2, "torch.linalg.lu_solve: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(LU.size(-1) == LU.size(-2), "torch.linalg.lu_solve: A must be batches of square matrices, but they are ",
              LU.size(-2), " by ", LU.size(-1), " matrices");
  EMBER_CHECK(pivots.dtype() == kInt64, "linalg.lu_solve: pivots should be a Tensor of scalar type torch.int64 (",
              "lu_factor's; PyTorch's are int32, a dtype ember does not have)");
  EMBER_CHECK(B.dim() >= 2, "linalg.lu_solve: The input tensor B must have at least 2 dimensions.");
  const int64_t n = LU.size(-1);
  EMBER_CHECK(LU.dtype() == B.dtype(),
              "linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type ",
              dtype_torch_name(LU.dtype()), " and B of type ", dtype_torch_name(B.dtype()), " instead");
  EMBER_CHECK(pivots.dim() >= 1 && pivots.size(-1) == n,
              "linalg.lu_solve: Number of pivots per batch should be same as the dimension of the matrix");
  EMBER_CHECK(pivots.sizes() == Dims(LU.sizes().data(), LU.sizes().size() - 1),
              "linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots with shape ",
              pivots.sizes(), " instead");
  native::check_same_device(LU, {&pivots, &B}, "linalg.lu_solve");
  EMBER_CHECK((left ? B.size(-2) : B.size(-1)) == n,
              "linalg.lu_solve: Incompatible shapes of A and B for the equation ", left ? "AX = B" : "XA = B", " (", n,
              "x", n, " and ", B.size(-2), "x", B.size(-1), ")");
  if (!left) return transposed(lu_solve(LU, pivots, transposed(B), true, !adjoint));
  const Dims batch = broadcast_shapes(batch_of(LU), batch_of(B));
  const int64_t k = B.size(-1);
  const Tensor B_full = B.expand(with_matrix(batch, n, k));
  const Tensor perm = permutation_of(pivots, n).unsqueeze(-1).expand(with_matrix(batch, n, k));
  if (!adjoint) {  // A = P L U: X = U^-1 L^-1 P^T B
    const Tensor Y = solve_triangular(LU, B_full.gather(-2, perm), /*upper=*/false, true, /*unitriangular=*/true);
    return solve_triangular(LU, Y, /*upper=*/true);
  }
  // A^T X = B: X = P L^-T U^-T B
  const Tensor Y = solve_triangular(transposed(LU), B_full, /*upper=*/false);
  const Tensor Z = solve_triangular(transposed(LU), Y, /*upper=*/true, true, /*unitriangular=*/true);
  return zeros_like(Z).scatter(-2, perm, Z);
}

}  // namespace ember::linalg

namespace ember {

// L and U are LU's triangles (recorded, so differentiable in LU); P replays the swaps.
std::tuple<Tensor, Tensor, Tensor> lu_unpack(const Tensor& LU, const Tensor& pivots, bool unpack_data,
                                             bool unpack_pivots) {
  EMBER_CHECK(LU.defined() && LU.dim() >= 2, "torch.lu_unpack: Expected LU_data to have 2 or more dimensions, got ",
              LU.defined() ? LU.dim() : 0);
  EMBER_CHECK(pivots.defined() && pivots.dtype() == kInt64,
              "torch.lu_unpack: LU_pivots is expected to be a tensor of torch.int64 dtype (linalg.lu_factor's; "
              "PyTorch's are int32, a dtype ember does not have), but got ",
              pivots.defined() ? dtype_torch_name(pivots.dtype()) : "undefined");
  const int64_t m = LU.size(-2), k = std::min(m, LU.size(-1));
  Dims pivots_shape(LU.sizes().data(), LU.sizes().size() - 2);
  pivots_shape.push_back(k);
  EMBER_CHECK(pivots.sizes() == pivots_shape, "torch.lu_unpack: Expected LU_pivots of shape ", pivots_shape.str(),
              " for LU_data of shape ", LU.sizes().str(), ", but got ", pivots.sizes().str());
  native::check_same_device(LU, {&pivots}, "torch.lu_unpack");
  Tensor P, L, U;
  if (unpack_data) std::tie(L, U) = linalg::unpack(LU);
  if (unpack_pivots) {
    NoGradGuard no_grad;
    P = linalg::permutation_matrix(linalg::permutation_of(pivots, m), LU).detach();
  }
  return {P, L, U};
}

namespace {

// X = A^-1 B for A = L L^T (or U^T U when upper), unrecorded: two triangular solves.
Tensor cholesky_solve_values(const Tensor& B, const Tensor& L, bool upper) {
  NoGradGuard no_grad;
  const Tensor first = upper ? linalg::detail::transposed(L) : L;  // the lower factor
  const Tensor Y = linalg::solve_triangular(first.detach(), B.detach(), /*upper=*/false);
  return linalg::solve_triangular(linalg::detail::transposed(first.detach()), Y, /*upper=*/true).detach();
}

// PyTorch's gradient in L of X = (L L^T)^-1 B' given the symmetric sum S = G X^T + X G^T
// (with G = A^-1 gX): -S L, or -L S for the upper factor, a full matrix as PyTorch's.
Tensor factor_gradient(const Tensor& S, const Tensor& L, bool upper) {
  return upper ? neg(matmul(L, S)) : neg(matmul(S, L));
}

}  // namespace

Tensor cholesky_solve(const Tensor& B, const Tensor& L, bool upper) {
  EMBER_CHECK(B.dim() >= 2, "b should have at least 2 dimensions, but has ", B.dim(), " dimensions instead");
  EMBER_CHECK(L.dim() >= 2, "u should have at least 2 dimensions, but has ", L.dim(), " dimensions instead");
  EMBER_CHECK(L.size(-1) == L.size(-2), "A must be batches of square matrices, but they are ", L.size(-2), " by ",
              L.size(-1), " matrices");
  EMBER_CHECK(B.dtype() == L.dtype(), "Expected b and A to have the same dtype, but found b of type ",
              dtype_torch_name(B.dtype()), " and A of type ", dtype_torch_name(L.dtype()), " instead");
  EMBER_CHECK(B.size(-2) == L.size(-1), "Incompatible matrix sizes for cholesky_solve: each A matrix is ", L.size(-1),
              " by ", L.size(-1), " but each b matrix is ", B.size(-2), " by ", B.size(-1));
  native::check_same_device(B, {&L}, "cholesky_solve");
  const Tensor X = cholesky_solve_values(B, L, upper);
  if (autograd::will_record_into(X, B, L)) {
    autograd::record("CholeskySolveBackward", {&B, &L}, {&X}, {L, X},
                     [upper, b_sizes = B.sizes(), l_sizes = L.sizes()](const autograd::tensor_list& g,
                                                                       const autograd::tensor_list& s, const auto& in) {
                       const Tensor gB = cholesky_solve(g[0], s[0], upper);
                       const Tensor half = matmul(gB, linalg::detail::transposed(s[1]));
                       Tensor gB_out, gL;
                       if (autograd::needs_grad(in, 0)) gB_out = autograd::sum_to(gB, b_sizes);
                       if (autograd::needs_grad(in, 1))
                         gL = autograd::sum_to(factor_gradient(half + linalg::detail::transposed(half), s[0], upper),
                                               l_sizes);
                       return autograd::tensor_list{gB_out, gL};
                     })
        ->set_differentiable_backward();
  }
  return X;
}

Tensor cholesky_inverse(const Tensor& L, bool upper) {
  EMBER_CHECK(is_floating(L.dtype()), "cholesky_inverse: Expected a floating point or complex tensor as input. Got ",
              dtype_torch_name(L.dtype()));
  EMBER_CHECK(L.dim() >= 2, "cholesky_inverse: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(L.size(-1) == L.size(-2), "cholesky_inverse: A must be batches of square matrices, but they are ",
              L.size(-2), " by ", L.size(-1), " matrices");
  const int64_t n = L.size(-1);
  const Tensor inverse =
      cholesky_solve_values(eye(n, TensorOptions(L.dtype()).device(L.device())).expand(L.sizes()), L, upper);
  if (autograd::will_record_into(inverse, L)) {
    autograd::record("CholeskyInverseBackward", {&L}, {&inverse}, {L, inverse},
                     [upper](const autograd::tensor_list& g, const autograd::tensor_list& s, const auto&) {
                       const Tensor S = matmul(s[1], matmul(g[0] + linalg::detail::transposed(g[0]), s[1]));
                       return autograd::tensor_list{factor_gradient(S, s[0], upper)};
                     })
        ->set_differentiable_backward();
  }
  return inverse;
}

}  // namespace ember
