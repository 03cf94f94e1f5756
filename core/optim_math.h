// Per-element math of the fused nn kernels as __host__ __device__ code, shared by the
// CPU loops (core/cpu/optim_step.cpp, softmax_loss.cpp) and the CUDA kernels
// (cuda/optim_step.cu, softmax_loss.cu): the rounding helpers, SGD and Adam/AdamW updates
// (RMSprop and Adagrad: core/optim_math_adaptive.h), (log-)softmax, cross-entropy and
// class-loss gradient elements. No tensor headers: nvcc compiles it.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/macros.h"
#include "core/op_kinds.h"

namespace ember::fused {

// ---------------------------------------------------------------- exact rounding
// A product or sum rounded once, on both devices. nvcc would otherwise contract
// a * b + c into a fused multiply-add (the host compiler does not, in ISO C++ mode),
// and the GPU's optimizer updates would drift from the CPU's by an ulp per step.
// With these (and IEEE division and sqrt, nvcc's defaults) both devices agree bit
// for bit, and with the former native-op formulas too.
EMBER_HD_INLINE float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
EMBER_HD_INLINE double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
EMBER_HD_INLINE float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
EMBER_HD_INLINE double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

// a * b + c rounded once: a fused multiply-add on both devices (correctly rounded, so
// they agree), where PyTorch's kernels have one (Note [PyTorch's order of operations]).
EMBER_HD_INLINE float fma_rn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
EMBER_HD_INLINE double fma_rn(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return __fma_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

EMBER_HD_INLINE float sqrt_rn(float x) { return EMBER_MATH(sqrt)(x); }
EMBER_HD_INLINE double sqrt_rn(double x) { return EMBER_MATH(sqrt)(x); }

// torch.maximum's element: NaN wins.
template <typename T>
EMBER_HD_INLINE T max_nan(T a, T b) {
  return (a != a || a > b) ? a : b;
}

// ---------------------------------------------------------------- optimizers
// Note [PyTorch's order of operations]
// Adam/AdamW, RMSprop and Adagrad round as PyTorch's single-tensor CPU steps do (torch 1.13
// and 2.x, whose kernels are compiled with contraction, in the scalar and the vector loop
// alike): x.add_(y, alpha=c) is fma(c, y, x); x.addcmul_(a, b, value=c) is fma(c * a, b, x);
// x.addcdiv_(a, b, value=c) is x + (c * a) / b; mul_, sqrt, the division by a number and
// the addition of one round once each. So their float32 and float64 steps give PyTorch's
// bits (tests/nn/test_optim_more.cpp); its CUDA steps, which nvcc contracts alike, too.
// SGD keeps a product and a sum rounded apart (mul_rn, add_rn): its native-op formula for
// other layouts (nn/optim/sgd.cpp) must give the kernel's bits, and native ops do not fuse;
// it is within an ulp a step of PyTorch. The fused optimizers without a native-op formula
// take other layouts through Note [Staged optimizer operands] (nn/optim/fused_update.h).

// One SGD update of an element (core/op_kinds.h, SgdStepArgs), in the parameter's type
// T with the hyper-parameters rounded to T once, each step as the native ops did it:
// g = maximize ? -g : g; d = g + wd * p; buf = first ? d : buf * momentum + (1 - dampening) * d;
// d = nesterov ? d + momentum * buf : buf; p = p + (-lr) * d.
template <typename T>
struct SgdUpdate {
  T neg_lr, momentum, one_minus_dampening, weight_decay;
  bool use_weight_decay, use_momentum, nesterov, maximize, first_step;
  const double* device_lr;  // capturable: lr and momentum read by resolved()
  const double* device_momentum;

  static SgdUpdate from(const SgdStepArgs& a) {
    SgdUpdate u{};
    u.neg_lr = static_cast<T>(-a.lr);
    u.momentum = static_cast<T>(a.momentum);
    u.one_minus_dampening = static_cast<T>(1.0 - a.dampening);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.use_weight_decay = a.weight_decay != 0.0;
    u.use_momentum = a.momentum != 0.0;
    u.nesterov = a.nesterov;
    u.maximize = a.maximize;
    u.first_step = a.first_step;
    u.device_lr = a.device_lr;
    u.device_momentum = a.device_momentum;
    return u;
  }

  // The update with the device-resident values read (rounded as from() rounds the host
  // ones, so both give the same bits); itself without them. Once per thread.
  EMBER_HD_INLINE SgdUpdate resolved() const {
    SgdUpdate u = *this;
    if (device_lr != nullptr) u.neg_lr = static_cast<T>(-*device_lr);
    if (device_momentum != nullptr) u.momentum = static_cast<T>(*device_momentum);
    return u;
  }

  // buf is only read or written when use_momentum.
  EMBER_HD_INLINE void operator()(T& p, T g, T& buf) const {
    if (maximize) g = -g;
    T d = use_weight_decay ? add_rn(g, mul_rn(weight_decay, p)) : g;
    if (use_momentum) {
      buf = first_step ? d : add_rn(mul_rn(buf, momentum), mul_rn(one_minus_dampening, d));
      d = nesterov ? add_rn(d, mul_rn(momentum, buf)) : buf;
    }
    p = add_rn(p, mul_rn(neg_lr, d));
  }
};

// One Adam/AdamW update of an element (core/op_kinds.h, AdamStepArgs), in T, as
// PyTorch's (Note [PyTorch's order of operations]): maximize: g = -g; AdamW: p = p * (1 - lr * wd); Adam:
// g = fma(wd, p, g); then m = fma(1 - b1, g, m * b1); v = fma((1 - b2) * g, g, v * b2);
// amsgrad: max_v = max(max_v, v); p = p + ((-step_size) * m) /
// (sqrt(v or max_v) / bias_correction2_sqrt + eps).
template <typename T>
struct AdamUpdate {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
  T weight_decay, decay_factor, neg_step_size, bias_correction2_sqrt;
  bool coupled_decay, decoupled_decay, amsgrad, maximize;
  double weight_decay_value, beta2_value;  // for resolved()
  const double* device_lr;                 // capturable: read by resolved()
  const double* device_beta1;
  const double* device_step;

  static AdamUpdate from(const AdamStepArgs& a) {
    const bool decay = a.weight_decay != 0.0;
    AdamUpdate u{};
    u.beta1 = static_cast<T>(a.beta1);
    u.one_minus_beta1 = static_cast<T>(1.0 - a.beta1);
    u.beta2 = static_cast<T>(a.beta2);
    u.one_minus_beta2 = static_cast<T>(1.0 - a.beta2);
    u.eps = static_cast<T>(a.eps);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.decay_factor = static_cast<T>(1.0 - a.lr * a.weight_decay);
    u.neg_step_size = static_cast<T>(-a.step_size);
    u.bias_correction2_sqrt = static_cast<T>(a.bias_correction2_sqrt);
    u.coupled_decay = decay && !a.decoupled;
    u.decoupled_decay = decay && a.decoupled;
    u.amsgrad = a.amsgrad;
    u.maximize = a.maximize;
    u.weight_decay_value = a.weight_decay;
    u.beta2_value = a.beta2;
    u.device_lr = a.device_lr;
    u.device_beta1 = a.device_beta1;
    u.device_step = a.device_step;
    return u;
  }

  // With the device-resident lr, beta1 and step count t read: step_size = lr / (1 -
  // beta1^t) and sqrt(1 - beta2^t) in double, as nn/optim/adam.cpp computes them on the
  // host, then rounded to T as from() does (the same bits on the CPU; on a GPU CUDA's
  // double pow may differ from glibc's in the last bit, so capturable Adam there matches
  // plain Adam to an ulp of the bias corrections). Itself without them. Once per thread.
  EMBER_HD_INLINE AdamUpdate resolved() const {
    if (device_lr == nullptr) return *this;
    AdamUpdate u = *this;
    const double lr = *device_lr, b1 = *device_beta1, t = *device_step;
    u.beta1 = static_cast<T>(b1);
    u.one_minus_beta1 = static_cast<T>(1.0 - b1);
    u.decay_factor = static_cast<T>(add_rn(1.0, -mul_rn(lr, weight_decay_value)));  // no fused multiply-add
    u.neg_step_size = static_cast<T>(-(lr / (1.0 - EMBER_MATH(pow)(b1, t))));
    u.bias_correction2_sqrt =
        static_cast<T>(EMBER_MATH(sqrt)(1.0 - EMBER_MATH(pow)(beta2_value, t)));
    return u;
  }

  // max_v is only read or written when amsgrad.
  EMBER_HD_INLINE void operator()(T& p, T g, T& m, T& v, T& max_v) const {
    if (maximize) g = -g;
    if (decoupled_decay) p = mul_rn(p, decay_factor);
    if (coupled_decay) g = fma_rn(weight_decay, p, g);
    m = fma_rn(one_minus_beta1, g, mul_rn(m, beta1));
    v = fma_rn(mul_rn(one_minus_beta2, g), g, mul_rn(v, beta2));
    if (amsgrad) max_v = max_nan(max_v, v);
    const T denom = add_rn(sqrt_rn(amsgrad ? max_v : v) / bias_correction2_sqrt, eps);
    p = add_rn(p, mul_rn(neg_step_size, m) / denom);
  }
};

// ---------------------------------------------------------------- softmax and losses
// Rows are reduced in double: max first (NaN never wins, so a NaN row still gets a
// finite max and NaN sums), then sum_j exp(x_j - max), then the outputs.

// The running max of a row that ignores NaN (the order of visits does not matter).
EMBER_HD_INLINE double max_ignoring_nan(double running, double x) { return x > running ? x : running; }

EMBER_HD_INLINE double exp_shifted(double x, double row_max) { return EMBER_MATH(exp)(x - row_max); }

// log(sum_j exp(x_j)) from the row's max and sum_j exp(x_j - max). An infinite max
// decides it without a sum: an all -inf row gives -inf, so its outputs are NaN (x - lse =
// -inf + inf); a row with +inf gives NaN (PyTorch's exp(inf - inf) in its sum), so every
// output of that row is NaN, as PyTorch's softmax, log_softmax and cross_entropy.
EMBER_HD_INLINE bool max_decides_logsumexp(double row_max) { return EMBER_MATH(isinf)(row_max); }
EMBER_HD_INLINE double logsumexp_from(double row_max, double sum_exp) {
  if (max_decides_logsumexp(row_max)) return row_max > 0 ? row_max - row_max : row_max;
  return row_max + EMBER_MATH(log)(sum_exp);
}

// An output element of softmax (log = false) or log_softmax (log = true).
template <typename T>
EMBER_HD_INLINE T softmax_element(T x, double logsumexp, bool log) {
  const double logp = static_cast<double>(x) - logsumexp;
  return static_cast<T>(log ? logp : EMBER_MATH(exp)(logp));
}

// A row's cross entropy with class weights w: -(1 - s) w[t] logp[t] - s / c * sum_j w[j] logp[j]
// (sum_wlogp is that sum); the uniform part is left out (not multiplied by 0) without
// smoothing, so -inf logits elsewhere stay harmless. A weight of 1 changes no bit.
EMBER_HD_INLINE double cross_entropy_loss(double target_logp, double sum_wlogp, double smoothing, int64_t classes,
                                          double target_weight = 1.0) {
  return -(1.0 - smoothing) * target_weight * target_logp -
         (smoothing > 0.0 ? smoothing / static_cast<double>(classes) * sum_wlogp : 0.0);
}

// PyTorch's ignore_index: such a row adds nothing to the loss (its target may be any value).
EMBER_HD_INLINE bool is_ignored_target(int64_t target, bool has_ignore_index, int64_t ignore_index) {
  return has_ignore_index && target == ignore_index;
}

// Class j's weight: weight[j], or 1 without class weights.
template <typename T>
EMBER_HD_INLINE double class_weight(const T* weight, int64_t j) {
  return weight != nullptr ? static_cast<double>(weight[j]) : 1.0;
}

// The factor of prob in a weighted row's gradient, (1 - s) w[t] + s / c * sum_k w[k]:
// the gradient of the weighted loss through the softmax. Exactly 1 without weights.
EMBER_HD_INLINE double weighted_prob_factor(bool weighted, double target_weight, double weight_sum, double smoothing,
                                            int64_t classes) {
  if (!weighted) return 1.0;
  return (1.0 - smoothing) * target_weight + smoothing / static_cast<double>(classes) * weight_sum;
}

// The scale of row `row`'s gradient from the incoming gradient g (LossGradScale).
template <typename T>
EMBER_HD_INLINE double loss_grad_scale(const T* g, int64_t row, int64_t rows, LossGradScale kind) {
  switch (kind) {
    case LossGradScale::PerRow:
      return static_cast<double>(g[row]);
    case LossGradScale::Sum:
      return static_cast<double>(g[0]);
    case LossGradScale::Mean:
      break;
  }
  return static_cast<double>(g[0]) / static_cast<double>(rows);
}

// An element of a class-index loss's input gradient, class j of a row with target t:
// scale * (prob * prob_factor - s / c * w[j] - (1 - s) w[t] [j == t]); prob is 0 for
// nll_loss; prob_factor from weighted_prob_factor. Weights of 1 give
// scale * (prob - s / c - (1 - s) [j == t]) bit for bit.
template <typename T>
EMBER_HD_INLINE T class_loss_grad(double scale, double prob, bool is_target, double smoothing, int64_t classes,
                                  double prob_factor = 1.0, double class_w = 1.0, double target_w = 1.0) {
  const double target_mass =
      smoothing / static_cast<double>(classes) * class_w + (is_target ? (1.0 - smoothing) * target_w : 0.0);
  return static_cast<T>(scale * (prob * prob_factor - target_mass));
}

EMBER_HD_INLINE bool is_class_index(int64_t target, int64_t classes) { return target >= 0 && target < classes; }

}  // namespace ember::fused
