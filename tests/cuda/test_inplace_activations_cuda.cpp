// The inplace=True activations and dropout on CUDA (native::activation_ through the CUDA
// elementwise kernel writing into its input, and the recorded in-place forms): x's own
// memory holds the CPU's values, gradients equal the CPU's. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using testing::expect_same;

#define SKIP_WITHOUT_GPU() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

using InPlace = std::function<Tensor(const Tensor&)>;

std::vector<std::pair<const char*, InPlace>> in_place_forms() {
  return {
      {"leaky_relu_", [](const Tensor& x) { return F::leaky_relu_(x, 0.2); }},
      {"elu_", [](const Tensor& x) { return F::elu_(x, 0.7); }},
      {"silu", [](const Tensor& x) { return F::silu(x, true); }},
      {"mish", [](const Tensor& x) { return F::mish(x, true); }},
      {"hardtanh_", [](const Tensor& x) { return F::hardtanh_(x, -0.5, 2.0); }},
      {"relu6", [](const Tensor& x) { return F::relu6(x, true); }},
      {"selu_", [](const Tensor& x) { return F::selu_(x); }},
      {"celu_", [](const Tensor& x) { return F::celu_(x, 0.5); }},
      {"hardswish", [](const Tensor& x) { return F::hardswish(x, true); }},
      {"hardsigmoid", [](const Tensor& x) { return F::hardsigmoid(x, true); }},
      {"threshold_", [](const Tensor& x) { return F::threshold_(x, 0.1, 20.0); }},
  };
}

// Within one rounding of the dtype (bfloat16: 2^-7 relative), NaN matching NaN.
void expect_close(const Tensor& cpu, const Tensor& gpu, DType dtype) {
  ASSERT_TRUE(gpu.is_cuda());
  ASSERT_EQ(cpu.sizes(), gpu.sizes());
  const double relative = dtype == kBFloat16 ? 1.0 / 128 : dtype == kFloat32 ? 1e-6 : 1e-14;
  const auto a = cpu.contiguous().to_vector<double>(), b = gpu.cpu().contiguous().to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << "at " << i;
    } else {
      EXPECT_NEAR(a[i], b[i], 1e-6 + relative * std::abs(a[i])) << "at " << i;
    }
  }
}

// Unrecorded, on a contiguous tensor and on a transposed view: written in place, the CPU's
// values. Each run starts from its own copy of the source (both signs, past every kink).
TEST(CudaInplaceActivations, WriteIntoXWithTheCpusValues) {
  SKIP_WITHOUT_GPU();
  manual_seed(21);
  const Tensor source = randn({37, 5}) * 4.0;
  for (const auto& [name, f] : in_place_forms()) {
    for (DType dtype : {kFloat32, kFloat64, kBFloat16}) {
      SCOPED_TRACE(std::string(name) + " " + std::string(dtype_name(dtype)));
      Tensor cpu = source.to(dtype).clone();
      Tensor gpu = cpu.cuda();
      void* const memory = gpu.data_ptr();
      f(cpu);
      EXPECT_EQ(f(gpu).data_ptr(), memory);
      expect_close(cpu, gpu, dtype);
      Tensor cpu_t = source.to(dtype).clone().t();
      Tensor gpu_t = source.to(dtype).cuda().t();
      f(cpu_t);
      f(gpu_t);
      expect_close(cpu_t, gpu_t, dtype);
    }
  }
}

// Recorded on a non-leaf: the gradient of a weighted sum equals the CPU's (float64).
TEST(CudaInplaceActivations, GradientsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  manual_seed(22);
  const Tensor source = randn({6, 7}, kFloat64) * 4.0;
  const Tensor w = randn({6, 7}, kFloat64);
  for (const auto& [name, f] : in_place_forms()) {
    SCOPED_TRACE(name);
    Tensor grads[2];
    Tensor outs[2];
    for (int on_gpu = 0; on_gpu < 2; ++on_gpu) {
      const Device device = on_gpu ? Device::cuda(0) : Device::cpu();
      const Tensor a = source.to(device).detach().requires_grad_(true);
      Tensor x = a * 1.5;
      outs[on_gpu] = f(x);
      (outs[on_gpu] * w.to(device)).sum().backward();
      grads[on_gpu] = a.grad();
    }
    expect_same(outs[0].detach(), outs[1].detach(), 1e-12);
    expect_same(grads[0], grads[1], 1e-12);
  }
}

// cuDNN's dropout written into x: each element 0 or x / (1 - p), the gradient the same mask.
TEST(CudaInplaceActivations, DropoutWritesItsMaskIntoX) {
  SKIP_WITHOUT_GPU();
  manual_seed(23);
  const Tensor source = randn({64, 33}).abs() + 0.5;  // no zeros
  const Tensor a = source.cuda().requires_grad_(true);
  Tensor x = a * 1.0;
  void* const memory = x.data_ptr();
  const Tensor y = F::dropout(x, 0.25, true, true);
  EXPECT_EQ(y.data_ptr(), memory);
  y.sum().backward();
  const std::vector<double> s = source.to_vector<double>(), v = y.detach().cpu().to_vector<double>(),
                            g = a.grad().cpu().to_vector<double>();
  int64_t dropped = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (v[i] == 0.0) {
      ++dropped;
      EXPECT_EQ(g[i], 0.0) << i;
    } else {
      EXPECT_NEAR(v[i], s[i] / 0.75, 1e-5) << i;
      EXPECT_NEAR(g[i], 1.0 / 0.75, 1e-6) << i;
    }
  }
  EXPECT_GT(dropped, 300);  // 528 expected of 2112
  EXPECT_LT(dropped, 760);
}

}  // namespace
}  // namespace ember
