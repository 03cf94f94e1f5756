// Differentiable index_select: the native op of core/ops/indexing.cpp, and its gradient
// (the incoming slices added back at their indices). Saves only the index.
#include "autograd/function_node.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {
namespace {
// The incoming slices added back at their indices: linear in g, so for create_graph its
// own derivative is index_select of the gradient (PyTorch's index_add backward).
Tensor index_select_grad(const Tensor& g, const Dims& shape, int64_t dim, const Tensor& index) {
  Tensor out = native::index_select_backward(g, shape, dim, index);
  if (autograd::will_record_into(out, g))
    autograd::record("IndexAddBackward", {&g}, {&out}, {index},
                     [dim](const autograd::tensor_list& gg, const autograd::tensor_list& s, const auto&) {
                       return autograd::tensor_list{ember::index_select(gg[0], dim, s[0])};
                     })->set_differentiable_backward();
  return out;
}
}  // namespace

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
  Tensor out = native::index_select(a, dim, index);
  if (autograd::will_record_into(out, a)) {
    autograd::record("IndexSelectBackward", {&a}, {&out}, {index},
                     [dim](const autograd::tensor_list& g, const autograd::tensor_list& s, const auto& in) {
                       return autograd::tensor_list{index_select_grad(g[0], in[0].shape, dim, s[0])};
                     })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return ember::index_select(*this, dim, index); }

}  // namespace ember
