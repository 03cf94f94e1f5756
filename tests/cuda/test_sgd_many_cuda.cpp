// SGD's one-launch step on CUDA (Note [One launch for the SGD step] in nn/optim/sgd.cpp):
// 40 parameters of sizes around the kernel's chunks in two groups (the first of 36: two
// launches of at most 32), a strided parameter on the native path (not capturable: it
// refuses one) and a parameter whose first gradient comes
// late give the CPU's parameters and momentum buffers bit for bit, in float32 and float64,
// plain and capturable. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

constexpr int kParams = 40;
constexpr int kSteps = 4;
constexpr int kFirstGroup = 36;  // more than one launch's 32 parameters

// Parameters (then momentum buffers) after kSteps steps on `device`, as float64 vectors.
std::vector<std::vector<double>> run(Device device, DType dtype, bool capturable) {
  const std::vector<int64_t> sizes = {1, 5, 4095, 4096, 4097, 12295, 256, 257, 0, 33};
  std::vector<Tensor> params;
  for (int i = 0; i < kParams; ++i) {
    const int64_t n = sizes[i % sizes.size()];
    Tensor t = tensor(ember::testing::random_values(2 * n, 10 + i), {2, n}, TensorOptions(dtype)).to(device);
    if (i == 7 && !capturable) t = t.t().contiguous().t();  // strided on its device: the native-op path
    params.push_back(t.detach().requires_grad_(true));
  }
  const optim::SGDOptions first{
      .lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true, .capturable = capturable};
  const optim::SGDOptions second{.lr = 0.2, .momentum = 0.5, .dampening = 0.25, .capturable = capturable};
  optim::SGD sgd(std::vector<Tensor>(params.begin(), params.begin() + kFirstGroup), first);
  sgd.add_param_group(std::vector<Tensor>(params.begin() + kFirstGroup, params.end()), second);
  for (int step = 0; step < kSteps; ++step) {
    for (int i = 0; i < kParams; ++i) {
      const bool late = i == 3 && step < 2;  // starts its momentum buffer at step 2
      params[i].mutable_grad() =
          late ? Tensor()
               : tensor(ember::testing::random_values(params[i].numel(), 100 + 50 * step + i), params[i].sizes(),
                        TensorOptions(dtype))
                     .to(device);
    }
    sgd.step();
  }
  std::vector<std::vector<double>> out;
  for (const Tensor& p : params) out.push_back(p.detach().to(Device::cpu()).to_vector<double>());
  for (const auto& [key, value] : sgd.state_dict()) out.push_back(value.to(Device::cpu()).to_vector<double>());
  return out;
}

TEST(CudaSgdMany, ManyParametersMatchTheCpuBitForBit) {
  REQUIRE_CUDA();
  for (DType dtype : {kFloat32, kFloat64})
    for (bool capturable : {false, true}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + (capturable ? " capturable" : ""));
      const auto cpu = run(Device::cpu(), dtype, capturable);
      const auto gpu = run(Device::cuda(0), dtype, capturable);
      ASSERT_EQ(cpu.size(), gpu.size());
      for (size_t i = 0; i < cpu.size(); ++i) EXPECT_EQ(cpu[i], gpu[i]) << "entry " << i;
    }
}

}  // namespace
}  // namespace ember
