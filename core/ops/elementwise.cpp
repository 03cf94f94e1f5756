// Native elementwise ops: same-device checks, broadcasting, PyTorch's type promotion,
// output allocation (in the inputs' memory format), then the device's
// unary/binary/where/copy/fill kernel. In-place forms check castability and shape,
// and bump the version (mark_mutated).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <optional>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/fill_value.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/ops/elementwise_ops.h"

namespace ember::native {
namespace detail {

// PyTorch's result_type of two tensors: a 0-dim tensor takes part like a scalar, raising
// the dtype of tensors with dims only when it is of a higher category (bool < integer <
// floating): float32[3] + float64 0-dim is float32, uint8[3] + int64 0-dim is uint8,
// int64[3] + float64 0-dim is float64, and two 0-dim tensors promote as usual.
namespace {
// The dtypes with dims and the 0-dim ones, each promoted among themselves, combined as
// PyTorch's combine_categories.
DType combine(std::optional<DType> with_dims, std::optional<DType> zero_dim) {
  if (!with_dims) return zero_dim.value_or(kFloat32);
  if (!zero_dim || is_floating(*with_dims)) return *with_dims;
  if (*with_dims == kBool || is_floating(*zero_dim)) return promote_types(*with_dims, *zero_dim);
  return *with_dims;
}
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  if ((a.dim() == 0) == (b.dim() == 0)) return promote_types(a.dtype(), b.dtype());
  return a.dim() > 0 ? combine(a.dtype(), b.dtype()) : combine(b.dtype(), a.dtype());
}

DType result_type(const std::vector<Tensor>& tensors) {
  std::optional<DType> with_dims, zero_dim;
  for (const Tensor& t : tensors) {
    std::optional<DType>& into = t.dim() > 0 ? with_dims : zero_dim;
    into = into ? promote_types(*into, t.dtype()) : t.dtype();
  }
  return combine(with_dims, zero_dim);
}

}  // namespace detail

namespace {

using detail::result_type;

// The dtype the kernel computes in, given the promoted input dtype.
// True division, atan2, hypot, copysign and logaddexp(2) of integers or bools compute in
// float32 (is_floating_binary).
DType binary_compute_dtype(BinaryOp op, DType promoted) {
  return is_floating_binary(op) && !is_floating(promoted) ? kFloat32 : promoted;
}

// PyTorch's argument rules for binary ops, given how many of the two operands are bool
// (a scalar operand contributes its own kind) and the dtype of the result.
void check_binary_args(BinaryOp op, int bool_operands, DType result, const Scalar& alpha) {
  EMBER_CHECK(!(op == BinaryOp::Sub && bool_operands == 2),
              "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
              "`logical_xor()` operator instead.");
  EMBER_CHECK(!(op == BinaryOp::Sub && bool_operands == 1),
              "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
              "mask, use the `~` or `logical_not()` operator instead.");
  if (op != BinaryOp::Add && op != BinaryOp::Sub) return;
  EMBER_CHECK(!alpha.is_bool() || result == kBool, "Boolean alpha only supported for Boolean results.");
  EMBER_CHECK(is_floating(result) || !alpha.is_floating(),
              "For integral input tensors, argument alpha must not be a floating point number.");
}

Tensor cast(const Tensor& t, DType dt) { return t.dtype() == dt ? t : to_dtype(t, dt); }
Tensor expanded_to(const Tensor& t, const Dims& shape) { return t.sizes() == shape ? t : expand(t, shape); }
Dims broadcast(const Dims& a, const Dims& b) { return a == b ? a : broadcast_shapes(a, b); }

// PyTorch's elementwise results follow their inputs' layout; ember follows it for
// channels-last, the layout its layers produce: the output is channels-last when the
// first operand of the output's full shape looks channels-last, else row-major (so an
// NCHW first operand wins over a channels-last second one, as in PyTorch, and a
// broadcast bias leaves the choice to the full-size operand).
MemoryFormat output_format(const Dims& shape, std::initializer_list<const Tensor*> operands) {
  if (shape.size() != 4) return MemoryFormat::Contiguous;
  for (const Tensor* t : operands)
    if (t->sizes() == shape) return t->suggest_memory_format();
  return MemoryFormat::Contiguous;
}


// The result dtype of a binary op on two tensors, after the argument checks.
DType binary_result_dtype(BinaryOp op, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  check_same_device(a, {&b});
  const DType result = binary_compute_dtype(op, detail::result_type(a, b));
  check_binary_args(op, int{a.dtype() == kBool} + int{b.dtype() == kBool}, result, alpha);
  return result;
}

DType scalar_result_dtype(BinaryOp op, const Tensor& a, const Scalar& s) {
  const DType result = binary_compute_dtype(op, s.result_type_with(a.dtype()));
  check_binary_args(op, int{a.dtype() == kBool} + int{s.is_bool()}, result, Scalar(1));
  return result;
}

}  // namespace

// Shared with the other elementwise families (core/ops/elementwise_ops.h).
namespace detail {
Tensor binary_op(BinaryOp op, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  const DType dt = binary_result_dtype(op, a, b, alpha);
  const Dims shape = broadcast(a.sizes(), b.sizes());
  Tensor out = make_empty(shape, is_comparison(op) ? kBool : dt, a.device(), output_format(shape, {&a, &b}));
  device_ops(a.device()).binary(op, expanded_to(cast(a, dt), shape), expanded_to(cast(b, dt), shape), out, alpha);
  return out;
}

Tensor scalar_op(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first) {
  const DType dt = scalar_result_dtype(op, a, s);
  Tensor out = make_empty(a.sizes(), is_comparison(op) ? kBool : dt, a.device(), output_format(a.sizes(), {&a}));
  device_ops(a.device()).binary_scalar(op, cast(a, dt), s, scalar_first, out);
  return out;
}

// exp, log, sqrt, sigmoid, tanh and the floating math ops (sin, erf, ...) of integer or
// bool tensors compute in float32; the roundings keep integers and refuse bools.
DType unary_result_dtype(UnaryOp op, DType in) {
  const bool needs_float = op == UnaryOp::Exp || op == UnaryOp::Log || op == UnaryOp::Sqrt ||
                           op == UnaryOp::Sigmoid || op == UnaryOp::Tanh || is_floating_math(op);
  EMBER_CHECK(!(op == UnaryOp::Neg && in == kBool),
              "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
              "use the `~` or `logical_not()` operator instead.");
  EMBER_CHECK(!((is_rounding(op) || op == UnaryOp::Abs) && in == kBool), "\"", op_name(op),
              "\" not implemented for 'Bool'");
  return needs_float && !is_floating(in) ? kFloat32 : in;
}

Tensor unary_op(UnaryOp op, const Tensor& a, DType dt, const UnaryArgs& args) {
  Tensor out = make_empty(a.sizes(), dt, a.device(), output_format(a.sizes(), {&a}));
  device_ops(a.device()).unary(op, cast(a, dt), out, args);
  return out;
}
Tensor unary_op(UnaryOp op, const Tensor& a) { return unary_op(op, a, unary_result_dtype(op, a.dtype())); }
}  // namespace detail

namespace {
using detail::binary_op;
using detail::scalar_op;
using detail::unary_op;
using detail::unary_result_dtype;

// x ** exponent keeps integer tensors integral for integral exponents (PyTorch).
DType pow_scalar_dtype(const Tensor& a, const Scalar& exponent) {
  const DType dt = exponent.result_type_with(a.dtype());
  EMBER_CHECK(is_floating(dt) || exponent.to_int() >= 0, "Integers to negative integer powers are not allowed.");
  return dt;
}

// clamp promotes like a binary op with each given bound (an int tensor clamped to 0.5 is float32).
struct ClampPlan {
  UnaryArgs args;
  DType dtype;
  bool all_nan = false;  // both bounds given, one NaN: PyTorch's clamp fills the result with NaN
};
ClampPlan plan_clamp(DType in, const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  EMBER_CHECK(min || max, "torch.clamp: At least one of 'min' or 'max' must not be None");
  ClampPlan plan{{}, in};
  if (min) {
    plan.args.p0 = min->to_double();
    plan.args.has_p0 = true;
    plan.dtype = min->result_type_with(plan.dtype);
  }
  if (max) {
    plan.args.p1 = max->to_double();
    plan.args.has_p1 = true;
    plan.dtype = promote_types(plan.dtype, max->result_type_with(in));
  }
  plan.all_nan = min && max && (std::isnan(plan.args.p0) || std::isnan(plan.args.p1));
  // PyTorch converts each bound to the compute dtype (c10's checked convert): one it cannot
  // hold (uint8 clamped to 300) is its "cannot be converted ... without overflow" error, and
  // a negative one uint8 can wrap (-1) becomes that byte (255).
  if (!is_floating(plan.dtype) && plan.dtype != kBool) {
    for (const std::optional<Scalar>* bound : {&min, &max})
      if (*bound) check_fill_value(**bound, plan.dtype);
    // The kernel compares integers with the integer bounds (a double is exact only to 2^53).
    if (min) plan.args.i0 = plan.dtype == kUInt8 ? static_cast<uint8_t>(min->to_int()) : min->to_int();
    if (max) plan.args.i1 = plan.dtype == kUInt8 ? static_cast<uint8_t>(max->to_int()) : max->to_int();
    if (plan.dtype == kUInt8) {
      if (min) plan.args.p0 = static_cast<double>(plan.args.i0);
      if (max) plan.args.p1 = static_cast<double>(plan.args.i1);
    }
  }
  return plan;
}

// In place: the result dtype must cast to self's (no float into an integer tensor,
// nothing but bool into a bool one), and the broadcast shape must be self's shape.
void check_inplace_result(const Tensor& self, DType result, const Dims& shape) {
  const bool castable = !(is_floating(result) && !is_floating(self.dtype())) && !(result != kBool && self.dtype() == kBool);
  EMBER_CHECK(castable, "result type ", dtype_torch_name(result), " can't be cast to the desired output type ",
              dtype_torch_name(self.dtype()));
  EMBER_CHECK(shape == self.sizes(), "output with shape ", self.sizes(), " doesn't match the broadcast shape ", shape);
}

// `other` is read while self is written: copy it first if it shares self's storage
// with another layout (an identical layout is safe elementwise).
Tensor unaliased(const Tensor& self, const Tensor& other) {
  if (!other.is_alias_of(self)) return other;
  if (other.sizes() == self.sizes() && other.strides() == self.strides() &&
      other.storage_offset() == self.storage_offset())
    return other;
  return clone(other);
}

}  // namespace

namespace detail {
void binary_inplace(BinaryOp op, const Tensor& self, const Tensor& other, const Scalar& alpha) {
  const DType result = binary_result_dtype(op, self, other, alpha);
  const Dims shape = broadcast(self.sizes(), other.sizes());
  check_inplace_result(self, result, shape);
  mark_mutated(self);
  const DeviceOps& ops = device_ops(self.device());
  if (result != self.dtype()) {  // e.g. float32 += float64: compute in float64, store rounded
    ops.copy(binary_op(op, self, other, alpha), self);
    return;
  }
  ops.binary(op, self, expanded_to(cast(unaliased(self, other), result), shape), self, alpha);
}

void scalar_inplace(BinaryOp op, const Tensor& self, const Scalar& s) {
  check_inplace_result(self, scalar_result_dtype(op, self, s), self.sizes());
  mark_mutated(self);
  device_ops(self.device()).binary_scalar(op, self, s, false, self);
}

void unary_inplace(UnaryOp op, const Tensor& self, DType result, const UnaryArgs& args) {
  check_inplace_result(self, result, self.sizes());
  mark_mutated(self);
  device_ops(self.device()).unary(op, self, self, args);
}
}  // namespace detail

namespace {
using detail::binary_inplace;
using detail::scalar_inplace;
using detail::unary_inplace;

// Whether `from` broadcasts to `to` (trailing dims equal or 1, no extra leading dims).
bool broadcasts_to(const Dims& from, const Dims& to) {
  if (from.size() > to.size()) return false;
  for (size_t i = 1; i <= from.size(); ++i) {
    const int64_t size = from[from.size() - i];
    if (size != 1 && size != to[to.size() - i]) return false;
  }
  return true;
}

}  // namespace

void check_same_device(const Tensor& first, std::initializer_list<const Tensor*> others, const char* op) {
  for (const Tensor* t : others) {
    EMBER_CHECK(!t->defined() || t->device() == first.device(),
                "Expected all tensors to be on the same device, but found at least two devices, ", first.device(),
                " and ", t->device(), "!", op ? std::string(" (when checking arguments for ") + op + ")" : "");
  }
}

namespace {
// mark_mutated without the overlap check: for fill_, which writes one value to every
// element, so an expanded tensor is fine (PyTorch's "Fill is idempotent, so overlap is okay").
void mark_written(const Tensor& self) {
  TensorImpl& impl = self.impl();
  if (impl.is_inference) {
    EMBER_CHECK(is_inference_mode_enabled(),
                "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get "
                "a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more "
                "details.");
    return;
  }
  impl.storage->bump_version();
}
}  // namespace

void mark_mutated(const Tensor& self) {
  const TensorImpl& impl = self.impl();
  // PyTorch's internal-overlap check (its certain part): an expanded dim (stride 0, size
  // > 1) would be written once per element that aliases it.
  for (size_t d = 0; d < impl.sizes.size(); ++d) {
    EMBER_CHECK(impl.sizes[d] <= 1 || impl.strides[d] != 0,
                "unsupported operation: more than one element of the written-to tensor refers to a single memory "
                "location. Please clone() the tensor before performing the operation.");
  }
  mark_written(self);
}

// ---------------------------------------------------------------- binary
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return binary_op(BinaryOp::Add, a, b, alpha); }
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return binary_op(BinaryOp::Sub, a, b, alpha); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Div, a, b); }
Tensor pow(const Tensor& a, const Tensor& b) {
  // PyTorch's integral dispatch leaves bool out: two bool tensors are an error, not a bool power.
  EMBER_CHECK(a.dtype() != kBool || b.dtype() != kBool, "\"pow\" not implemented for 'Bool'");
  return binary_op(BinaryOp::Pow, a, b);
}
Tensor maximum(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Minimum, a, b); }
Tensor relu_grad(const Tensor& grad, const Tensor& y) { return binary_op(BinaryOp::ReluGrad, grad, y); }
Tensor leaky_relu_grad(const Tensor& grad, const Tensor& x, double negative_slope) {
  return binary_op(BinaryOp::LeakyReluGrad, grad, x, negative_slope);
}
Tensor eq(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Ge, a, b); }

