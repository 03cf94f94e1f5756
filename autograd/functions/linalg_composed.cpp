// core/linalg_ops.h's matrix_power, cross, matrix_norm, norm, vecdot, vander, multi_dot,
// matrix_exp and householder_product: composed of matmul, inv, solve, narrow, cat, cumprod, svdvals and the
// reductions, so their devices, dtypes and gradients are those ops'.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/autocast.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/linalg_ops.h"
#include "core/ops.h"
#include "core/shape.h"

namespace ember::linalg {

Tensor matrix_power(const Tensor& A, int64_t n) {
  EMBER_CHECK(A.dim() >= 2, "linalg.matrix_power: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(A.size(-1) == A.size(-2), "linalg.matrix_power: A must be batches of square matrices, but they are ",
              A.size(-2), " by ", A.size(-1), " matrices");
  if (n == 0)
    return zeros(A.sizes(), TensorOptions(A.dtype()).device(A.device())) +
           eye(A.size(-1), TensorOptions(A.dtype()).device(A.device()));
  if (n == 1) return A.clone();
  // A^|n| (of inv(A) for n < 0) by squaring: the factor for each set bit of |n|
  Tensor base = n < 0 ? inv(A) : A, result;
  for (uint64_t e = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n); e != 0; e >>= 1) {
    if (e & 1) result = result.defined() ? matmul(result, base) : base;
    if (e > 1) base = matmul(base, base);
  }
  return result;
}

Tensor cross(const Tensor& a, const Tensor& b, int64_t dim) {
  EMBER_CHECK(a.dim() == b.dim(), "linalg.cross: inputs must have the same number of dimensions.");
  const Dims shape = broadcast_shapes(a.sizes(), b.sizes());
  const int64_t d = wrap_dim(dim, static_cast<int64_t>(shape.size()));
  EMBER_CHECK(a.size(d) == 3 && b.size(d) == 3, "linalg.cross: inputs dimension ", dim, " must have length 3. Got ",
              a.size(d), " and ", b.size(d));
  const Tensor x = a.expand(shape), y = b.expand(shape);
  const auto at = [d](const Tensor& t, int64_t i) { return t.narrow(d, i, 1); };
  return cat({at(x, 1) * at(y, 2) - at(x, 2) * at(y, 1), at(x, 2) * at(y, 0) - at(x, 0) * at(y, 2),
              at(x, 0) * at(y, 1) - at(x, 1) * at(y, 0)},
             d);
}

namespace {

// The checks every matrix norm makes, and its two dims wrapped.
std::pair<int64_t, int64_t> norm_dims(const Tensor& A, const Dims& dims) {
  EMBER_CHECK(A.dim() >= 2, "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(is_floating(A.dtype()), "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got ",
              dtype_torch_name(A.dtype()));
  EMBER_CHECK(dims.size() == 2, "linalg.matrix_norm: dim must be a 2-tuple. Got ", dims);
  const int64_t d0 = wrap_dim(dims[0], A.dim()), d1 = wrap_dim(dims[1], A.dim());
  EMBER_CHECK(d0 != d1, "linalg.matrix_norm: dims must be different. Got (", dims[0], ", ", dims[1], ")");
  return {d0, d1};
}

// max (or min) over `across` of the sums of |A| over `along`: 1 / -1 (columns: along the
// rows), inf / -inf (rows).
Tensor extreme_of_sums(const Tensor& A, int64_t along, int64_t across, bool largest, bool keepdim) {
  Tensor sums = A.abs().sum(Dims{along}, /*keepdim=*/true);
  Tensor out = largest ? sums.amax(Dims{across}, true) : sums.amin(Dims{across}, true);
  if (keepdim) return out;
  return out.squeeze(std::max(along, across)).squeeze(std::min(along, across));
}

// The sum ("nuc"), max (2) or min (-2) of the singular values of the matrices over d0, d1.
Tensor of_singular_values(const Tensor& A, int64_t d0, int64_t d1, int which, bool keepdim) {
  const Tensor S = svdvals(A.movedim({d0, d1}, {-2, -1}));
  Tensor out = which == 0 ? S.sum(Dims{-1}) : which > 0 ? S.amax(Dims{-1}) : S.amin(Dims{-1});
  if (keepdim) out = out.unsqueeze(std::min(d0, d1)).unsqueeze(std::max(d0, d1));
  return out;
}

}  // namespace

