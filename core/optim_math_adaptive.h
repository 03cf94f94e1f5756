// Per-element math of the fused RMSprop and Adagrad steps as __host__ __device__ code,
// shared by core/cpu/optim_step.cpp and cuda/optim_step.cu, rounded as PyTorch's steps
// (Note [PyTorch's order of operations] in core/optim_math.h).
#pragma once
#include "core/optim_math.h"

namespace ember::fused {

// One RMSprop update of an element (core/op_kinds.h, RmspropStepArgs), in T, as
// PyTorch's (Note [PyTorch's order of operations]): maximize: g = -g; g = fma(wd, p, g);
// sa = fma((1 - alpha) * g, g, sa * alpha); centered: ga = fma(1 - alpha, g, ga * alpha),
// avg = sqrt(fma(-ga, ga, sa)) + eps, else avg = sqrt(sa) + eps; momentum:
// buf = buf * momentum + g / avg, p = fma(-lr, buf, p); else p = p + ((-lr) * g) / avg.
template <typename T>
struct RmspropUpdate {
  T neg_lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool use_weight_decay, use_momentum, centered, maximize;

  static RmspropUpdate from(const RmspropStepArgs& a) {
    RmspropUpdate u{};
    u.neg_lr = static_cast<T>(-a.lr);
    u.alpha = static_cast<T>(a.alpha);
    u.one_minus_alpha = static_cast<T>(1.0 - a.alpha);
    u.eps = static_cast<T>(a.eps);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.momentum = static_cast<T>(a.momentum);
    u.use_weight_decay = a.weight_decay != 0.0;
    u.use_momentum = a.momentum > 0.0;
    u.centered = a.centered;
    u.maximize = a.maximize;
    return u;
  }

  // buf is only read or written when use_momentum, ga only when centered.
  EMBER_HD_INLINE void operator()(T& p, T g, T& sa, T& buf, T& ga) const {
    if (maximize) g = -g;
    if (use_weight_decay) g = fma_rn(weight_decay, p, g);
    sa = fma_rn(mul_rn(one_minus_alpha, g), g, mul_rn(sa, alpha));
    T avg;
    if (centered) {
      ga = fma_rn(one_minus_alpha, g, mul_rn(ga, alpha));
      avg = sqrt_rn(fma_rn(-ga, ga, sa));
    } else {
      avg = sqrt_rn(sa);
    }
    avg = add_rn(avg, eps);
    if (use_momentum) {
      buf = add_rn(mul_rn(buf, momentum), g / avg);
      p = fma_rn(neg_lr, buf, p);
    } else {
      p = add_rn(p, mul_rn(neg_lr, g) / avg);
    }
  }
};

// One Adagrad update of an element (core/op_kinds.h, AdagradStepArgs), in T, as
// PyTorch's (Note [PyTorch's order of operations]): maximize: g = -g; g = fma(wd, p, g);
// sum = fma(g, g, sum); p = p + ((-clr) * g) / (sqrt(sum) + eps).
template <typename T>
struct AdagradUpdate {
  T neg_clr, eps, weight_decay;
  bool use_weight_decay, maximize;

  static AdagradUpdate from(const AdagradStepArgs& a) {
    AdagradUpdate u{};
    u.neg_clr = static_cast<T>(-a.clr);
    u.eps = static_cast<T>(a.eps);
    u.weight_decay = static_cast<T>(a.weight_decay);
    u.use_weight_decay = a.weight_decay != 0.0;
    u.maximize = a.maximize;
    return u;
  }

  EMBER_HD_INLINE void operator()(T& p, T g, T& sum) const {
    if (maximize) g = -g;
    if (use_weight_decay) g = fma_rn(weight_decay, p, g);
    sum = fma_rn(g, g, sum);
    const T denom = add_rn(sqrt_rn(sum), eps);
    p = add_rn(p, mul_rn(neg_clr, g) / denom);
  }
};

}  // namespace ember::fused
