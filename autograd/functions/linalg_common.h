// What the linalg files share (autograd/functions/linalg_*.cpp): PyTorch's input checks,
// batch shapes, "(Batch element i): " error notes, the LU factorization and the substitution
// off the CPU.
#pragma once
#include <optional>
#include <string>
#include <utility>

#include "core/shape.h"
#include "core/tensor.h"

namespace ember::linalg::detail {

// PyTorch's checks of a batch of square float32/float64 matrices, named `op`.
void check_square(const Tensor& A, const char* op);

// The first flagged element of flags [m, n] (the first matrix with one, then its first
// column), read back to the host, as "(Batch element i): " (nothing for an unbatched input)
// and the column; nullopt when none is flagged.
std::optional<std::pair<std::string, int64_t>> first_flagged(const Tensor& flags, const Dims& batch);

// info (int64, `batch`) from flags [b, n]: per matrix 0, or its first flagged column + 1
// (LAPACK's info), on the device: nothing is read back.
Tensor first_flag_info(const Tensor& flags, const Dims& batch);

// An LU factorization with partial pivoting, unrecorded (Note [LU-based linalg]).
struct Lu {
  Tensor lu;      // [b, m, n]: L below the diagonal (unit diagonal implied), U on and above
  Tensor perm;    // [b, m] int64: row i of P A is row perm[i] of A
  Tensor swaps;   // [b] int64: the number of row swaps (det's sign is (-1)^swaps)
  Tensor pivots;  // [b, min(m, n)] int64: step k swapped row k with row pivots[k] (0-based)
};
// A3 [b, m, n]: LAPACK's getrf on the CPU; elsewhere, or without pivoting, min(m, n) steps of
// tensor ops (factor_lu_by_steps). pivot = false keeps the rows in place (a zero pivot then
// gives inf / NaN multipliers, as an unpivoted getrf's).
Lu factor_lu(const Tensor& A3, bool pivot = true);
Lu factor_lu_by_steps(const Tensor& A3, bool pivot = true);

// X = A3^-1 X in place for triangular A3 [b, n, n] and X [b, n, k] (contiguous), by
// substitution in tensor ops, unrecorded: solve_triangular's kernel off the CPU (Note
// [Triangular solves]).
Tensor substitute_triangular(const Tensor& A3, Tensor X, bool upper, bool unitriangular);
// The same solve by BLAS's trsm on the CPU (X contiguous, overwritten), else by substitution.
Tensor triangular_solve_in_place(const Tensor& A3, Tensor X, bool upper, bool unitriangular);

inline Dims batch_of(const Tensor& A) { return Dims(A.sizes().data(), A.sizes().size() - 2); }

// `batch` followed by rows and cols.
inline Dims with_matrix(Dims batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

inline Tensor as_batch3(const Tensor& t) { return t.reshape({shape_numel(batch_of(t)), t.size(-2), t.size(-1)}); }

inline Tensor transposed(const Tensor& t) { return t.transpose(-2, -1); }

}  // namespace ember::linalg::detail
