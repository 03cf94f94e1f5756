// ember::transforms' colour transforms: the functional adjust_* and rgb_to_grayscale against
// torchvision 0.14's tensor path (values pasted from it), per-sample factors, ColorJitter's
// per-sample factors and order (Note [Colour jitter in a batch]), (Random)Grayscale, the
// reprs and every argument error.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace T = transforms;
namespace F = transforms::functional;
using testing::expect_values;
using testing::max_abs_diff;

// A 3 x 2 x 3 image with a gray pixel (0.5, 0.5, 0.5) and each channel the largest somewhere.
Tensor colour_image(DType dtype = kFloat64) {
  return tensor(std::vector<double>{0.10, 0.50, 0.90, 0.30, 0.70, 0.40, 0.20, 0.50, 0.10,
                                    0.80, 0.70, 0.05, 0.60, 0.50, 0.30, 0.30, 0.20, 0.95},
                {3, 2, 3}, TensorOptions(kFloat64))
      .to(dtype);
}

// Random images in [0, 1].
Tensor random_images(const Dims& sizes, DType dtype = kFloat64) { return rand(sizes, TensorOptions(dtype)); }

// Python (torchvision 0.14.1, torch 1.13), x = colour_image() as a float64 torch tensor:
//   import torchvision.transforms.functional as F
//   F.rgb_to_grayscale(x), F.adjust_brightness(x, 1.3), F.adjust_contrast(x, 1.7), ...
TEST(TransformsColor, FunctionalFormsMatchTorchvision) {
  const Tensor x = colour_image();
  expect_values(F::rgb_to_grayscale(x), {0.21569, 0.49995, 0.36191, 0.59347, 0.64293, 0.25721});
  expect_values(F::adjust_brightness(x, 1.3),
                {0.13, 0.65, 1, 0.39, 0.91, 0.52, 0.26, 0.65, 0.13, 1, 0.91, 0.065, 0.78, 0.65, 0.39, 0.39, 0.26, 1});
  expect_values(F::adjust_brightness(x, 0.5), {0.05, 0.25, 0.45, 0.15, 0.35, 0.2, 0.1, 0.25, 0.05, 0.4, 0.35, 0.025,
                                               0.3, 0.25, 0.15, 0.15, 0.1, 0.475});
  expect_values(F::adjust_contrast(x, 1.7),
                {0, 0.5500313333, 1, 0.2100313333, 0.8900313333, 0.3800313333, 0.04003133333, 0.5500313333, 0, 1,
                 0.8900313333, 0, 0.7200313333, 0.5500313333, 0.2100313333, 0.2100313333, 0.04003133333, 1});
  expect_values(F::adjust_contrast(x, 0.3),
                {0.3299686667, 0.4499686667, 0.5699686667, 0.3899686667, 0.5099686667, 0.4199686667, 0.3599686667,
                 0.4499686667, 0.3299686667, 0.5399686667, 0.5099686667, 0.3149686667, 0.4799686667, 0.4499686667,
                 0.3899686667, 0.3899686667, 0.3599686667, 0.5849686667});
  expect_values(F::adjust_saturation(x, 1.8), {0.007448, 0.50004, 1, 0.065224, 0.745656, 0.514232, 0.187448, 0.50004,
                                               0, 0.965224, 0.745656, 0, 0.907448, 0.50004, 0.250472, 0.065224, 0, 1});
  expect_values(F::adjust_saturation(x, 0.4),
                {0.169414, 0.49997, 0.577146, 0.476082, 0.665758, 0.314326, 0.209414, 0.49997, 0.257146, 0.676082,
                 0.665758, 0.174326, 0.369414, 0.49997, 0.337146, 0.476082, 0.465758, 0.534326});
  expect_values(F::adjust_hue(x, 0.2), {0.6, 0.5, 0.9, 0.3, 0.2, 0.95, 0.1, 0.5, 0.86, 0.7, 0.7, 0.05, 0.6, 0.5, 0.1,
                                        0.8, 0.3, 0.42});
  expect_values(F::adjust_hue(x, -0.45), {0.55, 0.5, 0.1, 0.8, 0.35, 0.33, 0.6, 0.5, 0.86, 0.3, 0.2, 0.95, 0.1, 0.5,
                                          0.9, 0.65, 0.7, 0.05});
  // one channel: contrast blends with the image's own mean
  expect_values(F::adjust_contrast(x.narrow(0, 0, 1), 1.5),
                {0, 0.5083333333, 1, 0.2083333333, 0.8083333333, 0.3583333333});
  // float32 in float32: F.adjust_hue(x.float(), 0.3), F.adjust_contrast(x.float(), 1.7)
  const Tensor x32 = colour_image(kFloat32);
  const Tensor hue32 = F::adjust_hue(x32, 0.3);
  EXPECT_EQ(hue32.dtype(), kFloat32);
  expect_values(hue32, {0.6000000238, 0.5, 0.4600000083, 0.3000000119, 0.1999999881, 0.9499999881, 0.1000000164, 0.5,
                        0.8999999762, 0.3999999166, 0.6999999881, 0.2200001627, 0.2999995947, 0.5, 0.1000000462,
                        0.8000000119, 0.599999845, 0.05000003427});
  expect_values(F::adjust_contrast(x32, 1.7),
                {0, 0.550031364, 1, 0.2100313902, 0.8900313973, 0.3800313473, 0.0400313437, 0.550031364, 0, 1,
                 0.8900313973, 0, 0.7200314403, 0.550031364, 0.2100313902, 0.2100313902, 0.0400313437, 1});
}

