// ember::transforms, the deterministic part: Pad, CenterCrop, Normalize and the
// functional affine / rotate against torchvision 0.14's tensor path (values pasted from
// it), the reprs, and every argument error.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace T = transforms;
using testing::expect_values;

Tensor arange_image(int64_t c, int64_t h, int64_t w, double offset = 0) {
  return (arange(0, c * h * w, 1, TensorOptions(kFloat64)) + offset).view({c, h, w});
}

TEST(Transforms, PadModesMatchTorchvision) {
  const Tensor x = arange_image(1, 3, 4);
  const std::vector<int64_t> ltrb{2, 1, 1, 2};
  Tensor y = T::Pad(ltrb, 9)(x);
  EXPECT_EQ(y.sizes(), (Dims{1, 6, 7}));
  expect_values(y, {9, 9, 9, 9, 9,  9,  9, 9, 9, 0, 1, 2, 3, 9, 9, 9, 4, 5, 6, 7, 9,
                    9, 9, 8, 9, 10, 11, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9},
                0);
  expect_values(T::Pad(ltrb, 9, "edge")(x), {0, 0, 0, 1, 2,  3,  3,  0, 0, 0, 1, 2,  3,  3,  4, 4, 4, 5, 6,  7,  7,
                                             8, 8, 8, 9, 10, 11, 11, 8, 8, 8, 9, 10, 11, 11, 8, 8, 8, 9, 10, 11, 11},
                0);
  expect_values(T::Pad(ltrb, 9, "reflect")(x), {6,  5, 4, 5, 6,  7,  6,  2, 1, 0, 1, 2, 3, 2, 6, 5, 4, 5, 6, 7, 6,
                                                10, 9, 8, 9, 10, 11, 10, 6, 5, 4, 5, 6, 7, 6, 2, 1, 0, 1, 2, 3, 2},
                0);
  expect_values(T::Pad(ltrb, 9, "symmetric")(x), {1, 0, 0, 1, 2,  3,  3,  1, 0, 0, 1, 2,  3,  3,  5, 4, 4, 5, 6, 7, 7,
                                                  9, 8, 8, 9, 10, 11, 11, 9, 8, 8, 9, 10, 11, 11, 5, 4, 4, 5, 6, 7, 7},
                0);
  // a pair is (left/right, top/bottom); negative values crop
  const Tensor cropped = T::Pad({-1, 1}, 7)(x);
  EXPECT_EQ(cropped.sizes(), (Dims{1, 5, 2}));
  expect_values(cropped, {7, 7, 1, 2, 5, 6, 9, 10, 7, 7}, 0);
  // an int pads every side; a batch pads every sample alike; [H, W] stays 2-D
  const Tensor batch = stack({x, x + 100.0});
  const Tensor padded = T::Pad(1)(batch);
  EXPECT_EQ(padded.sizes(), (Dims{2, 1, 5, 6}));
  EXPECT_TRUE(equal(padded.select(0, 1), T::Pad(1)(x + 100.0)));
  EXPECT_EQ(T::Pad(2, 0, "symmetric")(x.select(0, 0)).sizes(), (Dims{7, 8}));
}

TEST(Transforms, CenterCropMatchesTorchvision) {
  const Tensor y = arange_image(1, 5, 6);
  // offsets round((5 - 2) / 2) = 2 (half to even) and (6 - 2) / 2 = 2
  expect_values(T::CenterCrop(2)(y), {14, 15, 20, 21}, 0);
  expect_values(T::CenterCrop(3)(y), {8, 9, 10, 14, 15, 16, 20, 21, 22}, 0);
  // larger than the image: zero-padded first
  const Tensor big = T::CenterCrop({7, 4})(y);
  EXPECT_EQ(big.sizes(), (Dims{1, 7, 4}));
  expect_values(big, {0, 0, 0, 0, 1, 2, 3, 4, 7, 8, 9, 10, 13, 14, 15, 16, 19, 20, 21, 22, 25, 26, 27, 28, 0, 0, 0, 0},
                0);
  // a batch, non-contiguous and channels-last input: the same crop of each sample
  const Tensor batch = randn({3, 2, 7, 9}, kFloat64).contiguous(MemoryFormat::ChannelsLast);
  const Tensor out = T::CenterCrop({4, 5})(batch);
  EXPECT_TRUE(equal(out, batch.contiguous().narrow(2, 2, 4).narrow(3, 2, 5)));
  const Tensor strided = randn({2, 9, 7}, kFloat64).transpose(1, 2);
  EXPECT_TRUE(equal(T::CenterCrop(3)(strided), strided.contiguous().narrow(1, 2, 3).narrow(2, 3, 3)));
  EXPECT_EQ(T::CenterCrop(0)(y).numel(), 0);
}

