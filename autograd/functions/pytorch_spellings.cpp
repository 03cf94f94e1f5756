// PyTorch's other spellings of ops ember has (core/tensor_pytorch_spellings.h, the free
// functions of core/ops.h): aliases, logical ops, dot, angle, the in-place forms, new_* and
// new_tensor, and the method forms of dist and the cholesky family.
//
// Note [PyTorch spellings]
// Each is a thin form of an existing op, so devices, dtypes, errors and autograd are that
// op's. The in-place unary ops (exp_, log_, sqrt_, abs_, sigmoid_, tanh_) run the device's
// elementwise kernel on self and record one node named as PyTorch's, as sin_ does (Note
// [In-place math] in autograd/functions/math.cpp); the composed ones (pow_, square_,
// masked_fill_, cumsum_, cumprod_, ldexp_) compute the op out of place and write it back, reading a copy of
// self taken before the write where the op's derivative reads its input (pow). An integer
// self that the op would make floating is PyTorch's "result type Float can't be cast to
// the desired output type Long" error. fill_diagonal_ fills diagonal views (so on a view of
// a tensor that requires grad the base's history is CopySlices).
#include <cmath>
#include <mutex>
#include <numbers>
#include <optional>

#include "autograd/function_node.h"
#include "autograd/functions/unary_math.h"
#include "autograd/record.h"
#include "core/autocast.h"
#include "core/composite_ops.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/linalg_ops.h"
#include "core/logging.h"
#include "core/numpy_aliases.h"
#include "core/ops.h"

namespace ember {

using autograd::composed_inplace;
using autograd::Keeps;
using autograd::unary_math_;
using autograd::UnaryMath;
using autograd::value_before_write;

namespace {
constexpr UnaryMath kExp{"ExpBackward", native::exp,   UnaryOp::Exp,
                         true,          Keeps::Output, [](const Tensor& g, const Tensor& y) { return mul(g, y); }};
constexpr UnaryMath kLog{"LogBackward", native::log,  UnaryOp::Log,
                         true,          Keeps::Input, [](const Tensor& g, const Tensor& x) { return div(g, x); }};
constexpr UnaryMath kSqrt{"SqrtBackward", native::sqrt,
                          UnaryOp::Sqrt,  false,
                          Keeps::Output,  [](const Tensor& g, const Tensor& y) { return div(g, mul(y, 2.0)); }};
constexpr UnaryMath kAbs{"AbsBackward", native::abs,  UnaryOp::Abs,
                         false,         Keeps::Input, [](const Tensor& g, const Tensor& x) { return mul(g, sgn(x)); }};
constexpr UnaryMath kSigmoid{
    "SigmoidBackward", native::sigmoid,
    UnaryOp::Sigmoid,  false,
    Keeps::Output,     [](const Tensor& g, const Tensor& y) { return mul(g, mul(y, rsub(y, 1))); }};
constexpr UnaryMath kTanh{"TanhBackward", native::tanh,
                          UnaryOp::Tanh,  false,
                          Keeps::Output,  [](const Tensor& g, const Tensor& y) { return mul(g, rsub(mul(y, y), 1)); }};
}  // namespace

// ---------------------------------------------------------------- free functions
Tensor logical_not(const Tensor& a) { return eq(a, Scalar(0)); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return bitwise_and(ne(a, Scalar(0)), ne(b, Scalar(0))); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return bitwise_or(ne(a, Scalar(0)), ne(b, Scalar(0))); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return bitwise_xor(ne(a, Scalar(0)), ne(b, Scalar(0))); }
Tensor clamp_min(const Tensor& a, const Scalar& min) { return clamp(a, min, std::nullopt); }
Tensor clamp_max(const Tensor& a, const Scalar& max) { return clamp(a, std::nullopt, max); }
Tensor clip(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) { return clamp(a, min, max); }
// torch.cross without a dim: the first dim of size 3 of the input's own shape (PyTorch's
// _get_cross_dim reads input only), with its deprecation warning (linalg.cross's default is -1).
Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim) {
  if (dim) return linalg::cross(a, b, *dim);
  const Dims& shape = a.sizes();
  int64_t found = -1;
  for (size_t d = 0; d < shape.size() && found < 0; ++d)
    if (shape[d] == 3) found = static_cast<int64_t>(d);
  EMBER_CHECK(found >= 0, "no dimension of size 3 in input");
  static std::once_flag warned;
  std::call_once(warned, [] {
    logging::warn(
        "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim explicitly or "
        "simply use torch.linalg.cross.\nThe default value of dim will change to agree with that of linalg.cross "
        "in a future release.");
  });
  return linalg::cross(a, b, found);
}
Tensor sgn(const Tensor& a) { return sign(a); }
Tensor absolute(const Tensor& a) { return abs(a); }
Tensor negative(const Tensor& a) { return neg(a); }
// Floating vectors through matmul (BLAS on the CPU, cuBLAS on CUDA); integers as a sum of
// products in int64, wrapped to the dtype (uint8 wraps, as PyTorch's). On PyTorch's autocast
// promote list: under autocast a bf16 and a float32 vector meet in float32.
Tensor dot(const Tensor& a_in, const Tensor& b_in) {
  const std::vector<Tensor> promoted = autocast::promote_inputs({a_in, b_in});
  const Tensor &a = promoted[0], &b = promoted[1];
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, "1D tensors expected, but got ", a.dim(), "D and ", b.dim(), "D tensors");
  EMBER_CHECK(a.dtype() == b.dtype(), "dot : expected both vectors to have same dtype, but found ",
              dtype_torch_name(a.dtype()), " and ", dtype_torch_name(b.dtype()));
  EMBER_CHECK(a.numel() == b.numel(), "inconsistent tensor size, expected tensor [", a.numel(), "] and src [",
              b.numel(), "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(),
              " elements respectively");
  EMBER_CHECK(a.dtype() != kBool, "\"dot\" not implemented for 'Bool'");
  if (is_floating(a.dtype())) {
    // dot itself is the autocast op (promote), so the product it runs is not cast again.
    std::optional<AutocastGuard> no_autocast;
    if (autocast::is_enabled(a.device().type()))
      no_autocast.emplace(a.device(), autocast::get_dtype(a.device().type()), false);
    return matmul(a, b);
  }
  return mul(a.to(kInt64), b.to(kInt64)).sum().to(a.dtype());
}