TEST(TransformsColor, ShapesChannelsAndIdentities) {
  const Tensor x = colour_image();
  // num_output_channels 3: the grayscale in every channel
  const Tensor gray3 = F::rgb_to_grayscale(x, 3);
  ASSERT_EQ(gray3.sizes(), (Dims{3, 2, 3}));
  for (int64_t c = 0; c < 3; ++c) EXPECT_TRUE(equal(gray3[c], F::rgb_to_grayscale(x)[0]));
  // one channel: grayscale, saturation and hue leave it as it is; torchvision's 3 outputs stay 1
  const Tensor one = x.narrow(0, 0, 1);
  EXPECT_TRUE(equal(F::rgb_to_grayscale(one), one));
  EXPECT_EQ(F::rgb_to_grayscale(one, 3).sizes(), (Dims{1, 2, 3}));
  EXPECT_TRUE(equal(F::adjust_saturation(one, 1.7), one));
  EXPECT_TRUE(equal(F::adjust_hue(one, 0.3), one));
  // [H, W] is one channel; a batch is each image alike
  const Tensor plane = x[0];
  EXPECT_TRUE(equal(F::adjust_brightness(plane, 1.3), F::adjust_brightness(one, 1.3)[0]));
  EXPECT_TRUE(equal(F::adjust_contrast(plane, 0.6), F::adjust_contrast(one, 0.6)[0]));
  const Tensor batch = stack({x, x.flip({2})});
  const Tensor hue = F::adjust_hue(batch, 0.2);
  ASSERT_EQ(hue.sizes(), (Dims{2, 3, 2, 3}));
  EXPECT_LT(max_abs_diff(hue[1], F::adjust_hue(x.flip({2}), 0.2)), 1e-12);
  EXPECT_EQ(F::rgb_to_grayscale(batch).sizes(), (Dims{2, 1, 2, 3}));
  // factor 1 is the identity (hue 0 up to rounding), brightness 0 is black
  EXPECT_TRUE(equal(F::adjust_brightness(x, 1.0), x));
  EXPECT_TRUE(equal(F::adjust_contrast(x, 1.0), x));
  EXPECT_LT(max_abs_diff(F::adjust_saturation(x, 1.0), x), 1e-12);
  EXPECT_LT(max_abs_diff(F::adjust_hue(x, 0.0), x), 1e-12);
  EXPECT_TRUE(equal(F::adjust_brightness(x, 0.0), zeros({3, 2, 3}, kFloat64)));
  // bfloat16 is computed in float32 and rounded back
  const Tensor bf = F::adjust_hue(x.to(kBFloat16), 0.25);
  EXPECT_EQ(bf.dtype(), kBFloat16);
  EXPECT_LT(max_abs_diff(bf, F::adjust_hue(x.to(kBFloat16).to(kFloat32), 0.25).to(kBFloat16)), 1e-12);
}

