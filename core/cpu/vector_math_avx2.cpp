// SLEEF's AVX2 exp, log, tanh, sigmoid, GELU and SiLU (and their gradients; float erf our
// own, Note [A float erf]) over arrays, and softmax's row primitives: the only file built
// with -mavx2 -mfma, called only after the run-time check in vector_math.cpp. It includes
// no C++ library header, so no inline function compiled here for AVX2 can stand in for
// another file's copy. Note [Vectorised transcendental functions] in vector_math.h.
#if defined(EMBER_HAVE_SLEEF) && defined(__AVX2__) && defined(__FMA__)
#include <sleef.h>

#include "core/cpu/vector_math_isa.h"

namespace ember::cpu::vector_math::avx2 {
namespace {

// functors::Gelu's constants (core/activation_functors.h is not included here).
constexpr double kSqrtHalf = 0.70710678118654752440;    // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)

// Note [A float erf]
// ~~~~~~~~~~~~~~~~~~
// SLEEF's float erf computes in pairs of floats and was 85% of GELU's time (1M float32: 2.0
// ms against PyTorch's 0.65; 0.74 with this one, bench_elementwise), so float GELU and its
// gradient call this erf instead. It is as close as SLEEF's: checked once against long
// double's erf at every float in [0, 4.5], at most 1.03 ulp (SLEEF's: 1.10); GELU at every
// third float in [-10, 10], 1.76 ulp where 1 + erf does not cancel (SLEEF's: 1.75).
// tests/core/test_vector_math.cpp holds GELU to the exact values at 2^18 points.
//  * |z| < 0.875: z + z P(z^2), P a degree-7 polynomial fitted (minimax, to erf(z) / z - 1);
//    adding z last keeps P's rounding well below an ulp of erf.
//  * |z| >= 0.875: 1 - exp(-z^2) Q(|z|), Q of degree 9 in |z| - 2.5 fitted over [0.875, 4]
//    for the absolute error of erfc. z^2 is split into hi + lo (fma), exp(-z^2) taken as
//    exp(-hi) (1 - lo): the rounding of z^2 alone would cost up to 16 ulps of it. |z| is
//    clamped to 4, where 1 - erfc rounds to 1; the sign is put back.
//  * NaN takes the first branch and stays NaN; infinities give +-1; -0 gives -0.
// Doubles keep SLEEF's erf (its double code has no such cost: double GELU is 1.5x float's).
constexpr float kErfSmall[] = {1.283791661e-01f, -3.761263788e-01f, 1.128378958e-01f, -2.686596103e-02f,
                               5.222888663e-03f, -8.517362294e-04f, 1.156151266e-04f, -1.069842529e-05f};
constexpr float kErfcLarge[] = {2.108059525e-01f,  -7.435278594e-02f, 2.492860705e-02f,  -7.963211276e-03f,
                                2.603689674e-03f,  -6.151156267e-04f, 1.413650753e-04f,  -2.509959158e-04f,
                                -1.143709524e-04f, -3.806873428e-05f};
constexpr float kErfSplit = 0.875f;  // |z| below: the polynomial; above: through erfc

template <size_t N>
__m256 horner(const float (&c)[N], __m256 t) {
  __m256 p = _mm256_set1_ps(c[N - 1]);
  for (size_t k = N - 1; k-- > 0;) p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(c[k]));
  return p;
}

__m256 erf_float(__m256 z) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 small = _mm256_fmadd_ps(z, horner(kErfSmall, _mm256_mul_ps(z, z)), z);
  const __m256 magnitude = _mm256_andnot_ps(sign_bit, z);
  const __m256 large_lanes = _mm256_cmp_ps(magnitude, _mm256_set1_ps(kErfSplit), _CMP_GE_OQ);  // false for NaN
  if (_mm256_movemask_ps(large_lanes) == 0) return small;
  const __m256 a = _mm256_min_ps(magnitude, _mm256_set1_ps(4.0f));
  const __m256 hi = _mm256_mul_ps(a, a), lo = _mm256_fmsub_ps(a, a, hi);
  __m256 e = Sleef_expf8_u10avx2(_mm256_xor_ps(hi, sign_bit));
  e = _mm256_fnmadd_ps(e, lo, e);
  const __m256 q = horner(kErfcLarge, _mm256_sub_ps(a, _mm256_set1_ps(2.5f)));
  const __m256 large = _mm256_or_ps(_mm256_fnmadd_ps(e, q, one), _mm256_and_ps(z, sign_bit));
  return _mm256_blendv_ps(small, large, large_lanes);
}

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
  static V gelu(V v) {  // functors::Gelu's order: x * 0.5 * (1 + erf(x * (1 / sqrt 2)))
    const V half_x = _mm256_mul_ps(v, _mm256_set1_ps(0.5f));
    const V erf = erf_float(_mm256_mul_ps(v, _mm256_set1_ps(static_cast<float>(kSqrtHalf))));
    return _mm256_mul_ps(half_x, _mm256_add_ps(_mm256_set1_ps(1.0f), erf));
  }
  static V silu(V v) { return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), exp(_mm256_sub_ps(_mm256_setzero_ps(), v)))); }
  static V silu_grad(V g, V x) {  // functors::Silu::grad's order: g * s * (1 + x * (1 - s))
    const V one = _mm256_set1_ps(1.0f);
    const V s = _mm256_div_ps(one, _mm256_add_ps(one, exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    return _mm256_mul_ps(_mm256_mul_ps(g, s), _mm256_add_ps(one, _mm256_mul_ps(x, _mm256_sub_ps(one, s))));
  }
  static V gelu_grad(V g, V x) {  // functors::Gelu::grad's order: g * (cdf + x * pdf)
    const V erf = erf_float(_mm256_mul_ps(x, _mm256_set1_ps(static_cast<float>(kSqrtHalf))));
    const V cdf = _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_add_ps(_mm256_set1_ps(1.0f), erf));
    const V e = exp(_mm256_mul_ps(_mm256_mul_ps(x, x), _mm256_set1_ps(-0.5f)));
    const V pdf = _mm256_mul_ps(_mm256_set1_ps(static_cast<float>(kInvSqrt2Pi)), e);
    return _mm256_mul_ps(g, _mm256_add_ps(cdf, _mm256_mul_ps(x, pdf)));
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
  static V gelu(V v) {
    const V half_x = _mm256_mul_pd(v, _mm256_set1_pd(0.5));
    const V erf = Sleef_erfd4_u10avx2(_mm256_mul_pd(v, _mm256_set1_pd(kSqrtHalf)));
    return _mm256_mul_pd(half_x, _mm256_add_pd(_mm256_set1_pd(1.0), erf));
  }
  static V silu(V v) { return _mm256_div_pd(v, _mm256_add_pd(_mm256_set1_pd(1.0), exp(_mm256_sub_pd(_mm256_setzero_pd(), v)))); }
  static V silu_grad(V g, V x) {
    const V one = _mm256_set1_pd(1.0);
    const V s = _mm256_div_pd(one, _mm256_add_pd(one, exp(_mm256_sub_pd(_mm256_setzero_pd(), x))));
    return _mm256_mul_pd(_mm256_mul_pd(g, s), _mm256_add_pd(one, _mm256_mul_pd(x, _mm256_sub_pd(one, s))));
  }
  static V gelu_grad(V g, V x) {
    const V erf = Sleef_erfd4_u10avx2(_mm256_mul_pd(x, _mm256_set1_pd(kSqrtHalf)));
    const V cdf = _mm256_mul_pd(_mm256_set1_pd(0.5), _mm256_add_pd(_mm256_set1_pd(1.0), erf));
    const V e = exp(_mm256_mul_pd(_mm256_mul_pd(x, x), _mm256_set1_pd(-0.5)));
    const V pdf = _mm256_mul_pd(_mm256_set1_pd(kInvSqrt2Pi), e);
    return _mm256_mul_pd(g, _mm256_add_pd(cdf, _mm256_mul_pd(x, pdf)));
  }
};

template <typename L, typename Op>
void run(const Op& op, const typename L::T* in, typename L::T* out, int64_t n) {
  int64_t i = 0;
  for (; i + L::kLanes <= n; i += L::kLanes) L::store(out + i, op(L::load(in + i)));
  if (i == n) return;
  // The last partial vector, padded with zeros (exp, tanh, sigmoid, GELU and SiLU of 0
  // raise nothing; log's -inf in the unused lanes is discarded).
  typename L::T buffer[L::kLanes] = {};
  for (int64_t k = i; k < n; ++k) buffer[k - i] = in[k];
  L::store(buffer, op(L::load(buffer)));
  for (int64_t k = i; k < n; ++k) out[k] = buffer[k - i];
}

// out = op(a, b) over two arrays, the last partial vector padded with zeros as run's.
template <typename L, typename Op>
void run2(const Op& op, const typename L::T* a, const typename L::T* b, typename L::T* out, int64_t n) {
  int64_t i = 0;
  for (; i + L::kLanes <= n; i += L::kLanes) L::store(out + i, op(L::load(a + i), L::load(b + i)));
  if (i == n) return;
  typename L::T pad_a[L::kLanes] = {}, pad_b[L::kLanes] = {};
  for (int64_t k = i; k < n; ++k) pad_a[k - i] = a[k], pad_b[k - i] = b[k];
  L::store(pad_a, op(L::load(pad_a), L::load(pad_b)));
  for (int64_t k = i; k < n; ++k) out[k] = pad_a[k - i];
}

template <typename L>
void dispatch(Fn fn, const typename L::T* in, typename L::T* out, int64_t n) {
  using V = typename L::V;
  switch (fn) {
    case Fn::Exp: return run<L>([](V v) { return L::exp(v); }, in, out, n);
    case Fn::Log: return run<L>([](V v) { return L::log(v); }, in, out, n);
    case Fn::Tanh: return run<L>([](V v) { return L::tanh(v); }, in, out, n);
    case Fn::Sigmoid: return run<L>([](V v) { return L::sigmoid(v); }, in, out, n);
    case Fn::Gelu: return run<L>([](V v) { return L::gelu(v); }, in, out, n);
    case Fn::Silu: return run<L>([](V v) { return L::silu(v); }, in, out, n);
  }
}

// ---------------------------------------------------------------- row primitives
// Four values of a row widened to double: softmax's rows are reduced in double
// (Note [Vectorised transcendental functions]).
__m256d widen4(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
__m256d widen4(const double* p) { return _mm256_loadu_pd(p); }
void narrow4(float* p, __m256d v) { _mm_storeu_ps(p, _mm256_cvtpd_ps(v)); }
void narrow4(double* p, __m256d v) { _mm256_storeu_pd(p, v); }

// _mm256_max(x, running) is `x > running ? x : running` lane by lane (a NaN x loses),
// the scalar max_ignoring_nan's; the lanes are then joined the same way.
template <typename T, typename V, typename MaxFn>
T max_lanes(const T* x, int64_t n, V running, const MaxFn& max) {
  constexpr int kLanes = static_cast<int>(sizeof(V) / sizeof(T));
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) running = max(x + i, running);
  T lanes[kLanes];
  __builtin_memcpy(lanes, &running, sizeof(V));
  T m = lanes[0];
  for (int l = 1; l < kLanes; ++l) m = lanes[l] > m ? lanes[l] : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// exp(d) of eight doubles (two halves), d within a float's reach: SLEEF's float exp of
// float(d), times 1 + (d - float(d)), the rounding left out of the argument. A float row's
// exps cost the float function's, not the double one's (a third of it here), and stay
// within an ulp or so of a float's exp(d) for every d, not |d| ulps as float(d) alone.
// The remainder is not applied where it is NaN (d = -inf: -inf + inf) or the exp is
// infinite, so exp(-inf) stays 0 and exp(large) stays inf.
struct Exp8 {
  __m256d lo, hi;
};
__m256d corrected(__m256d d, __m128 f, __m256d e) {
  const __m256d r = _mm256_sub_pd(d, _mm256_cvtps_pd(f));
  const __m256d usable = _mm256_and_pd(_mm256_cmp_pd(r, r, _CMP_ORD_Q),
                                       _mm256_cmp_pd(e, _mm256_set1_pd(__builtin_inf()), _CMP_LT_OQ));
  return _mm256_blendv_pd(e, _mm256_fmadd_pd(e, r, e), usable);
}
Exp8 exp_through_float(__m256d d_lo, __m256d d_hi) {
  const __m128 f_lo = _mm256_cvtpd_ps(d_lo), f_hi = _mm256_cvtpd_ps(d_hi);
  const __m256 e = Sleef_expf8_u10avx2(_mm256_set_m128(f_hi, f_lo));
  return {corrected(d_lo, f_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(e))),
          corrected(d_hi, f_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)))};
}

