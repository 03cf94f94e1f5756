// nn::functional gelu, silu, elu, softplus, hardtanh/relu6 and mish: a native
// elementwise forward and one recorded node that saves x; the gradients run through
// DeviceOps::unary_backward on x's device (Note [Activation gradients] in
// core/activation_functors.h). The inplace forms write into x (Note [In-place activations]
// in nn/functional/in_place.h). hardtanh/relu6 of integers is a clamp, as PyTorch's.
#include "autograd/function_node.h"
#include "core/activation_functors.h"
#include "core/autocast.h"
#include "core/fill_value.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/basic.h"
#include "nn/functional/in_place.h"

namespace ember::nn::functional {

using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record_into;

namespace {

// One smooth activation: its kernel op and parameters, and its nodes' names.
struct Smooth {
  UnaryOp op;
  UnaryArgs args;
  const char* node;           // "GeluBackward"
  const char* double_node;    // "GeluBackwardBackward"
};

// f''(x) composed of recorded ops, for a backward through the double node that is itself
// recorded (a third derivative and beyond, as PyTorch's composite double-backward
// formulas). The formulas are the kernels' grad2 (core/activation_functors.h) with the
// same branches; exp's argument is kept finite on the branch not taken, so its zero
// gradient there stays 0 rather than 0 * inf.
Tensor second_derivative(const Smooth& f, const Tensor& x) {
  // As the kernels: bf16 and float16 in float.
  if (is_reduced_float(x.dtype())) return second_derivative(f, x.to(kFloat32)).to(x.dtype());
  switch (f.op) {
    case UnaryOp::Gelu:  // phi(x) (2 - x^2)
      return exp(x * x * -0.5) * functors::Gelu::kInvSqrt2Pi * (2.0 - x * x);
    case UnaryOp::GeluTanh: {  // (1 - t^2) (u' - x t u'^2 + x u'' / 2)
      constexpr double kBeta = functors::GeluTanh::kBeta, kKappa = functors::GeluTanh::kKappa;
      const Tensor t = ember::tanh((x + x * x * x * kKappa) * kBeta);
      const Tensor du = (x * x * (3 * kKappa) + 1.0) * kBeta;
      return (1.0 - t * t) * (du - x * t * du * du + x * x * (3 * kBeta * kKappa));
    }
    case UnaryOp::Silu: {  // s (1 - s) (2 + x (1 - 2 s))
      const Tensor s = ember::sigmoid(x);
      return s * (1.0 - s) * (x * (1.0 - s * 2.0) + 2.0);
    }
    case UnaryOp::Elu: {  // alpha exp(x) where x < 0, else 0
      const Tensor negative = x < 0.0;
      return where(negative, exp(where(negative, x, 0.0)) * f.args.p0, 0.0);
    }
    case UnaryOp::Softplus: {  // beta s (1 - s), s = sigmoid(beta x), where beta x < threshold
      const Tensor bx = x * f.args.p0;
      const Tensor s = ember::sigmoid(bx);
      return where(bx < f.args.p1, s * (1.0 - s) * f.args.p0, 0.0);
    }
    case UnaryOp::Mish: {  // (1 - t^2) s (2 + x (1 - s) - 2 x t s), t = tanh(softplus(x))
      const Tensor s = ember::sigmoid(x), t = ember::tanh(softplus(x));
      return (1.0 - t * t) * s * (x * (1.0 - s) - x * t * s * 2.0 + 2.0);
    }
    default:
      EMBER_CHECK(false, "internal: no second derivative for activation ", f.node);
  }
  return Tensor();
}

// g * f'(x). Under create_graph it is recorded: linear in g (its derivative there is
// this same function of the incoming gradient) and g * f''(x) in x, the kernel's when
// nothing records and second_derivative's recorded ops when something does, so every
// order is differentiable.
Tensor smooth_grad(const Smooth& f, const Tensor& g, const Tensor& x) {
  Tensor out = native::activation_backward(f.op, 1, g, x, f.args);
  if (will_record_into(out, g, x)) {
    record(f.double_node, {&g, &x}, {&out}, {g, x}, [f](const tensor_list& gg, const tensor_list& s, const auto& in) {
      Tensor gx;
      if (needs_grad(in, 1)) {
        gx = autograd::will_record(gg[0], s[0], s[1])
                 ? gg[0] * s[0] * second_derivative(f, s[1])
                 : native::activation_backward(f.op, 2, native::mul(gg[0], s[0]), s[1], f.args);
      }
      return tensor_list{needs_grad(in, 0) ? smooth_grad(f, gg[0], s[1]) : Tensor(), gx};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor smooth_activation(const Smooth& f, const Tensor& x) {
  Tensor out = native::activation(f.op, x, f.args);
  if (will_record_into(out, x)) {
    record(f.node, {&x}, {&out}, {x}, [f](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{smooth_grad(f, g[0], s[0])};
    })->set_differentiable_backward();
  }
  return out;
}

// inplace: the kernel writes into x when nothing records; otherwise x's node passes its
// gradient through smooth_activation's, computed from a copy of x (PyTorch's original_self).
Tensor smooth_activation(const Smooth& f, const Tensor& x, bool inplace) {
  if (!inplace) return smooth_activation(f, x);
  return detail::activation_in_place(f.op, f.args, f.node, x,
                                     [&](const Tensor& input) { return smooth_activation(f, input); });
}

// Hardtanh's gradient: g strictly inside (min_val, max_val), else 0. Linear in g and
// piecewise constant in x, so, as leaky_relu's, its own derivative is itself (in g) and
// 0 (in x, linked by the forward node's set_backward_reads_inputs): every order works.
Tensor hardtanh_grad(const Tensor& g, const Tensor& x, const UnaryArgs& args) {
  Tensor out = native::activation_backward(UnaryOp::Hardtanh, 1, g, x, args);
  if (will_record_into(out, g)) {
    record("HardtanhBackwardBackward", {&g}, {&out}, {x},
           [args](const tensor_list& gg, const tensor_list& s, const auto&) {
             return tensor_list{hardtanh_grad(gg[0], s[0], args)};
           })->set_differentiable_backward();
  }
  return out;
}

// A limit of hardtanh on integers, PyTorch's way: truncated toward zero into int64 (an error
// if it does not fit, as a fill value's: Note [Fill values]), then, for uint8, not negative
// and at most 255.
int64_t integer_limit(double limit) {
  check_fill_value(Scalar(limit), kInt64);
  return static_cast<int64_t>(limit);
}

// hardtanh of integers, PyTorch's: a clamp to the truncated limits (max wins where they
// cross, as clamp's), in x's dtype; nothing to differentiate.
Tensor integer_hardtanh(const Tensor& x, double min_val, double max_val, bool inplace) {
  EMBER_CHECK(x.dtype() != kBool, "Bool inputs not supported for hardtanh");
  const int64_t lo = integer_limit(min_val), hi = integer_limit(max_val);
  if (x.dtype() == kUInt8) {
    EMBER_CHECK(lo >= 0 && hi >= 0, "cannot do hardtanh on an unsigned type with negative limits");
    EMBER_CHECK(lo <= 255 && hi <= 255, "value cannot be converted to type uint8_t without overflow");
  }
  if (!inplace) return x.clamp(Scalar(lo), Scalar(hi));
  Tensor self = x;
  self.clamp_(Scalar(lo), Scalar(hi));
  return x;
}

}  // namespace

Tensor gelu(const Tensor& x, std::string_view approximate) {
  EMBER_PROFILE_OP("gelu");
  EMBER_CHECK(approximate == "none" || approximate == "tanh",
              "approximate argument must be either none or tanh. (got '", approximate, "')");
  const UnaryOp op = approximate == "tanh" ? UnaryOp::GeluTanh : UnaryOp::Gelu;
  return smooth_activation({op, {}, "GeluBackward", "GeluBackwardBackward"}, x);
}

Tensor silu(const Tensor& x, bool inplace) {
  EMBER_PROFILE_OP("silu");
  return smooth_activation({UnaryOp::Silu, {}, "SiluBackward", "SiluBackwardBackward"}, x, inplace);
}

Tensor elu(const Tensor& x, double alpha, bool inplace) {
  EMBER_PROFILE_OP("elu");
  return smooth_activation({UnaryOp::Elu, UnaryArgs{.p0 = alpha}, "EluBackward", "EluBackwardBackward"}, x, inplace);
}

Tensor elu_(const Tensor& x, double alpha) { return elu(x, alpha, /*inplace=*/true); }

Tensor softplus(const Tensor& x_in, double beta, double threshold) {
  EMBER_PROFILE_OP("softplus");
  // on PyTorch's autocast float32 list (Note [Autocast])
  const Tensor x = autocast::cast(autocast::CastPolicy::Float32, x_in);
  return smooth_activation(
      {UnaryOp::Softplus, UnaryArgs{.p0 = beta, .p1 = threshold}, "SoftplusBackward", "SoftplusBackwardBackward"}, x);
}

Tensor mish(const Tensor& x, bool inplace) {
  EMBER_PROFILE_OP("mish");
  return smooth_activation({UnaryOp::Mish, {}, "MishBackward", "MishBackwardBackward"}, x, inplace);
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val, bool inplace) {
  EMBER_PROFILE_OP("hardtanh");
  if (is_integral(x.dtype(), /*include_bool=*/true)) return integer_hardtanh(x, min_val, max_val, inplace);
  const UnaryArgs args{.p0 = min_val, .p1 = max_val};
  if (inplace) {
    return detail::activation_in_place(UnaryOp::Hardtanh, args, "HardtanhBackward", x,
                                       [&](const Tensor& input) { return hardtanh(input, min_val, max_val); });
  }
  Tensor out = native::activation(UnaryOp::Hardtanh, x, args);
  if (will_record_into(out, x)) {
    record("HardtanhBackward", {&x}, {&out}, {x}, [args](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{hardtanh_grad(g[0], s[0], args)};
    })->set_backward_reads_inputs();
  }
  return out;
}

Tensor hardtanh_(const Tensor& x, double min_val, double max_val) { return hardtanh(x, min_val, max_val, true); }

Tensor relu6(const Tensor& x, bool inplace) { return hardtanh(x, 0.0, 6.0, inplace); }

}  // namespace ember::nn::functional
