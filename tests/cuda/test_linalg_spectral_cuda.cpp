// linalg::eigh, svd, qr, pinv and the singular-value norms on CUDA (Note [Spectral linalg]:
// LAPACK on the host, the results copied back, the gradients tensor ops on the device):
// results live on the GPU and values, gradients and a Hessian-vector product equal the CPU's.
// Skipped without a GPU (or without LAPACK).
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(CudaLinalgSpectral, ValuesAndGradientsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  if (!linalg::has_lapack()) GTEST_SKIP() << "ember built without LAPACK";
  manual_seed(12);
  const Tensor A = randn({3, 5, 4}, kFloat64);
  const Tensor probe = randn({3, 5, 4}, kFloat64);
  using Op = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, Op>> ops{
      {"eigh of A^T A",
       [](const Tensor& a) {
         const auto [L, V] = linalg::eigh(matmul(a.transpose(-2, -1), a));
         return cat({L.flatten(), (V * V).flatten()});
       }},
      {"svd",
       [](const Tensor& a) {
         const auto [U, S, Vh] = linalg::svd(a, false);
         return cat({(U * U).flatten(), S.flatten(), (Vh * Vh).flatten()});
       }},
      {"qr",
       [](const Tensor& a) {
         const auto [Q, R] = linalg::qr(a);
         return cat({Q.flatten(), R.flatten()});
       }},
      {"pinv, nuclear norm and cond",
       [](const Tensor& a) {
         return linalg::pinv(a).flatten() * linalg::matrix_norm(a, "nuc").sum() * linalg::cond(a).sum();
       }},
  };
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    std::vector<Tensor> values, grads, hvps;
    for (const Device device : {Device::cpu(), Device::cuda()}) {
      Tensor a = A.to(device).detach().requires_grad_(true);  // a leaf on each device
      const Tensor y = op(a);
      EXPECT_EQ(y.device(), device);
      values.push_back(y.detach().cpu());
      const Tensor g = autograd::grad({y.sum()}, {a}, {}, std::nullopt, /*create_graph=*/true)[0];
      grads.push_back(g.detach().cpu());
      hvps.push_back(autograd::grad({(g * probe.to(device)).sum()}, {a})[0].cpu());
    }
    for (const auto* pair : {&values, &grads, &hvps}) {
      const Tensor& cpu = (*pair)[0];
      EXPECT_LT(testing::max_abs_diff(cpu, (*pair)[1]), 1e-10 * std::max(1.0, cpu.abs().max().item<double>()));
    }
  }
  EXPECT_EQ(linalg::matrix_rank(A.cuda()).device(), Device::cuda());
  EXPECT_EMBER_ERROR(linalg::svd(full({2, 2}, std::numeric_limits<double>::quiet_NaN(), kFloat64).cuda()),
                     "contained non-finite values");
}

}  // namespace
}  // namespace ember
