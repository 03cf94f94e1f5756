// The nn activations' math (GELU, SiLU, ELU, Softplus, Hardtanh, Mish) as
// __host__ __device__ functors: the value, and the gradient given the incoming gradient
// g and the input x (first and second derivative), shared by the CPU loops and the CUDA
// kernels through core/functors.h. PyTorch's formulas and branch points.
#pragma once
#include <cmath>
#include <type_traits>

#include "core/macros.h"

namespace ember::functors {

// Note [Activation gradients]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Each activation functor A has operator()(x) (the forward), grad(g, x) = g * A'(x) and,
// for the smooth ones, grad2(g, x) = g * A''(x), written so the branches fall where
// PyTorch's do (ELU's x <= 0 takes the exponential side, Hardtanh's gradient is 0 at
// min_val and max_val, Softplus is linear where beta * x > threshold). The device kernel
// DeviceOps::unary_backward applies grad (order 1) or grad2 (order 2) from the op's
// UnaryOp and UnaryArgs, so a backward and a double backward run on the tensor's device
// with the forward's parameters. nn/functional/activation.cpp records them: the first
// backward node saves x; under create_graph its gradient is a recorded op ("GeluBackward
// Backward") whose derivatives are grad (in g: it is linear in g) and g * grad2 (in x);
// when that backward is itself recorded (a third derivative), grad2 is composed of
// recorded ops with the same branches, so every order works, as PyTorch's. Hardtanh is
// piecewise linear: its gradient's derivative in x is 0, so every order is supported, as
// for LeakyReLU.

// GELU with the exact Gaussian CDF: x * Phi(x), Phi(x) = (1 + erf(x / sqrt(2))) / 2.
struct Gelu {
  static constexpr double kSqrtHalf = 0.70710678118654752440;       // 1 / sqrt(2)
  static constexpr double kInvSqrt2Pi = 0.39894228040143267794;     // 1 / sqrt(2 pi)
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    return x * T(0.5) * (T(1) + EMBER_MATH(erf)(x * T(kSqrtHalf)));
  }
  template <typename T>
  EMBER_HD_INLINE T grad(T g, T x) const {  // Phi(x) + x phi(x)
    const T cdf = T(0.5) * (T(1) + EMBER_MATH(erf)(x * T(kSqrtHalf)));
    const T pdf = T(kInvSqrt2Pi) * EMBER_MATH(exp)(x * x * T(-0.5));
    return g * (cdf + x * pdf);
  }
  template <typename T>
  EMBER_HD_INLINE T grad2(T g, T x) const {  // phi(x) (2 - x^2)
    const T pdf = T(kInvSqrt2Pi) * EMBER_MATH(exp)(x * x * T(-0.5));
    return g * pdf * (T(2) - x * x);
  }
};

// GELU's tanh approximation: x / 2 * (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3).
struct GeluTanh {
  static constexpr double kBeta = 0.79788456080286535588;  // sqrt(2 / pi)
  static constexpr double kKappa = 0.044715;
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    const T inner = T(kBeta) * (x + T(kKappa) * x * x * x);
    return T(0.5) * x * (T(1) + EMBER_MATH(tanh)(inner));
  }
  template <typename T>
  EMBER_HD_INLINE T grad(T g, T x) const {  // (1 + t) / 2 + x / 2 (1 - t^2) u'
    const T x_sq = x * x;
    const T t = EMBER_MATH(tanh)(T(kBeta) * (x + T(kKappa) * x_sq * x));
    const T du = T(kBeta) * (T(1) + T(3 * kKappa) * x_sq);
    return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du);
  }
  template <typename T>
  EMBER_HD_INLINE T grad2(T g, T x) const {  // (1 - t^2) (u' - x t u'^2 + x u'' / 2)
    const T x_sq = x * x;
    const T t = EMBER_MATH(tanh)(T(kBeta) * (x + T(kKappa) * x_sq * x));
    const T du = T(kBeta) * (T(1) + T(3 * kKappa) * x_sq);
    const T ddu = T(6 * kBeta * kKappa) * x;
    return g * (T(1) - t * t) * (du - x * t * du * du + T(0.5) * x * ddu);
  }
};

// SiLU (swish): x * sigmoid(x).
struct Silu {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const { return x / (T(1) + EMBER_MATH(exp)(-x)); }
  template <typename T>
  EMBER_HD_INLINE T grad(T g, T x) const {  // s (1 + x (1 - s))
    const T s = T(1) / (T(1) + EMBER_MATH(exp)(-x));
    return g * s * (T(1) + x * (T(1) - s));
  }
  template <typename T>
  EMBER_HD_INLINE T grad2(T g, T x) const {  // s (1 - s) (2 + x (1 - 2 s))
    const T s = T(1) / (T(1) + EMBER_MATH(exp)(-x));
    return g * s * (T(1) - s) * (T(2) + x * (T(1) - T(2) * s));
  }
};

