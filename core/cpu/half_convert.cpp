// Bulk float <-> float16 conversions: F16C (vcvtps2ph / vcvtph2ps) chosen once per process
// where the CPU has it, Half's integer conversion elsewhere and for the tails.
#include "core/cpu/half_convert.h"

#include <algorithm>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EMBER_F16C_PATH 1
#endif

namespace ember::cpu {
namespace {

#ifdef EMBER_F16C_PATH
// Every AVX2 CPU has F16C; clang 14's __builtin_cpu_supports does not know "f16c".
bool has_f16c() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

// The last n % 8 values go through eight-wide stack copies, so short runs (a convolution's
// or pooling's rows of 14 or 28) convert with the vector instruction too.
__attribute__((target("avx,f16c"))) void narrow_f16c(const float* in, Half* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  if (i == n) return;
  alignas(32) float tail_in[8] = {};
  alignas(16) Half tail_out[8];
  std::copy(in + i, in + n, tail_in);
  const __m128i narrowed = _mm256_cvtps_ph(_mm256_load_ps(tail_in), _MM_FROUND_TO_NEAREST_INT);
  _mm_store_si128(reinterpret_cast<__m128i*>(tail_out), narrowed);
  std::copy(tail_out, tail_out + (n - i), out + i);
}

__attribute__((target("avx,f16c"))) void widen_f16c(const Half* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  if (i == n) return;
  alignas(16) Half tail_in[8] = {};
  alignas(32) float tail_out[8];
  std::copy(in + i, in + n, tail_in);
  _mm256_store_ps(tail_out, _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(tail_in))));
  std::copy(tail_out, tail_out + (n - i), out + i);
}
#endif

}  // namespace

void floats_to_halves(const float* in, Half* out, int64_t n) {
#ifdef EMBER_F16C_PATH
  if (has_f16c()) return narrow_f16c(in, out, n);
#endif
  for (int64_t i = 0; i < n; ++i) out[i] = Half(in[i]);
}

void halves_to_floats(const Half* in, float* out, int64_t n) {
#ifdef EMBER_F16C_PATH
  if (has_f16c()) return widen_f16c(in, out, n);
#endif
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]);
}

}  // namespace ember::cpu