// The number broadcast to the exponent's shape in the dtype of PyTorch's wrapped-number
// promotion, then pow of two tensors (its gradient reaches the exponent).
Tensor pow(const Scalar& self, const Tensor& exponent) {
  EMBER_CHECK(exponent.defined(), "pow: expected a defined exponent tensor");
  const DType dt = self.result_type_with(exponent.dtype());
  // PyTorch's shortcut: 1 ** anything is 1 (so an integer exponent may be negative there).
  if (self.to_double() == 1.0 && !is_floating(exponent.dtype()))
    return full(exponent.sizes(), 1, TensorOptions(dt).device(exponent.device()));
  return ember::pow(full({}, self, TensorOptions(dt).device(exponent.device())), exponent.to(dt));
}

// ---------------------------------------------------------------- methods, out of place
Tensor Tensor::positive() const {
  EMBER_CHECK(dtype() != kBool, "The `+` operator, on a bool tensor is not supported.");
  return *this;
}
// The sign bit: a floating x's through copysign (so -0.0 and a negative NaN count), an
// int64's x < 0; uint8 and bool have none.
Tensor Tensor::signbit() const {
  if (is_floating(dtype())) return ember::copysign(ember::ones_like(*this), *this).lt(0.0);
  if (dtype() == kInt64) return lt(0);
  return zeros(sizes(), TensorOptions(kBool).device(device()));
}
Tensor Tensor::new_empty_strided(const Dims& size, const Dims& stride) const {
  return empty_strided(size, stride, TensorOptions(dtype()).device(device()));
}
Tensor Tensor::max(const Tensor& other) const { return ember::maximum(*this, other); }
Tensor Tensor::min(const Tensor& other) const { return ember::minimum(*this, other); }
Tensor Tensor::cross(const Tensor& other, std::optional<int64_t> dim) const { return ember::cross(*this, other, dim); }
Tensor Tensor::clamp_min(const Scalar& min) const { return ember::clamp_min(*this, min); }
Tensor Tensor::clamp_max(const Scalar& max) const { return ember::clamp_max(*this, max); }
Tensor Tensor::clip(std::optional<Scalar> min, std::optional<Scalar> max) const {
  return ember::clamp(*this, min, max);
}
Tensor Tensor::sgn() const { return ember::sign(*this); }
Tensor Tensor::absolute() const { return ember::abs(*this); }
Tensor Tensor::negative() const { return ember::neg(*this); }
Tensor Tensor::maximum(const Tensor& other) const { return ember::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return ember::minimum(*this, other); }
Tensor Tensor::logical_not() const { return ember::logical_not(*this); }
Tensor Tensor::logical_and(const Tensor& other) const { return ember::logical_and(*this, other); }
Tensor Tensor::logical_or(const Tensor& other) const { return ember::logical_or(*this, other); }
Tensor Tensor::logical_xor(const Tensor& other) const { return ember::logical_xor(*this, other); }
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const {
  return ember::where(condition, *this, other);
}
Tensor Tensor::where(const Tensor& condition, const Scalar& other) const {
  return ember::where(condition, *this, other);
}
Tensor Tensor::dot(const Tensor& other) const { return ember::dot(*this, other); }
namespace {
// What `options` sets over self's dtype and device, with its requires_grad (PyTorch's new_*).
TensorOptions new_options(const Tensor& self, TensorOptions options) {
  return TensorOptions(options.has_dtype() ? options.dtype() : self.dtype())
      .device(options.has_device() ? options.device() : self.device())
      .requires_grad(options.requires_grad());
}
}  // namespace
Tensor Tensor::new_zeros(const Dims& size, TensorOptions o) const { return zeros(size, new_options(*this, o)); }
Tensor Tensor::new_ones(const Dims& size, TensorOptions o) const { return ones(size, new_options(*this, o)); }
Tensor Tensor::new_full(const Dims& size, const Scalar& value, TensorOptions o) const {
  return full(size, value, new_options(*this, o));
}
Tensor Tensor::new_empty(const Dims& size, TensorOptions o) const { return empty(size, new_options(*this, o)); }
Tensor Tensor::new_tensor(const std::vector<double>& values, const Dims& shape, TensorOptions o) const {
  return tensor(values, shape, new_options(*this, o));
}
Tensor Tensor::new_tensor(const std::vector<int64_t>& values, const Dims& shape, TensorOptions o) const {
  return tensor(values, shape, new_options(*this, o));
}
Tensor Tensor::new_tensor(const Tensor& data, TensorOptions o) const {
  static std::once_flag warned;
  std::call_once(warned, [] {
    logging::warn(
        "To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() or "
        "sourceTensor.clone().detach().requires_grad_(True), rather than tensor.new_tensor(sourceTensor).");
  });
  const TensorOptions target = new_options(*this, o);
  Tensor out = data.detach().to(target.device(), target.dtype(), false, /*copy=*/true);
  return target.requires_grad() ? out.requires_grad_(true) : out;
}

