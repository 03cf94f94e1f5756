// Eight elements to one mask byte at a time on the CPU: SSE2 (every x86-64) for float and
// double, and for bfloat16 / float16 on their bits (Note [16-bit masks from bits]), and
// otherwise core/bitmask.h's per-element formulas, which the SSE2 forms equal bit for bit
// (NaN, -0 and ties included; tests/nn/test_compact_saved.cpp checks them).
#pragma once
#include <cstdint>
#include <type_traits>

#include "core/bitmask.h"
#include "core/reduced_float.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ember::cpu::simd {

#if defined(__SSE2__)
// Note [16-bit masks from bits]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// bfloat16 and float16 are sign and magnitude, so ReLU's comparisons with 0 need no
// conversion to float: with m the bits without the sign, a value is NaN when m is above
// infinity's bits, zero when m is 0, and otherwise its sign bit says which side of 0 it is
// on. Eight 16-bit lanes of one SSE2 register give the formulas' results (x < 0 becomes +0;
// -0 and NaN stay; y > 0 is positive, not zero, not NaN) without the float conversions
// that made a float16 ReLU ten times float32's.
// Lanes that hold a number other than ±0 (not NaN), and lanes whose sign bit is set.
template <typename T>
inline __m128i nonzero_number_lanes16(__m128i v) {
  constexpr int16_t kInfBits = std::is_same_v<T, Half> ? 0x7C00 : 0x7F80;
  const __m128i m = _mm_and_si128(v, _mm_set1_epi16(0x7FFF));
  return _mm_andnot_si128(_mm_cmpgt_epi16(m, _mm_set1_epi16(kInfBits)), _mm_cmpgt_epi16(m, _mm_setzero_si128()));
}
inline __m128i sign_lanes16(__m128i v) { return _mm_cmplt_epi16(v, _mm_setzero_si128()); }

// v > 0 and v < 0, lane by lane.
template <typename T>
inline __m128i positive_lanes16(__m128i v) {
  return _mm_andnot_si128(sign_lanes16(v), nonzero_number_lanes16<T>(v));
}
template <typename T>
inline __m128i negative_lanes16(__m128i v) {
  return _mm_and_si128(sign_lanes16(v), nonzero_number_lanes16<T>(v));
}

// The mask byte of eight all-ones / all-zeros 16-bit lanes.
inline uint8_t lanes16_byte(__m128i lanes) {
  return static_cast<uint8_t>(_mm_movemask_epi8(_mm_packs_epi16(lanes, _mm_setzero_si128())));
}
#endif

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
  } else if constexpr (is_reduced_float_v<T>) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x));
    const __m128i out = _mm_andnot_si128(negative_lanes16<T>(v), v);  // x < 0: +0
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y), out);
    return lanes16_byte(positive_lanes16<T>(out));
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
  } else if constexpr (is_reduced_float_v<T>) {
    return lanes16_byte(positive_lanes16<T>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v))));
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
  } else if constexpr (is_reduced_float_v<T>) {
    const __m128i sel = _mm_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128);
    const __m128i keep = _mm_cmpeq_epi16(_mm_and_si128(_mm_set1_epi16(b), sel), sel);
    const __m128i kept = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g)), keep);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), kept);
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
