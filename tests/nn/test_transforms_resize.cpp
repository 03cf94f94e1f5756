// ember::transforms Resize, crop, resized_crop and RandomResizedCrop: the deterministic ones
// against torchvision 0.14's tensor path (values pasted from it), RandomResizedCrop's boxes
// (recovered from a nearest resize of a coordinate image) against torchvision's distribution
// and each sample equal to resized_crop of its own box, dtypes, shapes, reprs and errors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace T = transforms;
using testing::error_of;
using testing::expect_values;
using IM = T::InterpolationMode;

// (k * k) % 17 for k = 0, 1, ... (as the torchvision references were made).
Tensor squares_mod_17(const Dims& shape, DType dtype = kFloat64) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<double> values(static_cast<size_t>(n));
  for (size_t k = 0; k < values.size(); ++k) values[k] = static_cast<double>((k * k) % 17);
  return tensor(values, shape, TensorOptions(kFloat64)).to(dtype);
}

// From /usr/bin/python3 (torchvision 0.14.1), x = squares_mod_17 as float64 [2, 5, 7]:
// T.Resize(3, antialias=True)(x); T.Resize(3, antialias=False)(x);
// T.Resize([4, 3], interpolation=NEAREST)(x); T.Resize(4, max_size=6, antialias=True)(x9) with
// x9 [1, 5, 9]; T.Resize(3, antialias=True)((x * 15).to(torch.uint8)).
TEST(TransformsResize, ResizeMatchesTorchvision) {
  const Tensor x = squares_mod_17({2, 5, 7});
  const Tensor smaller_edge = T::Resize(3)(x);
  EXPECT_EQ(smaller_edge.sizes(), (Dims{2, 3, 4}));
  expect_values(smaller_edge,
                {6.374149659863948, 8.554285714285712, 10.039999999999997, 8.095238095238095, 9.365079365079367,
                 5.266666666666667, 5.266666666666667, 9.365079365079367, 8.095238095238095, 10.040000000000001,
                 8.554285714285713, 6.374149659863946, 7.136054421768709, 10.388571428571428, 8.559999999999999,
                 10.319727891156463, 5.592592592592594, 5.333333333333334, 7.048888888888889, 11.359788359788363,
                 9.027210884353744, 10.217142857142857, 6.679999999999999, 3.795918367346939},
                1e-12);
  expect_values(T::Resize(3, IM::BILINEAR, std::nullopt, false)(x),
                {5.000000000000001, 7.5, 11.291666666666666, 7.166666666666667, 7.125, 0.875, 0.875, 7.125,
                 7.166666666666664, 11.29166666666667, 7.499999999999997, 4.999999999999996, 5.750000000000001,
                 11.041666666666666, 8.416666666666666, 10.625, 2.875, 0.125, 3.625, 13.375, 9.250000000000002,
                 10.499999999999998, 5.249999999999996, 2.708333333333331},
                1e-12);
  const Tensor nearest = T::Resize({4, 3}, IM::NEAREST)(x);
  EXPECT_EQ(nearest.sizes(), (Dims{2, 4, 3}));
  expect_values(nearest, {0, 4, 16, 15, 13, 2, 9, 1, 1, 16, 2, 13, 1, 9, 8, 13, 15, 8, 4, 0, 4, 8, 15, 13}, 0);
  // 4 * 9 / 5 = 7.2 -> 7 > max_size 6: the longer edge 6, the shorter int(6 * 4 / 7) = 3
  const Tensor capped = T::Resize(4, IM::BILINEAR, 6)(squares_mod_17({1, 5, 9}));
  EXPECT_EQ(capped.sizes(), (Dims{1, 3, 6}));
  expect_values(capped,
                {6.107142857142857, 5.031746031746032, 10.444444444444445, 10.333333333333329, 5.523809523809524,
                 8.017857142857142, 6.486111111111112, 7.592592592592593, 12.037037037037038, 6.604938271604938,
                 8.17283950617284, 7.444444444444445, 7.696428571428571, 10.253968253968255, 9.412698412698415,
                 8.253968253968255, 7.984126984126986, 8.410714285714288},
                1e-12);
  // uint8: resized in float32, rounded back
  const Tensor bytes = T::Resize(3)((squares_mod_17({2, 5, 7}) * 15.0).to(kUInt8));
  EXPECT_EQ(bytes.dtype(), kUInt8);
  expect_values(bytes, {96, 128, 151, 121, 140, 79, 79, 140, 121, 151, 128, 96, 107, 156, 128, 155, 84, 80, 106, 170,
                        135, 153, 100, 57},
                0);
  // a batch: every sample alike; [H, W] stays 2-D; an unchanged size gives the images back
  const Tensor batch = stack({x, x + 1.0});
  EXPECT_TRUE(allclose(T::Resize(3)(batch).select(0, 1), smaller_edge + 1.0, 1e-12, 1e-12));
  EXPECT_EQ(T::Resize({2, 2})(x.select(0, 0)).sizes(), (Dims{2, 2}));
  EXPECT_TRUE(T::Resize(5)(x).is_same(x));
  EXPECT_EQ(T::Resize(3).repr(), "Resize(size=3, interpolation=bilinear, max_size=None, antialias=True)");
  EXPECT_EQ(T::Resize({32, 20}, IM::NEAREST, std::nullopt, false).repr(),
            "Resize(size=[32, 20], interpolation=nearest, max_size=None, antialias=False)");
  EXPECT_EQ(T::Resize(4, IM::BILINEAR, 6).repr(), "Resize(size=4, interpolation=bilinear, max_size=6, antialias=True)");
}

