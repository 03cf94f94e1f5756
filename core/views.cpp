// The native (unrecorded) views: tensors that share their base's storage, and so its
// version counter, with new sizes, strides and offset. reshape() copies only when no
// view can express it. Tensor's methods wrap these with recording (autograd/functions).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "core/native.h"

namespace ember::native {

namespace {

// The one way a view is made: base's storage, dtype and inference flag, new geometry.
// requires_grad stays false: recording a view (autograd) sets it with the grad_fn.
Tensor make_view(const Tensor& base, const Dims& sizes, const Dims& strides, int64_t offset) {
  const TensorImpl& from = base.impl();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = from.storage;
  impl->sizes = sizes;
  impl->strides = strides;
  impl->offset = offset;
  impl->numel = shape_numel(sizes);
  impl->dtype = from.dtype;
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

Tensor view(const Tensor& a, const Dims& shape) {
  Dims new_sizes = infer_size(shape, a.numel());
  std::optional<Dims> new_strides = view_strides(a.sizes(), a.strides(), new_sizes);
  EMBER_CHECK(new_strides.has_value(),
              "view size is not compatible with input tensor's size and stride (at least one "
              "dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  return make_view(a, new_sizes, *new_strides, a.storage_offset());
}

Tensor reshape(const Tensor& a, const Dims& shape) {
  Dims new_sizes = infer_size(shape, a.numel());
  if (std::optional<Dims> new_strides = view_strides(a.sizes(), a.strides(), new_sizes)) {
    return make_view(a, new_sizes, *new_strides, a.storage_offset());
  }
  return view(clone(a), new_sizes);
}

Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
  const size_t d0 = checked_dim(dim0, a.dim()), d1 = checked_dim(dim1, a.dim());
  Dims new_sizes = a.sizes(), new_strides = a.strides();
  if (!new_sizes.empty()) {
    std::swap(new_sizes[d0], new_sizes[d1]);
    std::swap(new_strides[d0], new_strides[d1]);
  }
  return make_view(a, new_sizes, new_strides, a.storage_offset());
}

Tensor permute(const Tensor& a, const Dims& dims) {
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == a.dim(),
              "permute(): number of dimensions in the tensor input does not match the length of "
              "the desired ordering of dimensions i.e. input.dim() = ",
              a.dim(), " is not equal to len(dims) = ", dims.size());
  Dims new_sizes = a.sizes(), new_strides = a.strides();
  Dims seen = Dims::filled(dims.size(), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    const size_t d = checked_dim(dims[i], a.dim());
    EMBER_CHECK(!seen[d], "permute(): duplicate dims are not allowed (got ", dims, ")");
    seen[d] = 1;
    new_sizes[i] = a.sizes()[d];
    new_strides[i] = a.strides()[d];
  }
  return make_view(a, new_sizes, new_strides, a.storage_offset());
}

Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim) {
  if (a.dim() == 0) {  // the dims checked as a 1-D tensor's first, as PyTorch's
    checked_dim(start_dim, 1);
    checked_dim(end_dim, 1);
    return reshape(a, {1});
  }
  const size_t start = checked_dim(start_dim, a.dim()), end = checked_dim(end_dim, a.dim());
  EMBER_CHECK(start <= end, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (start == end) return a;
  Dims new_sizes;
  for (size_t d = 0; d < start; ++d) new_sizes.push_back(a.sizes()[d]);
  int64_t merged = 1;
  for (size_t d = start; d <= end; ++d) merged *= a.sizes()[d];
  new_sizes.push_back(merged);
  for (size_t d = end + 1; d < a.sizes().size(); ++d) new_sizes.push_back(a.sizes()[d]);
  return reshape(a, new_sizes);
}

Tensor unflatten(const Tensor& a, int64_t dim, const Dims& sizes) {
  check_not_scalar(a, "unflatten");
  const size_t d = checked_dim(dim, a.dim());
  const int64_t size = a.sizes()[d];
  EMBER_CHECK(!sizes.empty(), "unflatten: sizes must be non-empty");
  int64_t known = 1;
  bool has_inferred = false;
  for (int64_t s : sizes) {
    if (s == -1) has_inferred = true;
    else known *= s;
  }
  const bool fits = has_inferred ? known != 0 && size % known == 0 : known == size;
  EMBER_CHECK(fits, "unflatten: Provided sizes ", sizes, " don't multiply up to the size of dim ", d, " (",
              size, ") in the input tensor");
  Dims new_sizes;
  for (size_t i = 0; i < d; ++i) new_sizes.push_back(a.sizes()[i]);
  for (int64_t s : infer_size(sizes, size)) new_sizes.push_back(s);
  for (size_t i = d + 1; i < a.sizes().size(); ++i) new_sizes.push_back(a.sizes()[i]);
  return view(a, new_sizes);
}

Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
  check_not_scalar(a, "narrow");
  const size_t d = checked_dim(dim, a.dim());
  const int64_t size = a.sizes()[d];
  EMBER_CHECK(start >= -size && start <= size, "start out of range (expected to be in range of [", -size, ", ",
              size, "], but got ", start, ")");
  if (start < 0) start += size;
  EMBER_CHECK(length >= 0, "narrow(): length must be non-negative, but got ", length);
  EMBER_CHECK(length <= size - start, "start (", start, ") + length (", length, ") exceeds dimension size (", size,
              ").");  // without start + length, which may overflow
  return slice(a, static_cast<int64_t>(d), start, start + length, 1);
}

Tensor slice(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) {
  check_not_scalar(a, "slice");
  EMBER_CHECK(step > 0, "slice step must be positive, but got ", step);
  const size_t d = checked_dim(dim, a.dim());
  const int64_t size = a.sizes()[d];
  // Python rules: negative bounds count from the end, then both clamp to [0, size].
  auto clamp_bound = [size](int64_t bound) {
    if (bound < 0) bound += size;
    return bound < 0 ? 0 : (bound > size ? size : bound);
  };
  const int64_t first = clamp_bound(start.value_or(0));
  const int64_t last = std::max(first, clamp_bound(end.value_or(size)));
  Dims new_sizes = a.sizes(), new_strides = a.strides();
  new_sizes[d] = (last - first + step - 1) / step;
  new_strides[d] = a.strides()[d] * step;
  return make_view(a, new_sizes, new_strides, a.storage_offset() + first * a.strides()[d]);
}

Tensor select(const Tensor& a, int64_t dim, int64_t index) {
  check_not_scalar(a, "select");
  const size_t d = checked_dim(dim, a.dim());
  const int64_t size = a.sizes()[d];
  EMBER_CHECK(index >= -size && index < size, "select(): index ", index, " out of range for tensor of size ",
              a.sizes(), " at dimension ", d);
  if (index < 0) index += size;
  Dims new_sizes = a.sizes(), new_strides = a.strides();
  new_sizes.erase(d);
  new_strides.erase(d);
  return make_view(a, new_sizes, new_strides, a.storage_offset() + index * a.strides()[d]);
}

Tensor expand(const Tensor& a, const Dims& sizes) {
  EMBER_CHECK(sizes.size() >= a.sizes().size(), "expand: the number of sizes provided (", sizes.size(),
              ") must be greater or equal to the number of dimensions in the tensor (", a.dim(), ")");
  const size_t leading = sizes.size() - a.sizes().size();
  Dims new_sizes = sizes, new_strides = Dims::filled(sizes.size(), 0);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i < leading) {
      EMBER_CHECK(sizes[i] >= 0, "The expanded size of the tensor (", sizes[i],
                  ") isn't allowed in a leading, non-existing dimension ", i);
      continue;  // a new leading dim repeats the whole tensor: stride 0
    }
    const int64_t old_size = a.sizes()[i - leading];
    if (sizes[i] == -1) new_sizes[i] = old_size;
    if (new_sizes[i] == old_size) {
      new_strides[i] = a.strides()[i - leading];
    } else {  // only a size-1 dim may grow; it repeats with stride 0
      EMBER_CHECK(old_size == 1 && new_sizes[i] >= 0, "The expanded size of the tensor (", sizes[i],
                  ") must match the existing size (", old_size, ") at non-singleton dimension ", i,
                  ".  Target sizes: ", sizes, ".  Tensor sizes: ", a.sizes());
    }
  }
  return make_view(a, new_sizes, new_strides, a.storage_offset());
}

