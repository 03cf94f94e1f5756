// torch.linalg's LU-based functions over batches of square matrices [*, n, n]: det,
// slogdet, solve and inv, with torch.det / logdet / inverse; composed of tensor ops, so they
// run on any device, with closed-form gradients (Note [LU-based linalg] in
// autograd/functions/linalg_lu.cpp).
#pragma once
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

}  // namespace ember::linalg

namespace ember {

Tensor det(const Tensor& A);      // torch.det: linalg::det
Tensor logdet(const Tensor& A);   // torch.logdet: log(det): NaN where det < 0, -inf where 0
Tensor inverse(const Tensor& A);  // torch.inverse: linalg::inv

}  // namespace ember