// From torchvision 0.14.1: T.Resize(3, interpolation=BICUBIC, antialias=True / False)(x) for
// x = squares_mod_17 as float64 [2, 5, 7]; F.interpolate(x[None], (4, 3), mode="nearest-exact")
// (torchvision 0.14 has no NEAREST_EXACT; 0.15's Resize calls that); T.Resize([6, 10], BICUBIC,
// antialias=False) and T.Resize([2, 3], BICUBIC, antialias=True) of a uint8 checkerboard
// (bicubic overshoots 255 and 0: clamped, then rounded).
TEST(TransformsResize, BicubicAndNearestExactMatchTorchvision) {
  const Tensor x = squares_mod_17({2, 5, 7});
  const Tensor smooth = T::Resize(3, IM::BICUBIC)(x);
  EXPECT_EQ(smooth.sizes(), (Dims{2, 3, 4}));
  expect_values(smooth,
                {6.021275353358409, 8.803749960576532, 10.146574888825812, 7.762136122417436, 10.188903773163654,
                4.862517997272995, 4.862517997272996, 10.188903773163654, 7.762136122417434,
                10.146574888825814, 8.80374996057653, 6.021275353358406, 7.035342710426436,
                10.615975967451984, 8.2290519443656, 10.458469438576607, 5.626387223061625,
                4.89605633265635, 7.108852274569258, 12.236561317154475, 8.856952959967026,
                10.423764468413916, 6.769975084366228, 3.3696687103920846},
                1e-12);
  expect_values(T::Resize(3, IM::BICUBIC, std::nullopt, false)(x),
                {4.989149305555555, 8.101453993055555, 11.945086443865739, 7.084300853587962, 7.39599609375,
                0.669921875, 0.669921875, 7.39599609375, 7.084300853587962, 11.945086443865744,
                8.101453993055552, 4.989149305555553, 5.800238715277778, 12.052671079282408,
                8.681794343171294, 10.492811414930552, 2.98486328125, 0.001953125, 3.337890625,
                13.80712890625, 9.451877170138891, 11.309136284722218, 5.482638888888885,
                2.1506438078703765},
                1e-12);
  expect_values(T::Resize({4, 3}, IM::NEAREST_EXACT)(x),
                {1, 9, 8, 13, 15, 8, 8, 15, 13, 8, 9, 1, 4, 16, 2, 13, 2, 16, 2, 13, 15, 16, 4, 0}, 0);
  const std::vector<double> squares{0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0};
  const Tensor board = tensor(squares, {1, 3, 5}, TensorOptions(kFloat64)).to(kUInt8);
  const Tensor enlarged = T::Resize({6, 10}, IM::BICUBIC, std::nullopt, false)(board);
  EXPECT_EQ(enlarged.dtype(), kUInt8);
  expect_values(enlarged,
                {0, 54, 245, 234, 21, 21, 234, 245, 54, 0, 53, 101, 182, 175, 80, 77, 167, 174, 99, 54, 242, 182, 81,
                78, 177, 167, 53, 57, 174, 245, 251, 156, 0, 25, 230, 251, 78, 48, 172, 245, 75, 40,
                0, 48, 207, 255, 228, 153, 92, 54, 0, 0, 0, 60, 195, 255, 255, 215, 44, 0},
                0);
  expect_values(T::Resize({2, 3}, IM::BICUBIC)(board), {127, 124, 122, 49, 183, 128}, 0);
  EXPECT_EQ(T::Resize(3, IM::BICUBIC).repr(), "Resize(size=3, interpolation=bicubic, max_size=None, antialias=True)");
  EXPECT_EQ(T::Resize(3, IM::NEAREST_EXACT).repr(),
            "Resize(size=3, interpolation=nearest-exact, max_size=None, antialias=True)");
  // the affine transforms sample a grid: nearest and bilinear only, as torchvision's
  const std::string rotation =
      error_of([] { T::RandomRotation(10.0, T::RandomRotationOptions{.interpolation = IM::BICUBIC}); });
  EXPECT_NE(rotation.find("Interpolation mode 'bicubic' is unsupported with Tensor input"), std::string::npos)
      << rotation;
  EXPECT_NE(error_of([&] { T::functional::rotate(x, 10.0, IM::NEAREST_EXACT); })
                .find("Interpolation mode 'nearest-exact' is unsupported with Tensor input"),
            std::string::npos);
}

