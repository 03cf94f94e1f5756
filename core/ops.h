// Free-function forms of the core ops (libtorch names): elementwise with
// broadcasting and type promotion (the math family too: sin, erf, floor, fmod, ...),
// reductions, all/any, bitwise ops on bool tensors,
// matmul/bmm/addmm/einsum, tril/triu/diagonal, where, clamp, index_select, gather/scatter, sort/topk, cat and stack.
// Each is defined once, by family, in autograd/functions/*.cpp: the native op of
// core/ops/*.cpp plus recording (Note [Native ops and the autograd layer], core/native.h).
#pragma once
#include <concepts>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/composite_ops.h"
#include "core/sampling.h"
#include "core/special_ops.h"
#include "core/statistics_ops.h"
#include "core/tensor.h"
#include "core/tensor_index.h"

namespace ember {

// binary, broadcasting; result dtype by promote_types / Scalar::result_type_with
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor add(const Tensor& a, const Scalar& b);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Scalar& b);
Tensor rsub(const Tensor& a, const Scalar& b);  // b - a
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Scalar& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: integers give float32
Tensor div(const Tensor& a, const Scalar& b);
Tensor rdiv(const Tensor& a, const Scalar& b);  // b / a
// torch.div's rounding_mode: nullopt is true division; "trunc" rounds the quotient toward
// zero, "floor" down (Python's //: for floats, PyTorch's fmod-based quotient, so a result
// is exact where a / b rounds across an integer). Integers stay integers, promoted like
// sub; bool is refused; an integer divisor of 0 is ZeroDivisionError, INT_MIN // -1 wraps.
// bfloat16 and float16 compute in float32 and round once (PyTorch rounds each step to bfloat16).
// The rounded quotient's gradient is zero, as PyTorch's (DivBackward).
// floor_divide is "floor"; true_divide is div.
Tensor div(const Tensor& a, const Tensor& b, std::optional<std::string_view> rounding_mode);
Tensor div(const Tensor& a, const Scalar& b, std::optional<std::string_view> rounding_mode);
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, const Scalar& b);
Tensor true_divide(const Tensor& a, const Tensor& b);
Tensor true_divide(const Tensor& a, const Scalar& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Scalar& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// torch.fmax / fmin: maximum / minimum that take the other operand where one is NaN (NaN
// only where both are); promoted like maximum. The gradient goes to a where a >= b (a <= b)
// or b is NaN, else to b, as PyTorch's (no halving at ties, unlike maximum's).
Tensor fmax(const Tensor& a, const Tensor& b);
Tensor fmin(const Tensor& a, const Tensor& b);

// comparisons return kBool
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& b);
Tensor ne(const Tensor& a, const Scalar& b);
Tensor lt(const Tensor& a, const Scalar& b);
Tensor le(const Tensor& a, const Scalar& b);
Tensor gt(const Tensor& a, const Scalar& b);
Tensor ge(const Tensor& a, const Scalar& b);

// unary
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max);
// clamp with tensor bounds (torch.clamp.Tensor): broadcast and promoted with x; NaN where x
// or a given bound is NaN, max where min > max (PyTorch's min(max(x, min), max)). Gradients
// as PyTorch's: x where min <= x <= max, min where x < min < max, max where x > max or
// max < min (autograd/functions/clamp_tensor.cpp).
Tensor clamp(const Tensor& a, const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt);

