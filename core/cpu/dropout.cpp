// Dropout on the CPU: the keep mask drawn from the default Philox generator (uniform
// draws turned into keep ? 1 / (1 - p) : 0 in one parallel pass, in the dtype), then
// out = x * mask; the scaled mask is what the backward multiplies by.
#include "core/cpu/kernels.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/parallel.h"

namespace ember::cpu {

Tensor dropout_forward(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep) {
  Tensor mask = rand(mask_shape, TensorOptions().dtype(x.dtype()).device(x.device()));
  visit_floating(mask.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* m = static_cast<T*>(mask.data_ptr());
    const T threshold = static_cast<T>(p), scale = T(1) / static_cast<T>(1.0 - p);
    parallel_for(0, mask.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      // A product, not a ?: (which compiled to a branch that a random mask mispredicts).
      for (int64_t i = lo; i < hi; ++i) m[i] = static_cast<T>(m[i] >= threshold) * scale;
    });
  });
  binary(BinaryOp::Mul, x, native::expand(mask, x.sizes()), out, 1);
  return keep ? mask : Tensor();
}

void dropout_backward(const Tensor& grad, const Tensor& kept, double, const Tensor& grad_x) {
  binary(BinaryOp::Mul, grad, native::expand(kept, grad.sizes()), grad_x, 1);
}

}  // namespace ember::cpu
