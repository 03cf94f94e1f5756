// Dims: a small inline vector of int64 for sizes and strides (no heap, up to
// kMaxDims), plus the shape arithmetic every op needs: numel, contiguous strides,
// dim wrapping and broadcasting, each with a clear error on bad input.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.h"

namespace ember {

inline constexpr int kMaxDims = 10;

class Dims {
 public:
  Dims() = default;
  Dims(std::initializer_list<int64_t> values) { assign(values.begin(), values.size()); }
  Dims(const std::vector<int64_t>& values) { assign(values.data(), values.size()); }  // NOLINT
  Dims(const int64_t* data, size_t n) { assign(data, n); }
  static Dims filled(size_t n, int64_t value) {
    Dims d;
    d.resize(n, value);
    return d;
  }

  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t& operator[](size_t i) { return v_[i]; }
  const int64_t& operator[](size_t i) const { return v_[i]; }
  int64_t* begin() { return v_.data(); }
  int64_t* end() { return v_.data() + n_; }
  const int64_t* begin() const { return v_.data(); }
  const int64_t* end() const { return v_.data() + n_; }
  const int64_t* data() const { return v_.data(); }
  int64_t back() const { return v_[n_ - 1]; }

  void push_back(int64_t x) {
    EMBER_CHECK(n_ < kMaxDims, "tensors have at most ", kMaxDims, " dimensions, but got ", n_ + 1);
    v_[n_++] = x;
  }
  void insert(size_t pos, int64_t x);
  void erase(size_t pos);
  void resize(size_t n, int64_t value = 0) {
    EMBER_CHECK(n <= static_cast<size_t>(kMaxDims), "tensors have at most ", kMaxDims,
                " dimensions, but got ", n);
    for (size_t i = n_; i < n; ++i) v_[i] = value;
    n_ = static_cast<uint8_t>(n);
  }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  std::string str() const;  // "[2, 3]"

  bool operator==(const Dims& o) const {
    if (n_ != o.n_) return false;
    for (size_t i = 0; i < n_; ++i)
      if (v_[i] != o.v_[i]) return false;
    return true;
  }

 private:
  void assign(const int64_t* data, size_t n) {
    EMBER_CHECK(n <= static_cast<size_t>(kMaxDims), "tensors have at most ", kMaxDims,
                " dimensions, but got ", n);
    for (size_t i = 0; i < n; ++i) v_[i] = data[i];
    n_ = static_cast<uint8_t>(n);
  }
  std::array<int64_t, kMaxDims> v_{};
  uint8_t n_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Dims& d);

// Product of sizes (1 for a 0-dim shape). Negative sizes are an error.
int64_t shape_numel(const Dims& sizes);
// Row-major strides for `sizes`.
Dims contiguous_strides(const Dims& sizes);
bool is_contiguous_layout(const Dims& sizes, const Dims& strides);
// Whether the elements fill numel consecutive slots, each once, in some order of the dims
// (PyTorch's is_non_overlapping_and_dense): a permutation of a row-major layout.
bool is_non_overlapping_and_dense(const Dims& sizes, const Dims& strides);
// Wraps a possibly negative dim into [0, ndim); out of range is PyTorch's
// "Dimension out of range (expected to be in range of [-2, 1], but got 2)".
int64_t wrap_dim(int64_t dim, int64_t ndim);
// NumPy/PyTorch broadcasting of two shapes; mismatch is an error naming both shapes.
Dims broadcast_shapes(const Dims& a, const Dims& b);
// Resolves one -1 in a view/reshape target against numel.
Dims infer_size(const Dims& shape, int64_t numel);

}  // namespace ember
