// The gcd / lcm / nextafter kernels (core/math_functors.h) and the composed frexp, 16-bit
// nextafter, gradient and window factories on CUDA against the CPU, bit for bit. Skipped
// without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_same;

TEST(NumberBitsCuda, GcdLcmAndNextafterMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor a = randint(-1000, 1000, {257}), b = randint(-60, 60, {257});
  expect_same(gcd(a, b), gcd(a.cuda(), b.cuda()));
  expect_same(lcm(a, b), lcm(a.cuda(), b.cuda()));
  const Tensor u = randint(0, 255, {64}).to(kUInt8), v = randint(0, 255, {64}).to(kUInt8);
  expect_same(lcm(u, v), lcm(u.cuda(), v.cuda()));
  for (const DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16}) {
    const Tensor x = (randn({300}) * 100).to(dt), y = randn({300}).to(dt);
    expect_same(nextafter(x, y), nextafter(x.cuda(), y.cuda()));
    const auto [m, e] = frexp(x);
    const auto [mg, eg] = frexp(x.cuda());
    expect_same(m, mg);
    expect_same(e, eg);
  }
}

TEST(NumberBitsCuda, GradientAndWindowsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor f = randn({5, 7}, kFloat64);
  const auto cpu = gradient(f, std::nullopt, std::nullopt, 2);
  const auto gpu = gradient(f.cuda(), std::nullopt, std::nullopt, 2);
  for (size_t i = 0; i < cpu.size(); ++i) expect_same(cpu[i], gpu[i], 1e-12);
  const TensorOptions on_gpu = TensorOptions(kFloat64).device(Device::cuda(0));
  expect_same(hann_window(33, kFloat64), hann_window(33, on_gpu), 1e-15);
  expect_same(kaiser_window(33, true, 8.0, kFloat64), kaiser_window(33, true, 8.0, on_gpu), 1e-13);
}

}  // namespace
}  // namespace ember
