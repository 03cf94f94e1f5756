// Dim bookkeeping shared by the reduction formulas (reduce.cpp, statistics.cpp): the
// reduced dims wrapped, a reduced gradient viewed back with size-1 dims, the count of
// reduced elements.
#pragma once
#include "autograd/function_node.h"

namespace ember::autograd::reduce_dims {

// The reduced dims of a tensor of rank `ndim` (empty list = all), wrapped.
inline Dims wrapped_dims(const Dims& dims, int64_t ndim) {
  Dims out;
  if (dims.empty()) {
    for (int64_t d = 0; d < ndim; ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(wrap_dim(d, ndim));
  return out;
}

// g (reduced, maybe without keepdim) viewed with size-1 dims where input was reduced.
inline Tensor unsqueeze_reduced(const Tensor& g, const Dims& input_shape, const Dims& dims, bool keepdim) {
  if (keepdim || input_shape.empty()) return g;  // a 0-dim input's "dim 0" is itself
  Dims shape = input_shape;
  for (int64_t d : wrapped_dims(dims, static_cast<int64_t>(input_shape.size()))) shape[static_cast<size_t>(d)] = 1;
  return formula::view(g, shape);
}

inline int64_t reduced_count(const Dims& shape, const Dims& dims) {
  int64_t n = 1;
  if (shape.empty()) return n;
  for (int64_t d : wrapped_dims(dims, static_cast<int64_t>(shape.size()))) n *= shape[static_cast<size_t>(d)];
  return n;
}

}  // namespace ember::autograd::reduce_dims
