// Tensor's elementwise and math methods (libtorch spellings), out of place and in place:
// a fragment of class Tensor's body, which core/tensor.h includes inside the class (so no
// include guard and no includes here; don't include it anywhere else). Each is the free
// function of core/ops.h (autograd/functions/tensor_methods.cpp, inplace.cpp, math.cpp).

// ---- elementwise (broadcasting; see core/ops.h for free forms) ----
// self + alpha * other (self - alpha * other): the ops of a + b, a - b, a * b, a / b.
Tensor add(const Tensor& other, const Scalar& alpha = 1) const;
Tensor add(const Scalar& other, const Scalar& alpha = 1) const;
Tensor sub(const Tensor& other, const Scalar& alpha = 1) const;
Tensor sub(const Scalar& other, const Scalar& alpha = 1) const;
Tensor mul(const Tensor& other) const;
Tensor mul(const Scalar& other) const;
Tensor div(const Tensor& other) const;
Tensor div(const Scalar& other) const;
// rounding_mode "trunc" or "floor" (nullopt: true division), as torch.div's (core/ops.h)
Tensor div(const Tensor& other, std::optional<std::string_view> rounding_mode) const;
Tensor div(const Scalar& other, std::optional<std::string_view> rounding_mode) const;
Tensor floor_divide(const Tensor& other) const;
Tensor floor_divide(const Scalar& other) const;
Tensor true_divide(const Tensor& other) const;
Tensor square() const;  // pow(2): integers stay integral, bool gives int64
// value where mask (kBool, broadcast with self) is true, else self; value converted to self's dtype
Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
Tensor masked_fill(const Tensor& mask, const Tensor& value) const;  // value 0-dim, differentiable
Tensor neg() const;
Tensor exp() const;
Tensor log() const;
Tensor sqrt() const;
Tensor abs() const;
Tensor relu() const;
Tensor sigmoid() const;
Tensor tanh() const;
Tensor pow(const Scalar& exponent) const;
Tensor pow(const Tensor& exponent) const;
Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt) const;
Tensor clamp(const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt) const;
Tensor fmax(const Tensor& other) const;
Tensor fmin(const Tensor& other) const;
// Bits of integer and bool tensors (core/ops.h): the operators ~ & | ^ << >> as methods.
Tensor bitwise_not() const;
Tensor bitwise_and(const Tensor& other) const;
Tensor bitwise_or(const Tensor& other) const;
Tensor bitwise_xor(const Tensor& other) const;
Tensor bitwise_and(const Scalar& other) const;
Tensor bitwise_or(const Scalar& other) const;
Tensor bitwise_xor(const Scalar& other) const;
Tensor bitwise_left_shift(const Tensor& other) const;
Tensor bitwise_right_shift(const Tensor& other) const;
Tensor bitwise_left_shift(const Scalar& other) const;
Tensor bitwise_right_shift(const Scalar& other) const;
// gcd / lcm of integer tensors (ember::gcd); gcd_ / lcm_ in place.
Tensor gcd(const Tensor& other) const;
Tensor lcm(const Tensor& other) const;
Tensor eq(const Tensor& o) const;
Tensor ne(const Tensor& o) const;
Tensor lt(const Tensor& o) const;
Tensor le(const Tensor& o) const;
Tensor gt(const Tensor& o) const;
Tensor ge(const Tensor& o) const;
Tensor eq(const Scalar& o) const;
Tensor ne(const Scalar& o) const;
Tensor lt(const Scalar& o) const;
Tensor le(const Scalar& o) const;
Tensor gt(const Scalar& o) const;
Tensor ge(const Scalar& o) const;

// ---- math (core/ops.h says each one's dtypes, edges and gradient) ----
Tensor sin() const;
Tensor cos() const;
Tensor tan() const;
Tensor asin() const;
Tensor acos() const;
Tensor atan() const;
Tensor sinh() const;
Tensor cosh() const;
Tensor log1p() const;
Tensor expm1() const;
Tensor log2() const;
Tensor log10() const;
Tensor rsqrt() const;
Tensor reciprocal() const;
Tensor erf() const;
Tensor sign() const;
Tensor floor() const;
Tensor ceil() const;
Tensor round() const;
Tensor round(int64_t decimals) const;
Tensor trunc() const;
Tensor atan2(const Tensor& other) const;
Tensor fmod(const Tensor& other) const;
Tensor fmod(const Scalar& other) const;
Tensor remainder(const Tensor& other) const;
Tensor remainder(const Scalar& other) const;
Tensor isnan() const;
Tensor isinf() const;
Tensor isposinf() const;
Tensor isneginf() const;
Tensor isfinite() const;
Tensor isclose(const Tensor& other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) const;
bool allclose(const Tensor& other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) const;
Tensor isin(const Tensor& test_elements, bool assume_unique = false, bool invert = false) const;
Tensor heaviside(const Tensor& values) const;
Tensor nan_to_num(std::optional<double> nan = 0.0, std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt) const;
Tensor lerp(const Tensor& end, const Scalar& weight) const;
Tensor lerp(const Tensor& end, const Tensor& weight) const;
Tensor addcmul(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1) const;
Tensor addcdiv(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1) const;
// special and composed math (core/special_ops.h)
Tensor erfc() const;
Tensor erfinv() const;
Tensor asinh() const;
Tensor acosh() const;
Tensor atanh() const;
Tensor exp2() const;
Tensor lgamma() const;
Tensor digamma() const;
Tensor polygamma(int64_t n) const;
Tensor i0() const;
Tensor mvlgamma(int64_t p) const;
Tensor hypot(const Tensor& other) const;
Tensor nextafter(const Tensor& other) const;
std::tuple<Tensor, Tensor> frexp() const;  // (mantissa, int64 exponent): ember::frexp
Tensor copysign(const Tensor& other) const;
Tensor copysign(const Scalar& other) const;
Tensor logaddexp(const Tensor& other) const;
Tensor logaddexp2(const Tensor& other) const;
Tensor xlogy(const Tensor& other) const;
Tensor xlogy(const Scalar& other) const;
Tensor frac() const;
Tensor logit(std::optional<double> eps = std::nullopt) const;
Tensor sinc() const;
Tensor deg2rad() const;
Tensor rad2deg() const;
Tensor diff(int64_t n = 1, int64_t dim = -1, const std::optional<Tensor>& prepend = std::nullopt,
            const std::optional<Tensor>& append = std::nullopt) const;

