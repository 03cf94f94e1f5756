// A float's bit pattern and back, in host and device code alike (EMBER_HD): what the 16-bit
// float types (core/bfloat16.h, core/half.h) convert through.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/macros.h"

namespace ember {

EMBER_HD_INLINE uint32_t bits_of_float(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

EMBER_HD_INLINE float float_of_bits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

}  // namespace ember
