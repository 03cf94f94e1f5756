// The elementwise and reduction op kinds named by the device kernels (core/dispatch.h)
// and by the shared math functors (core/functors.h). Plain enums, no tensor headers,
// so CUDA sources can include it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>

namespace ember {

enum class UnaryOp : uint8_t {
  Neg, Exp, Log, Sqrt, Abs, Relu, Sigmoid, Tanh, PowScalar, Clamp, LeakyRelu,
  // nn activations (core/activation_functors.h), floating only
  Gelu, GeluTanh, Silu, Elu, Softplus, Hardtanh, Mish,
  // elementwise math (core/math_functors.h): floating (integers compute in float32) ...
  Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Log1p, Expm1, Log2, Log10, Rsqrt, Reciprocal, Erf,
  Erfc, Erfinv, Asinh, Acosh, Atanh, Exp2, Lgamma, Digamma, Trigamma,
  I0, I0e, I1, I1e, Erfcx, Ndtri, LogNdtr,  // torch.special (core/bessel_normal_functions.h)
  // ... and exact on every numeric dtype (rounding is the identity on integers)
  Sign, Floor, Ceil, Round, Trunc
};
enum class BinaryOp : uint8_t {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum, ReluGrad, LeakyReluGrad, Atan2, Fmod, Remainder,
  DivFloor, DivTrunc,  // torch.div's rounding modes: integers stay integers
  Hypot, Copysign, LogAddExp, LogAddExp2,  // floating: integers compute in float32, as Div and Atan2
  BitAnd, BitOr, BitXor,                   // integers and bool (bitwise_and/or/xor)
  LShift, RShift,                          // integers (PyTorch's out-of-range shift counts)
  Gcd, Lcm,                                // integers (not bool), as torch.gcd / lcm
  NextAfter,                               // floating: the next representable value toward b
  Eq, Ne, Lt, Le, Gt, Ge  // comparisons last (is_comparison)
};
enum class ReduceOp : uint8_t { Sum, Mean, Max, Min, Prod };
// Inclusive scans along one dim (cumsum, cumprod, logcumsumexp: floating only).
enum class ScanOp : uint8_t { Sum, Prod, LogSumExp };
enum class ArgReduceOp : uint8_t { ArgMax, ArgMin };

constexpr bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }
// The binary ops that compute in a floating dtype (integer and bool operands in float32).
constexpr bool is_floating_binary(BinaryOp op) {
  return op == BinaryOp::Div || op == BinaryOp::Atan2 || (op >= BinaryOp::Hypot && op <= BinaryOp::LogAddExp2);
}
// The elementwise math ops that compute in a floating dtype (integers and bool in float32).
constexpr bool is_floating_math(UnaryOp op) { return op >= UnaryOp::Sin && op <= UnaryOp::LogNdtr; }
constexpr bool is_rounding(UnaryOp op) { return op >= UnaryOp::Floor && op <= UnaryOp::Trunc; }

// Lower-case names for messages and kernel tables ("neg", "pow_scalar", "add", "ge").
constexpr const char* op_name(UnaryOp op) {
  constexpr const char* kNames[] = {"neg",     "exp",  "log",        "sqrt",  "abs",       "relu",
                                    "sigmoid", "tanh", "pow_scalar", "clamp", "leaky_relu", "gelu",
                                    "gelu_tanh", "silu", "elu", "softplus", "hardtanh", "mish",
                                    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "log1p",
                                    "expm1", "log2", "log10", "rsqrt", "reciprocal", "erf",
                                    "erfc", "erfinv", "asinh", "acosh", "atanh", "exp2", "lgamma",
                                    "digamma", "trigamma", "i0", "special_i0e", "special_i1",
                                    "special_i1e", "special_erfcx", "special_ndtri", "special_log_ndtr",
                                    "sign", "floor", "ceil", "round", "trunc"};
  return static_cast<size_t>(op) < std::size(kNames) ? kNames[static_cast<size_t>(op)] : "unknown";
}
constexpr const char* op_name(BinaryOp op) {
  constexpr const char* kNames[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "relu_grad",
                                    "leaky_relu_grad", "atan2", "fmod", "remainder",
                                    "div_floor", "div_trunc", "hypot", "copysign", "logaddexp", "logaddexp2",
                                    "bitwise_and", "bitwise_or", "bitwise_xor", "lshift", "rshift",
                                    "gcd", "lcm", "nextafter", "eq", "ne", "lt", "le", "gt", "ge"};
  return static_cast<size_t>(op) < std::size(kNames) ? kNames[static_cast<size_t>(op)] : "unknown";
}

