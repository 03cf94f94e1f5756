// Elementwise math as __host__ __device__ functors, shared by the CPU loops
// (core/cpu/elementwise.cpp) and the CUDA kernels (cuda/), so the GPU's math is
// tested on the CPU. with_unary_functor / with_binary_functor map an op enum to its
// functor; the nn activations' functors (and their derivatives, with_unary_grad_functor)
// are in core/activation_functors.h, the elementwise losses' in core/loss_functors.h.
// No tensor headers here (nor <omp.h>): this compiles under nvcc.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/activation_functors.h"
#include "core/error.h"
#include "core/loss_functors.h"
#include "core/macros.h"
#include "core/math_functors.h"
#include "core/op_kinds.h"
#include "core/scalar.h"

namespace ember::functors {

template <typename T>
EMBER_HD_INLINE bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}

// Integer power by squaring, wrapping on overflow like PyTorch. A negative exponent
// truncates to 0, except for bases 1 and -1 (PyTorch's integer pow).
template <typename T>
EMBER_HD_INLINE T int_pow(T base, int64_t exponent) {
  if constexpr (std::is_same_v<T, bool>) {
    return exponent == 0 ? true : base;
  } else {
    if (exponent < 0) {
      if (base == T(1)) return T(1);
      if (std::is_signed_v<T> && base == static_cast<T>(-1)) return exponent % 2 == 0 ? T(1) : static_cast<T>(-1);
      return T(0);
    }
    using U = std::make_unsigned_t<T>;  // unsigned arithmetic wraps instead of overflowing
    U result = 1, factor = static_cast<U>(base);
    for (; exponent != 0; exponent >>= 1) {
      if (exponent & 1) result = static_cast<U>(result * factor);
      factor = static_cast<U>(factor * factor);
    }
    return static_cast<T>(result);
  }
}

// ---- unary: T -> T ----
struct Neg {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return static_cast<T>(-x); }
};
struct Exp {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(exp)(x); }
};
struct Log {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(log)(x); }
};
struct Sqrt {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(sqrt)(x); }
};
struct Abs {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;  // includes bool
    // fabs clears the sign bit of -0 and of a negative NaN (0/0 on x86), as PyTorch's abs
    else if constexpr (std::is_floating_point_v<T>) return EMBER_MATH(fabs)(x);
    else return x < T(0) ? static_cast<T>(-x) : static_cast<T>(x + T(0));  // bfloat16: -0 + 0 is +0
  }
};
// NaN fails `x < 0` and passes through, as in PyTorch.
struct Relu {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;  // includes bool
    else return x < T(0) ? T(0) : x;
  }
};
struct Sigmoid {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return T(1) / (T(1) + EMBER_MATH(exp)(-x)); }
};
struct Tanh {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return EMBER_MATH(tanh)(x); }
};
// x ** exponent. Integer tensors only get integral exponents (the op layer promotes), read
// from int_exponent (exact beyond 2^53). Floating x takes PyTorch's special cases: 2, 3
// and -2 as products, 0.5 / -0.5 / -1 as sqrt, 1 / sqrt and 1 / x (so pow(-0., -0.5) is
// -inf and pow(-inf, -0.5) NaN, as its rsqrt).
struct PowScalar {
  double exponent;
  int64_t int_exponent;
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (exponent == 2.0) return x * x;
      if (exponent == 3.0) return x * x * x;
      if (exponent == 0.5) return EMBER_MATH(sqrt)(x);
      if (exponent == -0.5) return T(1) / EMBER_MATH(sqrt)(x);
      if (exponent == -1.0) return T(1) / x;
      if (exponent == -2.0) return T(1) / (x * x);
      return EMBER_MATH(pow)(x, static_cast<T>(exponent));
    } else {
      return int_pow(x, int_exponent);
    }
  }
};
// min(max(x, lo), hi) with either bound optional; NaN passes through; lo > hi gives hi.
// Integer tensors compare with the integer bounds (exact beyond 2^53).
struct Clamp {
  double lo, hi;
  bool has_lo, has_hi;
  int64_t int_lo, int_hi;
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) {
      if (has_lo && x < static_cast<T>(int_lo)) x = static_cast<T>(int_lo);
      if (has_hi && x > static_cast<T>(int_hi)) x = static_cast<T>(int_hi);
    } else {
      if (has_lo && x < static_cast<T>(lo)) x = static_cast<T>(lo);
      if (has_hi && x > static_cast<T>(hi)) x = static_cast<T>(hi);
    }
    return x;
  }
};

