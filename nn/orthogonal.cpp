// torch.nn.utils.parametrizations.orthogonal: a weight kept orthogonal through the matrix
// exponential, the Cayley map or a product of Householder reflectors, with PyTorch's
// trivialization (the "base" buffer) and its keys (Note [Parametrizations] in nn/parametrize.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/linalg_ops.h"
#include "core/ops.h"
#include "nn/parametrize.h"

namespace ember::nn::utils::parametrizations {
namespace {

enum class OrthogonalMap { matrix_exp, cayley, householder };

// t's batch dims (all but the last two) followed by `last`.
Dims with_batch(const Tensor& t, std::initializer_list<int64_t> last) {
  Dims out(t.sizes().data(), t.sizes().size() - 2);
  for (const int64_t size : last) out.push_back(size);
  return out;
}

// PyTorch's _make_orthogonal: Q of the QR decomposition with R's diagonal made positive.
Tensor make_orthogonal(const Tensor& A) {
  const auto [Q, R] = linalg::qr(A);
  return Q * sgn(diagonal(R, 0, -2, -1)).unsqueeze(-2);
}

// PyTorch's _is_orthogonal: Q^T Q = I within 10 n eps.
bool is_orthogonal(const Tensor& Q) {
  const int64_t n = Q.size(-1);
  const double eps = 10.0 * static_cast<double>(n) *
                     (Q.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                            : static_cast<double>(std::numeric_limits<float>::epsilon()));
  return allclose(matmul(Q.mT(), Q), eye(n, Q.options()).expand(with_batch(Q, {n, n})), 1e-5, eps);
}

// The householder map's value that gives Q (n >= k): LAPACK's geqrf of Q (R on and above the
// diagonal, the reflectors below it, each with an implied one at i), then, as PyTorch's
// right_inverse, the diagonal set to R's signs, flipped where no reflection was needed
// (tau = 0), so that the map's diag(R) > 0. Computed in double on the host, without history.
Tensor householder_right_inverse(const Tensor& Q) {
  const int64_t n = Q.size(-2), k = Q.size(-1);
  Tensor A = Q.to(kFloat64).cpu().contiguous().clone();
  const int64_t batches = A.numel() / std::max<int64_t>(n * k, 1);
  double* a_all = A.data_ptr<double>();
  for (int64_t b = 0; b < batches; ++b) {
    double* a = a_all + b * n * k;
    const auto at = [a, k](int64_t r, int64_t c) -> double& { return a[r * k + c]; };
    for (int64_t j = 0; j < k; ++j) {
      double xnorm = 0;
      for (int64_t r = j + 1; r < n; ++r) xnorm = std::hypot(xnorm, at(r, j));
      const double alpha = at(j, j);
      if (xnorm == 0) {  // tau = 0: no reflection
        at(j, j) = alpha > 0 ? -1.0 : alpha < 0 ? 1.0 : 0.0;
        continue;
      }
      const double beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
      const double tau = (beta - alpha) / beta;
      for (int64_t r = j + 1; r < n; ++r) at(r, j) /= (alpha - beta);
      for (int64_t c = j + 1; c < k; ++c) {  // H = I - tau v v^T on the columns to the right
        double dot = at(j, c);
        for (int64_t r = j + 1; r < n; ++r) dot += at(r, j) * at(r, c);
        at(j, c) -= tau * dot;
        for (int64_t r = j + 1; r < n; ++r) at(r, c) -= tau * dot * at(r, j);
      }
      at(j, j) = beta > 0 ? 1.0 : -1.0;
    }
  }
  return A.to(Q.dtype()).to(Q.device());
}

// PyTorch's _Orthogonal.
class OrthogonalParametrization : public Parametrization {
 public:
  OrthogonalParametrization(const Tensor& weight, OrthogonalMap map, bool use_trivialization)
      : Parametrization("_Orthogonal"), shape_(weight.sizes()), map_(map) {
    if (use_trivialization) base_ = &register_buffer("base", Tensor());
  }
  // Without the trivialization only householder can take a value, as PyTorch's (whose
  // right_inverse raises NotImplementedError, which registration takes as "none").
  bool has_right_inverse() const override { return base_ != nullptr || map_ == OrthogonalMap::householder; }