// Both forms are on PyTorch's autocast float32 list (linalg_matrix_norm): a 16-bit A is
// computed in float32 under autocast (and its SVD has no 16-bit kernel).
Tensor matrix_norm(const Tensor& A_in, std::string_view ord, const Dims& dims, bool keepdim) {
  const Tensor A = autocast::cast(autocast::CastPolicy::Float32, A_in);
  const auto [d0, d1] = norm_dims(A, dims);
  if (ord == "fro") return vector_norm(A, 2.0, Dims{d0, d1}, keepdim);
  if (ord == "nuc") return of_singular_values(A, d0, d1, 0, keepdim);
  EMBER_CHECK(false, "linalg.matrix_norm: Order ", ord, " not supported.");
  return Tensor();
}

Tensor matrix_norm(const Tensor& A_in, double ord, const Dims& dims, bool keepdim) {
  const Tensor A = autocast::cast(autocast::CastPolicy::Float32, A_in);
  const auto [d0, d1] = norm_dims(A, dims);
  if (ord == 1 || ord == -1) return extreme_of_sums(A, d0, d1, ord > 0, keepdim);
  if (std::isinf(ord)) return extreme_of_sums(A, d1, d0, ord > 0, keepdim);
  if (ord == 2 || ord == -2) return of_singular_values(A, d0, d1, ord > 0 ? 1 : -1, keepdim);
  EMBER_CHECK(false, "linalg.matrix_norm: Order ", ord, " not supported.");
  return Tensor();
}

namespace {

// The C++ type name PyTorch's multi_dot prints for a dtype.
std::string type_name(DType dtype) {
  switch (dtype) {
    case kFloat32:
      return "float";
    case kFloat64:
      return "double";
    case kInt64:
      return "long int";
    default:
      return std::string(dtype_torch_name(dtype));
  }
}

// The cheapest parenthesisation of a chain of matrices with `dims` (matrix i is dims[i] x
// dims[i + 1]): the textbook dynamic programme; split[i][j] is where chain i..j splits.
std::vector<std::vector<size_t>> cheapest_splits(const std::vector<int64_t>& dims) {
  const size_t count = dims.size() - 1;
  std::vector<std::vector<double>> cost(count, std::vector<double>(count, 0.0));
  std::vector<std::vector<size_t>> split(count, std::vector<size_t>(count, 0));
  for (size_t length = 2; length <= count; ++length) {
    for (size_t i = 0; i + length <= count; ++i) {
      const size_t j = i + length - 1;
      cost[i][j] = std::numeric_limits<double>::infinity();
      for (size_t k = i; k < j; ++k) {
        const double c =
            cost[i][k] + cost[k + 1][j] +
            static_cast<double>(dims[i]) * static_cast<double>(dims[k + 1]) * static_cast<double>(dims[j + 1]);
        if (c < cost[i][j]) {
          cost[i][j] = c;
          split[i][j] = k;
        }
      }
    }
  }
  return split;
}

Tensor multiply_chain(const std::vector<Tensor>& matrices, const std::vector<std::vector<size_t>>& split, size_t i,
                      size_t j) {
  if (i == j) return matrices[i];
  const size_t k = split[i][j];
  return matmul(multiply_chain(matrices, split, i, k), multiply_chain(matrices, split, k + 1, j));
}

}  // namespace

