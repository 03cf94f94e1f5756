// The ops without autograd: argument checks, dtype promotion, output allocation and
// device dispatch (core/ops/*.cpp). The public ops of core/ops.h are these plus
// recording, defined by family in autograd/functions/. Internal code calls native::.
//
// Note [Native ops and the autograd layer]
// core/ never includes autograd/: each op's checks and kernels live here once, as
// native::op. The public ember::op (and the Tensor method) is defined in
// autograd/functions/<family>.cpp as native::op plus, only when will_record(...),
// one record(...) call with the backward formula. Backward formulas and library
// internals call native:: so they never record. The two declaration lists (this
// file and core/ops.h) are kept in the same order on purpose.
#pragma once
#include <initializer_list>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/native_matrix.h"
#include "core/op_kinds.h"
#include "core/tensor.h"

namespace ember::native {


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
// The quotient rounded (torch.div's rounding_mode: "trunc" or "floor"; core/ops/math.cpp):
// integers stay integers, promoted like sub; bool refused; an integer divisor of 0 is
// ZeroDivisionError. div_rounded_ writes into self.
Tensor div_rounded(const Tensor& a, const Tensor& b, std::string_view rounding_mode);
Tensor div_rounded(const Tensor& a, const Scalar& b, std::string_view rounding_mode);
void div_rounded_(const Tensor& self, const Tensor& other, std::string_view rounding_mode);
void div_rounded_(const Tensor& self, const Scalar& other, std::string_view rounding_mode);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Scalar& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor relu_grad(const Tensor& grad, const Tensor& y);  // grad where y > 0, else 0 (y = relu(x))
Tensor leaky_relu_grad(const Tensor& grad, const Tensor& x, double negative_slope);  // grad, or grad * slope where x <= 0
// ReLU's saved state as bits (core/ops/bitmask.cpp, Note [Compact saved activations]):
// y > 0 in the memory order of `format` (dense_format(y): y's own layout when it is dense
// NCHW or NHWC, else NCHW), and the gradient where the bits are set, dense in `format`.
MemoryFormat dense_format(const Tensor& t);
Tensor positive_bits(const Tensor& y, MemoryFormat format);
// relu(x), dense in dense_format(x), and its y > 0 bits, in one pass.
std::pair<Tensor, Tensor> relu_with_bits(const Tensor& x);
// overwrite_grad: write the result into grad (a backward formula's overwritable_gradient).
Tensor relu_grad_from_bits(const Tensor& grad, const Tensor& bits, MemoryFormat format, bool overwrite_grad = false);
// LeakyReLU's: grad where x > 0 (the bits of positive_bits(x, format)), else grad * slope.
Tensor leaky_relu_grad_from_bits(const Tensor& grad, const Tensor& bits, double negative_slope, MemoryFormat format,
                                 bool overwrite_grad = false);

// Note [Gradients overwritten in backward]
// A gradient that a backward formula received and that nothing else references (the
// engine's buffer holds the only handle, no view or saved tensor shares its storage, it
// has no history, and it is dense in `format`) may be overwritten by the formula with
// the gradient it passes on, when that is an elementwise function of it of the same
// shape and dtype: ReLU's (the incoming gradient where the bit is set) and batch norm's
// (after its per-channel sums; where the device's kernel allows it,
// DeviceOps::batch_norm_backward_in_place: the CPU's and CUDA's kernels, not cuDNN's). A
// training backward then holds one activation-sized
// gradient fewer at a time (the small CNN's forward+backward peak is its forward's).
// A gradient the user passed to backward(), one retained (retain_grad), one handed to
// two inputs (add's) or an expanded one (sum's) is never overwritten: its handle or
// storage is shared, or it is not dense.
bool overwritable_gradient(const Tensor& grad, MemoryFormat format);
// No other handle holds t and no other tensor (view, saved copy) shares its storage: what
// may be overwritten or adopted without anyone seeing it (this note, Module::reusable,
// AccumulateGrad's adoption of a gradient as .grad).
bool sole_owner(const Tensor& t);

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
Tensor leaky_relu(const Tensor& a, double negative_slope);  // floating a: a where a > 0, else a * negative_slope
Tensor sigmoid(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max);

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
// The nn activations (functors::is_activation(op), args as core/op_kinds.h says) of a
// floating a (bfloat16 and float16 compute in float), and grad * their first or second derivative at
// x (Note [Activation gradients] in core/activation_functors.h), in x's dtype.
Tensor activation(UnaryOp op, const Tensor& a, const UnaryArgs& args);
Tensor activation_backward(UnaryOp op, int order, const Tensor& grad, const Tensor& x, const UnaryArgs& args);
// activation(op, self, args) written into self: nn::functional's inplace=True forms when
// nothing records (Note [In-place activations] in nn/functional/in_place.h).
void activation_(UnaryOp op, const Tensor& self, const UnaryArgs& args);
// The loss term of each element of input and target (and pos_weight, BCE with logits,
// when defined), broadcast together, in input's dtype (the others are cast to it); and
// grad * its derivative in the input or the target (core/loss_functors.h).
Tensor pointwise_loss(PointwiseLoss op, const Tensor& input, const Tensor& target, const Tensor& pos_weight,
                      const PointwiseLossArgs& args);
Tensor pointwise_loss_backward(PointwiseLoss op, LossGradWrt wrt, const Tensor& grad, const Tensor& input,
                               const Tensor& target, const Tensor& pos_weight, const PointwiseLossArgs& args);

// where(cond, a, b): cond must be kBool; broadcasts all three
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);