// v where x > 0, else v * slope, written as two selects against -0 and a sum, a form GCC
// vectorises (it keeps `x > 0 ? v : v * slope` a branch): the side not taken contributes
// -0 or -0 * slope, which adds nothing. Exact, signed zeros and NaN included, for a finite
// slope >= 0; a negative slope turns a -0 gradient where x > 0 into +0, an infinite or NaN
// slope makes those elements NaN.
// leaky_select_on takes x > 0 as a bit (LeakyReLU's backward from its mask, core/bitmask.h).
template <typename T>
EMBER_HD_INLINE T leaky_select_on(bool positive, T v, T slope) {
  const T kept = positive ? v : T(-0.0);
  const T scaled = positive ? T(-0.0) : v;
  return static_cast<T>(kept + scaled * slope);
}
template <typename T>
EMBER_HD_INLINE T leaky_select(T x, T v, T slope) {
  return leaky_select_on(x > T(0), v, slope);
}

// PyTorch's leaky_relu: x where x > 0, else x * negative_slope (NaN stays NaN).
struct LeakyRelu {
  double slope;
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    return leaky_select(x, x, static_cast<T>(slope));
  }
};

// ---- binary: (T, T) -> T ----
struct Add {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a + b); }
};
struct Sub {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a - b); }
};
// Add or Sub with a scaled second operand: a + alpha * b, a - alpha * b.
template <typename Op, typename T>
struct WithAlpha {
  T alpha;
  EMBER_HD_INLINE T operator()(T a, T b) const { return Op{}(a, static_cast<T>(alpha * b)); }
};
struct Mul {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return static_cast<T>(a * b); }
};
struct Div {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return a / b; }
};
struct Pow {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return EMBER_MATH(pow)(a, b);
    else return int_pow(a, static_cast<int64_t>(b));
  }
};
// NaN-propagating, like torch.maximum / torch.minimum.
struct Maximum {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return is_nan(a) ? a : is_nan(b) ? b : (a > b ? a : b); }
};
struct Minimum {
  template <typename T>
  EMBER_HD_INLINE T operator()(T a, T b) const { return is_nan(a) ? a : is_nan(b) ? b : (a < b ? a : b); }
};
// ReLU's backward from its output y: the gradient where y > 0, else 0 (a value select,
// so it vectorizes: no branch on the data).
struct ReluGrad {
  template <typename T>
  EMBER_HD_INLINE T operator()(T grad, T y) const { return y > T(0) ? grad : T(0); }
};

// leaky_relu's gradient from its input x (PyTorch's leaky_relu_backward): grad where
// x > 0, else grad * slope.
template <typename T>
struct LeakyReluGrad {
  T slope;
  EMBER_HD_INLINE T operator()(T grad, T x) const { return leaky_select(x, grad, slope); }
};

// ---- comparisons: (T, T) -> bool ----
struct Eq {
  template <typename T>
  EMBER_HD_INLINE bool operator()(T a, T b) const { return a == b; }
};
struct Ne {
  template <typename T>
  EMBER_HD_INLINE bool operator()(T a, T b) const { return a != b; }
};
struct Lt {
  template <typename T>
  EMBER_HD_INLINE bool operator()(T a, T b) const { return a < b; }
};
struct Le {
  template <typename T>
  EMBER_HD_INLINE bool operator()(T a, T b) const { return a <= b; }
};
struct Gt {
  template <typename T>
  EMBER_HD_INLINE bool operator()(T a, T b) const { return a > b; }
};
struct Ge {
  template <typename T>
  EMBER_HD_INLINE bool operator()(T a, T b) const { return a >= b; }
};

