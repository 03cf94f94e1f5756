// ember::transforms on CUDA: the deterministic transforms (colour ones too) equal the CPU's,
// and the random ones, drawn on the device from the same seed, make the CPU's decisions (the
// CPU and CUDA draw the same Philox numbers) and give valid outputs. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace T = transforms;
using testing::expect_same;

TEST(CudaTransforms, DeterministicTransformsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(31);
  const Tensor x = randn({3, 2, 7, 9}, kFloat64);
  const std::vector<std::function<Tensor(const Tensor&)>> fns{
      [](const Tensor& a) {
        return T::Normalize({0.1, -0.2}, {0.5, 2.0})(a);
      },
      [](const Tensor& a) {
        return T::Pad({2, 1, 1, 3}, 0.5)(a);
      },
      [](const Tensor& a) {
        return T::Pad({2, 1, 1, 3}, 0, "edge")(a);
      },
      [](const Tensor& a) {
        return T::Pad({2, 1, 1, 3}, 0, "reflect")(a);
      },
      [](const Tensor& a) {
        return T::Pad({2, 1, 1, 3}, 0, "symmetric")(a);
      },
      [](const Tensor& a) {
        return T::CenterCrop({4, 11})(a);
      },
      [](const Tensor& a) { return T::RandomHorizontalFlip(1.0)(a); },
      [](const Tensor& a) { return T::RandomVerticalFlip(1.0)(a); },
      [](const Tensor& a) {
        return T::functional::affine(a, 30, {1, -2}, 1.2, {10, 5}, T::InterpolationMode::BILINEAR);
      },
      [](const Tensor& a) {
        return T::functional::rotate(a, 37, T::InterpolationMode::BILINEAR, std::make_pair(1.0, 2.0),
                                     T::NumberOrList{0.5, 1.0});
      },
  };
  for (size_t i = 0; i < fns.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same(fns[i](x), fns[i](x.cuda()), 1e-12);
    expect_same(fns[i](x.to(kFloat32)), fns[i](x.to(kFloat32).cuda()), 1e-5);
  }
}

TEST(CudaTransforms, SameSeedSameDecisionsAsTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(32);
  const Tensor x = randn({256, 3, 12, 10});
  const std::vector<std::function<Tensor(const Tensor&)>> exact{
      [](const Tensor& a) { return T::RandomHorizontalFlip()(a); },
      [](const Tensor& a) { return T::RandomVerticalFlip(0.3)(a); },
      [](const Tensor& a) { return T::RandomCrop(8, 2)(a); },
      [](const Tensor& a) {
        return T::RandomCrop({13, 11}, std::nullopt, true, 0, "symmetric")(a);
      },
  };
  for (size_t i = 0; i < exact.size(); ++i) {
    SCOPED_TRACE(i);
    manual_seed(40 + static_cast<uint64_t>(i));
    const Tensor cpu = exact[i](x);
    manual_seed(40 + static_cast<uint64_t>(i));
    expect_same(cpu, exact[i](x.cuda()));
  }
  // erasing sizes come from exp/sqrt/round: the device's last ulp could move a size by
  // one at an exact half, so at most a couple of the 256 samples may differ
  manual_seed(50);
  const Tensor cpu = T::RandomErasing(0.5, {0.02, 0.33}, {0.3, 3.3}, {1, 2, 3})(x);
  manual_seed(50);
  const Tensor gpu = T::RandomErasing(0.5, {0.02, 0.33}, {0.3, 3.3}, {1, 2, 3})(x.cuda()).cpu();
  const int64_t differing = ne(cpu, gpu).any(3).any(2).any(1).to(kInt64).sum().item<int64_t>();
  EXPECT_LE(differing, 2);
  // affine: the same parameters, sampled on the device
  const T::RandomAffine affine(
      30,
      {.translate = {{0.1, 0.2}}, .scale = {{0.8, 1.2}}, .shear = 10, .interpolation = T::InterpolationMode::BILINEAR});
  const Tensor x64 = x.to(kFloat64);
  manual_seed(51);
  const Tensor a_cpu = affine(x64);
  manual_seed(51);
  expect_same(a_cpu, affine(x64.cuda()), 1e-9);
}

