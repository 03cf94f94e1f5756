// Native elementwise ops: same-device checks, broadcasting, PyTorch's type
// promotion, output allocation, then the device's unary/binary/where kernel.
// In-place forms check castability and shape and bump the version (mark_mutated).
#include <cmath>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember::native {
namespace {

void check_same_device(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.device() == b.device(), "Expected all tensors to be on the same device, but found at least two devices, ",
              a.device(), " and ", b.device(), "!");
}

// The dtype the kernel computes in, given the promoted input dtype.
DType compute_dtype(BinaryOp op, DType promoted) {
  if (op == BinaryOp::Div && !is_floating(promoted)) return kFloat32;  // true division
  return promoted;
}

void check_bool_sub(BinaryOp op, DType a, DType b) {
  EMBER_CHECK(!(op == BinaryOp::Sub && (a == kBool || b == kBool)),
              "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
              "mask, use the `~` or `logical_not()` operator instead.");
}

Tensor cast(const Tensor& t, DType dt) { return t.dtype() == dt ? t : to_dtype(t, dt); }
Tensor broadcast_to(const Tensor& t, const Dims& shape) { return t.sizes() == shape ? t : expand(t, shape); }

Tensor binary_op(BinaryOp op, const Tensor& a, const Tensor& b, const Scalar& alpha = 1) {
  check_same_device(a, b);
  check_bool_sub(op, a.dtype(), b.dtype());
  const DType common = compute_dtype(op, promote_types(a.dtype(), b.dtype()));
  const Dims shape = a.sizes() == b.sizes() ? a.sizes() : broadcast_shapes(a.sizes(), b.sizes());
  Tensor out = make_empty(shape, is_comparison(op) ? kBool : common, a.device());
  device_ops(a.device()).binary(op, broadcast_to(cast(a, common), shape), broadcast_to(cast(b, common), shape), out, alpha);
  return out;
}

Tensor scalar_op(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first) {
  check_bool_sub(op, a.dtype(), s.is_bool() ? kBool : a.dtype());
  const DType common = compute_dtype(op, s.result_type_with(a.dtype()));
  Tensor out = make_empty(a.sizes(), is_comparison(op) ? kBool : common, a.device());
  device_ops(a.device()).binary_scalar(op, cast(a, common), s, scalar_first, out);
  return out;
}

bool needs_float(UnaryOp op) {
  return op == UnaryOp::Exp || op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Sigmoid ||
         op == UnaryOp::Tanh;
}

Tensor unary_op(UnaryOp op, const Tensor& a, const UnaryArgs& args = {}) {
  EMBER_CHECK(!(op == UnaryOp::Neg && a.dtype() == kBool),
              "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
              "use the `~` or `logical_not()` operator instead.");
  const DType dt = needs_float(op) && !is_floating(a.dtype()) ? kFloat32 : a.dtype();
  Tensor out = make_empty(a.sizes(), dt, a.device());
  device_ops(a.device()).unary(op, cast(a, dt), out, args);
  return out;
}

// In place: the result dtype must cast to self's (PyTorch's rule: no float into an
// integer tensor), and the broadcast shape must be self's shape.
void check_inplace_result(const Tensor& self, DType result, const Dims& shape) {
  EMBER_CHECK(!(is_floating(result) && !is_floating(self.dtype())) && !(result != kBool && self.dtype() == kBool),
              "result type ", dtype_torch_name(result), " can't be cast to the desired output type ",
              dtype_torch_name(self.dtype()));
  EMBER_CHECK(shape == self.sizes(), "output with shape ", self.sizes(), " doesn't match the broadcast shape ", shape);
}

// `other` read while writing self: copy it first if it overlaps self differently.
Tensor unaliased(const Tensor& self, const Tensor& other) {
  if (!other.is_alias_of(self)) return other;
  if (other.sizes() == self.sizes() && other.strides() == self.strides() &&
      other.storage_offset() == self.storage_offset())
    return other;
  return clone(other);
}

void binary_inplace(BinaryOp op, const Tensor& self, const Tensor& other, const Scalar& alpha = 1) {
  check_same_device(self, other);
  check_bool_sub(op, self.dtype(), other.dtype());
  const DType result = compute_dtype(op, promote_types(self.dtype(), other.dtype()));
  const Dims shape = self.sizes() == other.sizes() ? self.sizes() : broadcast_shapes(self.sizes(), other.sizes());
  check_inplace_result(self, result, shape);
  mark_mutated(self);
  Tensor b = broadcast_to(cast(unaliased(self, other), self.dtype()), shape);
  device_ops(self.device()).binary(op, self, b, self, alpha);
}

void scalar_inplace(BinaryOp op, const Tensor& self, const Scalar& s) {
  const DType result = compute_dtype(op, s.result_type_with(self.dtype()));
  check_inplace_result(self, result, self.sizes());
  mark_mutated(self);
  device_ops(self.device()).binary_scalar(op, self, s, false, self);
}