// elementwise math (core/ops/math.cpp): sin ... erf compute integers and bools in float32;
// sign and the roundings keep the dtype (roundings refuse bool); atan2 promotes like div,
// fmod/remainder like sub (an integer divisor of 0 is PyTorch's ZeroDivisionError, checked
// on the host: a CUDA divisor tensor of integers synchronises). isnan/isinf/isfinite give kBool.
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
Tensor tan(const Tensor& a);
Tensor asin(const Tensor& a);
Tensor acos(const Tensor& a);
Tensor atan(const Tensor& a);
Tensor sinh(const Tensor& a);
Tensor cosh(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor expm1(const Tensor& a);
Tensor log2(const Tensor& a);
Tensor log10(const Tensor& a);
Tensor rsqrt(const Tensor& a);
Tensor reciprocal(const Tensor& a);
Tensor erf(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor floor(const Tensor& a);
Tensor ceil(const Tensor& a);
Tensor round(const Tensor& a);
// torch.round(x, decimals=d): x scaled by 10^d, rounded half to even, scaled back (16-bit
// in float32, rounded once); floating x only unless d is 0. Its gradient is zero.
Tensor round(const Tensor& a, int64_t decimals);
Tensor trunc(const Tensor& a);
Tensor atan2(const Tensor& a, const Tensor& b);
Tensor fmod(const Tensor& a, const Tensor& b);
Tensor fmod(const Tensor& a, const Scalar& b);
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Scalar& b);
Tensor remainder(const Scalar& a, const Tensor& b);
Tensor isnan(const Tensor& a);
Tensor isinf(const Tensor& a);
Tensor isposinf(const Tensor& a);
Tensor isneginf(const Tensor& a);
Tensor isfinite(const Tensor& a);
// composed of the ops above (autograd/functions/math.cpp), differentiable as PyTorch's:
// NaN, +inf and -inf replaced (defaults: 0, the dtype's largest and lowest finite values;
// the gradient flows where a is finite); a + weight * (b - a) (b - (b - a) * (1 - weight)
// where weight >= 0.5, as PyTorch); t + value * a * b; t + value * a / b.
Tensor nan_to_num(const Tensor& a, std::optional<double> nan = 0.0, std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);
Tensor lerp(const Tensor& a, const Tensor& b, const Scalar& weight);
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight);
Tensor addcmul(const Tensor& t, const Tensor& a, const Tensor& b, const Scalar& value = 1);
Tensor addcdiv(const Tensor& t, const Tensor& a, const Tensor& b, const Scalar& value = 1);

// where(cond, a, b): cond kBool (kUInt8 after PyTorch's deprecation warning); broadcasts all three
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
// Two numbers (torch.where(mask, 1.0, 0.0)): the default float dtype if either is a float,
// else int64 (bool for two bools), on cond's device; nothing to differentiate.
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b);

