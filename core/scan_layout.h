// The layout of a scan along one dim, shared by the CPU (core/cpu/scan.cpp) and CUDA
// (cuda/scan.cu) kernels: the line (its length and each operand's stride along it) and
// the other dims, over which the lines lie (size-1 dims dropped, merged where every
// operand allows). Plain arrays, so kernels take it by value.
#pragma once
#include <array>
#include <cstdint>

#include "core/macros.h"
#include "core/reduce_layout.h"
#include "core/tensor.h"

namespace ember {

template <int K>
struct LineLayout {
  DimSet<K> lines;  // the dims other than the scanned one, with each operand's strides
  int64_t length = 0;
  int64_t stride[K] = {};

  // Offset in operand k of the first element of line `l` (row-major over `lines`).
  EMBER_HD_INLINE int64_t line_offset(int64_t l, int k) const {
    int64_t off = 0;
    for (int d = lines.ndim - 1; d >= 0; --d) {
      off += l % lines.size[d] * lines.stride[k][d];
      l /= lines.size[d];
    }
    return off;
  }
};

// Operands of one shape (operand 0 orders the dims); dim already wrapped. A 0-dim
// tensor is one line of length 1.
template <int K>
LineLayout<K> make_line_layout(const std::array<const Tensor*, K>& operands, int64_t dim) {
  LineLayout<K> layout;
  const Tensor& first = *operands[0];
  if (first.dim() == 0) {
    layout.length = 1;
    layout.lines.order_and_merge();
    return layout;
  }
  for (int k = 0; k < K; ++k) {
    EMBER_INTERNAL_ASSERT(operands[k]->sizes() == first.sizes(), "scan operand ", k, " has shape ",
                          operands[k]->sizes(), ", expected ", first.sizes());
    layout.stride[k] = operands[k]->stride(dim);
  }
  layout.length = first.size(dim);
  for (int64_t d = 0; d < first.dim(); ++d) {
    if (d == dim || first.size(d) == 1) continue;
    int64_t strides[K];
    for (int k = 0; k < K; ++k) strides[k] = operands[k]->stride(d);
    layout.lines.push(first.size(d), strides);
  }
  layout.lines.order_and_merge();
  if (first.numel() == 0) layout.lines.numel = 0;  // an empty dim among the lines: no line
  return layout;
}

}  // namespace ember