// ---- adapters and the other kernels' math ----
// A binary functor with a fixed scalar operand on the right (x op s) or left (s op x).
template <typename F, typename T>
struct BindRight {
  F f;
  T s;
  EMBER_HD_INLINE auto operator()(T x) const { return f(x, s); }
};
template <typename F, typename T>
struct BindLeft {
  F f;
  T s;
  EMBER_HD_INLINE auto operator()(T x) const { return f(s, x); }
};
// where(cond, a, b)
struct Select {
  template <typename T>
  EMBER_HD_INLINE T operator()(bool cond, T a, T b) const { return cond ? a : b; }
};
// dtype conversion for copy: to bool is `!= 0`, otherwise static_cast (truncation).
template <typename To>
struct CastTo {
  template <typename From>
  EMBER_HD_INLINE To operator()(From x) const {
    if constexpr (std::is_same_v<To, bool>) return x != From(0);
    else return static_cast<To>(x);
  }
};
// fill: no input, one value
template <typename T>
struct Constant {
  T value;
  EMBER_HD_INLINE T operator()() const { return value; }
};

// ---- dispatch: op enum -> functor (host side; the CPU and CUDA launchers use these) ----

constexpr bool is_activation(UnaryOp op) { return op >= UnaryOp::Gelu && op <= UnaryOp::Mish; }

// Calls fn(activation functor) for one of the nn activations (is_activation(op)).
template <typename Fn>
decltype(auto) with_activation(UnaryOp op, const UnaryArgs& args, Fn&& fn) {
  switch (op) {
    case UnaryOp::Gelu: return fn(Gelu{});
    case UnaryOp::GeluTanh: return fn(GeluTanh{});
    case UnaryOp::Silu: return fn(Silu{});
    case UnaryOp::Elu: return fn(Elu{args.p0});
    case UnaryOp::Softplus: return fn(Softplus{args.p0, args.p1});
    case UnaryOp::Hardtanh: return fn(Hardtanh{args.p0, args.p1});
    default: break;
  }
  return fn(Mish{});
}

// Calls fn(math functor) for one of the floating math ops (is_floating_math(op)).
template <typename Fn>
decltype(auto) with_floating_math(UnaryOp op, Fn&& fn) {
  switch (op) {
    case UnaryOp::Sin: return fn(Sin{});
    case UnaryOp::Cos: return fn(Cos{});
    case UnaryOp::Tan: return fn(Tan{});
    case UnaryOp::Asin: return fn(Asin{});
    case UnaryOp::Acos: return fn(Acos{});
    case UnaryOp::Atan: return fn(Atan{});
    case UnaryOp::Sinh: return fn(Sinh{});
    case UnaryOp::Cosh: return fn(Cosh{});
    case UnaryOp::Log1p: return fn(Log1p{});
    case UnaryOp::Expm1: return fn(Expm1{});
    case UnaryOp::Log2: return fn(Log2{});
    case UnaryOp::Log10: return fn(Log10{});
    case UnaryOp::Rsqrt: return fn(Rsqrt{});
    case UnaryOp::Reciprocal: return fn(Reciprocal{});
    case UnaryOp::Erfc: return fn(Erfc{});
    case UnaryOp::Erfinv: return fn(Erfinv{});
    case UnaryOp::Asinh: return fn(Asinh{});
    case UnaryOp::Acosh: return fn(Acosh{});
    case UnaryOp::Atanh: return fn(Atanh{});
    case UnaryOp::Exp2: return fn(Exp2{});
    case UnaryOp::Lgamma: return fn(Lgamma{});
    case UnaryOp::Digamma: return fn(Digamma{});
    case UnaryOp::Trigamma: return fn(Trigamma{});
    case UnaryOp::I0: return fn(I0{});
    case UnaryOp::I0e: return fn(I0e{});
    case UnaryOp::I1: return fn(I1{});
    case UnaryOp::I1e: return fn(I1e{});
    case UnaryOp::Erfcx: return fn(Erfcx{});
    case UnaryOp::Ndtri: return fn(Ndtri{});
    case UnaryOp::LogNdtr: return fn(LogNdtr{});
    default: break;
  }
  return fn(Erf{});
}

