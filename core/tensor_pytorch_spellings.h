// Tensor methods that are PyTorch's spellings of ops ember already has: aliases (clip,
// absolute, negative, sgn, arccos, multiply, greater, ...), clamp_min/max, logical ops, the in-place forms of exp, log,
// pow, masked_fill, ..., view_as / reshape_as / type_as and the new_* factories. A
// fragment of class Tensor's body (core/tensor.h includes it inside the class; no include
// guard, no includes); defined in autograd/functions/pytorch_spellings.cpp and, for
// softmax / log_softmax, nn/softmax.cpp. Note [PyTorch spellings] there.

// ---- out of place ----
Tensor clamp_min(const Scalar& min) const;
Tensor clamp_max(const Scalar& max) const;
Tensor clip(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt) const;  // clamp
Tensor clamp_min(const Tensor& min) const;  // the tensor-bound clamp
Tensor clamp_max(const Tensor& max) const;
Tensor clip(const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt) const;
Tensor sgn() const;                                                                      // sign (real dtypes)
Tensor absolute() const;                                                                 // abs
Tensor negative() const;                                                                 // neg
Tensor maximum(const Tensor& other) const;
Tensor minimum(const Tensor& other) const;
// kBool: whether each element is zero (not), and the element-wise logic of two (broadcasting).
Tensor logical_not() const;
Tensor logical_and(const Tensor& other) const;
// In place: self takes the result as 1 / 0 in its own dtype (PyTorch's logical_and_ ...).
Tensor& logical_not_();
Tensor& logical_and_(const Tensor& other);
Tensor& logical_or_(const Tensor& other);
Tensor& logical_xor_(const Tensor& other);
Tensor logical_or(const Tensor& other) const;
Tensor logical_xor(const Tensor& other) const;
// torch.where(condition, self, other)
Tensor where(const Tensor& condition, const Tensor& other) const;
Tensor where(const Tensor& condition, const Scalar& other) const;
Tensor dot(const Tensor& other) const;  // 1-D tensors of one dtype and length
Tensor softmax(int64_t dim) const;
Tensor log_softmax(int64_t dim) const;
Tensor softmax(int64_t dim, DType dtype) const;  // x cast to dtype first (softmax(dim, dtype=...))
Tensor log_softmax(int64_t dim, DType dtype) const;
// torch.cross: the cross product along dim, or (no dim) along the first dim of size 3 of
// the broadcast shape, with PyTorch's deprecation warning; linalg::cross defaults to -1.
Tensor cross(const Tensor& other, std::optional<int64_t> dim = std::nullopt) const;
// NumPy-style aliases, as PyTorch's: arc* (a*), arctan2 (atan2), multiply (mul), subtract
// (sub), divide (div), fix (trunc), greater / greater_equal / less / less_equal / not_equal
// (gt / ge / lt / le / ne), and their in-place forms.
Tensor arccos() const { return acos(); }
Tensor arcsin() const { return asin(); }
Tensor arctan() const { return atan(); }
Tensor arccosh() const { return acosh(); }
Tensor arcsinh() const { return asinh(); }
Tensor arctanh() const { return atanh(); }
Tensor arctan2(const Tensor& other) const { return atan2(other); }
Tensor multiply(const Tensor& other) const { return mul(other); }
Tensor multiply(const Scalar& other) const { return mul(other); }
Tensor subtract(const Tensor& other, const Scalar& alpha = 1) const { return sub(other, alpha); }
Tensor subtract(const Scalar& other, const Scalar& alpha = 1) const { return sub(other, alpha); }
Tensor divide(const Tensor& other) const { return div(other); }
Tensor divide(const Scalar& other) const { return div(other); }
Tensor divide(const Tensor& other, std::optional<std::string_view> rounding_mode) const {
  return div(other, rounding_mode);
}
Tensor divide(const Scalar& other, std::optional<std::string_view> rounding_mode) const {
  return div(other, rounding_mode);
}
Tensor fix() const { return trunc(); }
// torch.positive (self; a bool tensor is PyTorch's error), signbit (kBool: the sign bit, so
// -0.0 and -NaN count), resolve_conj / resolve_neg (self: ember has no conjugate or negative
// bits), new_empty_strided (core/factories.h's empty_strided with self's dtype and device).
Tensor positive() const;
Tensor signbit() const;
Tensor resolve_conj() const { return *this; }
Tensor resolve_neg() const { return *this; }
Tensor new_empty_strided(const Dims& size, const Dims& stride) const;
Tensor greater(const Tensor& other) const { return gt(other); }
Tensor greater(const Scalar& other) const { return gt(other); }
Tensor greater_equal(const Tensor& other) const { return ge(other); }
Tensor greater_equal(const Scalar& other) const { return ge(other); }
Tensor less(const Tensor& other) const { return lt(other); }
Tensor less(const Scalar& other) const { return lt(other); }
Tensor less_equal(const Tensor& other) const { return le(other); }
Tensor less_equal(const Scalar& other) const { return le(other); }
Tensor not_equal(const Tensor& other) const { return ne(other); }
Tensor not_equal(const Scalar& other) const { return ne(other); }
// torch.Tensor.narrow_copy: narrow's slice as a new contiguous tensor.
Tensor narrow_copy(int64_t dim, int64_t start, int64_t length) const {
  return narrow(dim, start, length).clone(MemoryFormat::Contiguous);
}
// torch.Tensor.view(dtype): the same memory read as another dtype, sharing storage and
// version counter (autograd/functions/views.cpp). Same element size: the same shape;
// otherwise the last dim must have stride 1 and is scaled by the size ratio (other
// strides and the offset must divide), as PyTorch's. Not differentiable (the result never
// requires grad). A template on exactly DType, so that view({}) stays the shape form.
template <std::same_as<DType> D>
Tensor view(D dtype) const {
  return view_as_dtype(dtype);
}
Tensor view_as(const Tensor& other) const { return view(other.sizes()); }
Tensor reshape_as(const Tensor& other) const { return reshape(other.sizes()); }
Tensor type_as(const Tensor& other) const { return to(other.device(), other.dtype()); }
// Tensors of self's dtype and device that do not require grad; with options, what they set
// (dtype, device, requires_grad) is put over self's, as PyTorch's new_zeros(size, dtype=...).
Tensor new_zeros(const Dims& size, TensorOptions options = {}) const;
Tensor new_ones(const Dims& size, TensorOptions options = {}) const;
Tensor new_full(const Dims& size, const Scalar& value, TensorOptions options = {}) const;
Tensor new_empty(const Dims& size, TensorOptions options = {}) const;
// Tensor.new_tensor(data): the values in self's dtype and on its device unless options say
// otherwise; from a tensor, a detached copy (PyTorch's, with its copy-construct warning).
Tensor new_tensor(const std::vector<double>& values, const Dims& shape, TensorOptions options = {}) const;
Tensor new_tensor(const std::vector<int64_t>& values, const Dims& shape, TensorOptions options = {}) const;
Tensor new_tensor(const Tensor& data, TensorOptions options = {}) const;

