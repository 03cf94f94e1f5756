// Native gather, scatter and scatter_add (out of place and in place) and scatter_reduce's
// products, maxima and minima: PyTorch's checks and messages (its ScatterGatherChecks.h: a
// 0-dim operand counts as one of one element), then the device's gather / scatter /
// scatter_reduce kernel over core/gather_layout.h's strided layout, so inputs of any layout
// are read where they are.
#include <algorithm>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/fill_value.h"
#include "core/native.h"
#include "core/native_indexing.h"

namespace ember::native {
namespace {

int64_t nonempty_dim(const Tensor& t) { return std::max<int64_t>(t.dim(), 1); }
int64_t nonempty_size(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.size(d); }
int64_t nonempty_stride(const Tensor& t, int64_t d) { return t.dim() == 0 ? 0 : t.stride(d); }

void check_index_dtype(const char* method, const Tensor& index) {
  EMBER_CHECK(index.dtype() == kInt64, method, "(): Expected dtype int64 for index");
}

// gather's: index.size(d) <= self.size(d) for d != dim, with as many dims.
void gather_shape_check(const Tensor& self, int64_t dim, const Tensor& index) {
  EMBER_CHECK(nonempty_dim(self) == nonempty_dim(index),
              "Index tensor must have the same number of dimensions as input tensor");
  for (int64_t d = 0; d < nonempty_dim(self); ++d) {
    if (d == dim) continue;
    EMBER_CHECK(nonempty_size(index, d) <= nonempty_size(self, d), "Size does not match at dimension ", d,
                " expected index ", index.sizes(), " to be smaller than self ", self.sizes(), " apart from dimension ",
                dim);
  }
}

// scatter's: as gather's, and index.size(d) <= src.size(d) for every d (src undefined for
// a value).
void scatter_shape_check(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(nonempty_dim(self) == nonempty_dim(index),
              "Index tensor must have the same number of dimensions as self tensor");
  if (src.defined()) {
    EMBER_CHECK(nonempty_dim(src) == nonempty_dim(index),
                "Index tensor must have the same number of dimensions as src tensor");
  }
  bool fits_self = true, fits_src = true;
  for (int64_t d = 0; d < nonempty_dim(self); ++d) {
    const int64_t n = nonempty_size(index, d);
    if (d != dim && n > nonempty_size(self, d)) fits_self = false;
    if (src.defined() && n > nonempty_size(src, d)) fits_src = false;
  }
  if (!src.defined()) {
    EMBER_CHECK(fits_self, "Expected index ", index.sizes(), " to be smaller than self ", self.sizes(),
                " apart from dimension ", dim);
  } else {
    EMBER_CHECK(fits_self && fits_src, "Expected index ", index.sizes(), " to be smaller than self ", self.sizes(),
                " apart from dimension ", dim, " and to be smaller size than src ", src.sizes());
  }
}

// The layout of index's elements over self (and other: gather's out, scatter's src; a
// 0-dim other is a broadcast value).
GatherLayout layout_of(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& other) {
  GatherLayout l;
  l.ndim = static_cast<int>(nonempty_dim(index));
  l.dim = static_cast<int>(dim);
  l.numel = index.numel();
  l.self_size = nonempty_size(self, dim);
  l.self_stride = nonempty_stride(self, dim);
  for (int64_t d = 0; d < l.ndim; ++d) {
    const auto k = static_cast<size_t>(d);
    l.sizes[k] = nonempty_size(index, d);
    l.index_strides[k] = nonempty_stride(index, d);
    l.other_strides[k] = other.dim() == 0 ? 0 : other.stride(d);
    l.self_strides[k] = d == dim ? 0 : nonempty_stride(self, d);
  }
  return l;
}

// A tensor that does not share self's memory: what an in-place write must read.
Tensor unaliased(const Tensor& self, const Tensor& t) { return t.defined() && t.is_alias_of(self) ? clone(t) : t; }

// Checks a scatter into self (src undefined: value), returning dim wrapped.
int64_t checked_scatter(const char* method, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                        bool accumulate = false) {
  EMBER_CHECK(self.defined() && index.defined(), method, "(): expected defined tensors");
  const DType dt = self.dtype();
  EMBER_CHECK(!accumulate || is_floating(dt) || dt == kInt64, "\"scatter_add\" not implemented for '",
              dtype_torch_name(dt), "' in ember (float32, float64, bfloat16, float16 and int64 are)");
  const int64_t d = wrap_dim(dim, self.dim());
  check_index_dtype("scatter", index);  // PyTorch 1.13 names scatter() for scatter_add too
  if (src.defined()) {
    EMBER_CHECK(self.dtype() == src.dtype(), "scatter(): Expected self.dtype to be equal to src.dtype");
  }
  check_same_device(self, {&index, &src}, method);
  if (index.numel() != 0) scatter_shape_check(self, d, index, src);
  return d;
}

void scatter_into(const Tensor& self, int64_t d, const Tensor& index, const Tensor& src, bool accumulate) {
  if (index.numel() == 0) return;
  const Tensor idx = unaliased(self, index), from = unaliased(self, src);
  device_ops(self.device()).scatter(self, idx, from, layout_of(self, d, idx, from), accumulate);
}

// A 0-dim tensor of value in self's dtype and device: scatter's broadcast source.
Tensor value_tensor(const Tensor& self, const Scalar& value) {
  check_fill_value(value, self.dtype());  // PyTorch's checked conversion (uint8 300 wrapped to 44)
  Tensor v = make_empty({}, self.dtype(), self.device());
  device_ops(self.device()).fill(v, value);
  return v;
}

}  // namespace

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  EMBER_CHECK(self.defined() && index.defined(), "gather(): expected defined tensors");
  const int64_t d = wrap_dim(dim, self.dim());
  check_index_dtype("gather", index);
  check_same_device(self, {&index}, "gather()");
  if (index.numel() != 0) gather_shape_check(self, d, index);
  Tensor out = make_empty(index.sizes(), self.dtype(), self.device());
  if (out.numel() == 0) return out;
  device_ops(self.device()).gather(self, index, layout_of(self, d, index, out), out);
  return out;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(src.defined(), "scatter(): expected a defined src");
  const int64_t d = checked_scatter("scatter", self, dim, index, src);
  Tensor out = clone(self);
  scatter_into(out, d, index, src, false);
  return out;
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  const int64_t d = checked_scatter("scatter", self, dim, index, Tensor());
  Tensor out = clone(self);
  scatter_into(out, d, index, value_tensor(out, value), false);
  return out;
}
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(src.defined(), "scatter_add(): expected a defined src");
  const int64_t d = checked_scatter("scatter_add", self, dim, index, src, true);
  Tensor out = clone(self);
  scatter_into(out, d, index, src, true);
  return out;
}

