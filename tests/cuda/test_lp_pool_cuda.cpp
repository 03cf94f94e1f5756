// LPPool1d/2d/3d, RReLU and Softmax2d on CUDA (compositions of the pooling, elementwise and
// softmax kernels): values and gradients against the CPU in float64; RReLU's training slopes
// within [lower, upper] with its gradient. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(CudaLpPool, MatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(7);
  const Tensor x = rand({2, 3, 7, 9}, kFloat64) + 0.25;
  testing::expect_cuda_matches_cpu({x}, [](const auto& in) { return F::lp_pool2d(in[0], 2, {2, 3}, {2, 2}); });
  testing::expect_cuda_matches_cpu({x}, [](const auto& in) { return F::lp_pool2d(in[0], 3.5, 3, {}, true); });
  testing::expect_cuda_matches_cpu({x.view({6, 7, 9})}, [](const auto& in) { return F::lp_pool1d(in[0], 1.5, 2); });
  testing::expect_cuda_matches_cpu({x.view({2, 3, 7, 3, 3})}, [](const auto& in) {
    return F::lp_pool3d(in[0], 2, {2, 1, 2}, 1);
  });
  testing::expect_cuda_matches_cpu({x - 0.75}, [](const auto& in) { return nn::Softmax2d().forward(in[0]); });
  testing::expect_cuda_matches_cpu({x - 0.75}, [](const auto& in) { return F::rrelu(in[0], 0.1, 0.3, false); });
}

TEST(CudaLpPool, RReLUTrainingSlopesOnCuda) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = (-rand({4096}, kFloat64) - 0.01).cuda().requires_grad_(true);
  const Tensor y = F::rrelu(x, 0.1, 0.3, true);
  EXPECT_TRUE(y.is_cuda());
  y.sum().backward();
  const Tensor slope = (y.detach() / x.detach()).cpu();
  EXPECT_GE(slope.min().item<double>(), 0.1 - 1e-12);
  EXPECT_LE(slope.max().item<double>(), 0.3 + 1e-12);
  EXPECT_TRUE(allclose(x.grad().cpu(), slope, 1e-12, 1e-12));
  EXPECT_NEAR(slope.mean().item<double>(), 0.2, 0.01);
}

}  // namespace
}  // namespace ember
