// Differentiable index_add, index_copy, index_reduce, index_fill, masked_select, masked_scatter,
// take_along_dim and repeat_interleave (core/ops.h), and their in-place forms. index_add
// is the device's index_add kernel plus one node; the others are composed of scatter,
// where, gather and index_select, whose gradients are PyTorch's formulas for these ops.
// The in-place forms run out of place and write back (autograd::composed_inplace).
#include "autograd/function_node.h"
#include "autograd/functions/inplace_record.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/native_indexing.h"
#include "core/ops.h"

namespace ember {

using autograd::composed_inplace;
using autograd::needs_grad;
using autograd::tensor_list;

namespace {

// index_fill's index checks (PyTorch's messages).
void check_fill_index(const Tensor& self, const Tensor& index) {
  EMBER_CHECK(self.defined() && index.defined(), "index_fill_(): expected defined tensors");
  EMBER_CHECK(index.dtype() == kInt64, "index_fill_(): Expected dtype int64 for index, but got ",
              dtype_torch_name(index.dtype()));
  EMBER_CHECK(index.dim() <= 1, "index_fill_(): Index is supposed to be a vector, but got dim: ", index.dim(),
              " with size: ", index.sizes());
  native::check_same_device(self, {&index}, "index_fill_()");
}

// index_fill with value (self's dtype and device, 0-dim): where(mask, value, self), the mask
// true on the indexed slices (a scatter along dim of a [1, .., size, .., 1] bool tensor, so a
// bad index is scatter's error for dim). Negative indices count from the end, as PyTorch's.
Tensor index_fill_value(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  check_fill_index(self, index);
  if (self.dim() == 0) return index_fill_value(self.reshape({1}), dim, index, value).reshape({});
  const int64_t d = wrap_dim(dim, self.dim());
  Dims along = Dims::filled(static_cast<size_t>(self.dim()), 1);
  along[static_cast<size_t>(d)] = self.size(d);
  Dims index_shape = Dims::filled(along.size(), 1);
  index_shape[static_cast<size_t>(d)] = index.numel();
  const Tensor idx = native::reshape(index, index_shape);
  const Tensor wrapped = native::where(native::lt(idx, Scalar(0)), native::add(idx, Scalar(self.size(d))), idx);
  // A value still below zero was below -size: reported as given.
  const Tensor checked = native::where(native::lt(wrapped, Scalar(0)), idx, wrapped);
  const Tensor mask = native::scatter(zeros(along, TensorOptions(kBool).device(self.device())), d, checked, true);
  return where(mask, value, self);
}

// The shape a and mask broadcast to (masked_select, masked_scatter), mask checked.
Dims masked_shape(const char* op, const Tensor& a, const Tensor& mask) {
  EMBER_CHECK(a.defined() && mask.defined(), op, ": expected defined tensors");
  EMBER_CHECK(mask.dtype() == kBool, op, ": expected BoolTensor for mask, but got ", dtype_torch_name(mask.dtype()));
  native::check_same_device(a, {&mask}, op);
  return broadcast_shapes(a.sizes(), mask.sizes());
}

Tensor flattened(const Tensor& t) { return t.reshape({t.numel()}); }

}  // namespace

Tensor index_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  Tensor out = native::index_add(a, dim, index, source, alpha);
  if (autograd::will_record_into(out, a, source)) {
    const int64_t d = wrap_dim(dim, a.dim());
    autograd::record("IndexAddBackward", {&a, &source}, {&out}, {index},
                     [d, alpha](const tensor_list& g, const tensor_list& s, const auto& in) {
                       Tensor gs;
                       if (needs_grad(in, 1)) {
                         gs = ember::index_select(g[0], d, s[0]);
                         if (alpha.to_double() != 1.0) gs = ember::mul(gs, alpha);
                         if (gs.sizes() != in[1].shape) gs = autograd::formula::reshape(gs, in[1].shape);
                       }
                       return tensor_list{needs_grad(in, 0) ? g[0] : Tensor(), gs};
                     })->set_differentiable_backward();
  }
  return out;
}