Tensor multi_dot(const std::vector<Tensor>& tensors) {
  const size_t count = tensors.size();
  EMBER_CHECK(count >= 2, "multi_dot(): expected at least 2 tensors but got ", count);
  for (const size_t i : {size_t{0}, count - 1}) {  // PyTorch checks the ends first
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.defined(), "multi_dot(): tensor ", i, " is undefined");
    EMBER_CHECK(t.dim() == 1 || t.dim() == 2, "multi_dot(): the ", i == 0 ? "first" : "last",
                " tensor must be 1D or 2D but got ", t.dim(), "D");
  }
  for (size_t i = 1; i + 1 < count; ++i) {
    EMBER_CHECK(tensors[i].defined(), "multi_dot(): tensor ", i, " is undefined");
    EMBER_CHECK(tensors[i].dim() == 2, "multi_dot(): tensor ", i, " must be 2D but got ", tensors[i].dim(), "D");
  }
  const bool row_first = tensors.front().dim() == 1, column_last = tensors.back().dim() == 1;
  std::vector<Tensor> matrices(tensors);
  if (row_first) matrices.front() = matrices.front().unsqueeze(0);
  if (column_last) matrices.back() = matrices.back().unsqueeze(1);
  // per tensor, as PyTorch's: its dtype, its device, then its shape against the one before
  std::vector<int64_t> dims{matrices[0].size(0)};
  for (size_t i = 0; i < count; ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.dtype() == tensors[0].dtype(),
                "multi_dot(): all tensors must have be the same dtype but tensor 0 is ", type_name(tensors[0].dtype()),
                " and tensor ", i, " ", type_name(t.dtype()));
    EMBER_CHECK(t.device() == tensors[0].device(), "multi_dot(): all tensors must be on the same device but tensor 0 ",
                "is on ", tensors[0].device(), " and tensor ", i, " on ", t.device());
    EMBER_CHECK(i == 0 || matrices[i].size(0) == dims.back(), "multi_dot(): tensors ", i - 1, " and ", i,
                " with shapes ", tensors[i - 1].sizes(), " and ", tensors[i].sizes(), " cannot be multiplied");
    dims.push_back(matrices[i].size(1));
  }
  Tensor out;
  if (count == 3) {  // as PyTorch: (A B) C unless A (B C) costs strictly less
    const double left =
        static_cast<double>(dims[0]) * dims[1] * dims[2] + static_cast<double>(dims[0]) * dims[2] * dims[3];
    const double right =
        static_cast<double>(dims[1]) * dims[2] * dims[3] + static_cast<double>(dims[0]) * dims[1] * dims[3];
    out = left <= right ? matmul(matmul(matrices[0], matrices[1]), matrices[2])
                        : matmul(matrices[0], matmul(matrices[1], matrices[2]));
  } else {
    out = multiply_chain(matrices, cheapest_splits(dims), 0, count - 1);
  }
  if (column_last) out = out.squeeze(1);
  if (row_first) out = out.squeeze(0);
  return out;
}

// Note [Matrix exponential]
// ~~~~~~~~~~~~~~~~~~~~~~~~~
// Higham's scaling and squaring (2005): each matrix A_i is divided by 2^s_i, s_i the least
// that brings its 1-norm under theta_13 = 5.37, the degree-13 Pade approximant
// r(X) = (V - U)^-1 (V + U) of e^X is taken (U the odd terms, V the even ones, from X^2, X^4,
// X^6), then squared s_i times: the batch squares max(s_i) times, a matrix keeping its value
// once its own s_i is reached (each squaring doubles the error, so one s for the whole batch
// would cost a small matrix beside a large one ~2^s ulps). The norms are read back to pick
// the s_i (a CUDA input synchronises once). The gradient is that of the computation
// (matmul, solve and where, to any order), within rounding of PyTorch's block-matrix formula.
Tensor matrix_exp(const Tensor& A) {
  EMBER_CHECK(A.dim() >= 2, "linalg.matrix_exp: The input tensor A must have at least 2 dimensions.");
  EMBER_CHECK(A.size(-1) == A.size(-2), "linalg.matrix_exp: A must be batches of square matrices, but they are ",
              A.size(-2), " by ", A.size(-1), " matrices");
  EMBER_CHECK(A.dtype() == kFloat32 || A.dtype() == kFloat64,
              "linalg.matrix_exp: Expected a floating point or complex tensor as input. Got ", dtype_torch_name(A.dtype()));
  if (A.numel() == 0) return A.clone();
  constexpr double kTheta13 = 5.371920351148152;
  constexpr double b[14] = {64764752532480000.,
                            32382376266240000.,
                            7771770303897600.,
                            1187353796428800.,
                            129060195264000.,
                            10559470521600.,
                            670442572800.,
                            33522128640.,
                            1323241920.,
                            40840800.,
                            960960.,
                            16380.,
                            182.,
                            1.};
  const Dims batch(A.sizes().data(), A.sizes().size() - 2);
  std::vector<double> norms;
  {
    NoGradGuard no_grad;
    norms = A.detach().abs().sum(Dims{-2}).amax(Dims{-1}).to(kFloat64).reshape({-1}).cpu().to_vector<double>();
  }
  // s_i (0 for a non-finite norm: its NaN or inf carries through), and 2^-s_i
  std::vector<double> squarings(norms.size()), scales(norms.size());
  double most = 0;
  for (size_t i = 0; i < norms.size(); ++i) {
    squarings[i] = std::isfinite(norms[i]) && norms[i] > kTheta13 ? std::ceil(std::log2(norms[i] / kTheta13)) : 0.0;
    scales[i] = std::ldexp(1.0, -static_cast<int>(squarings[i]));
    most = std::max(most, squarings[i]);
  }
  const TensorOptions options = TensorOptions(A.dtype()).device(A.device());
  Dims per_matrix = batch;
  per_matrix.push_back(1);
  per_matrix.push_back(1);
  const Tensor X = most > 0 ? A * tensor(scales, per_matrix, kFloat64).to(A.device(), A.dtype()) : A;
  const Tensor I = eye(A.size(-1), options);
  const Tensor X2 = matmul(X, X), X4 = matmul(X2, X2), X6 = matmul(X4, X2);
  const Tensor U =
      matmul(X, matmul(X6, X6 * b[13] + X4 * b[11] + X2 * b[9]) + X6 * b[7] + X4 * b[5] + X2 * b[3] + I * b[1]);
  const Tensor V = matmul(X6, X6 * b[12] + X4 * b[10] + X2 * b[8]) + X6 * b[6] + X4 * b[4] + X2 * b[2] + I * b[0];
  Tensor R = solve(V - U, V + U);
  const bool same_for_all = std::all_of(squarings.begin(), squarings.end(), [&](double s) { return s == most; });
  const Tensor needed = same_for_all ? Tensor() : tensor(squarings, per_matrix, kFloat64).to(A.device());
  for (int step = 0; step < static_cast<int>(most); ++step) {
    const Tensor squared = matmul(R, R);
    R = same_for_all ? squared : where(needed > static_cast<double>(step), squared, R);
  }
  return R;
}