TEST(Transforms, NormalizeMatchesTorchvision) {
  const Tensor n = arange_image(2, 2, 3) / 10.0;
  expect_values(T::Normalize({0.5, 0.25}, {0.5, 2.0})(n),
                {-1.0, -0.8, -0.6, -0.4, -0.2, 0.0, 0.175, 0.225, 0.275, 0.325, 0.375, 0.425}, 1e-12);
  // a batch, one value for every channel, float32 and bfloat16
  const Tensor batch = stack({n, n * 2.0});
  const Tensor out = T::Normalize({0.5}, {0.25})(batch.to(kFloat32));
  EXPECT_EQ(out.dtype(), kFloat32);
  EXPECT_LT(testing::max_abs_diff(out, (batch - 0.5) / 0.25), 1e-6);
  const Tensor bf = T::Normalize({0.5, 0.5}, {0.5, 0.5})(batch.to(kBFloat16));
  EXPECT_EQ(bf.dtype(), kBFloat16);
  EXPECT_LT(testing::max_abs_diff(bf, (batch - 0.5) / 0.5), 2e-2);
  // differentiable: gradcheck in float64
  testing::expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return T::Normalize({0.1, -0.3}, {0.7, 1.9})(in[0]);
      },
      {testing::grad_input({2, 2, 3, 3})});
}

TEST(Transforms, FunctionalAffineMatchesTorchvision) {
  const Tensor img = arange_image(1, 5, 6, 1.0);
  using IM = T::InterpolationMode;
  // bilinear, no fill (zeros outside): F.affine(img, 30, [1, -2], 1.2, [10, 5], BILINEAR)
  expect_values(T::functional::affine(img, 30, {1, -2}, 1.2, {10, 5}, IM::BILINEAR),
                {20.6163403, 19.1545288, 17.6927173, 16.2309058, 14.7690942, 13.3072827, 25.7155364, 24.2537249,
                 22.7919134, 21.3301019, 19.8682904, 18.4064789, 6.4778514,  16.168673,  26.325692,  26.429298,
                 24.9674865, 23.505675,  0.0,        0.0,        5.4996168,  15.8175142, 26.6016088, 24.4777492,
                 0.0,        0.0,        0.0,        0.0,        4.1915463,  4.6226152},
                1e-6);
  // with fill: the edges blended with it
  expect_values(T::functional::affine(img, 30, {1, -2}, 1.2, {10, 5}, IM::BILINEAR, T::NumberOrList{0.5}),
                {20.6163403, 19.1545288, 17.6927173, 16.2309058, 14.7690942, 13.3072827, 25.7155364, 24.2537249,
                 22.7919134, 21.3301019, 19.8682904, 18.4064789, 1.9727754,  9.8996244,  25.1228956, 26.429298,
                 24.9674865, 23.505675,  0.5,        0.5,        1.4763498,  8.9064368,  24.0525059, 21.1191963,
                 0.5,        0.5,        0.5,        0.5,        1.0157762,  1.1352421},
                1e-6);
  expect_values(
      T::functional::affine(img, -20, {0, 1}, 0.9, {0, -8}, IM::NEAREST, T::NumberOrList{2.0}),
      {2, 2, 2, 2, 2, 2, 2, 2, 4, 5, 6, 2, 1, 8, 9, 10, 11, 12, 7, 14, 15, 16, 17, 24, 19, 20, 21, 22, 23, 30}, 0);
  // a number shears x only; a centre in pixels. (Nearest at 45 degrees here puts one grid
  // point exactly halfway between two pixels, where torchvision's grid arithmetic and
  // affine_grid's round apart by an ulp and pick different neighbours: 40 has no such tie.)
  expect_values(T::functional::affine(img, 40, {0, 0}, 1.0, 7, IM::NEAREST, std::nullopt, std::make_pair(1.0, 2.0)),
                {0, 1, 0, 0, 0, 0, 7, 7, 2, 3, 0, 0, 14, 14, 9, 4, 4, 0, 20, 15, 16, 10, 5, 6, 27, 22, 16, 17, 12, 12},
                0);
  expect_values(T::functional::affine(img, 45, {0, 0}, 1.0, 7, IM::BILINEAR, std::nullopt, std::make_pair(1.0, 2.0)),
                {0.0,      0.93799, 0.46939,  0.0,      0.0,     0.0,      7.92893,  6.17054,  2.54818,  1.00492,
                 0.0,      0.0,     14.82946, 11.20711, 7.58475, 3.9624,   1.54045,  0.0,      19.86603, 16.24368,
                 12.62132, 8.99896, 5.37661,  2.07599,  24.9026, 21.28025, 17.65789, 14.03553, 10.41318, 4.71598},
                1e-5);
  expect_values(T::functional::rotate(img, 30, IM::BILINEAR, std::make_pair(1.0, 2.0), T::NumberOrList{0.0}),
                {1.6431534,  5.3887841,  9.2548095,  13.1208349, 16.9868603, 15.0616677, 6.2189111,  10.0849365,
                 13.9509619, 17.8169873, 21.6830127, 25.5490381, 7.4076135,  14.7810889, 18.6471143, 22.5131397,
                 26.3791651, 19.4547732, 1.6372595,  19.4772413, 23.3432667, 24.3400597, 5.6497464,  0.0,
                 0.0,        11.4249183, 8.7416212,  0.1905637,  0.0,        0.0},
                1e-6);
}