// scatter of source's slices: a's gradient is zero at the copied slices, source's the
// incoming slices at index (index_select), as PyTorch's.
Tensor index_copy(const Tensor& a_in, int64_t dim, const Tensor& index, const Tensor& source_in) {
  // On PyTorch's CPU autocast promote list: a bf16 self and a float32 source meet in float32.
  Tensor a = a_in, source = source_in;
  if (a_in.defined() && a_in.is_cpu() && autocast::is_enabled(DeviceType::CPU)) {
    const std::vector<Tensor> promoted = autocast::promote_inputs({a_in, source_in});
    a = promoted[0], source = promoted[1];
  }
  const int64_t d = native::check_index_copy(a, dim, index, source);
  return ember::scatter(a, d, native::index_along(index, d, source.sizes()), source);
}

// scatter_reduce of source's slices at index along dim.
Tensor index_reduce(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& source, std::string_view reduce,
                    bool include_self) {
  const int64_t d = native::check_index_reduce(a, dim, index, source, reduce);
  return ember::scatter_reduce(a, d, native::index_along(index, d, source.sizes()), source, reduce, include_self);
}

Tensor index_fill(const Tensor& a, int64_t dim, const Tensor& index, const Scalar& value) {
  EMBER_CHECK(a.defined(), "index_fill_(): expected defined tensors");
  return index_fill_value(a, dim, index, scalar_tensor(value, a.options()));
}
Tensor index_fill(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& value) {
  EMBER_CHECK(a.defined() && value.defined(), "index_fill_(): expected defined tensors");
  EMBER_CHECK(value.dim() == 0, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
              value.dim(), " dimension(s).");
  return index_fill_value(a, dim, index, value.to(a.device(), a.dtype()));
}

Tensor masked_select(const Tensor& a, const Tensor& mask) {
  const Dims shape = masked_shape("masked_select", a, mask);
  const Tensor positions = native::true_positions(native::expand(mask, shape));
  return ember::index_select(flattened(a.expand(shape)), 0, positions);
}

Tensor masked_scatter(const Tensor& a, const Tensor& mask, const Tensor& source) {
  const Dims shape = masked_shape("masked_scatter", a, mask);
  EMBER_CHECK(source.defined(), "masked_scatter: expected a defined source");
  EMBER_CHECK(a.dtype() == source.dtype(), "masked_scatter: expected self and source to have same dtypes but got ",
              dtype_torch_name(a.dtype()), " and ", dtype_torch_name(source.dtype()));
  native::check_same_device(a, {&source}, "masked_scatter");
  const Tensor positions = native::true_positions(native::expand(mask, shape));
  const int64_t count = positions.numel();
  EMBER_CHECK(source.numel() >= count,
              "masked_scatter: expected source to have at least as many elements as ones in mask (Number of "
              "elements of source < number of ones in mask): source has ",
              source.numel(), ", mask has ", count, " ones");
  const Tensor taken = flattened(source).narrow(0, 0, count);
  return ember::index_copy(flattened(a.expand(shape)), 0, positions, taken).reshape(shape);
}

Tensor take_along_dim(const Tensor& a, const Tensor& indices, std::optional<int64_t> dim) {
  EMBER_CHECK(a.defined() && indices.defined(), "torch.take_along_dim(): expected defined tensors");
  EMBER_CHECK(indices.dtype() == kInt64, "torch.take_along_dim(): dtype of indices should be Long but got ",
              dtype_torch_name(indices.dtype()));
  native::check_same_device(a, {&indices}, "torch.take_along_dim()");
  if (!dim) return ember::gather(flattened(a), 0, flattened(indices));
  const int64_t d = wrap_dim(*dim, a.dim());
  EMBER_CHECK(a.dim() == indices.dim(),
              "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ",
              a.dim(), " dimensions for input, and ", indices.dim(), " dimensions for indices");
  if (a.dim() == 0) return ember::gather(a, 0, indices);
  Dims a_shape = a.sizes(), i_shape = indices.sizes();
  const auto k = static_cast<size_t>(d);
  a_shape[k] = i_shape[k] = 1;
  Dims shape = broadcast_shapes(a_shape, i_shape);
  a_shape = i_shape = shape;
  a_shape[k] = a.size(d);
  i_shape[k] = indices.size(d);
  return ember::gather(a.expand(a_shape), d, indices.expand(i_shape));
}

Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size) {
  return native::repeat_interleave_indices(repeats, output_size);
}