// Without a dim: drops every size-1 dim. With one: drops it if its size is 1.
Tensor squeeze(const Tensor& a, std::optional<int64_t> dim) {
  const bool every_dim = !dim.has_value();
  const size_t only = every_dim ? 0 : checked_dim(*dim, a.dim());
  Dims new_sizes, new_strides;
  for (size_t d = 0; d < a.sizes().size(); ++d) {
    if (a.sizes()[d] == 1 && (every_dim || d == only)) continue;
    new_sizes.push_back(a.sizes()[d]);
    new_strides.push_back(a.strides()[d]);
  }
  return make_view(a, new_sizes, new_strides, a.storage_offset());
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
  const size_t d = checked_dim(dim, a.dim() + 1);
  // The new size-1 dim's stride only matters for contiguity checks: make it natural.
  const int64_t stride = d < a.sizes().size() ? a.sizes()[d] * a.strides()[d] : 1;
  Dims new_sizes = a.sizes(), new_strides = a.strides();
  new_sizes.insert(d, 1);
  new_strides.insert(d, stride);
  return make_view(a, new_sizes, new_strides, a.storage_offset());
}

Tensor as_strided(const Tensor& a, const Dims& sizes, const Dims& strides, std::optional<int64_t> offset) {
  EMBER_CHECK(sizes.size() == strides.size(), "as_strided: mismatch in length of strides (", strides.size(),
              ") and shape (", sizes.size(), ")");
  const int64_t new_offset = offset.value_or(a.storage_offset());
  EMBER_CHECK(new_offset >= 0, "as_strided: Tensor: invalid storage offset ", new_offset);
  int64_t last_index = new_offset;  // highest element index the view touches
  bool empty = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    EMBER_CHECK(sizes[i] >= 0, "as_strided: Trying to create tensor with negative dimension ", sizes[i], ": ",
                sizes);
    EMBER_CHECK(strides[i] >= 0, "as_strided: Negative strides are not supported at the moment, got strides: ",
                strides);
    if (sizes[i] == 0) empty = true;
  }
  // PyTorch's computeStorageNbytes: the arithmetic is checked, so a huge size cannot wrap
  // around into a small, in-bounds requirement.
  bool overflowed = false;
  for (size_t i = 0; i < sizes.size() && !empty; ++i) {
    int64_t span = 0;
    overflowed = overflowed || __builtin_mul_overflow(sizes[i] - 1, strides[i], &span) ||
                 __builtin_add_overflow(last_index, span, &last_index);
  }
  int64_t needed_bytes = 0;
  overflowed =
      overflowed ||
      (!empty && (__builtin_add_overflow(last_index, int64_t{1}, &needed_bytes) ||
                  __builtin_mul_overflow(needed_bytes, static_cast<int64_t>(a.element_size()), &needed_bytes)));
  EMBER_CHECK(!overflowed, "Storage size calculation overflowed with sizes=", sizes, " and strides=", strides);
  if (empty) needed_bytes = 0;
  const auto storage_bytes = static_cast<int64_t>(a.storage()->nbytes());
  EMBER_CHECK(needed_bytes <= storage_bytes, "setStorage: sizes ", sizes, ", strides ", strides,
              ", storage offset ", new_offset, ", and itemsize ", a.element_size(), " requiring a storage size of ",
              needed_bytes, " are out of bounds for storage of size ", storage_bytes);
  return make_view(a, sizes, strides, new_offset);
}