// reductions
Tensor sum(const Tensor& a);
Tensor sum(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor mean(const Tensor& a);
Tensor mean(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor amax(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor amin(const Tensor& a, const Dims& dims, bool keepdim = false);
Tensor argmax(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor prod(const Tensor& a);
Tensor prod(const Tensor& a, int64_t dim, bool keepdim = false);
// var/std (and with the mean) over dims ({}: all) with PyTorch's correction (Welford,
// Note [Accumulating variance] in core/reduce_functors.h); floating only.
Tensor var(const Tensor& a, const Dims& dims, double correction, bool keepdim);
Tensor std(const Tensor& a, const Dims& dims, double correction, bool keepdim);
std::tuple<Tensor, Tensor> var_mean(const Tensor& a, const Dims& dims, double correction, bool keepdim);
std::tuple<Tensor, Tensor> std_mean(const Tensor& a, const Dims& dims, double correction, bool keepdim);
// Composed of other native ops (core/ops/reduce_composite.cpp).
Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim);
Tensor vector_norm(const Tensor& a, double ord, const Dims& dims, bool keepdim);
// Scans along dim (core/ops/scan.cpp); reverse scans from the end (the gradients' scans).
Tensor scan(ScanOp op, const Tensor& a, int64_t dim, bool reverse);
Tensor cumsum(const Tensor& a, int64_t dim);
Tensor cumprod(const Tensor& a, int64_t dim);
// grad * d cumprod / d x along dim (of the reverse cumprod when reverse), exact at zeros.
Tensor cumprod_backward(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse);
// cummax (ArgMax) / cummin (ArgMin) along dim: values and int64 indices (core/ops/scan.cpp).
std::tuple<Tensor, Tensor> cumulative_extreme(ArgReduceOp op, const Tensor& a, int64_t dim);
// all/any (core/ops/logical.cpp): whether no element (some element) is zero, by eq/ne and sum
Tensor all(const Tensor& a);
Tensor all(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& a);
Tensor any(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor all(const Tensor& a, const Dims& dims, bool keepdim = false);  // over each listed dim
Tensor any(const Tensor& a, const Dims& dims, bool keepdim = false);

// bitwise ops and shifts of integer and bool tensors, gcd and lcm of integer ones
// (core/ops/logical.cpp; the BitAnd ... Lcm kernels, bitwise_not of a bool as eq); floating
// operands are errors. bitwise_op_ takes Gcd and Lcm too.
Tensor bitwise_not(const Tensor& a);
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b);
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b);
Tensor gcd(const Tensor& a, const Tensor& b);
Tensor lcm(const Tensor& a, const Tensor& b);
// The same with a number (scalar_first: the number is the left operand) and in place.
Tensor bitwise_op(BinaryOp op, const Tensor& a, const Scalar& b, bool scalar_first = false);
void bitwise_op_(BinaryOp op, const Tensor& self, const Tensor& other);
void bitwise_op_(BinaryOp op, const Tensor& self, const Scalar& other);
void bitwise_not_(const Tensor& self);

// linear algebra (float32/float64 through BLAS)
Tensor matmul(const Tensor& a, const Tensor& b);  // 1-D, 2-D and broadcast batched, like torch.matmul
Tensor mm(const Tensor& a, const Tensor& b);      // [n,k] x [k,m]
Tensor bmm(const Tensor& a, const Tensor& b);     // [b,n,k] x [b,k,m]

// indexing: the slices of a at index (int64, a vector or a scalar) along dim, copied
// (torch.index_select); any dtype; an index outside the dim is "index out of range in self"
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);
// index_select's gradient: zeros of input_shape with grad's slices added at index
// (float32/float64/bfloat16/float16; repeated indices accumulate).
Tensor index_select_backward(const Tensor& grad, const Dims& input_shape, int64_t dim, const Tensor& index);
// gather / scatter (core/ops/scatter_gather.cpp), PyTorch's: gather's result has index's
// shape (int64, as many dims as self, index.size(d) <= self.size(d) apart from dim), any
// dtype; scatter writes src (index.size(d) <= src.size(d)) or a value into a copy of self
// (scatter_: into self), scatter_add adds (float32/float64/bfloat16/float16/int64). An index
// outside self's dim is "index 7 is out of bounds for dimension 1 with size 5". A
// repeated index: the CPU's last write wins (each line along dim in order); CUDA's in
// no fixed order.
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// sort / topk (core/ops/sort.cpp): (values, int64 indices) along dim, contiguous, in
// Note [Sort order of ties and NaN]'s order (core/sort_keys.h); k outside [0, size] is
// "selected index k out of range". topk's result is always sorted.
std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim, bool descending);
std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted);