TEST(Transforms, RotationConventionsByHand) {
  // a square image turned a quarter: rotate counter-clockwise, affine clockwise
  // (out[i][j] = in[j][W-1-i] and in[H-1-j][i])
  const Tensor sq = arange_image(1, 4, 4);
  const Tensor ccw = T::functional::rotate(sq, 90);
  EXPECT_TRUE(equal(ccw, sq.transpose(1, 2).flip({1})));
  expect_values(ccw, {3, 7, 11, 15, 2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12}, 0);
  EXPECT_TRUE(equal(T::functional::affine(sq, 90, {0, 0}, 1.0, 0.0), sq.transpose(1, 2).flip({2})));
  // RandomRotation((90, 90)) is rotate(90), RandomAffine((90, 90)) is affine(90)
  EXPECT_TRUE(equal(T::RandomRotation({90, 90})(sq), ccw));
  EXPECT_TRUE(equal(T::RandomAffine({90, 90})(sq), sq.transpose(1, 2).flip({2})));
  // a translation by whole pixels moves the image right and down
  const Tensor moved = T::functional::affine(sq, 0, {1, 2}, 1.0, 0.0);
  expect_values(moved, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 4, 5, 6}, 0);
  // float32, bfloat16 and uint8 go through float32 and back
  EXPECT_TRUE(equal(T::functional::rotate(sq.to(kFloat32), 90), ccw.to(kFloat32)));
  EXPECT_TRUE(equal(T::functional::rotate(sq.to(kBFloat16), 90), ccw.to(kBFloat16)));
  const Tensor u8 = T::functional::rotate(sq.to(kUInt8), 90);
  EXPECT_EQ(u8.dtype(), kUInt8);
  EXPECT_TRUE(equal(u8, ccw.to(kUInt8)));
}

