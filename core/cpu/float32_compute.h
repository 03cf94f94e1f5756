// bfloat16 and float16 through float32 for the CPU's gemm and conv2d (Note [BFloat16] in
// core/bfloat16.h): float32 copies of the operands (conv2d widens its input chunk by chunk,
// gemm block by block), the fp32 kernel (fp32 accumulation), and each result rounded once
// into the 16-bit output.
#pragma once
#include "core/cpu/kernels.h"
#include "core/native.h"

namespace ember::cpu {

// t as float32 (undefined stays undefined).
inline Tensor float32_copy(const Tensor& t) { return t.defined() ? native::to_dtype(t, kFloat32) : t; }

// t itself, or a float32 copy when t is 16-bit (undefined stays undefined).
inline Tensor widened(const Tensor& t) { return t.defined() && is_reduced_float(t.dtype()) ? float32_copy(t) : t; }

// An empty float32 tensor shaped like t (undefined stays undefined).
inline Tensor float32_like(const Tensor& t) { return t.defined() ? make_empty(t.sizes(), kFloat32, t.device()) : t; }

// dst = value rounded to dst's dtype, when dst is defined.
inline void round_into(const Tensor& value, const Tensor& dst) {
  if (dst.defined()) copy(value, dst);
}

}  // namespace ember::cpu
