// Elementwise math beyond the basic ops, as __host__ __device__ functors shared by the CPU
// loops and the CUDA kernels (core/functors.h maps UnaryOp/BinaryOp to them): trig and
// hyperbolic functions and their inverses, log1p/expm1/log2/log10/exp2, rsqrt, reciprocal,
// erf/erfc/erfinv, lgamma/digamma/trigamma (core/special_functors.h), torch.special's i0/i0e/
// i1/i1e/erfcx/ndtri/log_ndtr (core/bessel_normal_functions.h), sign, the four
// roundings, atan2, fmod, remainder, div's rounding modes, hypot, copysign and logaddexp(2), each with
// PyTorch's values at the edges.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/macros.h"
#if !defined(__CUDA_ARCH__)
#include "core/cpu/select_bits.h"
#endif
#include "core/bessel_normal_functions.h"
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
    EMBER_HD_INLINE T operator()(T x) const { return static_cast<T>(scalar_special::fn(x)); } \
  };
EMBER_SPECIAL_FUNCTOR(Erfinv, erfinv)
EMBER_SPECIAL_FUNCTOR(Lgamma, lgamma)
EMBER_SPECIAL_FUNCTOR(Digamma, digamma)
EMBER_SPECIAL_FUNCTOR(Trigamma, trigamma)
EMBER_SPECIAL_FUNCTOR(I0, i0)
EMBER_SPECIAL_FUNCTOR(I0e, i0e)
EMBER_SPECIAL_FUNCTOR(I1, i1)
EMBER_SPECIAL_FUNCTOR(I1e, i1e)
EMBER_SPECIAL_FUNCTOR(Erfcx, erfcx)
EMBER_SPECIAL_FUNCTOR(Ndtri, ndtri)
EMBER_SPECIAL_FUNCTOR(LogNdtr, log_ndtr)
#undef EMBER_SPECIAL_FUNCTOR
// Note [Rounding without libm on the host]
// Baseline x86-64 has no rounding instruction, so trunc/floor/ceil/fmod are libm calls, one
// per element, in loops that then do not vectorise; libm's fmodf moreover walks the quotient
// one bit at a time (fmod of 1M floats took 17 ms, PyTorch's 0.6). The host forms below give
// libm's bits with plain arithmetic. trunc_of: a magnitude below 2^(mantissa bits) is rounded
// to a whole number by adding and subtracting that power, then stepped down if it went up;
// a larger one is whole already (infinities and NaN are returned as they are); the sign is
// put back (-0.3 -> -0.0). floor_of steps trunc's result down, ceil_of is -floor_of(-x).
// Each step subtracts a comparison's 0 or 1, and the library is built without
// -ftrapping-math (CMakeLists.txt), so GCC vectorises them. Loops with a libm fallback stay
// scalar, and there GCC would branch on such a comparison (mispredicted half the time on
// data): fmod_of, Remainder and DivFloor truncate through an integer conversion and choose on
// the bits instead (choose, one_if: cpu::select_bits). fmod_of of floats goes through
// double: a quotient Q below 2^25 is truncated exactly there (a whole n it is not is more
// than 2^-25 away once Q >= 1, as |Q - n| = |a - n b| / |b| >= ulp(b) / 2 / |b|, and a Q
// below 1 is at least 2^-24 below it; the double quotient is within 2^-29), t * b has at
// most 49 bits, so a - t * b is fmod's float exactly. For doubles, with Q below 2^26:
// t = trunc(a / b) is the true one or one too many (Q rounded up onto a whole number, which
// needs |a| >= |b|); with b split in 26 and 27 bits (Veltkamp), t * high and t * low are
// exact, and so are a - t * high (a multiple of ulp(b) below 2^54 ulp(b)) and the rest:
// fmod's value or, after one t too many, that value less b, which one b added back fixes.
// Where the target has FMA (FP_FAST_FMA) a - t * b is one fma instead, since a compiler may
// contract the split's multiply and subtract. Other quotients, zero, tiny, huge and
// non-finite divisors take libm's fmod. Device code calls CUDA's functions. Bit for bit
// against libm in tests/core/test_rounding_host.cpp (and 150M fuzzed cases in a review).
template <typename T>
EMBER_HD_INLINE T trunc_of(T x) {
#if defined(__CUDA_ARCH__)
  return EMBER_MATH(trunc)(x);
#else
  constexpr T kWhole = std::is_same_v<T, float> ? T(8388608.0f) : T(4503599627370496.0);  // 2^23, 2^52
  const T magnitude = std::fabs(x);
  const T nearest = (magnitude + kWhole) - kWhole;
  const T rounded = std::copysign(nearest - static_cast<T>(nearest > magnitude), x);
  return magnitude < kWhole ? rounded : x;
#endif
}
template <typename T>
EMBER_HD_INLINE T floor_of(T x) {
#if defined(__CUDA_ARCH__)
  return EMBER_MATH(floor)(x);
#else
  const T t = trunc_of(x);
  return t - static_cast<T>(t > x);
#endif
}
// ceil(x) is -floor(-x), signed zeros included (ceil(-0.5) is -0.0).
template <typename T>
EMBER_HD_INLINE T ceil_of(T x) {
#if defined(__CUDA_ARCH__)
  return EMBER_MATH(ceil)(x);
#else
  return -floor_of(-x);
#endif
}
// For the scalar loops (those with a libm fallback, which do not vectorise): a select and
// 0 or 1 as T, on the bits on the host, where GCC would branch on data (Note [Rounding
// without libm on the host]); and floor through an integer conversion, whole values (and
// inf, NaN) as they are. Device code chooses and floors as usual.
template <typename T>
EMBER_HD_INLINE T choose(bool cond, T yes, T no) {
#if defined(__CUDA_ARCH__)
  return cond ? yes : no;
#else
  return cpu::select_bits(cond, yes, no);
#endif
}
template <typename T>
EMBER_HD_INLINE T one_if(bool cond) {
  return choose(cond, T(1), T(0));
}
template <typename T>
EMBER_HD_INLINE T floor_scalar(T x) {
#if defined(__CUDA_ARCH__)
  return EMBER_MATH(floor)(x);
#else
  constexpr T kWhole = std::is_same_v<T, float> ? T(8388608.0f) : T(4503599627370496.0);  // 2^23, 2^52
  if (!(std::fabs(x) < kWhole)) return x;
  const T t = static_cast<T>(static_cast<int64_t>(x));
  return std::copysign(t - one_if<T>(t > x), x);
#endif
}
template <typename T>
EMBER_HD_INLINE T fmod_of(T a, T b) {
#if !defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>) {
    const double wide_a = a, wide_b = b;
    const double quotient = wide_a / wide_b;
    if (std::fabs(quotient) < 0x1p25 && std::fabs(wide_b) <= 0x1.fffffep127) {  // finite b
      const double t = static_cast<double>(static_cast<int64_t>(quotient));   // trunc
      return std::copysign(static_cast<float>(wide_a - t * wide_b), a);
    }
  } else if constexpr (std::is_same_v<T, double>) {
    const double quotient = a / b;
    const double size_b = std::fabs(b);
    if (std::fabs(quotient) < 0x1p26 && size_b > 0x1p-960 && size_b < 0x1p960) {
      const double t = static_cast<double>(static_cast<int64_t>(quotient));  // trunc
#if defined(FP_FAST_FMA)
      const double r = std::fma(-t, b, a);  // a - t * b, exactly
#else
      const double scaled = b * 134217729.0;  // 2^27 + 1: b = high + low, 26 and 27 bits
      const double high = scaled - (scaled - b), low = b - high;
      const double r = (a - t * high) - t * low;  // a - t * b, exactly
#endif
      const double back = r + std::copysign(b, a);
      return std::copysign(r != 0.0 && std::signbit(r) != std::signbit(a) ? back : r, a);
    }
  }