TEST(TransformsColor, PerSampleFactorsGiveEachSampleItsOwn) {
  manual_seed(61);
  const Tensor x = random_images({4, 3, 5, 6});
  const std::vector<double> factors{0.3, 1.0, 1.6, 2.5}, hues{-0.5, -0.1, 0.25, 0.5};
  const Tensor f = tensor(factors, {4}, TensorOptions(kFloat64)), h = tensor(hues, {4}, TensorOptions(kFloat64));
  const Tensor bright = F::adjust_brightness(x, f), contrast = F::adjust_contrast(x, f);
  const Tensor saturation = F::adjust_saturation(x, f), hue = F::adjust_hue(x, h);
  for (int64_t b = 0; b < 4; ++b) {
    SCOPED_TRACE(b);
    const auto i = static_cast<size_t>(b);
    EXPECT_LT(max_abs_diff(bright[b], F::adjust_brightness(x[b], factors[i])), 1e-12);
    EXPECT_LT(max_abs_diff(contrast[b], F::adjust_contrast(x[b], factors[i])), 1e-12);
    EXPECT_LT(max_abs_diff(saturation[b], F::adjust_saturation(x[b], factors[i])), 1e-12);
    EXPECT_LT(max_abs_diff(hue[b], F::adjust_hue(x[b], hues[i])), 1e-12);
  }
  // a [1] tensor serves every sample, as the number does
  EXPECT_TRUE(equal(F::adjust_contrast(x, full({1}, 1.4, kFloat64)), F::adjust_contrast(x, 1.4)));
}

TEST(TransformsColor, ColorJitterWithOneValueIsTheFunctionalForm) {
  manual_seed(62);
  const Tensor x = random_images({5, 3, 4, 4});
  EXPECT_TRUE(equal(T::ColorJitter({1.5, 1.5})(x), F::adjust_brightness(x, 1.5)));
  EXPECT_TRUE(equal(T::ColorJitter(0, {0.5, 0.5})(x), F::adjust_contrast(x, 0.5)));
  EXPECT_TRUE(equal(T::ColorJitter(0, 0, {2, 2})(x), F::adjust_saturation(x, 2.0)));
  EXPECT_TRUE(equal(T::ColorJitter(0, 0, 0, {0.3, 0.3})(x), F::adjust_hue(x, 0.3)));
  // every op off: the images as they are
  EXPECT_TRUE(equal(T::ColorJitter()(x), x));
  EXPECT_TRUE(equal(T::ColorJitter({1, 1}, {1, 1}, {1, 1}, {0, 0})(x), x));
}

