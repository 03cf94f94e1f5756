// Differentiable reductions and linear algebra: sum, mean, amax/amin, max/min with
// indices, matmul, mm, bmm. Native ops in core/ops/; formulas here. Under autocast, sum
// runs in float32, mean keeps its dtype and the products run in bf16 (Note [Autocast],
// core/autocast.h).
#include <numeric>

#include "autograd/function_node.h"
#include "autograd/functions/reduce_dims.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record;
using autograd::will_record_into;

using autograd::reduce_dims::reduced_count;
using autograd::reduce_dims::unsqueeze_reduced;
using autograd::reduce_dims::wrapped_dims;

Tensor sum(const Tensor& a) { return sum(a, Dims{}, false); }

Tensor sum(const Tensor& a_in, const Dims& dims, bool keepdim) {
  const Tensor a = autocast::cast(autocast::CastPolicy::Float32, a_in);
  Tensor out = native::sum(a, dims, keepdim);
  if (will_record_into(out, a)) {
    record("SumBackward", {&a}, {&out}, {}, [dims, keepdim](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{autograd::formula::expand(unsqueeze_reduced(g[0], in[0].shape, dims, keepdim), in[0].shape)};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor mean(const Tensor& a) { return mean(a, Dims{}, false); }

// Not on PyTorch's autocast lists (Note [Autocast]): a 16-bit mean sums in float and keeps its dtype.
Tensor mean(const Tensor& a, const Dims& dims, bool keepdim) {
  Tensor out = native::mean(a, dims, keepdim);
  if (will_record_into(out, a)) {
    record("MeanBackward", {&a}, {&out}, {}, [dims, keepdim](const tensor_list& g, const tensor_list&, const auto& in) {
      const double count = static_cast<double>(reduced_count(in[0].shape, dims));
      Tensor scaled = div(g[0], count);
      return tensor_list{autograd::formula::expand(unsqueeze_reduced(scaled, in[0].shape, dims, keepdim), in[0].shape)};
    })->set_differentiable_backward();
  }
  return out;
}

// amax/amin (and max()/min() of a whole tensor): the gradient is shared evenly by
// every element equal to the extreme, as in PyTorch; where max()/min() is NaN, by the
// NaNs (PyTorch's evenly_distribute_backward; amax/amin of a NaN give NaN gradients, as
// PyTorch 1.13's).
static Tensor extreme(const char* name, const Tensor& a, const Dims& dims, bool keepdim, bool is_max,
                      bool whole = false) {
  Tensor out = whole ? (is_max ? native::max(a) : native::min(a))
                     : (is_max ? native::amax(a, dims, keepdim) : native::amin(a, dims, keepdim));
  if (will_record_into(out, a)) {
    record(name, {&a}, {&out}, {a, out}, [dims, keepdim, whole](const tensor_list& g, const tensor_list& s, const auto& in) {
      Tensor value = unsqueeze_reduced(s[1], in[0].shape, dims, keepdim);
      Tensor hit = native::to_dtype(native::eq(s[0], value), g[0].dtype());
      if (whole) {  // a NaN result: the NaNs share the gradient (eq holds for no NaN, so the terms are disjoint)
        const Tensor nan_a = native::to_dtype(native::ne(s[0], s[0]), g[0].dtype());
        hit = native::add(hit, native::mul(nan_a, native::to_dtype(native::ne(value, value), g[0].dtype())));
      }
      Tensor count = native::sum(hit, wrapped_dims(dims, static_cast<int64_t>(in[0].shape.size())), true);
      Tensor share = div(unsqueeze_reduced(g[0], in[0].shape, dims, keepdim), count);
      return tensor_list{mul(hit, share)};
    })->set_differentiable_backward();
  }
  return out;
}
Tensor amax(const Tensor& a, const Dims& dims, bool keepdim) { return extreme("AmaxBackward", a, dims, keepdim, true); }
Tensor amin(const Tensor& a, const Dims& dims, bool keepdim) { return extreme("AminBackward", a, dims, keepdim, false); }
Tensor Tensor::max() const { return extreme("MaxBackward", *this, Dims{}, false, true, true); }
Tensor Tensor::min() const { return extreme("MinBackward", *this, Dims{}, false, false, true); }

// max/min along a dim: the gradient goes to the selected index only.
static std::tuple<Tensor, Tensor> extreme_dim(const char* name, const Tensor& a, int64_t dim, bool keepdim, bool is_max) {
  auto [values, indices] = is_max ? native::max_dim(a, dim, keepdim) : native::min_dim(a, dim, keepdim);
  if (will_record_into(values, a)) {
    const int64_t d = wrap_dim(dim, std::max<int64_t>(a.dim(), 1));
    record(name, {&a}, {&values}, {indices}, [d, keepdim](const tensor_list& g, const tensor_list& s, const auto& in) {
      const Dims& shape = in[0].shape;
      if (shape.empty()) return tensor_list{g[0]};
      Tensor idx = unsqueeze_reduced(s[0], shape, Dims{d}, keepdim);
      Dims positions_shape = Dims::filled(shape.size(), 1);
      positions_shape[static_cast<size_t>(d)] = shape[static_cast<size_t>(d)];
      Tensor positions = native::view(arange(shape[static_cast<size_t>(d)], TensorOptions(kInt64).device(in[0].device)),
                                      positions_shape);
      Tensor onehot = native::to_dtype(native::eq(positions, idx), g[0].dtype());
      return tensor_list{mul(onehot, unsqueeze_reduced(g[0], shape, Dims{d}, keepdim))};
    })->set_differentiable_backward();
  }
  return {values, indices};
}
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const {
  return extreme_dim("MaxBackward", *this, dim, keepdim, true);
}
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const {
  return extreme_dim("MinBackward", *this, dim, keepdim, false);
}

Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return native::argmax(a, dim, keepdim); }
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return native::argmin(a, dim, keepdim); }

// ---------------------------------------------------------------- linear algebra
static Tensor matrix_transpose(const Tensor& t) { return autograd::formula::transpose(t, -2, -1); }

Tensor mm(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, a_in, b_in);
  Tensor out = native::mm(a, b);
  if (will_record_into(out, a, b)) {
    record("MmBackward", {&a, &b}, {&out}, {b.requires_grad() ? a : Tensor(), a.requires_grad() ? b : Tensor()},
           [](const tensor_list& g, const tensor_list& s, const auto& in) {
             return tensor_list{needs_grad(in, 0) ? mm(g[0], matrix_transpose(s[1])) : Tensor(),
                                needs_grad(in, 1) ? mm(matrix_transpose(s[0]), g[0]) : Tensor()};
           })->set_differentiable_backward();
  }
  return out;
}

Tensor bmm(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, a_in, b_in);
  Tensor out = native::bmm(a, b);
  if (will_record_into(out, a, b)) {
    record("BmmBackward", {&a, &b}, {&out}, {b.requires_grad() ? a : Tensor(), a.requires_grad() ? b : Tensor()},
           [](const tensor_list& g, const tensor_list& s, const auto& in) {
             return tensor_list{needs_grad(in, 0) ? bmm(g[0], matrix_transpose(s[1])) : Tensor(),
                                needs_grad(in, 1) ? bmm(matrix_transpose(s[0]), g[0]) : Tensor()};
           })->set_differentiable_backward();
  }
  return out;
}

