// Dropout on the CPU: the keep mask drawn from the default Philox generator (uniform
// draws turned into keep ? 1 / (1 - p) : 0 in one parallel pass, in the dtype), then
// out = x * mask. Backward keeps the mask as bits and rebuilds the same scaled mask
// from them (Note [Compact saved activations] in core/bitmask.h).
#include <cmath>

#include "core/bitmask.h"
#include "core/cpu/kernels.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/parallel.h"

namespace ember::cpu {

// A 16-bit mask comes from the float32 draws that rand of its dtype rounds (Note [Uniform
// draws of 16-bit floats] in core/factories.cpp: floor(u 2^digits) / 2^digits), rounded here in
// the same pass: the same mask as rand(shape, dtype) gives, without its float32 temporaries.
Tensor dropout_forward(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep,
                       DropoutStream /*always the generator*/) {
  const bool reduced = is_reduced_float(x.dtype());
  const Tensor draws = rand(mask_shape, TensorOptions().dtype(reduced ? kFloat32 : x.dtype()).device(x.device()));
  Tensor mask = reduced ? make_empty(mask_shape, x.dtype(), x.device()) : draws;
  const float digits = x.dtype() == kFloat16 ? 2048.0f : 256.0f;  // 2^digits of the 16-bit dtype
  visit_floating_or_reduced(mask.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* m = static_cast<T*>(mask.data_ptr());
    const float* u = reduced ? static_cast<const float*>(draws.data_ptr()) : nullptr;
    const T threshold = static_cast<T>(p), scale = dropout_scale<T>(p);
    parallel_for(0, mask.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      // A product, not a ?: (which compiled to a branch that a random mask mispredicts).
      if (reduced) {
        for (int64_t i = lo; i < hi; ++i)
          m[i] = static_cast<T>(static_cast<T>(std::floor(u[i] * digits) / digits) >= threshold) * scale;
      } else {
        for (int64_t i = lo; i < hi; ++i) m[i] = static_cast<T>(m[i] >= threshold) * scale;
      }
    });
  });
  binary(BinaryOp::Mul, x, native::expand(mask, x.sizes()), out, 1);
  if (!keep) return Tensor();
  Tensor bits = make_empty({bitmask_bytes(mask.numel())}, kUInt8, x.device());
  positive_bits(mask, bits);  // the scale is positive: kept elements are exactly the bits set
  return bits;
}

void dropout_backward(const Tensor& grad, const Tensor& kept, double p, const Dims& mask_shape, const Tensor& grad_x,
                      DropoutStream) {
  Tensor mask = make_empty(mask_shape, grad.dtype(), grad.device());
  unpack_dropout_bits(kept, p, mask);
  binary(BinaryOp::Mul, grad, native::expand(mask, grad.sizes()), grad_x, 1);
}

}  // namespace ember::cpu