TEST(TransformsColor, ColorJitterDrawsAnOrderPerSample) {
  manual_seed(63);
  const int64_t n = 64;
  const Tensor x = random_images({n, 3, 4, 5});
  const Tensor out = T::ColorJitter({1.3, 1.3}, {0.6, 0.6}, {1.8, 1.8}, {0.2, 0.2})(x);
  // the 24 orders of (brightness, contrast, saturation, hue) applied one image at a time
  std::array<int, 4> perm{0, 1, 2, 3};
  std::vector<std::array<int, 4>> orders;
  do {
    orders.push_back(perm);
  } while (std::next_permutation(perm.begin(), perm.end()));
  const auto compose = [](Tensor img, const std::array<int, 4>& order) {
    for (int op : order) {
      if (op == 0) img = F::adjust_brightness(img, 1.3);
      if (op == 1) img = F::adjust_contrast(img, 0.6);
      if (op == 2) img = F::adjust_saturation(img, 1.8);
      if (op == 3) img = F::adjust_hue(img, 0.2);
    }
    return img;
  };
  std::set<size_t> seen;
  for (int64_t b = 0; b < n; ++b) {
    size_t found = orders.size();
    for (size_t o = 0; o < orders.size() && found == orders.size(); ++o)
      if (max_abs_diff(out[b], compose(x[b], orders[o])) < 1e-12) found = o;
    ASSERT_LT(found, orders.size()) << "sample " << b << " is no order of the four ops";
    seen.insert(found);
  }
  // 64 draws of 24 orders: about 21 distinct expected, fewer than 14 has probability < 1e-5
  EXPECT_GE(seen.size(), 14u);
}

TEST(TransformsColor, ColorJitterDrawsFactorsPerSampleInRange) {
  manual_seed(64);
  const int64_t n = 2000;
  const Tensor x = full({n, 3, 2, 2}, 0.4, kFloat64);
  // brightness of a constant image: out / 0.4 is the sample's factor
  const std::vector<double> got = (T::ColorJitter({0.5, 1.5})(x).select(1, 0).select(1, 0).select(1, 0) / 0.4)
                                      .to_vector<double>();
  double total = 0;
  for (double f : got) {
    EXPECT_GE(f, 0.5 - 1e-12);
    EXPECT_LT(f, 1.5 + 1e-12);
    total += f;
  }
  // uniform on [0.5, 1.5): sd of the mean 0.0065; the band is 4.6 sd wide
  EXPECT_NEAR(total / static_cast<double>(n), 1.0, 0.03);
  EXPECT_GT(std::set<double>(got.begin(), got.end()).size(), 1990u);
  // a number b is the range [max(0, 1 - b), 1 + b]
  const std::vector<double> wide =
      (T::ColorJitter(2.0)(x).select(1, 0).select(1, 0).select(1, 0) / 0.4).to_vector<double>();
  EXPECT_GE(*std::min_element(wide.begin(), wide.end()), 0.0);
  EXPECT_NEAR(*std::max_element(wide.begin(), wide.end()), 2.5, 0.01);  // 1 + 2 = 3 clamped: 0.4 * f <= 1
}

TEST(TransformsColor, ColorJitterSameSeedSameBatchAndInRange) {
  const Tensor x = random_images({32, 3, 6, 7});
  const T::ColorJitter jitter(0.8, 0.8, 0.8, 0.3);
  manual_seed(65);
  const Tensor a = jitter(x);
  manual_seed(65);
  EXPECT_TRUE(equal(jitter(x), a));
  manual_seed(66);
  EXPECT_FALSE(equal(jitter(x), a));
  EXPECT_GE(a.amin().item<double>(), 0.0);
  EXPECT_LE(a.amax().item<double>(), 1.0);
  // one image, one channel, float32 and bfloat16
  EXPECT_EQ(jitter(x[0]).sizes(), (Dims{3, 6, 7}));
  EXPECT_EQ(jitter(x.narrow(1, 0, 1)).sizes(), (Dims{32, 1, 6, 7}));
  EXPECT_EQ(jitter(x.to(kFloat32)).dtype(), kFloat32);
  EXPECT_EQ(jitter(x.to(kBFloat16)).dtype(), kBFloat16);
  // an input that requires grad gets a gradient
  const Tensor leaf = x.to(kFloat32).requires_grad_(true);
  jitter(leaf).sum().backward();
  ASSERT_TRUE(leaf.grad().defined());
  EXPECT_EQ(leaf.grad().sizes(), leaf.sizes());
}

