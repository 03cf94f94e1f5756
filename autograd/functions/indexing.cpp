// Differentiable index_select: the native op of core/ops/indexing.cpp, and its gradient
// (the incoming slices added back at their indices). Saves only the index.
#include "autograd/function_node.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
  Tensor out = native::index_select(a, dim, index);
  if (autograd::will_record_into(out, a)) {
    autograd::record("IndexSelectBackward", {&a}, {&out}, {index},
                     [dim](const autograd::tensor_list& g, const autograd::tensor_list& s, const auto& in) {
                       return autograd::tensor_list{native::index_select_backward(g[0], in[0].shape, dim, s[0])};
                     });
  }
  return out;
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return ember::index_select(*this, dim, index); }

}  // namespace ember
