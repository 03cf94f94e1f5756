// Elementwise math as __host__ __device__ functors, shared by the CPU loops
// (core/cpu/elementwise.cpp) and the CUDA kernels (cuda/), so the GPU's math is
// tested on the CPU. with_unary_functor / with_binary_functor map an op enum to
// its functor. No ember tensor headers here: this compiles under nvcc.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/macros.h"

namespace ember::functors {

// Math calls: CUDA's global overloads in device code, <cmath>'s std:: ones on the
// host (so float stays float and vectorises).
#if defined(__CUDA_ARCH__)
#define EMBER_MATH(fn) ::fn
#else
#define EMBER_MATH(fn) std::fn
#endif

template <typename T>
EMBER_HD_INLINE bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}

// ---- unary ----
struct Neg { template <typename T> EMBER_HD_INLINE T operator()(T x) const { return static_cast<T>(-x); } };
struct Exp { template <typename T> EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(exp)(x); } };
struct Log { template <typename T> EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(log)(x); } };
struct Sqrt { template <typename T> EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(sqrt)(x); } };
struct Abs {
  template <typename T> EMBER_HD_INLINE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x;
    else return x < T(0) ? static_cast<T>(-x) : x;
  }
};
struct Relu {
  template <typename T> EMBER_HD_INLINE T operator()(T x) const { return is_nan(x) ? x : (x > T(0) ? x : T(0)); }
};
struct Sigmoid {
  template <typename T> EMBER_HD_INLINE T operator()(T x) const { return T(1) / (T(1) + EMBER_MATH(exp)(-x)); }
};
struct Tanh { template <typename T> EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(tanh)(x); } };
struct PowScalar {
  double exponent;
  template <typename T> EMBER_HD_INLINE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (exponent == 2.0) return x * x;
      if (exponent == 1.0) return x;
      if (exponent == 0.5) return EMBER_MATH(sqrt)(x);
      return EMBER_MATH(pow)(x, static_cast<T>(exponent));
    } else {
      return static_cast<T>(EMBER_MATH(pow)(static_cast<double>(x), exponent));
    }
  }
};
struct Clamp {
  double lo, hi;
  bool has_lo, has_hi;
  template <typename T> EMBER_HD_INLINE T operator()(T x) const {
    if (is_nan(x)) return x;
    if (has_lo && x < static_cast<T>(lo)) x = static_cast<T>(lo);
    if (has_hi && x > static_cast<T>(hi)) x = static_cast<T>(hi);
    return x;
  }
};

// ---- binary (arithmetic) ----
template <typename T>
struct AddAlpha {
  T alpha;
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a + alpha * b); }
};
template <typename T>
struct SubAlpha {
  T alpha;
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a - alpha * b); }
};
struct Add { template <typename T> EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a + b); } };
struct Sub { template <typename T> EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a - b); } };
struct Mul { template <typename T> EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a * b); } };
struct Div { template <typename T> EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a / b); } };
struct Pow {
  template <typename T> EMBER_HD_INLINE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return EMBER_MATH(pow)(a, b);
    else return static_cast<T>(EMBER_MATH(pow)(static_cast<double>(a), static_cast<double>(b)));
  }
};
// NaN-propagating like torch.maximum / torch.minimum
struct Maximum {
  template <typename T> EMBER_HD_INLINE T operator()(T a, T b) const {
    if (is_nan(a)) return a;
    if (is_nan(b)) return b;
    return a > b ? a : b;
  }
};
struct Minimum {
  template <typename T> EMBER_HD_INLINE T operator()(T a, T b) const {
    if (is_nan(a)) return a;
    if (is_nan(b)) return b;
    return a < b ? a : b;
  }
};

// ---- comparisons (return bool) ----
struct Eq { template <typename T> EMBER_HD_INLINE bool operator()(T a, T b) const { return a == b; } };
struct Ne { template <typename T> EMBER_HD_INLINE bool operator()(T a, T b) const { return a != b; } };
struct Lt { template <typename T> EMBER_HD_INLINE bool operator()(T a, T b) const { return a < b; } };
struct Le { template <typename T> EMBER_HD_INLINE bool operator()(T a, T b) const { return a <= b; } };
struct Gt { template <typename T> EMBER_HD_INLINE bool operator()(T a, T b) const { return a > b; } };
struct Ge { template <typename T> EMBER_HD_INLINE bool operator()(T a, T b) const { return a >= b; } };

// Applies `swap` to a binary functor: (a, b) -> f(b, a), for scalar-first ops.
template <typename F>
struct Swapped {
  F f;
  template <typename T> EMBER_HD_INLINE auto operator()(T a, T b) const { return f(b, a); }
};

}  // namespace ember::functors
