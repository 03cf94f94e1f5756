// Native index_add (the device's index_add kernel, which index_select's gradient also
// uses), index_copy's and index_reduce's checks, the flat positions of a mask's trues and repeat_interleave's
// indices: the pieces autograd/functions/index_ops.cpp composes the public ops from.
#include <algorithm>
#include <vector>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/native_indexing.h"

namespace ember::native {
namespace {

int64_t size_or_one(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.size(d); }

// index_add_'s and index_copy_'s common checks (PyTorch's messages, op naming the method).
void check_index_vector(const char* op, const Tensor& self, const Tensor& index, const Tensor& source) {
  EMBER_CHECK(self.defined() && index.defined() && source.defined(), op, ": expected defined tensors");
  EMBER_CHECK(index.dtype() == kInt64, op, ": Expected dtype int64 for index but got: ", dtype_torch_name(index.dtype()));
  EMBER_CHECK(index.dim() <= 1, op, ": Index is supposed to be a vector, but got dim: ", index.dim(),
              " with size: ", index.sizes());
  check_same_device(self, {&index, &source}, op);
}

// source's slices must be self's: the same dims (a scalar counts as one element) and sizes
// apart from dim, where it has index.numel().
void check_slices(const char* op, const Tensor& self, int64_t d, const Tensor& index, const Tensor& source) {
  EMBER_CHECK(std::max<int64_t>(self.dim(), 1) == std::max<int64_t>(source.dim(), 1), op,
              ": source and self must have the same number of dimensions, but got source of shape ", source.sizes(),
              " for self of shape ", self.sizes());
  EMBER_CHECK(index.numel() == size_or_one(source, d), op, ": Number of indices (", index.numel(),
              ") should be equal to source.size(dim): (", size_or_one(source, d), "), for dim: ", d);
  for (int64_t k = 0; k < self.dim(); ++k) {
    EMBER_CHECK(k == d || self.size(k) == source.size(k), op,
                ": Source/destination tensor must have same slice shapes: self ", self.sizes(), ", source ",
                source.sizes(), " differ at dimension ", k, " (dim is ", d, ")");
  }
}

}  // namespace

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  check_index_vector("index_add_()", self, index, source);
  const int64_t d = wrap_dim(dim, self.dim());
  EMBER_CHECK(self.dtype() == source.dtype(), "index_add_(): self (", dtype_torch_name(self.dtype()), ") and source (",
              dtype_torch_name(source.dtype()), ") must have the same scalar type");
  const DType dt = self.dtype();
  EMBER_CHECK(is_floating(dt), "\"index_add\" not implemented for '", dtype_torch_name(dt),
              "' in ember (float32, float64, bfloat16 and float16 are)");
  check_slices("index_add_()", self, d, index, source);
  Tensor out = clone(self);
  if (index.numel() == 0 || out.numel() == 0) return out;
  Tensor added = alpha.to_double() == 1.0 ? source : mul(source, alpha);
  if (!added.is_contiguous()) added = clone(added);
  const Tensor idx = index.is_contiguous() ? index : clone(index);
  IndexLayout l;
  for (int64_t k = 0; k < self.dim(); ++k) {
    if (k < d) l.outer *= self.size(k);
    else if (k > d) l.inner *= self.size(k);
  }
  l.size = size_or_one(self, d);
  l.count = index.numel();
  device_ops(self.device()).index_add(out, idx, l, added);
  return out;
}

int64_t check_index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  check_index_vector("index_copy_()", self, index, source);
  const int64_t d = wrap_dim(dim, self.dim());
  EMBER_CHECK(self.dtype() == source.dtype(), "index_copy_(): self and source expected to have the same dtype, but got (self) ",
              dtype_torch_name(self.dtype()), " and (source) ", dtype_torch_name(source.dtype()));
  check_slices("index_copy_()", self, d, index, source);
  return d;
}

int64_t check_index_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                           std::string_view reduce) {
  EMBER_CHECK(reduce == "prod" || reduce == "mean" || reduce == "amax" || reduce == "amin",
              "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got ", reduce, ".");
  check_index_vector("index_reduce_()", self, index, source);
  const int64_t d = wrap_dim(dim, self.dim());
  EMBER_CHECK(self.dtype() == source.dtype(), "index_reduce_(): self (", dtype_torch_name(self.dtype()),
              ") and source (", dtype_torch_name(source.dtype()), ") must have the same scalar type");
  check_slices("index_reduce_()", self, d, index, source);
  return d;
}

Tensor index_along(const Tensor& index, int64_t dim, const Dims& shape) {
  if (shape.empty()) return reshape(index, {});  // a scalar self: the one index value
  Dims along = Dims::filled(shape.size(), 1);
  along[static_cast<size_t>(dim)] = index.numel();
  return expand(reshape(index, along), shape);
}

Tensor true_positions(const Tensor& mask) {
  EMBER_CHECK(mask.dtype() == kBool, "expected a kBool mask, got ", dtype_torch_name(mask.dtype()));
  if (mask.numel() == 0) return zeros({0}, TensorOptions(kInt64).device(mask.device()));
  const Tensor flat = reshape(mask, {mask.numel()});
  return device_ops(mask.device()).true_positions(flat.is_contiguous() ? flat : clone(flat));
}

Tensor true_positions_by_scan(const Tensor& flat) {
  const TensorOptions longs = TensorOptions(kInt64).device(flat.device());
  // The k-th true (counting from 0) goes to slot k; the falses all to one slot past them,
  // dropped at the end.
  const Tensor rank = cumsum(flat, 0);
  const int64_t count = select(rank, 0, flat.numel() - 1).item<int64_t>();
  const Tensor slot = where(flat, sub(rank, 1), Scalar(count));
  const Tensor positions = scatter(zeros({count + 1}, longs), 0, slot, arange(flat.numel(), longs));
  return narrow(positions, 0, 0, count);
}

Tensor repeat_interleave_indices(const Tensor& repeats, std::optional<int64_t> output_size) {
  EMBER_CHECK(repeats.defined(), "repeat_interleave: expected a defined repeats tensor");
  EMBER_CHECK(repeats.dim() <= 1, "repeat_interleave only accept 1D vector as repeat, but got repeats of shape ",
              repeats.sizes());
  EMBER_CHECK(repeats.dtype() == kInt64, "repeat_interleave: repeats must be an int64 tensor, but got ",
              dtype_torch_name(repeats.dtype()));
  const std::vector<int64_t> counts = to_device(repeats, Device::cpu()).to_vector<int64_t>();
  int64_t total = 0;
  for (int64_t r : counts) {
    EMBER_CHECK(r >= 0, "repeats can not be negative (got ", r, ")");
    total += r;
  }
  EMBER_CHECK(!output_size || *output_size == total, "allocated size does not match required size");
  std::vector<int64_t> indices;
  indices.reserve(static_cast<size_t>(total));
  for (size_t i = 0; i < counts.size(); ++i) indices.insert(indices.end(), static_cast<size_t>(counts[i]), static_cast<int64_t>(i));
  const Tensor out = tensor(indices, {total}, TensorOptions(kInt64));
  return repeats.device().is_cpu() ? out : to_device(out, repeats.device());
}

}  // namespace ember::native
