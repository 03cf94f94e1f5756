// StridedLoop: walks N same-shaped strided operands (output first) in row-major order.
// Size-1 dims are dropped and neighbouring dims merged where every operand is
// contiguous across them; work of kParallelGrain elements or more is split into
// element ranges, one per core. The body sees runs along the innermost dim.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include "core/parallel.h"
#include "core/tensor.h"

namespace ember::cpu {

template <int N>
class StridedLoop {
 public:
  using Offsets = std::array<int64_t, N>;

  explicit StridedLoop(const std::array<const Tensor*, N>& operands) {
    const Dims& shape = operands[0]->sizes();
    numel_ = operands[0]->numel();
    for (int k = 0; k < N; ++k) {
      EMBER_INTERNAL_ASSERT(operands[k]->sizes() == shape, "elementwise operand ", k, " has shape ",
                            operands[k]->sizes(), ", the output ", shape, " (kernels take broadcast inputs)");
      base_[k] = operands[k]->storage_offset();
    }
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      sizes_[ndim_] = shape[d];
      for (int k = 0; k < N; ++k) strides_[k][ndim_] = operands[k]->strides()[d];
      ++ndim_;
    }
    if (ndim_ == 0) {  // one element (or a 0-dim tensor): a single run of length 1
      sizes_[0] = 1;
      ndim_ = 1;
    }
    coalesce();
  }

  // body(offsets, n, inner_strides): n elements starting at each operand's element
  // offset, stepping by its inner stride. Ranges run in parallel when large.
  template <typename Body>
  void run(const Body& body) const {
    parallel_for(0, numel_, kParallelGrain, [&](int64_t begin, int64_t end) { run_range(begin, end, body); });
  }

 private:
  // Merges each dim into the one before it when, for every operand,
  // stride[outer] == stride[inner] * size[inner].
  void coalesce() {
    int out = 0;
    for (int d = 1; d < ndim_; ++d) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable = mergeable && strides_[k][out] == strides_[k][d] * sizes_[d];
      if (mergeable) {
        sizes_[out] *= sizes_[d];
      } else {
        ++out;
        sizes_[out] = sizes_[d];
      }
      for (int k = 0; k < N; ++k) strides_[k][out] = strides_[k][d];
    }
    ndim_ = out + 1;
  }

  // Elements [begin, end) in row-major order: a counter per dim, carried at row ends.
  template <typename Body>
  void run_range(int64_t begin, int64_t end, const Body& body) const {
    const int inner = ndim_ - 1;
    std::array<int64_t, kMaxDims> index{};
    Offsets offsets = base_;
    Offsets inner_strides{};
    for (int k = 0; k < N; ++k) inner_strides[k] = strides_[k][inner];
    int64_t rest = begin;
    for (int d = inner; d >= 0; --d) {
      index[d] = rest % sizes_[d];
      rest /= sizes_[d];
      for (int k = 0; k < N; ++k) offsets[k] += index[d] * strides_[k][d];
    }
    while (begin < end) {
      const int64_t n = std::min(sizes_[inner] - index[inner], end - begin);
      body(offsets, n, inner_strides);
      begin += n;
      index[inner] += n;
      for (int k = 0; k < N; ++k) offsets[k] += n * inner_strides[k];
      for (int d = inner; d > 0 && index[d] == sizes_[d]; --d) {  // carry into the outer dims
        index[d] = 0;
        ++index[d - 1];
        for (int k = 0; k < N; ++k) offsets[k] += strides_[k][d - 1] - sizes_[d] * strides_[k][d];
      }
    }
  }

  int64_t numel_ = 0;
  int ndim_ = 0;
  std::array<int64_t, kMaxDims> sizes_{};
  std::array<std::array<int64_t, kMaxDims>, N> strides_{};
  Offsets base_{};  // storage offsets, in elements
};

}  // namespace ember::cpu
