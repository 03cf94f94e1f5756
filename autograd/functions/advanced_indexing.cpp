// PyTorch's x[...] as libtorch spells it (x.index({...}), x.index_put_({...}, v)), torch.take and
// Tensor.put_: basic entries as views, tensor entries as one index_select / index_copy_ /
// index_add_ over positions, so every device and derivative comes from those ops.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "core/tensor_index.h"

namespace ember {

// Note [Indexing]
// x.index(entries) walks the entries left to right over a view v of x: an integer (or a 0-dim int64
// tensor) selects (the dim goes), a Slice slices, None adds a size-1 dim, Ellipsis skips the dims no
// other entry takes. Basic entries alone give that view, as PyTorch's. Tensor entries (int64
// positions, or bool masks, each mask standing for its nonzero() columns over as many dims; a bool
// adds a size-1 dim indexed by [0], false by [], as PyTorch's boolToIndexingTensor) are the
// advanced indices: broadcast together to B, they pick v's elements at once. When they sit on
// adjacent dims, B takes their place in the result; otherwise B comes first and the other dims
// follow, as NumPy's and PyTorch's rule. One advanced dim is an index_select along it; several are
// one index_select over v's flattened elements at positions (the row-major offsets of the picked
// elements, broadcast to the result's shape). index_put_ writes the same places: index_copy_ (a
// repeated position: one of the writes) or, with accumulate, index_add_ (repeats add up); through
// the view when v is contiguous, else into a copy that is copied back. Negative positions count
// from the end; a position out of range is PyTorch's "index 5 is out of bounds for dimension 0 with
// size 3".
namespace {

using indexing::TensorIndex;

struct Advanced {
  int64_t dim;   // in the view
  Tensor index;  // int64, wrapped to [0, size)
};

struct Indexed {
  Tensor view;                     // x after the basic entries
  std::vector<Advanced> advanced;  // in order of their dims
};

// index (int64) with negative positions wrapped, after PyTorch's bounds check against size.
Tensor wrapped_positions(const Tensor& index, int64_t size, int64_t dim) {
  if (index.numel() == 0) return index;
  const auto [low, high] = aminmax(index);
  const int64_t lo = low.item<int64_t>(), hi = high.item<int64_t>();
  const int64_t bad = lo < -size ? lo : hi >= size ? hi : 0;
  EMBER_CHECK(lo >= -size && hi < size, "index ", bad, " is out of bounds for dimension ", dim, " with size ", size);
  return lo >= 0 ? index : where(index < 0, index + size, index);
}

int64_t dims_taken(const std::vector<TensorIndex>& entries) {
  int64_t taken = 0;
  for (const TensorIndex& e : entries) {
    const auto& v = e.value();
    if (std::holds_alternative<int64_t>(v) || std::holds_alternative<indexing::Slice>(v)) ++taken;
    if (const auto* t = std::get_if<Tensor>(&v)) {
      EMBER_CHECK(t->defined(), "index: an undefined tensor entry (use Slice() for a whole dim)");
      const bool mask = t->dtype() == kBool || t->dtype() == kUInt8;
      taken += mask ? t->dim() : 1;
    }
  }
  return taken;
}

// PyTorch's applySelect: an integer index checked against the view's dim (real_dim: x's dim it
// stands for, as the message counts).
void select_at(Tensor& view, int64_t dim, int64_t index, int64_t real_dim) {
  const int64_t size = view.size(dim);
  EMBER_CHECK(index >= -size && index < size, "index ", index, " is out of bounds for dimension ", real_dim,
              " with size ", size);
  view = view.select(dim, index);
}

// A bool entry (or a 0-dim bool tensor): a new dim, indexed by [0] (true) or [] (false), as
// PyTorch's boolToIndexingTensor, so it takes part in the advanced indices.
void bool_entry(Indexed& out, int64_t dim, bool value) {
  out.view = out.view.unsqueeze(dim);
  const TensorOptions positions = TensorOptions(kInt64).device(out.view.device());
  out.advanced.push_back({dim, value ? zeros({1}, positions) : empty({0}, positions)});
}

Indexed apply_entries(const Tensor& x, const std::vector<TensorIndex>& entries) {
  EMBER_CHECK(!(x.dim() == 0 && entries.size() == 1 && std::holds_alternative<int64_t>(entries[0].value())),
              "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
              "convert a 0-dim tensor to a number");
  const int64_t taken = dims_taken(entries);
  EMBER_CHECK(taken <= x.dim(), "too many indices for tensor of dimension ", x.dim());
  Indexed out{x, {}};
  int64_t dim = 0, real_dim = 0;  // the view's dim the next entry takes, and x's
  bool seen_ellipsis = false;
  for (const TensorIndex& e : entries) {
    const auto& v = e.value();
    if (const auto* i = std::get_if<int64_t>(&v)) {
      select_at(out.view, dim, *i, real_dim++);
    } else if (const auto* s = std::get_if<indexing::Slice>(&v)) {
      EMBER_CHECK(s->step > 0, "step must be greater than zero");
      out.view = out.view.slice(dim, s->start, s->stop, s->step);
      ++dim;
      ++real_dim;
    } else if (std::holds_alternative<TensorIndex::NoneIndex>(v)) {
      out.view = out.view.unsqueeze(dim);
      ++dim;
    } else if (const auto* b = std::get_if<TensorIndex::BoolIndex>(&v)) {
      bool_entry(out, dim++, b->value);
    } else if (std::holds_alternative<indexing::EllipsisIndexType>(v)) {
      EMBER_CHECK(!seen_ellipsis, "An index can only have a single ellipsis ('...')");
      seen_ellipsis = true;
      dim += x.dim() - taken;
      real_dim += x.dim() - taken;
    } else {
      const Tensor& t = std::get<Tensor>(v);
      if (t.dim() == 0 && t.dtype() == kInt64) {  // PyTorch selects with a 0-dim integer tensor
        select_at(out.view, dim, t.item<int64_t>(), real_dim++);
        continue;
      }
      if (t.dtype() == kBool || t.dtype() == kUInt8) {
        if (t.dim() == 0) {  // a 0-dim mask: x[True] / x[False]
          bool_entry(out, dim++, t.item<bool>());
          continue;
        }
        for (int64_t k = 0; k < t.dim(); ++k)
          EMBER_CHECK(t.size(k) == out.view.size(dim + k), "The shape of the mask ", t.sizes(), " at index ", k,
                      " does not match the shape of the indexed tensor ", out.view.sizes(), " at index ", dim + k);
        const Tensor columns = nonzero(t.to(out.view.device()));  // [n, t.dim()]
        for (int64_t k = 0; k < t.dim(); ++k) out.advanced.push_back({dim + k, columns.select(1, k)});
        dim += t.dim();
        real_dim += t.dim();
      } else {
        EMBER_CHECK(t.dtype() == kInt64, "tensors used as indices must be long, int, byte or bool tensors, but got ",
                    dtype_torch_name(t.dtype()));
        out.advanced.push_back({dim, t.to(out.view.device())});
        ++dim;
        ++real_dim;
      }
    }
  }
  // Broadcast the advanced indices together and wrap them (their dims are the view's).
  Dims shape;
  for (const Advanced& a : out.advanced) shape = broadcast_shapes(shape, a.index.sizes());
  for (Advanced& a : out.advanced) a.index = wrapped_positions(a.index, out.view.size(a.dim), a.dim).expand(shape);
  return out;
}

bool adjacent(const std::vector<Advanced>& advanced) {
  for (size_t k = 1; k < advanced.size(); ++k)
    if (advanced[k].dim != advanced[k - 1].dim + 1) return false;
  return true;
}

// The result's shape, and where B's dims start in it.
std::pair<Dims, int64_t> result_shape(const Indexed& in) {
  const Dims& sizes = in.view.sizes();
  const Dims b = in.advanced.front().index.sizes();
  Dims shape;
  const int64_t first = in.advanced.front().dim, last = in.advanced.back().dim;
  if (adjacent(in.advanced)) {
    for (int64_t d = 0; d < first; ++d) shape.push_back(sizes[d]);
    for (int64_t s : b) shape.push_back(s);
    for (int64_t d = last + 1; d < in.view.dim(); ++d) shape.push_back(sizes[d]);
    return {shape, first};
  }
  for (int64_t s : b) shape.push_back(s);
  for (int64_t d = 0; d < in.view.dim(); ++d) {
    bool picked = false;
    for (const Advanced& a : in.advanced) picked = picked || a.dim == d;
    if (!picked) shape.push_back(sizes[d]);
  }
  return {shape, 0};
}

// The row-major offsets into the view of every element of the result, int64 of its shape.
Tensor flat_positions(const Indexed& in, const Dims& shape, int64_t b_start) {
  const Dims& sizes = in.view.sizes();
  const int64_t n = in.view.dim(), rank = static_cast<int64_t>(shape.size());
  const int64_t b_rank = in.advanced.front().index.dim();
  std::vector<int64_t> stride(static_cast<size_t>(n), 1);
  for (int64_t d = n - 2; d >= 0; --d)
    stride[static_cast<size_t>(d)] = stride[static_cast<size_t>(d + 1)] * sizes[d + 1];
  Tensor offsets = zeros(in.advanced.front().index.sizes(), TensorOptions(kInt64).device(in.view.device()));
  for (const Advanced& a : in.advanced) offsets = offsets + a.index * stride[static_cast<size_t>(a.dim)];
  Dims b_view = Dims::filled(static_cast<size_t>(rank), 1);
  for (int64_t k = 0; k < b_rank; ++k) b_view[static_cast<size_t>(b_start + k)] = offsets.size(k);
  Tensor positions = offsets.reshape(b_view);
  int64_t slot = 0;  // the result dim of the next view dim that no index picks
  for (int64_t d = 0; d < n; ++d) {
    bool picked = false;
    for (const Advanced& a : in.advanced) picked = picked || a.dim == d;
    if (picked) continue;
    if (slot == b_start) slot += b_rank;
    Dims along = Dims::filled(static_cast<size_t>(rank), 1);
    along[static_cast<size_t>(slot)] = sizes[d];
    const Tensor steps = arange(sizes[d], TensorOptions(kInt64).device(in.view.device()));
    positions = positions + steps.mul(stride[static_cast<size_t>(d)]).reshape(along);
    ++slot;
  }
  return positions.expand(shape).contiguous();
}

Tensor gathered(const Indexed& in) {
  const auto [shape, b_start] = result_shape(in);
  if (in.advanced.size() == 1) {  // one index: index_select along its dim, then B's dims in its place
    const Advanced& a = in.advanced.front();
    return in.view.index_select(a.dim, a.index.reshape({-1})).reshape(shape);
  }
  return in.view.reshape({-1}).index_select(0, flat_positions(in, shape, b_start).reshape({-1})).view(shape);
}

// values broadcast to the indexed result's shape (tensor entries: in self's dtype, as PyTorch's
// index_put_; basic entries alone are a copy_, which converts).
void check_values(const Tensor& self, const Tensor& values, const Dims& shape, bool same_dtype) {
  EMBER_CHECK(!same_dtype || values.dtype() == self.dtype(),
              "Index put requires the source and destination dtypes match, got ", dtype_torch_name(self.dtype()),
              " for the destination and ", dtype_torch_name(values.dtype()), " for the source.");
  bool fits = static_cast<int64_t>(values.dim()) <= static_cast<int64_t>(shape.size());
  for (int64_t k = 1; fits && k <= values.dim(); ++k) {
    const int64_t have = values.size(values.dim() - k), want = shape[shape.size() - static_cast<size_t>(k)];
    fits = have == want || have == 1;
  }
  EMBER_CHECK(fits, "shape mismatch: value tensor of shape ", values.sizes(),
              " cannot be broadcast to indexing result of shape ", shape);
}

// Writes values (broadcast to the indexed result) at flat positions of `view`: through a flat view
// when it has one, else into a copy that replaces it.
void write_flat(Tensor& view, const Tensor& positions, const Tensor& flat_values, bool accumulate) {
  if (view.is_contiguous()) {
    Tensor flat = view.view({-1});
    if (accumulate)
      flat.index_add_(0, positions, flat_values);
    else
      flat.index_copy_(0, positions, flat_values);
    return;
  }
  const Tensor copy = view.reshape({-1});
  const Tensor written =
      accumulate ? copy.index_add(0, positions, flat_values) : copy.index_copy(0, positions, flat_values);
  view.copy_(written.view(view.sizes()));
}

}  // namespace

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  const Indexed in = apply_entries(*this, indices);
  return in.advanced.empty() ? in.view : gathered(in);
}

