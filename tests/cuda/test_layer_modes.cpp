// The two switches on CUDA (Note [The two switches]): eval BatchNorm reads its running
// statistics and updates nothing; eval dropout returns its input and launches nothing;
// under no_grad nothing is kept (no saved mean/invstd, no dropout bits, 0 saved bytes)
// while training-mode work (running-statistics updates) still happens; input on the
// wrong device names both devices. All skip without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"
#include "support/model_cases.h"

namespace ember {
namespace {

namespace F = nn::functional;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(CudaLayerModes, EvalBatchNormUsesRunningStatsAndUpdatesNothing) {
  REQUIRE_CUDA();
  nn::BatchNorm2d bn(3);
  bn.to(Device::cuda(0));
  bn.running_mean.copy_(tensor(std::vector<float>{1, 2, 3}, {3}).cuda());
  bn.eval();
  const Tensor x = randn({4, 3, 5, 5}).cuda();
  const Tensor y = bn(x);
  const Tensor expected = (x.cpu() - tensor(std::vector<float>{1, 2, 3}, {1, 3, 1, 1})) / std::sqrt(1.0 + 1e-5);
  testing::expect_values(y.cpu(), expected.to_vector<double>(), 1e-5);
  EXPECT_EQ(bn.running_mean.cpu().to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(bn.running_var.cpu().to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(bn.num_batches_tracked.cpu().item<int64_t>(), 0);
}

TEST(CudaLayerModes, TrainBatchNormUnderNoGradUpdatesRunningStatsAndKeepsNothing) {
  REQUIRE_CUDA();
  nn::BatchNorm2d bn(3);
  bn.to(Device::cuda(0));
  const Tensor x = randn({8, 3, 4, 4}).cuda() + 2.0;
  NoGradGuard no_grad;
  const Tensor y = bn(x);
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
  const auto mean = bn.running_mean.cpu().to_vector<float>();
  for (float m : mean) EXPECT_NEAR(m, 0.2, 0.05);  // 0.1 * batch mean (about 2)
}

// A recording eval forward saves the statistics its kernel (or cuDNN's graph and the
// statistics kernel) wrote: updating the running statistics after it changes no gradient.
// Against the CPU, float32 and float64, NCHW and channels-last, and an empty batch.
TEST(CudaLayerModes, EvalBatchNormBackwardUsesTheStatisticsOfItsForward) {
  REQUIRE_CUDA();
  for (DType dtype : {kFloat32, kFloat64}) {
    for (bool channels_last : {false, true}) {
      for (int64_t batch : {6, 0}) {
        const std::string name = std::string(dtype_name(dtype)) + (channels_last ? " channels-last" : " NCHW") +
                                 " batch " + std::to_string(batch);
        const Tensor x0 = randn({batch, 4, 5, 7}, dtype), g = randn({batch, 4, 5, 7}, dtype);
        const Tensor w0 = rand({4}, dtype) + 0.5, b0 = randn({4}, dtype);
        const Tensor rm0 = randn({4}, dtype), rv0 = rand({4}, dtype) + 0.5;
        const auto run = [&](Device device) {
          const MemoryFormat format = channels_last ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
          const Tensor x = x0.to(device).contiguous(format).requires_grad_(true);
          const Tensor w = w0.to(device).requires_grad_(true), b = b0.to(device).requires_grad_(true);
          Tensor rm = rm0.to(device), rv = rv0.to(device);
          const Tensor y = F::batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5);
          {
            NoGradGuard no_grad;
            rm.add_(3.0);
            rv.mul_(5.0);
          }
          std::vector<Tensor> out = autograd::grad({y}, {x, w, b}, {g.to(device).contiguous(format)});
          out.insert(out.begin(), y.detach());
          return out;
        };
        const std::vector<Tensor> cpu = run(Device::cpu()), gpu = run(Device::cuda(0));
        const double tol = dtype == kFloat32 ? 1e-4 : 1e-10;
        for (size_t i = 0; i < cpu.size(); ++i) {
          SCOPED_TRACE(name + ", result " + std::to_string(i));
          testing::expect_same(cpu[i].contiguous(), gpu[i].contiguous(), tol);
        }
      }
    }
  }
}

TEST(CudaLayerModes, EvalDropoutReturnsItsInput) {
  REQUIRE_CUDA();
  const Tensor x = randn({16, 32}).cuda().requires_grad_(true);
  const Tensor y = F::dropout(x, 0.5, /*training=*/false);
  EXPECT_TRUE(y.is_same(x));
  nn::Dropout drop(0.5);
  drop.eval();
  EXPECT_TRUE(drop(x).is_same(x));
}

TEST(CudaLayerModes, DropoutKeepsItsMaskBitsOnlyWhenRecording) {
  REQUIRE_CUDA();
  const Tensor x = randn({64, 1024}).cuda().requires_grad_(true);
  {
    NoGradGuard no_grad;
    const Tensor y = F::dropout(x, 0.5, true);
    EXPECT_EQ(y.grad_fn(), nullptr);
    EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
  }
  const Tensor y = F::dropout(x, 0.5, true);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_GT(autograd::saved_tensor_stats().current_bytes, 0);
}

TEST(CudaLayerModes, NoGradForwardOfTheCnnSavesNothing) {
  REQUIRE_CUDA();
  auto net = testing::one_block_cnn(32, 28, 10, 0.25);
  net->to(Device::cuda(0));
  const Tensor x = randn({32, 1, 28, 28}).cuda();
  for (bool training : {true, false}) {
    net->train(training);
    NoGradGuard no_grad;
    const Tensor out = (*net)(x);
    EXPECT_EQ(out.grad_fn(), nullptr);
    EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
  }
  net->train();
  const Tensor out = (*net)(x);
  EXPECT_GT(autograd::saved_tensor_stats().current_bytes, 0);
  F::cross_entropy(out, randint(0, 10, {32}).cuda()).backward();
  for (auto& [name, p] : net->named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
}

TEST(CudaLayerModes, WrongDeviceNamesBothDevices) {
  REQUIRE_CUDA();
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}).cuda(), randn({2, 1, 3, 3})), "cuda:0 and cpu");
  EXPECT_EMBER_ERROR(F::batch_norm(randn({4, 3}).cuda(), zeros({3}), ones({3})), "cuda:0 and cpu");
}

}  // namespace
}  // namespace ember
