// Uniform draws for a dtype, as PyTorch's uniform_real: shared by rand / rand_like
// (core/factories.cpp, which defines it) and Tensor::uniform_ (autograd/functions/sampling.cpp).
#pragma once
#include "core/tensor.h"

namespace ember::detail {

// Note [Uniform draws of 16-bit floats]
// A float32 draw u in [0, 1) rounded to float16 (bfloat16) is 1.0 for u >= 1 - 2^-12 (2^-9):
// about 1 draw in 4096 (512) left [0, 1). PyTorch keeps only the dtype's significand bits
// (11 for float16, 8 for bfloat16): x = floor(u * 2^digits) / 2^digits <= 1 - 2^-digits,
// exact in the dtype, then from + x * (to - from) in float32 and one rounding. This returns
// that float32 tensor (the caller rounds it); float32 and float64 draws are the kernel's own.
Tensor uniform_draws(const Dims& sizes, DType dtype, Device device, double from, double to);

}  // namespace ember::detail
