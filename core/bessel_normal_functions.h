// torch.special's modified Bessel functions i0, i0e, i1, i1e and the normal distribution's
// tails erfcx, ndtri, log_ndtr, as __host__ __device__ double code shared by the CPU loops
// and the CUDA kernels (core/math_functors.h wraps them as functors). Measured against
// mpmath at 50 digits (tests/core/test_special_namespace.cpp): within 2e-15 relative.
#pragma once
#include <cmath>
#include <limits>

#include "core/macros.h"
#include "core/special_functors.h"

namespace ember::scalar_special {

// Note [Modified Bessel functions by series and asymptotics]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// I_nu(x) for nu = 0, 1 and x = |x| <= 20 is the power series (x/2)^nu sum_k (x^2/4)^k /
// (k! (k + nu)!): every term is positive, so it loses nothing to cancellation, and it stops
// when a term no longer changes the sum (at most about 70 terms at 20). Above 20 it is
// Hankel's expansion e^x / sqrt(2 pi x) sum_k c_k, c_k = -c_(k-1) (4 nu^2 - (2k - 1)^2) /
// (8 k x), summed until the terms stop shrinking; the smallest term there is below e^(-2x)
// = 4e-18, so both sides of 20 are exact to a few ulps. The scaled forms i0e = e^(-|x|) i0
// and i1e = e^(-|x|) i1 take the expansion without its e^x, so they never overflow. i0 is
// even; i1 and i1e are odd. +-inf gives inf (i0e, i1e: 0), NaN gives NaN.
constexpr double kBesselSeriesLimit = 20.0;

// sum_k (x^2/4)^k / (k! (k + nu)!), the series without its (x/2)^nu.
EMBER_HD_INLINE double bessel_i_series(double x, int nu) {
  const double quarter_square = 0.25 * x * x;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 200; ++k) {
    term *= quarter_square / (static_cast<double>(k) * static_cast<double>(k + nu));
    const double next = sum + term;
    if (next == sum) break;
    sum = next;
  }
  return sum;
}

// e^(-x) I_nu(x) for x > kBesselSeriesLimit by Hankel's expansion.
EMBER_HD_INLINE double bessel_i_scaled_asymptotic(double x, int nu) {
  const double mu = 4.0 * nu * nu;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 100; ++k) {
    const double odd = 2.0 * k - 1.0;
    const double next = -term * (mu - odd * odd) / (8.0 * k * x);
    if (EMBER_MATH(fabs)(next) >= EMBER_MATH(fabs)(term)) break;
    term = next;
    sum += term;
  }
  return sum / EMBER_MATH(sqrt)(2.0 * kPi * x);
}

// e^(-scale |x|) I_nu(|x|), scale 0 (i0, i1) or 1 (i0e, i1e), for nu = 0 or 1 (sign not applied).
EMBER_HD_INLINE double bessel_i_magnitude(double x, int nu, bool scaled) {
  const double ax = EMBER_MATH(fabs)(x);
  if (ax != ax) return x;
  if (ax <= kBesselSeriesLimit) {
    const double value = (nu == 0 ? 1.0 : 0.5 * ax) * bessel_i_series(ax, nu);
    return scaled ? value * EMBER_MATH(exp)(-ax) : value;
  }
  if (ax == std::numeric_limits<double>::infinity()) return scaled ? 0.0 : ax;
  const double value = bessel_i_scaled_asymptotic(ax, nu);
  // e^ax past a double's range (ax > 709.78) while the product is not: split the exponent.
  return scaled ? value : value * EMBER_MATH(exp)(0.5 * ax) * EMBER_MATH(exp)(0.5 * ax);
}

EMBER_HD_INLINE double i0(double x) { return bessel_i_magnitude(x, 0, false); }
EMBER_HD_INLINE double i0e(double x) { return bessel_i_magnitude(x, 0, true); }
EMBER_HD_INLINE double i1(double x) { return EMBER_MATH(copysign)(bessel_i_magnitude(x, 1, false), x); }
EMBER_HD_INLINE double i1e(double x) { return EMBER_MATH(copysign)(bessel_i_magnitude(x, 1, true), x); }

