// Native matrix products: matmul (torch.matmul's 1-D, 2-D and broadcast-batched
// cases), mm and bmm, and the scaled ones (addmm, addmv, baddbmm, addbmm: the input
// as the GEMM's starting out, GemmScale's beta). Each checks shapes and dtypes, views its
// operands as [B,n,k] x [B,k,m] (broadcast batches stay stride-0 views) and runs the
// device's gemm.
#include <string_view>

#include "core/dispatch.h"
#include "core/native.h"

namespace ember::native {
namespace {

// The C type names PyTorch prints in its dtype-mismatch message.
std::string_view c_type_name(DType dt) {
  switch (dt) {
    case DType::Float32: return "float";
    case DType::Float64: return "double";
    case DType::Int64: return "long int";
    case DType::UInt8: return "unsigned char";
    case DType::Bool: return "bool";
    case DType::BFloat16: return "c10::BFloat16";
    case DType::Float16: return "c10::Half";
  }
  return "unknown";
}

void check_operands(const Tensor& a, const Tensor& b) {
  check_same_device(a, {&b});
  EMBER_CHECK(a.dtype() == b.dtype(), "expected m1 and m2 to have the same dtype, but got: ", c_type_name(a.dtype()),
              " != ", c_type_name(b.dtype()));
  EMBER_CHECK(is_floating(a.dtype()),
              "matmul: expected floating-point tensors (float32, float64, bfloat16 or float16), but got ",
              dtype_name(a.dtype()), " (integer matrix products are not supported yet)");
}

int64_t rows_of(const Tensor& t) { return t.size(t.dim() - 2); }
int64_t cols_of(const Tensor& t) { return t.size(t.dim() - 1); }

// a and b are at least 2-D: a's matrices must be as wide as b's are tall.
void check_multipliable(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(cols_of(a) == rows_of(b), "mat1 and mat2 shapes cannot be multiplied (", rows_of(a), "x", cols_of(a),
              " and ", rows_of(b), "x", cols_of(b), ")");
}

// [B,n,k] x [B,k,m] -> a new [B,n,m].
Tensor batched_gemm(const Tensor& a3, const Tensor& b3) {
  Tensor out = make_empty({a3.size(0), a3.size(1), b3.size(2)}, a3.dtype(), a3.device());
  device_ops(a3.device()).gemm(a3, b3, out, GemmScale{});
  return out;
}

// t ([..., r, c]) broadcast to batch + [r, c], as one batch dim of batch_numel. A 2-D t
// becomes a stride-0 batch (no copy); other batch dims merge as a view when they can.
Tensor to_batch3(const Tensor& t, const Dims& batch, int64_t batch_numel) {
  if (t.dim() == 2) return expand(unsqueeze(t, 0), {batch_numel, rows_of(t), cols_of(t)});
  Dims full = batch;
  full.push_back(rows_of(t));
  full.push_back(cols_of(t));
  return reshape(expand(t, full), {batch_numel, rows_of(t), cols_of(t)});
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 2, "self must be a matrix, but got a ", a.dim(), "-D tensor");
  EMBER_CHECK(b.dim() == 2, "mat2 must be a matrix, but got a ", b.dim(), "-D tensor");
  check_operands(a, b);
  check_multipliable(a, b);
  return view(batched_gemm(unsqueeze(a, 0), unsqueeze(b, 0)), {a.size(0), b.size(1)});
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 3, "batch1 must be a 3D tensor, but got a ", a.dim(), "-D tensor");
  EMBER_CHECK(b.dim() == 3, "batch2 must be a 3D tensor, but got a ", b.dim(), "-D tensor");
  check_operands(a, b);
  EMBER_CHECK(a.size(0) == b.size(0) && a.size(2) == b.size(1), "Expected size for first two dimensions of batch2 tensor to be: [", a.size(0),
              ", ", a.size(2), "] but got: [", b.size(0), ", ", b.size(1), "].");
  return batched_gemm(a, b);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() >= 1 && b.dim() >= 1, "both arguments to matmul need to be at least 1D, but they are ", a.dim(),
              "D and ", b.dim(), "D");
  check_operands(a, b);
  EMBER_CHECK(a.dim() != 1 || b.dim() != 1 || a.size(0) == b.size(0), "inconsistent tensor size, expected tensor [",
              a.size(0), "] and src [", b.size(0), "] to have the same number of elements, but got ", a.size(0),
              " and ", b.size(0), " elements respectively");
  // A vector is a one-row matrix on the left and a one-column matrix on the right;
  // that extra dim is dropped from the result.
  const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  check_multipliable(a2, b2);
  const Dims batch = broadcast_shapes(Dims(a2.sizes().data(), a2.sizes().size() - 2),
                                      Dims(b2.sizes().data(), b2.sizes().size() - 2));
  const int64_t batch_numel = shape_numel(batch);
  Tensor out = batched_gemm(to_batch3(a2, batch, batch_numel), to_batch3(b2, batch, batch_numel));
  Dims result_shape = batch;
  if (a.dim() > 1) result_shape.push_back(rows_of(a2));
  if (b.dim() > 1) result_shape.push_back(cols_of(b2));
  return view(out, result_shape);
}

}  // namespace ember::native