// reductions
Tensor sum(const Tensor& a);
Tensor sum(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor mean(const Tensor& a);
Tensor mean(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor amax(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor amin(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor argmax(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// torch.nansum / nanmean: NaNs counted as zero (nansum) or left out (nanmean: the sum of
// the others over their count; an all-NaN slice gives NaN). Integers: nansum is sum, nanmean
// refuses them as PyTorch. Differentiable; a NaN's gradient is zero (PyTorch's nanmean gives
// an all-NaN slice's elements NaN).
Tensor nansum(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor nanmean(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
template <DimIndex I> Tensor nansum(const Tensor& a, I dim, bool keepdim = false) {
  return nansum(a, Dims{static_cast<int64_t>(dim)}, keepdim);
}
template <DimIndex I> Tensor nanmean(const Tensor& a, I dim, bool keepdim = false) {
  return nanmean(a, Dims{static_cast<int64_t>(dim)}, keepdim);
}
// torch.aminmax: (amin, amax) over dim (nullopt: all); an empty reduction is an error.
std::tuple<Tensor, Tensor> aminmax(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// PyTorch's dtype= forms: a cast to dtype first, then the reduction (the gradient comes back
// in a's dtype); the Tensor methods of the same names (core/tensor.h).
// The one-argument forms take exactly a DType, so that sum(a, {}) stays "every dim".
Tensor sum(const Tensor& a, const Dims& dims, bool keepdim, DType dtype);
Tensor mean(const Tensor& a, const Dims& dims, bool keepdim, DType dtype);
template <std::same_as<DType> D> Tensor sum(const Tensor& a, D dtype) { return sum(a, Dims{}, false, dtype); }
template <std::same_as<DType> D> Tensor mean(const Tensor& a, D dtype) { return mean(a, Dims{}, false, dtype); }
template <DimIndex I> Tensor sum(const Tensor& a, I dim, bool keepdim, DType dtype) {
  return a.sum(dim, keepdim, dtype);
}
template <DimIndex I> Tensor mean(const Tensor& a, I dim, bool keepdim, DType dtype) {
  return a.mean(dim, keepdim, dtype);
}
// one dim (DimIndex, core/tensor.h): sum(a, 1) is sum(a, {1})
template <DimIndex I> Tensor sum(const Tensor& a, I dim, bool keepdim = false) { return a.sum(dim, keepdim); }
template <DimIndex I> Tensor mean(const Tensor& a, I dim, bool keepdim = false) { return a.mean(dim, keepdim); }
template <DimIndex I> Tensor amax(const Tensor& a, I dim, bool keepdim = false) { return a.amax(dim, keepdim); }
template <DimIndex I> Tensor amin(const Tensor& a, I dim, bool keepdim = false) { return a.amin(dim, keepdim); }
// products (autograd/functions/statistics.cpp): floats in their dtype, integers and bool
// to int64; gradients exact where the input has zeros (the product of the others)
Tensor prod(const Tensor& a);
Tensor prod(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor prod(const Tensor& a, int64_t dim, bool keepdim, DType dtype);  // a cast to dtype first
template <std::same_as<DType> D> Tensor prod(const Tensor& a, D dtype) { return prod(a.reshape({-1}), 0, false, dtype); }
// var/std over dims ({}: all) divided by max(0, N - correction); a bool in correction's
// place is PyTorch's unbiased= (true: 1, false: 0). Floating inputs only; float32
// accumulates in double (Note [Accumulating variance] in core/reduce_functors.h).
Tensor var(const Tensor& a, const Dims& dims = {}, double correction = 1, bool keepdim = false);
Tensor std(const Tensor& a, const Dims& dims = {}, double correction = 1, bool keepdim = false);
std::tuple<Tensor, Tensor> var_mean(const Tensor& a, const Dims& dims = {}, double correction = 1, bool keepdim = false);
std::tuple<Tensor, Tensor> std_mean(const Tensor& a, const Dims& dims = {}, double correction = 1, bool keepdim = false);
// unbiased= (a template, so that a braced dim list such as var(a, {1}) never reads as a bool)
template <std::same_as<bool> B> Tensor var(const Tensor& a, B unbiased) { return var(a, Dims{}, unbiased ? 1.0 : 0.0); }
template <std::same_as<bool> B> Tensor std(const Tensor& a, B unbiased) { return std(a, Dims{}, unbiased ? 1.0 : 0.0); }
template <std::same_as<bool> B> std::tuple<Tensor, Tensor> var_mean(const Tensor& a, B unbiased) {
  return var_mean(a, Dims{}, unbiased ? 1.0 : 0.0);
}
template <std::same_as<bool> B> std::tuple<Tensor, Tensor> std_mean(const Tensor& a, B unbiased) {
  return std_mean(a, Dims{}, unbiased ? 1.0 : 0.0);
}
template <DimIndex I> Tensor var(const Tensor& a, I dim, double correction = 1, bool keepdim = false) {
  return a.var(dim, correction, keepdim);
}
template <DimIndex I> Tensor std(const Tensor& a, I dim, double correction = 1, bool keepdim = false) {
  return a.std(dim, correction, keepdim);
}
template <DimIndex I>
std::tuple<Tensor, Tensor> var_mean(const Tensor& a, I dim, double correction = 1, bool keepdim = false) {
  return var_mean(a, Dims{static_cast<int64_t>(dim)}, correction, keepdim);
}
template <DimIndex I>
std::tuple<Tensor, Tensor> std_mean(const Tensor& a, I dim, double correction = 1, bool keepdim = false) {
  return std_mean(a, Dims{static_cast<int64_t>(dim)}, correction, keepdim);
}
// log(sum(exp(a))) over dims ({}: all), shifted by the max; integers reduce as float32
Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim = false);
template <DimIndex I> Tensor logsumexp(const Tensor& a, I dim, bool keepdim = false) { return a.logsumexp(dim, keepdim); }
// inclusive scans along dim; integers and bool give int64 (autograd/functions/scan.cpp).
// dtype: a cast to dtype first (PyTorch's dtype=), so an int64 cumsum can be float64.
Tensor cumsum(const Tensor& a, int64_t dim);
Tensor cumprod(const Tensor& a, int64_t dim);
Tensor cumsum(const Tensor& a, int64_t dim, DType dtype);
Tensor cumprod(const Tensor& a, int64_t dim, DType dtype);
// torch.logcumsumexp: log of the cumulative sum of exp along dim, accumulated in double as
// log-add-exp steps (no overflow); floating inputs only. Differentiable (a stable form).
Tensor logcumsumexp(const Tensor& a, int64_t dim);
// torch.cummax / cummin: (values, int64 indices) of the running max (min) along dim. A tie
// takes the later index and a NaN sticks (its index the latest NaN's), as PyTorch's. Any
// dtype; the gradient goes to the indices (scatter-added).
std::tuple<Tensor, Tensor> cummax(const Tensor& a, int64_t dim);
std::tuple<Tensor, Tensor> cummin(const Tensor& a, int64_t dim);
// whether every (any) element is nonzero: kBool (kUInt8 for uint8), as torch.all / torch.any
Tensor all(const Tensor& a);
Tensor all(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& a);
Tensor any(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor all(const Tensor& a, const Dims& dims, bool keepdim = false);  // PyTorch 2.2's dim tuple
Tensor any(const Tensor& a, const Dims& dims, bool keepdim = false);

// bitwise ops (the operators ~ & | ^ << >>), broadcasting and promoting like add: the bits
// of uint8 / int64 tensors, logical not/and/or/xor of kBool ones. Floating operands are
// PyTorch's "\"bitwise_and_cpu\" not implemented for 'Float'"; shifts refuse bool too. A
// shift count that is negative or at least the width gives PyTorch's values: 0 to the
// left, the sign (0 for uint8) to the right. No gradients (integer results).
Tensor bitwise_not(const Tensor& a);
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_and(const Tensor& a, const Scalar& b);
Tensor bitwise_or(const Tensor& a, const Scalar& b);
Tensor bitwise_xor(const Tensor& a, const Scalar& b);
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b);
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b);
Tensor bitwise_left_shift(const Tensor& a, const Scalar& b);
Tensor bitwise_right_shift(const Tensor& a, const Scalar& b);
Tensor bitwise_left_shift(const Scalar& a, const Tensor& b);
Tensor bitwise_right_shift(const Scalar& a, const Tensor& b);
// torch.gcd / lcm of integer tensors (not bool), broadcasting and promoting like add: gcd of
// |a| and |b| (gcd(0, 0) = 0), lcm = |a / gcd * b| (0 where either is 0), wrapping on overflow
// as PyTorch's. Floating or bool operands are PyTorch's '"gcd_cpu" not implemented for ...'.
Tensor gcd(const Tensor& a, const Tensor& b);
Tensor lcm(const Tensor& a, const Tensor& b);
// torch.cross (Tensor::cross): along dim, or without one along the first dim of size 3 of
// the broadcast shape (PyTorch's deprecated default, with its warning).
Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim = std::nullopt);
// torch.logical_not/and/or/xor: kBool, from any dtype (an element is true when nonzero),
// broadcasting (autograd/functions/pytorch_spellings.cpp).
Tensor logical_not(const Tensor& a);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
// torch.clamp_min / clamp_max / clip (clamp), sgn (sign of a real dtype), absolute (abs),
// negative (neg), dot (1-D tensors of one dtype and length, PyTorch's errors).
Tensor clamp_min(const Tensor& a, const Scalar& min);
Tensor clamp_max(const Tensor& a, const Scalar& max);
Tensor clip(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
Tensor clamp_min(const Tensor& a, const Tensor& min);  // the tensor-bound clamp
Tensor clamp_max(const Tensor& a, const Tensor& max);
Tensor clip(const Tensor& a, const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt);
Tensor sgn(const Tensor& a);
Tensor absolute(const Tensor& a);
Tensor negative(const Tensor& a);
Tensor dot(const Tensor& a, const Tensor& b);

// linear algebra (float32/float64 through BLAS)
Tensor matmul(const Tensor& a, const Tensor& b);  // 1-D, 2-D and broadcast batched, like torch.matmul
Tensor mm(const Tensor& a, const Tensor& b);      // [n,k] x [k,m]
Tensor bmm(const Tensor& a, const Tensor& b);     // [b,n,k] x [b,k,m]
// beta * input + alpha * product (input broadcast; beta = 0 ignores it, NaN included),
// one scaled GEMM each: torch.addmm ([n,k] x [k,m]), addmv ([n,k] x [k]), baddbmm
// ([b,n,k] x [b,k,m]), addbmm (baddbmm's products summed over b). Differentiable.
Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1,
               const Scalar& alpha = 1);
Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1,
              const Scalar& alpha = 1);
// torch.einsum (autograd/functions/einsum.cpp): explicit ("ij,jk->ik") or implicit output,
// repeated subscripts (diagonals), "..." broadcasting, any number of operands contracted
// left to right, each pair of floating operands as one bmm.
Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands);

// matrix shapes (autograd/functions/matrix_shape.cpp), PyTorch's: tril/triu of the last
// two dims (any dtype; the gradient is the incoming one masked alike); diagonal, a view
// sharing storage (writes through it reach a; the diagonal becomes the last dim);
// diag (1-D -> a matrix with it on `diagonal`, 2-D -> that diagonal, copied);
// diag_embed (a's last dim on the diagonal of dims dim1, dim2 of a new tensor); trace
// (2-D: the sum of the diagonal, integers to int64); outer (1-D a, b: a[i] * b[j]).
Tensor tril(const Tensor& a, int64_t diagonal = 0);
Tensor triu(const Tensor& a, int64_t diagonal = 0);
Tensor diagonal(const Tensor& a, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
Tensor diag(const Tensor& a, int64_t diagonal = 0);
Tensor diag_embed(const Tensor& a, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);
Tensor trace(const Tensor& a);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor ger(const Tensor& a, const Tensor& b);  // PyTorch's deprecated alias of outer
// torch.angle of a real tensor: pi where x < 0, else 0, NaN kept; integers give float32. Its
// gradient is zero, as PyTorch's angle_backward for real inputs.
Tensor angle(const Tensor& a);
// torch.mv (matrix [n,k] @ vector [k]: addmv with beta 0), torch.addr (beta * input +
// alpha * outer(vec1, vec2): addmm of a column by a row, input broadcast to [n,m]; beta 0
// ignores it, NaN included) and torch.chain_matmul (linalg::multi_dot of 2-D matrices; a
// single matrix is copied). Differentiable; bf16 under autocast, as PyTorch's lists say.
Tensor mv(const Tensor& mat, const Tensor& vec);
Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, const Scalar& beta = 1,
            const Scalar& alpha = 1);
Tensor chain_matmul(const std::vector<Tensor>& matrices);
// torch.renorm: each slice of x along dim whose p-norm (over the other dims) exceeds
// maxnorm is scaled by maxnorm / (norm + 1e-7), as PyTorch's; the others are kept. Floating
// x of 2 or more dims, p > 0, maxnorm >= 0; a 16-bit x's norms are taken in float32; float32
// under autocast. Differentiable (through the norm too).
Tensor renorm(const Tensor& x, double p, int64_t dim, double maxnorm);

namespace linalg {
// torch.linalg.vector_norm: (sum |x|^ord)^(1/ord) over dims ({}: all); ord inf / -inf:
// max / min |x|; ord 0: the count of nonzeros. Floating inputs only. The gradient at a
// zero norm is 0 (PyTorch's subgradient).
Tensor vector_norm(const Tensor& x, double ord = 2, const Dims& dims = {}, bool keepdim = false);
template <DimIndex I> Tensor vector_norm(const Tensor& x, double ord, I dim, bool keepdim = false) {
  return vector_norm(x, ord, Dims{static_cast<int64_t>(dim)}, keepdim);
}
}  // namespace linalg

// indexing: the slices of a at index (int64, a vector or a scalar) along dim, copied
// (torch.index_select); any dtype; an index outside the dim is "index out of range in self"
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);
// torch.embedding: the rows of weight ([num, dim]) at indices (int64 or int32, any
// shape), shaped indices.sizes() + [dim]; one node saving only the indices, whose
// gradient adds each incoming row at its index, except rows at padding_idx (in
// [0, num)), which get none. nn::functional::embedding checks PyTorch's arguments.
Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx = std::nullopt);
// torch.gather: out[i][j][k] = a[i][index[i][j][k]][k] for dim 1 (index int64, as many dims
// as a, index.size(d) <= a.size(d) apart from dim; out has index's shape; any dtype).
// Gradient: the incoming one added at the indices (scatter_add into zeros).
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index);
// torch.scatter: a copy of a with src[i][j][k] (or value) written at a[i][index[i][j][k]][k]
// (dim 1); scatter_add adds instead (float32/float64/bfloat16/float16/int64). A repeated index in
// scatter: the CPU's last write wins, CUDA's is unspecified (as PyTorch's). Gradients:
// a's is the incoming one where nothing was written (scatter) or all of it (scatter_add);
// src's is gather of it. Tensor::scatter_ / scatter_add_ write into self.
Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Scalar& value);
Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src);
// torch.index_add / index_copy / index_fill (autograd/functions/index_ops.cpp): a copy of a with
// source's slices (index.numel() along dim; index int64, a vector or a scalar) added (times alpha;
// floating dtypes) or copied at index, or value written there (negative: from the end). Bad index:
// "index out of range in self" (index_add), else "index 5 is out of bounds for dimension 0 with size 3".
// Gradients as PyTorch's: a's is g (copy/fill: zero at the written slices), source's index_select(g).
Tensor index_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha = 1);
Tensor index_copy(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_fill(const Tensor& a, int64_t dim, const Tensor& index, const Scalar& value);
Tensor index_fill(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& value);  // value 0-dim
// torch.index_reduce: a with source's slices (index.numel() along dim) reduced into the
// slices at index as scatter_reduce's "prod", "mean", "amax" or "amin" (include_self=false
// leaves a's own value out of the slices that receive one); index_copy's checks, with
// PyTorch's index_reduce messages. Gradients are scatter_reduce's (prod's is an error).
Tensor index_reduce(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& source, std::string_view reduce,
                    bool include_self = true);
// torch.masked_select (a's elements where mask, broadcast together, is true: 1-D, in
// row-major order) and masked_scatter (a with source's first elements written there, in
// that order); mask kBool. Both learn the count of trues on the host (a CUDA sync).
Tensor masked_select(const Tensor& a, const Tensor& mask);
Tensor masked_scatter(const Tensor& a, const Tensor& mask, const Tensor& source);
// torch.take_along_dim: gather after broadcasting a and indices apart from dim; no dim:
// a flattened, gathered at indices flattened.
Tensor take_along_dim(const Tensor& a, const Tensor& indices, std::optional<int64_t> dim = std::nullopt);
// torch.scatter_reduce: a with src reduced into it at index as scatter's; reduce "sum",
// "prod", "mean" (integers: floor), "amax", "amin" (NaN wins); include_self=false leaves
// a's own value out where something is scattered. Gradients: sum, mean, amax/amin (ties
// share evenly, as PyTorch); prod's is an error. scatter(..., reduce) with "add" or
// "multiply" is scatter_reduce's sum or prod with self included.
Tensor scatter_reduce(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                      bool include_self = true);
Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce);
Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Scalar& value, std::string_view reduce);
// torch.repeat_interleave: each slice of a along dim (no dim: a flattened) repeated
// repeats times (an int, or an int64 tensor of a.size(dim) counts or of one); the one-tensor
// form gives the indices [0]*r0 + [1]*r1 + .... Tensor repeats are read on the host.
// output_size, when given, must be the result's length along dim (PyTorch's "allocated size
// does not match required size"); ember reads the repeats on the host either way. The
// one-tensor form's output_size must be spelled std::optional<int64_t>(n), as in libtorch: a
// bare integer selects the (a, repeats) form.
Tensor repeat_interleave(const Tensor& a, int64_t repeats, std::optional<int64_t> dim = std::nullopt,
                         std::optional<int64_t> output_size = std::nullopt);