// ---------------------------------------------------------------- with a scalar
Tensor add(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Add, a, b, false); }
Tensor sub(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Sub, a, b, false); }
Tensor rsub(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Sub, a, b, true); }
Tensor mul(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Mul, a, b, false); }
Tensor div(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Div, a, b, false); }
Tensor rdiv(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Div, a, b, true); }
Tensor eq(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Eq, a, b, false); }
Tensor ne(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Ne, a, b, false); }
Tensor lt(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Lt, a, b, false); }
Tensor le(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Le, a, b, false); }
Tensor gt(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Gt, a, b, false); }
Tensor ge(const Tensor& a, const Scalar& b) { return scalar_op(BinaryOp::Ge, a, b, false); }
// An integer tensor's exponent goes to the kernel as an integer (exact beyond 2^53); uint8's
// must fit uint8, as PyTorch converts it to the dtype (checked).
Tensor pow(const Tensor& a, const Scalar& b) {
  const DType dt = pow_scalar_dtype(a, b);
  if (dt == kUInt8) check_fill_value(b, kUInt8);
  return unary_op(UnaryOp::PowScalar, a, dt, UnaryArgs{b.to_double(), 0.0, true, false, b.to_int(), 0});
}

// ---------------------------------------------------------------- unary
Tensor neg(const Tensor& a) { return unary_op(UnaryOp::Neg, a); }
Tensor exp(const Tensor& a) { return unary_op(UnaryOp::Exp, a); }
Tensor log(const Tensor& a) { return unary_op(UnaryOp::Log, a); }
Tensor sqrt(const Tensor& a) { return unary_op(UnaryOp::Sqrt, a); }
Tensor abs(const Tensor& a) { return unary_op(UnaryOp::Abs, a); }
Tensor relu(const Tensor& a) {
  EMBER_CHECK(a.dtype() != kBool, "Boolean inputs not supported for relu");
  return unary_op(UnaryOp::Relu, a);
}
Tensor leaky_relu(const Tensor& a, double negative_slope) {
  EMBER_CHECK(is_floating(a.dtype()), "\"leaky_relu\" not implemented for '", dtype_torch_name(a.dtype()), "'");
  return unary_op(UnaryOp::LeakyRelu, a, a.dtype(), UnaryArgs{.p0 = negative_slope, .has_p0 = true});
}
Tensor sigmoid(const Tensor& a) { return unary_op(UnaryOp::Sigmoid, a); }
Tensor tanh(const Tensor& a) { return unary_op(UnaryOp::Tanh, a); }
Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) {
  const ClampPlan plan = plan_clamp(a.dtype(), min, max);
  Tensor out = unary_op(UnaryOp::Clamp, a, plan.dtype, plan.args);
  if (plan.all_nan) fill_(out, std::numeric_limits<double>::quiet_NaN());
  return out;
}

