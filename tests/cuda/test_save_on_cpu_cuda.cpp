// SaveOnCpuGuard on CUDA (Note [Saved tensors on the CPU] in autograd/saved_variable.cpp):
// a small conv model's saved activations leave the GPU (its allocator holds less after the
// forward), the ledger still counts them, and backward gives the gradients of the plain
// run. Skips without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

struct Offload {
  int64_t device_bytes_after_forward = 0;
  int64_t saved_bytes = 0;
  std::vector<Tensor> grads;
};

Offload run(bool save_on_cpu) {
  const Device gpu = Device::cuda(0);
  manual_seed(3);
  auto model = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(3, 8, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(8), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(8 * 8 * 8, 4)});
  model->to(kFloat64);
  model->to(gpu);
  manual_seed(4);
  const Tensor x = randn({6, 3, 16, 16}, kFloat64).to(gpu);
  const Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 3, 0, 1}, {6}).to(gpu);
  cuda::synchronize();
  const int64_t base = memory::allocated(gpu);
  const int64_t saved_base = autograd::saved_tensor_stats().current_bytes;
  Tensor loss;
  {
    std::optional<autograd::SaveOnCpuGuard> guard;
    if (save_on_cpu) guard.emplace();
    loss = nn::functional::cross_entropy((*model)(x), y);
  }
  cuda::synchronize();
  Offload r;
  r.device_bytes_after_forward = memory::allocated(gpu) - base;
  r.saved_bytes = autograd::saved_tensor_stats().current_bytes - saved_base;
  loss.backward();
  for (const Tensor& p : model->parameters()) r.grads.push_back(p.grad().cpu());
  return r;
}

TEST(SaveOnCpuCuda, SavedActivationsLeaveTheGpuAndGradientsMatch) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Offload plain = run(false);
  const Offload offloaded = run(true);
  EXPECT_GT(plain.saved_bytes, 0);
  EXPECT_EQ(offloaded.saved_bytes, plain.saved_bytes);
  // The conv input, BN input and ReLU output alone are 6*3*16*16*8 + 2 * 6*8*16*16*8 bytes.
  EXPECT_LT(offloaded.device_bytes_after_forward, plain.device_bytes_after_forward - 200000);
  ASSERT_EQ(offloaded.grads.size(), plain.grads.size());
  for (size_t i = 0; i < plain.grads.size(); ++i)
    EXPECT_LT(testing::max_abs_diff(offloaded.grads[i], plain.grads[i]), 1e-12) << "parameter " << i;
}

}  // namespace
}  // namespace ember