// torch.matmul: 1-D operands act as a row (left) or column (right) vector whose dim
// is removed from the result; batch dims broadcast (FunctionNode sums them back).
Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, a_in, b_in);
  Tensor out = native::matmul(a, b);
  if (will_record_into(out, a, b)) {
    record("MatmulBackward", {&a, &b}, {&out}, {b.requires_grad() ? a : Tensor(), a.requires_grad() ? b : Tensor()},
           [](const tensor_list& g, const tensor_list& s, const auto& in) {
             const bool a_vec = in[0].shape.size() == 1, b_vec = in[1].shape.size() == 1;
             Tensor grad = g[0];
             if (a_vec) grad = autograd::formula::unsqueeze(grad, grad.dim() - (b_vec ? 0 : 1));
             if (b_vec) grad = autograd::formula::unsqueeze(grad, grad.dim());
             Tensor ga, gb;
             if (needs_grad(in, 0)) {
               Tensor b2 = b_vec ? autograd::formula::unsqueeze(s[1], 1) : s[1];
               ga = matmul(grad, matrix_transpose(b2));
               if (a_vec) ga = autograd::formula::squeeze(ga, ga.dim() - 2);
             }
             if (needs_grad(in, 1)) {
               Tensor a2 = a_vec ? autograd::formula::unsqueeze(s[0], 0) : s[0];
               gb = matmul(matrix_transpose(a2), grad);
               if (b_vec) gb = autograd::formula::squeeze(gb, gb.dim() - 1);
             }
             return tensor_list{ga, gb};
           })->set_differentiable_backward();
  }
  return out;
}

}  // namespace ember