Tensor repeat_interleave(const Tensor& a, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  EMBER_CHECK(a.defined() && repeats.defined(), "repeat_interleave: expected defined tensors");
  if (!dim) return repeat_interleave(flattened(a), repeats, 0, output_size);
  const int64_t d = wrap_dim(*dim, a.dim());
  EMBER_CHECK(repeats.dim() <= 1, "repeat_interleave only accept 1D vector as repeat, but got repeats of shape ",
              repeats.sizes());
  const int64_t size = a.dim() == 0 ? 1 : a.size(d);
  Tensor counts = repeats;
  if (repeats.numel() == 1 && size != 1) counts = native::expand(native::reshape(repeats, {1}), {size});
  EMBER_CHECK(counts.numel() == size, "repeats must have the same size as input along dim, but got repeats.size(0) = ",
              counts.numel(), " and input.size(", d, ") = ", size);
  Tensor indices = native::repeat_interleave_indices(counts, output_size);
  if (indices.device() != a.device()) indices = native::to_device(indices, a.device());
  return ember::index_select(a, d, indices);
}

Tensor repeat_interleave(const Tensor& a, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  EMBER_CHECK(repeats >= 0, "repeats can not be negative (got ", repeats, ")");
  return repeat_interleave(a, scalar_tensor(repeats, TensorOptions(kInt64)), dim, output_size);
}

// ---- methods ----
Tensor Tensor::index_add(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) const {
  return ember::index_add(*this, dim, index, source, alpha);
}
Tensor Tensor::index_copy(int64_t dim, const Tensor& index, const Tensor& source) const {
  return ember::index_copy(*this, dim, index, source);
}
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, const Scalar& value) const {
  return ember::index_fill(*this, dim, index, value);
}
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, const Tensor& value) const {
  return ember::index_fill(*this, dim, index, value);
}
Tensor& Tensor::index_add_(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  return composed_inplace("IndexAddBackward", *this, [&] { return ember::index_add(*this, dim, index, source, alpha); });
}
Tensor Tensor::index_reduce(int64_t dim, const Tensor& index, const Tensor& source, std::string_view reduce,
                            bool include_self) const {
  return ember::index_reduce(*this, dim, index, source, reduce, include_self);
}
Tensor& Tensor::index_reduce_(int64_t dim, const Tensor& index, const Tensor& source, std::string_view reduce,
                              bool include_self) {
  return composed_inplace("IndexReduceBackward", *this,
                          [&] { return ember::index_reduce(*this, dim, index, source, reduce, include_self); });
}
Tensor& Tensor::index_copy_(int64_t dim, const Tensor& index, const Tensor& source) {
  return composed_inplace("IndexCopyBackward", *this, [&] { return ember::index_copy(*this, dim, index, source); });
}
Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, const Scalar& value) {
  return composed_inplace("IndexFillBackward", *this, [&] { return ember::index_fill(*this, dim, index, value); });
}
Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, const Tensor& value) {
  return composed_inplace("IndexFillBackward", *this, [&] { return ember::index_fill(*this, dim, index, value); });
}
Tensor Tensor::masked_select(const Tensor& mask) const { return ember::masked_select(*this, mask); }
Tensor Tensor::masked_scatter(const Tensor& mask, const Tensor& source) const {
  return ember::masked_scatter(*this, mask, source);
}
Tensor& Tensor::masked_scatter_(const Tensor& mask, const Tensor& source) {
  const Dims shape = masked_shape("masked_scatter_", *this, mask);
  EMBER_CHECK(shape == sizes(), "masked_scatter_: mask of shape ", mask.sizes(), " cannot be broadcast to self of shape ",
              sizes());
  return composed_inplace("MaskedScatterBackward", *this, [&] { return ember::masked_scatter(*this, mask, source); });
}
Tensor Tensor::take_along_dim(const Tensor& indices, std::optional<int64_t> dim) const {
  return ember::take_along_dim(*this, indices, dim);
}
Tensor Tensor::repeat_interleave(int64_t repeats, std::optional<int64_t> dim,
                                 std::optional<int64_t> output_size) const {
  return ember::repeat_interleave(*this, repeats, dim, output_size);
}
Tensor Tensor::repeat_interleave(const Tensor& repeats, std::optional<int64_t> dim,
                                 std::optional<int64_t> output_size) const {
  return ember::repeat_interleave(*this, repeats, dim, output_size);
}

}  // namespace ember
