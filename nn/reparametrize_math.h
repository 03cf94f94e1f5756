// The tensor math the weight reparametrizations share: the legacy hooks (nn/weight_norm.cpp)
// and PyTorch 2's parametrizations (nn/parametrize.cpp).
#pragma once
#include <cstdint>

#include "core/ops.h"
#include "core/tensor.h"

namespace ember::nn::detail {

// ||v|| over every dim but `dim`, size 1 there (PyTorch's norm_except_dim); dim -1: of all.
inline Tensor norm_except_dim(const Tensor& v, int64_t dim) {
  if (dim == -1) return v.norm(2);
  Dims others;
  for (int64_t d = 0; d < v.dim(); ++d)
    if (d != dim) others.push_back(d);
  if (others.empty()) return v.abs();  // a 1-D v: each element its own norm, as PyTorch's view(n, -1)
  return linalg::vector_norm(v, 2, others, /*keepdim=*/true);
}

// The weight with `dim` first, flattened to [h, w] (PyTorch's reshape_weight_to_matrix).
inline Tensor weight_matrix(const Tensor& weight, int64_t dim) {
  Tensor w = weight;
  if (dim != 0) {
    Dims order{dim};
    for (int64_t d = 0; d < weight.dim(); ++d)
      if (d != dim) order.push_back(d);
    w = w.permute(order);
  }
  return w.reshape({w.size(0), -1});
}

}  // namespace ember::nn::detail