Tensor Tensor::operator[](const Tensor& index) const { return this->index({index}); }

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& values_given, bool accumulate) {
  EMBER_CHECK(values_given.defined(), "index_put_: expected defined values");
  Indexed in = apply_entries(*this, indices);
  // PyTorch's set_item drops the values' leading size-1 dims first (x[0] = y.unsqueeze(0)).
  int64_t lead = 0;
  while (lead < values_given.dim() && values_given.size(lead) == 1) ++lead;
  const Tensor values = lead == 0 ? values_given
                                  : values_given.reshape(Dims(values_given.sizes().data() + lead,
                                                              static_cast<size_t>(values_given.dim() - lead)));
  if (in.advanced.empty()) {
    check_values(*this, values, in.view.sizes(), false);
    if (accumulate)
      in.view.add_(values);
    else
      in.view.copy_(values);
    return *this;
  }
  const auto [shape, b_start] = result_shape(in);
  check_values(*this, values, shape, true);
  const Tensor full_values = values.expand(shape);
  if (in.advanced.size() == 1) {  // one index: index_copy_ / index_add_ along its dim
    const Advanced& a = in.advanced.front();
    Dims slices = in.view.sizes();
    slices[static_cast<size_t>(a.dim)] = a.index.numel();
    const Tensor source = full_values.reshape(slices), positions = a.index.reshape({-1});
    if (accumulate)
      in.view.index_add_(a.dim, positions, source);
    else
      in.view.index_copy_(a.dim, positions, source);
    return *this;
  }
  write_flat(in.view, flat_positions(in, shape, b_start).reshape({-1}), full_values.reshape({-1}), accumulate);
  return *this;
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Scalar& value) {
  return index_put_(indices, full({}, value, TensorOptions(dtype()).device(device())));
}

