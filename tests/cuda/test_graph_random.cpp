// Random numbers under CUDA graphs (Note [Graph-safe random numbers] in core/random.h,
// Note [cuDNN dropout in CUDA graphs] in cuda/dropout.cpp): each replay draws new
// dropout masks, a manual_seed between replays repeats them (as it repeats eager calls),
// channel dropout and rand() draw the CPU's numbers, and the graph's random words go
// back with its pool. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

constexpr int64_t kN = 4096;

std::vector<float> on_host(const Tensor& t) { return t.cpu().to_vector<float>(); }

TEST(CudaGraphRandom, EagerDropoutRepeatsWithTheSeedAndDropout2dDrawsTheCpuMasks) {
  REQUIRE_CUDA();
  NoGradGuard no_grad;
  const Tensor x = ones({kN}, TensorOptions().device(Device::cuda(0)));
  manual_seed(11);
  const auto a = on_host(F::dropout(x, 0.5, true));
  const auto b = on_host(F::dropout(x, 0.5, true));
  EXPECT_NE(a, b);
  manual_seed(11);
  EXPECT_EQ(on_host(F::dropout(x, 0.5, true)), a);
  EXPECT_EQ(on_host(F::dropout(x, 0.5, true)), b);
  const Tensor x4 = ones({8, 16, 3, 3});
  manual_seed(12);
  const auto cpu2d = F::dropout2d(x4, 0.5, true).to_vector<float>();
  manual_seed(12);
  EXPECT_EQ(on_host(F::dropout2d(x4.cuda(), 0.5, true)), cpu2d);
}

TEST(CudaGraphRandom, ReplaysDrawNewMasksAndAReseedRepeatsThem) {
  REQUIRE_CUDA();
  NoGradGuard no_grad;
  const Device dev = Device::cuda(0);
  Tensor x = ones({kN}, TensorOptions().device(dev));
  Tensor y = zeros({kN}, TensorOptions().device(dev));
  auto step = [&] { y.copy_(F::dropout(x, 0.5, true)); };
  step();  // warm-up
  cuda::Graph graph;
  graph.capture_begin();
  step();
  graph.capture_end();
  EXPECT_EQ(graph.random_counters(), 0u);  // cuDNN's own state, not the Philox stream
  manual_seed(7);
  graph.replay();
  const auto first = on_host(y);
  graph.replay();
  const auto second = on_host(y);
  EXPECT_NE(first, second);
  int64_t kept = 0;
  for (float v : first) {
    EXPECT_TRUE(v == 0.0f || v == 2.0f) << v;
    kept += v != 0.0f;
  }
  EXPECT_GT(kept, kN * 4 / 10);
  EXPECT_LT(kept, kN * 6 / 10);
  manual_seed(7);
  graph.replay();
  EXPECT_EQ(on_host(y), first);
  graph.replay();
  EXPECT_EQ(on_host(y), second);
  // The masks eager calls draw after the same seed.
  manual_seed(7);
  EXPECT_EQ(on_host(F::dropout(x, 0.5, true)), first);
  EXPECT_EQ(on_host(F::dropout(x, 0.5, true)), second);
}

TEST(CudaGraphRandom, RandAndChannelDropoutInAGraphMoveOnToo) {
  REQUIRE_CUDA();
  NoGradGuard no_grad;
  const Device dev = Device::cuda(0);
  Tensor x = ones({4, 8, 2, 2}, TensorOptions().device(dev));
  Tensor u = zeros({64}, TensorOptions().device(dev)), m = zeros({4, 8, 2, 2}, TensorOptions().device(dev));
  auto step = [&] {
    u.copy_(rand({64}, TensorOptions().device(dev)));
    m.copy_(F::dropout2d(x, 0.5, true));
  };
  step();
  cuda::Graph graph;
  graph.capture_begin();
  step();
  graph.capture_end();
  EXPECT_EQ(graph.random_counters(), 64u + 32u);
  manual_seed(3);
  graph.replay();
  const auto u1 = on_host(u), m1 = on_host(m);
  graph.replay();
  EXPECT_NE(on_host(u), u1);
  manual_seed(3);
  EXPECT_EQ(rand({64}).to_vector<float>(), u1);
  EXPECT_EQ(F::dropout2d(ones({4, 8, 2, 2}), 0.5, true).to_vector<float>(), m1);
}

TEST(CudaGraphRandom, TheRandomWordsGoBackWithThePool) {
  REQUIRE_CUDA();
  NoGradGuard no_grad;
  const Device dev = Device::cuda(0);
  Tensor x = ones({1 << 20}, TensorOptions().device(dev));
  F::dropout(x, 0.5, true);  // cuDNN's dropout state is built once, outside the measure
  // The capture stream's cuBLAS workspace is made (and kept) by its first capture_begin.
  const cuda::Stream stream = cuda::Stream::create();
  {
    cuda::Graph warm;
    warm.capture_begin(stream);
  }
  cuda::synchronize();
  memory::empty_cache(dev);
  const int64_t before = memory::reserved(dev);
  {
    cuda::Graph graph;
    graph.capture_begin(stream);
    Tensor t = F::dropout(x, 0.5, true);
    graph.capture_end();
    graph.replay();
    cuda::synchronize();
    EXPECT_GT(memory::reserved(dev), before);
  }
  cuda::synchronize();
  EXPECT_EQ(memory::reserved(dev), before);
}

}  // namespace
}  // namespace ember