#endif
  return EMBER_MATH(fmod)(a, b);
}

// Rounding: integers are their own floor, ceil, round and trunc (as PyTorch's).
// round is to nearest, ties to even (0.5 -> 0, 2.5 -> 2), as torch.round.
#define EMBER_ROUNDING_FUNCTOR(Name, fn)                      \
  struct Name {                                               \
    template <typename T>                                     \
    EMBER_HD_INLINE T operator()(T x) const {                 \
      if constexpr (std::is_floating_point_v<T>) return fn(x); \
      else return x;                                          \
    }                                                         \
  };
EMBER_ROUNDING_FUNCTOR(Floor, floor_of)
EMBER_ROUNDING_FUNCTOR(Ceil, ceil_of)
EMBER_ROUNDING_FUNCTOR(Round, EMBER_MATH(nearbyint))
EMBER_ROUNDING_FUNCTOR(Trunc, trunc_of)
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
// Bitwise ops of integers and bools (the op layer refuses floating operands, as PyTorch).
struct BitAnd {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a & b); }
};
struct BitOr {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a | b); }
};
struct BitXor {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a ^ b); }
};
// Shifts as PyTorch's lshift / rshift kernels: a count that is negative (read as signed)
// or at least the width shifts every bit out: 0 to the left, the sign (0 for unsigned)
// to the right; a left shift works on the unsigned bits (no signed overflow).
struct LShift {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    constexpr int bits = static_cast<int>(sizeof(T) * 8);
    if (static_cast<std::make_signed_t<T>>(b) < 0 || static_cast<int64_t>(b) >= bits) return T(0);
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) << b);
  }
};
struct RShift {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    constexpr int max_shift = static_cast<int>(sizeof(T) * 8) - (std::is_signed_v<T> ? 1 : 0);
    if (static_cast<std::make_signed_t<T>>(b) < 0 || static_cast<int64_t>(b) >= max_shift)
      return static_cast<T>(a >> max_shift);
    return static_cast<T>(a >> b);
  }
};
// torch.gcd / lcm of integers, as PyTorch's calc_gcd: Euclid on |a|, |b| (gcd(0, 0) = 0;
// |INT64_MIN| wraps to itself, as there); lcm = |a / gcd * b| (0 when gcd is 0): for int8 /
// int16 the product is C++'s int, its magnitude narrowed after; for wider types the product
// wraps modulo 2^width before |.|, as PyTorch's overflowing multiply. Magnitudes and products
// go through uint64 so that no signed overflow is undefined.
template <typename T>
EMBER_HD_INLINE T wrapped_abs(T x) {
  if constexpr (std::is_signed_v<T>) return x < T(0) ? static_cast<T>(uint64_t{0} - static_cast<uint64_t>(x)) : x;
  else return x;
}
template <typename T>
EMBER_HD_INLINE T gcd_of(T a, T b) {
  a = wrapped_abs(a);
  b = wrapped_abs(b);
  while (a != T(0)) {
    const T c = a;
    a = int_remainder(b, a);
    b = c;
  }
  return b;
}
struct Gcd {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return gcd_of(a, b); }
};
struct Lcm {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    const T g = gcd_of(a, b);
    if (g == T(0)) return T(0);
    // g is -1 only from INT64_MIN's wrapped magnitude (gcd(INT64_MIN, 5)): a / -1 is -a, wrapped
    // (INT64_MIN / -1 would trap).
    T quotient;
    if constexpr (std::is_signed_v<T>)
      quotient = g == T(-1) ? static_cast<T>(uint64_t{0} - static_cast<uint64_t>(a)) : static_cast<T>(a / g);
    else
      quotient = static_cast<T>(a / g);
    if constexpr (sizeof(T) < sizeof(int)) {  // C++ computes PyTorch's a / g * b in int: |.| before narrowing
      const int64_t product = static_cast<int64_t>(quotient) * static_cast<int64_t>(b);
      return static_cast<T>(product < 0 ? -product : product);
    } else {
      return wrapped_abs(static_cast<T>(static_cast<uint64_t>(quotient) * static_cast<uint64_t>(b)));
    }
  }
};
// The next representable value after a toward b (C's nextafter; b itself when equal, NaN
// when either is). 16-bit floats step by their own format's unit at the op layer.
struct NextAfter {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return EMBER_MATH(nextafter)(a, b); }
};
// C's fmod: the remainder of a / b truncated, with a's sign. Integer divisors are never
// 0 here (the op layer checks: PyTorch's ZeroDivisionError).
struct Fmod {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return fmod_of(a, b);
    else return int_remainder(a, b);
  }
};
// Python's %: the remainder of a / b floored, with b's sign (PyTorch's remainder: fmod,
// then b added when the signs differ; a zero result keeps fmod's sign).
struct Remainder {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    T r;
    if constexpr (std::is_floating_point_v<T>) r = fmod_of(a, b);
    else r = int_remainder(a, b);
    if constexpr (std::is_unsigned_v<T>) {
      return r;
    } else if constexpr (std::is_floating_point_v<T>) {
      return choose(r != T(0) && ((b < T(0)) != (r < T(0))), r + b, r);
    } else {  // r + b only where the signs differ: it cannot overflow there
      return (r != T(0) && ((b < T(0)) != (r < T(0)))) ? static_cast<T>(r + b) : r;
    }
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
    if constexpr (std::is_floating_point_v<T>) return trunc_of(a / b);
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
      const T rem = fmod_of(a, b);
      const T quotient = (a - rem) / b - one_if<T>(rem != T(0) && ((b < T(0)) != (rem < T(0))));
      if (quotient == T(0)) return EMBER_MATH(copysign)(T(0), a / b);
      const T whole = floor_scalar(quotient);
      return whole + one_if<T>(quotient - whole > T(0.5));
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
