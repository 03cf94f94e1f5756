// Resampling along one dim by taps (Note [Resampling by taps] in
// nn/functional/resample_taps.h): the layout and each output element's and each input
// column's math, shared by the CPU kernels (core/cpu/resample.cpp) and CUDA's
// (cuda/resample_rows.cu), whose threads the CPU tests run.
#pragma once
#include <cstdint>

#include "core/macros.h"
#include "core/optim_math.h"

namespace ember {

// x [blocks, in, inner] -> out [blocks, out, inner] (all contiguous):
//   out[q, o, r] = sum over k of weight[t, o, k] * x[q, index[t, o, k], r]
// with t = q / per_sample, the taps' sample of block q (per_sample = blocks when one set of
// taps serves every block), and the taps summed in order k = 0, 1, ..., each product and sum
// rounded once (fused::mul_rn, add_rn: nvcc contracts nothing into a multiply-add), so both
// devices give the same bits. A tap whose index is
// outside [0, in) is one its row does not have: it reads nothing and adds nothing.
// The transpose (the gradient for x) is gx[q, j, r] = sum of weight[t, o, k] * g[q, o, r]
// over the (o, k) with index[t, o, k] = j, summed in order of o, then k.
struct ResampleLayout {
  int64_t blocks = 0;
  int64_t per_sample = 1;
  int64_t in = 0, out = 0, taps = 0, inner = 1;

  EMBER_HD int64_t out_numel() const { return blocks * out * inner; }
  EMBER_HD int64_t columns() const { return blocks * inner; }
  // The first tap of output row o in block q.
  EMBER_HD int64_t tap_row(int64_t q, int64_t o) const { return (q / per_sample * out + o) * taps; }
  EMBER_HD bool has(int64_t index_value) const { return index_value >= 0 && index_value < in; }
};

// Output element i (row-major over [blocks, out, inner]); T is float or double.
template <typename T>
EMBER_HD_INLINE T resampled_element(const T* x, const int64_t* index, const T* weight, const ResampleLayout& l,
                                    int64_t i) {
  const int64_t r = i % l.inner, row = i / l.inner, o = row % l.out, q = row / l.out;
  const int64_t t = l.tap_row(q, o);
  const T* column = x + q * l.in * l.inner + r;
  T sum = 0;
  for (int64_t k = 0; k < l.taps; ++k) {
    const int64_t j = index[t + k];
    if (l.has(j)) sum = fused::add_rn(sum, fused::mul_rn(weight[t + k], column[j * l.inner]));
  }
  return sum;
}

// Input column c = (q, r) of the transpose: gx[q, :, r] overwritten with its sums.
template <typename T>
EMBER_HD_INLINE void resample_transpose_column(const T* g, const int64_t* index, const T* weight,
                                               const ResampleLayout& l, int64_t c, T* gx) {
  const int64_t r = c % l.inner, q = c / l.inner;
  T* column = gx + q * l.in * l.inner + r;
  const T* grad = g + q * l.out * l.inner + r;
  for (int64_t j = 0; j < l.in; ++j) column[j * l.inner] = T(0);
  for (int64_t o = 0; o < l.out; ++o) {
    const int64_t t = l.tap_row(q, o);
    const T go = grad[o * l.inner];
    for (int64_t k = 0; k < l.taps; ++k) {
      const int64_t j = index[t + k];
      if (l.has(j)) column[j * l.inner] = fused::add_rn(column[j * l.inner], fused::mul_rn(weight[t + k], go));
    }
  }
}

}  // namespace ember