Tensor norm(const Tensor& A, std::optional<double> ord, std::optional<Dims> dims, bool keepdim) {
  if (dims) {
    EMBER_CHECK(dims->size() == 1 || dims->size() == 2,
                "linalg.norm: If dim is specified, it must be of length 1 or 2. ", "Got ", *dims);
    if (dims->size() == 2 && ord) return matrix_norm(A, *ord, *dims, keepdim);
    return vector_norm(A, ord.value_or(2.0), *dims, keepdim);
  }
  if (!ord) return vector_norm(A, 2.0, Dims{}, keepdim);
  EMBER_CHECK(A.dim() == 1 || A.dim() == 2,
              "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got ", A.dim(), "D.");
  return A.dim() == 2 ? matrix_norm(A, *ord, {-2, -1}, keepdim) : vector_norm(A, *ord, Dims{0}, keepdim);
}

Tensor norm(const Tensor& A, std::string_view ord, std::optional<Dims> dims, bool keepdim) {
  EMBER_CHECK(dims || A.dim() == 1 || A.dim() == 2,
              "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got ", A.dim(), "D.");
  return matrix_norm(A, ord, dims.value_or(Dims{-2, -1}), keepdim);
}

Tensor vecdot(const Tensor& x_in, const Tensor& y_in, int64_t dim) {
  // On PyTorch's autocast lower-precision list: the products in bf16, summed in float, and
  // a bf16 result (its sum is not the float32-list sum).
  const auto [x, y] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, y_in);
  const AutocastGuard off(x.device(), kBFloat16, /*enabled=*/false);
  EMBER_CHECK(x.dtype() == y.dtype(), "linalg.vecdot: Expected x and y to have the same dtype, but found x of type ",
              dtype_torch_name(x.dtype()), " and y of type ", dtype_torch_name(y.dtype()), " instead");
  return (x * y).sum(Dims{dim});
}

Tensor vander(const Tensor& x, std::optional<int64_t> N) {
  EMBER_CHECK(x.dtype() != kBool && !is_reduced_float(x.dtype()),
              "linalg.vander supports floating point, complex, and integer tensors, but got ",
              dtype_torch_name(x.dtype()));
  const Tensor vector = x.dim() == 0 ? x.unsqueeze(0) : x;  // a 0-d x is one element, as PyTorch's
  const int64_t count = N.value_or(vector.size(-1));
  EMBER_CHECK(count > 1, "N must be greater than 1.");
  // [1, x, x, ...] multiplied along the last dim: x^0 ... x^(N-1)
  const Tensor columns = vector.unsqueeze(-1);
  Dims shape = columns.sizes();
  shape[shape.size() - 1] = count - 1;
  return cat({ones_like(columns), columns.expand(shape)}, -1).cumprod(-1);
}

