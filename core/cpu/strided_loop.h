// StridedLoop: walks N same-shaped strided operands (output first), each element once.
// Size-1 dims are dropped and neighbouring dims merged where every operand is
// contiguous across them; work of kParallelGrain elements or more is split into
// element ranges, one per core. The body sees runs along the innermost dim, in
// row-major order or, for transposed operands, in tiles (Note [Tiled strided loops]).
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
      element_bytes_[k] = static_cast<int64_t>(operands[k]->element_size());
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
    plan_tiles();
  }

  // body(offsets, n, inner_strides): n elements starting at each operand's element
  // offset, stepping by its inner stride. Ranges run in parallel when large.
  template <typename Body>
  void run(const Body& body) const {
    if (tile_dim_ >= 0) return run_tiles(body);
    parallel_for(0, numel_, kParallelGrain, [&](int64_t begin, int64_t end) { run_range(begin, end, body); });
  }

  // The dim tiled with the innermost one, or -1 (row-major order). For tests.
  int tile_dim() const { return tile_dim_; }

  // Note [Tiled strided loops]
  // ~~~~~~~~~~~~~~~~~~~~~~~~~~
  // An operand whose innermost dim has a large stride while another dim has stride 1 (a
  // transposed copy, `a + b.t()`, NCHW <-> NHWC) touches a new cache line, and often a
  // new page, at every element of a row-major walk, and uses the rest of each line only
  // rows later, after it was evicted. Such loops walk tiles of the two dims instead: the
  // lines one run (tile_columns_ elements along the innermost dim) touches serve the next
  // kTileRows - 1 runs. A run's lines must stay in L1 meanwhile: lines 4 KiB apart fall
  // in one L1 set (8-12 ways on current x86 and Arm cores), so a stride of a multiple
  // of 4 KiB gets 8-column tiles, 2 KiB 16, 1 KiB 32, others 64. Every element is still
  // visited once, so any elementwise body gives the same results; only the order differs.
  static constexpr int64_t kTileRows = 16;

 private:
  static constexpr int64_t kTileMinElements = 4096;  // smaller loops stay in cache anyway

  // Picks tile_dim_: a dim (other than the innermost) where some operand whose innermost
  // stride is neither 0 nor 1 has stride 1, both dims at least 8 long; and the tile's
  // width from that operand's innermost stride in bytes.
  void plan_tiles() {
    const int inner = ndim_ - 1;
    if (ndim_ < 2 || numel_ < kTileMinElements || sizes_[inner] < 8) return;
    for (int k = 0; k < N; ++k) {
      if (strides_[k][inner] == 0 || strides_[k][inner] == 1) continue;
      for (int d = inner - 1; d >= 0; --d) {
        if (strides_[k][d] == 1 && sizes_[d] >= 8) {
          tile_dim_ = d;
          const int64_t bytes = strides_[k][inner] * element_bytes_[k];
          tile_columns_ = bytes % 4096 == 0 ? 8 : bytes % 2048 == 0 ? 16 : bytes % 1024 == 0 ? 32 : 64;
          return;
        }
      }
    }
  }

  // The tiles of dims (tile_dim_, innermost) for every index of the other dims, split
  // across cores by whole tiles.
  template <typename Body>
  void run_tiles(const Body& body) const {
    const int inner = ndim_ - 1, tiled = tile_dim_;
    const int64_t width = tile_columns_;
    const int64_t across = (sizes_[inner] + width - 1) / width, down = (sizes_[tiled] + kTileRows - 1) / kTileRows;
    const int64_t tiles = numel_ / (sizes_[inner] * sizes_[tiled]) * across * down;
    Offsets inner_strides{};
    for (int k = 0; k < N; ++k) inner_strides[k] = strides_[k][inner];
    parallel_for(0, tiles, std::max<int64_t>(1, kParallelGrain / (width * kTileRows)), [&](int64_t lo, int64_t hi) {
      for (int64_t tile = lo; tile < hi; ++tile) {
        int64_t rest = tile;
        const int64_t column = rest % across * width;
        rest /= across;
        const int64_t row = rest % down * kTileRows;
        rest /= down;
        Offsets offsets = base_;
        for (int d = ndim_ - 1; d >= 0; --d) {  // rest indexes the other dims, row-major
          if (d == inner || d == tiled) continue;
          for (int k = 0; k < N; ++k) offsets[k] += rest % sizes_[d] * strides_[k][d];
          rest /= sizes_[d];
        }
        for (int k = 0; k < N; ++k) offsets[k] += column * strides_[k][inner] + row * strides_[k][tiled];
        const int64_t n = std::min(width, sizes_[inner] - column), rows = std::min(kTileRows, sizes_[tiled] - row);
        for (int64_t r = 0; r < rows; ++r) {
          body(offsets, n, inner_strides);
          for (int k = 0; k < N; ++k) offsets[k] += strides_[k][tiled];
        }
      }
    });
  }

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
  Offsets element_bytes_{};
  int tile_dim_ = -1;
  int64_t tile_columns_ = 0;
};

}  // namespace ember::cpu
