// Dropout's keep mask on the CPU: the same values as ge(u, p).to(dtype) / (1 - p),
// computed in the dtype, in one parallel pass over the uniform draws.
#include "nn/functional/dropout_cpu.h"

#include "core/parallel.h"

namespace ember::nn::functional::detail {

void dropout_mask_cpu_(const Tensor& u, double p) {
  EMBER_INTERNAL_ASSERT(u.is_contiguous(), "dropout mask expects a contiguous tensor");
  visit_floating(u.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* m = static_cast<T*>(u.data_ptr());
    const T threshold = static_cast<T>(p), scale = T(1) / static_cast<T>(1.0 - p);
    parallel_for(0, u.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      // A product, not a ?: (which compiled to a branch that a random mask mispredicts).
      for (int64_t i = lo; i < hi; ++i) m[i] = static_cast<T>(m[i] >= threshold) * scale;
    });
  });
}

}  // namespace ember::nn::functional::detail
