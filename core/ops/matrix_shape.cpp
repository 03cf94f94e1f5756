// Native tril/triu (the device's triangle kernel, core/triangle_layout.h), the diagonal
// view (a strided view: the two dims' strides added) and diag_embed (zeros with the
// input copied into that view).
#include <algorithm>

#include "core/dispatch.h"
#include "core/native.h"

namespace ember::native {
namespace {

Tensor triangle(const char* name, const Tensor& a, int64_t diagonal, bool upper) {
  EMBER_CHECK(a.dim() >= 2, name, ": input tensor must have at least 2 dimensions, but got a ", a.dim(),
              "-D tensor");
  Tensor out = make_empty(a.sizes(), a.dtype(), a.device());
  device_ops(a.device()).triangle(a, TriangleMask{diagonal, upper}, out);
  return out;
}

void triangle_(const char* name, const Tensor& self, int64_t diagonal, bool upper) {
  EMBER_CHECK(self.dim() >= 2, name, ": input tensor must have at least 2 dimensions, but got a ", self.dim(),
              "-D tensor");
  mark_mutated(self);
  device_ops(self.device()).triangle(self, TriangleMask{diagonal, upper}, self);
}

// dim1 and dim2 wrapped for an ndim-D tensor; PyTorch's error when they are one dim.
std::pair<int64_t, int64_t> diagonal_dims(int64_t dim1, int64_t dim2, int64_t ndim) {
  const int64_t d1 = wrap_dim(dim1, ndim), d2 = wrap_dim(dim2, ndim);
  EMBER_CHECK(d1 != d2, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  return {d1, d2};
}

}  // namespace

Tensor tril(const Tensor& a, int64_t diagonal) { return triangle("tril", a, diagonal, false); }
Tensor triu(const Tensor& a, int64_t diagonal) { return triangle("triu", a, diagonal, true); }
void tril_(const Tensor& self, int64_t diagonal) { triangle_("tril_", self, diagonal, false); }
void triu_(const Tensor& self, int64_t diagonal) { triangle_("triu_", self, diagonal, true); }

// Element (i, i + offset) of dims (dim1, dim2), for i along the new last dim: the
// storage offset moves to the first one, the stride is the two strides' sum.
Tensor diagonal(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2) {
  const auto [d1, d2] = diagonal_dims(dim1, dim2, a.dim());
  const int64_t rows = a.size(d1), cols = a.size(d2);
  const int64_t length = std::max<int64_t>(0, offset >= 0 ? std::min(rows, cols - offset) : std::min(rows + offset, cols));
  int64_t start = a.storage_offset();
  if (length > 0) start += offset >= 0 ? offset * a.stride(d2) : -offset * a.stride(d1);
  Dims sizes, strides;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d == d1 || d == d2) continue;
    sizes.push_back(a.size(d));
    strides.push_back(a.stride(d));
  }
  sizes.push_back(length);
  strides.push_back(a.stride(d1) + a.stride(d2));
  return as_strided(a, sizes, strides, start);
}

Tensor diag_embed(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2) {
  const int64_t ndim = a.dim() + 1;
  const auto [d1, d2] = diagonal_dims(dim1, dim2, ndim);
  const int64_t n = a.size(-1) + (offset < 0 ? -offset : offset);
  Dims sizes;
  int64_t next = 0;  // a's dims but its last fill the other places, in order
  for (int64_t d = 0; d < ndim; ++d) sizes.push_back(d == d1 || d == d2 ? n : a.size(next++));
  Tensor out = make_empty(sizes, a.dtype(), a.device());
  device_ops(a.device()).fill(out, 0);
  copy_(diagonal(out, offset, d1, d2), a);
  return out;
}

}  // namespace ember::native