// Extra operands of unary ops: PowScalar uses p0 (exponent); Clamp uses p0 = min,
// p1 = max, each only when its has_ flag is set; LeakyRelu uses p0 (negative_slope).
// Binary LeakyReluGrad takes its slope as the ops' alpha. Elu uses p0 = alpha; Softplus
// p0 = beta, p1 = threshold; Hardtanh p0 = min_val, p1 = max_val (the has_ flags unused).
struct UnaryArgs {
  double p0 = 0.0, p1 = 0.0;
  bool has_p0 = false, has_p1 = false;
  // p0 / p1 as integers, which integer tensors use (pow's exponent, clamp's bounds): a
  // double holds int64 exactly only to 2^53.
  int64_t i0 = 0, i1 = 0;
};

// Hyper-parameters of one fused SGD update (PyTorch's algorithm, nn/optim/sgd.cpp):
// g = maximize ? -grad : grad; d = g + weight_decay * p; buf = first_step ? d : momentum * buf + (1 - dampening) * d;
// d = nesterov ? d + momentum * buf : buf (when momentum != 0); p -= lr * d.
// With device_lr (and device_momentum) set, the kernel reads lr (momentum) from that
// one-element float64 on the parameter's device instead (Note [Capturable optimizers]
// in nn/optim/capturable.h); momentum still decides whether a buffer is used.
struct SgdStepArgs {
  double lr = 0.0, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;
  bool first_step = false;  // the momentum buffer is uninitialised: it becomes d
  const double* device_lr = nullptr;
  const double* device_momentum = nullptr;
};

// One fused Adam/AdamW update (nn/optim/adam.cpp): with g = (maximize ? -grad : grad) (+ weight_decay * p
// unless decoupled; decoupled multiplies p by 1 - lr * weight_decay first),
// m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
// p -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps), where
// step_size = lr / (1 - beta1^t) and bias_correction2_sqrt = sqrt(1 - beta2^t).
// With device_lr, device_beta1 and device_step set (Note [Capturable optimizers]), the
// kernel reads lr, beta1 and the step count t (already incremented) from one-element
// float64s on the parameter's device and computes step_size and bias_correction2_sqrt
// there, with the same formulas. amsgrad: max_v = max(max_v, v) takes v's place in the
// denominator.
struct AdamStepArgs {
  double lr = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  double step_size = 0.0, bias_correction2_sqrt = 1.0;
  bool decoupled = false;
  bool amsgrad = false;
  bool maximize = false;
  const double* device_lr = nullptr;
  const double* device_beta1 = nullptr;
  const double* device_step = nullptr;
};

// One fused RMSprop update (nn/optim/rmsprop.cpp): g = (maximize ? -grad : grad) + weight_decay * p;
// sa = alpha sa + (1 - alpha) g^2; centered: ga = alpha ga + (1 - alpha) g and
// avg = sqrt(sa - ga^2) + eps, else avg = sqrt(sa) + eps; momentum > 0: buf = momentum
// buf + g / avg, p -= lr * buf; else p -= lr * g / avg.
struct RmspropStepArgs {
  double lr = 0.0, alpha = 0.99, eps = 1e-8, weight_decay = 0.0, momentum = 0.0;
  bool centered = false;
  bool maximize = false;
};

// One fused Adagrad update (nn/optim/adagrad.cpp): g = (maximize ? -grad : grad) + weight_decay * p;
// sum += g^2; p -= clr * g / (sqrt(sum) + eps), where the caller computes
// clr = lr / (1 + (t - 1) * lr_decay) from the (incremented) step count t.
struct AdagradStepArgs {
  double clr = 0.0, eps = 1e-10, weight_decay = 0.0;
  bool maximize = false;
};

// The elementwise losses of nn::functional with a fused kernel (core/loss_functors.h):
// the loss term of one element of input x and target t (BCE with logits also takes an
// optional pos_weight operand), and its derivative in x or in t. `param` of
// PointwiseLossArgs is SmoothL1's beta and Huber's delta.
enum class PointwiseLoss : uint8_t { L1, SmoothL1, Huber, BinaryCrossEntropy, BinaryCrossEntropyWithLogits };
enum class LossGradWrt : uint8_t { Input, Target };
struct PointwiseLossArgs {
  double param = 0.0;
};
constexpr const char* op_name(PointwiseLoss op) {
  constexpr const char* kNames[] = {"l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                    "binary_cross_entropy_with_logits"};
  return static_cast<size_t>(op) < std::size(kNames) ? kNames[static_cast<size_t>(op)] : "unknown";
}

// Kinds of bad input an elementwise kernel reports through an error word (two uint64s:
// [kind, value], the first report wins): the CPU's word is on the stack and read after
// the loop, CUDA's is the device error word (cuda/cuda_internal.h, which continues this
// numbering). Note [Bad input found by elementwise kernels] in core/loss_functors.h.
constexpr unsigned long long kKernelErrorBceInputOutOfRange = 3;

// How the per-row scale of a class-index loss's gradient comes from the incoming
// gradient g: g[i] (reduction none), g[0] (sum), g[0] / rows (mean).
enum class LossGradScale : uint8_t { PerRow, Sum, Mean };

}  // namespace ember
