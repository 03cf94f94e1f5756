// The run-time choice between SLEEF's AVX2 functions and the scalar functors for
// core/cpu/vector_math.h (Note [Vectorised transcendental functions]).
#include "core/cpu/vector_math.h"

#include <limits>

#include "core/error.h"
#include "core/optim_math.h"

namespace ember::cpu::vector_math {
namespace {

template <typename T>
void apply_scalar(Fn fn, const T* in, T* out, int64_t n) {
  const auto each = [&](const auto& f) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]);
  };
  switch (fn) {
    case Fn::Exp: return each(functors::Exp{});
    case Fn::Log: return each(functors::Log{});
    case Fn::Tanh: return each(functors::Tanh{});
    case Fn::Sigmoid: return each(functors::Sigmoid{});
    case Fn::Gelu: return each(functors::Gelu{});
    case Fn::Silu: return each(functors::Silu{});
  }
}

bool cpu_has_avx2() {
#if defined(EMBER_HAVE_SLEEF) && (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

template <typename T>
void apply_on(Isa isa, Fn fn, const T* in, T* out, int64_t n) {
  if (n <= 0) return;
#if defined(EMBER_HAVE_SLEEF) && (defined(__x86_64__) || defined(__i386__))
  if (isa == Isa::Avx2) return avx2::apply(fn, in, out, n);
#else
  (void)isa;  // only Scalar is available
#endif
  apply_scalar(fn, in, out, n);
}

}  // namespace

bool isa_available(Isa isa) { return isa == Isa::Scalar || (isa == Isa::Avx2 && cpu_has_avx2()); }

Isa active_isa() { return cpu_has_avx2() ? Isa::Avx2 : Isa::Scalar; }

const char* isa_name(Isa isa) { return isa == Isa::Avx2 ? "avx2 (SLEEF)" : "scalar (libm)"; }

void apply(Fn fn, const float* in, float* out, int64_t n) { apply_on(active_isa(), fn, in, out, n); }
void apply(Fn fn, const double* in, double* out, int64_t n) { apply_on(active_isa(), fn, in, out, n); }

void apply_with(Isa isa, Fn fn, const float* in, float* out, int64_t n) {
  EMBER_CHECK(isa_available(isa), "vector_math: ", isa_name(isa), " is not available on this CPU or build");
  apply_on(isa, fn, in, out, n);
}
void apply_with(Isa isa, Fn fn, const double* in, double* out, int64_t n) {
  EMBER_CHECK(isa_available(isa), "vector_math: ", isa_name(isa), " is not available on this CPU or build");
  apply_on(isa, fn, in, out, n);
}

template <typename T>
void grad_on(Isa isa, Fn fn, const T* g, const T* x, T* out, int64_t n) {
  EMBER_INTERNAL_ASSERT(has_vector_grad(fn), "vector_math::grad: no vector gradient for function ", static_cast<int>(fn));
  if (n <= 0) return;
#if defined(EMBER_HAVE_SLEEF) && (defined(__x86_64__) || defined(__i386__))
  if (isa == Isa::Avx2) return avx2::grad(fn, g, x, out, n);
#else
  (void)isa;
#endif
  const auto each = [&](const auto& act) {
    for (int64_t i = 0; i < n; ++i) out[i] = act.grad(g[i], x[i]);
  };
  if (fn == Fn::Gelu) return each(functors::Gelu{});
  each(functors::Silu{});
}

void grad(Fn fn, const float* g, const float* x, float* out, int64_t n) { grad_on(active_isa(), fn, g, x, out, n); }
void grad(Fn fn, const double* g, const double* x, double* out, int64_t n) { grad_on(active_isa(), fn, g, x, out, n); }
void grad_with(Isa isa, Fn fn, const float* g, const float* x, float* out, int64_t n) {
  EMBER_CHECK(isa_available(isa), "vector_math: ", isa_name(isa), " is not available on this CPU or build");
  grad_on(isa, fn, g, x, out, n);
}
void grad_with(Isa isa, Fn fn, const double* g, const double* x, double* out, int64_t n) {
  EMBER_CHECK(isa_available(isa), "vector_math: ", isa_name(isa), " is not available on this CPU or build");
  grad_on(isa, fn, g, x, out, n);
}

template <typename T>
T max_ignoring_nan(const T* x, int64_t n) {
#if defined(EMBER_HAVE_SLEEF) && (defined(__x86_64__) || defined(__i386__))
  if (active_isa() == Isa::Avx2) return avx2::max_ignoring_nan(x, n);
#endif
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

template <typename T>
double sum_exp_shifted_with(Isa isa, const T* x, int64_t n, double shift, double* e) {
  EMBER_CHECK(isa_available(isa), "vector_math: ", isa_name(isa), " is not available on this CPU or build");
#if defined(EMBER_HAVE_SLEEF) && (defined(__x86_64__) || defined(__i386__))
  if (isa == Isa::Avx2) return avx2::sum_exp_shifted(x, n, shift, e);
#endif
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = fused::exp_shifted(static_cast<double>(x[i]), shift);
    if (e) e[i] = v;
    sum += v;
  }
  return sum;
}

template <typename T>
double sum_exp_shifted(const T* x, int64_t n, double shift, double* e) {
  return sum_exp_shifted_with(active_isa(), x, n, shift, e);
}

template <typename T>
void exp_shifted(const T* x, int64_t n, double shift, T* y) {
#if defined(EMBER_HAVE_SLEEF) && (defined(__x86_64__) || defined(__i386__))
  if (active_isa() == Isa::Avx2) return avx2::exp_shifted(x, n, shift, y);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(fused::exp_shifted(static_cast<double>(x[i]), shift));
}

template <typename T>
double accumulate_run_with(Isa isa, double acc, const T* p, int64_t n) {
  EMBER_CHECK(isa_available(isa), "vector_math: ", isa_name(isa), " is not available on this CPU or build");
#if defined(EMBER_HAVE_SLEEF) && (defined(__x86_64__) || defined(__i386__))
  if (isa == Isa::Avx2) return avx2::accumulate_run(acc, p, n);
#endif
  double lanes[kAccumulateLanes] = {};
  int64_t i = 0;
  for (; i + kAccumulateLanes <= n; i += kAccumulateLanes)
    for (int l = 0; l < kAccumulateLanes; ++l) lanes[l] += static_cast<double>(p[i + l]);
  if (i > 0)
    for (double lane : lanes) acc += lane;
  for (; i < n; ++i) acc += static_cast<double>(p[i]);
  return acc;
}

template <typename T>
double accumulate_run(double acc, const T* p, int64_t n) {
  return accumulate_run_with(active_isa(), acc, p, n);
}

template double accumulate_run(double, const float*, int64_t);
template double accumulate_run(double, const double*, int64_t);
template double accumulate_run_with(Isa, double, const float*, int64_t);
template double accumulate_run_with(Isa, double, const double*, int64_t);
template float max_ignoring_nan(const float*, int64_t);
template double max_ignoring_nan(const double*, int64_t);
template double sum_exp_shifted(const float*, int64_t, double, double*);
template double sum_exp_shifted(const double*, int64_t, double, double*);
template double sum_exp_shifted_with(Isa, const float*, int64_t, double, double*);
template double sum_exp_shifted_with(Isa, const double*, int64_t, double, double*);
template void exp_shifted(const float*, int64_t, double, float*);
template void exp_shifted(const double*, int64_t, double, double*);

}  // namespace ember::cpu::vector_math
