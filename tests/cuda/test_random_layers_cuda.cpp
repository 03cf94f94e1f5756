// On CUDA: alpha_dropout / feature_alpha_dropout (bernoulli on the device and elementwise
// ops: PyTorch's two output values, the gradient), gumbel_softmax (rows summing to 1, hard
// one-hot rows) and pdist against the CPU in float64. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(CudaRandomLayers, AlphaDropoutAndGumbelSoftmaxRunOnTheDevice) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(5);
  const Tensor x = ones({10000}, kFloat64).cuda().requires_grad_(true);
  const Tensor y = F::alpha_dropout(x, 0.2, true);
  EXPECT_TRUE(y.is_cuda());
  // Every element is PyTorch's kept (1.1879...) or dropped (-1.2361...) value.
  const Tensor kept = (y - 1.1879435455876273).abs() < 1e-14;
  const Tensor dropped = (y + 1.2361598485763778).abs() < 1e-14;
  EXPECT_TRUE((kept | dropped).all().item<bool>());
  EXPECT_NEAR(kept.to(kFloat64).mean().item<double>(), 0.8, 0.03);
  y.sum().backward();
  const double a = 1.0 / std::sqrt((1.7580993408473766 * 1.7580993408473766 * 0.2 + 1.0) * 0.8);
  EXPECT_TRUE(equal(x.grad(), kept.to(kFloat64) * a));
  // feature form: one value per [n, c] plane
  const Tensor z = F::feature_alpha_dropout(ones({4, 8, 3, 3}).cuda(), 0.5, true).reshape({32, 9});
  EXPECT_TRUE(equal(z, z.select(1, 0).unsqueeze(1).expand({32, 9})));

  const Tensor logits = randn({256, 7}, kFloat64).cuda();
  const Tensor soft = F::gumbel_softmax(logits, 0.5, false);
  EXPECT_TRUE(soft.is_cuda());
  EXPECT_LT(testing::max_abs_diff(soft.sum(Dims{1}).cpu(), ones({256}, kFloat64)), 1e-12);
  const Tensor hard = F::gumbel_softmax(logits, 0.5, true);
  EXPECT_TRUE(equal(hard.sum(Dims{1}).cpu(), ones({256}, kFloat64)));
}

TEST(CudaRandomLayers, PdistMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(6);
  const Tensor x = randn({9, 5}, kFloat64);
  for (const double p : {2.0, 1.0, 3.0, static_cast<double>(INFINITY)}) {
    testing::expect_cuda_matches_cpu({x}, [p](const auto& in) { return F::pdist(in[0], p); });
  }
}

}  // namespace
}  // namespace ember
