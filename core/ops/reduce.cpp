// Native reductions: sum, mean, prod, var/std (and with the mean), amax/amin, max/min
// (whole or with indices), argmax/argmin. Checks dims and dtypes, allocates the keepdim-shaped output, runs the
// device's reduce / arg_reduce kernel, then views the reduced dims away unless keepdim.
#include <array>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "core/dispatch.h"
#include "core/logging.h"
#include "core/native.h"

namespace ember::native {
namespace {

using DimMask = std::array<bool, kMaxDims>;

// The dims `dims` names, wrapped; an empty list means every dim (as in PyTorch).
DimMask reduced_dims(const Tensor& a, const Dims& dims) {
  DimMask mask{};
  if (dims.empty()) {
    for (int64_t d = 0; d < a.dim(); ++d) mask[d] = true;
    return mask;
  }
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, a.dim());
    EMBER_CHECK(!mask[d], "dim ", d, " appears multiple times in the list of dims");
    mask[d] = true;
  }
  return mask;
}

DimMask single_dim(int64_t d) {
  DimMask mask{};
  mask[d] = true;
  return mask;
}

// a's sizes with the masked dims set to 1 (keepdim = true) or removed (false).
Dims reduced_shape(const Tensor& a, const DimMask& mask, bool keepdim) {
  Dims shape;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (!mask[d]) shape.push_back(a.size(d));
    else if (keepdim) shape.push_back(1);
  }
  return shape;
}

// max/min/argmax/... have no identity: an empty reduction is an error (PyTorch's words).
void check_not_empty(std::string_view op, const Tensor& a, const DimMask& mask, bool whole_tensor) {
  if (whole_tensor) {
    EMBER_CHECK(a.numel() != 0, op, "(): Expected reduction dim to be specified for input.numel() == 0. ",
                "Specify the reduction dim with the 'dim' argument.");
    return;
  }
  for (int64_t d = 0; d < a.dim(); ++d)
    EMBER_CHECK(!mask[d] || a.size(d) != 0, op, "(): Expected reduction dim ", d, " to have non-zero size.");
}

// Reduction kernels compute in their storage type: bfloat16 and float16 reduce as float32
// (an upcast copy, so sums accumulate in fp32 and better) and round the result once.
Tensor reduce_dims(ReduceOp op, const Tensor& a, const DimMask& mask, bool keepdim, DType out_dtype) {
  if (is_reduced_float(a.dtype())) {
    return to_dtype(reduce_dims(op, to_dtype(a, kFloat32), mask, keepdim, kFloat32), a.dtype());
  }
  Tensor out = make_empty(reduced_shape(a, mask, true), out_dtype, a.device());
  device_ops(a.device()).reduce(op, a, out);
  return keepdim ? out : view(out, reduced_shape(a, mask, false));
}

// (values, indices) of the max/min along one dim; a 0-dim input acts as shape [1].
std::tuple<Tensor, Tensor> arg_reduce_dim(ArgReduceOp op, std::string_view name, const Tensor& a, int64_t dim,
                                          bool keepdim) {
  if (is_reduced_float(a.dtype())) {  // through float32 (exact: the winner's value is a's own)
    auto [values, indices] = arg_reduce_dim(op, name, to_dtype(a, kFloat32), dim, keepdim);
    return {to_dtype(values, a.dtype()), indices};
  }
  const int64_t d = wrap_dim(dim, a.dim());
  const Tensor src = a.dim() == 0 ? view(a, {1}) : a;
  const DimMask mask = single_dim(d);
  check_not_empty(name, src, mask, false);
  Tensor values = make_empty(reduced_shape(src, mask, true), src.dtype(), src.device());
  Tensor indices = make_empty(values.sizes(), kInt64, src.device());
  device_ops(src.device()).arg_reduce(op, src, d, values, indices);
  if (keepdim && a.dim() > 0) return {values, indices};
  const Dims shape = reduced_shape(a, mask, false);
  return {view(values, shape), view(indices, shape)};
}

// argmax/argmin over one dim, or over the flattened tensor when dim is absent.
Tensor arg_index(ArgReduceOp op, std::string_view name, const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  // PyTorch's argmax / argmin kernels have no bool form (max and min do).
  EMBER_CHECK(a.dtype() != kBool, "\"", name, a.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for 'Bool'");
  if (dim) return std::get<1>(arg_reduce_dim(op, name, a, *dim, keepdim));
  check_not_empty(name, a, {}, true);
  Tensor flat_index = std::get<1>(arg_reduce_dim(op, name, reshape(a, {-1}), 0, false));
  return keepdim ? view(flat_index, Dims::filled(static_cast<size_t>(a.dim()), 1)) : flat_index;
}

Tensor extreme(ReduceOp op, std::string_view name, const Tensor& a, const Dims& dims, bool keepdim) {
  const DimMask mask = reduced_dims(a, dims);
  check_not_empty(name, a, mask, dims.empty());
  return reduce_dims(op, a, mask, keepdim, a.dtype());
}

}  // namespace

