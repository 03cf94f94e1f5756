// Views: tensors that share their base's storage (and so its version counter) with
// new sizes, strides and offset. reshape() copies only when no view can express it.
#include <algorithm>
#include <optional>
#include <utility>

#include "core/tensor.h"

namespace ember {

namespace {

// The one way a view is made: base's storage, dtype and flags, new geometry.
// (requires_grad is copied for now; autograd will give views their own grad_fn.)
Tensor make_view(const Tensor& base, const Dims& sizes, const Dims& strides, int64_t offset) {
  const TensorImpl& from = base.impl();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = from.storage;
  impl->sizes = sizes;
  impl->strides = strides;
  impl->offset = offset;
  impl->numel = shape_numel(sizes);
  impl->dtype = from.dtype;
  impl->requires_grad = from.requires_grad;
  impl->is_inference = from.is_inference;
  return Tensor(std::move(impl));
}

size_t checked_dim(int64_t dim, int64_t ndim) { return static_cast<size_t>(wrap_dim(dim, ndim)); }

void check_not_scalar(const Tensor& t, const char* op) {
  EMBER_CHECK(t.dim() > 0, op, "() cannot be applied to a 0-dim tensor.");
}

// Strides that let `new_sizes` view memory laid out as (sizes, strides), or nullopt.
// The old dims are walked from the innermost out, grouped into chunks that are
// contiguous among themselves; the new dims must split each chunk exactly (same
// element count), taking their strides from the chunk's innermost stride.
std::optional<Dims> view_strides(const Dims& sizes, const Dims& strides, const Dims& new_sizes) {
  if (sizes.empty()) return Dims::filled(new_sizes.size(), 1);
  const int64_t numel = shape_numel(sizes);
  if (numel == 0) {
    if (sizes == new_sizes) return strides;
    return contiguous_strides(new_sizes);
  }
  Dims new_strides = Dims::filled(new_sizes.size(), 0);
  int64_t new_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_stride = strides.back();
  int64_t chunk_numel = 1;
  int64_t covered_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    chunk_numel *= sizes[d];
    const bool chunk_ends =
        d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != chunk_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (new_d >= 0 && (covered_numel < chunk_numel || new_sizes[new_d] == 1)) {
      new_strides[new_d] = covered_numel * chunk_stride;
      covered_numel *= new_sizes[new_d];
      --new_d;
    }
    if (covered_numel != chunk_numel) return std::nullopt;
    if (d > 0) {
      chunk_stride = strides[d - 1];
      chunk_numel = 1;
      covered_numel = 1;
    }
  }
  if (new_d != -1) return std::nullopt;
  return new_strides;
}

}  // namespace

