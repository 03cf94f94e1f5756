// Pooling's options on CUDA (dilation, ceil_mode, return_indices, count_include_pad,
// divisor_override, adaptive max; Note [Pooling options] in nn/functional/pool.cpp) give
// the CPU's outputs, indices and gradients, NCHW and channels-last, in float32, float64,
// bfloat16 and float16. Skipped without a GPU
// (tests/core/test_cuda_threads_on_cpu.cpp runs the same thread math on the CPU).
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
constexpr auto kCL = MemoryFormat::ChannelsLast;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

using PoolFn = std::function<std::tuple<Tensor, Tensor>(const Tensor&)>;

// Output, indices (max pooling; undefined otherwise) and input gradient of fn on x.
struct PoolRun {
  Tensor y, indices, grad;
};

PoolRun run(const PoolFn& fn, const Tensor& x0, Device device, MemoryFormat format) {
  // detach(): to() and contiguous() return x0 itself when nothing changes, and the CPU
  // reference run must not make the caller's tensor a leaf the CUDA run then feeds.
  const Tensor x = x0.to(device).contiguous(format).detach().requires_grad_(true);
  auto [y, indices] = fn(x);
  const Tensor g = tensor(testing::random_values(y.numel(), 3), y.sizes(), x0.dtype()).to(device);
  (y * g).sum().backward();
  return {y.detach().cpu().contiguous(), indices.defined() ? indices.cpu().contiguous() : Tensor(),
          x.grad().cpu().contiguous()};
}

TEST(CudaPoolOptions, MatchesTheCpu) {
  REQUIRE_CUDA();
  const auto max = [](auto... a) -> PoolFn {
    return [=](const Tensor& x) { return std::tuple{F::max_pool2d(x, a...), Tensor()}; };
  };
  const auto max_indices = [](auto... a) -> PoolFn {
    return [=](const Tensor& x) { return F::max_pool2d_with_indices(x, a...); };
  };
  const std::vector<std::pair<std::string, PoolFn>> cases{
      {"max 3/2/1 dilation 2 ceil", max(nn::IntOrPair(3), nn::IntOrPair(2), nn::IntOrPair(1), nn::IntOrPair(2), true)},
      {"max 2/2 ceil (partial windows)",
       max(nn::IntOrPair(2), nn::IntOrPair(2), nn::IntOrPair(0), nn::IntOrPair(1), true)},
      {"max_with_indices {3,2}/{2,1}/{1,0} dilation {1,3} ceil",
       max_indices(nn::IntOrPair{3, 2}, nn::IntOrPair{2, 1}, nn::IntOrPair{1, 0}, nn::IntOrPair{1, 3}, true)},
      {"max_with_indices 2/1/1 dilation {10, 1} (windows outside the plane)",
       max_indices(nn::IntOrPair(2), nn::IntOrPair(1), nn::IntOrPair(1), nn::IntOrPair{10, 1}, false)},
      {"max_with_indices 3/1/2 dilation 2 (padding past half the kernel, PyTorch 2's rule)",
       max_indices(nn::IntOrPair(3), nn::IntOrPair(1), nn::IntOrPair(2), nn::IntOrPair(2), false)},
      {"avg 3/2/1 ceil, no pad count",
       [](const Tensor& x) {
         return std::tuple{F::avg_pool2d(x, 3, 2, 1, true, false), Tensor()};
       }},
      {"avg 3/2/1 ceil, divisor -3",
       [](const Tensor& x) {
         return std::tuple{F::avg_pool2d(x, 3, 2, 1, true, true, -3), Tensor()};
       }},
      {"adaptive max 4x5",
       [](const Tensor& x) {
         return std::tuple{F::adaptive_max_pool2d(x, {4, 5}), Tensor()};
       }},
      {"adaptive max 13, indices", [](const Tensor& x) { return F::adaptive_max_pool2d_with_indices(x, 13); }},
  };
  // Small integers: ties in every window (the first wins on both devices).
  const std::vector<double> values = testing::random_values(3 * 4 * 9 * 11, 8);
  std::vector<float> ints;
  for (double v : values) ints.push_back(static_cast<float>(static_cast<int>(v * 2)));
  // bfloat16 and float16 compute in float and round once on both devices (Note [16-bit
  // pooling] in nn/functional/pool.cpp): a sum in another order may round to the
  // neighbouring 16-bit value.
  for (const DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16}) {
    const Tensor x = tensor(ints, {3, 4, 9, 11}).to(dtype);
    const double tol = is_reduced_float(dtype) ? 1e-2 : 1e-6;
    for (const auto& [name, fn] : cases)
      for (const MemoryFormat format : {MemoryFormat::Contiguous, kCL}) {
        SCOPED_TRACE(name + " " + std::string(dtype_name(dtype)) + (format == kCL ? " channels-last" : ""));
        const PoolRun want = run(fn, x, Device::cpu(), MemoryFormat::Contiguous);
        const PoolRun got = run(fn, x, Device::cuda(0), format);
        ASSERT_EQ(got.y.dtype(), dtype);
        EXPECT_TRUE(allclose(got.y.to(kFloat64), want.y.to(kFloat64), tol, tol));
        EXPECT_TRUE(allclose(got.grad.to(kFloat64), want.grad.to(kFloat64), tol, tol));
        if (want.indices.defined()) {
          EXPECT_TRUE(equal(got.indices, want.indices));
        }
      }
  }
}

}  // namespace
}  // namespace ember
