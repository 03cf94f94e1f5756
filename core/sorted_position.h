// Where a value goes in a sorted row (torch.searchsorted / bucketize): one binary search,
// __host__ __device__, so the CPU loop and the CUDA kernel give the same positions.
#pragma once
#include <cstdint>
#include <type_traits>

#include "core/reduced_float.h"
#include "core/macros.h"

namespace ember {

// Note [searchsorted and NaN]
// PyTorch's comparisons, kept exactly: the left side (right = false) moves past a
// boundary b unless b >= v, the right side unless b > v. A comparison with NaN is
// false, so the search moves past every NaN it meets: a NaN value lands after every
// boundary, and a value above the numbers of a row ending in NaNs (sorted last, as sort
// puts them) lands after those NaNs too.
template <typename T>
EMBER_HD_INLINE int64_t sorted_position(const T* row, int64_t n, T value, bool right) {
  using Compare = ComputeType<T>;
  const Compare v = static_cast<Compare>(value);
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    const Compare b = static_cast<Compare>(row[mid]);
    const bool past = right ? !(b > v) : !(b >= v);
    if (past) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace ember
