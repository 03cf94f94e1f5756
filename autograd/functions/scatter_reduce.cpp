// Differentiable scatter_reduce (and scatter with reduce="add" / "multiply"): "sum" and
// "mean" are composed of scatter, scatter_add and div (their gradients follow); "prod",
// "amax" and "amin" are the device's scatter_reduce kernel plus one node, whose amax/amin
// formula shares the gradient evenly between ties, as PyTorch's; prod's is an error.
#include <limits>
#include <string>

#include "autograd/function_node.h"
#include "autograd/functions/inplace_record.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/native_indexing.h"
#include "core/ops.h"

namespace ember {

using autograd::composed_inplace;
using autograd::needs_grad;
using autograd::tensor_list;

namespace {

enum class Reduce { Sum, Prod, Mean, Amax, Amin };

Reduce parse_reduce(std::string_view reduce) {
  if (reduce == "sum") return Reduce::Sum;
  if (reduce == "prod") return Reduce::Prod;
  if (reduce == "mean") return Reduce::Mean;
  if (reduce == "amax") return Reduce::Amax;
  if (reduce == "amin") return Reduce::Amin;
  EMBER_FAIL("reduce argument must be either sum, prod, mean, amax or amin, got ", std::string(reduce));
}

// The value that leaves a reduction unchanged: what include_self=false puts at the
// scattered positions before reducing.
Scalar identity(Reduce r, DType dt) {
  const bool integral = dt == kInt64;
  switch (r) {
    case Reduce::Sum:
    case Reduce::Mean: return Scalar(0.0);
    case Reduce::Prod: return Scalar(1.0);
    case Reduce::Amax:
      return integral ? Scalar(std::numeric_limits<int64_t>::lowest()) : Scalar(-std::numeric_limits<double>::infinity());
    case Reduce::Amin:
      return integral ? Scalar(std::numeric_limits<int64_t>::max()) : Scalar(std::numeric_limits<double>::infinity());
  }
  return Scalar(0.0);
}

// The part of src that the index reads (src may be larger in any dim).
Tensor index_part(const Tensor& src, const Tensor& index) {
  Tensor part = src;
  for (int64_t d = 0; d < index.dim(); ++d) part = native::narrow(part, d, 0, index.size(d));
  return part;
}

// g (index's shape) as a gradient of src (src_shape): zeros beyond the index's shape.
Tensor pad_to(const Tensor& g, const Dims& src_shape) {
  if (g.sizes() == src_shape || src_shape.empty()) return g;
  Tensor full = zeros(src_shape, TensorOptions(g.dtype()).device(g.device()));
  Tensor part = full;
  for (int64_t d = 0; d < g.dim(); ++d) part = part.narrow(d, 0, g.size(d));
  part.copy_(g);
  return full;
}

// amax/amin's gradient (PyTorch's): the incoming gradient of each output element shared
// evenly by the inputs equal to it (self, where included, and the src elements scattered
// there). With include_self=false, self's value never counts where src was scattered
// (PyTorch 1.13 still counts a tie there and drops its share: its gradient is then short).
// The masks of those inputs are made in the forward pass and saved instead of self, src
// and the result, so an in-place scatter_reduce_ may overwrite self.
struct ExtremumMasks {
  Tensor self_is_result;  // bool, self's shape
  Tensor src_is_result;   // bool, index's shape
};
ExtremumMasks extremum_masks(const Tensor& self, const Tensor& src, const Tensor& index, const Tensor& result,
                             int64_t dim, bool include_self) {
  ExtremumMasks m;
  m.self_is_result = native::eq(self, result);
  if (!include_self) m.self_is_result = native::scatter(m.self_is_result, dim, index, false);
  m.src_is_result = native::eq(index_part(src, index), native::gather(result, dim, index));
  return m;
}
tensor_list extremum_grads(const Tensor& g, const Tensor& self_is_result, const Tensor& src_is_result,
                           const Tensor& index, int64_t dim, const std::vector<autograd::InputMeta>& in) {
  const Tensor src_share = native::to_dtype(src_is_result, g.dtype());
  const Tensor count = native::scatter_add(native::to_dtype(self_is_result, g.dtype()), dim, index, src_share);
  const Tensor shared = ember::div(g, count);
  Tensor ga = needs_grad(in, 0) ? ember::where(self_is_result, shared, Scalar(0.0)) : Tensor();
  Tensor gs;
  if (needs_grad(in, 1)) gs = pad_to(ember::mul(ember::gather(shared, dim, index), src_share), in[1].shape);
  return tensor_list{ga, gs};
}

// prod, amax, amin: the kernel over self (or self with the scattered positions reset to
// the identity), recorded as one node on a and src.
Tensor scatter_combined(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src, Reduce r,
                        bool include_self) {
  const ScatterReduceKind kind = r == Reduce::Prod   ? ScatterReduceKind::Multiply
                                 : r == Reduce::Amax ? ScatterReduceKind::Max
                                                     : ScatterReduceKind::Min;
  const Tensor base = include_self ? a : native::scatter(a, dim, index, identity(r, a.dtype()));
  Tensor out = native::scatter_combine(base, dim, index, src, kind);
  if (autograd::will_record_into(out, a, src)) {
    const int64_t d = wrap_dim(dim, a.dim());
    if (r == Reduce::Prod) {
      autograd::record("ScatterReduceBackward", {&a, &src}, {&out}, {},
                       [](const tensor_list&, const tensor_list&, const auto&) -> tensor_list {
                         EMBER_FAIL("scatter_reduce(): the derivative for reduce='prod' is not implemented in ember "
                                    "(sum, mean, amax and amin have one)");
                       });
    } else {
      const ExtremumMasks m = extremum_masks(a, src, index, out, d, include_self);
      autograd::record("ScatterReduceBackward", {&a, &src}, {&out}, {index, m.self_is_result, m.src_is_result},
                       [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                         return extremum_grads(g[0], s[1], s[2], s[0], d, in);
                       })->set_differentiable_backward();
    }
  }
  return out;
}

// mean: the sum divided by how many values each position got (at least 1); integers
// round down, as PyTorch's.
Tensor scatter_mean(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src, bool include_self) {
  const Tensor sum = ember::scatter_add(base, dim, index, src);
  // Integer sums are floor-divided by int64 counts (exact at any size, as PyTorch's
  // div_(count, "floor")), floating ones divided by counts of their dtype.
  const bool integral = !is_floating(sum.dtype());
  const TensorOptions counts_options = TensorOptions(integral ? kInt64 : sum.dtype()).device(sum.device());
  Tensor count = full(sum.sizes(), include_self ? 1 : 0, counts_options);
  if (!include_self) count = native::scatter(count, dim, index, 0);
  count = native::scatter_add(count, dim, index, ones(index.sizes(), counts_options));
  count = native::where(native::eq(count, Scalar(0)), Scalar(1), count);
  if (!integral) return ember::div(sum, count);
  return native::to_dtype(native::div_rounded(sum, count, "floor"), sum.dtype());
}

}  // namespace

Tensor scatter_reduce(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                      bool include_self) {
  const Reduce r = parse_reduce(reduce);
  EMBER_CHECK(a.defined() && index.defined() && src.defined(), "scatter_reduce(): expected defined tensors");
  EMBER_CHECK(a.dtype() == src.dtype(), "scatter(): Expected self.dtype to be equal to src.dtype");
  // The dtype first: include_self=false's identity (-inf for amax) does not fit an
  // unsupported integer dtype, and that error would hide this one.
  const DType dt = a.dtype();
  EMBER_CHECK(is_floating(dt) || dt == kInt64, "\"scatter_reduce\" not implemented for '", dtype_torch_name(dt),
              "' in ember (float32, float64, bfloat16, float16 and int64 are)");
  if (r == Reduce::Prod || r == Reduce::Amax || r == Reduce::Amin) {
    return scatter_combined(a, dim, index, src, r, include_self);
  }
  const Tensor base = include_self ? a : ember::scatter(a, dim, index, 0.0);
  if (r == Reduce::Sum) return ember::scatter_add(base, dim, index, src);
  return scatter_mean(base, dim, index, src, include_self);
}

Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) {
  EMBER_CHECK(reduce == "add" || reduce == "multiply", "reduce argument must be either add or multiply, got ",
              std::string(reduce));
  return scatter_reduce(a, dim, index, src, reduce == "add" ? "sum" : "prod", true);
}
Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Scalar& value, std::string_view reduce) {
  EMBER_CHECK(a.defined() && index.defined(), "scatter(): expected defined tensors");
  return scatter(a, dim, index, full(index.sizes(), value, a.options().requires_grad(false)), reduce);
}

Tensor Tensor::scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                              bool include_self) const {
  return ember::scatter_reduce(*this, dim, index, src, reduce, include_self);
}
Tensor& Tensor::scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                                bool include_self) {
  return composed_inplace("ScatterReduceBackward", *this,
                          [&] { return ember::scatter_reduce(*this, dim, index, src, reduce, include_self); });
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) const {
  return ember::scatter(*this, dim, index, src, reduce);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Scalar& value, std::string_view reduce) const {
  return ember::scatter(*this, dim, index, value, reduce);
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) {
  return composed_inplace("ScatterBackward", *this, [&] { return ember::scatter(*this, dim, index, src, reduce); });
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Scalar& value, std::string_view reduce) {
  return composed_inplace("ScatterBackward", *this, [&] { return ember::scatter(*this, dim, index, value, reduce); });
}

}  // namespace ember
