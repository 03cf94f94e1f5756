// nn/distributions.h's MultivariateNormal: the lower Cholesky factor L of the covariance
// (from the covariance, the precision or L itself), draws loc + L eps, and log_prob and
// entropy from L's triangular solves and its diagonal (Note [Distributions]).
#include <cmath>
#include <limits>
#include <numbers>

#include "autograd/functions/linalg_common.h"
#include "core/factories.h"
#include "core/linalg_ops.h"
#include "core/ops.h"
#include "nn/distributions.h"
#include "nn/distributions_detail.h"
#include "nn/functional/basic.h"

namespace ember::distributions {
namespace {

using linalg::detail::transposed;

// Whether all of the bools over dims are true (ember has no all(dims)); with `shape`, that
// flag repeated over it (a flag per element of a parameter: PyTorch's message names its shape).
Tensor all_over(const Tensor& flags, const Dims& dims) { return flags.to(kInt64).amin(dims).eq(1); }
Tensor all_over(const Tensor& flags, const Dims& dims, const Dims& shape) {
  return flags.to(kInt64).amin(dims, /*keepdim=*/true).eq(1).expand(shape);
}

// L of a precision matrix P = L^-T L^-1, as PyTorch's _precision_to_scale_tril: the
// Cholesky factor of P with its rows and columns reversed gives L^-1 upside down.
Tensor precision_to_scale_tril(const Tensor& P) {
  const Tensor flipped = linalg::cholesky(P.flip({-2, -1}));
  const Tensor L_inverse = transposed(flipped.flip({-2, -1}));
  const Tensor identity = eye(P.size(-1), TensorOptions(P.dtype()).device(P.device())).expand(P.sizes());
  return linalg::solve_triangular(L_inverse, identity, /*upper=*/false);
}

// Which of the three was given, checked as PyTorch does.
const Tensor& matrix_of(const CovarianceOptions& covariance) {
  const int given = static_cast<int>(covariance.covariance_matrix.defined()) +
                    static_cast<int>(covariance.precision_matrix.defined()) +
                    static_cast<int>(covariance.scale_tril.defined());
  EMBER_CHECK(given == 1, "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.");
  const Tensor& matrix = covariance.scale_tril.defined()          ? covariance.scale_tril
                         : covariance.covariance_matrix.defined() ? covariance.covariance_matrix
                                                                  : covariance.precision_matrix;
  EMBER_CHECK(matrix.dim() >= 2,
              covariance.scale_tril.defined()          ? "scale_tril matrix"
              : covariance.covariance_matrix.defined() ? "covariance_matrix"
                                                       : "precision_matrix",
              " must be at least two-dimensional, with optional leading batch dimensions");
  return matrix;
}

Dims batch_of(const Tensor& loc, const CovarianceOptions& covariance) {
  EMBER_CHECK(loc.dim() >= 1, "loc must be at least one-dimensional.");
  const Tensor& matrix = matrix_of(covariance);
  return broadcast_shapes(Dims(matrix.sizes().data(), matrix.sizes().size() - 2),
                          Dims(loc.sizes().data(), loc.sizes().size() - 1));
}

Dims event_of(const Tensor& loc) {
  EMBER_CHECK(loc.dim() >= 1, "loc must be at least one-dimensional.");
  return Dims{loc.size(-1)};
}

// |L^-1 x|^2 for x [..., k] against L [..., k, k] whose batch dims broadcast to x's, as PyTorch's
// _batch_mahalanobis: x's extra rows become right-hand columns of one triangular solve per
// matrix of L, so a shared L is never copied per row (L [i, 1, k, k] and x [..., i, j, k]
// solve i systems with ... * j columns).
Tensor mahalanobis(const Tensor& L, const Tensor& x) {
  const int64_t k = x.size(-1);
  if (x.numel() == 0 || L.numel() == 0) return zeros(Dims(x.sizes().data(), x.sizes().size() - 1), x.options());
  const int64_t x_batch_dims = x.dim() - 1, L_batch_dims = L.dim() - 2;
  const int64_t outer = x_batch_dims - L_batch_dims;
  EMBER_CHECK(outer >= 0, "MultivariateNormal: the value has fewer batch dims than the scale matrix");
  // x as [outer..., (x_d / L_d, L_d) per L batch dim..., k]
  std::vector<int64_t> split_shape(x.sizes().begin(), x.sizes().begin() + outer);
  for (int64_t d = 0; d < L_batch_dims; ++d) {
    const int64_t l_size = L.size(d), x_size = x.size(outer + d);
    split_shape.push_back(x_size / l_size);
    split_shape.push_back(l_size);
  }
  split_shape.push_back(k);
  const int64_t split_dims = outer + 2 * L_batch_dims;
  // move the L sizes last: [outer..., x_d / L_d..., L_d..., k]
  std::vector<int64_t> order;
  for (int64_t d = 0; d < outer; ++d) order.push_back(d);
  for (int64_t d = outer; d < split_dims; d += 2) order.push_back(d);
  for (int64_t d = outer + 1; d < split_dims; d += 2) order.push_back(d);
  order.push_back(split_dims);
  const Tensor moved = x.reshape(Dims(split_shape)).permute(Dims(order));
  const Tensor flat_L = L.reshape({-1, k, k});                       // [b, k, k]
  const Tensor columns = moved.reshape({-1, flat_L.size(0), k}).permute({1, 2, 0});  // [b, k, c]
  const Tensor solved = linalg::solve_triangular(flat_L, columns, /*upper=*/false);
  const Tensor squared = (solved * solved).sum(Dims{-2}).t();       // [c, b]
  // back to [outer..., (x_d / L_d, L_d)...], then x's batch shape
  const Dims moved_shape(moved.sizes().data(), moved.sizes().size() - 1);
  std::vector<int64_t> inverse;
  for (int64_t d = 0; d < outer; ++d) inverse.push_back(d);
  for (int64_t d = 0; d < L_batch_dims; ++d) {
    inverse.push_back(outer + d);
    inverse.push_back(outer + L_batch_dims + d);
  }
  Tensor restored = squared.reshape(moved_shape);
  if (!inverse.empty()) restored = restored.permute(Dims(inverse));
  return restored.reshape(Dims(x.sizes().data(), x.sizes().size() - 1));
}

Tensor half_log_det(const Tensor& L) { return diagonal(L, 0, -2, -1).log().sum(Dims{-1}); }

}  // namespace

MultivariateNormal::MultivariateNormal(const Tensor& loc, const CovarianceOptions& covariance,
                                       std::optional<bool> validate_args)
    : Distribution(batch_of(loc, covariance), event_of(loc), validate_args) {
  const Tensor& matrix = matrix_of(covariance);
  const int64_t k = loc.size(-1);
  EMBER_CHECK(matrix.size(-1) == k && matrix.size(-2) == k, "MultivariateNormal: the matrices must be ", k, " x ", k,
              " for loc's event size ", k, ", but got ", matrix.sizes());
  EMBER_CHECK(matrix.dtype() == loc.dtype() && (loc.dtype() == kFloat32 || loc.dtype() == kFloat64),
              "MultivariateNormal: expected loc and the matrix in one floating dtype, but got ",
              dtype_torch_name(loc.dtype()), " and ", dtype_torch_name(matrix.dtype()));
  // The parameters' broadcast shapes, which PyTorch's messages print (it expands first).
  Dims vector_shape = batch_shape(), matrix_shape = batch_shape();
  vector_shape.push_back(k);
  matrix_shape.push_back(k);
  matrix_shape.push_back(k);
  if (validate())
    check_parameter("loc", all_over(loc.eq(loc), Dims{-1}, loc.sizes()).expand(vector_shape),
                    "IndependentConstraint(Real(), 1)");
  Tensor L;
  if (covariance.scale_tril.defined()) {
    if (validate()) {
      const Tensor ok =
          all_over(matrix.tril().eq(matrix), Dims{-2, -1}) & all_over(diagonal(matrix, 0, -2, -1).gt(0.0), Dims{-1});
      check_parameter("scale_tril", ok.unsqueeze(-1).unsqueeze(-1).expand(matrix_shape), "LowerCholesky()");
    }
    L = matrix;
  } else {
    const char* name = covariance.covariance_matrix.defined() ? "covariance_matrix" : "precision_matrix";
    if (validate()) {
      // symmetric as torch.isclose(A, A^T, atol=1e-6) (rtol 1e-5, equal infinities close), and a Cholesky factor
      const Tensor mirrored = transposed(matrix);
      const Tensor close = (matrix - mirrored).abs().le(mirrored.abs() * 1e-5 + 1e-6) | matrix.eq(mirrored);
      const Tensor ok = all_over(close, Dims{-2, -1}) & linalg::cholesky_ex(matrix).second.eq(0);
      check_parameter(name, ok.unsqueeze(-1).unsqueeze(-1).expand(matrix_shape), "PositiveDefinite()");
    }
    L = covariance.covariance_matrix.defined() ? linalg::cholesky(matrix) : precision_to_scale_tril(matrix);
  }
  loc_ = loc.expand(vector_shape);
  unbroadcasted_scale_tril_ = L;
  scale_tril_ = L.expand(matrix_shape);
}

// Each formula on L itself, expanded to the batch only at the end (PyTorch's).
Tensor MultivariateNormal::covariance_matrix() const {
  const Tensor& L = unbroadcasted_scale_tril_;
  return matmul(L, transposed(L)).expand(scale_tril_.sizes());
}

Tensor MultivariateNormal::precision_matrix() const {
  return cholesky_inverse(unbroadcasted_scale_tril_).expand(scale_tril_.sizes());
}

Tensor MultivariateNormal::variance() const {
  const Tensor& L = unbroadcasted_scale_tril_;
  return (L * L).sum(Dims{-1}).expand(loc_.sizes());
}

Tensor MultivariateNormal::draw(const Dims& shape) const {
  const Tensor eps = randn(shape, TensorOptions(loc_.dtype()).device(loc_.device()));
  const Tensor& L = unbroadcasted_scale_tril_;
  // a shared L: one product of all the draws' rows with L^T
  const Tensor scaled = L.dim() == 2 ? matmul(eps, transposed(L)) : matmul(L, eps.unsqueeze(-1)).squeeze(-1);
  return loc_ + scaled;
}

Tensor MultivariateNormal::log_prob(const Tensor& value) const {
  check_value_shape(value);
  if (validate()) check_value(all_over(value.eq(value), Dims{-1}), "IndependentConstraint(Real(), 1)");
  const double k = static_cast<double>(event_shape()[0]);
  const Tensor& L = unbroadcasted_scale_tril_;
  return (mahalanobis(L, value - loc_) + k * std::log(2.0 * std::numbers::pi)) * -0.5 - half_log_det(L);
}

Tensor MultivariateNormal::entropy() const {
  const double k = static_cast<double>(event_shape()[0]);
  return (half_log_det(unbroadcasted_scale_tril_) + 0.5 * k * (1.0 + std::log(2.0 * std::numbers::pi)))
      .expand(batch_shape());
}

// ---------------------------------------------------------------- kl_divergence

namespace {

// KL(p || q) of two multivariate normals (PyTorch's _kl_multivariatenormal_multivariatenormal).
Tensor kl_multivariate_normal(const MultivariateNormal& p, const MultivariateNormal& q) {
  EMBER_CHECK(p.event_shape() == q.event_shape(),
              "KL-divergence between two Multivariate Normals with different event shapes cannot be computed");
  const int64_t k = p.event_shape()[0];
  const Tensor &p_L = p.unbroadcasted_scale_tril(), &q_L = q.unbroadcasted_scale_tril();
  const Tensor term1 = half_log_det(q_L) - half_log_det(p_L);
  const Dims p_batch(p_L.sizes().data(), p_L.sizes().size() - 2), q_batch(q_L.sizes().data(), q_L.sizes().size() - 2);
  Dims matrix_shape = broadcast_shapes(q_batch, p_batch);
  matrix_shape.push_back(k);
  matrix_shape.push_back(k);
  const Tensor ratio = linalg::solve_triangular(q_L.expand(matrix_shape), p_L.expand(matrix_shape), /*upper=*/false);
  const Tensor trace = (ratio * ratio).sum(Dims{-2, -1});
  return term1 + (trace + mahalanobis(q_L, q.loc() - p.loc()) - static_cast<double>(k)) * 0.5;
}

}  // namespace

Tensor kl_divergence(const Distribution& p, const Distribution& q) {
  if (const auto* a = dynamic_cast<const Normal*>(&p)) {
    if (const auto* b = dynamic_cast<const Normal*>(&q)) {
      const Tensor ratio = a->scale() / b->scale();
      const Tensor variance_ratio = ratio * ratio;
      const Tensor shift = (a->loc() - b->loc()) / b->scale();
      return (variance_ratio + shift * shift - 1.0 - variance_ratio.log()) * 0.5;
    }
  }
  if (const auto* a = dynamic_cast<const Uniform*>(&p)) {
    if (const auto* b = dynamic_cast<const Uniform*>(&q)) {
      const Tensor result = ((b->high() - b->low()) / (a->high() - a->low())).log();
      const Tensor outside = b->low().gt(a->low()) | b->high().lt(a->high());
      return where(outside, std::numeric_limits<double>::infinity(), result);
    }
  }
  if (const auto* a = dynamic_cast<const Bernoulli*>(&p)) {
    if (const auto* b = dynamic_cast<const Bernoulli*>(&q)) {
      const double inf = std::numeric_limits<double>::infinity();
      Tensor ones_term = a->probs() * (nn::functional::softplus(-b->logits()) - nn::functional::softplus(-a->logits()));
      ones_term = where(a->probs().eq(0.0), 0.0, where(b->probs().eq(0.0), inf, ones_term));
      Tensor zeros_term =
          (-a->probs() + 1.0) * (nn::functional::softplus(b->logits()) - nn::functional::softplus(a->logits()));
      zeros_term = where(a->probs().eq(1.0), 0.0, where(b->probs().eq(1.0), inf, zeros_term));
      return ones_term + zeros_term;
    }
  }
  if (const auto* a = dynamic_cast<const Categorical*>(&p)) {
    if (const auto* b = dynamic_cast<const Categorical*>(&q)) {
      Tensor terms = a->probs() * (a->logits() - b->logits());
      terms = where(a->probs().eq(0.0), 0.0, where(b->probs().eq(0.0), std::numeric_limits<double>::infinity(), terms));
      return terms.sum(Dims{-1});
    }
  }
  if (const auto* a = dynamic_cast<const MultivariateNormal*>(&p)) {
    if (const auto* b = dynamic_cast<const MultivariateNormal*>(&q)) return kl_multivariate_normal(*a, *b);
  }
  if (std::optional<Tensor> more = detail::kl_divergence_more(p, q)) return *more;
  EMBER_CHECK(false, "kl_divergence: NotImplementedError: no KL(p || q) is implemented for p ", p.name(), " and q ",
              q.name());
  return Tensor();
}

}  // namespace ember::distributions
