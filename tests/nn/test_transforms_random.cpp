// ember::transforms, the random part: each sample of a batch gets its own decision
// (flips, crop offsets, erased rectangles, affine parameters), p = 0 / 1 exact, the
// decision rates and torchvision's erased-area mean in honest bands, reproducibility
// under manual_seed, dtypes and layouts, inputs that require grad, and Compose.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace T = transforms;

// Which of the candidates sample b of out equals (-1: none).
int which_candidate(const Tensor& out_sample, const std::vector<Tensor>& candidates) {
  for (size_t i = 0; i < candidates.size(); ++i)
    if (equal(out_sample, candidates[i])) return static_cast<int>(i);
  return -1;
}

TEST(TransformsRandom, FlipsWithPOneAndZeroAreExact) {
  manual_seed(1);
  const Tensor x = randn({5, 2, 3, 4}, kFloat64);
  EXPECT_TRUE(equal(T::RandomHorizontalFlip(1.0)(x), x.flip({3})));
  EXPECT_TRUE(equal(T::RandomHorizontalFlip(0.0)(x), x));
  EXPECT_TRUE(equal(T::RandomVerticalFlip(1.0)(x), x.flip({2})));
  EXPECT_TRUE(equal(T::RandomVerticalFlip(0.0)(x), x));
  // one image [C, H, W] and [H, W]
  EXPECT_TRUE(equal(T::RandomHorizontalFlip(1.0)(x[0]), x[0].flip({2})));
  EXPECT_TRUE(equal(T::RandomVerticalFlip(1.0)(x[0][0]), x[0][0].flip({0})));
}

TEST(TransformsRandom, FlipsDecidePerSampleAtRateP) {
  manual_seed(2);
  const int64_t n = 2000;
  const Tensor x = randn({n, 2, 3, 5});
  const Tensor h = T::RandomHorizontalFlip()(x), v = T::RandomVerticalFlip(0.2)(x);
  int64_t h_flipped = 0, v_flipped = 0;
  for (int64_t b = 0; b < n; ++b) {
    const int hc = which_candidate(h[b], {x[b], x[b].flip({2})});
    const int vc = which_candidate(v[b], {x[b], x[b].flip({1})});
    ASSERT_GE(hc, 0) << "sample " << b << " is neither its original nor its flip";
    ASSERT_GE(vc, 0) << "sample " << b;
    h_flipped += hc;
    v_flipped += vc;
  }
  // binomial(2000, p): sd 22.4 (p = 0.5) and 17.9 (p = 0.2); the bands are 4.5 sd wide
  EXPECT_GT(h_flipped, 900);
  EXPECT_LT(h_flipped, 1100);
  EXPECT_GT(v_flipped, 320);
  EXPECT_LT(v_flipped, 480);
}

TEST(TransformsRandom, SameSeedSameBatch) {
  const Tensor x = randn({64, 3, 12, 10});
  const T::Compose augment({T::RandomCrop(8, 2), T::RandomHorizontalFlip(), T::RandomErasing(),
                            T::RandomAffine(20, {.translate = {{0.1, 0.1}}, .scale = {{0.9, 1.1}}, .shear = 5})});
  manual_seed(11);
  const Tensor a = augment(x);
  manual_seed(11);
  const Tensor b = augment(x);
  EXPECT_TRUE(equal(a, b));
  manual_seed(12);
  EXPECT_FALSE(equal(augment(x), a));
  // Compose is the transforms one after the other
  manual_seed(11);
  Tensor step = T::RandomCrop(8, 2)(x);
  step = T::RandomHorizontalFlip()(step);
  step = T::RandomErasing()(step);
  step = T::RandomAffine(20, {.translate = {{0.1, 0.1}}, .scale = {{0.9, 1.1}}, .shear = 5})(step);
  EXPECT_TRUE(equal(step, a));
}

