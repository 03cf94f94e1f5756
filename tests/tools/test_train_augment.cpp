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

constexpr double kBackground = -0.75;

TEST(TrainAugment, EmptySpecIsNoTransform) { EXPECT_EQ(parse_augment("", kBackground), nullptr); }

TEST(TrainAugment, NamesTorchvisionTransformsInOrderWithDefaults) {
  const auto chain = parse_augment("crop,flip,rotate,erase", kBackground);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->repr(),
            "Compose(\n"
            "    RandomCrop(size=(28, 28), padding=2)\n"
            "    RandomHorizontalFlip(p=0.5)\n"
            "    RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=-0.75)\n"
            "    RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)\n"
            ")");
  EXPECT_EQ(parse_augment("erase=0.25,crop=4,flip=1,rotate=30", kBackground)->repr(),
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
  const auto crop = parse_augment("crop=3", kBackground);
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
  EXPECT_TRUE(equal((*parse_augment("flip=1", kBackground))(images), images.flip({3})));
  EXPECT_TRUE(equal((*parse_augment("flip=0", kBackground))(images), images));
}

TEST(TrainAugment, BadListsAreClearErrors) {
  EXPECT_EMBER_ERROR(parse_augment("crop,blur", kBackground),
                     "--augment: expected crop[=PAD], flip[=P], rotate[=DEG] or erase[=P], but got 'blur'");
  EXPECT_EMBER_ERROR(parse_augment("flip,flip=0.2", kBackground),
                     "--augment: 'flip' is given twice in 'flip,flip=0.2'");
  EXPECT_EMBER_ERROR(parse_augment("crop,,flip", kBackground), "(an empty item)");
  EXPECT_EMBER_ERROR(parse_augment("flip,", kBackground), "(an empty item)");
  EXPECT_EMBER_ERROR(parse_augment("crop=15", kBackground),
                     "--augment crop: expected an integer from 0 to 14, but got '15'");
  EXPECT_EMBER_ERROR(parse_augment("crop=-1", kBackground), "--augment crop");
  EXPECT_EMBER_ERROR(parse_augment("crop=2.5", kBackground),
                     "--augment crop: expected a decimal integer, but got '2.5'");
  EXPECT_EMBER_ERROR(parse_augment("flip=1.5", kBackground),
                     "--augment flip: expected a number from 0 to 1, but got '1.5'");
  EXPECT_EMBER_ERROR(parse_augment("flip=nan", kBackground), "--augment flip: expected a number, but got 'nan'");
  EXPECT_EMBER_ERROR(parse_augment("erase=", kBackground), "--augment erase: expected a number, but got ''");
  EXPECT_EMBER_ERROR(parse_augment("rotate=0", kBackground),
                     "--augment rotate: expected a number of degrees above 0, but got '0'");
  EXPECT_EMBER_ERROR(parse_augment("rotate=181", kBackground), "expected a number from 0 to 180");
}

}  // namespace
}  // namespace ember::tools
