// Half: the IEEE 754 binary16 value type (torch.float16: 1 sign, 5 exponent, 10 mantissa
// bits), shared by the CPU loops and the CUDA kernels (EMBER_HD). Converts implicitly from
// float (rounding to nearest even) and to float (exactly), in the same integer steps on both.
//
// Note [Float16]
// float16 is a storage format exactly as bfloat16 is (Note [BFloat16] in core/bfloat16.h):
// every op computes in float32 and rounds its result once, reductions and dot products
// accumulate in fp32, cuBLAS and cuDNN are asked for fp32 compute. What differs is the
// range, not the handling:
//   - 11 bits of precision where bf16 has 8, but a largest finite value of 65504 and
//     subnormals below 2^-14 (down to 2^-24): gradients of a float16 model underflow to 0
//     unless the loss is scaled, which is what amp::GradScaler is for (Note [Loss scaling]);
//   - float -> half rounds to nearest, ties to even, subnormals included (what F16C's
//     vcvtps2ph, CUDA's __float2half_rn and PyTorch do); values from 65520 up round to
//     infinity; a NaN stays a NaN, quiet, with its sign and the top 9 bits of its payload;
//   - half -> float is exact, a signalling NaN coming back quiet; doubles reach half
//     through float (double rounding, as c10::Half does);
//   - promotion as PyTorch: float16 with bfloat16 gives float32 (neither holds the other),
//     with float32 float32, with integers and bools float16 (core/dtype.cpp).
// The conversions are integer arithmetic rather than CUDA's intrinsics so that a GPU gives
// the CPU's bits by construction, and they give F16C's bits for every input, NaNs included
// (tests/core/test_half.cpp), so the CPU's bulk conversions may take F16C's vector
// instructions (core/cpu/half_convert.h).
#pragma once
#include <cstdint>

#include "core/float_bits.h"
#include "core/macros.h"

namespace ember {

struct Half {
  uint16_t bits;  // uninitialized by default, like a float (Half{} is zero)

  Half() = default;
  EMBER_HD Half(float value) : bits(round_to_bits(value)) {}       // NOLINT: implicit like a float
  EMBER_HD operator float() const { return bits_to_float(bits); }  // NOLINT

  static EMBER_HD Half from_bits(uint16_t b) {
    Half v;
    v.bits = b;
    return v;
  }

  static EMBER_HD float bits_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    const uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0x1Fu) {  // inf, or a NaN made quiet
      return float_of_bits(sign | 0x7F800000u | (mantissa != 0 ? 0x400000u : 0u) | (mantissa << 13));
    }
    if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
      const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
      return sign ? -magnitude : magnitude;
    }
    return float_of_bits(sign | ((exponent + 112u) << 23) | (mantissa << 13));  // rebias 15 -> 127
  }

  // Round to nearest, ties to even.
  static EMBER_HD uint16_t round_to_bits(float f) {
    const uint32_t u = bits_of_float(f);
    const auto sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
    const uint32_t magnitude = u & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u)  // NaN: quiet, the payload's top bits kept
      return static_cast<uint16_t>(sign | 0x7E00u | ((magnitude >> 13) & 0x3FFu));
    if (magnitude >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520: inf
    if (magnitude >= 0x38800000u) {  // normal in half (>= 2^-14): rebias, round off 13 bits
      const uint32_t rebiased = magnitude - 0x38000000u;
      const uint32_t lsb = (rebiased >> 13) & 1u;
      return static_cast<uint16_t>(sign | ((rebiased + 0xFFFu + lsb) >> 13));  // a carry bumps the exponent
    }
    const uint32_t exponent = magnitude >> 23;
    if (exponent < 102) return sign;  // below 2^-25: rounds to zero (2^-25 itself ties to 0 below)
    // Subnormal: the value is m * 2^-24 with m = significand * 2^(exponent - 126), 14 <= shift <= 24.
    const uint32_t significand = (magnitude & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - exponent;
    uint32_t m = significand >> shift;
    const uint32_t rest = significand & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (m & 1u))) ++m;  // 1023 + 1 is the smallest normal
    return static_cast<uint16_t>(sign | m);
  }
};

static_assert(sizeof(Half) == 2, "Half must be two bytes");

}  // namespace ember