TEST(TransformsRandom, RandomCropTakesAValidOffsetPerSample) {
  manual_seed(3);
  const int64_t n = 300;
  const Tensor x = randn({n, 1, 28, 28}) + 10.0;  // no zeros: the padding is recognisable
  const Tensor out = T::RandomCrop(28, 4)(x);
  ASSERT_EQ(out.sizes(), (Dims{n, 1, 28, 28}));
  const Tensor padded = x.contiguous();
  std::set<std::pair<int64_t, int64_t>> offsets;
  std::set<int64_t> tops;
  for (int64_t b = 0; b < n; ++b) {
    const Tensor p = T::Pad(4)(x[b]);
    bool found = false;
    for (int64_t i = 0; i <= 8 && !found; ++i)
      for (int64_t j = 0; j <= 8 && !found; ++j)
        if (equal(out[b], p.narrow(1, i, 28).narrow(2, j, 28))) {
          found = true;
          offsets.insert({i, j});
          tops.insert(i);
        }
    ASSERT_TRUE(found) << "sample " << b << " is not a 28x28 window of its padded image";
  }
  // 81 offsets, 300 draws: nearly all of them appear, the extremes too
  EXPECT_GT(offsets.size(), 60u);
  EXPECT_TRUE(tops.count(0) && tops.count(8));
}

TEST(TransformsRandom, RandomCropOddSizesLayoutsAndDtypes) {
  manual_seed(4);
  const Tensor x = randn({6, 3, 7, 9}, kFloat64);
  // the crop of a channels-last or non-contiguous batch equals that of its contiguous copy
  const T::RandomCrop crop({5, 4});
  manual_seed(5);
  const Tensor ref = crop(x);
  manual_seed(5);
  EXPECT_TRUE(equal(crop(x.contiguous(MemoryFormat::ChannelsLast)), ref));
  const Tensor strided = x.transpose(2, 3).contiguous().transpose(2, 3);
  manual_seed(5);
  EXPECT_TRUE(equal(crop(strided), ref));
  // every channel cut at the sample's one offset
  for (int64_t b = 0; b < 6; ++b) {
    bool found = false;
    for (int64_t i = 0; i <= 2 && !found; ++i)
      for (int64_t j = 0; j <= 5 && !found; ++j) found = equal(ref[b], x[b].narrow(1, i, 5).narrow(2, j, 4));
    EXPECT_TRUE(found) << "sample " << b;
  }
  // bfloat16, uint8 and one image keep their dtype and shape
  EXPECT_EQ(crop(x.to(kBFloat16)).dtype(), kBFloat16);
  EXPECT_EQ(crop(x.to(kUInt8)).sizes(), (Dims{6, 3, 5, 4}));
  EXPECT_EQ(crop(x[0]).sizes(), (Dims{3, 5, 4}));
  // pad_if_needed pads both sides by what is missing, in the padding mode
  const Tensor small = randn({2, 1, 3, 4}, kFloat64);
  const Tensor grown = T::RandomCrop({6, 5}, std::nullopt, true, 0, "edge")(small);
  EXPECT_EQ(grown.sizes(), (Dims{2, 1, 6, 5}));
  const Tensor edge_padded = T::Pad({1, 3}, 0, "edge")(small);  // (4 + 2, 3 + 6): every valid window
  for (int64_t b = 0; b < 2; ++b) {
    bool found = false;
    for (int64_t i = 0; i <= 3 && !found; ++i)
      for (int64_t j = 0; j <= 1 && !found; ++j)
        found = equal(grown[b], edge_padded[b].narrow(1, i, 6).narrow(2, j, 5));
    EXPECT_TRUE(found) << "sample " << b;
  }
  // the whole image: itself, no draw
  EXPECT_TRUE(equal(T::RandomCrop({7, 9})(x), x));
  // an empty batch
  EXPECT_EQ(crop(randn({0, 3, 7, 9})).sizes(), (Dims{0, 3, 5, 4}));
}