bool Tensor::is_nonzero() const {
  EMBER_CHECK(numel() != 0, "Boolean value of Tensor with no values is ambiguous");
  EMBER_CHECK(numel() == 1, "Boolean value of Tensor with more than one value is ambiguous");
  return item<double>() != 0.0 || (is_floating_point() && std::isnan(item<double>()));
}
Tensor Tensor::isreal() const { return ones(sizes(), TensorOptions(kBool).device(device())); }
Tensor angle(const Tensor& a) {
  const Tensor x = is_floating(a.dtype()) ? a : a.to(kFloat32);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = where(isnan(x), x, lt(x, 0).to(x.dtype()) * std::numbers::pi);  // pi in x's dtype
  }
  // PyTorch's angle_backward of a real input: zeros
  if (autograd::will_record_into(out, a))
    autograd::record(
        "AngleBackward", {&a}, {&out}, {},
        [](const autograd::tensor_list&, const autograd::tensor_list&, const auto& in) {
          return autograd::tensor_list{zeros(in[0].shape, TensorOptions(in[0].dtype).device(in[0].device))};
        });
  return out;
}
Tensor Tensor::angle() const { return ember::angle(*this); }
Tensor ger(const Tensor& a, const Tensor& b) { return outer(a, b); }
Tensor Tensor::ger(const Tensor& other) const { return ember::outer(*this, other); }
Tensor Tensor::vdot(const Tensor& other) const { return ember::vdot(*this, other); }
std::tuple<Tensor, Tensor, Tensor> Tensor::svd(bool some, bool compute_uv) const {
  return ember::svd(*this, some, compute_uv);
}
std::pair<Tensor, Tensor> Tensor::qr(bool some) const { return ember::qr(*this, some); }
Tensor Tensor::dist(const Tensor& other, double p) const { return ember::dist(*this, other, p); }
Tensor Tensor::cholesky(bool upper) const { return linalg::cholesky(*this, upper); }  // torch.cholesky's
Tensor Tensor::cholesky_solve(const Tensor& L, bool upper) const { return ember::cholesky_solve(*this, L, upper); }
Tensor Tensor::cholesky_inverse(bool upper) const { return ember::cholesky_inverse(*this, upper); }
Tensor& Tensor::ldexp_(const Tensor& other) {
  return composed_inplace("LdexpBackward", *this,
                          [&] { return ember::ldexp(value_before_write(*this, other), other); });
}

