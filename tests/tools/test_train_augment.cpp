// `ember train --augment SPEC` (tools/train_augment.h): the transforms a SPEC names, in
// its order, with their defaults and the background fill; bad lists are clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "core/random.h"
#include "support/helpers.h"
#include "tools/train_augment.h"

namespace ember::tools {
namespace {

constexpr Normalization kNorm{0.75, 1.0};  // a black pixel is -0.75

TEST(TrainAugment, EmptySpecIsNoTransform) { EXPECT_EQ(parse_augment("", kNorm), nullptr); }

TEST(TrainAugment, NamesTorchvisionTransformsInOrderWithDefaults) {
  const auto chain = parse_augment("crop,flip,rotate,erase", kNorm);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->repr(),
            "Compose(\n"
            "    RandomCrop(size=(28, 28), padding=2)\n"
            "    RandomHorizontalFlip(p=0.5)\n"
            "    RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=-0.75)\n"
            "    RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)\n"
            ")");
  EXPECT_EQ(parse_augment("erase=0.25,crop=4,flip=1,rotate=30", kNorm)->repr(),
            "Compose(\n"
            "    RandomErasing(p=0.25, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)\n"
            "    RandomCrop(size=(28, 28), padding=4)\n"
            "    RandomHorizontalFlip(p=1.0)\n"
            "    RandomRotation(degrees=[-30.0, 30.0], interpolation=nearest, expand=False, fill=-0.75)\n"
            ")");
}

// What a crop brings in from outside the image is the background value (a black pixel
// after normalisation), not 0; a seed repeats the draws.
TEST(TrainAugment, CropFillsWithTheBackgroundAndRepeatsWithTheSeed) {
  const Tensor images = full({16, 1, 28, 28}, 2.0);
  const auto crop = parse_augment("crop=3", kNorm);
  manual_seed(5);
  const Tensor first = (*crop)(images);
  manual_seed(5);
  const Tensor again = (*crop)(images);
  ASSERT_EQ(first.sizes(), images.sizes());
  EXPECT_TRUE(equal(first, again));
  const std::vector<float> values = first.contiguous().to_vector<float>();
  const std::set<float> distinct(values.begin(), values.end());
  EXPECT_EQ(distinct, (std::set<float>{-0.75F, 2.0F}));
  const int64_t moved = (first != 2.0).flatten(1).any(1).to(kInt64).sum().item<int64_t>();
  EXPECT_GT(moved, 8);  // offsets are uniform over 7 x 7 places: 1/49 of samples stay centred
}

TEST(TrainAugment, FlipOneMirrorsEveryImage) {
  manual_seed(1);
  const Tensor images = randn({3, 1, 28, 28});
  EXPECT_TRUE(equal((*parse_augment("flip=1", kNorm))(images), images.flip({3})));
  EXPECT_TRUE(equal((*parse_augment("flip=0", kNorm))(images), images));
}

TEST(TrainAugment, BadListsAreClearErrors) {
  EXPECT_EMBER_ERROR(parse_augment("crop,blur", kNorm),
                     "--augment: expected crop[=PAD], flip[=P], rotate[=DEG], erase[=P], resized_crop[=MIN], jitter[=S] "
                     "or gray[=P], but got 'blur'");
  EXPECT_EMBER_ERROR(parse_augment("flip,flip=0.2", kNorm),
                     "--augment: 'flip' is given twice in 'flip,flip=0.2'");
  EXPECT_EMBER_ERROR(parse_augment("crop,,flip", kNorm), "(an empty item)");
  EXPECT_EMBER_ERROR(parse_augment("flip,", kNorm), "(an empty item)");
  EXPECT_EMBER_ERROR(parse_augment("crop=15", kNorm),
                     "--augment crop: expected an integer from 0 to 14, but got '15'");
  EXPECT_EMBER_ERROR(parse_augment("crop=-1", kNorm), "--augment crop");
  EXPECT_EMBER_ERROR(parse_augment("crop=2.5", kNorm),
                     "--augment crop: expected a decimal integer, but got '2.5'");
  EXPECT_EMBER_ERROR(parse_augment("flip=1.5", kNorm),
                     "--augment flip: expected a number from 0 to 1, but got '1.5'");
  EXPECT_EMBER_ERROR(parse_augment("flip=nan", kNorm), "--augment flip: expected a number, but got 'nan'");
  EXPECT_EMBER_ERROR(parse_augment("erase=", kNorm), "--augment erase: expected a number, but got ''");
  EXPECT_EMBER_ERROR(parse_augment("rotate=0", kNorm),
                     "--augment rotate: expected a number of degrees above 0, but got '0'");
  EXPECT_EMBER_ERROR(parse_augment("rotate=181", kNorm), "expected a number from 0 to 180");
  EXPECT_EMBER_ERROR(parse_augment("resized_crop=0", kNorm),
                     "--augment resized_crop: expected the smallest area fraction above 0, but got '0'");
  EXPECT_EMBER_ERROR(parse_augment("jitter=0", kNorm), "--augment jitter: expected a strength above 0");
  EXPECT_EMBER_ERROR(parse_augment("jitter=1.5", kNorm), "expected a number from 0 to 1");
  EXPECT_EMBER_ERROR(parse_augment("gray", kNorm), "--augment gray: expected colour images");
}

TEST(TrainAugment, ResizedCropJitterAndGrayForColourImages) {
  const ImageShape rgb{3, 32, 24};
  const auto chain = parse_augment("resized_crop=0.5,jitter,gray=0.2", {0.5, 0.5}, rgb);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->repr(),
            "Compose(\n"
            "    RandomResizedCrop(size=(32, 24), scale=(0.5, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, "
            "antialias=True)\n"
            "    ColorJitter(brightness=[0.6, 1.4], contrast=[0.6, 1.4], saturation=[0.6, 1.4], hue=None) on pixels in "
            "[0, 1]\n"
            "    RandomGrayscale(p=0.2)\n"
            ")");
  manual_seed(3);
  const Tensor images = rand({8, 3, 32, 24}) * 2.0 - 1.0;  // normalised to [-1, 1]
  const Tensor out = (*chain)(images);
  EXPECT_EQ(out.sizes(), images.sizes());
  EXPECT_FALSE(equal(out, images));
  // jitter clamps the pixels to [0, 1], so both ends of the normalised range are reached
  // (saturated pixels); a clamp of the normalised values to [0, 1] would give no -1
  EXPECT_NEAR(out.min().item<float>(), -1.0F, 1e-6F);
  EXPECT_NEAR(out.max().item<float>(), 1.0F, 1e-6F);
}