// exp(x - shift) for eight values of a row: float rows through exp_through_float,
// double rows through SLEEF's double exp.
Exp8 exp_shifted8(const float* x, __m256d shift) {
  return exp_through_float(_mm256_sub_pd(widen4(x), shift), _mm256_sub_pd(widen4(x + 4), shift));
}
Exp8 exp_shifted8(const double* x, __m256d shift) {
  return {Sleef_expd4_u10avx2(_mm256_sub_pd(widen4(x), shift)),
          Sleef_expd4_u10avx2(_mm256_sub_pd(widen4(x + 4), shift))};
}

// The last n < 8 values of a row, padded with pad, in a buffer of eight.
template <typename T>
void pad_tail(const T* x, int64_t n, T pad, T* buffer) {
  for (int64_t k = 0; k < 8; ++k) buffer[k] = k < n ? x[k] : pad;
}

// sum_i exp(x[i] - shift), each exp also stored to e[i] when e is not null.
template <typename T>
double sum_exp_shifted_rows(const T* x, int64_t n, double shift, double* e) {
  const __m256d s = _mm256_set1_pd(shift);
  __m256d acc = _mm256_setzero_pd();
  const auto add = [&](const Exp8& v, double* to) {
    acc = _mm256_add_pd(acc, _mm256_add_pd(v.lo, v.hi));
    if (to) {
      _mm256_storeu_pd(to, v.lo);
      _mm256_storeu_pd(to + 4, v.hi);
    }
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) add(exp_shifted8(x + i, s), e ? e + i : nullptr);
  if (i < n) {  // unused lanes hold -inf, whose exp adds 0 (shift is finite: an infinite
                // max decides logsumexp without a sum)
    T buffer[8];
    pad_tail(x + i, n - i, static_cast<T>(-__builtin_inf()), buffer);
    double tail[8];
    add(exp_shifted8(buffer, s), e ? tail : nullptr);
    for (int64_t k = i; e && k < n; ++k) e[k] = tail[k - i];
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, acc);
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

template <typename T>
void exp_shifted_rows(const T* x, int64_t n, double shift, T* y) {
  const __m256d s = _mm256_set1_pd(shift);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const Exp8 e = exp_shifted8(x + i, s);
    narrow4(y + i, e.lo);
    narrow4(y + i + 4, e.hi);
  }
  if (i == n) return;
  T buffer[8];
  pad_tail(x + i, n - i, T(0), buffer);
  const Exp8 e = exp_shifted8(buffer, s);
  narrow4(buffer, e.lo);
  narrow4(buffer + 4, e.hi);
  for (int64_t k = i; k < n; ++k) y[k] = buffer[k - i];
}