// Calls fn(functor) for `op` on elements of type T and returns what fn returns. Ops
// with no meaning on T (exp of an integer, neg of a bool) are an ember::Error: the op
// layer promotes integers to float32 or rejects the op before any kernel runs.
template <typename T, typename Fn>
decltype(auto) with_unary_functor(UnaryOp op, const UnaryArgs& args, Fn&& fn) {
  constexpr bool floating = std::is_floating_point_v<T>;
  switch (op) {
    case UnaryOp::Neg:
      if constexpr (!std::is_same_v<T, bool>) return fn(Neg{});
      break;
    case UnaryOp::Exp:
      if constexpr (floating) return fn(Exp{});
      break;
    case UnaryOp::Log:
      if constexpr (floating) return fn(Log{});
      break;
    case UnaryOp::Sqrt:
      if constexpr (floating) return fn(Sqrt{});
      break;
    case UnaryOp::Sigmoid:
      if constexpr (floating) return fn(Sigmoid{});
      break;
    case UnaryOp::Tanh:
      if constexpr (floating) return fn(Tanh{});
      break;
    case UnaryOp::Abs: return fn(Abs{});
    case UnaryOp::Relu: return fn(Relu{});
    case UnaryOp::PowScalar: return fn(PowScalar{args.p0, args.i0});
    case UnaryOp::Clamp: return fn(Clamp{args.p0, args.p1, args.has_p0, args.has_p1, args.i0, args.i1});
    case UnaryOp::LeakyRelu:
      if constexpr (floating) return fn(LeakyRelu{args.p0});
      break;
    case UnaryOp::Gelu:
    case UnaryOp::GeluTanh:
    case UnaryOp::Silu:
    case UnaryOp::Elu:
    case UnaryOp::Softplus:
    case UnaryOp::Hardtanh:
    case UnaryOp::Mish:
      if constexpr (floating) return with_activation(op, args, fn);
      break;
    case UnaryOp::Sin:
    case UnaryOp::Cos:
    case UnaryOp::Tan:
    case UnaryOp::Asin:
    case UnaryOp::Acos:
    case UnaryOp::Atan:
    case UnaryOp::Sinh:
    case UnaryOp::Cosh:
    case UnaryOp::Log1p:
    case UnaryOp::Expm1:
    case UnaryOp::Log2:
    case UnaryOp::Log10:
    case UnaryOp::Rsqrt:
    case UnaryOp::Reciprocal:
    case UnaryOp::Erf:
    case UnaryOp::Erfc:
    case UnaryOp::Erfinv:
    case UnaryOp::Asinh:
    case UnaryOp::Acosh:
    case UnaryOp::Atanh:
    case UnaryOp::Exp2:
    case UnaryOp::Lgamma:
    case UnaryOp::Digamma:
    case UnaryOp::Trigamma:
    case UnaryOp::I0:
    case UnaryOp::I0e:
    case UnaryOp::I1:
    case UnaryOp::I1e:
    case UnaryOp::Erfcx:
    case UnaryOp::Ndtri:
    case UnaryOp::LogNdtr:
      if constexpr (floating) return with_floating_math(op, fn);
      break;
    case UnaryOp::Sign: return fn(Sign{});
    case UnaryOp::Floor:
      if constexpr (!std::is_same_v<T, bool>) return fn(Floor{});
      break;
    case UnaryOp::Ceil:
      if constexpr (!std::is_same_v<T, bool>) return fn(Ceil{});
      break;
    case UnaryOp::Round:
      if constexpr (!std::is_same_v<T, bool>) return fn(Round{});
      break;
    case UnaryOp::Trunc:
      if constexpr (!std::is_same_v<T, bool>) return fn(Trunc{});
      break;
  }
  EMBER_FAIL("elementwise unary op '", op_name(op), "' is not defined for ", dtype_name(dtype_of_v<T>),
             " elements (the op layer should have promoted or rejected it)");
}

// Calls fn(derivative functor) of the activation `op` (Note [Activation gradients]):
// (g, x) -> g * op'(x) for order 1, g * op''(x) for order 2; floating T only.
template <typename T, typename Fn>
decltype(auto) with_unary_grad_functor(UnaryOp op, const UnaryArgs& args, int order, Fn&& fn) {
  if constexpr (std::is_floating_point_v<T>) {
    if (is_activation(op)) {
      return with_activation(op, args, [&](const auto& act) {
        using A = std::decay_t<decltype(act)>;
        if (order == 2) {
          if constexpr (HasSecondDerivative<A>) return fn(SecondDerivative<A>{act});
          EMBER_FAIL("the activation '", op_name(op), "' has no second-derivative kernel (its gradient is ",
                     "piecewise constant in x: the op layer links a zero)");
        }
        return fn(FirstDerivative<A>{act});
      });
    }
  }
  EMBER_FAIL("no gradient kernel for the elementwise op '", op_name(op), "' on ", dtype_name(dtype_of_v<T>),
             " elements");
}