// F.crop(squares_mod_17 [1, 3, 4], 1, -1, 3, 3); F.resized_crop(x, -1, 2, 4, 6, [3, 3], antialias=True).
TEST(TransformsResize, CropAndResizedCropMatchTorchvision) {
  const Tensor outside = T::functional::crop(squares_mod_17({1, 3, 4}), 1, -1, 3, 3);
  EXPECT_EQ(outside.sizes(), (Dims{1, 3, 3}));
  expect_values(outside, {0, 16, 8, 0, 13, 13, 0, 0, 0}, 0);
  const Tensor inside = T::functional::crop(squares_mod_17({1, 3, 4}), 1, 1, 2, 2);
  EXPECT_TRUE(equal(inside, squares_mod_17({1, 3, 4}).narrow(1, 1, 2).narrow(2, 1, 2)));
  expect_values(T::functional::resized_crop(squares_mod_17({2, 5, 7}), -1, 2, 4, 6, {3, 3}),
                {2.357142857142857, 3.1125, 0.6, 10.071428571428571, 9.0, 5.0, 4.085714285714287, 4.3875, 5.5,
                 3.557142857142856, 2.2875, 2.014285714285714, 10.142857142857142, 9.0, 6.428571428571428,
                 3.228571428571429, 8.012500000000001, 7.542857142857142},
                1e-12);
}