// ---- in place ----
Tensor& exp_();
Tensor& log_();
Tensor& sqrt_();
Tensor& abs_();
Tensor& absolute_() { return abs_(); }
Tensor& negative_() { return neg_(); }
Tensor& sigmoid_();
Tensor& tanh_();
Tensor& square_();  // pow_(2)
Tensor& pow_(const Scalar& exponent);
Tensor& pow_(const Tensor& exponent);
Tensor& clamp_min_(const Scalar& min);
Tensor& clamp_max_(const Scalar& max);
Tensor& clip_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
Tensor& clamp_min_(const Tensor& min);
Tensor& clamp_max_(const Tensor& max);
Tensor& clip_(const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt);
Tensor& sgn_() { return sign_(); }
Tensor& arccos_() { return acos_(); }
Tensor& arcsin_() { return asin_(); }
Tensor& arctan_() { return atan_(); }
Tensor& arccosh_() { return acosh_(); }
Tensor& arcsinh_() { return asinh_(); }
Tensor& arctanh_() { return atanh_(); }
Tensor& arctan2_(const Tensor& other) { return atan2_(other); }
Tensor& multiply_(const Tensor& other) { return mul_(other); }
Tensor& multiply_(const Scalar& other) { return mul_(other); }
Tensor& subtract_(const Tensor& other, const Scalar& alpha = 1) { return sub_(other, alpha); }
Tensor& subtract_(const Scalar& other) { return sub_(other); }
Tensor& divide_(const Tensor& other) { return div_(other); }
Tensor& divide_(const Scalar& other) { return div_(other); }
Tensor& divide_(const Tensor& other, std::optional<std::string_view> rounding_mode) {
  return div_(other, rounding_mode);
}
Tensor& divide_(const Scalar& other, std::optional<std::string_view> rounding_mode) {
  return div_(other, rounding_mode);
}
Tensor& fix_() { return trunc_(); }
// torch.Tensor.float_power_: self must be float64 (PyTorch's "the base given to float_power_
// has dtype Float but the operation's result requires dtype Double").
Tensor& float_power_(const Tensor& exponent);
Tensor& float_power_(const Scalar& exponent);
// In-place comparisons: self holds 1 where the comparison holds, else 0, in its own dtype
// (other broadcast to self's shape). The gradient through self is zero, as PyTorch's.
Tensor& eq_(const Tensor& other);
Tensor& ne_(const Tensor& other);
Tensor& lt_(const Tensor& other);
Tensor& le_(const Tensor& other);
Tensor& gt_(const Tensor& other);
Tensor& ge_(const Tensor& other);
Tensor& eq_(const Scalar& other);
Tensor& ne_(const Scalar& other);
Tensor& lt_(const Scalar& other);
Tensor& le_(const Scalar& other);
Tensor& gt_(const Scalar& other);
Tensor& ge_(const Scalar& other);
Tensor& greater_(const Tensor& other) { return gt_(other); }
Tensor& greater_(const Scalar& other) { return gt_(other); }
Tensor& greater_equal_(const Tensor& other) { return ge_(other); }
Tensor& greater_equal_(const Scalar& other) { return ge_(other); }
Tensor& less_(const Tensor& other) { return lt_(other); }
Tensor& less_(const Scalar& other) { return lt_(other); }
Tensor& less_equal_(const Tensor& other) { return le_(other); }
Tensor& less_equal_(const Scalar& other) { return le_(other); }
Tensor& not_equal_(const Tensor& other) { return ne_(other); }
Tensor& not_equal_(const Scalar& other) { return ne_(other); }
Tensor& true_divide_(const Tensor& other) { return div_(other); }
Tensor& masked_fill_(const Tensor& mask, const Scalar& value);
Tensor& masked_fill_(const Tensor& mask, const Tensor& value);
Tensor& cumsum_(int64_t dim);
Tensor& cumprod_(int64_t dim);
// Writes value on the main diagonal (every dim of equal size when more than 2); a tall
// matrix with wrap=true starts it again every (columns + 1) rows, as PyTorch's.
Tensor& fill_diagonal_(const Scalar& value, bool wrap = false);
