// Adadelta, Adamax, NAdam and RAdam: the hyper-parameters of one fused step (what the
// host computes from the step count) and the per-element update as __host__ __device__
// code, shared by core/cpu/optim_step_more.cpp and cuda/optim_step_more.cu, rounded as
// PyTorch 1.13's single-tensor steps (Note [PyTorch's order of operations] in core/optim_math.h).
#pragma once
#include "core/optim_math.h"

namespace ember {

// One fused Adadelta update (nn/optim/adadelta.cpp): g = (maximize ? -grad : grad) +
// weight_decay * p; square_avg = rho square_avg + (1 - rho) g^2;
// delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g;
// acc_delta = rho acc_delta + (1 - rho) delta^2; p -= lr * delta.
struct AdadeltaStepArgs {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0.0;
  bool maximize = false;
};

// One fused Adamax update (nn/optim/adamax.cpp): g = (maximize ? -grad : grad) +
// weight_decay * p; exp_avg = beta1 exp_avg + (1 - beta1) g;
// exp_inf = max(beta2 exp_inf, |g| + eps) (NaN wins); p -= clr * exp_avg / exp_inf, where
// the caller computes clr = lr / (1 - beta1^t) from the (incremented) step count t.
struct AdamaxStepArgs {
  double clr = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool maximize = false;
};

// One fused NAdam update (nn/optim/nadam.cpp): g = (maximize ? -grad : grad), then
// decoupled: p *= 1 - lr * weight_decay, else g += weight_decay * p; exp_avg and
// exp_avg_sq as Adam's; denom = sqrt(exp_avg_sq / bias_correction2) + eps;
// p += grad_coef * g / denom; p += exp_avg_coef * exp_avg / denom, where the caller
// computes bias_correction2 = 1 - beta2^t, grad_coef = -lr (1 - mu_t) / (1 - mu_product)
// and exp_avg_coef = -lr mu_{t+1} / (1 - mu_product mu_{t+1}) from the momentum schedule.
struct NadamStepArgs {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  double bias_correction2 = 1.0, grad_coef = 0.0, exp_avg_coef = 0.0;
  double lr = 0.0;  // for the decoupled decay
  bool decoupled = false;
  bool maximize = false;
};

// One fused RAdam update (nn/optim/radam.cpp): g = (maximize ? -grad : grad), then
// decoupled: p *= 1 - lr * weight_decay, else g += weight_decay * p; exp_avg and
// exp_avg_sq as Adam's; m = exp_avg / bias_correction1; when rectified (the approximated
// SMA length rho_t > 5) p -= m * lr * (bias_correction2_sqrt / (sqrt(exp_avg_sq) + eps))
// * rect, else p -= m * lr; the caller computes the bias corrections, rectified and rect.
struct RadamStepArgs {
  double lr = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  double bias_correction1 = 1.0, bias_correction2_sqrt = 1.0, rect = 1.0;
  bool rectified = false;
  bool decoupled = false;
  bool maximize = false;
};

namespace fused {

// |x| (NaN stays NaN, -0 becomes 0).
template <typename T>
EMBER_HD_INLINE T abs_value(T x) {
  return EMBER_MATH(fabs)(x);
}

// One Adadelta update of an element, in T, as PyTorch's (Note [PyTorch's order of
// operations]): g = fma(wd, p, maximize ? -g : g); sa = fma((1 - rho) * g, g, sa * rho);
// delta = (sqrt(acc + eps) / sqrt(sa + eps)) * g; acc = fma((1 - rho) * delta, delta,
// acc * rho); p = fma(-lr, delta, p).
template <typename T>
struct AdadeltaUpdate {
  T neg_lr, rho, one_minus_rho, eps, weight_decay;
  bool use_weight_decay, maximize;

  static AdadeltaUpdate from(const AdadeltaStepArgs& a) {
    AdadeltaUpdate u{};
    u.neg_lr = static_cast<T>(-a.lr);
    u.rho = static_cast<T>(a.rho);
    u.one_minus_rho = static_cast<T>(1.0 - a.rho);
    u.eps = static_cast<T>(a.eps);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.use_weight_decay = a.weight_decay != 0.0;
    u.maximize = a.maximize;
    return u;
  }

  EMBER_HD_INLINE void operator()(T& p, T g, T& square_avg, T& acc_delta) const {
    if (maximize) g = -g;
    if (use_weight_decay) g = fma_rn(weight_decay, p, g);
    square_avg = fma_rn(mul_rn(one_minus_rho, g), g, mul_rn(square_avg, rho));
    const T rms = sqrt_rn(add_rn(square_avg, eps));
    const T delta = mul_rn(sqrt_rn(add_rn(acc_delta, eps)) / rms, g);
    acc_delta = fma_rn(mul_rn(one_minus_rho, delta), delta, mul_rn(acc_delta, rho));
    p = fma_rn(neg_lr, delta, p);
  }
};

// One Adamax update of an element, in T, as PyTorch's: g = fma(wd, p, maximize ? -g : g);
// m = fma(1 - b1, g, m * b1); u = max_nan(u * b2, |g| + eps); p = p + ((-clr) * m) / u.
template <typename T>
struct AdamaxUpdate {
  T neg_clr, beta1, one_minus_beta1, beta2, eps, weight_decay;
  bool use_weight_decay, maximize;

  static AdamaxUpdate from(const AdamaxStepArgs& a) {
    AdamaxUpdate u{};
    u.neg_clr = static_cast<T>(-a.clr);
    u.beta1 = static_cast<T>(a.beta1);
    u.one_minus_beta1 = static_cast<T>(1.0 - a.beta1);
    u.beta2 = static_cast<T>(a.beta2);
    u.eps = static_cast<T>(a.eps);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.use_weight_decay = a.weight_decay != 0.0;
    u.maximize = a.maximize;
    return u;
  }