  Tensor forward(const Tensor& input) override {
    Tensor X = input;
    int64_t n = X.size(-2), k = X.size(-1);
    const bool transposed = n < k;
    if (transposed) {
      X = X.mT();
      std::swap(n, k);
    }
    Tensor Q;
    if (map_ == OrthogonalMap::householder) {
      const Tensor A = tril(X, -1);
      const Tensor tau = 2.0 / (1.0 + (A * A).sum({-2}));
      // The diagonal holds +-1 and takes no gradient (PyTorch's .int(): truncated toward zero).
      Q = linalg::householder_product(A, tau) * diagonal(X, 0, -2, -1).detach().to(kInt64).unsqueeze(-2);
    } else {
      X = tril(X);
      if (n != k) X = cat({X, zeros(with_batch(X, {n, n - k}), X.options())}, -1);
      const Tensor A = X - X.mT();  // skew-symmetric
      if (map_ == OrthogonalMap::matrix_exp) {
        Q = linalg::matrix_exp(A);
      } else {  // Cayley: (I - A/2)^-1 (I + A/2)
        const Tensor I = eye(n, A.options());
        Q = linalg::solve(I - 0.5 * A, I + 0.5 * A);
      }
      if (n != k) Q = Q.narrow(-1, 0, k);
    }
    if (base_ != nullptr) Q = matmul(*base_, Q);
    return transposed ? Q.mT() : Q;
  }

  std::vector<Tensor> right_inverse(const Tensor& value) override {
    NoGradGuard no_grad;
    EMBER_CHECK(value.sizes() == shape_, "Expected a matrix or batch of matrices of shape ", shape_,
                ". Got a tensor of shape ", value.sizes(), ".");
    Tensor Q = value.detach();
    int64_t n = Q.size(-2), k = Q.size(-1);
    const bool transposed = n < k;
    if (transposed) {
      Q = Q.mT();
      std::swap(n, k);
    }
    if (base_ == nullptr) {
      EMBER_CHECK(map_ == OrthogonalMap::householder,
                  "It is not possible to assign to the matrix exponential or the Cayley parametrizations when "
                  "use_trivialization=False.");  // unreachable through has_right_inverse, PyTorch's words
      const Tensor A = householder_right_inverse(Q);
      return {transposed ? A.mT().contiguous() : A};
    }
    if (n == k) {
      Q = is_orthogonal(Q) ? Q.clone() : make_orthogonal(Q);
    } else {  // completed to an n x n orthogonal matrix
      Q = make_orthogonal(cat({Q, randn(with_batch(Q, {n, n - k}), Q.options())}, -1));
    }
    *base_ = Q;
    // -I: the householder map of zeros below the diagonal is then I, and the weight base.
    const Tensor minus_identity = -eye(shape_[shape_.size() - 2], shape_.back(), value.options());
    return {minus_identity.expand(shape_).contiguous()};
  }

 private:
  Dims shape_;
  OrthogonalMap map_;
  Tensor* base_ = nullptr;
};

}  // namespace

Module& orthogonal(Module& module, const std::string& name, std::optional<std::string> orthogonal_map,
                   bool use_trivialization) {
  const Tensor weight = module.get_parameter(name);
  EMBER_CHECK(weight.dim() >= 2, "Expected a matrix or batch of matrices. Got a tensor of ", weight.dim(),
              " dimensions.");
  const std::string map_name =
      orthogonal_map.value_or(weight.size(-2) == weight.size(-1) ? "matrix_exp" : "householder");
  OrthogonalMap map;
  if (map_name == "matrix_exp") {
    map = OrthogonalMap::matrix_exp;
  } else if (map_name == "cayley") {
    map = OrthogonalMap::cayley;
  } else if (map_name == "householder") {
    map = OrthogonalMap::householder;
  } else {
    EMBER_FAIL("orthogonal_map has to be one of \"matrix_exp\", \"cayley\", \"householder\". Got: ", map_name);
  }
  return parametrize::register_parametrization(
      module, name, std::make_shared<OrthogonalParametrization>(weight, map, use_trivialization), /*unsafe=*/true);
}

}  // namespace ember::nn::utils::parametrizations