// ---------------------------------------------------------------- nn activations and losses
Tensor activation(UnaryOp op, const Tensor& a, const UnaryArgs& args) {
  EMBER_CHECK(is_floating(a.dtype()), "\"", op_name(op), "\" not implemented for '", dtype_torch_name(a.dtype()), "'");
  return unary_op(op, a, a.dtype(), args);
}
void activation_(UnaryOp op, const Tensor& self, const UnaryArgs& args) {
  EMBER_CHECK(is_floating(self.dtype()), "\"", op_name(op), "\" not implemented for '", dtype_torch_name(self.dtype()),
              "'");
  unary_inplace(op, self, self.dtype(), args);
}

Tensor activation_backward(UnaryOp op, int order, const Tensor& grad, const Tensor& x, const UnaryArgs& args) {
  check_same_device(x, {&grad});
  const Dims shape = broadcast(grad.sizes(), x.sizes());
  Tensor out = make_empty(shape, x.dtype(), x.device(), output_format(shape, {&x, &grad}));
  device_ops(x.device())
      .unary_backward(op, order, expanded_to(cast(grad, x.dtype()), shape), expanded_to(x, shape), out, args);
  return out;
}

Tensor pointwise_loss(PointwiseLoss op, const Tensor& input, const Tensor& target, const Tensor& pos_weight,
                      const PointwiseLossArgs& args) {
  check_same_device(input, {&target, &pos_weight}, op_name(op));
  const DType dt = input.dtype();
  Dims shape = broadcast(input.sizes(), target.sizes());
  if (pos_weight.defined()) shape = broadcast(shape, pos_weight.sizes());
  Tensor out = make_empty(shape, dt, input.device(), output_format(shape, {&input, &target}));
  device_ops(input.device())
      .pointwise_loss(op, expanded_to(input, shape), expanded_to(cast(target, dt), shape),
                      pos_weight.defined() ? expanded_to(cast(pos_weight, dt), shape) : Tensor(), args, out);
  return out;
}