// ---------------------------------------------------------------- methods, in place
Tensor& Tensor::exp_() { return unary_math_(kExp, *this); }
Tensor& Tensor::log_() { return unary_math_(kLog, *this); }
Tensor& Tensor::sqrt_() { return unary_math_(kSqrt, *this); }
Tensor& Tensor::abs_() { return unary_math_(kAbs, *this); }
Tensor& Tensor::sigmoid_() { return unary_math_(kSigmoid, *this); }
Tensor& Tensor::tanh_() { return unary_math_(kTanh, *this); }
Tensor& Tensor::pow_(const Scalar& exponent) {
  return composed_inplace("PowBackward", *this, [&] { return ember::pow(value_before_write(*this), exponent); });
}
Tensor& Tensor::pow_(const Tensor& exponent) {
  return composed_inplace("PowBackward", *this,
                          [&] { return ember::pow(value_before_write(*this, exponent), exponent); });
}
Tensor& Tensor::square_() { return pow_(Scalar(2)); }
Tensor& Tensor::float_power_(const Tensor& exponent) {
  EMBER_CHECK(dtype() == kFloat64, "the base given to float_power_ has dtype ", dtype_torch_name(dtype()),
              " but the operation's result requires dtype Double");
  return composed_inplace("PowBackward", *this,
                          [&] { return ember::float_power(value_before_write(*this, exponent), exponent); });
}
Tensor& Tensor::float_power_(const Scalar& exponent) {
  EMBER_CHECK(dtype() == kFloat64, "the base given to float_power_ has dtype ", dtype_torch_name(dtype()),
              " but the operation's result requires dtype Double");
  return composed_inplace("PowBackward", *this,
                          [&] { return ember::float_power(value_before_write(*this), exponent); });
}
Tensor& Tensor::clamp_min_(const Scalar& min) { return clamp_(min, std::nullopt); }
Tensor& Tensor::clamp_max_(const Scalar& max) { return clamp_(std::nullopt, max); }
Tensor& Tensor::clip_(std::optional<Scalar> min, std::optional<Scalar> max) { return clamp_(min, max); }
Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) {
  return composed_inplace("MaskedFillBackward", *this, [&] { return masked_fill(mask, value); });
}
Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value) {
  return composed_inplace("MaskedFillBackward", *this, [&] { return masked_fill(mask, value); });
}
Tensor& Tensor::cumsum_(int64_t dim) {
  return composed_inplace("CumsumBackward", *this, [&] { return ember::cumsum(*this, dim); });
}
// logical_*_: self takes the bool result as 1 / 0 in its own dtype (copy_'s conversion and
// shape check: a result broadcast past self's shape is copy_'s error).
Tensor& Tensor::logical_not_() { return copy_(ember::logical_not(*this)); }
Tensor& Tensor::logical_and_(const Tensor& other) { return copy_(ember::logical_and(*this, other)); }
Tensor& Tensor::logical_or_(const Tensor& other) { return copy_(ember::logical_or(*this, other)); }
Tensor& Tensor::logical_xor_(const Tensor& other) { return copy_(ember::logical_xor(*this, other)); }
Tensor& Tensor::cumprod_(int64_t dim) {
  return composed_inplace("CumprodBackward", *this, [&] { return ember::cumprod(value_before_write(*this), dim); });
}
// The in-place comparisons: self = (self op other) in self's dtype, the result computed
// before the write (so a broadcast that does not fit self changes nothing). Their derivatives
// are PyTorch's zeros_like(self) and zeros_like(other): self's history goes on (its gradient
// zeros), and a tensor `other` that requires grad makes self require it too.
namespace {
Tensor& comparison_inplace(const char* name, Tensor& self, const Tensor* other, const Tensor& result) {
  return autograd::inplace(
      name, self, other, [&] { native::assign_(self, result); },
      [](const autograd::tensor_list& g, const autograd::tensor_list&, const auto& in) {
        const auto zeros_for = [&](size_t i) {
          return in.size() > i && in[i].requires_grad
                     ? zeros(in[i].shape, TensorOptions(in[i].dtype).device(in[i].device))
                     : Tensor();
        };
        return autograd::tensor_list{zeros_like(g[0]), zeros_for(1)};
      });
}
}  // namespace
#define EMBER_INPLACE_COMPARISON(op, node_name)                                    \
  Tensor& Tensor::op##_(const Tensor& other) {                                     \
    return comparison_inplace(node_name, *this, &other, ember::op(*this, other));  \
  }                                                                                \
  Tensor& Tensor::op##_(const Scalar& other) {                                     \
    return comparison_inplace(node_name, *this, nullptr, ember::op(*this, other)); \
  }