TEST(TransformsColor, GrayscaleAndRandomGrayscale) {
  manual_seed(67);
  const Tensor x = random_images({6, 3, 4, 5});
  EXPECT_TRUE(equal(T::Grayscale()(x), F::rgb_to_grayscale(x)));
  EXPECT_TRUE(equal(T::Grayscale(3)(x), F::rgb_to_grayscale(x, 3)));
  // p = 1 / 0 exact; output keeps the channels (r == g == b)
  EXPECT_TRUE(equal(T::RandomGrayscale(1.0)(x), F::rgb_to_grayscale(x, 3)));
  EXPECT_TRUE(equal(T::RandomGrayscale(0.0)(x), x));
  const Tensor one = x.narrow(1, 0, 1);
  EXPECT_TRUE(equal(T::RandomGrayscale(1.0)(one), one));
  // a decision per sample at rate p
  const int64_t n = 2000;
  const Tensor many = random_images({n, 3, 2, 2});
  const Tensor out = T::RandomGrayscale(0.3)(many), gray = F::rgb_to_grayscale(many, 3);
  int64_t grayed = 0;
  for (int64_t b = 0; b < n; ++b) {
    const bool is_gray = equal(out[b], gray[b]);
    ASSERT_TRUE(is_gray || equal(out[b], many[b])) << "sample " << b;
    grayed += is_gray;
  }
  // binomial(2000, 0.3): sd 20.5; the band is 4.9 sd wide
  EXPECT_GT(grayed, 500);
  EXPECT_LT(grayed, 700);
}

TEST(TransformsColor, Reprs) {
  const auto repr = [](const T::Transform& t) { return t.repr(); };
  EXPECT_EQ(repr(T::ColorJitter(0.4)), "ColorJitter(brightness=[0.6, 1.4], contrast=None, saturation=None, hue=None)");
  EXPECT_EQ(repr(T::ColorJitter(0.4, 0.4, 0.4, 0.1)),
            "ColorJitter(brightness=[0.6, 1.4], contrast=[0.6, 1.4], saturation=[0.6, 1.4], hue=[-0.1, 0.1])");
  EXPECT_EQ(repr(T::ColorJitter({0.5, 1}, 0, {1, 1}, {0, 0})),
            "ColorJitter(brightness=(0.5, 1), contrast=None, saturation=None, hue=None)");
  EXPECT_EQ(repr(T::ColorJitter(1, 2, 0.5, 0.5)),
            "ColorJitter(brightness=[0.0, 2.0], contrast=[0.0, 3.0], saturation=[0.5, 1.5], hue=[-0.5, 0.5])");
  EXPECT_EQ(repr(T::ColorJitter(0, 0, 0, {-0.2, 0.1})),
            "ColorJitter(brightness=None, contrast=None, saturation=None, hue=(-0.2, 0.1))");
  EXPECT_EQ(repr(T::Grayscale()), "Grayscale(num_output_channels=1)");
  EXPECT_EQ(repr(T::Grayscale(3)), "Grayscale(num_output_channels=3)");
  EXPECT_EQ(repr(T::RandomGrayscale()), "RandomGrayscale(p=0.1)");
  EXPECT_EQ(repr(T::RandomGrayscale(0.5)), "RandomGrayscale(p=0.5)");
}

