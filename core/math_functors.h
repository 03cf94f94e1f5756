// Elementwise math beyond the basic ops, as __host__ __device__ functors shared by the CPU
// loops and the CUDA kernels (core/functors.h maps UnaryOp/BinaryOp to them): trig and
// hyperbolic functions and their inverses, log1p/expm1/log2/log10/exp2, rsqrt, reciprocal,
// erf/erfc/erfinv, lgamma/digamma/trigamma (core/special_functors.h), sign, the four
// roundings, atan2, fmod, remainder, div's rounding modes, hypot, copysign and logaddexp(2), each with
// PyTorch's values at the edges.
#pragma once
#include <cmath>
#include <type_traits>

#include "core/macros.h"
#include "core/special_functors.h"

namespace ember::functors {

// One floating-point function of <cmath> (and CUDA's math library) as a functor.
#define EMBER_FLOAT_FUNCTOR(Name, fn)                                        \
  struct Name {                                                              \
    template <typename T>                                                    \
    EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(fn)(x); }    \
  };
EMBER_FLOAT_FUNCTOR(Sin, sin)
EMBER_FLOAT_FUNCTOR(Cos, cos)
EMBER_FLOAT_FUNCTOR(Tan, tan)
EMBER_FLOAT_FUNCTOR(Asin, asin)
EMBER_FLOAT_FUNCTOR(Acos, acos)
EMBER_FLOAT_FUNCTOR(Atan, atan)
EMBER_FLOAT_FUNCTOR(Sinh, sinh)
EMBER_FLOAT_FUNCTOR(Cosh, cosh)
EMBER_FLOAT_FUNCTOR(Log1p, log1p)
EMBER_FLOAT_FUNCTOR(Expm1, expm1)
EMBER_FLOAT_FUNCTOR(Log2, log2)
EMBER_FLOAT_FUNCTOR(Log10, log10)
EMBER_FLOAT_FUNCTOR(Erf, erf)
EMBER_FLOAT_FUNCTOR(Erfc, erfc)
EMBER_FLOAT_FUNCTOR(Asinh, asinh)
EMBER_FLOAT_FUNCTOR(Acosh, acosh)
EMBER_FLOAT_FUNCTOR(Atanh, atanh)
EMBER_FLOAT_FUNCTOR(Exp2, exp2)
// The special functions of core/special_functors.h, computed in double.
#define EMBER_SPECIAL_FUNCTOR(Name, fn)                                              \
  struct Name {                                                                      \
    template <typename T>                                                            \
    EMBER_HD_INLINE T operator()(T x) const { return static_cast<T>(special::fn(x)); } \
  };
EMBER_SPECIAL_FUNCTOR(Erfinv, erfinv)
EMBER_SPECIAL_FUNCTOR(Lgamma, lgamma)
EMBER_SPECIAL_FUNCTOR(Digamma, digamma)
EMBER_SPECIAL_FUNCTOR(Trigamma, trigamma)
#undef EMBER_SPECIAL_FUNCTOR
// Rounding: integers are their own floor, ceil, round and trunc (as PyTorch's).
// round is to nearest, ties to even (0.5 -> 0, 2.5 -> 2), as torch.round.
#define EMBER_ROUNDING_FUNCTOR(Name, fn)                                   \
  struct Name {                                                            \
    template <typename T>                                                  \
    EMBER_HD_INLINE T operator()(T x) const {                              \
      if constexpr (std::is_floating_point_v<T>) return EMBER_MATH(fn)(x); \
      else return x;                                                       \
    }                                                                      \
  };
EMBER_ROUNDING_FUNCTOR(Floor, floor)
EMBER_ROUNDING_FUNCTOR(Ceil, ceil)
EMBER_ROUNDING_FUNCTOR(Round, nearbyint)
EMBER_ROUNDING_FUNCTOR(Trunc, trunc)
#undef EMBER_FLOAT_FUNCTOR
#undef EMBER_ROUNDING_FUNCTOR

// 1 / sqrt(x): rsqrt(0) = inf, rsqrt(-1) = NaN.
struct Rsqrt {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return T(1) / EMBER_MATH(sqrt)(x); }
};
struct Reciprocal {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return T(1) / x; }
};
// (0 < x) - (x < 0) as PyTorch computes it: sign(NaN) = 0, sign(-0.0) = 0; a bool is itself.
struct Sign {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x;
    else if constexpr (std::is_unsigned_v<T>) return static_cast<T>(x > T(0));
    else return static_cast<T>(static_cast<int>(T(0) < x) - static_cast<int>(x < T(0)));
  }
};