EMBER_INPLACE_COMPARISON(eq, "EqBackward")
EMBER_INPLACE_COMPARISON(ne, "NeBackward")
EMBER_INPLACE_COMPARISON(lt, "LtBackward")
EMBER_INPLACE_COMPARISON(le, "LeBackward")
EMBER_INPLACE_COMPARISON(gt, "GtBackward")
EMBER_INPLACE_COMPARISON(ge, "GeBackward")
#undef EMBER_INPLACE_COMPARISON

Tensor& Tensor::fill_diagonal_(const Scalar& value, bool wrap) {
  EMBER_CHECK(dim() >= 2, "dimensions must larger than 1");
  const Dims& shape = sizes();
  if (dim() > 2) {
    for (int64_t d = 1; d < dim(); ++d)
      EMBER_CHECK(shape[d] == shape[0], "all dimensions of input must be of equal length");
    // The diagonal of dims 0 and 1 goes last; again until one dim is left: (i, i, ..., i).
    Tensor diagonal_view = *this;
    while (diagonal_view.dim() > 1) diagonal_view = diagonal_view.diagonal(0, 0, 1);
    diagonal_view.fill_(value);
    return *this;
  }
  const int64_t rows = shape[0], cols = shape[1];
  // A tall matrix wrapped: another diagonal block every (cols + 1) rows (one row skipped).
  const int64_t block_rows = wrap && rows > cols + 1 ? cols + 1 : rows;
  for (int64_t start = 0; start < rows; start += block_rows)
    narrow(0, start, std::min(block_rows, rows - start)).diagonal().fill_(value);
  return *this;
}

}  // namespace ember