Tensor Tensor::view(const Dims& shape) const {
  Dims new_sizes = infer_size(shape, numel());
  std::optional<Dims> new_strides = view_strides(sizes(), strides(), new_sizes);
  EMBER_CHECK(new_strides.has_value(),
              "view size is not compatible with input tensor's size and stride (at least one "
              "dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  return make_view(*this, new_sizes, *new_strides, storage_offset());
}

Tensor Tensor::reshape(const Dims& shape) const {
  Dims new_sizes = infer_size(shape, numel());
  if (std::optional<Dims> new_strides = view_strides(sizes(), strides(), new_sizes)) {
    return make_view(*this, new_sizes, *new_strides, storage_offset());
  }
  return clone().view(new_sizes);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  const size_t a = checked_dim(dim0, dim()), b = checked_dim(dim1, dim());
  Dims new_sizes = sizes(), new_strides = strides();
  if (!new_sizes.empty()) {
    std::swap(new_sizes[a], new_sizes[b]);
    std::swap(new_strides[a], new_strides[b]);
  }
  return make_view(*this, new_sizes, new_strides, storage_offset());
}

Tensor Tensor::t() const {
  EMBER_CHECK(dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", dim(), "D");
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::permute(const Dims& dims) const {
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == dim(),
              "permute(): number of dimensions in the tensor input does not match the length of "
              "the desired ordering of dimensions i.e. input.dim() = ",
              dim(), " is not equal to len(dims) = ", dims.size());
  Dims new_sizes = sizes(), new_strides = strides();
  Dims seen = Dims::filled(dims.size(), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    const size_t d = checked_dim(dims[i], dim());
    EMBER_CHECK(!seen[d], "permute(): duplicate dims are not allowed (got ", dims, ")");
    seen[d] = 1;
    new_sizes[i] = sizes()[d];
    new_strides[i] = strides()[d];
  }
  return make_view(*this, new_sizes, new_strides, storage_offset());
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const size_t start = checked_dim(start_dim, dim()), end = checked_dim(end_dim, dim());
  EMBER_CHECK(start <= end, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (start == end) return *this;
  Dims new_sizes;
  for (size_t d = 0; d < start; ++d) new_sizes.push_back(sizes()[d]);
  int64_t merged = 1;
  for (size_t d = start; d <= end; ++d) merged *= sizes()[d];
  new_sizes.push_back(merged);
  for (size_t d = end + 1; d < sizes().size(); ++d) new_sizes.push_back(sizes()[d]);
  return reshape(new_sizes);
}

Tensor Tensor::unflatten(int64_t dim_to_split, const Dims& split_sizes) const {
  check_not_scalar(*this, "unflatten");
  const size_t d = checked_dim(dim_to_split, dim());
  EMBER_CHECK(!split_sizes.empty(), "unflatten: sizes must be non-empty");
  int64_t known = 1;
  bool has_inferred = false;
  for (int64_t s : split_sizes) {
    if (s == -1) has_inferred = true;
    else known *= s;
  }
  const bool fits = has_inferred ? known != 0 && sizes()[d] % known == 0 : known == sizes()[d];
  EMBER_CHECK(fits, "unflatten: Provided sizes ", split_sizes, " don't multiply up to the size of dim ",
              d, " (", sizes()[d], ") in the input tensor");
  Dims new_sizes;
  for (size_t i = 0; i < d; ++i) new_sizes.push_back(sizes()[i]);
  for (int64_t s : infer_size(split_sizes, sizes()[d])) new_sizes.push_back(s);
  for (size_t i = d + 1; i < sizes().size(); ++i) new_sizes.push_back(sizes()[i]);
  return view(new_sizes);
}

Tensor Tensor::narrow(int64_t dim_to_narrow, int64_t start, int64_t length) const {
  check_not_scalar(*this, "narrow");
  const size_t d = checked_dim(dim_to_narrow, dim());
  const int64_t size = sizes()[d];
  EMBER_CHECK(start >= -size && start <= size, "start out of range (expected to be in range of [",
              -size, ", ", size, "], but got ", start, ")");
  if (start < 0) start += size;
  EMBER_CHECK(length >= 0, "narrow(): length must be non-negative, but got ", length);
  EMBER_CHECK(start + length <= size, "start (", start, ") + length (", length,
              ") exceeds dimension size (", size, ").");
  return slice(static_cast<int64_t>(d), start, start + length);
}

Tensor Tensor::slice(int64_t dim_to_slice, std::optional<int64_t> start, std::optional<int64_t> end,
                     int64_t step) const {
  check_not_scalar(*this, "slice");
  EMBER_CHECK(step > 0, "slice step must be positive, but got ", step);
  const size_t d = checked_dim(dim_to_slice, dim());
  const int64_t size = sizes()[d];
  // Python rules: negative bounds count from the end, then both clamp to [0, size].
  auto clamp_bound = [size](int64_t bound) {
    if (bound < 0) bound += size;
    return bound < 0 ? 0 : (bound > size ? size : bound);
  };
  const int64_t first = clamp_bound(start.value_or(0));
  const int64_t last = std::max(first, clamp_bound(end.value_or(size)));
  Dims new_sizes = sizes(), new_strides = strides();
  new_sizes[d] = (last - first + step - 1) / step;
  new_strides[d] = strides()[d] * step;
  return make_view(*this, new_sizes, new_strides, storage_offset() + first * strides()[d]);
}

Tensor Tensor::select(int64_t dim_to_select, int64_t index) const {
  check_not_scalar(*this, "select");
  const size_t d = checked_dim(dim_to_select, dim());
  const int64_t size = sizes()[d];
  EMBER_CHECK(index >= -size && index < size, "index ", index, " is out of bounds for dimension ", d,
              " with size ", size);
  if (index < 0) index += size;
  Dims new_sizes = sizes(), new_strides = strides();
  new_sizes.erase(d);
  new_strides.erase(d);
  return make_view(*this, new_sizes, new_strides, storage_offset() + index * strides()[d]);
}

Tensor Tensor::expand(const Dims& target) const {
  EMBER_CHECK(target.size() >= sizes().size(), "expand: the number of sizes provided (", target.size(),
              ") must be greater or equal to the number of dimensions in the tensor (", dim(), ")");
  const size_t leading = target.size() - sizes().size();
  Dims new_sizes = target, new_strides = Dims::filled(target.size(), 0);
  for (size_t i = 0; i < target.size(); ++i) {
    if (i < leading) {
      EMBER_CHECK(target[i] >= 0, "The expanded size of the tensor (", target[i],
                  ") isn't allowed in a leading, non-existing dimension ", i);
      continue;  // a new leading dim repeats the whole tensor: stride 0
    }
    const int64_t old_size = sizes()[i - leading];
    if (target[i] == -1) new_sizes[i] = old_size;
    if (new_sizes[i] == old_size) {
      new_strides[i] = strides()[i - leading];
    } else {
      EMBER_CHECK(old_size == 1 && new_sizes[i] >= 0, "The expanded size of the tensor (", target[i],
                  ") must match the existing size (", old_size, ") at non-singleton dimension ", i,
                  ".  Target sizes: ", target, ".  Tensor sizes: ", sizes());
    }
  }
  return make_view(*this, new_sizes, new_strides, storage_offset());
}

Tensor Tensor::squeeze() const {
  Dims new_sizes, new_strides;
  for (size_t d = 0; d < sizes().size(); ++d) {
    if (sizes()[d] == 1) continue;
    new_sizes.push_back(sizes()[d]);
    new_strides.push_back(strides()[d]);
  }
  return make_view(*this, new_sizes, new_strides, storage_offset());
}

Tensor Tensor::squeeze(int64_t dim_to_squeeze) const {
  const size_t d = checked_dim(dim_to_squeeze, dim());
  Dims new_sizes = sizes(), new_strides = strides();
  if (!new_sizes.empty() && new_sizes[d] == 1) {
    new_sizes.erase(d);
    new_strides.erase(d);
  }
  return make_view(*this, new_sizes, new_strides, storage_offset());
}

Tensor Tensor::unsqueeze(int64_t dim_to_insert) const {
  const size_t d = checked_dim(dim_to_insert, dim() + 1);
  // The new size-1 dim's stride only matters for contiguity checks: make it natural.
  const int64_t stride = d < sizes().size() ? sizes()[d] * strides()[d] : 1;
  Dims new_sizes = sizes(), new_strides = strides();
  new_sizes.insert(d, 1);
  new_strides.insert(d, stride);
  return make_view(*this, new_sizes, new_strides, storage_offset());
}

Tensor Tensor::as_strided(const Dims& new_sizes, const Dims& new_strides, std::optional<int64_t> offset) const {
  EMBER_CHECK(new_sizes.size() == new_strides.size(), "as_strided: mismatch in length of strides (",
              new_strides.size(), ") and shape (", new_sizes.size(), ")");
  const int64_t new_offset = offset.value_or(storage_offset());
  EMBER_CHECK(new_offset >= 0, "as_strided: Tensor: invalid storage offset ", new_offset);
  int64_t last_index = new_offset;  // highest element index the view touches
  bool empty = false;
  for (size_t i = 0; i < new_sizes.size(); ++i) {
    EMBER_CHECK(new_sizes[i] >= 0, "as_strided: Trying to create tensor with negative dimension ",
                new_sizes[i], ": ", new_sizes);
    EMBER_CHECK(new_strides[i] >= 0, "as_strided: Negative strides are not supported at the moment, got strides: ",
                new_strides);
    if (new_sizes[i] == 0) empty = true;
    else last_index += (new_sizes[i] - 1) * new_strides[i];
  }
  const int64_t needed_bytes = empty ? 0 : (last_index + 1) * static_cast<int64_t>(element_size());
  const auto storage_bytes = static_cast<int64_t>(storage()->nbytes());
  EMBER_CHECK(needed_bytes <= storage_bytes, "setStorage: sizes ", new_sizes, ", strides ", new_strides,
              ", storage offset ", new_offset, ", and itemsize ", element_size(), " requiring a storage size of ",
              needed_bytes, " are out of bounds for storage of size ", storage_bytes);
  return make_view(*this, new_sizes, new_strides, new_offset);
}

}  // namespace ember
