// CPU searchsorted: a binary search per value (core/sorted_position.h, as the CUDA
// kernel's), values in parallel.
#include <cstdint>

#include "core/cpu/kernels.h"
#include "core/parallel.h"
#include "core/sorted_position.h"

namespace ember::cpu {

void searchsorted(const Tensor& boundaries, const Tensor& values, bool right, const Tensor& out) {
  const int64_t m = boundaries.sizes().back(), n = values.sizes().back();
  const int64_t total = values.numel();
  if (total == 0) return;
  const bool shared_row = boundaries.numel() == m;
  visit_dtype(values.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* bounds = boundaries.data_ptr<T>();
    const T* vals = values.data_ptr<T>();
    int64_t* dst = out.data_ptr<int64_t>();
    parallel_for(0, total, kParallelGrain / 16, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const T* row = shared_row ? bounds : bounds + (i / n) * m;
        dst[i] = sorted_position(row, m, vals[i], right);
      }
    });
  });
}

}  // namespace ember::cpu