// ---------------------------------------------------------------- scaled products
namespace ember::native {
namespace {

// The input's dtype must be the product's (PyTorch's phrase for a mismatch).
void check_input(const Tensor& input, const Tensor& mat, const char* op) {
  check_same_device(mat, {&input}, op);
  EMBER_CHECK(input.dtype() == mat.dtype(), "self and mat2 must have the same dtype (", op,
              ": expected scalar type ", dtype_torch_name(mat.dtype()), " but found ",
              dtype_torch_name(input.dtype()), ")");
}

// The GEMM's out: input broadcast to `shape` and made dense (the GEMM adds to it), or,
// when beta is 0, uninitialised (the GEMM never reads it: NaN in input is not seen). Either
// way the input must broadcast to `shape`, as PyTorch checks.
Tensor gemm_out(const Tensor& input, const Dims& shape, double beta) {
  const Tensor broadcast = expand(input, shape);  // a view: the check only, at beta 0
  if (beta == 0) return make_empty(shape, input.dtype(), input.device());
  return clone(broadcast);
}

// out3 [B,n,m] = alpha * a3 @ b3 + beta * out3, in place.
void scaled_gemm(const Tensor& a3, const Tensor& b3, const Tensor& out3, const Scalar& beta, const Scalar& alpha) {
  device_ops(a3.device()).gemm(a3, b3, out3, GemmScale{alpha.to_double(), beta.to_double()});
}

}  // namespace

Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  EMBER_CHECK(mat1.dim() == 2, "mat1 must be a matrix, got ", mat1.dim(), "-D tensor");
  EMBER_CHECK(mat2.dim() == 2, "mat2 must be a matrix, got ", mat2.dim(), "-D tensor");
  check_operands(mat1, mat2);
  check_multipliable(mat1, mat2);
  check_input(input, mat1, "addmm");
  Tensor out = gemm_out(input, {mat1.size(0), mat2.size(1)}, beta.to_double());
  scaled_gemm(unsqueeze(mat1, 0), unsqueeze(mat2, 0), unsqueeze(out, 0), beta, alpha);
  return out;
}

Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  EMBER_CHECK(mat.dim() == 2 && vec.dim() == 1 && input.dim() <= 1, "vector + matrix @ vector expected, got ",
              input.dim(), ", ", mat.dim(), ", ", vec.dim());
  check_operands(mat, vec);
  const int64_t input_size = input.dim() == 0 ? 1 : input.size(0);
  EMBER_CHECK(mat.size(1) == vec.size(0) && (input_size == 1 || input_size == mat.size(0)),
              "size mismatch, got input (", input_size, "), mat (", mat.size(0), "x", mat.size(1), "), vec (",
              vec.size(0), ")");  // PyTorch 2.x's addmv wording
  check_input(input, mat, "addmv");
  Tensor out = gemm_out(input, {mat.size(0)}, beta.to_double());
  scaled_gemm(unsqueeze(mat, 0), view(vec, {1, vec.size(0), 1}), view(out, {1, mat.size(0), 1}), beta, alpha);
  return out;
}

Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
               const Scalar& alpha) {
  EMBER_CHECK(batch1.dim() == 3, "batch1 must be a 3D tensor");
  EMBER_CHECK(batch2.dim() == 3, "batch2 must be a 3D tensor");
  check_operands(batch1, batch2);
  EMBER_CHECK(batch1.size(0) == batch2.size(0) && batch1.size(2) == batch2.size(1),
              "Expected size for first two dimensions of batch2 tensor to be: [", batch1.size(0), ", ", batch1.size(2),
              "] but got: [", batch2.size(0), ", ", batch2.size(1), "].");
  check_input(input, batch1, "baddbmm");
  Tensor out = gemm_out(input, {batch1.size(0), batch1.size(1), batch2.size(2)}, beta.to_double());
  scaled_gemm(batch1, batch2, out, beta, alpha);
  return out;
}

// sum_b batch1[b] @ batch2[b] is one product [n, B*k] x [B*k, m]: batch1's matrices side
// by side, batch2's stacked.
Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
              const Scalar& alpha) {
  EMBER_CHECK(batch1.dim() == 3, "batch1 must be a 3D tensor");
  EMBER_CHECK(batch2.dim() == 3, "batch2 must be a 3D tensor");
  check_operands(batch1, batch2);
  EMBER_CHECK(batch1.size(0) == batch2.size(0), "batch1 and batch2 must have same number of batches, got ",
              batch1.size(0), " and ", batch2.size(0));
  EMBER_CHECK(batch1.size(2) == batch2.size(1), "Incompatible matrix sizes for bmm (", batch1.size(1), "x",
              batch1.size(2), " and ", batch2.size(1), "x", batch2.size(2), ")");
  check_input(input, batch1, "addbmm");
  const int64_t b = batch1.size(0), n = batch1.size(1), k = batch1.size(2), m = batch2.size(2);
  Tensor out = gemm_out(input, {n, m}, beta.to_double());
  const Tensor side_by_side = reshape(permute(batch1, {1, 0, 2}), {1, n, b * k});
  const Tensor stacked = reshape(batch2, {1, b * k, m});
  scaled_gemm(side_by_side, stacked, unsqueeze(out, 0), beta, alpha);
  return out;
}

}  // namespace ember::native