// ELU: x where x > 0, else alpha (exp(x) - 1); x = 0 takes the exponential side (so
// its gradient there is alpha, as PyTorch's). NaN passes through.
struct Elu {
  double alpha;
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    return x <= T(0) ? (EMBER_MATH(exp)(x) - T(1)) * static_cast<T>(alpha) : x;
  }
  template <typename T>
  EMBER_HD_INLINE T grad(T g, T x) const {
    return x <= T(0) ? g * static_cast<T>(alpha) * EMBER_MATH(exp)(x) : g;
  }
  // 0 at x = 0 itself: PyTorch's elu double backward masks x < 0, one point stricter.
  template <typename T>
  EMBER_HD_INLINE T grad2(T g, T x) const {
    return x < T(0) ? g * static_cast<T>(alpha) * EMBER_MATH(exp)(x) : T(0);
  }
};

// Softplus: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
struct Softplus {
  double beta, threshold;
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    const T bx = x * static_cast<T>(beta);
    return bx > static_cast<T>(threshold) ? x : EMBER_MATH(log1p)(EMBER_MATH(exp)(bx)) / static_cast<T>(beta);
  }
  template <typename T>
  EMBER_HD_INLINE T grad(T g, T x) const {  // sigmoid(beta x), as z / (z + 1)
    const T bx = x * static_cast<T>(beta);
    const T z = EMBER_MATH(exp)(bx);
    return bx > static_cast<T>(threshold) ? g : g * z / (z + T(1));
  }
  // beta s (1 - s), 0 from beta x = threshold on (PyTorch's softplus double backward
  // masks beta x < threshold, one point stricter than its forward and backward).
  template <typename T>
  EMBER_HD_INLINE T grad2(T g, T x) const {
    const T bx = x * static_cast<T>(beta);
    const T s = T(1) / (T(1) + EMBER_MATH(exp)(-bx));
    return bx < static_cast<T>(threshold) ? g * static_cast<T>(beta) * s * (T(1) - s) : T(0);
  }
};

// Hardtanh (ReLU6 is Hardtanh(0, 6)): clamp(x, min_val, max_val), NaN passing through;
// the gradient is g strictly inside (min_val, max_val) and 0 at and beyond the ends.
struct Hardtanh {
  double lo, hi;
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    if (x < static_cast<T>(lo)) x = static_cast<T>(lo);
    if (x > static_cast<T>(hi)) x = static_cast<T>(hi);
    return x;
  }
  template <typename T>
  EMBER_HD_INLINE T grad(T g, T x) const {
    return (x <= static_cast<T>(lo) || x >= static_cast<T>(hi)) ? T(0) : g;
  }
};

// Mish: x tanh(softplus(x)) with softplus(x) = log1p(exp(x)).
struct Mish {
  template <typename T>
  EMBER_HD_INLINE T operator()(T x) const {
    return x * EMBER_MATH(tanh)(EMBER_MATH(log1p)(EMBER_MATH(exp)(x)));
  }
  template <typename T>
  EMBER_HD_INLINE T grad(T g, T x) const {  // t + x s (1 - t^2), t = tanh(softplus(x)), s = sigmoid(x)
    const T s = T(1) / (T(1) + EMBER_MATH(exp)(-x));
    const T t = EMBER_MATH(tanh)(EMBER_MATH(log1p)(EMBER_MATH(exp)(x)));
    return g * (t + x * s * (T(1) - t * t));
  }
  template <typename T>
  EMBER_HD_INLINE T grad2(T g, T x) const {  // (1 - t^2) s (2 + x (1 - s) - 2 x t s)
    const T s = T(1) / (T(1) + EMBER_MATH(exp)(-x));
    const T t = EMBER_MATH(tanh)(EMBER_MATH(log1p)(EMBER_MATH(exp)(x)));
    return g * (T(1) - t * t) * s * (T(2) + x * (T(1) - s) - T(2) * x * t * s);
  }
};

// The gradient functors the kernels apply: (g, x) -> A's first or second derivative term.
template <typename A>
struct FirstDerivative {
  A act;
  template <typename T>
  EMBER_HD_INLINE T operator()(T g, T x) const { return act.grad(g, x); }
};
template <typename A>
struct SecondDerivative {
  A act;
  template <typename T>
  EMBER_HD_INLINE T operator()(T g, T x) const { return act.grad2(g, x); }
};

// Whether A has a second derivative functor (Hardtanh's is 0: the op layer links it).
template <typename A>
concept HasSecondDerivative = requires(const A& a, float v) { a.grad2(v, v); };

}  // namespace ember::functors