Tensor pointwise_loss_backward(PointwiseLoss op, LossGradWrt wrt, const Tensor& grad, const Tensor& input,
                               const Tensor& target, const Tensor& pos_weight, const PointwiseLossArgs& args) {
  check_same_device(input, {&grad, &target, &pos_weight}, op_name(op));
  const DType dt = input.dtype();
  Dims shape = broadcast(broadcast(input.sizes(), target.sizes()), grad.sizes());
  if (pos_weight.defined()) shape = broadcast(shape, pos_weight.sizes());
  Tensor out = make_empty(shape, dt, input.device(), output_format(shape, {&input, &target, &grad}));
  device_ops(input.device())
      .pointwise_loss_backward(op, wrt, expanded_to(cast(grad, dt), shape), expanded_to(input, shape),
                               expanded_to(cast(target, dt), shape),
                               pos_weight.defined() ? expanded_to(cast(pos_weight, dt), shape) : Tensor(), args, out);
  return out;
}

// ---------------------------------------------------------------- where
// A uint8 condition is read as bool after PyTorch's deprecation warning (once per process).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(condition.dtype() == kBool || condition.dtype() == kUInt8,
              "where expected condition to be a boolean tensor, but got a tensor with dtype ",
              dtype_torch_name(condition.dtype()));
  if (condition.dtype() == kUInt8) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      logging::warn(
          "where received a uint8 condition tensor. This behavior is deprecated and will be removed in a future "
          "version of PyTorch. Use a boolean condition instead.");
  }
  const Tensor cond = condition.dtype() == kUInt8 ? to_dtype(condition, kBool) : condition;
  check_same_device(cond, {&a, &b});
  const DType dt = detail::result_type(a, b);
  const Dims shape = broadcast(cond.sizes(), broadcast(a.sizes(), b.sizes()));
  Tensor out = make_empty(shape, dt, a.device(), output_format(shape, {&cond, &a, &b}));
  device_ops(a.device()).where(expanded_to(cond, shape), expanded_to(cast(a, dt), shape),
                               expanded_to(cast(b, dt), shape), out);
  return out;
}
// The number becomes a 0-dim operand of the result's dtype without full()'s overflow check,
// as PyTorch's wrapped number: where(c, half_tensor, 1e5) is inf where chosen, not an error.
static DType wrapped_number_dtype(const Scalar& s) { return s.is_floating() ? kFloat64 : s.is_bool() ? kBool : kInt64; }
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  const DType dt = a.result_type_with(b.dtype());
  return native::where(cond, to_dtype(full({}, a, TensorOptions(wrapped_number_dtype(a)).device(b.device())), dt), b);
}
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  const DType dt = b.result_type_with(a.dtype());
  return native::where(cond, a, to_dtype(full({}, b, TensorOptions(wrapped_number_dtype(b)).device(a.device())), dt));
}