// Calls fn(functor) for `op` on elements of type T; Add and Sub scale their second
// operand by alpha (the plain functor when alpha is 1). Comparisons' functors return
// bool. Division is true division, so only floating T has it; bools cannot subtract.
template <typename T, typename Fn>
decltype(auto) with_binary_functor(BinaryOp op, const Scalar& alpha, Fn&& fn) {
  const bool unit_alpha = alpha.to_double() == 1.0;
  switch (op) {
    case BinaryOp::Add:
      if (unit_alpha) return fn(Add{});
      return fn(WithAlpha<Add, T>{alpha.to<T>()});
    case BinaryOp::Sub:
      if constexpr (!std::is_same_v<T, bool>) {
        if (unit_alpha) return fn(Sub{});
        return fn(WithAlpha<Sub, T>{alpha.to<T>()});
      }
      break;
    case BinaryOp::Div:
      if constexpr (std::is_floating_point_v<T>) return fn(Div{});
      break;
    case BinaryOp::Mul: return fn(Mul{});
    case BinaryOp::Pow: return fn(Pow{});
    case BinaryOp::Maximum: return fn(Maximum{});
    case BinaryOp::Minimum: return fn(Minimum{});
    case BinaryOp::ReluGrad: return fn(ReluGrad{});
    case BinaryOp::LeakyReluGrad:
      if constexpr (std::is_floating_point_v<T>) return fn(LeakyReluGrad<T>{alpha.to<T>()});
      break;
    case BinaryOp::Atan2:
      if constexpr (std::is_floating_point_v<T>) return fn(Atan2{});
      break;
    case BinaryOp::Fmod:
      if constexpr (!std::is_same_v<T, bool>) return fn(Fmod{});
      break;
    case BinaryOp::Remainder:
      if constexpr (!std::is_same_v<T, bool>) return fn(Remainder{});
      break;
    case BinaryOp::DivFloor:
      if constexpr (!std::is_same_v<T, bool>) return fn(DivFloor{});
      break;
    case BinaryOp::DivTrunc:
      if constexpr (!std::is_same_v<T, bool>) return fn(DivTrunc{});
      break;
    case BinaryOp::Hypot:
      if constexpr (std::is_floating_point_v<T>) return fn(Hypot{});
      break;
    case BinaryOp::Copysign:
      if constexpr (std::is_floating_point_v<T>) return fn(Copysign{});
      break;
    case BinaryOp::LogAddExp:
      if constexpr (std::is_floating_point_v<T>) return fn(LogAddExp{});
      break;
    case BinaryOp::LogAddExp2:
      if constexpr (std::is_floating_point_v<T>) return fn(LogAddExp2{});
      break;
    case BinaryOp::BitAnd:
      if constexpr (std::is_integral_v<T>) return fn(BitAnd{});
      break;
    case BinaryOp::BitOr:
      if constexpr (std::is_integral_v<T>) return fn(BitOr{});
      break;
    case BinaryOp::BitXor:
      if constexpr (std::is_integral_v<T>) return fn(BitXor{});
      break;
    case BinaryOp::LShift:
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return fn(LShift{});
      break;
    case BinaryOp::RShift:
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return fn(RShift{});
      break;
    case BinaryOp::Gcd:
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return fn(Gcd{});
      break;
    case BinaryOp::Lcm:
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return fn(Lcm{});
      break;
    case BinaryOp::NextAfter:
      if constexpr (std::is_floating_point_v<T>) return fn(NextAfter{});
      break;
    case BinaryOp::Eq: return fn(Eq{});
    case BinaryOp::Ne: return fn(Ne{});
    case BinaryOp::Lt: return fn(Lt{});
    case BinaryOp::Le: return fn(Le{});
    case BinaryOp::Gt: return fn(Gt{});
    case BinaryOp::Ge: return fn(Ge{});
  }
  EMBER_FAIL("elementwise binary op '", op_name(op), "' is not defined for ", dtype_name(dtype_of_v<T>),
             " elements (the op layer should have promoted or rejected it)");
}

}  // namespace ember::functors