// ---- binary ----
// a % b for integers, b != 0; x % -1 is 0 without the overflow (and trap) of INT_MIN % -1.
template <typename T>
EMBER_HD_INLINE T int_remainder(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return T(0);
  }
  return static_cast<T>(a % b);
}
struct Atan2 {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return EMBER_MATH(atan2)(a, b); }
};
// sqrt(a^2 + b^2) without overflow or underflow in between (C's hypot).
struct Hypot {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return EMBER_MATH(hypot)(a, b); }
};
// |a| with b's sign bit (so -0.0 and -NaN count as negative), C's copysign.
struct Copysign {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return EMBER_MATH(copysign)(a, b); }
};
// log(e^a + e^b) (log2(2^a + 2^b) for Base2) as max + log1p(e^-|a - b|), so neither
// overflows; two equal infinities give themselves (inf - inf would be NaN), NaN stays NaN.
template <bool Base2>
struct LogAddExpOf {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    if (EMBER_MATH(isinf)(a) && a == b) return a;
    const T larger = a > b ? a : b;
    const T gap = -EMBER_MATH(fabs)(a - b);
    if constexpr (Base2) return larger + EMBER_MATH(log1p)(EMBER_MATH(exp2)(gap)) / T(0.693147180559945309417232121458);
    else return larger + EMBER_MATH(log1p)(EMBER_MATH(exp)(gap));
  }
};
using LogAddExp = LogAddExpOf<false>;
using LogAddExp2 = LogAddExpOf<true>;
// C's fmod: the remainder of a / b truncated, with a's sign. Integer divisors are never
// 0 here (the op layer checks: PyTorch's ZeroDivisionError).
struct Fmod {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return EMBER_MATH(fmod)(a, b);
    else return int_remainder(a, b);
  }
};
// Python's %: the remainder of a / b floored, with b's sign (PyTorch's remainder: fmod,
// then b added when the signs differ; a zero result keeps fmod's sign).
struct Remainder {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    T r;
    if constexpr (std::is_floating_point_v<T>) r = EMBER_MATH(fmod)(a, b);
    else r = int_remainder(a, b);
    if constexpr (std::is_unsigned_v<T>) return r;
    else return (r != T(0) && ((b < T(0)) != (r < T(0)))) ? static_cast<T>(r + b) : r;
  }
};

// a / b truncated toward zero for integers, b != 0 (the op layer checks): x / -1 is the
// negation wrapped, without the overflow (and trap) of INT_MIN / -1.
template <typename T>
EMBER_HD_INLINE T int_quotient(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return static_cast<T>(std::make_unsigned_t<T>(0) - static_cast<std::make_unsigned_t<T>>(a));
  }
  return static_cast<T>(a / b);
}
// torch.div(..., rounding_mode="trunc"): the quotient rounded toward zero.
struct DivTrunc {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return EMBER_MATH(trunc)(a / b);
    else return int_quotient(a, b);
  }
};
// torch.div(..., rounding_mode="floor"), Python's //. Integers: the truncated quotient, one
// less when the division was inexact and the signs differ. Floats: (a - fmod(a, b)) / b is
// a whole number up to one rounding, stepped down when the remainder's sign is not b's
// (the floored remainder's rule, as Remainder), then snapped to the nearest whole number;
// a zero quotient takes the sign of a / b, and b == 0 gives a / b (inf or NaN). So
// 1 // 0.1 is 9, where floor(1 / 0.1) would be 10.
struct DivFloor {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (b == T(0)) return a / b;
      const T rem = EMBER_MATH(fmod)(a, b);
      T quotient = (a - rem) / b;
      if (rem != T(0) && ((b < T(0)) != (rem < T(0)))) quotient -= T(1);
      if (quotient == T(0)) return EMBER_MATH(copysign)(T(0), a / b);
      T whole = EMBER_MATH(floor)(quotient);
      if (quotient - whole > T(0.5)) whole += T(1);
      return whole;
    } else {
      const T q = int_quotient(a, b);
      if constexpr (std::is_signed_v<T>) {
        if (b != T(-1) && a % b != T(0) && ((a < T(0)) != (b < T(0)))) return static_cast<T>(q - T(1));
      }
      return q;
    }
  }
};

}  // namespace ember::functors