// ---------------------------------------------------------------- in place
void add_(const Tensor& self, const Tensor& other, const Scalar& alpha) { binary_inplace(BinaryOp::Add, self, other, alpha); }
void sub_(const Tensor& self, const Tensor& other, const Scalar& alpha) { binary_inplace(BinaryOp::Sub, self, other, alpha); }
void mul_(const Tensor& self, const Tensor& other) { binary_inplace(BinaryOp::Mul, self, other); }
void div_(const Tensor& self, const Tensor& other) { binary_inplace(BinaryOp::Div, self, other); }
void add_(const Tensor& self, const Scalar& other) { scalar_inplace(BinaryOp::Add, self, other); }
void sub_(const Tensor& self, const Scalar& other) { scalar_inplace(BinaryOp::Sub, self, other); }
void mul_(const Tensor& self, const Scalar& other) { scalar_inplace(BinaryOp::Mul, self, other); }
void div_(const Tensor& self, const Scalar& other) { scalar_inplace(BinaryOp::Div, self, other); }
void neg_(const Tensor& self) { unary_inplace(UnaryOp::Neg, self, unary_result_dtype(UnaryOp::Neg, self.dtype())); }
void relu_(const Tensor& self) {
  EMBER_CHECK(self.dtype() != kBool, "Boolean inputs not supported for relu");
  unary_inplace(UnaryOp::Relu, self, self.dtype());
}
void clamp_(const Tensor& self, std::optional<Scalar> min, std::optional<Scalar> max) {
  const ClampPlan plan = plan_clamp(self.dtype(), min, max);
  unary_inplace(UnaryOp::Clamp, self, plan.dtype, plan.args);
  if (plan.all_nan) fill_(self, std::numeric_limits<double>::quiet_NaN());
}
void zero_(const Tensor& self) { fill_(self, 0); }
void fill_(const Tensor& self, const Scalar& value) {
  check_fill_value(value, self.dtype());
  mark_written(self);
  device_ops(self.device()).fill(self, value);
}
void copy_(const Tensor& self, const Tensor& src) {
  const Dims& shape = self.sizes();
  if (!broadcasts_to(src.sizes(), shape)) {
    // PyTorch's "The size of tensor a (3) must match ..." when the shapes do not broadcast,
    // and TensorIterator's words when they broadcast to more than self's shape.
    const Dims both = broadcast_shapes(shape, src.sizes());
    EMBER_FAIL("output with shape ", shape, " doesn't match the broadcast shape ", both,
               " (copy_ from a source of shape ", src.sizes(), ")");
  }
  mark_mutated(self);
  Tensor from = src.device() == self.device() ? src : to_device(src, self.device());
  device_ops(self.device()).copy(expanded_to(unaliased(self, from), shape), self);
}
void assign_(const Tensor& self, const Tensor& result) {
  check_inplace_result(self, result.dtype(), result.sizes());
  copy_(self, result);
}

}  // namespace ember::native

namespace ember {

// PyTorch's: isclose(...).all(), so it broadcasts, and shapes that do not broadcast, two dtypes or
// a negative tolerance are isclose's errors (a [3] against a 0-dim expected value was false).
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return isclose(a, b, rtol, atol, equal_nan).all().item<bool>();
}

// Exact comparison through the eq kernel (no rounding of large int64 values).
bool equal(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  const std::vector<uint8_t> same = native::eq(a, b).to_vector<uint8_t>();
  return std::all_of(same.begin(), same.end(), [](uint8_t s) { return s != 0; });
}

}  // namespace ember