// jitter works on the pixels: a grey image of pixel value p (normalised (p - mean) / std)
// comes back as clamp(f * p) for a brightness factor f in [0.5, 1.5] per sample (contrast
// and saturation leave a flat grey image as it is). Below the mean the normalised value is
// negative: jitter on it would clamp it to 0, a pixel of 0.5 (a ratio of 2.5).
TEST(TrainAugment, JitterScalesThePixelsNotTheNormalisedValues) {
  const Normalization norm{0.5, 0.5};
  const auto jitter = parse_augment("jitter=0.5", norm);
  const double pixel = 0.2;
  manual_seed(9);
  const Tensor out = (*jitter)(full({64, 1, 28, 28}, (pixel - norm.mean) / norm.std)) * norm.std + norm.mean;
  std::set<float> factors;
  for (int64_t b = 0; b < 64; ++b) {
    const Tensor sample = out[b];
    const float value = sample.flatten()[0].item<float>();
    EXPECT_TRUE(equal(sample, full_like(sample, value))) << "sample " << b << " is not flat";
    EXPECT_GE(value / pixel, 0.5 - 1e-5);
    EXPECT_LE(value / pixel, 1.5 + 1e-5);
    factors.insert(value);
  }
  EXPECT_GT(factors.size(), 32u);  // a factor per sample
  EXPECT_LT(*factors.begin() / pixel, 0.6);   // the factors span their range
  EXPECT_GT(*factors.rbegin() / pixel, 1.4);
}

}  // namespace
}  // namespace ember::tools