TEST(CudaTransforms, ColourTransformsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  namespace F = T::functional;
  manual_seed(34);
  const Tensor x = rand({8, 3, 7, 9}, kFloat64);
  const Tensor hues = tensor(std::vector<double>{-0.5, -0.3, -0.1, 0.0, 0.1, 0.2, 0.4, 0.5}, {8}, kFloat64);
  const std::vector<std::function<Tensor(const Tensor&)>> fns{
      [](const Tensor& a) { return F::rgb_to_grayscale(a); },
      [](const Tensor& a) { return F::rgb_to_grayscale(a, 3); },
      [](const Tensor& a) { return F::adjust_brightness(a, 1.3); },
      [](const Tensor& a) { return F::adjust_contrast(a, 0.6); },
      [](const Tensor& a) { return F::adjust_contrast(a.narrow(1, 0, 1), 1.8); },
      [](const Tensor& a) { return F::adjust_saturation(a, 1.7); },
      [](const Tensor& a) { return F::adjust_hue(a, 0.3); },
      [&hues](const Tensor& a) { return F::adjust_hue(a, hues.to(a.device())); },
      [](const Tensor& a) { return T::RandomGrayscale(1.0)(a); },
  };
  for (size_t i = 0; i < fns.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same(fns[i](x), fns[i](x.cuda()), 1e-12);
    expect_same(fns[i](x.to(kFloat32)), fns[i](x.to(kFloat32).cuda()), 1e-5);
  }
  // per-sample factors live on the images' device
  EXPECT_EMBER_ERROR(F::adjust_hue(x.cuda(), hues), "hue_factor on the images' device cuda:0, but got it on cpu");
  // the same seed draws the same factors, orders and coins on both
  const T::ColorJitter jitter(0.8, 0.8, 0.8, 0.3);
  manual_seed(35);
  const Tensor cpu = jitter(x);
  manual_seed(35);
  expect_same(cpu, jitter(x.cuda()), 1e-9);
  manual_seed(36);
  const Tensor gray_cpu = T::RandomGrayscale(0.5)(x);
  manual_seed(36);
  expect_same(gray_cpu, T::RandomGrayscale(0.5)(x.cuda()), 1e-12);
}

TEST(CudaTransforms, RandomOutputsAreValidOnTheDevice) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(33);
  const Tensor x = randn({64, 1, 28, 28}).cuda();
  const T::Compose augment({T::RandomCrop(28, 4), T::RandomHorizontalFlip()});
  const Tensor out = augment(x);
  ASSERT_TRUE(out.is_cuda());
  const Tensor out_cpu = out.cpu(), x_cpu = x.cpu();
  for (int64_t b = 0; b < 64; ++b) {
    const Tensor padded = T::Pad(4)(x_cpu[b]);
    bool found = false;
    for (int64_t i = 0; i <= 8 && !found; ++i)
      for (int64_t j = 0; j <= 8 && !found; ++j) {
        const Tensor window = padded.narrow(1, i, 28).narrow(2, j, 28);
        found = equal(out_cpu[b], window) || equal(out_cpu[b], window.flip({2}));
      }
    EXPECT_TRUE(found) << "sample " << b;
  }
  // inputs that require grad: the gradient reaches them on the device
  const Tensor leaf = x.detach().requires_grad_(true);
  T::Compose({T::RandomCrop(24), T::RandomErasing(), T::RandomRotation(15)})(leaf).sum().backward();
  ASSERT_TRUE(leaf.grad().defined());
  EXPECT_TRUE(leaf.grad().is_cuda());
}

}  // namespace
}  // namespace ember
