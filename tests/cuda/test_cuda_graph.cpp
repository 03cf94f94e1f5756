// cuda::Graph (Note [CUDA graph capture] in cuda/graph.h): a captured step replays the
// eager step's values, the capture's allocations come from the graph's private pool and
// go back when the graph is destroyed (large ones need new segments mid-capture), cuBLAS
// and cuDNN capture on a fresh stream, and what a capture cannot do (host synchronisation,
// copies from the host, building a cuDNN plan) is a clear error. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

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
  // The capture stream's cuBLAS workspace is made (and kept, as PyTorch keeps it) by its
  // first capture_begin: before the measure.
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

// The capture's pool starts empty: a large temporary needs a new segment (cudaMalloc,
// which the allocator makes in relaxed capture mode), and a fresh capture stream gets its
// cuBLAS handle and workspace and its cuDNN handle before the capture begins.
TEST(CudaGraph, LargeAllocationsLibrariesAndAFreshStreamCapture) {
  REQUIRE_CUDA();
  const Device dev = Device::cuda(0);
  manual_seed(3);
  const Tensor x = randn({1 << 24}, TensorOptions().device(dev));  // 64 MiB
  const Tensor a = randn({64, 96}, TensorOptions().device(dev)), b = randn({96, 32}, TensorOptions().device(dev));
  const Tensor image = randn({8, 3, 12, 12}, TensorOptions().device(dev));
  const Tensor w = randn({4, 3, 3, 3}, TensorOptions().device(dev));
  Tensor big = zeros({1 << 24}, TensorOptions().device(dev));
  Tensor product = zeros({64, 32}, TensorOptions().device(dev));
  Tensor conv = zeros({8, 4, 12, 12}, TensorOptions().device(dev));
  auto step = [&] {
    big.copy_(x * 2.0 + 1.0);  // two 64 MiB temporaries
    product.copy_(matmul(a, b));
    conv.copy_(F::conv2d(image, w, Tensor(), 1, 1));
  };
  step();  // eager: cuDNN's plan for this convolution is built here
  const Tensor big_eager = big.clone(), product_eager = product.clone(), conv_eager = conv.clone();
  big.zero_(), product.zero_(), conv.zero_();
  cuda::Graph graph;
  graph.capture_begin();
  step();
  graph.capture_end();
  graph.replay();
  cuda::synchronize();
  EXPECT_TRUE(equal(big, big_eager));
  EXPECT_TRUE(allclose(product, product_eager, 1e-5, 1e-6));  // the same plans; workspaces differ
  EXPECT_TRUE(allclose(conv, conv_eager, 1e-5, 1e-6));
}

TEST(CudaGraph, WhatACaptureCannotDoIsAClearError) {
  REQUIRE_CUDA();
  const Device dev = Device::cuda(0);
  const Tensor image = ones({2, 3, 9, 9}, TensorOptions().device(dev)), w = ones({5, 3, 3, 3}, TensorOptions().device(dev));
  const std::vector<float> host(100, 1.0f);
  cuda::Graph graph;
  graph.capture_begin();
  // A shape never run eagerly: its cuDNN plan is not built inside a capture.
  EXPECT_EMBER_ERROR(F::conv2d(image, w, Tensor(), 1, 0), "is first seen inside a CUDA graph capture");
  EXPECT_EMBER_ERROR(tensor(host).to(dev), "a host-to-device copy");
  graph.reset();
  EXPECT_EQ(F::conv2d(image, w, Tensor(), 1, 0).sum().item<float>(), 2 * 5 * 7 * 7 * 27.0f);
}

}  // namespace
}  // namespace ember
