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

#include "support/linalg_helpers.h"

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
      {"eigh of A^T A", [](const Tensor& a) { return testing::sign_free_eigh(matmul(a.transpose(-2, -1), a)); }},
      {"svd", [](const Tensor& a) { return testing::sign_free_svd(a); }},
      {"qr", [](const Tensor& a) { return testing::joined_qr(a); }},
      {"pinv, nuclear norm and cond",
       [](const Tensor& a) {
         return linalg::pinv(a).flatten() * linalg::matrix_norm(a, "nuc").sum() * linalg::cond(a).sum();
       }},
  };
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    testing::expect_cuda_matches_cpu(op, A, probe);
  }
  EXPECT_EQ(linalg::matrix_rank(A.cuda()).device(), Device::cuda());
  EXPECT_EMBER_ERROR(linalg::svd(full({2, 2}, std::numeric_limits<double>::quiet_NaN(), kFloat64).cuda()),
                     "contained non-finite values");
}

}  // namespace
}  // namespace ember
