// Antialiased and bicubic interpolate, area, Resize, resized_crop and RandomResizedCrop on
// CUDA: the same values as the CPU (resampling taps built and applied on the device), and the
// same boxes from the same seed (both draw the same Philox numbers); gradients to the second
// order and bfloat16. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace T = transforms;
namespace F = nn::functional;
using testing::expect_same;

TEST(CudaResize, AntialiasedResizesMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(61);
  const Tensor x = randn({3, 2, 17, 23}, kFloat64);
  expect_same(F::interpolate(x, {5, 9}, {}, "bilinear", {}, {}, true),
              F::interpolate(x.cuda(), {5, 9}, {}, "bilinear", {}, {}, true), 1e-12);
  expect_same(F::interpolate(x, {}, 0.4, "bilinear", true, {}, true),
              F::interpolate(x.cuda(), {}, 0.4, "bilinear", true, {}, true), 1e-12);
  expect_same(T::Resize(7)(x), T::Resize(7)(x.cuda()), 1e-12);
  expect_same(T::functional::resized_crop(x, -2, 3, 12, 15, {6, 6}),
              T::functional::resized_crop(x.cuda(), -2, 3, 12, 15, {6, 6}), 1e-12);
  expect_same(F::interpolate(x, {9, 30}, {}, "bicubic"), F::interpolate(x.cuda(), {9, 30}, {}, "bicubic"), 1e-12);
  expect_same(F::interpolate(x, {6, 8}, {}, "bicubic", {}, {}, true),
              F::interpolate(x.cuda(), {6, 8}, {}, "bicubic", {}, {}, true), 1e-12);
  expect_same(F::interpolate(x, {6, 8}, {}, "area"), F::interpolate(x.cuda(), {6, 8}, {}, "area"), 1e-12);
  expect_same(T::Resize(7, T::InterpolationMode::BICUBIC)(x), T::Resize(7, T::InterpolationMode::BICUBIC)(x.cuda()),
              1e-12);
  const Tensor f32 = x.to(kFloat32);
  expect_same(T::Resize({4, 6})(f32), T::Resize({4, 6})(f32.cuda()), 1e-5);
  // gradients through the device's transpose kernel (cuda/resample_rows.cu)
  const Tensor leaf_cpu = x.clone().requires_grad_(true), leaf_gpu = x.cuda().requires_grad_(true);
  F::interpolate(leaf_cpu, {5, 9}, {}, "bilinear", {}, {}, true).pow(2.0).sum().backward();
  F::interpolate(leaf_gpu, {5, 9}, {}, "bilinear", {}, {}, true).pow(2.0).sum().backward();
  expect_same(leaf_cpu.grad(), leaf_gpu.grad(), 1e-11);
}

// The resample kernels' second derivative (the forward kernel again) and bfloat16 (resampled
// in float32 on both devices), enlarging and shrinking bicubic.
TEST(CudaResize, SecondDerivativeAndBfloat16MatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(64);
  const Tensor x = randn({2, 3, 13, 8}, kFloat64);
  Tensor results[2];
  for (const bool on_gpu : {false, true}) {
    const Tensor leaf = (on_gpu ? x.cuda() : x.clone()).requires_grad_(true);
    const Tensor y = F::interpolate(leaf, {6, 19}, {}, "bicubic", {}, {}, true);
    const Tensor g = autograd::grad({y.pow(2.0).sum()}, {leaf}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
    results[on_gpu ? 1 : 0] = autograd::grad({g.pow(2.0).sum()}, {leaf})[0];
  }
  expect_same(results[0], results[1], 1e-10);
  const Tensor b = randn({4, 3, 20, 20}).to(kBFloat16);
  const Tensor cpu = T::Resize(9, T::InterpolationMode::BICUBIC)(b);
  const Tensor gpu = T::Resize(9, T::InterpolationMode::BICUBIC)(b.cuda());
  // float32 sums that differ in their last bits (nvcc contracts to FMA) can round to
  // neighbouring bf16 values: a bf16 step at |v| < 8 is at most 2^-5; two allowed
  expect_same(cpu, gpu, 0.0625);
  // interpolate resamples bf16 itself (float32 taps and sums), Resize through float32
  expect_same(F::interpolate(b, {9, 13}, {}, "bicubic"), F::interpolate(b.cuda(), {9, 13}, {}, "bicubic"), 0.0625);
  expect_same(F::interpolate(b, {}, 2.0, "bilinear"), F::interpolate(b.cuda(), {}, 2.0, "bilinear"), 0.0625);
}

TEST(CudaResize, RandomResizedCropSameSeedSameBoxesAsTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(62);
  const Tensor x = randn({64, 3, 24, 32}, kFloat64);
  for (const auto mode : {T::InterpolationMode::BILINEAR, T::InterpolationMode::NEAREST,
                          T::InterpolationMode::BICUBIC}) {
    const T::RandomResizedCrop crop({16, 20}, {0.2, 1.0}, {0.6, 1.6}, mode);
    manual_seed(63);
    const Tensor cpu = crop(x);
    manual_seed(63);
    const Tensor gpu = crop(x.cuda()).cpu();
    // box sizes come from exp/sqrt/round: the device's last ulp could move one by a pixel
    // at an exact half, so at most a couple of the 64 samples may differ
    const int64_t differing = gt(abs(cpu - gpu), 1e-9).any(3).any(2).any(1).to(kInt64).sum().item<int64_t>();
    EXPECT_LE(differing, 2);
  }
  const Tensor bytes = (rand({8, 3, 24, 32}) * 255.0).to(kUInt8).cuda();
  const Tensor out = T::RandomResizedCrop(12)(bytes);
  EXPECT_TRUE(out.is_cuda());
  EXPECT_EQ(out.dtype(), kUInt8);
  EXPECT_EQ(out.sizes(), (Dims{8, 3, 12, 12}));
}

}  // namespace
}  // namespace ember
