// Native sort and topk: PyTorch's checks and messages, then the device's sort_rows kernel
// over the input with the sorted dim moved last and made contiguous ([rows, n]); the
// results ([rows, k]) are moved back and returned contiguous. Order: Note [Sort order of
// ties and NaN] in core/sort_keys.h.
#include <utility>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/native.h"

namespace ember::native {
namespace {

std::tuple<Tensor, Tensor> sorted_along(const Tensor& self, int64_t d, int64_t k, bool descending) {
  if (self.dim() == 0) {  // one element: itself, at index 0 (PyTorch's topk: for k = 0 too)
    return {clone(self), zeros({}, TensorOptions(kInt64).device(self.device()))};
  }
  const int64_t last = self.dim() - 1;
  Dims shape = self.sizes();
  std::swap(shape[static_cast<size_t>(d)], shape[static_cast<size_t>(last)]);
  shape[static_cast<size_t>(last)] = k;
  Tensor values = make_empty(shape, self.dtype(), self.device());
  Tensor indices = make_empty(shape, kInt64, self.device());
  if (values.numel() != 0) {
    Tensor rows = transpose(self, d, last);
    if (!rows.is_contiguous()) rows = clone(rows);
    device_ops(self.device()).sort_rows(rows, k, descending, values, indices);
  }
  if (d == last) return {values, indices};
  return {clone(transpose(values, d, last)), clone(transpose(indices, d, last))};
}

}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim, bool descending) {
  EMBER_CHECK(self.defined(), "sort(): expected a defined tensor");
  const int64_t d = wrap_dim(dim, self.dim());
  return sorted_along(self, d, self.dim() == 0 ? 1 : self.size(d), descending);
}

std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool /*sorted*/) {
  EMBER_CHECK(self.defined(), "topk(): expected a defined tensor");
  const int64_t d = wrap_dim(dim, self.dim());
  const int64_t size = self.dim() == 0 ? 1 : self.size(d);
  EMBER_CHECK(k >= 0 && k <= size, "selected index k out of range");
  EMBER_CHECK(self.dtype() != kBool, "\"topk\" not implemented for 'Bool'");
  return sorted_along(self, d, k, largest);
}

}  // namespace ember::native