// The erased rectangle of sample b of out (ones where the input was not erased): its
// height and width, or (0, 0) when nothing was erased; checks it spans every channel.
std::pair<int64_t, int64_t> erased_box(const Tensor& out_sample, double value) {
  const Tensor erased = eq(out_sample, value);  // [C, H, W]
  const Tensor any_channel = erased.any(0), all_channels = erased.all(0);
  EXPECT_TRUE(equal(any_channel, all_channels)) << "the rectangle differs between channels";
  const int64_t count = any_channel.to(kInt64).sum().item<int64_t>();
  if (count == 0) return {0, 0};
  const int64_t rows = any_channel.any(1).to(kInt64).sum().item<int64_t>();
  const int64_t cols = any_channel.any(0).to(kInt64).sum().item<int64_t>();
  EXPECT_EQ(rows * cols, count) << "the erased pixels are not a rectangle";
  return {rows, cols};
}

TEST(TransformsRandom, RandomErasingMatchesTorchvisionsDistribution) {
  manual_seed(6);
  const int64_t n = 2000;
  const Tensor x = ones({n, 2, 28, 28});
  const Tensor out = T::RandomErasing(1.0)(x);
  double area_sum = 0;
  std::set<std::pair<int64_t, int64_t>> sizes;
  for (int64_t b = 0; b < n; ++b) {
    const auto [h, w] = erased_box(out[b], 0.0);
    ASSERT_GT(h * w, 0) << "sample " << b << " was not erased with p = 1";
    EXPECT_LT(h, 28);
    EXPECT_LT(w, 28);
    area_sum += static_cast<double>(h * w) / 784.0;
    sizes.insert({h, w});
  }
  // torchvision 0.14's get_params on 28x28, 40000 draws: mean erased fraction 0.17417
  // (sd 0.0892, so the mean of 2000 has sd 0.0020; the band is 5 sd)
  EXPECT_NEAR(area_sum / static_cast<double>(n), 0.17417, 0.01);
  EXPECT_GT(sizes.size(), 100u);
}

TEST(TransformsRandom, RandomErasingRateValuesAndNoFit) {
  manual_seed(7);
  const int64_t n = 2000;
  const Tensor x = ones({n, 3, 10, 12}, kFloat64);
  const Tensor half = T::RandomErasing()(x);
  const int64_t erased = ne(half, 1.0).any(3).any(2).any(1).to(kInt64).sum().item<int64_t>();
  EXPECT_GT(erased, 900);  // binomial(2000, 0.5)
  EXPECT_LT(erased, 1100);
  // a value per channel; "random": standard normal noise inside the rectangle
  const Tensor per_channel = T::RandomErasing(1.0, {0.1, 0.2}, {0.5, 2.0}, {5, 6, 7})(x.narrow(0, 0, 20));
  for (int64_t b = 0; b < 20; ++b) {
    const auto [h, w] = erased_box(per_channel[b].select(0, 0).unsqueeze(0), 5.0);
    EXPECT_GT(h * w, 0);
    EXPECT_EQ(eq(per_channel[b].select(0, 1), 6.0).to(kInt64).sum().item<int64_t>(), h * w);
    EXPECT_EQ(eq(per_channel[b].select(0, 2), 7.0).to(kInt64).sum().item<int64_t>(), h * w);
  }
  const Tensor noisy = T::RandomErasing(1.0, {0.3, 0.33}, {1.0, 1.0}, "random")(x.narrow(0, 0, 50));
  const Tensor noise = masked_select(noisy, ne(noisy, 1.0));
  EXPECT_GT(noise.numel(), 50 * 3 * 30);
  EXPECT_NEAR(noise.mean().item<double>(), 0.0, 0.1);
  EXPECT_NEAR(noise.std().item<double>(), 1.0, 0.1);
  // no try fits (every h = 10 >= H): the images stay as they are
  EXPECT_TRUE(equal(T::RandomErasing(1.0, {0.99, 1.0}, {1.0, 1.0})(x.narrow(0, 0, 50)), x.narrow(0, 0, 50)));
  EXPECT_TRUE(equal(T::RandomErasing(0.0)(x), x));
  // one image, bfloat16, an empty batch
  EXPECT_EQ(T::RandomErasing(1.0)(x[0]).sizes(), (Dims{3, 10, 12}));
  const Tensor bf = T::RandomErasing(1.0)(x.narrow(0, 0, 4).to(kBFloat16));
  EXPECT_EQ(bf.dtype(), kBFloat16);
  EXPECT_GT(eq(bf, 0.0).to(kInt64).sum().item<int64_t>(), 0);
  EXPECT_EQ(T::RandomErasing(1.0)(ones({0, 3, 10, 12})).numel(), 0);
}