Tensor Tensor::index_put(const std::vector<TensorIndex>& indices, const Tensor& values, bool accumulate) const {
  Tensor out = clone();
  out.index_put_(indices, values, accumulate);
  return out;
}

namespace {
// take / put_: index (int64) checked against the flattened self's n elements and wrapped, flat.
Tensor flat_positions_of(const char* op, const Tensor& index, int64_t n, Device device) {
  EMBER_CHECK(index.defined() && index.dtype() == kInt64, op, "(): Expected a long tensor for index, but got ",
              index.defined() ? dtype_torch_name(index.dtype()) : "undefined");
  const Tensor flat = index.to(device).reshape({-1});
  if (flat.numel() == 0) return flat;
  const auto [low, high] = aminmax(flat);
  const int64_t lo = low.item<int64_t>(), hi = high.item<int64_t>();
  EMBER_CHECK(lo >= -n && hi < n, "out of range: tried to access index ", lo < -n ? lo : hi, " on a tensor of ", n,
              " elements.");
  return lo >= 0 ? flat : where(flat < 0, flat + n, flat);
}
}  // namespace

Tensor Tensor::take(const Tensor& index) const {
  EMBER_CHECK(numel() > 0 || !index.defined() || index.numel() == 0, "take(): tried to take from an empty tensor");
  const Tensor positions = flat_positions_of("take", index, numel(), device());
  return reshape({-1}).index_select(0, positions).view(index.sizes());
}

Tensor& Tensor::put_(const Tensor& index, const Tensor& source, bool accumulate) {
  EMBER_CHECK(source.dtype() == dtype(),
              "put_(): self and source expected to have the same dtype, but got self.dtype = ",
              dtype_torch_name(dtype()), " and source.dtype = ", dtype_torch_name(source.dtype()));
  EMBER_CHECK(index.defined() && source.numel() == index.numel(),
              "put_(): Expected source and index to have the same number of elements, but got source.numel() = ",
              source.numel(), ", index.numel() = ", index.defined() ? index.numel() : 0);
  EMBER_CHECK(numel() > 0 || index.numel() == 0, "put_(): Tried to put elements into an empty tensor");
  const Tensor positions = flat_positions_of("put_", index, numel(), device());
  if (positions.numel() == 0) return *this;
  write_flat(*this, positions, source.to(device()).reshape({-1}), accumulate);
  return *this;
}

Tensor Tensor::put(const Tensor& index, const Tensor& source, bool accumulate) const {
  Tensor out = clone();
  out.put_(index, source, accumulate);
  return out;
}

Tensor take(const Tensor& a, const Tensor& index) { return a.take(index); }

}  // namespace ember
