// The special functions <cmath> lacks or gets wrong for threads, as __host__ __device__
// code shared by the CPU loops and the CUDA kernels (core/math_functors.h wraps them as
// functors): erfinv, digamma, trigamma (digamma's derivative) and a thread-safe lgamma.
// Each computes in double, so float and double inputs share one path.
#pragma once
#include <cmath>
#include <limits>

#include "core/macros.h"

namespace ember::scalar_special {

constexpr double kPi = 3.14159265358979323846;

// Note [erfinv by Halley steps]
// erfinv(x) starts from Winitzki's closed-form approximation (relative error below 0.5%)
// and takes three Halley steps on f(y) = erf(y) - x, where f' = 2/sqrt(pi) e^(-y^2) and
// f'' = -2y f', so a step is y -= f / (f' + y f); the error cubes each step, far past a
// double's precision. For |x| >= 0.5 the residual is taken as erfc(y) against 1 - |x|
// (exact there) instead of erf(y) - |x|, so the tails near +-1 keep their relative
// precision. erfinv(+-1) = +-inf, |x| > 1 or NaN gives NaN, the sign (also of -0.0) is x's.
EMBER_HD_INLINE double erfinv(double x) {
  const double ax = EMBER_MATH(fabs)(x);
  if (!(ax <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (ax == 1.0) return EMBER_MATH(copysign)(std::numeric_limits<double>::infinity(), x);
  if (ax == 0.0) return x;
  constexpr double a = 0.147;
  const double log_term = EMBER_MATH(log)((1.0 - ax) * (1.0 + ax));  // ln(1 - x^2)
  const double first = 2.0 / (kPi * a) + 0.5 * log_term;
  double y = EMBER_MATH(sqrt)(EMBER_MATH(sqrt)(first * first - log_term / a) - first);
  const double tail = 1.0 - ax;  // exact for ax >= 0.5
  for (int step = 0; step < 3; ++step) {
    const double f = ax >= 0.5 ? tail - EMBER_MATH(erfc)(y) : EMBER_MATH(erf)(y) - ax;
    const double slope = 2.0 / EMBER_MATH(sqrt)(kPi) * EMBER_MATH(exp)(-y * y);
    y -= f / (slope + y * f);
  }
  return EMBER_MATH(copysign)(y, x);
}

// digamma(x) = d/dx ln(gamma(x)), with PyTorch's values at the poles: digamma(0) = -inf,
// digamma(-0.0) = +inf, a negative integer gives NaN. x < 0 reflects (psi(1 - x) -
// pi / tan(pi x), tan taken of x's fraction, which large |x| would lose); small x recurs
// up to 12, where the asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) is exact to a
// double.
EMBER_HD_INLINE double digamma(double x) {
  if (x == 0.0) return EMBER_MATH(copysign)(std::numeric_limits<double>::infinity(), -x);
  double shift = 0.0;
  if (x < 0.0) {
    if (x == EMBER_MATH(trunc)(x)) return std::numeric_limits<double>::quiet_NaN();
    shift = -kPi / EMBER_MATH(tan)(kPi * (x - EMBER_MATH(round)(x)));
    x = 1.0 - x;
  }
  while (x < 12.0) {
    shift -= 1.0 / x;
    x += 1.0;
  }
  const double r = 1.0 / (x * x);
  const double series =
      r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132 - r * (691.0 / 32760))))));
  return shift + EMBER_MATH(log)(x) - 0.5 / x - series;
}

// trigamma(x) = d/dx digamma(x) (PyTorch's polygamma(1, x)): +inf at 0 and the negative
// integers (where PyTorch's reflection gives a large finite number), NaN at -inf; x < 0
// reflects (pi^2 / sin^2(pi x) - psi1(1 - x), sin of x - round(x) as digamma's tan); small
// x recurs up to 12, then 1/x + 1/(2x^2) + sum B_2k / x^(2k+1).
EMBER_HD_INLINE double trigamma(double x) {
  if (x == -std::numeric_limits<double>::infinity()) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0.0 && x == EMBER_MATH(trunc)(x)) return std::numeric_limits<double>::infinity();
  double shift = 0.0, sign = 1.0;
  if (x < 0.0) {
    const double s = EMBER_MATH(sin)(kPi * (x - EMBER_MATH(round)(x)));
    shift = kPi * kPi / (s * s);
    sign = -1.0;
    x = 1.0 - x;
  }
  double sum = 0.0;
  while (x < 12.0) {
    sum += 1.0 / (x * x);
    x += 1.0;
  }
  const double r = 1.0 / (x * x);
  const double series =
      1.0 / 6 - r * (1.0 / 30 - r * (1.0 / 42 - r * (1.0 / 30 - r * (5.0 / 66 - r * (691.0 / 2730)))));
  return shift + sign * (sum + 1.0 / x + 0.5 * r + series * r / x);
}

// ln|gamma(x)|: glibc's lgamma writes the global signgam, a data race across the CPU
// loops' threads, so the host calls the reentrant lgamma_r (CUDA's lgamma has no such state).
EMBER_HD_INLINE double lgamma(double x) {
#if defined(__CUDA_ARCH__)
  return ::lgamma(x);
#else
  int sign = 0;
  return ::lgamma_r(x, &sign);
#endif
}

}  // namespace ember::scalar_special
