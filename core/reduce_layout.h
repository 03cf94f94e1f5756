// The layout of one reduction, shared by the CPU (core/cpu/reduce.cpp) and CUDA
// (cuda/reduce.cu) kernels: the kept dims (strides in the input and both outputs) and
// the reduced dims (input strides), size-1 dims dropped, each group ordered by
// decreasing input stride with mergeable neighbours merged. Plain arrays, so kernels
// take it by value.
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/shape.h"
#include "core/tensor.h"

namespace ember {

// Dims with the element strides of K operands (operand 0 is the input). Linear indices
// walk the dims in row-major order.
template <int K>
struct DimSet {
  int ndim = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride[K][kMaxDims] = {};
  int64_t numel = 1;

  void push(int64_t dim_size, const int64_t (&dim_strides)[K]) {
    size[ndim] = dim_size;
    for (int k = 0; k < K; ++k) stride[k][ndim] = dim_strides[k];
    ++ndim;
    numel *= dim_size;
  }
  void push_dim_of(const DimSet& other, int d) {
    int64_t dim_strides[K];
    for (int k = 0; k < K; ++k) dim_strides[k] = other.stride[k][d];
    push(other.size[d], dim_strides);
  }
  // Orders dims by decreasing input stride (so the innermost loop reads memory in
  // order) and merges a dim into its outer neighbour when every operand steps through
  // the pair as through one dim. Never leaves the set without dims.
  void order_and_merge() {
    int order[kMaxDims];
    for (int d = 0; d < ndim; ++d) order[d] = d;
    std::stable_sort(order, order + ndim, [&](int x, int y) { return stride[0][x] > stride[0][y]; });
    DimSet merged;
    for (int i = 0; i < ndim; ++i) {
      const int d = order[i];
      const int last = merged.ndim - 1;
      bool joins = merged.ndim > 0;
      for (int k = 0; k < K && joins; ++k) joins = merged.stride[k][last] == stride[k][d] * size[d];
      if (joins) {
        merged.size[last] *= size[d];
        for (int k = 0; k < K; ++k) merged.stride[k][last] = stride[k][d];
        merged.numel *= size[d];
      } else {
        merged.push_dim_of(*this, d);
      }
    }
    if (merged.ndim == 0) {
      const int64_t zeros[K] = {};
      merged.push(1, zeros);
    }
    *this = merged;
  }
  // The set without its innermost dim.
  DimSet outer() const {
    DimSet set;
    for (int d = 0; d + 1 < ndim; ++d) set.push_dim_of(*this, d);
    return set;
  }
};

struct ReduceLayout {
  DimSet<3> kept;     // input, out0 (values), out1 (indices) strides
  DimSet<1> reduced;  // input strides
};

// Reduced: every dim where out0 has size 1 and `in` does not (out1 may be out0 itself).
inline ReduceLayout make_reduce_layout(const Tensor& in, const Tensor& out0, const Tensor& out1) {
  EMBER_INTERNAL_ASSERT(in.dim() == out0.dim() && in.dim() == out1.dim(), "reduction output rank ", out0.sizes(),
                        " does not match input ", in.sizes());
  ReduceLayout layout;
  for (int64_t d = 0; d < in.dim(); ++d) {
    const int64_t size = in.size(d);
    if (size == 1) continue;
    if (out0.size(d) == 1) {
      layout.reduced.push(size, {in.stride(d)});
    } else {
      EMBER_INTERNAL_ASSERT(out0.size(d) == size && out1.size(d) == size, "reduction output ", out0.sizes(),
                            " does not fit input ", in.sizes());
      layout.kept.push(size, {in.stride(d), out0.stride(d), out1.stride(d)});
    }
  }
  layout.kept.order_and_merge();
  layout.reduced.order_and_merge();
  return layout;
}

}  // namespace ember