TEST(TransformsRandom, RandomErasingKeepsIntegerAndBoolImagesTheirDtype) {
  manual_seed(3);
  const Tensor u8 = full({4, 3, 10, 12}, 200.0, TensorOptions(kUInt8));
  for (double p : {1.0, 0.0}) {
    const Tensor out = T::RandomErasing(p, {0.1, 0.2}, {0.5, 2.0}, 7.0)(u8);
    EXPECT_EQ(out.dtype(), kUInt8) << "p=" << p;  // was float32, erased or not
    const int64_t sevens = eq(out, 7.0).to(kInt64).sum().item<int64_t>();
    EXPECT_EQ(sevens + eq(out, 200.0).to(kInt64).sum().item<int64_t>(), out.numel());
    if (p == 1.0) EXPECT_GT(sevens, 0);
    else EXPECT_EQ(sevens, 0);
  }
  const Tensor mask = ones({2, 1, 10, 12}, TensorOptions(kBool));
  const Tensor erased = T::RandomErasing(1.0, {0.1, 0.2}, {0.5, 2.0}, 0.0)(mask);
  EXPECT_EQ(erased.dtype(), kBool);
  EXPECT_GT(eq(erased.to(kInt64), 0.0).to(kInt64).sum().item<int64_t>(), 0);
}

TEST(TransformsRandom, ReversedRangesAreTorchsUniformError) {
  const Tensor x = ones({2, 3, 10, 12});
  constexpr const char* kRange = "uniform_ expects to return a [from, to) range, but found from=10 > to=-10";
  EXPECT_EMBER_ERROR(T::RandomRotation(std::vector<double>{10, -10})(x), kRange);
  EXPECT_EMBER_ERROR(T::RandomAffine(std::vector<double>{10, -10})(x), kRange);
  EXPECT_EMBER_ERROR(T::RandomAffine(0.0, {.scale = std::vector<double>{1.1, 0.9}})(x), "found from=1.1 > to=0.9");
  EXPECT_EMBER_ERROR(T::RandomAffine(0.0, {.shear = std::vector<double>{5, -5}})(x), "found from=5 > to=-5");
  EXPECT_EMBER_ERROR(T::RandomErasing(1.0, {0.33, 0.02})(x), "found from=0.33 > to=0.02");
  EXPECT_EMBER_ERROR(T::RandomErasing(1.0, {0.02, 0.33}, {3.3, 0.3})(x), "found from=3.3 > to=0.3");
  // p = 0 never draws, as torchvision's
  EXPECT_TRUE(equal(T::RandomErasing(0.0, {0.33, 0.02})(x), x));
}

TEST(TransformsRandom, RandomRotationTurnsEachSampleByItsDraw) {
  // white box: RandomRotation draws one uniform per sample (rand over [B], float64)
  const int64_t n = 8;
  const Tensor img = randn({3, 9, 11}, kFloat64);
  const Tensor batch = img.unsqueeze(0).expand({n, 3, 9, 11});
  const T::RandomRotation rotation(180, {.interpolation = T::InterpolationMode::BILINEAR, .fill = {0.5, 0, 1}});
  manual_seed(8);
  const Tensor out = rotation(batch);
  manual_seed(8);
  const std::vector<double> u = rand({n}, kFloat64).to_vector<double>();
  std::set<double> angles;
  for (int64_t b = 0; b < n; ++b) {
    const double angle = u[static_cast<size_t>(b)] * 360.0 - 180.0;
    const Tensor expected =
        T::functional::rotate(img, angle, T::InterpolationMode::BILINEAR, std::nullopt, T::NumberOrList{0.5, 0, 1});
    EXPECT_LT(testing::max_abs_diff(out[b], expected), 1e-12) << "sample " << b;
    angles.insert(angle);
  }
  EXPECT_EQ(angles.size(), static_cast<size_t>(n));
}