// accumulate_run's sixteen lanes as four vectors: vector k holds lanes 4k .. 4k + 3.
template <typename T>
double accumulate_lanes(double acc, const T* p, int64_t n) {
  __m256d lanes[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 4; ++k) lanes[k] = _mm256_add_pd(lanes[k], widen4(p + i + 4 * k));
  if (i > 0) {
    double values[16];
    for (int k = 0; k < 4; ++k) _mm256_storeu_pd(values + 4 * k, lanes[k]);
    for (double v : values) acc += v;
  }
  for (; i < n; ++i) acc += static_cast<double>(p[i]);
  return acc;
}

}  // namespace

double accumulate_run(double acc, const float* p, int64_t n) { return accumulate_lanes(acc, p, n); }
double accumulate_run(double acc, const double* p, int64_t n) { return accumulate_lanes(acc, p, n); }

void apply(Fn fn, const float* in, float* out, int64_t n) { dispatch<F32>(fn, in, out, n); }
void apply(Fn fn, const double* in, double* out, int64_t n) { dispatch<F64>(fn, in, out, n); }
template <typename L>
void dispatch_grad(Fn fn, const typename L::T* g, const typename L::T* x, typename L::T* out, int64_t n) {
  using V = typename L::V;
  if (fn == Fn::Gelu) return run2<L>([](V a, V b) { return L::gelu_grad(a, b); }, g, x, out, n);
  run2<L>([](V a, V b) { return L::silu_grad(a, b); }, g, x, out, n);  // Fn::Silu (vector_math.cpp checked)
}

