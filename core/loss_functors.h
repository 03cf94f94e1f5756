// The elementwise losses' math (L1, SmoothL1, Huber, binary cross entropy from
// probabilities and from logits) as __host__ __device__ functors: the loss term of one
// element and its derivatives in the input and the target, times an incoming gradient.
// Shared by the CPU loops and the CUDA kernels (core/elementwise_dispatch.h).
#pragma once
#include <cmath>
#include <cstdint>

#include "core/macros.h"
#include "core/op_kinds.h"

namespace ember::functors {

// Note [Bad input found by elementwise kernels]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// binary_cross_entropy's input and target must lie in [0, 1] (PyTorch's "all elements of
// input should be between 0 and 1", NaN included; the value reported is 0 for the input, 1
// for the target: "all elements of target should be between 0 and 1"). The check is made by the loss functor on
// the values the kernel reads anyway, not by a reduction and a copy to the host first: it
// reports through an error word (two uint64s, [kind, value], the first report wins, by
// compare-and-swap on either device). The CPU kernel gives it a word on its stack and
// throws after the loop; CUDA's is the device error word, thrown at the next
// synchronising point as the class-index losses' bad targets are, so nothing is read
// back and a captured CUDA graph may hold the loss. The kinds: core/op_kinds.h.
EMBER_HD_INLINE void report_kernel_error(unsigned long long* word, unsigned long long kind, long long value) {
#if defined(__CUDA_ARCH__)
  if (atomicCAS(&word[0], 0ull, kind) == 0ull) word[1] = static_cast<unsigned long long>(value);
#else
  unsigned long long expected = 0;
  if (__atomic_compare_exchange_n(&word[0], &expected, kind, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    __atomic_store_n(&word[1], static_cast<unsigned long long>(value), __ATOMIC_RELAXED);
#endif
}

// -1, 0 or 1 (0 for NaN): the derivative of |d| as PyTorch takes it (0 at d = 0).
template <typename T>
EMBER_HD_INLINE T sign_of(T d) {
  return static_cast<T>((d > T(0)) - (d < T(0)));
}

// |x - t|; the gradient g sign(x - t) (and its negation for t).
struct L1Loss {
  static constexpr bool kTakesPosWeight = false;
  template <typename T>
  EMBER_HD_INLINE T loss(T x, T t) const {
    const T d = x - t;
    return d < T(0) ? -d : d;
  }
  template <typename T>
  EMBER_HD_INLINE T grad_input(T g, T x, T t) const { return g * sign_of(x - t); }
  template <typename T>
  EMBER_HD_INLINE T grad_target(T g, T x, T t) const { return -(g * sign_of(x - t)); }
};

// z = |x - t|: z^2 / (2 beta) below beta, z - beta / 2 from beta on. The gradient is
// d / beta inside (-beta, beta) and sign(d) outside, continuous at |d| = beta; PyTorch's
// branches are d <= -beta and d >= beta, so beta = 0 is the L1 loss whose gradient at
// d = 0 is -1 (PyTorch 1.13's, not l1_loss's 0).
struct SmoothL1Loss {
  static constexpr bool kTakesPosWeight = false;
  double beta;
  template <typename T>
  EMBER_HD_INLINE T loss(T x, T t) const {
    const T d = x - t;
    const T z = d < T(0) ? -d : d;
    const T b = static_cast<T>(beta);
    return z < b ? T(0.5) * z * z / b : z - T(0.5) * b;
  }
  template <typename T>
  EMBER_HD_INLINE T slope(T d) const {
    const T b = static_cast<T>(beta);
    if (d <= -b) return T(-1);
    if (d >= b) return T(1);
    return d / b;
  }
  // PyTorch's target gradient is the input gradient with the two swapped: slope(t - x)
  // (the same as -slope(x - t) but at d = 0 with beta = 0, where both are -1).
  template <typename T>
  EMBER_HD_INLINE T grad_input(T g, T x, T t) const { return g * slope(x - t); }
  template <typename T>
  EMBER_HD_INLINE T grad_target(T g, T x, T t) const { return g * slope(t - x); }
};

// z = |x - t|: z^2 / 2 below delta, delta (z - delta / 2) from delta on; the gradient
// d inside (-delta, delta), delta sign(d) outside.
struct HuberLoss {
  static constexpr bool kTakesPosWeight = false;
  double delta;
  template <typename T>
  EMBER_HD_INLINE T loss(T x, T t) const {
    const T d = x - t;
    const T z = d < T(0) ? -d : d;
    const T c = static_cast<T>(delta);
    return z < c ? T(0.5) * z * z : c * (z - T(0.5) * c);
  }
  template <typename T>
  EMBER_HD_INLINE T slope(T d) const {
    const T c = static_cast<T>(delta);
    return d <= -c ? -c : d >= c ? c : d;
  }
  template <typename T>
  EMBER_HD_INLINE T grad_input(T g, T x, T t) const { return g * slope(x - t); }
  template <typename T>
  EMBER_HD_INLINE T grad_target(T g, T x, T t) const { return g * slope(t - x); }  // as SmoothL1Loss's
};

// -(t log x + (1 - t) log(1 - x)) with each log clamped at -100, for x and t in [0, 1] (others
// reported, Note [Bad input found by elementwise kernels]). The gradient in x is
// (x - t) / max(x (1 - x), 1e-12) (PyTorch's float epsilon), in t it is -logit(x).
struct BinaryCrossEntropy {
  static constexpr bool kTakesPosWeight = false;
  unsigned long long* error_word;  // where a value outside [0, 1] is reported
  template <typename T>
  EMBER_HD_INLINE T loss(T x, T t) const {
    if (!(x >= T(0) && x <= T(1))) report_kernel_error(error_word, kKernelErrorBceInputOutOfRange, 0);
    if (!(t >= T(0) && t <= T(1))) report_kernel_error(error_word, kKernelErrorBceInputOutOfRange, 1);
    const T log_x = EMBER_MATH(log)(x), log_1mx = EMBER_MATH(log)(T(1) - x);
    const T clamped_x = log_x < T(-100) ? T(-100) : log_x;
    const T clamped_1mx = log_1mx < T(-100) ? T(-100) : log_1mx;
    return (t - T(1)) * clamped_1mx - t * clamped_x;
  }
  template <typename T>
  EMBER_HD_INLINE T grad_input(T g, T x, T t) const {
    const T denom = (T(1) - x) * x;
    const T eps = static_cast<T>(1e-12f);
    return g * (x - t) / (denom < eps ? eps : denom);
  }
  template <typename T>
  EMBER_HD_INLINE T grad_target(T g, T x, T) const {
    return -(g * EMBER_MATH(log)(x / (T(1) - x)));
  }
};

// From logits x, stable for any x: (1 - t) x + w softplus(-x), where w = 1 + (pos_weight
// - 1) t (1 without pos_weight) and softplus(-x) = max(-x, 0) + log1p(exp(-|x|)). The
// gradient in x is sigmoid(x) - t, with pos_weight (pos_weight t + 1 - t) sigmoid(x) -
// pos_weight t; in t it is -x, with pos_weight pos_weight softplus(-x) - softplus(x).
struct BinaryCrossEntropyWithLogits {
  static constexpr bool kTakesPosWeight = true;
  template <typename T>
  EMBER_HD_INLINE static T softplus_neg(T x) {  // log(1 + exp(-x))
    const T m = x < T(0) ? -x : T(0);
    return m + EMBER_MATH(log1p)(EMBER_MATH(exp)(x < T(0) ? x : -x));
  }
  template <typename T>
  EMBER_HD_INLINE static T sigmoid(T x) { return T(1) / (T(1) + EMBER_MATH(exp)(-x)); }

  template <typename T>
  EMBER_HD_INLINE T loss(T x, T t) const { return (T(1) - t) * x + softplus_neg(x); }
  template <typename T>
  EMBER_HD_INLINE T loss(T x, T t, T pw) const {
    return (T(1) - t) * x + ((pw - T(1)) * t + T(1)) * softplus_neg(x);
  }
  template <typename T>
  EMBER_HD_INLINE T grad_input(T g, T x, T t) const { return g * (sigmoid(x) - t); }
  template <typename T>
  EMBER_HD_INLINE T grad_input(T g, T x, T t, T pw) const {
    const T pt = pw * t;
    return g * ((pt + T(1) - t) * sigmoid(x) - pt);
  }
  template <typename T>
  EMBER_HD_INLINE T grad_target(T g, T x, T) const { return -(g * x); }
  template <typename T>
  EMBER_HD_INLINE T grad_target(T g, T x, T, T pw) const { return g * (pw * softplus_neg(x) - softplus_neg(-x)); }
};

// The functors the kernels apply: the loss term, or its gradient in x or in t, over
// (x, t[, pos_weight]) and (g, x, t[, pos_weight]).
template <typename L>
struct LossTerm {
  L l;
  template <typename T, typename... R>
  EMBER_HD_INLINE T operator()(T x, R... rest) const { return l.loss(x, rest...); }
};
template <typename L>
struct LossGradInput {
  L l;
  template <typename T, typename... R>
  EMBER_HD_INLINE T operator()(T g, R... rest) const { return l.grad_input(g, rest...); }
};
template <typename L>
struct LossGradTarget {
  L l;
  template <typename T, typename... R>
  EMBER_HD_INLINE T operator()(T g, R... rest) const { return l.grad_target(g, rest...); }
};

// Calls fn(loss functor) for `op` (error_word: where BinaryCrossEntropy reports bad input).
template <typename Fn>
decltype(auto) with_loss_functor(PointwiseLoss op, const PointwiseLossArgs& args, unsigned long long* error_word,
                                 Fn&& fn) {
  switch (op) {
    case PointwiseLoss::L1: return fn(L1Loss{});
    case PointwiseLoss::SmoothL1: return fn(SmoothL1Loss{args.param});
    case PointwiseLoss::Huber: return fn(HuberLoss{args.param});
    case PointwiseLoss::BinaryCrossEntropy: return fn(BinaryCrossEntropy{error_word});
    case PointwiseLoss::BinaryCrossEntropyWithLogits: break;
  }
  return fn(BinaryCrossEntropyWithLogits{});
}

}  // namespace ember::functors
