// nn::functional l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy and
// binary_cross_entropy_with_logits: argument checks with PyTorch's messages, one fused
// elementwise kernel for the loss terms (core/loss_functors.h), the reduction, and one
// recorded node (Note [Elementwise losses' gradients]).
#include <limits>
#include <optional>

#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/basic.h"
#include "nn/functional/loss.h"
#include "nn/functional/loss_warnings.h"

namespace ember::nn::functional {

using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record_into;

// Note [Elementwise losses' gradients]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// The node saves input and target (and the constant weight and pos_weight) and keeps
// nothing loss-sized: its backward runs DeviceOps::pointwise_loss_backward once per
// input that needs a gradient, on the incoming gradient scaled for the reduction (g,
// g / numel for "mean"; times weight when given) broadcast against input and target, so
// a "mean" loss's backward writes one tensor per input and reads nothing else of that
// size. Under create_graph the same gradients are composed of differentiable ops
// (sigmoid, where, div, softplus, ...) from the saved tensors with their history, and
// the node says its backward reads its inputs (FunctionNode::set_backward_reads_inputs),
// so where a derivative is piecewise constant (l1's sign, the linear parts of smooth_l1
// and huber) the gradient still depends on input and target, with a zero derivative,
// as PyTorch's. PyTorch 1.13 also gives binary_cross_entropy a gradient for the target
// (-logit(input)); weight and pos_weight get none, and requiring one is its error.

namespace {

struct LossSpec {
  PointwiseLoss op;
  const char* name;  // "smooth_l1_loss"
  const char* node;  // "SmoothL1LossBackward"
  PointwiseLossArgs args;
};

Tensor reduce(const Tensor& losses, Reduction reduction) {
  if (reduction == Reduction::None) return losses;
  return reduction == Reduction::Sum ? native::sum(losses) : native::mean(losses);
}

// PyTorch's refusal of a weight that requires grad (the kernels give it no gradient).
void check_constant(const Tensor& t, const char* op, const char* argument) {
  EMBER_CHECK(!t.defined() || !t.requires_grad() || !is_grad_enabled() || is_inference_mode_enabled(),
              "The function '", op, "' is not differentiable with respect to argument '", argument,
              "'. This input cannot have requires_grad True.");
}

// A weight or pos_weight as the kernels take it: on input's device check, in `dtype`,
// broadcasting to `shape` (PyTorch's "The size of tensor a ..." when it does not).
Tensor loss_constant(const Tensor& t, const char* op, const char* argument, DType dtype, const Dims& shape,
                     Device device) {
  if (!t.defined()) return t;
  check_constant(t, op, argument);
  EMBER_CHECK(t.device() == device, op, ": expected ", argument, " on ", device, ", but it is on ", t.device());
  EMBER_CHECK(broadcast_shapes(shape, t.sizes()) == shape, op, ": ", argument, " of shape ", t.sizes(),
              " does not broadcast to the input's shape ", shape);
  const Tensor c = t.detach();
  return c.dtype() == dtype ? c : native::to_dtype(c, dtype);
}

// The first-order gradients with the fused kernel (no create_graph).
tensor_list fused_grads(const LossSpec& spec, const Tensor& scale, const tensor_list& s,
                        const std::vector<autograd::InputMeta>& in) {
  auto grad = [&](LossGradWrt wrt) {
    return native::pointwise_loss_backward(spec.op, wrt, scale, s[0], s[1], s[3], spec.args);
  };
  return {needs_grad(in, 0) ? grad(LossGradWrt::Input) : Tensor(),
          needs_grad(in, 1) ? grad(LossGradWrt::Target) : Tensor()};
}

// The same gradients composed of differentiable ops (create_graph): scale * dloss/dx and
// scale * dloss/dt, with x and t carrying their history.
tensor_list composed_grads(const LossSpec& spec, const Tensor& scale, const tensor_list& s,
                           const std::vector<autograd::InputMeta>& in) {
  const Tensor &x = s[0], &t = s[1], &pos_weight = s[3];
  Tensor dx, dt;  // derivatives in x and t
  switch (spec.op) {
    case PointwiseLoss::L1:
    case PointwiseLoss::SmoothL1:
    case PointwiseLoss::Huber: {
      // The first-order slopes from the kernel, constants (derivative 0) where they are
      // piecewise constant, and inside (-beta, beta) / (-delta, delta) the part linear in
      // d = x - t, differentiable (PyTorch's double backward: 1 / beta, 1 strictly inside).
      const Tensor one = ones({}, TensorOptions(x.dtype()).device(x.device()));
      const auto slope = [&](LossGradWrt wrt) {
        return native::pointwise_loss_backward(spec.op, wrt, one, x.detach(), t.detach(), Tensor(), spec.args);
      };
      dx = slope(LossGradWrt::Input);
      dt = slope(LossGradWrt::Target);
      const double bound = spec.args.param;
      if (spec.op != PointwiseLoss::L1 && bound > 0.0) {
        const Tensor d = ember::sub(x, t);
        const Tensor inside = native::lt(native::abs(d.detach()), bound);
        const Tensor linear = spec.op == PointwiseLoss::Huber ? d : ember::div(d, bound);
        dx = ember::where(inside, linear, dx);
        dt = ember::where(inside, ember::neg(linear), dt);
      }
      break;
    }
    case PointwiseLoss::BinaryCrossEntropy:
      dx = ember::div(ember::sub(x, t),
                      ember::clamp(ember::mul(x, ember::rsub(x, 1.0)), static_cast<double>(1e-12f), std::nullopt));
      dt = ember::neg(ember::log(ember::div(x, ember::rsub(x, 1.0))));
      break;
    case PointwiseLoss::BinaryCrossEntropyWithLogits:
      if (pos_weight.defined()) {
        const Tensor pt = ember::mul(pos_weight, t);
        dx = ember::sub(ember::mul(ember::add(ember::sub(pt, t), 1.0), ember::sigmoid(x)), pt);
        dt = ember::sub(ember::mul(pos_weight, softplus(ember::neg(x))), softplus(x));
      } else {
        dx = ember::sub(ember::sigmoid(x), t);
        dt = ember::neg(x);
      }
      break;
  }
  return {needs_grad(in, 0) ? ember::mul(scale, dx) : Tensor(), needs_grad(in, 1) ? ember::mul(scale, dt) : Tensor()};
}

// The loss terms, weighted, reduced, and one node for input and target.
Tensor pointwise_loss(const LossSpec& spec, const Tensor& input, const Tensor& target, const Tensor& weight,
                      const Tensor& pos_weight, Reduction reduction) {
  Tensor losses = native::pointwise_loss(spec.op, input, target, pos_weight, spec.args);
  if (weight.defined()) losses = native::mul(losses, weight);
  Tensor out = reduce(losses, reduction);
  if (will_record_into(out, input, target)) {
    const double numel = static_cast<double>(losses.numel());
    record(spec.node, {&input, &target}, {&out}, {input, target, weight, pos_weight},
           [spec, reduction, numel](const tensor_list& g, const tensor_list& s, const auto& in) {
             const bool composed = is_grad_enabled();  // create_graph
             Tensor scale = g[0];
             if (reduction == Reduction::Mean) scale = composed ? ember::div(scale, numel) : native::div(scale, numel);
             if (s[2].defined()) scale = composed ? ember::mul(scale, s[2]) : native::mul(scale, s[2]);
             return composed ? composed_grads(spec, scale, s, in) : fused_grads(spec, scale, s, in);
           })->set_backward_reads_inputs();
  }
  return out;
}

// l1, smooth_l1 and huber: input and target broadcast and promote (float32 with float64 is
// float64, cast differentiably); under autocast they run in float32, as PyTorch's.
Tensor difference_loss(const LossSpec& spec, const Tensor& input_in, const Tensor& target_in, Reduction reduction) {
  const auto [input, target] = autocast::cast_inputs(autocast::CastPolicy::Float32, input_in, target_in);
  const DType dtype = promote_types(input.dtype(), target.dtype());
  EMBER_CHECK(is_floating(dtype), "\"", spec.name, "\" not implemented for '", dtype_torch_name(dtype), "'");
  (void)broadcast_shapes(input.sizes(), target.sizes());  // PyTorch's "The size of tensor a (2) must match ..."
  const Tensor x = input.dtype() == dtype ? input : input.to(dtype);
  const Tensor t = target.dtype() == dtype ? target : target.to(dtype);
  return pointwise_loss(spec, x, t, Tensor(), Tensor(), reduction);
}

}  // namespace

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_PROFILE_OP("l1_loss");
  static std::once_flag warned;
  detail::warn_target_size(warned, input.sizes(), target.sizes());
  return difference_loss({PointwiseLoss::L1, "l1_loss", "L1LossBackward", {}}, input, target, reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  EMBER_PROFILE_OP("smooth_l1_loss");
  EMBER_CHECK(beta >= 0.0, "smooth_l1_loss does not support negative values for beta. (got beta = ", beta, ")");
  static std::once_flag warned;
  detail::warn_target_size(warned, input.sizes(), target.sizes());
  // beta 0 is l1_loss, gradient 0 at a zero difference included (PyTorch 2.1+; 1.13 gave -1 there)
  if (beta == 0.0)
    return difference_loss({PointwiseLoss::L1, "l1_loss", "L1LossBackward", {}}, input, target, reduction);
  return difference_loss({PointwiseLoss::SmoothL1, "smooth_l1_loss", "SmoothL1LossBackward", {beta}}, input, target,
                         reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  EMBER_PROFILE_OP("huber_loss");
  EMBER_CHECK(delta > 0.0, "huber_loss does not support non-positive values for delta. (got delta = ", delta, ")");
  static std::once_flag warned;
  detail::warn_target_size(warned, input.sizes(), target.sizes());
  return difference_loss({PointwiseLoss::Huber, "huber_loss", "HuberLossBackward", {delta}}, input, target, reduction);
}

Tensor binary_cross_entropy(const Tensor& input_in, const Tensor& target_in, const Tensor& weight_in,
                            Reduction reduction) {
  EMBER_PROFILE_OP("binary_cross_entropy");
  // PyTorch bans it from CUDA autocast only; CPU autocast runs it in float32.
  EMBER_CHECK(!(input_in.defined() && input_in.is_cuda() && autocast::is_enabled(DeviceType::CUDA)),
              "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast. Many models use "
              "a sigmoid layer right before the binary cross entropy layer. In this case, combine the two layers "
              "using torch.nn.functional.binary_cross_entropy_with_logits or torch.nn.BCEWithLogitsLoss. "
              "binary_cross_entropy_with_logits and BCEWithLogits are safe to autocast.");
  const auto [input, target, weight] =
      autocast::cast_inputs(autocast::CastPolicy::Float32, input_in, target_in, weight_in);
  EMBER_CHECK(target.sizes() == input.sizes(), "Using a target size (", target.sizes(),
              ") that is different to the input size (", input.sizes(),
              ") is deprecated. Please ensure they have the same size.");
  EMBER_CHECK(is_floating(input.dtype()), "\"binary_cross_entropy\" not implemented for '",
              dtype_torch_name(input.dtype()), "'");
  EMBER_CHECK(target.dtype() == input.dtype(), "Found dtype ", dtype_torch_name(target.dtype()), " but expected ",
              dtype_torch_name(input.dtype()), " (binary_cross_entropy's target must have the input's dtype)");
  const Tensor w = loss_constant(weight, "binary_cross_entropy", "weight", input.dtype(), input.sizes(), input.device());
  return pointwise_loss({PointwiseLoss::BinaryCrossEntropy, "binary_cross_entropy", "BinaryCrossEntropyBackward", {}},
                        input, target, w, Tensor(), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input_in, const Tensor& target_in, const Tensor& weight,
                                        Reduction reduction, const Tensor& pos_weight) {
  EMBER_PROFILE_OP("binary_cross_entropy_with_logits");
  const auto [input, target] = autocast::cast_inputs(autocast::CastPolicy::Float32, input_in, target_in);
  EMBER_CHECK(target.sizes() == input.sizes(), "Target size (", target.sizes(), ") must be the same as input size (",
              input.sizes(), ")");
  EMBER_CHECK(is_floating(input.dtype()), "\"binary_cross_entropy_with_logits\" not implemented for '",
              dtype_torch_name(input.dtype()), "'");
  EMBER_CHECK(is_floating(target.dtype()), "binary_cross_entropy_with_logits: expected a floating-point target, but "
              "got ", dtype_torch_name(target.dtype()), " (result type ", dtype_torch_name(input.dtype()),
              " can't be cast to the desired output type ", dtype_torch_name(target.dtype()), ")");
  const DType dtype = promote_types(input.dtype(), target.dtype());
  const Tensor x = input.dtype() == dtype ? input : input.to(dtype);
  const Tensor t = target.dtype() == dtype ? target : target.to(dtype);
  const char* op = "binary_cross_entropy_with_logits";
  const Tensor w = loss_constant(weight, op, "weight", dtype, x.sizes(), x.device());
  const Tensor pw = loss_constant(pos_weight, op, "pos_weight", dtype, x.sizes(), x.device());
  return pointwise_loss({PointwiseLoss::BinaryCrossEntropyWithLogits, op, "BinaryCrossEntropyWithLogitsBackward", {}},
                        x, t, w, pw, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
  return binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  return l1_loss(input, target, reduction_from_string(reduction));
}
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, std::string_view reduction, double beta) {
  return smooth_l1_loss(input, target, reduction_from_string(reduction), beta);
}
Tensor huber_loss(const Tensor& input, const Tensor& target, std::string_view reduction, double delta) {
  return huber_loss(input, target, reduction_from_string(reduction), delta);
}
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            std::string_view reduction) {
  return binary_cross_entropy(input, target, weight, reduction_from_string(reduction));
}
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        std::string_view reduction, const Tensor& pos_weight) {
  return binary_cross_entropy_with_logits(input, target, weight, reduction_from_string(reduction), pos_weight);
}

}  // namespace ember::nn::functional
