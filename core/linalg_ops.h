// torch.linalg over batches of matrices [*, n, n]: the LU-based det, slogdet, solve and inv
// (with torch.det / logdet / inverse) and cholesky, composed of tensor ops, so they run on
// any device, with closed-form gradients (Note [LU-based linalg] in
// autograd/functions/linalg_lu.cpp); matrix_power, cross and matrix_norm composed of ops
// (autograd/functions/linalg_composed.cpp).
#pragma once
#include <string_view>
#include <utility>

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
// matrix (only A's lower triangle is read); otherwise PyTorch's "not positive-definite" error.
Tensor cholesky(const Tensor& A, bool upper = false);
// A^n by repeated squaring; n < 0 is inv(A)^-n, n = 0 the identity.
Tensor matrix_power(const Tensor& A, int64_t n);
// The cross product along `dim` (of size 3), with broadcasting.
Tensor cross(const Tensor& a, const Tensor& b, int64_t dim = -1);
// The matrix norms over `dims` (two dims): "fro", or 1 / -1 (max / min column sum of |a|),
// inf / -inf (rows). "nuc", 2 and -2 need singular values: an error naming them.
Tensor matrix_norm(const Tensor& A, std::string_view ord = "fro", const Dims& dims = {-2, -1}, bool keepdim = false);
Tensor matrix_norm(const Tensor& A, double ord, const Dims& dims = {-2, -1}, bool keepdim = false);

}  // namespace ember::linalg

namespace ember {

Tensor det(const Tensor& A);      // torch.det: linalg::det
Tensor logdet(const Tensor& A);   // torch.logdet: log(det): NaN where det < 0, -inf where 0
Tensor inverse(const Tensor& A);  // torch.inverse: linalg::inv

}  // namespace ember