TEST(TransformsRandom, RandomAffineTranslatesByWholePixelsPerSample) {
  manual_seed(9);
  const int64_t n = 40;
  const Tensor img = rand({1, 6, 8}, kFloat64) + 1.0;
  const Tensor batch = img.unsqueeze(0).expand({n, 1, 6, 8});
  const Tensor out = T::RandomAffine(0, {.translate = {{0.25, 0.5}}})(batch);
  std::set<std::pair<int64_t, int64_t>> shifts;
  for (int64_t b = 0; b < n; ++b) {
    bool found = false;
    for (int64_t tx = -2; tx <= 2 && !found; ++tx)  // |tx| <= 0.25 * 8, |ty| <= 0.5 * 6
      for (int64_t ty = -3; ty <= 3 && !found; ++ty)
        if (equal(out[b], T::functional::affine(img, 0, {double(tx), double(ty)}, 1.0, 0.0))) {
          found = true;
          shifts.insert({tx, ty});
        }
    EXPECT_TRUE(found) << "sample " << b << " is not the image moved by whole pixels in range";
  }
  EXPECT_GT(shifts.size(), 10u);
}

TEST(TransformsRandom, AffineDtypesLayoutsAndEmpty) {
  const Tensor x = randn({4, 2, 7, 6}, kFloat64);
  const T::RandomAffine affine(
      30,
      {.scale = {{0.8, 1.2}}, .shear = T::NumberOrList{-5, 5, -3, 3}, .interpolation = T::InterpolationMode::BILINEAR});
  manual_seed(10);
  const Tensor ref = affine(x);
  manual_seed(10);
  EXPECT_LT(testing::max_abs_diff(affine(x.contiguous(MemoryFormat::ChannelsLast)), ref), 1e-12);
  manual_seed(10);
  const Tensor f32 = affine(x.to(kFloat32));
  EXPECT_EQ(f32.dtype(), kFloat32);
  EXPECT_LT(testing::max_abs_diff(f32, ref), 1e-4);
  manual_seed(10);
  const Tensor bf = affine(x.to(kBFloat16));
  EXPECT_EQ(bf.dtype(), kBFloat16);
  EXPECT_LT(testing::max_abs_diff(bf, ref), 0.1);
  EXPECT_EQ(affine(randn({0, 2, 7, 6})).sizes(), (Dims{0, 2, 7, 6}));
  EXPECT_EQ(T::RandomRotation(10)(x[0]).sizes(), (Dims{2, 7, 6}));
}

TEST(TransformsRandom, InputsThatRequireGrad) {
  // the transforms are differentiable compositions: reseeded inside the function, each
  // evaluation makes the same decisions, so gradcheck sees one fixed function
  const auto seeded = [](const T::Transform& t) {
    return [&t](const std::vector<Tensor>& in) {
      manual_seed(21);
      return t(in[0]);
    };
  };
  const Tensor x = testing::grad_input({3, 2, 5, 6});
  const T::RandomCrop crop(4, 1);
  const T::RandomHorizontalFlip flip;
  const T::RandomErasing erasing(0.7, {0.1, 0.3});
  const T::RandomAffine affine(
      25, {.translate = {{0.2, 0.2}}, .scale = {{0.8, 1.2}}, .interpolation = T::InterpolationMode::BILINEAR});
  testing::expect_gradcheck(seeded(crop), {x});
  testing::expect_gradcheck(seeded(flip), {x});
  testing::expect_gradcheck(seeded(erasing), {x});
  testing::expect_gradcheck(seeded(affine), {x});
  const Tensor y = T::Compose({crop, flip})(x);
  EXPECT_NE(y.grad_fn(), nullptr);
  y.sum().backward();
  EXPECT_EQ(x.grad().sizes(), x.sizes());
  // under NoGradGuard nothing is recorded
  NoGradGuard no_grad;
  EXPECT_EQ(T::Compose({crop, flip, erasing, affine})(x).grad_fn(), nullptr);
}

}  // namespace
}  // namespace ember
