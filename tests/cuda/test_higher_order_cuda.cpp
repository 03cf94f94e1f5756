// Higher-order gradients on CUDA (Note [Higher-order gradients] in autograd/engine.h):
// a gradient penalty through convolution (cuDNN, Note [Convolution's double backward]),
// batch norm, leaky ReLU, average pooling and a linear layer gives the CPU's gradients, in
// float64 (TF32 off); so does a Hessian-vector product through the fused cross_entropy.
// Skips without a GPU.
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

// A Hessian-vector product of a classifier's fused cross_entropy (weights, ignore_index,
// label smoothing) for its weight matrix, on `device`.
Tensor classifier_hvp(const Tensor& w_cpu, const Tensor& x_cpu, const Tensor& v_cpu, Device device) {
  const Tensor w = w_cpu.to(device).detach().requires_grad_(true);
  const Tensor targets = tensor(std::vector<int64_t>{3, 0, -100, 1, 3, 2}, {6}).to(device);
  const Tensor class_weight = tensor(std::vector<double>{0.5, 1.0, 2.0, 1.5}, {4}).to(device);
  const Tensor loss = F::cross_entropy(
      F::linear(x_cpu.to(device), w), targets, F::ClassLossOptions{.weight = class_weight, .label_smoothing = 0.1});
  const Tensor g = autograd::grad({loss}, {w}, {}, std::nullopt, /*create_graph=*/true)[0];
  return autograd::grad({(g * v_cpu.to(device)).sum()}, {w})[0];
}

TEST(CudaHigherOrder, CrossEntropyHessianVectorProductMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(11);
  const Tensor w = randn({4, 5}, kFloat64), x = randn({6, 5}, kFloat64), v = randn({4, 5}, kFloat64);
  const Tensor cpu = classifier_hvp(w, x, v, Device::cpu());
  const Tensor gpu = classifier_hvp(w, x, v, Device::cuda(0));
  ASSERT_TRUE(gpu.device().is_cuda());
  testing::expect_values(gpu.cpu(), cpu.to_vector<double>(), 1e-10);
}

}  // namespace
}  // namespace ember