Tensor repeat_interleave(const Tensor& a, const Tensor& repeats, std::optional<int64_t> dim = std::nullopt,
                         std::optional<int64_t> output_size = std::nullopt);
Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size = std::nullopt);

// sorting (Note [Sort order of ties and NaN] in core/sort_keys.h: NaN largest, ties in
// input order, always stable): torch.sort and torch.topk return (values, int64 indices);
// the values' gradient goes back to the indices. topk's k outside [0, size] is "selected
// index k out of range"; its result is always sorted (sorted=false gives the same).
std::tuple<Tensor, Tensor> sort(const Tensor& a, int64_t dim = -1, bool descending = false, bool stable = false);
Tensor argsort(const Tensor& a, int64_t dim = -1, bool descending = false, bool stable = false);
// libtorch's stable-first overloads, sort(self, stable, dim, descending): a bool second
// argument is `stable` (never converted to a dim).
template <std::same_as<bool> B>
std::tuple<Tensor, Tensor> sort(const Tensor& a, B stable, int64_t dim = -1, bool descending = false) {
  return sort(a, dim, descending, stable);
}
template <std::same_as<bool> B> Tensor argsort(const Tensor& a, B stable, int64_t dim = -1, bool descending = false) {
  return argsort(a, dim, descending, stable);
}
std::tuple<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);