// Tensor.view(dtype), as PyTorch's view_dtype: make_view's sharing, with the geometry
// rescaled to the new element size.
Tensor view_dtype(const Tensor& a, DType dtype) {
  const int64_t from_size = static_cast<int64_t>(a.element_size());
  const int64_t to_size = static_cast<int64_t>(itemsize(dtype));
  auto reinterpret = [&](Dims sizes, Dims strides, int64_t offset) {
    Tensor out = make_view(a, sizes, strides, offset);
    out.impl().dtype = dtype;
    return out;
  };
  if (from_size == to_size) return reinterpret(a.sizes(), a.strides(), a.storage_offset());
  const std::string what = "to view " + std::string(dtype_torch_name(a.dtype())) + " as " +
                           std::string(dtype_torch_name(dtype)) + " (different element sizes)";
  EMBER_CHECK(a.dim() > 0, "self.dim() cannot be 0 ", what);
  const int64_t last = a.dim() - 1;
  EMBER_CHECK(a.stride(last) == 1, "self.stride(-1) must be 1 ", what, ", but got ", a.stride(last));
  Dims sizes = a.sizes(), strides = a.strides();
  if (from_size > to_size) {  // each element becomes `ratio` smaller ones
    const int64_t ratio = from_size / to_size;
    for (int64_t d = 0; d < last; ++d) strides[static_cast<size_t>(d)] *= ratio;
    sizes[static_cast<size_t>(last)] *= ratio;
    return reinterpret(sizes, strides, a.storage_offset() * ratio);
  }
  const int64_t ratio = to_size / from_size;  // `ratio` elements become one
  EMBER_CHECK(a.size(last) % ratio == 0, "self.size(-1) must be divisible by ", ratio, " ", what, ", but got ",
              a.size(last));
  EMBER_CHECK(a.storage_offset() % ratio == 0, "self.storage_offset() must be divisible by ", ratio, " ", what,
              ", but got ", a.storage_offset());
  for (int64_t d = 0; d < last; ++d) {
    EMBER_CHECK(a.stride(d) % ratio == 0, "self.stride(", d, ") must be divisible by ", ratio, " ", what, ", but got ",
                a.stride(d));
    strides[static_cast<size_t>(d)] /= ratio;
  }
  sizes[static_cast<size_t>(last)] /= ratio;
  return reinterpret(sizes, strides, a.storage_offset() / ratio);
}

}  // namespace ember::native
