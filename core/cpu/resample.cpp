// CPU resampling by taps (core/resample_layout.h): blocks in parallel; within a block each
// output row is its taps' input rows scaled and added in tap order (the inner dim
// vectorises; for the last dim, 16 blocks side by side do), and the transpose adds each
// output row back into its taps' rows in the same (o, k) order (16 blocks side by side
// likewise), so both give the element functions' sums bit for bit.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/dtype.h"
#include "core/parallel.h"
#include "core/resample_layout.h"

namespace ember::cpu {
namespace {

template <typename T>
void resample_block(const T* x, const int64_t* index, const T* weight, const ResampleLayout& l, int64_t q,
                    T* __restrict__ out) {
  const T* block = x + q * l.in * l.inner;
  for (int64_t o = 0; o < l.out; ++o) {
    const int64_t t = l.tap_row(q, o);
    T* __restrict__ row = out + (q * l.out + o) * l.inner;
    std::fill(row, row + l.inner, T(0));
    for (int64_t k = 0; k < l.taps; ++k) {
      const int64_t j = index[t + k];
      if (!l.has(j)) continue;
      const T w = weight[t + k];
      const T* __restrict__ src = block + j * l.inner;
      for (int64_t r = 0; r < l.inner; ++r) row[r] += w * src[r];
    }
  }
}

// Resampling the last dim (inner 1), kLanes blocks of one sample at a time: transposed into
// `scratch` as [in, kLanes], so each output's taps are added for every lane at once (the
// loop over lanes vectorises) in tap order, the element function's sum, then transposed back.
constexpr int64_t kLanes = 16;

template <typename T>
void resample_lanes(const T* x, const int64_t* index, const T* weight, const ResampleLayout& l, int64_t q0,
                    T* __restrict__ out, T* __restrict__ scratch) {
  T* __restrict__ across = scratch;                   // [in, kLanes]
  T* __restrict__ sums = scratch + l.in * kLanes;     // [out, kLanes]
  for (int64_t b = 0; b < kLanes; ++b)
    for (int64_t j = 0; j < l.in; ++j) across[j * kLanes + b] = x[(q0 + b) * l.in + j];
  for (int64_t o = 0; o < l.out; ++o) {
    const int64_t t = l.tap_row(q0, o);
    T lanes[kLanes] = {};
    for (int64_t k = 0; k < l.taps; ++k) {
      const int64_t j = index[t + k];
      if (!l.has(j)) continue;
      const T w = weight[t + k];
      for (int64_t b = 0; b < kLanes; ++b) lanes[b] += w * across[j * kLanes + b];
    }
    std::copy(lanes, lanes + kLanes, sums + o * kLanes);
  }
  for (int64_t b = 0; b < kLanes; ++b)
    for (int64_t o = 0; o < l.out; ++o) out[(q0 + b) * l.out + o] = sums[o * kLanes + b];
}

template <typename T>
void transpose_block(const T* g, const int64_t* index, const T* weight, const ResampleLayout& l, int64_t q, T* gx) {
  T* block = gx + q * l.in * l.inner;
  std::fill(block, block + l.in * l.inner, T(0));
  for (int64_t o = 0; o < l.out; ++o) {
    const int64_t t = l.tap_row(q, o);
    const T* grad = g + (q * l.out + o) * l.inner;
    for (int64_t k = 0; k < l.taps; ++k) {
      const int64_t j = index[t + k];
      if (!l.has(j)) continue;
      const T w = weight[t + k];
      T* __restrict__ dst = block + j * l.inner;
      for (int64_t r = 0; r < l.inner; ++r) dst[r] += w * grad[r];
    }
  }
}

// The transpose of resample_lanes: kLanes blocks' gradients as [out, kLanes], added into
// [in, kLanes] in (o, k) order, then transposed back into gx.
template <typename T>
void transpose_lanes(const T* g, const int64_t* index, const T* weight, const ResampleLayout& l, int64_t q0,
                     T* __restrict__ gx, T* __restrict__ scratch) {
  T* __restrict__ grads = scratch;                  // [out, kLanes]
  T* __restrict__ sums = scratch + l.out * kLanes;  // [in, kLanes]
  for (int64_t b = 0; b < kLanes; ++b)
    for (int64_t o = 0; o < l.out; ++o) grads[o * kLanes + b] = g[(q0 + b) * l.out + o];
  std::fill(sums, sums + l.in * kLanes, T(0));
  for (int64_t o = 0; o < l.out; ++o) {
    const int64_t t = l.tap_row(q0, o);
    for (int64_t k = 0; k < l.taps; ++k) {
      const int64_t j = index[t + k];
      if (!l.has(j)) continue;
      const T w = weight[t + k];
      for (int64_t b = 0; b < kLanes; ++b) sums[j * kLanes + b] += w * grads[o * kLanes + b];
    }
  }
  for (int64_t b = 0; b < kLanes; ++b)
    for (int64_t j = 0; j < l.in; ++j) gx[(q0 + b) * l.in + j] = sums[j * kLanes + b];
}

// Blocks [lo, hi) of either direction: by lanes where the last dim is resampled and kLanes
// blocks share a sample, else one block at a time.
template <typename T, typename Block, typename Lanes>
void by_blocks(const ResampleLayout& l, int64_t lo, int64_t hi, Block block, Lanes lanes) {
  std::vector<T> scratch;
  for (int64_t q = lo; q < hi;) {
    if (l.inner == 1 && q + kLanes <= hi && q / l.per_sample == (q + kLanes - 1) / l.per_sample) {
      scratch.resize(static_cast<size_t>((l.in + l.out) * kLanes));
      lanes(q, scratch.data());
      q += kLanes;
    } else {
      block(q++);
    }
  }
}

int64_t block_grain(const ResampleLayout& l) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, l.out * l.taps * l.inner));
}

}  // namespace

void resample_rows(const Tensor& x, const Tensor& index, const Tensor& weight, const ResampleLayout& l,
                   const Tensor& out) {
  visit_floating(x.dtype(), "resample_rows", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xs = x.data_ptr<T>();
    const T* ws = weight.data_ptr<T>();
    const int64_t* is = index.data_ptr<int64_t>();
    T* os = out.data_ptr<T>();
    parallel_for(0, l.blocks, block_grain(l), [&](int64_t lo, int64_t hi) {
      by_blocks<T>(
          l, lo, hi, [&](int64_t q) { resample_block(xs, is, ws, l, q, os); },
          [&](int64_t q, T* scratch) { resample_lanes(xs, is, ws, l, q, os, scratch); });
    });
  });
}

void resample_rows_transpose(const Tensor& g, const Tensor& index, const Tensor& weight, const ResampleLayout& l,
                             const Tensor& gx) {
  visit_floating(g.dtype(), "resample_rows_transpose", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gs = g.data_ptr<T>();
    const T* ws = weight.data_ptr<T>();
    const int64_t* is = index.data_ptr<int64_t>();
    T* xs = gx.data_ptr<T>();
    parallel_for(0, l.blocks, block_grain(l), [&](int64_t lo, int64_t hi) {
      by_blocks<T>(
          l, lo, hi, [&](int64_t q) { transpose_block(gs, is, ws, l, q, xs); },
          [&](int64_t q, T* scratch) { transpose_lanes(gs, is, ws, l, q, xs, scratch); });
    });
  });
}

}  // namespace ember::cpu
