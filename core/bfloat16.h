// BFloat16: the 16-bit brain floating-point value type (1 sign, 8 exponent, 7 mantissa
// bits: float32's top half), shared by the CPU loops and the CUDA kernels (EMBER_HD).
// Converts implicitly from float (rounding to nearest even) and to float (exactly).
//
// Note [BFloat16]
// bf16 keeps float32's exponent range and only 8 bits of precision, so it is a storage
// and bandwidth format, not an arithmetic one:
//   - every op computes in float32 and rounds its result to bf16 once: elementwise
//     functors run on the float values (core/elementwise_dispatch.h), reductions and
//     the CPU's conv2d/gemm upcast to float32 temporaries (so sums and dot products
//     accumulate in fp32, never in bf16), cuBLAS and cuDNN are asked for fp32 compute
//     and never for partial sums rounded to 16 bits (reduced-precision reductions);
//   - float -> bf16 rounds to nearest, ties to even (what PyTorch and the hardware do);
//     NaN stays a (quiet) NaN, values past the largest bf16 round to infinity;
//     bf16 -> float is exact (the 16 low bits are zero);
//   - promotion as PyTorch: bf16 with float32 gives float32, with float64 float64,
//     with integers and bools bf16 (core/dtype.cpp);
//   - kernels without a bf16 path dispatch with visit_floating (float32/float64) and
//     fail with an ember::Error naming the op and the dtype; autocast (core/autocast.h)
//     runs those ops in float32 anyway.
// Doubles reach bf16 through float (double rounding, as PyTorch's c10::BFloat16 does).
// float16 (core/half.h) takes every path described here (Note [Float16]); code that widens
// either names the family (is_reduced_float, core/reduced_float.h).
#pragma once
#include <cstdint>

#include "core/float_bits.h"
#include "core/macros.h"

namespace ember {

struct BFloat16 {
  uint16_t bits;  // uninitialized by default, like a float (BFloat16{} is zero)

  BFloat16() = default;
  EMBER_HD BFloat16(float value) : bits(round_to_bits(value)) {}  // NOLINT: implicit like a float
  EMBER_HD operator float() const { return bits_to_float(bits); }  // NOLINT

  static EMBER_HD BFloat16 from_bits(uint16_t b) {
    BFloat16 v;
    v.bits = b;
    return v;
  }

  static EMBER_HD float bits_to_float(uint16_t b) { return float_of_bits(static_cast<uint32_t>(b) << 16); }

  // Round to nearest, ties to even: add 0x7FFF plus the lowest kept bit, then truncate.
  // A NaN keeps its sign and becomes the quiet NaN 0x7FC0 (rounding could carry it to inf).
  static EMBER_HD uint16_t round_to_bits(float f) {
    const uint32_t u = bits_of_float(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
    const uint32_t lsb = (u >> 16) & 1u;
    return static_cast<uint16_t>((u + 0x7FFFu + lsb) >> 16);
  }
};

static_assert(sizeof(BFloat16) == 2, "BFloat16 must be two bytes");

}  // namespace ember
