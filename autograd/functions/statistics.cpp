// Differentiable statistics: var/std (and with the mean), prod, logsumexp and
// linalg::vector_norm. Native ops in core/ops/; formulas here (PyTorch's), each op one
// node named as PyTorch's grad_fn less its digit, saving only what its backward reads.
// Formulas are ember ops, so double backward comes with them.
#include <cmath>
#include <limits>

#include "autograd/function_node.h"
#include "autograd/functions/reduce_dims.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::record;
using autograd::tensor_list;
using autograd::will_record_into;
using autograd::reduce_dims::reduced_count;
using autograd::reduce_dims::unsqueeze_reduced;
using autograd::reduce_dims::wrapped_dims;

namespace detail {
Tensor scan_recorded(ScanOp op, const Tensor& a, int64_t dim, bool reverse);  // functions/scan.cpp
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------- var / std
// PyTorch's var_backward: (2 / (N - correction)) g (x - mean(x)), g of x's rank. N -
// correction <= 0 gives inf or NaN factors, as PyTorch's.
Tensor var_grad(const Tensor& g_full, const Tensor& x, const Dims& dims, double correction) {
  const double n = static_cast<double>(reduced_count(x.sizes(), dims));
  return mul(mul(g_full, 2.0 / (n - correction)), sub(x, mean(x, wrapped_dims(dims, x.dim()), true)));
}

// PyTorch's std_backward: var's with g / (2 std), 0 where std is 0 (not NaN).
Tensor std_grad(const Tensor& g_full, const Tensor& std_full, const Tensor& x, const Dims& dims, double correction) {
  const Tensor g_var = where(native::eq(std_full, 0.0), Scalar(0.0), div(g_full, mul(std_full, 2.0)));
  return var_grad(g_var, x, dims, correction);
}

// var, std, var_mean, std_mean: `root` for std, `with_mean` for the (.., mean) forms.
std::tuple<Tensor, Tensor> moments(const char* name, const Tensor& a, const Dims& dims, double correction,
                                   bool keepdim, bool root, bool with_mean) {
  Tensor spread, mean_out;
  if (with_mean) {
    std::tie(spread, mean_out) = root ? native::std_mean(a, dims, correction, keepdim)
                                      : native::var_mean(a, dims, correction, keepdim);
  } else {
    spread = root ? native::std(a, dims, correction, keepdim) : native::var(a, dims, correction, keepdim);
  }
  if (!will_record_into(spread, a)) {
    if (with_mean) autograd::note_untracked(mean_out, {&a});
    return {spread, mean_out};
  }
  auto formula = [dims, correction, keepdim, root](const tensor_list& g, const tensor_list& s, const auto& in) {
    const Dims& shape = in[0].shape;
    Tensor grad;
    if (g[0].defined()) {
      const Tensor g_full = unsqueeze_reduced(g[0], shape, dims, keepdim);
      grad = root ? std_grad(g_full, unsqueeze_reduced(s[1], shape, dims, keepdim), s[0], dims, correction)
                  : var_grad(g_full, s[0], dims, correction);
    }
    if (g.size() > 1 && g[1].defined()) {  // the mean's share: g / N to every element
      const double n = static_cast<double>(reduced_count(shape, dims));
      Tensor g_mean = autograd::formula::expand(unsqueeze_reduced(div(g[1], n), shape, dims, keepdim), shape);
      grad = grad.defined() ? add(grad, g_mean) : g_mean;
    }
    return tensor_list{grad};
  };
  // x, and std's result (its backward divides by it); var reads x alone.
  const Tensor saved_result = root ? spread : Tensor();
  auto node = with_mean ? record(name, {&a}, {&spread, &mean_out}, {a, saved_result}, formula)
                        : record(name, {&a}, {&spread}, {a, saved_result}, formula);
  node->set_differentiable_backward();
  return {spread, mean_out};
}

// ---------------------------------------------------------------- prod
// The product of the other elements along d, for every element: the exclusive prefix
// products times the exclusive suffix products (PyTorch's prod_safe_zeros_backward), so
// one zero or several need no special case and nothing is divided.
Tensor prod_of_others(const Tensor& x, int64_t d) {
  const int64_t n = x.size(d);
  if (n <= 1) return ones(x.sizes(), x.options());
  Dims slice_shape = x.sizes();
  slice_shape[static_cast<size_t>(d)] = 1;
  const Tensor one = ones(slice_shape, x.options());
  const Tensor before = detail::scan_recorded(ScanOp::Prod, cat({one, autograd::formula::narrow(x, d, 0, n - 1)}, d), d, false);
  const Tensor after = detail::scan_recorded(ScanOp::Prod, cat({autograd::formula::narrow(x, d, 1, n - 1), one}, d), d, true);
  return mul(before, after);
}

// ---------------------------------------------------------------- vector_norm
// sgn(x) as a constant (its derivative is 0).
Tensor sign_of(const Tensor& x) {
  return native::sub(native::to_dtype(native::gt(x, 0.0), x.dtype()), native::to_dtype(native::lt(x, 0.0), x.dtype()));
}

// PyTorch's norm_backward for linalg_vector_norm, g and norm of x's rank; undefined for
// ord 0 (PyTorch's: no gradient).
Tensor norm_grad(const Tensor& g, const Tensor& x, const Tensor& norm, double ord, const Dims& dims) {
  if (ord == 0) return {};
  if (ord == 1) return mul(sign_of(x), g);
  const Tensor zero_norm = norm.defined() ? native::eq(norm, 0.0) : Tensor();
  if (ord == 2) return mul(g, where(zero_norm, Scalar(0.0), div(x, norm)));
  if (std::isinf(ord)) {  // shared evenly by the elements at the extreme (and NaNs)
    const Tensor x_abs = native::abs(x);
    const Tensor hit = native::to_dtype(native::bitwise_or(native::eq(x_abs, norm), native::ne(x_abs, x_abs)), x.dtype());
    const Tensor count = native::sum(hit, wrapped_dims(dims, x.dim()), true);
    return mul(sign_of(x), mul(div(g, count), hit));
  }
  if (ord < 1) {
    const Tensor scaled = mul(sign_of(x), where(native::eq(x, 0.0), Scalar(0.0), pow(abs(x), ord - 1)));
    return mul(mul(scaled, g), pow(norm, 1 - ord));
  }
  const Tensor scaled = ord < 2 ? mul(sign_of(x), pow(abs(x), ord - 1)) : mul(x, pow(abs(x), ord - 2));
  return mul(scaled, where(zero_norm, Scalar(0.0), div(g, pow(norm, ord - 1))));
}

}  // namespace

