// Tensor methods that are PyTorch's spellings of ops ember already has: aliases (clip,
// absolute, negative, sgn), clamp_min/max, logical ops, the in-place forms of exp, log,
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
Tensor view_as(const Tensor& other) const { return view(other.sizes()); }
Tensor reshape_as(const Tensor& other) const { return reshape(other.sizes()); }
Tensor type_as(const Tensor& other) const { return to(other.device(), other.dtype()); }
// Tensors of self's dtype and device that do not require grad.
Tensor new_zeros(const Dims& size) const;
Tensor new_ones(const Dims& size) const;
Tensor new_full(const Dims& size, const Scalar& value) const;
Tensor new_empty(const Dims& size) const;

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
Tensor& true_divide_(const Tensor& other) { return div_(other); }
Tensor& masked_fill_(const Tensor& mask, const Scalar& value);
Tensor& masked_fill_(const Tensor& mask, const Tensor& value);
Tensor& cumsum_(int64_t dim);
// Writes value on the main diagonal (every dim of equal size when more than 2); a tall
// matrix with wrap=true starts it again every (columns + 1) rows, as PyTorch's.
Tensor& fill_diagonal_(const Scalar& value, bool wrap = false);
