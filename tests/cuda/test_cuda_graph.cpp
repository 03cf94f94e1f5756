// cuda::Graph (Note [CUDA graph capture] in cuda/graph.h): a captured step replays the
// eager step's values, the capture's allocations come from the graph's private pool and
// go back when the graph is destroyed, and host synchronisation inside a capture is a
// clear error. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(CudaGraph, ReplayRecomputesFromTheStaticInput) {
  REQUIRE_CUDA();
  const Device dev = Device::cuda(0);
  Tensor x = zeros({1000}, TensorOptions().device(dev));
  Tensor y = zeros({1000}, TensorOptions().device(dev));
  auto step = [&] { y.copy_(relu(x * 2.0 + 1.0)); };
  step();  // warm-up outside the capture
  cuda::Graph graph;
  graph.capture_begin();
  step();
  graph.capture_end();
  EXPECT_TRUE(graph.captured());
  for (float v : {3.0f, -4.0f}) {
    x.fill_(v);
    graph.replay();
    cuda::synchronize();
    EXPECT_EQ(y.to(Device::cpu()).to_vector<float>()[999], std::max(0.0f, 2 * v + 1));
  }
}

TEST(CudaGraph, ThePoolGoesBackWithTheGraph) {
  REQUIRE_CUDA();
  const Device dev = Device::cuda(0);
  Tensor x = ones({1 << 20}, TensorOptions().device(dev));
  cuda::synchronize();
  memory::empty_cache(dev);
  const int64_t before = memory::reserved(dev);
  {
    cuda::Graph graph;
    graph.capture_begin();
    Tensor t = x * 3.0 + 1.0;  // temporaries from the graph's pool
    graph.capture_end();
    graph.replay();
    cuda::synchronize();
    EXPECT_GT(memory::reserved(dev), before);
  }
  cuda::synchronize();
  EXPECT_EQ(memory::reserved(dev), before);
}

TEST(CudaGraph, HostSynchronisationInsideACaptureIsAnError) {
  REQUIRE_CUDA();
  Tensor x = ones({16}, TensorOptions().device(Device::cuda(0)));
  cuda::Graph graph;
  graph.capture_begin();
  EXPECT_EMBER_ERROR(x.sum().item<float>(), "is not allowed while a CUDA graph is being captured");
  EXPECT_EMBER_ERROR(cuda::synchronize(), "cuda::synchronize() is not allowed while a CUDA graph is being captured");
  graph.reset();  // abandons the capture
  EXPECT_FALSE(graph.captured());
  EXPECT_EQ(x.sum().item<float>(), 16.0f);
}

}  // namespace
}  // namespace ember