Tensor tensorinv(const Tensor& A, int64_t ind) {
  EMBER_CHECK(ind > 0, "Expected a strictly positive integer for 'ind', but got ", ind);
  EMBER_CHECK(ind <= A.dim(), "Expected ind to be at most the number of dimensions (", A.dim(), "), but got ", ind);
  const Dims front(A.sizes().data(), static_cast<size_t>(ind));
  const Dims back(A.sizes().data() + ind, A.sizes().size() - static_cast<size_t>(ind));
  const int64_t rows = shape_numel(front), cols = shape_numel(back);
  EMBER_CHECK(rows == cols,
              "Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), ", "but got ",
              cols, " != ", rows);
  Dims shape = back;
  for (const int64_t size : front) shape.push_back(size);
  return inv(A.reshape({rows, cols})).reshape(shape);
}

Tensor tensorsolve(const Tensor& A, const Tensor& B, std::optional<Dims> dims) {
  Tensor a = A;
  if (dims) {  // the named dims to the end, in their order
    std::vector<int64_t> source(dims->begin(), dims->end()), destination;
    for (size_t i = 0; i < source.size(); ++i)
      destination.push_back(A.dim() - static_cast<int64_t>(source.size()) + static_cast<int64_t>(i));
    a = A.movedim(source, destination);
  }
  EMBER_CHECK(B.dim() <= a.dim(), "tensorsolve: B has more dimensions (", B.dim(), ") than A (", a.dim(), ")");
  const Dims result(a.sizes().data() + B.dim(), a.sizes().size() - static_cast<size_t>(B.dim()));
  const int64_t unknowns = shape_numel(result), equations = B.numel();
  EMBER_CHECK(
      unknowns == equations,
      "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
      "but got ",
      unknowns, " != ", equations);
  return solve(a.reshape({equations, unknowns}), B.reshape({-1})).reshape(result);
}

// LAPACK's orgqr as recorded ops, so gradients reach the reflectors: Q starts as the identity
// and each reflector multiplies it on the right.
Tensor householder_product(const Tensor& V, const Tensor& tau) {
  const char* op = "torch.linalg.householder_product";
  EMBER_CHECK(V.defined() && tau.defined(), op, ": expected defined tensors");
  EMBER_CHECK(V.dim() >= 2, op, ": input must have at least 2 dimensions.");
  EMBER_CHECK(V.size(-2) >= V.size(-1), op, ": input.shape[-2] must be greater than or equal to input.shape[-1]");
  EMBER_CHECK(tau.dim() == V.dim() - 1, op, ": Expected tau to have one dimension less than input, but got tau.ndim ",
              "equal to ", tau.dim(), " and input.ndim is equal to ", V.dim());
  EMBER_CHECK(V.size(-1) >= tau.size(-1), op, ": input.shape[-1] must be greater than or equal to tau.shape[-1]");
  const Dims batch(V.sizes().data(), V.sizes().size() - 2);
  EMBER_CHECK(Dims(tau.sizes().data(), tau.sizes().size() - 1) == batch, op,
              ": Expected batch dimensions of tau to be equal to input.shape[:-2], but got ",
              Dims(tau.sizes().data(), tau.sizes().size() - 1));
  EMBER_CHECK(tau.dtype() == V.dtype(), op, ": tau dtype ", dtype_torch_name(tau.dtype()),
              " does not match input dtype ", dtype_torch_name(V.dtype()));
  EMBER_CHECK(is_floating(V.dtype()), op, ": expected a floating-point input, but got ", dtype_torch_name(V.dtype()));
  const int64_t m = V.size(-2), n = V.size(-1), k = tau.size(-1);
  const auto with_batch = [&](std::initializer_list<int64_t> last) {
    Dims out = batch;
    for (const int64_t size : last) out.push_back(size);
    return out;
  };
  const TensorOptions options = TensorOptions(V.dtype()).device(V.device());
  Tensor Q = eye(m, options).expand(with_batch({m, m}));
  for (int64_t i = 0; i < k; ++i) {
    std::vector<Tensor> parts;
    if (i > 0) parts.push_back(zeros(with_batch({i}), options));
    parts.push_back(ones(with_batch({1}), options));
    if (i + 1 < m) parts.push_back(V.select(-1, i).narrow(-1, i + 1, m - i - 1));
    const Tensor v = cat(parts, -1);
    const Tensor Qv = matmul(Q, v.unsqueeze(-1));
    Q = Q - tau.select(-1, i).unsqueeze(-1).unsqueeze(-1) * matmul(Qv, v.unsqueeze(-2));
  }
  return Q.narrow(-1, 0, n);
}

}  // namespace ember::linalg
