// LAPACK's LU (getrf), Cholesky (potrf), symmetric eigensolver (syevd), SVD (gesdd) and QR
// (geqrf, orgqr), and BLAS's triangular solve (trsm), from OpenBLAS, over batches of row-major
// host matrices in float32 or float64: the kernels of linalg::eigh / svd / qr (Note [Spectral
// linalg] in autograd/functions/linalg_spectral.cpp), of the LU-based ops, cholesky and
// solve_triangular on the CPU. In a build without BLAS, available() is false and each call raises.
#pragma once
#include <cstdint>
#include <optional>

#include "core/tensor.h"

namespace ember::cpu::lapack {

bool available();

// The first matrix LAPACK failed on and its info (the caller words the error).
struct Failure {
  int64_t matrix;
  int info;
};

// A: contiguous CPU [b, n, n]. values [b, n] ascending; vectors [b, n, n] (eigenvectors as
// columns) when `with_vectors`. Reads A's lower triangle when `lower`, else its upper.
struct Eigh {
  Tensor values, vectors;
  std::optional<Failure> failure;
};
Eigh eigh(const Tensor& A, bool lower, bool with_vectors);

// A: contiguous CPU [b, m, n], k = min(m, n). S [b, k] descending; with vectors, U [b, m, m]
// and Vh [b, n, n] when `full`, else [b, m, k] and [b, k, n].
struct Svd {
  Tensor U, S, Vh;
  std::optional<Failure> failure;
};
Svd svd(const Tensor& A, bool with_vectors, bool full);

// A: contiguous CPU [b, m, n], k = min(m, n). R [b, k, n] ([b, m, n] when `complete`), upper
// triangular; Q [b, m, k] ([b, m, m] when `complete`) when `with_q`.
struct Qr {
  Tensor Q, R;
};
Qr qr(const Tensor& A, bool complete, bool with_q);

// LU with partial pivoting (getrf) of A: contiguous CPU [b, m, n]. lu [b, m, n] (L below the
// diagonal, U on and above), pivots [b, min(m, n)] (0-based: step i swapped rows i and
// pivots[i]), perm [b, m] (row i of P A is row perm[i] of A), swaps [b] (int64 all three).
struct Lu {
  Tensor lu, pivots, perm, swaps;
};
Lu lu(const Tensor& A);

// The Cholesky factor of A: contiguous CPU [b, n, n], only its lower triangle read. L [b, n, n]
// (its lower triangle; the rest is A's), info [b] int64: 0, or the order of the first leading
// minor that is not positive-definite (a NaN pivot included), as LAPACK's potrf2.
struct Cholesky {
  Tensor L, info;
};
Cholesky cholesky(const Tensor& A);

// X [b, n, k] = A^-1 X in place, A [b, n, n] triangular (only its upper or lower triangle
// read; unitriangular: its diagonal taken as ones); both contiguous on the CPU, A's dtype.
void triangular_solve(const Tensor& A, const Tensor& X, bool upper, bool unitriangular);

}  // namespace ember::cpu::lapack
