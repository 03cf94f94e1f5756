// tril/triu's element rule and layout, shared by the CPU (core/cpu/triangle.cpp) and CUDA
// (cuda/triangle.cu) kernels: which (row, col) of each matrix a triangle keeps, and where
// element i (row-major over the logical shape) sits in the input and the output.
// Plain arrays, so kernels take them by value.
#pragma once
#include <cstdint>

#include "core/macros.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace ember {

// torch.tril keeps col - row <= diagonal, torch.triu col - row >= diagonal.
struct TriangleMask {
  int64_t diagonal = 0;
  bool upper = false;
  EMBER_HD_INLINE bool keeps(int64_t row, int64_t col) const {
    return upper ? col - row >= diagonal : col - row <= diagonal;
  }
};

// Operand 0 is the output, operand 1 the input; both of one shape (at least 2-D).
struct TriangleLayout {
  int ndim = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride[2][kMaxDims] = {};
  int64_t numel = 0;

  EMBER_HD_INLINE int64_t rows() const { return size[ndim - 2]; }
  EMBER_HD_INLINE int64_t cols() const { return size[ndim - 1]; }
  // Offset in operand k of the first element of matrix row `line` (row-major over all
  // dims but the last), whose row index within its matrix is line % rows().
  EMBER_HD_INLINE int64_t line_offset(int64_t line, int k) const {
    int64_t off = 0;
    for (int d = ndim - 2; d >= 0; --d) {
      off += line % size[d] * stride[k][d];
      line /= size[d];
    }
    return off;
  }
  // Element i (row-major over the logical shape), as CUDA's thread i takes it: its offset
  // in operand k, and its row and column within its matrix (for TriangleMask::keeps).
  EMBER_HD_INLINE int64_t element_offset(int64_t i, int k) const {
    return line_offset(i / cols(), k) + i % cols() * stride[k][ndim - 1];
  }
  EMBER_HD_INLINE int64_t row_of(int64_t i) const { return i / cols() % rows(); }
  EMBER_HD_INLINE int64_t col_of(int64_t i) const { return i % cols(); }
};

inline TriangleLayout make_triangle_layout(const Tensor& out, const Tensor& in) {
  EMBER_INTERNAL_ASSERT(out.sizes() == in.sizes() && out.dim() >= 2, "triangle: shapes ", out.sizes(), " and ",
                        in.sizes());
  TriangleLayout layout;
  layout.ndim = static_cast<int>(out.dim());
  for (int d = 0; d < layout.ndim; ++d) {
    layout.size[d] = out.size(d);
    layout.stride[0][d] = out.stride(d);
    layout.stride[1][d] = in.stride(d);
  }
  layout.numel = out.numel();
  return layout;
}

}  // namespace ember
