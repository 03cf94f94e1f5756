// ember::distributions on CUDA (Note [Distributions]: tensor ops on the parameters' device):
// draws land on the GPU with their shapes, and log_prob, entropy, kl_divergence and their
// gradients equal the CPU's. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <vector>

#include "support/linalg_helpers.h"

namespace ember {
namespace {

namespace D = ember::distributions;

TEST(CudaDistributions, ValuesGradientsAndDrawsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(61);
  const Tensor loc = randn({4, 3}, kFloat64), raw = randn({3, 3}, kFloat64), probe = randn({4, 3}, kFloat64);
  const Tensor covariance = matmul(raw, raw.t()) + eye(3, kFloat64);
  const auto op = [&](const Tensor& x) {
    const TensorOptions on = TensorOptions(kFloat64).device(x.device());
    const D::Normal normal(x, x.abs() + 0.5);
    const D::Categorical categorical({.logits = x});
    const D::Bernoulli bernoulli({.logits = x});
    const D::MultivariateNormal mvn(x, {.covariance_matrix = covariance.to(x.device())});
    const D::MultivariateNormal standard(zeros({3}, on), {.scale_tril = eye(3, on)});
    const Tensor values = ones({4, 3}, on) * 0.25;
    return cat({normal.log_prob(values).flatten(), normal.entropy().flatten(),
                categorical.log_prob(tensor(std::vector<int64_t>{0, 1, 2, 1}, {4}).to(x.device())),
                categorical.entropy(), bernoulli.log_prob(values.gt(0.1).to(kFloat64)).flatten(), mvn.log_prob(values),
                D::kl_divergence(mvn, standard)});
  };
  testing::expect_cuda_matches_cpu(op, loc, probe);
  const D::Normal on_gpu(loc.cuda(), ones({4, 3}, TensorOptions(kFloat64).device(Device::cuda())));
  const Tensor draws = on_gpu.rsample({2});
  EXPECT_EQ(draws.device(), Device::cuda());
  EXPECT_EQ(draws.sizes(), (Dims{2, 4, 3}));
  const D::Categorical categorical({.logits = loc.cuda()});
  EXPECT_EQ(categorical.sample({5}).device(), Device::cuda());
  EXPECT_EQ(categorical.sample({5}).sizes(), (Dims{5, 4}));
}

}  // namespace
}  // namespace ember
