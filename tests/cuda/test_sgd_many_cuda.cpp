// SGD's one-launch step on CUDA (Note [One launch for the SGD step] in nn/optim/sgd.cpp):
// 40 parameters of sizes around the kernel's chunks in two groups (the first of 36: two
// launches of at most 32) and a parameter whose first gradient comes late give the CPU's
// parameters and momentum buffers bit for bit, in float32 and float64, plain and capturable;
// a strided parameter on the native path (not capturable: it refuses one) within rounding
// (nvcc's multiply-adds). Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

constexpr int kParams = 40;
constexpr int kSteps = 4;
constexpr int kFirstGroup = 36;  // more than one launch's 32 parameters

// Parameters ("param <i>") then the state dict's entries after kSteps steps on `device`, as
// float64 vectors.
std::vector<std::pair<std::string, std::vector<double>>> run(Device device, DType dtype, bool capturable) {
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
  const optim::SGDOptions second{
      .lr = 0.2, .momentum = 0.5, .dampening = 0.25, .maximize = true, .capturable = capturable};  // ascends
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
  std::vector<std::pair<std::string, std::vector<double>>> out;
  for (size_t i = 0; i < params.size(); ++i)
    out.emplace_back("param " + std::to_string(i), params[i].detach().to(Device::cpu()).to_vector<double>());
  for (const auto& [key, value] : sgd.state_dict()) out.emplace_back(key, value.to(Device::cpu()).to_vector<double>());
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
      for (size_t i = 0; i < cpu.size(); ++i) {
        ASSERT_EQ(cpu[i].first, gpu[i].first);
        const std::string& name = cpu[i].first;
        // The strided parameter 7 takes the native ops (alpha * b + a), which nvcc fuses into
        // multiply-adds where the CPU rounds twice: within rounding, not bit for bit.
        if (!capturable && (name == "param 7" || name == "state.7.momentum_buffer")) {
          const double tol = dtype == kFloat32 ? 1e-6 : 1e-14;
          ASSERT_EQ(cpu[i].second.size(), gpu[i].second.size()) << name;
          for (size_t k = 0; k < cpu[i].second.size(); ++k)
            EXPECT_NEAR(cpu[i].second[k], gpu[i].second[k], tol * std::max(1.0, std::abs(cpu[i].second[k])))
                << name << " element " << k;
        } else {
          EXPECT_EQ(cpu[i].second, gpu[i].second) << name;
        }
      }
    }
}

}  // namespace
}  // namespace ember