TEST(Transforms, ReprsMatchTorchvision) {
  const auto repr = [](const T::Transform& t) {
    std::ostringstream os;
    os << t;
    return os.str();
  };
  EXPECT_EQ(repr(T::Normalize({0.1307}, {0.3081})), "Normalize(mean=[0.1307], std=[0.3081])");
  EXPECT_EQ(repr(T::RandomHorizontalFlip()), "RandomHorizontalFlip(p=0.5)");
  EXPECT_EQ(repr(T::RandomVerticalFlip(0.3)), "RandomVerticalFlip(p=0.3)");
  EXPECT_EQ(repr(T::Pad(4)), "Pad(padding=4, fill=0, padding_mode=constant)");
  EXPECT_EQ(repr(T::Pad({1, 2})), "Pad(padding=[1, 2], fill=0, padding_mode=constant)");
  EXPECT_EQ(repr(T::Pad({1, 2, 3, 4}, 1.5, "reflect")), "Pad(padding=[1, 2, 3, 4], fill=1.5, padding_mode=reflect)");
  EXPECT_EQ(repr(T::CenterCrop(24)), "CenterCrop(size=(24, 24))");
  EXPECT_EQ(repr(T::CenterCrop({24, 20})), "CenterCrop(size=[24, 20])");
  EXPECT_EQ(repr(T::RandomCrop(28, 4)), "RandomCrop(size=(28, 28), padding=4)");
  EXPECT_EQ(repr(T::RandomCrop(28)), "RandomCrop(size=(28, 28), padding=None)");
  EXPECT_EQ(repr(T::RandomCrop({20, 24}, T::IntOrList{1, 2}, true, 1, "edge")),
            "RandomCrop(size=(20, 24), padding=[1, 2])");
  EXPECT_EQ(repr(T::RandomErasing()),
            "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)");
  EXPECT_EQ(repr(T::RandomErasing(0.5, {0.02, 0.33}, {0.3, 3.3}, "random")),
            "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=random, inplace=False)");
  EXPECT_EQ(repr(T::RandomErasing(0.5, {0.02, 0.33}, {0.3, 3.3}, {0.1, 0.2, 0.3})),
            "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=[0.1, 0.2, 0.3], inplace=False)");
  EXPECT_EQ(repr(T::RandomAffine(10)), "RandomAffine(degrees=[-10.0, 10.0])");
  EXPECT_EQ(repr(T::RandomAffine({-5, 10}, {.translate = {{0.1, 0.2}},
                                            .scale = {{0.9, 1.1}},
                                            .shear = 5,
                                            .interpolation = T::InterpolationMode::BILINEAR,
                                            .fill = 1,
                                            .center = {{3, 4}}})),
            "RandomAffine(degrees=[-5.0, 10.0], translate=[0.1, 0.2], scale=[0.9, 1.1], shear=[-5.0, 5.0], "
            "interpolation=bilinear, fill=1, center=[3, 4])");
  EXPECT_EQ(repr(T::RandomAffine(0, {.shear = T::NumberOrList{1, 2, 3, 4}})),
            "RandomAffine(degrees=[0.0, 0.0], shear=[1.0, 2.0, 3.0, 4.0])");
  EXPECT_EQ(repr(T::RandomRotation(30)),
            "RandomRotation(degrees=[-30.0, 30.0], interpolation=nearest, expand=False, fill=0)");
  EXPECT_EQ(repr(T::RandomRotation({-10, 20},
                                   {.interpolation = T::InterpolationMode::BILINEAR, .center = {{1, 2}}, .fill = 0.5})),
            "RandomRotation(degrees=[-10.0, 20.0], interpolation=bilinear, expand=False, center=[1, 2], fill=0.5)");
  EXPECT_EQ(repr(T::Compose({T::RandomCrop(28, 4), T::RandomHorizontalFlip()})),
            "Compose(\n    RandomCrop(size=(28, 28), padding=4)\n    RandomHorizontalFlip(p=0.5)\n)");
  EXPECT_EQ(repr(T::Compose({T::Lambda([](const Tensor& x) { return x; })})), "Compose(\n    Lambda()\n)");
}