// joining: torch.cat along dim (sizes equal outside it; the result type of all inputs)
// and torch.stack (equal shapes, joined along a new dim); gradients are the slices.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
// torch.broadcast_to (a.expand(sizes): a view, -1 keeps a size) and torch.broadcast_tensors
// (each expanded to the shape all broadcast to).
Tensor broadcast_to(const Tensor& a, const Dims& sizes);
std::vector<Tensor> broadcast_tensors(const std::vector<Tensor>& tensors);
// torch.flip (dims reversed; distinct), torch.roll (each shift along its dim, wrapping;
// no dims: over the flattened tensor) and torch.tile (repeat with leading 1s added to
// dims): new tensors, differentiable, on any device (autograd/functions/rearrange.cpp).
Tensor flip(const Tensor& a, const std::vector<int64_t>& dims);
Tensor roll(const Tensor& a, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {});
Tensor tile(const Tensor& a, const std::vector<int64_t>& dims);
template <DimIndex I> Tensor flip(const Tensor& a, I dim) { return a.flip(dim); }
template <DimIndex I, DimIndex J> Tensor roll(const Tensor& a, I shift, J dim) { return a.roll(shift, dim); }
template <DimIndex I> Tensor tile(const Tensor& a, I reps) { return a.tile(reps); }

// torch.isclose: kBool, broadcasting, |a - b| <= atol + rtol * |b| elementwise; equal
// infinities are close, NaNs only with equal_nan; a and b of one dtype. With rtol and atol
// 0 every dtype compares exactly; integers and bool with a tolerance in float32 (PyTorch's
// default dtype).
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
// torch.isin: kBool of elements' shape, whether each element equals some test element
// (invert: the negation); a sort and a binary search, on any device. NaN is in nothing.
Tensor isin(const Tensor& elements, const Tensor& test_elements, bool assume_unique = false, bool invert = false);
Tensor isin(const Tensor& elements, const Scalar& test_element, bool assume_unique = false, bool invert = false);

// isclose(a, b, ...).all() as PyTorch's: broadcasting, isclose's errors (two dtypes, tolerances)
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape and exactly equal values

}  // namespace ember

#include "core/free_spellings.h"
#include "core/numpy_aliases.h"