// Note [The normal tails through erfcx]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// erfcx(x) = e^(x^2) erfc(x). e^(x^2) is taken as e^h (1 + l) with x^2 = h + l split exactly
// by an fma, so a large x^2's rounding (an error of |x^2| ulps) does not reach the result.
// 0 <= x < 5 multiplies that by erfc(x); x >= 5 is the continued fraction erfc(x) e^(x^2) =
// (1/sqrt(pi)) / (x + (1/2) / (x + (2/2) / (x + (3/2) / ...))), 20 levels deep, evaluated from
// the bottom (exact to a double there; +inf gives 0); x < 0 is 2 e^(x^2) - erfcx(-x), +inf
// below -26.64 where e^(x^2) overflows. log_ndtr(x) = log(Phi(x)) is log1p(-erfc(x/sqrt2)/2)
// above 0, log(erfc(-x/sqrt2)/2) on [-1, 0], and log(erfcx(-x/sqrt2)/2) - x^2/2 below -1,
// so it stays finite and exact where Phi underflows. ndtri(p) = Phi^-1(p) starts, for p <=
// 1/2, from sqrt2 erfinv(2p - 1) when p > 0.075 and from Abramowitz and Stegun's 26.2.23
// (within 4.5e-4) below, then takes three Newton steps on log_ndtr(x) = log(p), whose
// derivative Phi'/Phi is sqrt(2/pi) / erfcx(-x/sqrt2); p > 1/2 is -ndtri(1 - p) (1 - p is
// exact there). ndtri(0) = -inf, ndtri(1) = inf, p outside [0, 1] or NaN gives NaN.
EMBER_HD_INLINE double exp_of_square(double x) {
  const double high = x * x;
  const double low = EMBER_MATH(fma)(x, x, -high);
  return EMBER_MATH(exp)(high) * (1.0 + low);
}

// erfcx of x >= 0 (no recursion: the device code inlines every call).
EMBER_HD_INLINE double erfcx_of_nonnegative(double x) {
  if (x < 5.0) return exp_of_square(x) * EMBER_MATH(erfc)(x);
  double fraction = x;
  for (int k = 20; k >= 1; --k) fraction = x + 0.5 * k / fraction;
  return 1.0 / (EMBER_MATH(sqrt)(kPi) * fraction);
}

EMBER_HD_INLINE double erfcx(double x) {
  if (x != x) return x;
  if (x >= 0.0) return erfcx_of_nonnegative(x);
  if (x < -26.64) return std::numeric_limits<double>::infinity();
  return 2.0 * exp_of_square(x) - erfcx_of_nonnegative(-x);
}

constexpr double kSqrtHalf = 0.70710678118654752440;

EMBER_HD_INLINE double log_ndtr(double x) {
  const double t = x * kSqrtHalf;
  if (x < -1.0) return EMBER_MATH(log)(0.5 * erfcx(-t)) - 0.5 * x * x;
  if (x > 0.0) return EMBER_MATH(log1p)(-0.5 * EMBER_MATH(erfc)(t));
  return EMBER_MATH(log)(0.5 * EMBER_MATH(erfc)(-t));
}

EMBER_HD_INLINE double ndtri(double p) {
  if (!(p >= 0.0 && p <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.0) return -std::numeric_limits<double>::infinity();
  if (p == 1.0) return std::numeric_limits<double>::infinity();
  const bool upper = p > 0.5;
  const double lower_p = upper ? 1.0 - p : p;
  double x;
  if (lower_p > 0.075) {
    x = erfinv(2.0 * lower_p - 1.0) / kSqrtHalf;
  } else {
    const double t = EMBER_MATH(sqrt)(-2.0 * EMBER_MATH(log)(lower_p));
    x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  }
  const double log_p = EMBER_MATH(log)(lower_p);
  const double sqrt_pi_over_2 = EMBER_MATH(sqrt)(0.5 * kPi);
  for (int step = 0; step < 3; ++step) x -= (log_ndtr(x) - log_p) * erfcx(-x * kSqrtHalf) * sqrt_pi_over_2;
  return upper ? -x : x;
}

}  // namespace ember::scalar_special