void unary_inplace(UnaryOp op, const Tensor& self, const UnaryArgs& args = {}) {
  EMBER_CHECK(!(op == UnaryOp::Neg && self.dtype() == kBool), "Negation, the `-` operator, on a bool tensor is not supported.");
  mark_mutated(self);
  device_ops(self.device()).unary(op, self, self, args);
}

UnaryArgs clamp_args(const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  EMBER_CHECK(min || max, "torch.clamp: At least one of 'min' or 'max' must not be None");
  UnaryArgs args;
  if (min) args = {min->to_double(), args.p1, true, false};
  if (max) {
    args.p1 = max->to_double();
    args.has_p1 = true;
  }
  return args;
}

}  // namespace

void mark_mutated(const Tensor& self) {
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

// ---------------------------------------------------------------- binary
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return binary_op(BinaryOp::Add, a, b, alpha); }
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return binary_op(BinaryOp::Sub, a, b, alpha); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Div, a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Pow, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Minimum, a, b); }
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

Tensor pow(const Tensor& a, const Scalar& b) {
  const DType dt = b.result_type_with(a.dtype());
  Tensor out = make_empty(a.sizes(), dt, a.device());
  device_ops(a.device()).unary(UnaryOp::PowScalar, cast(a, dt), out, UnaryArgs{b.to_double(), 0.0, true, false});
  return out;
}

// ---------------------------------------------------------------- unary
Tensor neg(const Tensor& a) { return unary_op(UnaryOp::Neg, a); }
Tensor exp(const Tensor& a) { return unary_op(UnaryOp::Exp, a); }
Tensor log(const Tensor& a) { return unary_op(UnaryOp::Log, a); }
Tensor sqrt(const Tensor& a) { return unary_op(UnaryOp::Sqrt, a); }
Tensor abs(const Tensor& a) { return unary_op(UnaryOp::Abs, a); }
Tensor relu(const Tensor& a) { return unary_op(UnaryOp::Relu, a); }
Tensor sigmoid(const Tensor& a) { return unary_op(UnaryOp::Sigmoid, a); }
Tensor tanh(const Tensor& a) { return unary_op(UnaryOp::Tanh, a); }
Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) {
  return unary_op(UnaryOp::Clamp, a, clamp_args(min, max));
}

// ---------------------------------------------------------------- where
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(cond.dtype() == kBool, "where expected condition to be a boolean tensor, but got a tensor with dtype ",
              dtype_torch_name(cond.dtype()));
  check_same_device(cond, a);
  check_same_device(a, b);
  const DType dt = promote_types(a.dtype(), b.dtype());
  const Dims shape = broadcast_shapes(cond.sizes(), broadcast_shapes(a.sizes(), b.sizes()));
  Tensor out = make_empty(shape, dt, a.device());
  device_ops(a.device()).where(broadcast_to(cond, shape), broadcast_to(cast(a, dt), shape), broadcast_to(cast(b, dt), shape), out);
  return out;
}
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  return native::where(cond, full({}, a, TensorOptions(a.result_type_with(b.dtype())).device(b.device())), b);
}
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  return native::where(cond, a, full({}, b, TensorOptions(b.result_type_with(a.dtype())).device(a.device())));
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
void neg_(const Tensor& self) { unary_inplace(UnaryOp::Neg, self); }
void relu_(const Tensor& self) { unary_inplace(UnaryOp::Relu, self); }
void clamp_(const Tensor& self, std::optional<Scalar> min, std::optional<Scalar> max) {
  unary_inplace(UnaryOp::Clamp, self, clamp_args(min, max));
}
void zero_(const Tensor& self) { fill_(self, 0); }
void fill_(const Tensor& self, const Scalar& value) {
  mark_mutated(self);
  device_ops(self.device()).fill(self, value);
}
void copy_(const Tensor& self, const Tensor& src) {
  const Dims& shape = self.sizes();
  bool fits = src.sizes().size() <= shape.size();
  for (size_t i = 0; fits && i < src.sizes().size(); ++i) {
    const int64_t s = src.sizes()[src.sizes().size() - 1 - i];
    fits = s == 1 || s == shape[shape.size() - 1 - i];
  }
  EMBER_CHECK(fits, "copy_: the source of shape ", src.sizes(), " cannot be broadcast to the destination's shape ", shape);
  mark_mutated(self);
  Tensor from = src.device() == self.device() ? src : to_device(src, self.device());
  device_ops(self.device()).copy(broadcast_to(unaliased(self, from), shape), self);
}

}  // namespace ember::native

namespace ember {

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  if (a.sizes() != b.sizes()) return false;
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) {
    const bool xn = x[i] != x[i], yn = y[i] != y[i];
    if (xn || yn) {
      if (!(equal_nan && xn && yn)) return false;
      continue;
    }
    if (x[i] == y[i]) continue;  // equal infinities
    if (std::abs(x[i] - y[i]) > atol + rtol * std::abs(y[i])) return false;
  }
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  return a.to_vector<double>() == b.to_vector<double>();
}

}  // namespace ember
