// Differentiable addmm, addmv, baddbmm and addbmm, and mv and addr made of them: the native
// scaled GEMM (one call, core/ops/linalg.cpp) plus recording. Gradients as PyTorch's: input
// beta * g (summed back over broadcast dims by FunctionNode; zeros when beta is 0), the
// factors alpha times g multiplied by the other factor transposed. Under autocast, bf16.
#include <tuple>
#include <utility>

#include "autograd/function_node.h"
#include "autograd/functions/inplace_record.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record_into;

namespace {

Tensor matrix_transpose(const Tensor& t) { return autograd::formula::transpose(t, -2, -1); }

// g * s, skipping the multiply when s is 1.
Tensor scaled(const Tensor& g, const Scalar& s) { return s.to_double() == 1.0 ? g : mul(g, s); }

// The product rule shared by the six ops: product(x, y) is the op's (batched) matrix
// product and grads(g, x, y) returns {d/dx, d/dy} of <g, product(x, y)>.
template <typename Native, typename Grads>
Tensor scaled_product(const char* name, const Tensor& input_in, const Tensor& x_in, const Tensor& y_in,
                      const Scalar& beta, const Scalar& alpha, Native native_op, Grads grads) {
  const auto [input, x, y] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, input_in, x_in, y_in);
  Tensor out = native_op(input, x, y, beta, alpha);
  if (will_record_into(out, input, x, y)) {
    record(name, {&input, &x, &y}, {&out}, {y.requires_grad() ? x : Tensor(), x.requires_grad() ? y : Tensor()},
           [beta, alpha, grads](const tensor_list& g, const tensor_list& s, const auto& in) {
             Tensor gx, gy;
             if (needs_grad(in, 1) || needs_grad(in, 2)) std::tie(gx, gy) = grads(scaled(g[0], alpha), s[0], s[1], in);
             return tensor_list{needs_grad(in, 0) ? mul(g[0], beta) : Tensor(), gx, gy};
           })->set_differentiable_backward();
  }
  return out;
}

// The factors' gradients of a matrix-matrix product (addmm, addr) and of a matrix-vector one
// (addmv, mv).
const auto matrix_product_grads = [](const Tensor& g, const Tensor& m1, const Tensor& m2, const auto& in) {
  return std::pair{needs_grad(in, 1) ? mm(g, matrix_transpose(m2)) : Tensor(),
                   needs_grad(in, 2) ? mm(matrix_transpose(m1), g) : Tensor()};
};
const auto matrix_vector_grads = [](const Tensor& g, const Tensor& m, const Tensor& v, const auto& in) {
  return std::pair{needs_grad(in, 1) ? outer(g, v) : Tensor(),
                   needs_grad(in, 2) ? matmul(matrix_transpose(m), g) : Tensor()};
};

}  // namespace

Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  return scaled_product("AddmmBackward", input, mat1, mat2, beta, alpha, native::addmm, matrix_product_grads);
}

Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  return scaled_product("AddmvBackward", input, mat, vec, beta, alpha, native::addmv, matrix_vector_grads);
}

// PyTorch's mv is addmv into an uninitialised result with beta 0 (never read), and so is this
// (its operands cast first under autocast, so the result is made in their dtype).
Tensor mv(const Tensor& mat_in, const Tensor& vec_in) {
  EMBER_CHECK(mat_in.dim() == 2 && vec_in.dim() == 1, "vector + matrix @ vector expected, got 1, ", mat_in.dim(), ", ",
              vec_in.dim());
  const auto [mat, vec] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, mat_in, vec_in);
  EMBER_CHECK(mat.dtype() == vec.dtype(), "mv: expected scalar type ", dtype_torch_name(mat.dtype()), " but found ",
              dtype_torch_name(vec.dtype()));
  return scaled_product("MvBackward", make_empty({mat.size(0)}, mat.dtype(), mat.device()), mat, vec, 0, 1,
                        native::addmv, matrix_vector_grads);
}

