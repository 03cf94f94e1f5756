// amp::GradScaler with parameters on the GPU: the flags and the scale live there, and
// the steps equal the CPU's (Note [Loss scaling]). Skips without a GPU.
#include <gtest/gtest.h>

#include <limits>

#include <ember/ember.h>

#include "nn/optim/grad_scaler.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_same;

TEST(GradScalerCuda, StepsAndBackOffMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto run = [](Device device) {
    manual_seed(4);
    auto fc = std::make_shared<nn::Linear>(5, 3);
    fc->to(device);
    optim::SGD sgd(fc->parameters(), {.lr = 0.05, .momentum = 0.9});
    amp::GradScaler scaler({.init_scale = 256.0, .growth_interval = 2});
    manual_seed(9);
    const Tensor x = randn({4, 5}).to(device);
    std::vector<double> scales;
    for (int step = 0; step < 5; ++step) {
      sgd.zero_grad();
      scaler.scale(fc->forward(x).square().mean()).backward();
      if (step == 3) {
        Tensor grad = fc->bias.grad();
        grad.fill_(std::numeric_limits<float>::infinity());
      }
      scaler.step(sgd);
      scaler.update();
      scales.push_back(scaler.get_scale());
    }
    return std::make_tuple(fc->weight.detach(), scales);  // on its device: expect_same wants the GPU's there
  };
  const auto [w_cpu, scales_cpu] = run(Device::cpu());
  const auto [w_gpu, scales_gpu] = run(Device::cuda(0));
  EXPECT_EQ(scales_cpu, (std::vector<double>{256, 512, 512, 256, 256}));
  EXPECT_EQ(scales_cpu, scales_gpu);
  expect_same(w_cpu, w_gpu, 1e-6);
}

}  // namespace
}  // namespace ember