TEST(TransformsColor, ArgumentErrors) {
  const Tensor x = colour_image();
  const Tensor two = zeros({2, 2, 3}, kFloat64);
  EXPECT_EMBER_ERROR(F::adjust_brightness(two, 1.2),
                     "Input image tensor permitted channel values are [1, 3], but found 2");
  EXPECT_EMBER_ERROR(F::adjust_contrast(two, 1.2),
                     "Input image tensor permitted channel values are [3, 1], but found 2");
  EXPECT_EMBER_ERROR(F::adjust_saturation(two, 1.2), "permitted channel values are [1, 3], but found 2");
  EXPECT_EMBER_ERROR(F::adjust_hue(two, 0.1), "permitted channel values are [1, 3], but found 2");
  EXPECT_EMBER_ERROR(F::rgb_to_grayscale(zeros({4, 4, 2, 2})), "permitted channel values are [1, 3], but found 4");
  EXPECT_EMBER_ERROR(T::ColorJitter(0.5)(two), "permitted channel values are [1, 3], but found 2");
  EXPECT_EMBER_ERROR(T::RandomGrayscale()(two), "permitted channel values are [1, 3], but found 2");
  EXPECT_EMBER_ERROR(F::adjust_brightness(x, -1), "brightness_factor (-1) is not non-negative.");
  EXPECT_EMBER_ERROR(F::adjust_contrast(x, -0.5), "contrast_factor (-0.5) is not non-negative.");
  EXPECT_EMBER_ERROR(F::adjust_saturation(x, -2), "saturation_factor (-2) is not non-negative.");
  EXPECT_EMBER_ERROR(F::adjust_hue(x, 0.6), "hue_factor (0.6) is not in [-0.5, 0.5].");
  EXPECT_EMBER_ERROR(F::adjust_hue(x, -0.51), "hue_factor (-0.51) is not in [-0.5, 0.5].");
  EXPECT_EMBER_ERROR(F::adjust_brightness(x.to(kUInt8), 1.2),
                     "adjust_brightness: expected a float32, float64, bfloat16 or float16 image");
  EXPECT_EMBER_ERROR(F::rgb_to_grayscale(x.to(kInt64)), "but got int64");
  EXPECT_EMBER_ERROR(F::rgb_to_grayscale(x, 2), "num_output_channels should be either 1 or 3");
  EXPECT_EMBER_ERROR(F::adjust_hue(zeros({3}), 0.1), "Tensor is not a torch image.");
  EXPECT_EMBER_ERROR(F::adjust_hue(zeros({1, 1, 3, 2, 2}), 0.1), "expects a batch [B, C, H, W]");
  // per-sample factor tensors: [B] or [1], floating, on the images' device
  const Tensor batch = zeros({4, 3, 2, 2}, kFloat64);
  EXPECT_EMBER_ERROR(F::adjust_brightness(batch, ones({3}, kFloat64)), "a tensor [4] (or [1]), but got shape [3]");
  EXPECT_EMBER_ERROR(F::adjust_contrast(batch, ones({4, 1}, kFloat64)), "but got shape [4, 1]");
  EXPECT_EMBER_ERROR(F::adjust_saturation(batch, ones({4}, kInt64)), "as a floating tensor (float64), but got int64");
  EXPECT_EMBER_ERROR(F::adjust_hue(batch, Tensor()), "hue_factor as a number or a tensor [4]");
  // ColorJitter's arguments, torchvision's messages
  EXPECT_EMBER_ERROR(T::ColorJitter(-0.1), "If brightness is a single number, it must be non negative.");
  EXPECT_EMBER_ERROR(T::ColorJitter(0, -1), "If contrast is a single number, it must be non negative.");
  EXPECT_EMBER_ERROR(T::ColorJitter(0, 0, 0, -0.1), "If hue is a single number, it must be non negative.");
  EXPECT_EMBER_ERROR(T::ColorJitter(0, 0, 0, 0.6), "hue values should be between (-0.5, 0.5)");
  EXPECT_EMBER_ERROR(T::ColorJitter({-0.5, 1}), "brightness values should be between (0, inf)");
  EXPECT_EMBER_ERROR(T::ColorJitter(0, 0, {1.5, 1}), "saturation values should be between (0, inf)");
  EXPECT_EMBER_ERROR(T::ColorJitter(0, 0, 0, {-0.6, 0.1}), "hue values should be between (-0.5, 0.5)");
  EXPECT_EMBER_ERROR(T::ColorJitter(0, T::NumberOrList{0.5, 1, 2}),
                     "contrast should be a single number or a list/tuple with length 2.");
  EXPECT_EMBER_ERROR(T::Grayscale(2), "num_output_channels should be either 1 or 3");
  EXPECT_EMBER_ERROR(T::RandomGrayscale(1.5), "the probability p should be between 0 and 1");
}

}  // namespace
}  // namespace ember
