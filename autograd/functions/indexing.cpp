// Differentiable index_select and embedding: the native op of core/ops/indexing.cpp, and
// its gradient (the incoming slices added back at their indices). Each saves only the
// index.
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

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  EMBER_CHECK(indices.dtype() == kInt64, "Expected tensor for argument #1 'indices' to have one of the following ",
              "scalar types: Long, Int; but got ", dtype_torch_name(indices.dtype()),
              " instead (while checking arguments for embedding)");
  EMBER_CHECK(weight.dim() == 2, "'weight' must be 2-D (got ", weight.dim(), "-D)");
  EMBER_CHECK(!padding_idx || (*padding_idx >= 0 && *padding_idx < weight.size(0)),
              "embedding: padding_idx must be within num_embeddings [0, ", weight.size(0), "), got ", *padding_idx);
  const Tensor flat = native::reshape(indices, {indices.numel()});
  Dims shape = indices.sizes();
  shape.push_back(weight.size(1));
  Tensor out = native::view(native::index_select(weight, 0, flat), shape);
  if (autograd::will_record_into(out, weight)) {
    autograd::record("EmbeddingBackward", {&weight}, {&out}, {flat},
                     [padding_idx](const autograd::tensor_list& g, const autograd::tensor_list& s, const auto& in) {
                       const Tensor& index = s[0];
                       Tensor rows = autograd::formula::reshape(g[0], {index.numel(), in[0].shape[1]});
                       if (padding_idx) rows = rows.masked_fill(native::eq(index, *padding_idx).unsqueeze(1), 0.0);
                       return autograd::tensor_list{index_select_grad(rows, in[0].shape, 0, index)};
                     })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return ember::index_select(*this, dim, index); }

}  // namespace ember
