// The sum of an average-pooling window, shared by the CPU kernel (core/cpu/pool.cpp) and one
// CUDA thread per output (cuda/pool_threads.h), so both give the same bits.
#pragma once
#include "core/macros.h"
#include "core/nn_geometry.h"
#include "core/reduced_float.h"

namespace ember {

// A window narrower than kWideRow values is summed by one running sum, its rows in order.
// That sum waits on every add. A window at least kWideRow values wide (a global average
// pool's: ResNet's head) sums each of its rows in kLanes interleaved partial sums instead,
// joined in lane order, then the rows in order: adds a CPU core overlaps and vectorises,
// and a GPU thread keeps in registers (2048 planes of 32x32 to 1x1 on the CPU: 0.81 -> 0.12
// ms). The sum is kept as ComputeType<T>: a 16-bit plane sums in float (Note [16-bit
// pooling] in nn/functional/pool.cpp).
inline constexpr int kWideWindowLanes = 8;
inline constexpr int kWideWindowRow = 2 * kWideWindowLanes;  // windows this wide sum in lanes

template <typename T, typename Index>
EMBER_HD_INLINE ComputeType<T> average_window_sum(const T* s, Index W, const PoolWindowOf<Index>& win,
                                                  Index step = 1) {
  using Acc = ComputeType<T>;
  constexpr int kLanes = kWideWindowLanes;
  constexpr Index kWideRow = kWideWindowRow;
  Acc total = 0;
  if (win.w1 - win.w0 < kWideRow) {
    for (Index h = win.h0; h < win.h1; ++h)
      for (Index w = win.w0; w < win.w1; ++w) total += static_cast<Acc>(s[(h * W + w) * step]);
    return total;
  }
  for (Index h = win.h0; h < win.h1; ++h) {
    const T* row = s + h * W * step;
    Acc lanes[kLanes] = {};
    Index w = win.w0;
    for (; w + kLanes <= win.w1; w += kLanes)
      for (int l = 0; l < kLanes; ++l) lanes[l] += static_cast<Acc>(row[(w + l) * step]);
    Acc row_sum = 0;
    for (int l = 0; l < kLanes; ++l) row_sum += lanes[l];
    for (; w < win.w1; ++w) row_sum += static_cast<Acc>(row[w * step]);
    total += row_sum;
  }
  return total;
}

}  // namespace ember