// ---------------------------------------------------------------- public ops
Tensor var(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return std::get<0>(moments("VarBackward", a, dims, correction, keepdim, false, false));
}
Tensor std(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return std::get<0>(moments("StdBackward", a, dims, correction, keepdim, true, false));
}
std::tuple<Tensor, Tensor> var_mean(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return moments("VarMeanBackward", a, dims, correction, keepdim, false, true);
}
std::tuple<Tensor, Tensor> std_mean(const Tensor& a, const Dims& dims, double correction, bool keepdim) {
  return moments("StdMeanBackward", a, dims, correction, keepdim, true, true);
}

Tensor prod(const Tensor& a_in) {
  const Tensor a = autocast::cast(autocast::CastPolicy::Float32, a_in);
  Tensor out = native::prod(a);
  if (will_record_into(out, a)) {
    record("ProdBackward", {&a}, {&out}, {a}, [](const tensor_list& g, const tensor_list& s, const auto& in) {
      if (in[0].shape.empty()) return tensor_list{g[0]};
      const Tensor flat = autograd::formula::reshape(s[0], {-1});
      return tensor_list{autograd::formula::reshape(mul(g[0], prod_of_others(flat, 0)), in[0].shape)};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor prod(const Tensor& a_in, int64_t dim, bool keepdim) {
  const Tensor a = autocast::cast(autocast::CastPolicy::Float32, a_in);
  Tensor out = native::prod(a, dim, keepdim);
  if (will_record_into(out, a)) {
    const int64_t d = wrap_dim(dim, a.dim());
    record("ProdBackward", {&a}, {&out}, {a}, [d, keepdim](const tensor_list& g, const tensor_list& s, const auto& in) {
      if (in[0].shape.empty()) return tensor_list{g[0]};
      return tensor_list{mul(unsqueeze_reduced(g[0], in[0].shape, Dims{d}, keepdim), prod_of_others(s[0], d))};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor logsumexp(const Tensor& a_in, const Dims& dims, bool keepdim) {
  const Tensor a = autocast::cast(autocast::CastPolicy::Float32, a_in);
  Tensor out = native::logsumexp(a, dims, keepdim);
  if (will_record_into(out, a)) {
    // g * exp(x - logsumexp(x)): the softmax over the reduced dims.
    record("LogsumexpBackward", {&a}, {&out}, {a, out},
           [dims, keepdim](const tensor_list& g, const tensor_list& s, const auto& in) {
             const Dims& shape = in[0].shape;
             const Tensor result = unsqueeze_reduced(s[1], shape, dims, keepdim);
             return tensor_list{mul(unsqueeze_reduced(g[0], shape, dims, keepdim), exp(sub(s[0], result)))};
           })->set_differentiable_backward();
  }
  return out;
}

Tensor linalg::vector_norm(const Tensor& x_in, double ord, const Dims& dims, bool keepdim) {
  const Tensor x = autocast::cast(autocast::CastPolicy::Float32, x_in);
  Tensor out = native::vector_norm(x, ord, dims, keepdim);
  if (will_record_into(out, x)) {
    const bool reads_norm = ord != 0 && ord != 1;
    record("LinalgVectorNormBackward", {&x}, {&out}, {ord != 0 ? x : Tensor(), reads_norm ? out : Tensor()},
           [ord, dims, keepdim, reads_norm](const tensor_list& g, const tensor_list& s, const auto& in) {
             const Dims& shape = in[0].shape;
             const Tensor norm = reads_norm ? unsqueeze_reduced(s[1], shape, dims, keepdim) : Tensor();
             return tensor_list{norm_grad(unsqueeze_reduced(g[0], shape, dims, keepdim), s[0], norm, ord, dims)};
           })->set_differentiable_backward();
  }
  return out;
}

}  // namespace ember
