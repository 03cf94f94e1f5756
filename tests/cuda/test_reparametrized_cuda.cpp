// weight_norm, spectral_norm, pruning and BatchNorm folding on a module moved to the GPU
// give the CPU's forward values, power-iteration buffers, masks and gradients; module
// hooks see CUDA tensors. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "nn/fusion.h"
#include "nn/prune.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_same;

// A float64 Conv2d(2, 3, 3) with fixed weights, weight-normed and spectral-normed on `device`.
std::shared_ptr<nn::Conv2d> conv_on(Device device, bool spectral) {
  manual_seed(7);
  auto conv = std::make_shared<nn::Conv2d>(2, 3, 3);
  conv->to(kFloat64);
  if (spectral) nn::utils::spectral_norm(*conv);
  else nn::utils::weight_norm(*conv);
  conv->to(device);
  return conv;
}

TEST(ReparametrizedCuda, WeightAndSpectralNormMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (bool spectral : {false, true}) {
    SCOPED_TRACE(spectral ? "spectral_norm" : "weight_norm");
    auto cpu = conv_on(Device::cpu(), spectral);
    auto gpu = conv_on(Device::cuda(0), spectral);
    manual_seed(3);
    const Tensor x = randn({2, 2, 5, 5}, TensorOptions(kFloat64));
    const Tensor y_cpu = (*cpu)(x), y_gpu = (*gpu)(x.to(Device::cuda(0)));
    expect_same(y_cpu, y_gpu, 1e-10);
    y_cpu.square().sum().backward();
    y_gpu.square().sum().backward();
    const auto cpu_params = cpu->named_parameters(), gpu_params = gpu->named_parameters();
    ASSERT_EQ(cpu_params.size(), gpu_params.size());
    for (size_t i = 0; i < cpu_params.size(); ++i) {
      SCOPED_TRACE(cpu_params[i].first);
      expect_same(cpu_params[i].second.grad(), gpu_params[i].second.grad(), 1e-9);
    }
    const auto cpu_buffers = cpu->named_buffers(), gpu_buffers = gpu->named_buffers();
    for (size_t i = 0; i < cpu_buffers.size(); ++i) expect_same(cpu_buffers[i].second, gpu_buffers[i].second, 1e-12);
  }
}

TEST(ReparametrizedCuda, HooksSeeCudaTensors) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto fc = std::make_shared<nn::Linear>(3, 2);
  fc->to(Device::cuda(0));
  Tensor grad_input;
  fc->register_full_backward_hook([&](nn::Module&, const Tensor& gi, const Tensor&) { grad_input = gi; });
  const Tensor x = randn({4, 3}).to(Device::cuda(0)).requires_grad_();
  (*fc)(x).sum().backward();
  ASSERT_TRUE(grad_input.defined());
  EXPECT_TRUE(grad_input.is_cuda());
  expect_same(x.grad().cpu(), grad_input, 0.0);
}

// Masks computed on the GPU (L1, structured, iterated, global) equal the CPU's; the pruned
// module trains with the same gradients.
TEST(ReparametrizedCuda, PruningMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  namespace prune = nn::utils::prune;
  const auto pruned_on = [](Device device) {
    manual_seed(5);
    auto conv = std::make_shared<nn::Conv2d>(2, 4, 3);
    auto fc = std::make_shared<nn::Linear>(8, 3);
    conv->to(kFloat64);
    fc->to(kFloat64);
    conv->to(device);
    fc->to(device);
    prune::ln_structured(*conv, "weight", 1, 2, 0);
    prune::l1_unstructured(*conv, "weight", 0.3);
    prune::global_unstructured({{conv.get(), "weight"}, {fc.get(), "weight"}}, prune::L1Unstructured(10));
    return std::make_pair(conv, fc);
  };
  auto [conv_cpu, fc_cpu] = pruned_on(Device::cpu());
  auto [conv_gpu, fc_gpu] = pruned_on(Device::cuda(0));
  expect_same(conv_cpu->get_buffer("weight_mask"), conv_gpu->get_buffer("weight_mask"), 0.0);
  expect_same(fc_cpu->get_buffer("weight_mask"), fc_gpu->get_buffer("weight_mask"), 0.0);
  manual_seed(3);
  const Tensor x = randn({2, 2, 5, 5}, TensorOptions(kFloat64));
  const Tensor y_cpu = (*conv_cpu)(x), y_gpu = (*conv_gpu)(x.to(Device::cuda(0)));
  expect_same(y_cpu, y_gpu, 1e-10);
  y_cpu.square().sum().backward();
  y_gpu.square().sum().backward();
  expect_same(conv_cpu->get_parameter("weight_orig").grad(), conv_gpu->get_parameter("weight_orig").grad(), 1e-9);
}

// A Sequential folded on the GPU gives the CPU's fused outputs.
TEST(ReparametrizedCuda, FoldedBatchNormMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(8);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.padding = 1}), std::make_shared<nn::BatchNorm2d>(4),
      std::make_shared<nn::ReLU>()});
  net->to(kFloat64);
  for (int i = 0; i < 2; ++i) (*net)(randn({4, 1, 6, 6}, TensorOptions(kFloat64)));
  net->eval();
  const auto fused_cpu = nn::utils::fuse_conv_bn_eval(*net);
  net->to(Device::cuda(0));
  const auto fused_gpu = nn::utils::fuse_conv_bn_eval(*net);
  const Tensor x = randn({3, 1, 6, 6}, TensorOptions(kFloat64));
  expect_same((*fused_cpu)(x), (*fused_gpu)(x.to(Device::cuda(0))), 1e-12);
  expect_same((*fused_cpu)(x), (*net)(x.to(Device::cuda(0))), 1e-10);
}

}  // namespace
}  // namespace ember
