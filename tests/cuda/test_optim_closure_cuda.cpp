// LBFGS (a closure, the strong Wolfe line search), Rprop and ASGD on CUDA parameters give the
// CPU's trajectories in float64 (their updates are native ops: within nvcc's multiply-add
// roundings). Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

void expect_near_all(const Tensor& cpu, const Tensor& gpu, double tol) {
  const std::vector<double> a = cpu.contiguous().to_vector<double>(), b = gpu.cpu().contiguous().to_vector<double>();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol * std::max(1.0, std::abs(a[i]))) << i;
}

// A least-squares fit of W [4, 6] and b [4] by LBFGS, 3 steps; the parameters after them.
std::vector<Tensor> fit(Device device) {
  manual_seed(3);
  const Tensor x = randn({32, 6}, kFloat64).to(device), y = randn({32, 4}, kFloat64).to(device);
  Tensor w = (randn({4, 6}, kFloat64) * 0.1).to(device).requires_grad_(true);
  Tensor b = zeros({4}, dtype(kFloat64)).to(device).requires_grad_(true);
  optim::LBFGS opt({w, b}, {.history_size = 3, .line_search_fn = "strong_wolfe"});
  const auto closure = [&] {
    opt.zero_grad();
    const Tensor r = matmul(x, w.t()) + b - y;
    Tensor loss = (r * r).mean();
    loss.backward();
    return loss;
  };
  for (int k = 0; k < 3; ++k) opt.step(closure);
  return {w.detach(), b.detach()};
}

TEST(CudaOptimClosure, LbfgsMatchesTheCpu) {
  REQUIRE_CUDA();
  const testing::NoMatmulTf32 full_float32;  // matmul TF32 is off by default; kept off here
  const std::vector<Tensor> cpu = fit(Device::cpu()), gpu = fit(Device::cuda(0));
  for (size_t i = 0; i < cpu.size(); ++i) {
    EXPECT_TRUE(gpu[i].is_cuda());
    expect_near_all(cpu[i], gpu[i], 1e-9);
  }
}

template <typename Opt, typename Options>
Tensor twenty_steps(Device device, const Options& options) {
  Tensor p = tensor(ember::testing::random_values(64, 5), {8, 8}, TensorOptions(kFloat64)).to(device);
  p.requires_grad_(true);
  Opt opt({p}, options);
  for (int k = 0; k < 20; ++k) {
    p.mutable_grad() = (p.detach() * 0.5 -
                        tensor(ember::testing::random_values(64, 30 + k), {8, 8}, TensorOptions(kFloat64)).to(device));
    opt.step();
  }
  return p.detach();
}

TEST(CudaOptimClosure, RpropAndAsgdMatchTheCpu) {
  REQUIRE_CUDA();
  const optim::RpropOptions rprop{.lr = 0.05, .etas = {0.3, 1.5}, .step_sizes = {1e-3, 0.2}};
  expect_near_all(twenty_steps<optim::Rprop>(Device::cpu(), rprop), twenty_steps<optim::Rprop>(Device::cuda(0), rprop),
                  1e-12);
  const optim::ASGDOptions asgd{.lr = 0.05, .lambd = 1e-2, .alpha = 0.6, .t0 = 5, .weight_decay = 0.1};
  expect_near_all(twenty_steps<optim::ASGD>(Device::cpu(), asgd), twenty_steps<optim::ASGD>(Device::cuda(0), asgd),
                  1e-12);
}

}  // namespace
}  // namespace ember