void grad(Fn fn, const float* g, const float* x, float* out, int64_t n) { dispatch_grad<F32>(fn, g, x, out, n); }
void grad(Fn fn, const double* g, const double* x, double* out, int64_t n) { dispatch_grad<F64>(fn, g, x, out, n); }

float max_ignoring_nan(const float* x, int64_t n) {
  return max_lanes(x, n, _mm256_set1_ps(-__builtin_inff()),
                   [](const float* p, __m256 running) { return _mm256_max_ps(_mm256_loadu_ps(p), running); });
}
double max_ignoring_nan(const double* x, int64_t n) {
  return max_lanes(x, n, _mm256_set1_pd(-__builtin_inf()),
                   [](const double* p, __m256d running) { return _mm256_max_pd(_mm256_loadu_pd(p), running); });
}
double sum_exp_shifted(const float* x, int64_t n, double shift, double* e) {
  return sum_exp_shifted_rows(x, n, shift, e);
}
double sum_exp_shifted(const double* x, int64_t n, double shift, double* e) {
  return sum_exp_shifted_rows(x, n, shift, e);
}
void exp_shifted(const float* x, int64_t n, double shift, float* y) { exp_shifted_rows(x, n, shift, y); }
void exp_shifted(const double* x, int64_t n, double shift, double* y) { exp_shifted_rows(x, n, shift, y); }

}  // namespace ember::cpu::vector_math::avx2
#endif
