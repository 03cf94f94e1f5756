// CUDA runtime checks (ctest label `cuda`): device discovery never throws; on a machine
// with a GPU, device tensors come from the CUDA caching allocator, the README's example
// runs, a steady loop reuses its memory, and a training step never waits for the GPU.
#include <gtest/gtest.h>

#include <cmath>

#include <ember/ember.h>

#include "core/allocator/private_pool.h"
#include "support/helpers.h"

namespace ember {
namespace {

TEST(CudaRuntime, DiscoveryNeverThrows) {
  EXPECT_NO_THROW(cuda::is_available());
  EXPECT_GE(cuda::device_count(), 0);
  EXPECT_EQ(cuda::is_available(), cuda::device_count() > 0);
  EXPECT_NO_THROW(cuda::synchronize());
}

TEST(CudaRuntime, NoDeviceMeansAClearError) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(empty({4}, Device::cuda(0)), Error);
}

TEST(CudaRuntime, AllocatorStatisticsOnDevice) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Device dev = Device::cuda(0);
  memory::empty_cache(dev);
  const auto before = memory::stats(dev);
  // A pool of its own: in a process where earlier tests left blocks alive in a cached
  // segment, a shared pool could serve the request without reserving anything.
  auto pool = std::make_shared<memory::PrivatePool>(dev);
  {
    memory::PrivatePoolScope scope(pool);
    Tensor t = empty({1000}, TensorOptions().device(dev));
    EXPECT_EQ(memory::allocated(dev) - before.allocated_bytes.current, 4096);
    EXPECT_EQ(memory::reserved(dev) - before.reserved_bytes.current, 2 << 20);
  }
  pool.reset();  // the released pool's wholly free segment goes back
  EXPECT_EQ(memory::allocated(dev), before.allocated_bytes.current);
  EXPECT_EQ(memory::reserved(dev), before.reserved_bytes.current);
}

TEST(CudaRuntime, LimitGivesOutOfMemory) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Device dev = Device::cuda(0);
  memory::empty_cache(dev);
  memory::set_limit(dev, memory::reserved(dev) + (4 << 20));
  EXPECT_THROW(empty({64 << 20}, TensorOptions().device(dev)), OutOfMemoryError);
  memory::set_limit(dev, 0);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// The README's CUDA example, as written there.
TEST(CudaRuntime, ReadmeExample) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto x = ember::randn({128, 784}).to(ember::Device::cuda(0));
  auto labels = ember::randint(0, 10, {128});
  auto w = ember::randn({784, 10}, ember::TensorOptions().device(ember::Device::cuda(0)).requires_grad(true));
  auto loss = ember::nn::functional::cross_entropy(ember::matmul(x, w), labels.to(x.device()));
  loss.backward();
  ember::cuda::set_matmul_allow_tf32(true);
  {
    auto side = ember::cuda::Stream::create();
    ember::cuda::StreamGuard on_side(side);
    auto y = x * 2;
    x.record_stream(side);
    EXPECT_TRUE(y.is_cuda());
  }
  ember::cuda::set_matmul_allow_tf32(false);
  EXPECT_TRUE(w.grad().is_cuda());
  EXPECT_EQ(w.grad().sizes(), (Dims{784, 10}));
  EXPECT_GT(loss.item<float>(), 0.0f);
  EXPECT_NE(ember::memory::summary(ember::Device::cuda(0)).find("cuda:0"), std::string::npos);
}

// Every allocation a training-like loop makes on the GPU comes back: no growth in
// allocated bytes across iterations, and the cache serves them (no new segments).
TEST(CudaRuntime, SteadyStateLoopReusesMemory) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Device dev = Device::cuda(0);
  Tensor w = randn({256, 64}, TensorOptions().device(dev).requires_grad(true));
  auto step = [&] {
    Tensor x = randn({128, 256}, TensorOptions().device(dev));
    Tensor loss = nn::functional::cross_entropy(matmul(x, w), randint(0, 64, {128}).to(dev));
    loss.backward();
    NoGradGuard no_grad;
    w.sub_(w.grad() * 0.1);
    Tensor g = w.grad();
    g.zero_();
  };
  step();
  cuda::synchronize();
  const auto before = memory::stats(dev);
  for (int i = 0; i < 20; ++i) step();
  cuda::synchronize();
  const auto after = memory::stats(dev);
  EXPECT_EQ(after.allocated_bytes.current, before.allocated_bytes.current);
  EXPECT_EQ(after.segment.current, before.segment.current);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// A training step (forward, cross-entropy, backward, fused SGD) queues work without
// waiting for the GPU: with ~100 ms of matmuls queued ahead of it, the stream is still
// busy when the step returns. Reading the loss is what waits.
TEST(CudaRuntime, TrainingStepDoesNotSynchronize) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Device dev = Device::cuda(0);
  nn::Linear layer(256, 10);
  layer.to(dev);
  optim::SGD sgd(layer.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  Tensor x = randn({128, 256}).to(dev);
  Tensor y = randint(0, 10, {128}).to(dev);
  Tensor big = randn({4096, 4096}).to(dev);
  auto step = [&] {
    sgd.zero_grad();
    Tensor loss = nn::functional::cross_entropy(layer.forward(x), y);
    loss.backward();
    sgd.step();
    return loss;
  };
  step();  // first-use setup (handles, workspaces, optimizer state)
  cuda::synchronize();
  Tensor busy;
  for (int i = 0; i < 40; ++i) busy = matmul(big, big);  // ~2.7 ms each on an H200
  Tensor loss = step();
  const bool still_busy = !cuda::current_stream().query();
  EXPECT_TRUE(still_busy) << "the training step waited for the GPU";
  EXPECT_TRUE(std::isfinite(loss.item<float>()));  // this read waits
  EXPECT_TRUE(cuda::current_stream().query());
}

}  // namespace
}  // namespace ember