// ---- elementwise and math in place (bump the version counter; return *this) ----
// The result must fit self: its dtype castable to self's (x.sin_() of an int64 x is
// PyTorch's "result type Float can't be cast to the desired output type Long") and its
// broadcast shape self's. Recorded as PyTorch (Note [In-place math] in autograd/functions/math.cpp).
Tensor& add_(const Tensor& other, const Scalar& alpha = 1);
Tensor& add_(const Scalar& other);
Tensor& add_(const Scalar& other, const Scalar& alpha);  // self += alpha * other
Tensor& sub_(const Tensor& other, const Scalar& alpha = 1);
Tensor& sub_(const Scalar& other);
Tensor& sub_(const Scalar& other, const Scalar& alpha);
Tensor& mul_(const Tensor& other);
Tensor& mul_(const Scalar& other);
Tensor& div_(const Tensor& other);
Tensor& div_(const Scalar& other);
Tensor& div_(const Tensor& other, std::optional<std::string_view> rounding_mode);
Tensor& div_(const Scalar& other, std::optional<std::string_view> rounding_mode);
Tensor& floor_divide_(const Tensor& other);
Tensor& floor_divide_(const Scalar& other);
Tensor& neg_();
Tensor& relu_();
Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
Tensor& clamp_(const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt);
Tensor& bitwise_not_();
Tensor& bitwise_and_(const Tensor& other);
Tensor& bitwise_or_(const Tensor& other);
Tensor& bitwise_xor_(const Tensor& other);
Tensor& bitwise_and_(const Scalar& other);
Tensor& bitwise_or_(const Scalar& other);
Tensor& bitwise_xor_(const Scalar& other);
Tensor& bitwise_left_shift_(const Tensor& other);
Tensor& bitwise_right_shift_(const Tensor& other);
Tensor& bitwise_left_shift_(const Scalar& other);
Tensor& bitwise_right_shift_(const Scalar& other);
Tensor& gcd_(const Tensor& other);
Tensor& lcm_(const Tensor& other);
Tensor& sin_();
Tensor& cos_();
Tensor& tan_();
Tensor& asin_();
Tensor& acos_();
Tensor& atan_();
Tensor& sinh_();
Tensor& cosh_();
Tensor& log1p_();
Tensor& expm1_();
Tensor& log2_();
Tensor& log10_();
Tensor& rsqrt_();
Tensor& reciprocal_();
Tensor& erf_();
Tensor& sign_();
Tensor& floor_();
Tensor& ceil_();
Tensor& round_();
Tensor& round_(int64_t decimals);
Tensor& trunc_();
Tensor& atan2_(const Tensor& other);
Tensor& fmod_(const Tensor& other);
Tensor& fmod_(const Scalar& other);
Tensor& remainder_(const Tensor& other);
Tensor& remainder_(const Scalar& other);
Tensor& nan_to_num_(std::optional<double> nan = 0.0, std::optional<double> posinf = std::nullopt,
                    std::optional<double> neginf = std::nullopt);
Tensor& lerp_(const Tensor& end, const Scalar& weight);
Tensor& lerp_(const Tensor& end, const Tensor& weight);
Tensor& addcmul_(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1);
Tensor& addcdiv_(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1);
Tensor& erfc_();
Tensor& erfinv_();
Tensor& asinh_();
Tensor& acosh_();
Tensor& atanh_();
Tensor& exp2_();
Tensor& lgamma_();
Tensor& digamma_();
Tensor& polygamma_(int64_t n);
Tensor& i0_();
Tensor& mvlgamma_(int64_t p);
Tensor& hypot_(const Tensor& other);
Tensor& nextafter_(const Tensor& other);
Tensor& copysign_(const Tensor& other);
Tensor& copysign_(const Scalar& other);
Tensor& xlogy_(const Tensor& other);
Tensor& xlogy_(const Scalar& other);
Tensor& frac_();
Tensor& logit_(std::optional<double> eps = std::nullopt);
Tensor& sinc_();
Tensor& deg2rad_();
Tensor& rad2deg_();
