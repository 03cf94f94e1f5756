// Activation checkpointing on CUDA (Note [Activation checkpointing] in
// autograd/checkpoint.h): a checkpointed conv / batch norm / ReLU / max-pool / dropout /
// linear model gives the CPU's loss, gradients and running statistics in float64 (inside a
// checkpoint dropout draws ember's Philox masks, the CPU's, not cuDNN's), and without
// dropout the same gradients as the plain CUDA run. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

std::shared_ptr<nn::Sequential> make_model(Device device, double p) {
  manual_seed(5);
  auto m = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(2, 4, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(4), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(p), std::make_shared<nn::Linear>(4 * 5 * 3, 3)});
  m->to(kFloat64);
  m->to(device);
  return m;
}

struct Result {
  Tensor loss;
  std::vector<Tensor> grads, buffers;
};

Result run(Device device, double p, int64_t segments) {
  auto model = make_model(device, p);
  manual_seed(9);
  const Tensor x = randn({3, 2, 10, 7}, kFloat64).to(device);
  const Tensor y = tensor(std::vector<int64_t>{2, 0, 1}, {3}).to(device);
  manual_seed(21);
  const Tensor out = segments == 0 ? (*model)(x) : utils::checkpoint_sequential(model, segments, x);
  Result r{nn::functional::cross_entropy(out, y), {}, {}};
  r.loss.backward();
  for (const Tensor& t : model->parameters()) r.grads.push_back(t.grad().cpu());
  for (const auto& [name, t] : model->named_buffers()) r.buffers.push_back(t.cpu());
  r.loss = r.loss.cpu();
  return r;
}

void expect_close(const Result& a, const Result& b, double tol) {
  testing::expect_values(a.loss, b.loss.to_vector<double>(), tol);
  ASSERT_EQ(a.grads.size(), b.grads.size());
  for (size_t i = 0; i < a.grads.size(); ++i) testing::expect_values(a.grads[i], b.grads[i].to_vector<double>(), tol);
  ASSERT_EQ(a.buffers.size(), b.buffers.size());
  for (size_t i = 0; i < a.buffers.size(); ++i)
    testing::expect_values(a.buffers[i].to(kFloat64), b.buffers[i].to(kFloat64).to_vector<double>(), tol);
}

TEST(CudaCheckpoint, CheckpointedModelWithDropoutMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const testing::NoTf32 full_float32;  // restored however the test ends
  // 7 segments of the 7 modules: all but the last (Linear) checkpointed, so Dropout (the 6th)
  // runs inside a checkpoint. With fewer it would run in the plain tail, on cuDNN's masks,
  // which differ from the CPU's (Note [cuDNN dropout random stream] in cuda/dropout.cpp).
  const Result cpu = run(Device::cpu(), 0.4, 7);
  const Result gpu = run(Device::cuda(0), 0.4, 7);
  expect_close(gpu, cpu, 1e-10);
}

TEST(CudaCheckpoint, WithoutDropoutTheGradientsAreThePlainRunsOnCuda) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Result plain = run(Device::cuda(0), 0.0, 0);
  const Result ckpt = run(Device::cuda(0), 0.0, 3);
  expect_close(ckpt, plain, 1e-12);  // cuDNN may pick another weight-gradient algorithm
}

}  // namespace
}  // namespace ember
