// SLEEF's AVX2 exp, log, tanh and sigmoid over arrays: the only file built with -mavx2
// -mfma, called only after the run-time check in vector_math.cpp. It includes no C++
// library header, so no inline function compiled here for AVX2 can stand in for another
// file's copy. Note [Vectorised transcendental functions] in vector_math.h.
#if defined(EMBER_HAVE_SLEEF) && defined(__AVX2__) && defined(__FMA__)
#include <sleef.h>

#include "core/cpu/vector_math_isa.h"

namespace ember::cpu::vector_math::avx2 {
namespace {

struct F32 {
  using T = float;
  using V = __m256;
  static constexpr int kLanes = 8;
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V exp(V v) { return Sleef_expf8_u10avx2(v); }
  static V log(V v) { return Sleef_logf8_u10avx2(v); }
  static V tanh(V v) { return Sleef_tanhf8_u10avx2(v); }
  static V sigmoid(V v) {  // 1 / (1 + exp(-x)), PyTorch's order of operations
    const V one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp(_mm256_sub_ps(_mm256_setzero_ps(), v))));
  }
};
struct F64 {
  using T = double;
  using V = __m256d;
  static constexpr int kLanes = 4;
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V exp(V v) { return Sleef_expd4_u10avx2(v); }
  static V log(V v) { return Sleef_logd4_u10avx2(v); }
  static V tanh(V v) { return Sleef_tanhd4_u10avx2(v); }
  static V sigmoid(V v) {
    const V one = _mm256_set1_pd(1.0);
    return _mm256_div_pd(one, _mm256_add_pd(one, exp(_mm256_sub_pd(_mm256_setzero_pd(), v))));
  }
};

template <typename L, typename Op>
void run(const Op& op, const typename L::T* in, typename L::T* out, int64_t n) {
  int64_t i = 0;
  for (; i + L::kLanes <= n; i += L::kLanes) L::store(out + i, op(L::load(in + i)));
  if (i == n) return;
  // The last partial vector, padded with zeros (exp, tanh and sigmoid of 0 raise nothing;
  // log's -inf in the unused lanes is discarded).
  typename L::T buffer[L::kLanes] = {};
  for (int64_t k = i; k < n; ++k) buffer[k - i] = in[k];
  L::store(buffer, op(L::load(buffer)));
  for (int64_t k = i; k < n; ++k) out[k] = buffer[k - i];
}

template <typename L>
void dispatch(Fn fn, const typename L::T* in, typename L::T* out, int64_t n) {
  using V = typename L::V;
  switch (fn) {
    case Fn::Exp: return run<L>([](V v) { return L::exp(v); }, in, out, n);
    case Fn::Log: return run<L>([](V v) { return L::log(v); }, in, out, n);
    case Fn::Tanh: return run<L>([](V v) { return L::tanh(v); }, in, out, n);
    case Fn::Sigmoid: return run<L>([](V v) { return L::sigmoid(v); }, in, out, n);
  }
}

}  // namespace

void apply(Fn fn, const float* in, float* out, int64_t n) { dispatch<F32>(fn, in, out, n); }
void apply(Fn fn, const double* in, double* out, int64_t n) { dispatch<F64>(fn, in, out, n); }

}  // namespace ember::cpu::vector_math::avx2
#endif
