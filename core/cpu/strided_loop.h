// StridedLoop: iterates up to three same-shaped strided operands (output first) in
// row-major order. Dims are coalesced where every operand is contiguous across
// them, size-1 dims dropped, and the outer rows split across cores for large work.
// The body gets one row at a time: element offsets and the inner stride of each.
#pragma once
#include <array>
#include <cstdint>

#include "core/parallel.h"
#include "core/tensor.h"

namespace ember::cpu {

template <int N>
struct StridedLoop {
  int ndim = 0;
  std::array<int64_t, kMaxDims> sizes{};
  std::array<std::array<int64_t, kMaxDims>, N> strides{};
  std::array<int64_t, N> base{};  // storage offsets (elements)

  explicit StridedLoop(const std::array<const Tensor*, N>& ops) {
    const Dims& shape = ops[0]->sizes();
    for (int k = 0; k < N; ++k) base[k] = ops[k]->storage_offset();
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      sizes[ndim] = shape[d];
      for (int k = 0; k < N; ++k) strides[k][ndim] = ops[k]->strides()[d];
      ++ndim;
    }
    coalesce();
  }

  int64_t inner_size() const { return ndim == 0 ? 1 : sizes[ndim - 1]; }
  int64_t inner_stride(int k) const { return ndim == 0 ? 0 : strides[k][ndim - 1]; }

  // body(offsets, n, inner_strides) for every row; rows run in parallel when large.
  template <typename Body>
  void run(int64_t numel, const Body& body) const {
    if (numel == 0) return;
    const int64_t inner = inner_size();
    const int64_t rows = numel / inner;
    std::array<int64_t, N> inner_strides{};
    for (int k = 0; k < N; ++k) inner_strides[k] = inner_stride(k);
    const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
    parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
      std::array<int64_t, N> off;
      for (int64_t row = begin; row < end; ++row) {
        row_offsets(row, off);
        body(off, inner, inner_strides);
      }
    });
  }

 private:
  // Merges dim d into d+1 when, for every operand, stride[d] == stride[d+1] * size[d+1].
  void coalesce() {
    if (ndim <= 1) return;
    int out = 0;
    for (int d = 1; d < ndim; ++d) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k)
        if (strides[k][out] != strides[k][d] * sizes[d]) mergeable = false;
      if (mergeable) {
        sizes[out] *= sizes[d];
        for (int k = 0; k < N; ++k) strides[k][out] = strides[k][d];
      } else {
        ++out;
        sizes[out] = sizes[d];
        for (int k = 0; k < N; ++k) strides[k][out] = strides[k][d];
      }
    }
    ndim = out + 1;
  }

  void row_offsets(int64_t row, std::array<int64_t, N>& off) const {
    off = base;
    for (int d = ndim - 2; d >= 0 && row > 0; --d) {
      const int64_t i = row % sizes[d];
      row /= sizes[d];
      for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
    }
  }
};

}  // namespace ember::cpu