// joining (core/ops/join.cpp): torch.cat along dim in the inputs' result type (a 1-D
// empty tensor beside tensors of other shapes is skipped, as PyTorch still allows:
// skipped_by_cat says which shapes are); torch.stack: cat of the tensors unsqueezed at dim.
// cat_dim / stack_dim: dim wrapped as they wrap it.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
bool skipped_by_cat(const Dims& shape);
int64_t cat_dim(const std::vector<Tensor>& tensors, int64_t dim);
int64_t stack_dim(const std::vector<Tensor>& tensors, int64_t dim);

// views and copies (core/views.cpp, core/tensor.cpp) used by the autograd layer
Tensor view(const Tensor& a, const Dims& shape);
Tensor expand(const Tensor& a, const Dims& sizes);
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& a, const Dims& dims);
Tensor slice(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step);
Tensor select(const Tensor& a, int64_t dim, int64_t index);
Tensor squeeze(const Tensor& a, std::optional<int64_t> dim);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor as_strided(const Tensor& a, const Dims& sizes, const Dims& strides, std::optional<int64_t> offset);
Tensor view_dtype(const Tensor& a, DType dtype);  // Tensor.view(dtype)
Tensor to_dtype(const Tensor& a, DType dtype);
Tensor to_device(const Tensor& a, Device device);
// A copy with its own storage, dense in `format` (Preserve: a's suggest_memory_format()).
Tensor clone(const Tensor& a, MemoryFormat format = MemoryFormat::Contiguous);
Tensor reshape(const Tensor& a, const Dims& shape);
Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim);
Tensor unflatten(const Tensor& a, int64_t dim, const Dims& sizes);
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length);

// in place (core/ops/): check, compute into self, bump self's version
void add_(const Tensor& self, const Tensor& other, const Scalar& alpha);
void add_(const Tensor& self, const Scalar& other);
void sub_(const Tensor& self, const Tensor& other, const Scalar& alpha);
void sub_(const Tensor& self, const Scalar& other);
void mul_(const Tensor& self, const Tensor& other);
void mul_(const Tensor& self, const Scalar& other);
void div_(const Tensor& self, const Tensor& other);
void div_(const Tensor& self, const Scalar& other);
void neg_(const Tensor& self);
void relu_(const Tensor& self);
void clamp_(const Tensor& self, std::optional<Scalar> min, std::optional<Scalar> max);
void zero_(const Tensor& self);
void fill_(const Tensor& self, const Scalar& value);
void copy_(const Tensor& self, const Tensor& src);
// self = result, an op on self computed out of place (the composed in-place math of
// autograd/functions/math.cpp): result's dtype must cast to self's and its shape be self's.
void assign_(const Tensor& self, const Tensor& result);
// The math ops above in place (core/ops/math.cpp): math_(UnaryOp::Sin, x) is x.sin_(), for
// the UnaryOp of each of sin ... trunc and of exp, log, sqrt, abs, sigmoid, tanh; an integer
// self of sin_ ... erf_ (or exp_, ...) is PyTorch's error.
void math_(UnaryOp op, const Tensor& self);
void atan2_(const Tensor& self, const Tensor& other);
void fmod_(const Tensor& self, const Tensor& other);
void fmod_(const Tensor& self, const Scalar& other);
void remainder_(const Tensor& self, const Tensor& other);
void remainder_(const Tensor& self, const Scalar& other);
void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
void scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);

// PyTorch's "Expected all tensors to be on the same device, ..." unless every defined
// tensor in `others` is on first's device; `op`, when given, names the call.
void check_same_device(const Tensor& first, std::initializer_list<const Tensor*> others, const char* op = nullptr);

// Every in-place write goes through here: an expanded (self-overlapping) tensor may not
// be written; inference tensors may only be written
// inside InferenceMode (and have no version to bump); others bump their version.
void mark_mutated(const Tensor& self);
Tensor max(const Tensor& a);  // whole tensor -> 0-dim; errors say max() (amax(a, {}) says amax())
Tensor min(const Tensor& a);
std::tuple<Tensor, Tensor> max_dim(const Tensor& a, int64_t dim, bool keepdim);
std::tuple<Tensor, Tensor> min_dim(const Tensor& a, int64_t dim, bool keepdim);

// Batch norm's per-channel pieces shared by every device's kernels (core/ops/norm.cpp):
// 1 / sqrt(var + eps) in var's dtype, and the running-statistics update
// running = (1 - factor) * running + factor * batch (variance made unbiased with
// count / (count - 1)), in place in each defined running tensor's own dtype.
Tensor batch_norm_invstd(const Tensor& var, double eps);
void blend_running_stats(const Tensor& mean, const Tensor& biased_var, const Tensor& running_mean,
                         const Tensor& running_var, double factor, int64_t count);

}  // namespace ember::native
