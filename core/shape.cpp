// Shape arithmetic: numel, strides, dim wrapping, broadcasting, -1 inference.
#include "core/shape.h"

#include <algorithm>
#include <array>
#include <limits>

namespace ember {

void Dims::insert(size_t pos, int64_t x) {
  EMBER_CHECK(n_ < kMaxDims, "tensors have at most ", kMaxDims, " dimensions, but got ", n_ + 1);
  for (size_t i = n_; i > pos; --i) v_[i] = v_[i - 1];
  v_[pos] = x;
  ++n_;
}

void Dims::erase(size_t pos) {
  for (size_t i = pos; i + 1 < n_; ++i) v_[i] = v_[i + 1];
  --n_;
}

std::string Dims::str() const {
  std::string s = "[";
  for (size_t i = 0; i < n_; ++i) {
    if (i) s += ", ";
    s += std::to_string(v_[i]);
  }
  return s + "]";
}

std::ostream& operator<<(std::ostream& os, const Dims& d) { return os << d.str(); }

int64_t shape_numel(const Dims& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, "Trying to create tensor with negative dimension ", s, ": ", sizes);
    EMBER_CHECK(s == 0 || n <= std::numeric_limits<int64_t>::max() / s, "shape ", sizes,
                " has too many elements");
    n *= s;
  }
  return n;
}

Dims contiguous_strides(const Dims& sizes) {
  Dims strides = Dims::filled(sizes.size(), 1);
  int64_t acc = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = acc;
    acc *= sizes[i] > 1 ? sizes[i] : 1;
  }
  return strides;
}

bool is_contiguous_layout(const Dims& sizes, const Dims& strides) {
  // No elements: contiguous whatever the strides, as PyTorch's (a later dim's stride decided it).
  for (int64_t s : sizes)
    if (s == 0) return true;
  int64_t expected = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) continue;
    if (strides[i] != expected) return false;
    expected *= sizes[i];
  }
  return true;
}

bool is_non_overlapping_and_dense(const Dims& sizes, const Dims& strides) {
  // Dims of size > 1 by increasing stride (ties keep dim order), each stride the product of
  // the sizes before it.
  std::array<size_t, kMaxDims> order{};
  size_t n = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) return true;
    if (sizes[i] != 1) order[n++] = i;
  }
  std::stable_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n),
                   [&](size_t a, size_t b) { return strides[a] < strides[b]; });
  int64_t expected = 1;
  for (size_t k = 0; k < n; ++k) {
    if (strides[order[k]] != expected) return false;
    expected *= sizes[order[k]];
  }
  return true;
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  int64_t lo = ndim > 0 ? -ndim : -1;
  int64_t hi = ndim > 0 ? ndim - 1 : 0;
  EMBER_CHECK(dim >= lo && dim <= hi, "Dimension out of range (expected to be in range of [", lo,
              ", ", hi, "], but got ", dim, ")");
  return dim < 0 ? dim + (ndim > 0 ? ndim : 1) : dim;
}

Dims broadcast_shapes(const Dims& a, const Dims& b) {
  size_t n = std::max(a.size(), b.size());
  Dims out = Dims::filled(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK(da == db || da == 1 || db == 1, "The size of tensor a (", da,
                ") must match the size of tensor b (", db, ") at non-singleton dimension ", i,
                " (shapes ", a, " and ", b, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Dims infer_size(const Dims& shape, int64_t numel) {
  Dims out = shape;
  int64_t known = 1;
  int infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      EMBER_CHECK(infer_at < 0, "only one dimension can be inferred, but got shape ", shape);
      infer_at = static_cast<int>(i);
    } else {
      EMBER_CHECK(shape[i] >= 0, "invalid shape dimension ", shape[i], " in ", shape);
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    EMBER_CHECK(numel != 0 || known != 0, "cannot reshape tensor of 0 elements into shape ", shape,
                " because the unspecified dimension size -1 can be any value and is ambiguous");
    EMBER_CHECK(known != 0 && numel % known == 0, "shape '", shape, "' is invalid for input of size ",
                numel);
    out[infer_at] = numel / known;
  } else {
    EMBER_CHECK(known == numel, "shape '", shape, "' is invalid for input of size ", numel);
  }
  return out;
}

}  // namespace ember
