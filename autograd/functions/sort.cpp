// Differentiable sort and topk (argsort has no gradient): the native ops of
// core/ops/sort.cpp plus one node each, saving only the indices; the values' gradient is
// scattered back to them (PyTorch's value_selecting_reduction_backward).
#include "autograd/function_node.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::tensor_list;

namespace {

std::tuple<Tensor, Tensor> recorded(const char* name, const Tensor& a, int64_t dim, std::tuple<Tensor, Tensor> result) {
  auto& [values, indices] = result;
  if (autograd::will_record_into(values, a)) {
    const int64_t d = wrap_dim(dim, a.dim());
    autograd::record(name, {&a}, {&values}, {indices},
                     [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                       if (in[0].shape.empty()) return tensor_list{g[0]};  // a 0-dim input is its own value
                       Tensor z = zeros(in[0].shape, TensorOptions(g[0].dtype()).device(g[0].device()));
                       return tensor_list{ember::scatter(z, d, s[0], g[0])};
                     })->set_differentiable_backward();
  }
  return result;
}

}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending, bool /*stable: always*/) {
  return recorded("SortBackward", a, dim, native::sort(a, dim, descending));
}
Tensor argsort(const Tensor& a, int64_t dim, bool descending, bool /*stable*/) {
  return std::get<1>(native::sort(a, dim, descending));
}
std::tuple<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest, bool sorted) {
  return recorded("TopkBackward", a, dim, native::topk(a, k, dim, largest, sorted));
}

std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending, bool stable) const {
  return ember::sort(*this, dim, descending, stable);
}
Tensor Tensor::argsort(int64_t dim, bool descending, bool stable) const {
  return ember::argsort(*this, dim, descending, stable);
}
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return ember::topk(*this, k, dim, largest, sorted);
}

}  // namespace ember