void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(src.defined(), "scatter_(): expected a defined src");
  const int64_t d = checked_scatter("scatter_", self, dim, index, src);
  mark_mutated(self);
  scatter_into(self, d, index, src, false);
}
void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  const int64_t d = checked_scatter("scatter_", self, dim, index, Tensor());
  mark_mutated(self);
  scatter_into(self, d, index, value_tensor(self, value), false);
}
void scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(src.defined(), "scatter_add_(): expected a defined src");
  const int64_t d = checked_scatter("scatter_add_", self, dim, index, src, true);
  mark_mutated(self);
  scatter_into(self, d, index, src, true);
}

Tensor scatter_combine(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                       ScatterReduceKind kind) {
  EMBER_CHECK(src.defined(), "scatter_reduce(): expected a defined src");
  const DType dt = self.dtype();
  EMBER_CHECK(is_floating(dt) || dt == kInt64, "\"scatter_reduce\" not implemented for '", dtype_torch_name(dt),
              "' in ember (float32, float64, bfloat16, float16 and int64 are)");
  const int64_t d = checked_scatter("scatter_reduce", self, dim, index, src);
  Tensor out = clone(self);
  if (index.numel() == 0) return out;
  device_ops(out.device()).scatter_reduce(out, index, src, layout_of(out, d, index, src), kind);
  return out;
}

}  // namespace ember::native