TEST(TransformsResize, BadArgumentsAreClearErrors) {
  const auto has = [](const std::string& message, const char* part) {
    EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  has(error_of([] { T::Resize(std::vector<int64_t>{3, 4, 5}); }),
      "If size is a sequence, it should have 1 or 2 values");
  has(error_of([] { T::Resize({3, 4}, IM::BILINEAR, 32); }),
      "max_size should only be passed if size specifies the length of the smaller edge");
  has(error_of([] { T::Resize(32, IM::BILINEAR, 32); }),
      "max_size = 32 must be strictly greater than the requested size for the smaller edge size = 32");
  has(error_of([] { T::Resize(0); }), "size should be positive");
  has(error_of([] { T::functional::crop(zeros({1, 4, 4}), 0, 0, 0, 2); }), "positive height and width");
  has(error_of([] { T::RandomResizedCrop(0); }), "size should be positive");
  has(error_of([] { T::RandomResizedCrop(8, {0.5, 1.0}, {0.0, 2.0}); }), "range of positive aspect ratios");
  has(error_of([] { T::RandomResizedCrop(8, {-0.5, 1.0}); }), "area fractions >= 0");
  has(error_of([] { T::RandomResizedCrop({1, 2, 3}); }), "Please provide only two dimensions (h, w) for size.");
  has(error_of([] { T::RandomResizedCrop(4)(zeros({5})); }), "Tensor is not a torch image.");
  has(error_of([] { T::RandomResizedCrop(8, {1.0, 0.5}); }), "Scale and ratio should be of kind (min, max)");
  has(error_of([] { T::RandomResizedCrop(8, {0.5, 1.0}, {2.0, 1.0}); }),
      "Scale and ratio should be of kind (min, max)");
  // no try fits a 10 x 1 image with an aspect of 3 to 4, and the central box would be 0 x 1
  has(error_of([] { T::RandomResizedCrop(8, {0.08, 1.0}, {3.0, 4.0})(zeros({1, 1, 10, 1})); }),
      "has no box of a whole pixel in 10 x 1 images");
}

// A batch of n images of h x w whose channel 0 is each pixel's row and channel 1 its column.
Tensor coordinates(int64_t n, int64_t h, int64_t w) {
  const TensorOptions f64(kFloat64);
  const Tensor rows = arange(h, f64).view({h, 1}).expand({h, w}), cols = arange(w, f64).view({1, w}).expand({h, w});
  return stack({rows, cols}).unsqueeze(0).expand({n, 2, h, w}).contiguous();
}

struct Box {
  int64_t top, left, height, width;
};

// Each sample's crop box, from RandomResizedCrop(nearest, size = the images') of coordinates:
// a crop no larger than the output shows each of its rows and columns (scale <= 1), in order.
std::vector<Box> boxes_of(const Tensor& cropped_coordinates) {
  std::vector<Box> boxes;
  for (int64_t b = 0; b < cropped_coordinates.size(0); ++b) {
    const auto rows = cropped_coordinates[b][0].to_vector<double>();
    const auto cols = cropped_coordinates[b][1].to_vector<double>();
    const std::set<double> distinct_rows(rows.begin(), rows.end()), distinct_cols(cols.begin(), cols.end());
    boxes.push_back({static_cast<int64_t>(*distinct_rows.begin()), static_cast<int64_t>(*distinct_cols.begin()),
                     static_cast<int64_t>(distinct_rows.size()), static_cast<int64_t>(distinct_cols.size())});
    // nearest: output row o shows top + floor(o * height / out)
    const int64_t out_h = cropped_coordinates.size(2);
    for (int64_t o = 0; o < out_h; ++o)
      EXPECT_EQ(rows[static_cast<size_t>(o * cropped_coordinates.size(3))],
                static_cast<double>(boxes.back().top + (o * boxes.back().height) / out_h));
  }
  return boxes;
}

// torchvision's get_params over 200,000 draws (torchvision 0.14.1, seed 0): for 32 x 32 and the
// default scale and ratio, h * w / 1024 has mean 0.4904 (sd 0.2404) and w / h mean 1.0128 (sd
// 0.1628); for 20 x 40 with scale (0.5, 1), the mean area fraction is 0.5978 and 32.45% of the
// draws are 20 x 27 boxes (the fallback's size). Bands: about 3.5 standard errors.
TEST(TransformsResize, RandomResizedCropBoxesHaveTorchvisionsDistribution) {
  manual_seed(21);
  const int64_t n = 4000;
  const std::vector<Box> boxes = boxes_of(T::RandomResizedCrop(32, {0.08, 1.0}, {0.75, 4.0 / 3.0}, IM::NEAREST)(
      coordinates(n, 32, 32)));
  double area = 0, aspect = 0;
  for (const Box& b : boxes) {
    EXPECT_GE(b.top, 0);
    EXPECT_GE(b.left, 0);
    EXPECT_LE(b.top + b.height, 32);
    EXPECT_LE(b.left + b.width, 32);
    area += static_cast<double>(b.height * b.width) / 1024.0;
    aspect += static_cast<double>(b.width) / static_cast<double>(b.height);
  }
  EXPECT_NEAR(area / n, 0.4904, 0.014);
  EXPECT_NEAR(aspect / n, 1.0128, 0.01);

  const std::vector<Box> wide = boxes_of(T::RandomResizedCrop({20, 40}, {0.5, 1.0}, {0.75, 4.0 / 3.0}, IM::NEAREST)(
      coordinates(2000, 20, 40)));
  double wide_area = 0;
  int fallbacks = 0;
  for (const Box& b : wide) {
    wide_area += static_cast<double>(b.height * b.width) / 800.0;
    if (b.height == 20 && b.width == 27) ++fallbacks;  // or a draw of that size (counted alike in the reference)
  }
  EXPECT_NEAR(wide_area / 2000.0, 0.5978, 0.02);
  EXPECT_NEAR(fallbacks / 2000.0, 0.3245, 0.037);
  // no try can fit an aspect of 5 to 6 with 90% of a 10 x 10 image: always the fallback, the
  // central box of aspect 5 (w 10, h round(10 / 5) = 2, top (10 - 2) / 2 = 4); likewise for 1/6 to 1/5
  for (const Box& b :
       boxes_of(T::RandomResizedCrop(10, {0.9, 1.0}, {5.0, 6.0}, IM::NEAREST)(coordinates(50, 10, 10)))) {
    EXPECT_EQ(b.top, 4);
    EXPECT_EQ(b.left, 0);
    EXPECT_EQ(b.height, 2);
    EXPECT_EQ(b.width, 10);
  }
  for (const Box& b :
       boxes_of(T::RandomResizedCrop(10, {0.9, 1.0}, {1.0 / 6, 1.0 / 5}, IM::NEAREST)(coordinates(50, 10, 10)))) {
    EXPECT_EQ(b.top, 0);  // h 10, w round(10 * 1/5) = 2, left (10 - 2) / 2 = 4
    EXPECT_EQ(b.left, 4);
    EXPECT_EQ(b.height, 10);
    EXPECT_EQ(b.width, 2);
  }
}

// The draws depend only on the batch's size and the images' size: the same seed gives a
// bilinear, antialiased run the boxes a nearest run of coordinates shows, and each of its
// samples is resized_crop of its own box (tested against torchvision above).
TEST(TransformsResize, RandomResizedCropIsResizedCropOfEachSamplesBox) {
  manual_seed(5);
  const Tensor images = randn({12, 3, 20, 30}, kFloat64);
  const std::pair<IM, bool> modes[] = {{IM::BILINEAR, true}, {IM::BILINEAR, false}, {IM::NEAREST, false},
                                       {IM::BICUBIC, true},  {IM::BICUBIC, false},  {IM::NEAREST_EXACT, false}};
  for (const auto& [mode, antialias] : modes) {
    SCOPED_TRACE(std::string(T::interpolation_name(mode)) + (antialias ? " antialiased" : ""));
    manual_seed(77);
    const std::vector<Box> boxes =
        boxes_of(T::RandomResizedCrop({20, 30}, {0.1, 1.0}, {0.5, 2.0}, IM::NEAREST)(coordinates(12, 20, 30)));
    manual_seed(77);
    const Tensor out = T::RandomResizedCrop({9, 14}, {0.1, 1.0}, {0.5, 2.0}, mode, antialias)(images);
    EXPECT_EQ(out.sizes(), (Dims{12, 3, 9, 14}));
    for (int64_t b = 0; b < 12; ++b) {
      const Box& box = boxes[static_cast<size_t>(b)];
      const Tensor expected = T::functional::resized_crop(images[b], box.top, box.left, box.height, box.width, {9, 14},
                                                          mode, antialias);
      EXPECT_LT(testing::max_abs_diff(out[b], expected), 1e-12) << "sample " << b;
    }
  }
}

// A box of the output's size is copied in every mode (PyTorch copies a dim of unchanged
// size), so an inf stays where it was and spreads nowhere.
TEST(TransformsResize, RandomResizedCropOfTheOutputsSizeIsACopy) {
  manual_seed(9);
  Tensor images = randn({3, 2, 6, 9}, kFloat64);
  images.narrow(2, 2, 1).narrow(3, 4, 1).fill_(std::numeric_limits<double>::infinity());
  for (const IM mode : {IM::NEAREST, IM::NEAREST_EXACT, IM::BILINEAR, IM::BICUBIC}) {
    for (const bool antialias : {false, true}) {
      SCOPED_TRACE(std::string(T::interpolation_name(mode)) + (antialias ? " antialiased" : ""));
      const Tensor out = T::RandomResizedCrop({6, 9}, {1.0, 1.0}, {1.5, 1.5}, mode, antialias)(images);
      EXPECT_TRUE(equal(out, images));
    }
  }
}

TEST(TransformsResize, RandomResizedCropDtypesShapesGradAndRepr) {
  manual_seed(8);
  // scale (1, 1) and the image's own aspect: the whole image, resized
  const Tensor x = randn({3, 2, 12, 16});
  const Tensor whole = T::RandomResizedCrop({6, 8}, {1.0, 1.0}, {16.0 / 12.0, 16.0 / 12.0})(x);
  EXPECT_LT(testing::max_abs_diff(whole, T::Resize({6, 8})(x)), 1e-5);
  EXPECT_EQ(whole.dtype(), kFloat32);
  const Tensor bytes = T::RandomResizedCrop(8)((rand({4, 3, 16, 16}) * 255.0).to(kUInt8));
  EXPECT_EQ(bytes.dtype(), kUInt8);
  EXPECT_EQ(bytes.sizes(), (Dims{4, 3, 8, 8}));
  EXPECT_EQ(T::RandomResizedCrop(5)(x[0]).sizes(), (Dims{2, 5, 5}));
  EXPECT_EQ(T::RandomResizedCrop(5)(x[0][0]).sizes(), (Dims{5, 5}));
  // bfloat16 through float32 (weights not rounded to bfloat16: a flat image stays flat);
  // bool true where the resampled value is not zero (torchvision's .to(bool))
  const Tensor flat = T::Resize({5, 7})(full({1, 16, 16}, 0.3, TensorOptions(kBFloat16)));
  EXPECT_EQ(flat.dtype(), kBFloat16);
  EXPECT_TRUE(equal(flat, full({1, 5, 7}, 0.3, TensorOptions(kBFloat16))));
  std::vector<double> pixels(64, 0.0);
  pixels[3 * 8 + 3] = 1.0;
  const Tensor dot = tensor(pixels, {1, 8, 8}, TensorOptions(kFloat64)).to(kBool);
  const Tensor shrunk = T::Resize(4)(dot);
  EXPECT_EQ(shrunk.dtype(), kBool);
  expect_values(shrunk.to(kInt64), {0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0}, 0);  // torchvision's
  // differentiable: an input that requires grad gets a gradient of the right shape
  const Tensor leaf = randn({2, 1, 10, 10}, TensorOptions(kFloat64).requires_grad(true));
  T::RandomResizedCrop(4)(leaf).sum().backward();
  ASSERT_TRUE(leaf.grad().defined());
  EXPECT_EQ(leaf.grad().sizes(), leaf.sizes());
  EXPECT_NEAR(leaf.grad().sum().item<double>(), 2 * 16, 1e-9);  // each output a weighted mean of its inputs
  EXPECT_EQ(T::RandomResizedCrop(28).repr(),
            "RandomResizedCrop(size=(28, 28), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, "
            "antialias=True)");
  EXPECT_EQ(T::RandomResizedCrop({28, 20}, {0.5, 1.0}, {1.0 / 3.0, 3.0}, IM::NEAREST, false).repr(),
            "RandomResizedCrop(size=(28, 20), scale=(0.5, 1.0), ratio=(0.3333, 3.0), interpolation=nearest, "
            "antialias=False)");
}

}  // namespace
}  // namespace ember