Tensor sum(const Tensor& a, const Dims& dims, bool keepdim) {
  const DType out_dtype = is_floating(a.dtype()) ? a.dtype() : kInt64;
  return reduce_dims(ReduceOp::Sum, a, reduced_dims(a, dims), keepdim, out_dtype);
}
Tensor sum(const Tensor& a) { return sum(a, {}, false); }

Tensor mean(const Tensor& a, const Dims& dims, bool keepdim) {
  EMBER_CHECK(is_floating(a.dtype()), "mean(): could not infer output dtype. Input dtype must be either a floating ",
              "point or complex dtype. Got: ", dtype_torch_name(a.dtype()));
  return reduce_dims(ReduceOp::Mean, a, reduced_dims(a, dims), keepdim, a.dtype());
}
Tensor mean(const Tensor& a) { return mean(a, {}, false); }

Tensor prod(const Tensor& a) { return prod(reshape(a, {-1}), 0, false); }
Tensor prod(const Tensor& a, int64_t dim, bool keepdim) {
  const DType out_dtype = is_floating(a.dtype()) ? a.dtype() : kInt64;
  return reduce_dims(ReduceOp::Prod, a, single_dim(wrap_dim(dim, a.dim())), keepdim, out_dtype);
}

namespace {
// (var or std, mean) over dims; `name` words the dtype error as PyTorch's ops do.
std::tuple<Tensor, Tensor> moments(std::string_view name, const Tensor& a, const Dims& dims, double correction,
                                   bool keepdim, bool with_mean, bool root) {
  EMBER_CHECK(is_floating(a.dtype()), name, " only support floating point and complex dtypes");
  if (is_reduced_float(a.dtype())) {  // through float32, rounded once
    auto [spread, mean] = moments(name, to_dtype(a, kFloat32), dims, correction, keepdim, with_mean, root);
    return {to_dtype(spread, a.dtype()), with_mean ? to_dtype(mean, a.dtype()) : Tensor()};
  }
  const DimMask mask = reduced_dims(a, dims);
  const Dims kept_shape = reduced_shape(a, mask, true);
  const int64_t kept = shape_numel(kept_shape);
  if (kept > 0 && static_cast<double>(a.numel() / kept) - correction <= 0.0) {  // PyTorch's TORCH_WARN_ONCE
    // once per op, as PyTorch's TORCH_WARN_ONCE at each of std, var, std_mean, var_mean
    static std::once_flag once_std, once_var, once_std_mean, once_var_mean;
    const std::string op = name == "std and var" ? (root ? "std" : "var") : std::string(name);
    std::once_flag& once = op == "std" ? once_std : op == "var" ? once_var : op == "std_mean" ? once_std_mean
                                                                                            : once_var_mean;
    std::call_once(once, [&op] {
      logging::warn("{}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
                    "(input numel divided by output numel).",
                    op);
    });
  }
  Tensor var = make_empty(kept_shape, a.dtype(), a.device());
  Tensor mean = with_mean ? make_empty(kept_shape, a.dtype(), a.device()) : Tensor();
  device_ops(a.device()).var_mean(a, correction, var, mean);
  if (root) var = sqrt(var);
  if (keepdim) return {var, mean};
  const Dims shape = reduced_shape(a, mask, false);
  return {view(var, shape), with_mean ? view(mean, shape) : Tensor()};
}
}  // namespace

Tensor var(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return std::get<0>(moments("std and var", a, dims, correction, keepdim, false, false));
}
Tensor std(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return std::get<0>(moments("std and var", a, dims, correction, keepdim, false, true));
}
std::tuple<Tensor, Tensor> var_mean(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return moments("var_mean", a, dims, correction, keepdim, true, false);
}
std::tuple<Tensor, Tensor> std_mean(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return moments("std_mean", a, dims, correction, keepdim, true, true);
}

Tensor amax(const Tensor& a, const Dims& dims, bool keepdim) { return extreme(ReduceOp::Max, "amax", a, dims, keepdim); }
Tensor amin(const Tensor& a, const Dims& dims, bool keepdim) { return extreme(ReduceOp::Min, "amin", a, dims, keepdim); }

Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_index(ArgReduceOp::ArgMax, "argmax", a, dim, keepdim);
}
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_index(ArgReduceOp::ArgMin, "argmin", a, dim, keepdim);
}

Tensor max(const Tensor& a) { return extreme(ReduceOp::Max, "max", a, {}, false); }
Tensor min(const Tensor& a) { return extreme(ReduceOp::Min, "min", a, {}, false); }
std::tuple<Tensor, Tensor> max_dim(const Tensor& a, int64_t dim, bool keepdim) {
  return arg_reduce_dim(ArgReduceOp::ArgMax, "max", a, dim, keepdim);
}
std::tuple<Tensor, Tensor> min_dim(const Tensor& a, int64_t dim, bool keepdim) {
  return arg_reduce_dim(ArgReduceOp::ArgMin, "min", a, dim, keepdim);
}

}  // namespace ember::native
