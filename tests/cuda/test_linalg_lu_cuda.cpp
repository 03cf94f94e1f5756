// linalg::det, slogdet, solve, inv, cholesky, matrix_power, matrix_norm, lu / lu_factor /
// lu_solve, solve_triangular, cholesky_solve and matrix_exp on CUDA (Note [LU-based linalg]:
// tensor ops, so the device's own kernels): values, gradients and a
// Hessian-vector product equal the CPU's, and a singular matrix is the same error. Skipped
// without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "support/linalg_helpers.h"

namespace ember {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(CudaLinalgLu, ValuesAndGradientsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  manual_seed(11);
  const Tensor A = randn({3, 5, 5}, kFloat64) + eye(5, kFloat64) * 2.0;
  const Tensor B = randn({3, 5, 2}, kFloat64);
  const Tensor probe = randn({3, 5, 5}, kFloat64);
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&, const Tensor&)>>> ops{
      {"det", [](const Tensor& a, const Tensor&) { return linalg::det(a); }},
      {"slogdet", [](const Tensor& a, const Tensor&) { return linalg::slogdet(a).second; }},
      {"inv", [](const Tensor& a, const Tensor&) { return linalg::inv(a); }},
      {"solve", [](const Tensor& a, const Tensor& b) { return linalg::solve(a, b); }},
      {"cholesky of a A^T + I",
       [](const Tensor& a, const Tensor&) {
         return linalg::cholesky(matmul(a, a.transpose(-2, -1)) + eye(5, TensorOptions(kFloat64).device(a.device())));
       }},
      {"matrix_power(-2) and matrix_norm",
       [](const Tensor& a, const Tensor&) {
         return linalg::matrix_power(a, -2) * linalg::matrix_norm(a).unsqueeze(-1).unsqueeze(-1);
       }},
      {"lu and lu_solve",
       [](const Tensor& a, const Tensor& b) {
         const auto [P, L, U] = linalg::lu(a);
         const auto [LU, pivots] = linalg::lu_factor(a);
         return cat({L.flatten(), U.flatten(), linalg::lu_solve(LU, pivots, b).flatten(),
                     linalg::lu_solve(LU, pivots, b.transpose(-2, -1), false, true).flatten()});
       }},
      {"solve_triangular, cholesky_solve and matrix_exp",
       [](const Tensor& a, const Tensor& b) {
         const Tensor spd = matmul(a, a.transpose(-2, -1)) + eye(5, TensorOptions(kFloat64).device(a.device()));
         return cat({linalg::solve_triangular(a, b, true).flatten(),
                     linalg::solve_triangular(a, b.transpose(-2, -1), false, false, true).flatten(),
                     cholesky_solve(b, linalg::cholesky(spd)).flatten(), linalg::matrix_exp(a * 0.5).flatten()});
       }},
  };
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    testing::expect_cuda_matches_cpu([&, op = op](const Tensor& a) { return op(a, B.to(a.device())); }, A, probe);
  }
  const Tensor singular = tensor(std::vector<double>{1., 2., 2., 4.}, {2, 2}).cuda();
  EXPECT_EMBER_ERROR(linalg::inv(singular), "linalg.inv: The diagonal element 2 is zero");
  EXPECT_EQ(linalg::det(singular).cpu().item<double>(), 0.0);
}

}  // namespace
}  // namespace ember
