// Native matrix-shaped ops (core/ops/matrix_shape.cpp, core/ops/linalg.cpp): the
// triangles, the diagonal view and its embedding, and the scaled products
// (addmm family), without recording. The public ops (core/ops.h) add autograd in
// autograd/functions/matrix_shape.cpp and linalg.cpp. Included by core/native.h.
#pragma once
#include <cstdint>

#include "core/scalar.h"
#include "core/tensor.h"

namespace ember::native {

// tril/triu of the last two dims (any dtype): a new tensor, or self written in place
// (version bumped). PyTorch's rule: tril keeps col - row <= diagonal, triu >= diagonal.
Tensor tril(const Tensor& a, int64_t diagonal);
Tensor triu(const Tensor& a, int64_t diagonal);
void tril_(const Tensor& self, int64_t diagonal);
void triu_(const Tensor& self, int64_t diagonal);
// torch.diagonal: a strided view sharing a's storage, the diagonal last; and its
// inverse, torch.diag_embed: zeros with a's last dim written on that diagonal.
Tensor diagonal(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2);
Tensor diag_embed(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2);
// beta * input + alpha * product, input broadcast to the product's shape, as one scaled
// GEMM (GemmScale, core/dispatch.h); beta == 0 ignores input's values (NaN included).
// addmm: [n,k] x [k,m]; addmv: [n,k] x [k]; baddbmm: [b,n,k] x [b,k,m]; addbmm: the sum
// over b of baddbmm's products, [n,m]. Floating operands of one dtype.
Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha);
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha);
Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
               const Scalar& alpha);
Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
              const Scalar& alpha);

}  // namespace ember::native