  EMBER_HD_INLINE void operator()(T& p, T g, T& exp_avg, T& exp_inf) const {
    if (maximize) g = -g;
    if (use_weight_decay) g = fma_rn(weight_decay, p, g);
    exp_avg = fma_rn(one_minus_beta1, g, mul_rn(exp_avg, beta1));
    exp_inf = max_nan(mul_rn(exp_inf, beta2), add_rn(abs_value(g), eps));
    p = add_rn(p, mul_rn(neg_clr, exp_avg) / exp_inf);
  }
};

// One NAdam update of an element, in T, as PyTorch's: maximize: g = -g; decoupled:
// p = p * (1 - lr * wd), else g = fma(wd, p, g); m and v as
// AdamUpdate's; denom = sqrt(v / bc2) + eps; p = p + (grad_coef * g) / denom;
// p = p + (exp_avg_coef * m) / denom.
template <typename T>
struct NadamUpdate {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay;
  T bias_correction2, grad_coef, exp_avg_coef, decay_factor;
  bool coupled_decay, decoupled_decay, maximize;

  static NadamUpdate from(const NadamStepArgs& a) {
    NadamUpdate u{};
    u.beta1 = static_cast<T>(a.beta1);
    u.one_minus_beta1 = static_cast<T>(1.0 - a.beta1);
    u.beta2 = static_cast<T>(a.beta2);
    u.one_minus_beta2 = static_cast<T>(1.0 - a.beta2);
    u.eps = static_cast<T>(a.eps);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.bias_correction2 = static_cast<T>(a.bias_correction2);
    u.grad_coef = static_cast<T>(a.grad_coef);
    u.exp_avg_coef = static_cast<T>(a.exp_avg_coef);
    u.decay_factor = static_cast<T>(1.0 - a.lr * a.weight_decay);
    u.coupled_decay = a.weight_decay != 0.0 && !a.decoupled;
    u.decoupled_decay = a.weight_decay != 0.0 && a.decoupled;
    u.maximize = a.maximize;
    return u;
  }

  EMBER_HD_INLINE void operator()(T& p, T g, T& exp_avg, T& exp_avg_sq) const {
    if (maximize) g = -g;
    if (decoupled_decay) p = mul_rn(p, decay_factor);
    if (coupled_decay) g = fma_rn(weight_decay, p, g);
    exp_avg = fma_rn(one_minus_beta1, g, mul_rn(exp_avg, beta1));
    exp_avg_sq = fma_rn(mul_rn(one_minus_beta2, g), g, mul_rn(exp_avg_sq, beta2));
    const T denom = add_rn(sqrt_rn(exp_avg_sq / bias_correction2), eps);
    p = add_rn(p, mul_rn(grad_coef, g) / denom);
    p = add_rn(p, mul_rn(exp_avg_coef, exp_avg) / denom);
  }
};

// One RAdam update of an element, in T, as PyTorch's: maximize: g = -g; decoupled:
// p = p * (1 - lr * wd), else g = fma(wd, p, g); m and v as
// AdamUpdate's; mh = m / bc1; rectified: p = p - ((mh * lr) * ((1 / (sqrt(v) + eps)) *
// bc2_sqrt)) * rect (PyTorch's number / tensor is a reciprocal times the number), else
// p = p - mh * lr.
template <typename T>
struct RadamUpdate {
  T lr, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay;
  T bias_correction1, bias_correction2_sqrt, rect, decay_factor;
  bool coupled_decay, decoupled_decay, rectified, maximize;

  static RadamUpdate from(const RadamStepArgs& a) {
    RadamUpdate u{};
    u.lr = static_cast<T>(a.lr);
    u.beta1 = static_cast<T>(a.beta1);
    u.one_minus_beta1 = static_cast<T>(1.0 - a.beta1);
    u.beta2 = static_cast<T>(a.beta2);
    u.one_minus_beta2 = static_cast<T>(1.0 - a.beta2);
    u.eps = static_cast<T>(a.eps);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.bias_correction1 = static_cast<T>(a.bias_correction1);
    u.bias_correction2_sqrt = static_cast<T>(a.bias_correction2_sqrt);
    u.rect = static_cast<T>(a.rect);
    u.decay_factor = static_cast<T>(1.0 - a.lr * a.weight_decay);
    u.coupled_decay = a.weight_decay != 0.0 && !a.decoupled;
    u.decoupled_decay = a.weight_decay != 0.0 && a.decoupled;
    u.rectified = a.rectified;
    u.maximize = a.maximize;
    return u;
  }

  EMBER_HD_INLINE void operator()(T& p, T g, T& exp_avg, T& exp_avg_sq) const {
    if (maximize) g = -g;
    if (decoupled_decay) p = mul_rn(p, decay_factor);
    if (coupled_decay) g = fma_rn(weight_decay, p, g);
    exp_avg = fma_rn(one_minus_beta1, g, mul_rn(exp_avg, beta1));
    exp_avg_sq = fma_rn(mul_rn(one_minus_beta2, g), g, mul_rn(exp_avg_sq, beta2));
    T update = mul_rn(exp_avg / bias_correction1, lr);
    if (rectified) {
      const T adaptive_lr = mul_rn(T(1) / add_rn(sqrt_rn(exp_avg_sq), eps), bias_correction2_sqrt);
      update = mul_rn(mul_rn(update, adaptive_lr), rect);
    }
    p = add_rn(p, -update);
  }
};

}  // namespace fused
}  // namespace ember
