// Eight elements to one mask byte at a time on the CPU: SSE2 (every x86-64) for float and
// double, and otherwise core/bitmask.h's per-element formulas, which the SSE2 forms equal
// bit for bit (NaN, -0 and ties included; tests/nn/test_compact_saved.cpp checks them).
#pragma once
#include <cstdint>
#include <type_traits>

#include "core/bitmask.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ember::cpu::simd {

// y[0, 8) = relu(x[0, 8)); returns the bits of y > 0.
template <typename T>
inline uint8_t relu_bits8(const T* x, T* y) {
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    // max(0, x) returns its second operand on NaN and on 0 vs -0: x, as Relu does.
    const __m128 zero = _mm_setzero_ps();
    const __m128 lo = _mm_max_ps(zero, _mm_loadu_ps(x)), hi = _mm_max_ps(zero, _mm_loadu_ps(x + 4));
    _mm_storeu_ps(y, lo);
    _mm_storeu_ps(y + 4, hi);
    return static_cast<uint8_t>(_mm_movemask_ps(_mm_cmpgt_ps(lo, zero)) |
                                (_mm_movemask_ps(_mm_cmpgt_ps(hi, zero)) << 4));
  } else if constexpr (std::is_same_v<T, double>) {
    const __m128d zero = _mm_setzero_pd();
    int bits = 0;
    for (int k = 0; k < 8; k += 2) {
      const __m128d v = _mm_max_pd(zero, _mm_loadu_pd(x + k));
      _mm_storeu_pd(y + k, v);
      bits |= _mm_movemask_pd(_mm_cmpgt_pd(v, zero)) << k;
    }
    return static_cast<uint8_t>(bits);
  }
#endif
  return relu_bits_byte(x, y, 8, 0);
}

// The bits of v[0, 8) > 0.
template <typename T>
inline uint8_t positive_bits8(const T* v) {
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    const __m128 zero = _mm_setzero_ps();
    return static_cast<uint8_t>(_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(v), zero)) |
                                (_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(v + 4), zero)) << 4));
  } else if constexpr (std::is_same_v<T, double>) {
    const __m128d zero = _mm_setzero_pd();
    int bits = 0;
    for (int k = 0; k < 8; k += 2) bits |= _mm_movemask_pd(_mm_cmpgt_pd(_mm_loadu_pd(v + k), zero)) << k;
    return static_cast<uint8_t>(bits);
  }
#endif
  return positive_bits_byte(v, 8, 0);
}

// d[0, 8) = bit k of b ? g[k] : +0 (grad_where_bit).
template <typename T>
inline void grad_where_bits8(const T* g, uint8_t b, T* d) {
#if defined(__SSE2__)
  // A lane is kept when (b & its bit) == its bit; the AND with all-zero lanes gives +0.
  const __m128i byte = _mm_set1_epi32(b);
  if constexpr (std::is_same_v<T, float>) {
    const __m128i lo_sel = _mm_setr_epi32(1, 2, 4, 8), hi_sel = _mm_setr_epi32(16, 32, 64, 128);
    const __m128 lo = _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(byte, lo_sel), lo_sel));
    const __m128 hi = _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(byte, hi_sel), hi_sel));
    _mm_storeu_ps(d, _mm_and_ps(_mm_loadu_ps(g), lo));
    _mm_storeu_ps(d + 4, _mm_and_ps(_mm_loadu_ps(g + 4), hi));
    return;
  } else if constexpr (std::is_same_v<T, double>) {
    for (int k = 0; k < 8; k += 2) {  // both 32-bit halves of a lane test the lane's bit
      const __m128i sel = _mm_setr_epi32(1 << k, 1 << k, 2 << k, 2 << k);
      const __m128d keep = _mm_castsi128_pd(_mm_cmpeq_epi32(_mm_and_si128(byte, sel), sel));
      _mm_storeu_pd(d + k, _mm_and_pd(_mm_loadu_pd(g + k), keep));
    }
    return;
  }
#endif
  for (int k = 0; k < 8; ++k) d[k] = grad_where_bit(g[k], (b >> k) & 1);
}

// d[0, 8) = leaky_select_on(bit k of b, g[k], slope) (LeakyReLU's backward): the same two
// selects against -0, product and sum, lane by lane.
template <typename T>
inline void leaky_grad_where_bits8(const T* g, uint8_t b, T slope, T* d) {
#if defined(__SSE2__)
  const __m128i byte = _mm_set1_epi32(b);
  if constexpr (std::is_same_v<T, float>) {
    const __m128 negative_zero = _mm_set1_ps(-0.0f), s = _mm_set1_ps(slope);
    const __m128i lo_sel = _mm_setr_epi32(1, 2, 4, 8), hi_sel = _mm_setr_epi32(16, 32, 64, 128);
    for (int half = 0; half < 2; ++half) {
      const __m128i sel = half == 0 ? lo_sel : hi_sel;
      const __m128 keep = _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(byte, sel), sel));
      const __m128 v = _mm_loadu_ps(g + 4 * half);
      const __m128 kept = _mm_or_ps(_mm_and_ps(keep, v), _mm_andnot_ps(keep, negative_zero));
      const __m128 scaled = _mm_or_ps(_mm_andnot_ps(keep, v), _mm_and_ps(keep, negative_zero));
      _mm_storeu_ps(d + 4 * half, _mm_add_ps(kept, _mm_mul_ps(scaled, s)));
    }
    return;
  } else if constexpr (std::is_same_v<T, double>) {
    const __m128d negative_zero = _mm_set1_pd(-0.0), s = _mm_set1_pd(slope);
    for (int k = 0; k < 8; k += 2) {  // both 32-bit halves of a lane test the lane's bit
      const __m128i sel = _mm_setr_epi32(1 << k, 1 << k, 2 << k, 2 << k);
      const __m128d keep = _mm_castsi128_pd(_mm_cmpeq_epi32(_mm_and_si128(byte, sel), sel));
      const __m128d v = _mm_loadu_pd(g + k);
      const __m128d kept = _mm_or_pd(_mm_and_pd(keep, v), _mm_andnot_pd(keep, negative_zero));
      const __m128d scaled = _mm_or_pd(_mm_andnot_pd(keep, v), _mm_and_pd(keep, negative_zero));
      _mm_storeu_pd(d + k, _mm_add_pd(kept, _mm_mul_pd(scaled, s)));
    }
    return;
  }
#endif
  leaky_grad_where_bits_byte(g, b, slope, d, 8, 0);
}

}  // namespace ember::cpu::simd
