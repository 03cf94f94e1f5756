// Higher-order gradients on CUDA (Note [Higher-order gradients] in autograd/engine.h):
// a gradient penalty through convolution (cuDNN, Note [Convolution's double backward]),
// batch norm, leaky ReLU, average pooling and a linear layer gives the CPU's gradients, in
// float64 (TF32 off). Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

// The penalty's gradients for the parameters, on `device`, from the same CPU values.
std::vector<Tensor> penalty_grads(const std::vector<Tensor>& cpu_values, Device device) {
  std::vector<Tensor> p;
  for (const Tensor& v : cpu_values) p.push_back(v.to(device).detach().requires_grad_(true));
  const Tensor& x = p[0];
  Tensor h = F::batch_norm(F::conv2d(x, p[1], p[2], 2, 1), Tensor(), Tensor(), Tensor(), Tensor(), /*training=*/true);
  h = F::leaky_relu(h, 0.2);
  h = F::avg_pool2d(h, 2).flatten(1);
  Tensor out = F::linear(h, p[3]);
  Tensor g = autograd::grad({out.sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  Tensor penalty = (g.pow(2.0).sum({1, 2, 3}).sqrt() - 1.0).pow(2.0).mean();
  return autograd::grad({penalty}, {p[1], p[2], p[3], x});
}

TEST(CudaHigherOrder, GradientPenaltyMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  cudnn::set_allow_tf32(false);
  manual_seed(7);
  const std::vector<Tensor> values{randn({3, 2, 9, 9}, kFloat64), randn({4, 2, 3, 3}, kFloat64) * 0.3,
                                   randn({4}, kFloat64), randn({1, 4 * 2 * 2}, kFloat64) * 0.5};
  const auto cpu = penalty_grads(values, Device::cpu());
  const auto gpu = penalty_grads(values, Device::cuda(0));
  cudnn::set_allow_tf32(true);
  ASSERT_EQ(cpu.size(), gpu.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_TRUE(gpu[i].device().is_cuda());
    testing::expect_values(gpu[i].cpu(), cpu[i].to_vector<double>(), 1e-9);
  }
}

}  // namespace
}  // namespace ember