TEST(Transforms, ErrorsCarryTorchvisionPhrases) {
  const Tensor x = rand({3, 4, 5});
  EXPECT_EMBER_ERROR(T::Normalize({0.5, 0.5, 0.5}, {0.5, 0, 0.5})(x),
                     "std evaluated to zero after conversion to float32");
  EXPECT_EMBER_ERROR(T::Normalize({0.5}, {1e-50})(x), "std evaluated to zero after conversion to float32");
  EXPECT_EMBER_ERROR(T::Normalize({0.5, 0.5}, {0.5})(x),
                     "The size of tensor a (3) must match the size of tensor b (2)");
  EXPECT_EMBER_ERROR(T::Normalize({0.5}, {0.5, 0.5})(x),
                     "The size of tensor a (3) must match the size of tensor b (2)");
  EXPECT_EMBER_ERROR(T::Normalize({0.5}, {0.5})(zeros({3, 4, 5}, kUInt8)),
                     "Input tensor should be a float tensor. Got uint8");
  EXPECT_EMBER_ERROR(T::Normalize({0.5}, {0.5})(zeros({4, 5})),
                     "Expected tensor to be a tensor image of size (..., C, H, W)");
  EXPECT_EMBER_ERROR(T::Normalize({}, {0.5}), "mean and std should have at least one value");
  EXPECT_EMBER_ERROR(T::Pad({1, 2, 3}), "Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple");
  EXPECT_EMBER_ERROR(T::Pad(1, 0, "wrap"), "Padding mode should be either constant, edge, reflect or symmetric");
  EXPECT_EMBER_ERROR(T::Pad(5, 0, "reflect")(x), "Padding size should be less than the corresponding input dimension");
  EXPECT_EMBER_ERROR(T::Pad(6, 0, "symmetric")(x), "should be at most the corresponding input dimension");
  EXPECT_EMBER_ERROR(T::RandomCrop(10)(x), "Required crop size (10, 10) is larger than input image size (4, 5)");
  EXPECT_EMBER_ERROR(T::RandomCrop({1, 2, 3}), "Please provide only two dimensions (h, w) for size.");
  EXPECT_EMBER_ERROR(T::RandomCrop(3, T::IntOrList{1, 2, 3}), "Padding must be an int or a 1, 2, or 4 element tuple");
  EXPECT_EMBER_ERROR(T::RandomCrop(3, std::nullopt, false, 0, "wrap"), "Padding mode should be either");
  EXPECT_EMBER_ERROR(T::CenterCrop({1, 2, 3}), "Please provide only two dimensions (h, w) for size.");
  EXPECT_EMBER_ERROR(T::CenterCrop(-1), "size should be non-negative");
  EXPECT_EMBER_ERROR(T::RandomHorizontalFlip()(zeros({3})), "Tensor is not a torch image.");
  EXPECT_EMBER_ERROR(T::RandomVerticalFlip()(zeros({1, 2, 3, 4, 5})), "expects a batch [B, C, H, W] or an image");
  EXPECT_EMBER_ERROR(T::RandomHorizontalFlip(1.5), "p should be between 0 and 1");
  EXPECT_EMBER_ERROR(T::RandomHorizontalFlip()(Tensor()), "undefined tensor");
  EXPECT_EMBER_ERROR(T::RandomErasing(2), "Random erasing probability should be between 0 and 1");
  EXPECT_EMBER_ERROR(T::RandomErasing(0.5, {0.5, 1.5}), "Scale should be between 0 and 1");
  EXPECT_EMBER_ERROR(T::RandomErasing(0.5, {0.02, 0.33}, {-1, 2}), "ratio should be positive");
  EXPECT_EMBER_ERROR(T::RandomErasing(0.5, {0.02, 0.33}, {0.3, 3.3}, "foo"), "If value is str, it should be 'random'");
  EXPECT_EMBER_ERROR(T::RandomErasing(1, {0.02, 0.33}, {0.3, 3.3}, {1, 2})(x),
                     "If value is a sequence, it should have either a single value or 3 (number of input channels)");
  EXPECT_EMBER_ERROR(T::RandomAffine(-5), "If degrees is a single number, it must be positive.");
  EXPECT_EMBER_ERROR(T::RandomAffine({1, 2, 3}), "degrees should be a sequence of length 2.");
  EXPECT_EMBER_ERROR(T::RandomAffine(5, {.translate = {{1.5, 0}}}), "translation values should be between 0 and 1");
  EXPECT_EMBER_ERROR(T::RandomAffine(5, {.translate = {{0.1}}}), "translate should be a sequence of length 2.");
  EXPECT_EMBER_ERROR(T::RandomAffine(5, {.scale = {{0, 1}}}), "scale values should be positive");
  EXPECT_EMBER_ERROR(T::RandomAffine(5, {.scale = {{1}}}), "scale should be a sequence of length 2.");
  EXPECT_EMBER_ERROR(T::RandomAffine(5, {.shear = -1}), "If shear is a single number, it must be positive.");
  EXPECT_EMBER_ERROR(T::RandomAffine(5, {.shear = T::NumberOrList{1, 2, 3}}),
                     "shear should be a sequence of length 2 or 4.");
  EXPECT_EMBER_ERROR(
      T::RandomAffine(5, {.fill = {1, 2}})(x),
      "The number of elements in 'fill' cannot broadcast to match the number of channels of the image (2 != 3)");
  EXPECT_EMBER_ERROR(T::RandomAffine(5, {.center = {{1}}}), "center should be a sequence of length 2.");
  EXPECT_EMBER_ERROR(T::RandomRotation(-5), "If degrees is a single number, it must be positive.");
  EXPECT_EMBER_ERROR(T::RandomRotation(5, {.center = {{1}}}), "center should be a sequence of length 2.");
  EXPECT_EMBER_ERROR(T::functional::affine(x, 0, {0, 0}, 0, 0), "Argument scale should be positive");
  EXPECT_EMBER_ERROR(T::functional::affine(x, 0, {0, 0}, 1, T::NumberOrList{1, 2, 3}),
                     "Shear should be a sequence containing two values");
  EXPECT_EMBER_ERROR(T::Lambda(nullptr), "expected a callable");
}

}  // namespace
}  // namespace ember