// The three operands promoted to one dtype, as PyTorch's addr. Floating ones: vec1 as a column
// times vec2 as a row, a GEMM with k = 1, which broadcasts the input, ignores it at beta 0 and
// gives its gradient as addmm's. Integers (which the GEMM does not take): composed of outer;
// bool: (beta and input) or (alpha and vec1 and vec2), PyTorch's logical form.
Tensor addr(const Tensor& input_in, const Tensor& vec1_in, const Tensor& vec2_in, const Scalar& beta,
            const Scalar& alpha) {
  EMBER_CHECK(vec1_in.dim() == 1, "addr: Expected 1-D argument vec1, but got ", vec1_in.dim(), "-D");
  EMBER_CHECK(vec2_in.dim() == 1, "addr: Expected 1-D argument vec2, but got ", vec2_in.dim(), "-D");
  const DType dtype = promote_types(promote_types(input_in.dtype(), vec1_in.dtype()), vec2_in.dtype());
  EMBER_CHECK(dtype == kBool || !beta.is_bool(), "Boolean beta only supported for Boolean results.");
  EMBER_CHECK(dtype == kBool || !alpha.is_bool(), "Boolean alpha only supported for Boolean results.");
  const Tensor input = input_in.to(dtype), vec1 = vec1_in.to(dtype), vec2 = vec2_in.to(dtype);
  if (is_floating(dtype)) {
    return scaled_product("AddrBackward", input, vec1.unsqueeze(1), vec2.unsqueeze(0), beta, alpha, native::addmm,
                          matrix_product_grads);
  }
  EMBER_CHECK(!beta.is_floating(), "For integral input tensors, argument beta must not be a floating point number.");
  EMBER_CHECK(!alpha.is_floating(), "For integral input tensors, argument alpha must not be a floating point number.");
  const Dims shape{vec1.size(0), vec2.size(0)};
  const Tensor kept = input.expand(shape);  // the input must broadcast, whatever beta is
  if (dtype == kBool) {
    const Tensor product = alpha.to_double() != 0 ? logical_and(vec1.unsqueeze(1), vec2.unsqueeze(0))
                                                  : zeros(shape, TensorOptions(kBool).device(input.device()));
    return beta.to_double() != 0 ? logical_or(kept, product) : product;
  }
  const Tensor product = outer(vec1, vec2) * alpha;
  return beta.to_double() == 0 ? product : kept * beta + product;
}

Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
               const Scalar& alpha) {
  return scaled_product("BaddbmmBackward", input, batch1, batch2, beta, alpha, native::baddbmm,
                        [](const Tensor& g, const Tensor& b1, const Tensor& b2, const auto& in) {
                          return std::pair{needs_grad(in, 1) ? bmm(g, matrix_transpose(b2)) : Tensor(),
                                           needs_grad(in, 2) ? bmm(matrix_transpose(b1), g) : Tensor()};
                        });
}

// g [n,m] reaches every batch's product: d/db1[b] = g b2[b]^T, d/db2[b] = b1[b]^T g.
Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
              const Scalar& alpha) {
  return scaled_product("AddbmmBackward", input, batch1, batch2, beta, alpha, native::addbmm,
                        [](const Tensor& g, const Tensor& b1, const Tensor& b2, const auto& in) {
                          return std::pair{needs_grad(in, 1) ? matmul(g, matrix_transpose(b2)) : Tensor(),
                                           needs_grad(in, 2) ? matmul(matrix_transpose(b1), g) : Tensor()};
                        });
}

Tensor Tensor::addmm(const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) const {
  return ember::addmm(*this, mat1, mat2, beta, alpha);
}
Tensor Tensor::addmv(const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) const {
  return ember::addmv(*this, mat, vec, beta, alpha);
}
Tensor Tensor::mv(const Tensor& vec) const { return ember::mv(*this, vec); }
Tensor Tensor::addr(const Tensor& vec1, const Tensor& vec2, const Scalar& beta, const Scalar& alpha) const {
  return ember::addr(*this, vec1, vec2, beta, alpha);
}
Tensor Tensor::baddbmm(const Tensor& batch1, const Tensor& batch2, const Scalar& beta, const Scalar& alpha) const {
  return ember::baddbmm(*this, batch1, batch2, beta, alpha);
}
Tensor Tensor::addbmm(const Tensor& batch1, const Tensor& batch2, const Scalar& beta, const Scalar& alpha) const {
  return ember::addbmm(*this, batch1, batch2, beta, alpha);
}

// In place: the product computed on self's value and written back (it must have self's
// shape and a dtype castable to self's), recorded as the composed in-place math ops are
// (Note [In-place math] in autograd/functions/math.cpp).
Tensor& Tensor::addmm_(const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  return autograd::composed_inplace("AddmmBackward", *this, [&] { return ember::addmm(*this, mat1, mat2, beta, alpha); });
}
Tensor& Tensor::addmv_(const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  return autograd::composed_inplace("AddmvBackward", *this, [&] { return ember::addmv(*this, mat, vec, beta, alpha); });
}
Tensor& Tensor::addr_(const Tensor& vec1, const Tensor& vec2, const Scalar& beta, const Scalar& alpha) {
  return autograd::composed_inplace("AddrBackward", *this, [&] { return ember::addr(*this, vec1, vec2, beta, alpha); });
}
Tensor& Tensor::baddbmm_(const Tensor& batch1, const Tensor& batch2, const Scalar& beta, const Scalar& alpha) {
  return autograd::composed_inplace("BaddbmmBackward", *this,
                                    [&] { return ember::baddbmm(*this, batch1, batch2, beta, alpha); });
}
Tensor& Tensor::addbmm_(const Tensor& batch1, const Tensor& batch2, const Scalar& beta, const Scalar& alpha) {
  return autograd::composed_inplace("AddbmmBackward", *this,
                                    [&] { return ember::addbmm(*this, batch1, batch2, beta, alpha); });
}

}  // namespace ember
