// nn::functional::interpolate and nn::Upsample: values and gradients against PyTorch 1.13
// for nearest (its x1 and x2 shortcuts, recompute_scale_factor), nearest-exact, linear,
// bilinear and trilinear with align_corners both ways and non-integer scale factors,
// gradcheck and gradgradcheck, the module's repr, and PyTorch's errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

Tensor arange_f64(int64_t n, const Dims& shape) { return arange(n, TensorOptions(kFloat64)).reshape(shape); }

// From /usr/bin/python3 (torch 1.13), x = torch.arange(12, dtype=torch.float64).reshape(1, 1, 3, 4):
//   F.interpolate(x, size=(5, 7)); F.interpolate(x, scale_factor=1.7);
//   F.interpolate(x, scale_factor=1.7, recompute_scale_factor=True); F.interpolate(x, scale_factor=2.1);
//   F.interpolate(x, size=(2, 3)); F.interpolate(x, size=(5, 7), mode="nearest-exact")
TEST(Interpolate, NearestAsPyTorch) {
  const Tensor x = arange_f64(12, {1, 1, 3, 4});
  const Tensor a = F::interpolate(x, {5, 7});
  EXPECT_EQ(a.sizes(), (Dims{1, 1, 5, 7}));
  expect_values(a, {0, 0, 1, 1, 2, 2, 3, 0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 7, 4, 4, 5, 5, 6, 6, 7,
                    8, 8, 9, 9, 10, 10, 11}, 0.0);
  // scale 1 / 1.7 in the kernel: floor(dst / 1.7)
  const Tensor b = F::interpolate(x, {}, 1.7);
  EXPECT_EQ(b.sizes(), (Dims{1, 1, 5, 6}));
  expect_values(b, {0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6, 8, 8, 9, 9, 10, 10}, 0.0);
  // recomputed: in / out = 4 / 6 along W
  expect_values(F::interpolate(x, {}, 1.7, "nearest", std::nullopt, true),
                {0, 0, 1, 2, 2, 3, 0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 4, 4, 5, 6, 6, 7, 8, 8, 9, 10, 10, 11}, 0.0);
  // twice the input: dst / 2 whatever the scale (PyTorch's shortcut)
  const Tensor c = F::interpolate(x, {}, 2.1);
  EXPECT_EQ(c.sizes(), (Dims{1, 1, 6, 8}));
  expect_values(c.select(2, 5), {8, 8, 9, 9, 10, 10, 11, 11}, 0.0);
  expect_values(F::interpolate(x, {2, 3}), {0, 1, 2, 4, 5, 6}, 0.0);
  expect_values(F::interpolate(x, {5, 7}, {}, "nearest-exact"),
                {0, 0, 1, 2, 2, 3, 3, 0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8, 8, 9, 10, 10, 11, 11,
                 8, 8, 9, 10, 10, 11, 11}, 0.0);
}

// F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False / True);
// F.interpolate(x, scale_factor=(1.5, 0.6), mode="bilinear");
// F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=True);
// F.interpolate(x, size=(2, 3), mode="bilinear")
TEST(Interpolate, BilinearAsPyTorch) {
  const Tensor x = arange_f64(12, {1, 1, 3, 4});
  expect_values(F::interpolate(x, {5, 7}, {}, "bilinear", false),
                {0.0, 0.3571428571428571, 0.9285714285714285, 1.5, 2.071428571428571, 2.642857142857143, 3.0,
                 1.5999999999999999, 1.957142857142857, 2.5285714285714285, 3.1, 3.6714285714285713, 4.242857142857143,
                 4.6, 4.0, 4.357142857142858, 4.928571428571429, 5.5, 6.071428571428571, 6.642857142857143, 7.0,
                 6.3999999999999995, 6.757142857142857, 7.328571428571427, 7.8999999999999995, 8.47142857142857,
                 9.042857142857143, 9.4, 8.0, 8.357142857142856, 8.928571428571427, 9.5, 10.071428571428573,
                 10.642857142857144, 11.0},
                1e-13);
  expect_values(F::interpolate(x, {5, 7}, {}, "bilinear", true),
                {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 4.0, 4.5, 5.0, 5.5,
                 6.0, 6.5, 7.0, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 8.0, 8.5, 9.0, 9.5, 10.0, 10.5, 11.0},
                1e-13);
  const Tensor s = F::interpolate(x, {}, {1.5, 0.6}, "bilinear");
  EXPECT_EQ(s.sizes(), (Dims{1, 1, 4, 2}));
  expect_values(s, {0.33333333333333337, 2.0, 2.333333333333333, 3.9999999999999996, 5.0, 6.666666666666666,
                    7.666666666666666, 9.333333333333332}, 1e-13);
  expect_values(F::interpolate(x, {}, 1.7, "bilinear", true),
                {0.0, 0.6, 1.2, 1.7999999999999998, 2.4, 3.0, 2.0, 2.6, 3.2, 3.8, 4.3999999999999995, 5.0,
                 4.0, 4.6, 5.2, 5.8, 6.4, 7.0, 6.0, 6.6, 7.2, 7.8, 8.4, 9.0, 8.0, 8.6, 9.2, 9.8,
                 10.399999999999999, 11.0},
                1e-13);
  expect_values(F::interpolate(x, {2, 3}, {}, "bilinear"),
                {1.1666666666666667, 2.5, 3.833333333333333, 7.166666666666667, 8.5, 9.833333333333334}, 1e-13);
}

// xf = torch.arange(12, dtype=torch.float32).reshape(1, 1, 3, 4) / 7
// F.interpolate(xf, scale_factor=2.3, mode="bilinear")[0, 0, [0, 5]]
TEST(Interpolate, BilinearFloat32AsPyTorch) {
  const Tensor x = arange(12, TensorOptions(kFloat32)).reshape({1, 1, 3, 4}) / 7.0;
  const Tensor y = F::interpolate(x, {}, 2.3, "bilinear");
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_EQ(y.sizes(), (Dims{1, 1, 6, 9}));
  expect_values(y.select(2, 0), {0.0, 0.021739128977060318, 0.0838509351015091, 0.14596273005008698,
                                 0.20807453989982605, 0.27018633484840393, 0.3322981297969818, 0.3944099247455597,
                                 0.4285714328289032}, 2e-7);
  expect_values(y.select(2, 5), {1.0807453393936157, 1.1024844646453857, 1.1645961999893188, 1.2267080545425415,
                                 1.2888197898864746, 1.3509316444396973, 1.4130433797836304, 1.4751551151275635,
                                 1.5093165636062622}, 2e-7);
}

// x1 = torch.tensor([[[1.0, -2.0, 4.0, 0.5, 3.0]]], dtype=torch.float64):
//   F.interpolate(x1, size=8, mode="linear"), align_corners=True, scale_factor=1.3, size=1 with
//   align_corners=True; x5 = torch.arange(12, dtype=torch.float64).reshape(1, 1, 2, 2, 3):
//   F.interpolate(x5, size=(3, 3, 2), mode="trilinear"); F.interpolate(x5, scale_factor=(1.5, 2, 0.7))
TEST(Interpolate, LinearTrilinearAndNearest3dAsPyTorch) {
  const Tensor x1 = tensor(std::vector<double>{1.0, -2.0, 4.0, 0.5, 3.0}, {1, 1, 5});
  expect_values(F::interpolate(x1, 8, {}, "linear"), {1.0, -0.3125, -1.625, 2.125, 2.90625, 0.71875, 1.90625, 3.0},
                1e-13);
  expect_values(F::interpolate(x1, 8, {}, "linear", true),
                {1.0, -0.7142857142857142, -1.1428571428571432, 2.285714285714285, 3.0000000000000004,
                 1.0000000000000013, 1.571428571428571, 3.0}, 1e-13);
  expect_values(F::interpolate(x1, {}, 1.3, "linear"),
                {1.0, -0.9615384615384612, 0.5384615384615374, 3.3269230769230775, 0.6346153846153857,
                 2.3269230769230758}, 1e-13);
  expect_values(F::interpolate(x1, 1, {}, "linear", true), {1.0}, 0.0);
  const Tensor x5 = arange_f64(12, {1, 1, 2, 2, 3});
  const Tensor t = F::interpolate(x5, {3, 3, 2}, {}, "trilinear");
  EXPECT_EQ(t.sizes(), (Dims{1, 1, 3, 3, 2}));
  expect_values(t, {0.25, 1.75, 1.75, 3.25, 3.25, 4.75, 3.25, 4.75, 4.75, 6.25, 6.25, 7.75, 6.25, 7.75, 7.75, 9.25,
                    9.25, 10.75}, 1e-13);
  const Tensor n = F::interpolate(x5, {}, {1.5, 2, 0.7});
  EXPECT_EQ(n.sizes(), (Dims{1, 1, 3, 4, 2}));
  expect_values(n, {0, 1, 0, 1, 3, 4, 3, 4, 0, 1, 0, 1, 3, 4, 3, 4, 6, 7, 6, 7, 9, 10, 9, 10}, 0.0);
}

// xg = torch.arange(12, dtype=torch.float64).reshape(1, 1, 3, 4).requires_grad_(); for
//   F.interpolate(xg, size=(5, 7), mode="bilinear"), the same with align_corners=True and
//   F.interpolate(xg, scale_factor=1.7): (y * torch.arange(y.numel()).reshape(y.shape)).sum().backward()
TEST(Interpolate, GradientsAsPyTorch) {
  auto grad_of = [](const std::function<Tensor(const Tensor&)>& f) {
    const Tensor x = arange_f64(12, {1, 1, 3, 4}).requires_grad_(true);
    const Tensor y = f(x);
    (y * arange_f64(y.numel(), y.sizes())).sum().backward();
    return x.grad();
  };
  expect_values(grad_of([](const Tensor& x) { return F::interpolate(x, {5, 7}, {}, "bilinear"); }),
                {8.457142857142859, 13.442857142857143, 18.700000000000006, 22.400000000000002, 44.61428571428572,
                 51.68571428571429, 57.600000000000016, 60.3, 70.85714285714288, 78.44285714285712, 83.70000000000002,
                 84.79999999999998}, 1e-12);
  expect_values(grad_of([](const Tensor& x) { return F::interpolate(x, {5, 7}, {}, "bilinear", true); }),
                {6, 13, 19, 18, 43, 64, 72, 59, 58.5, 83, 89, 70.5}, 1e-12);
  expect_values(grad_of([](const Tensor& x) { return F::interpolate(x, {}, 1.7); }),
                {14, 22, 30, 0, 62, 70, 78, 0, 49, 53, 57, 0}, 0.0);
}

TEST(Interpolate, GradcheckAndGradgradcheck) {
  manual_seed(9);
  const Tensor x1 = testing::grad_input({2, 2, 5});
  const Tensor x2 = testing::grad_input({1, 2, 3, 4});
  const Tensor x3 = testing::grad_input({1, 1, 2, 3, 3});
  struct Case {
    const char* name;
    const Tensor* x;
    std::function<Tensor(const Tensor&)> f;
  };
  const std::vector<Case> cases{
      {"nearest", &x2, [](const Tensor& a) { return F::interpolate(a, {5, 3}); }},
      {"nearest-exact", &x1, [](const Tensor& a) { return F::interpolate(a, {}, 1.6, "nearest-exact"); }},
      {"linear", &x1, [](const Tensor& a) { return F::interpolate(a, 7, {}, "linear"); }},
      {"bilinear", &x2, [](const Tensor& a) { return F::interpolate(a, {}, {1.7, 0.8}, "bilinear"); }},
      {"bilinear corners", &x2, [](const Tensor& a) { return F::interpolate(a, {4, 7}, {}, "bilinear", true); }},
      {"trilinear", &x3, [](const Tensor& a) { return F::interpolate(a, {3, 2, 5}, {}, "trilinear"); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // squared so that the second derivative is not zero everywhere
    auto fn = [&](const std::vector<Tensor>& in) { return c.f(in[0]).pow(2.0); };
    expect_gradcheck(fn, {*c.x});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {*c.x}));
  }
}

TEST(Interpolate, UpsampleLayers) {
  const Tensor x = arange_f64(12, {1, 1, 3, 4});
  nn::Upsample twice({}, 2);
  EXPECT_TRUE(equal(twice(x), F::interpolate(x, {}, 2.0)));
  EXPECT_EQ(twice.extra_repr(), "scale_factor=2.0, mode='nearest'");
  nn::Upsample sized({3, 4}, {}, "bilinear");
  EXPECT_EQ(sized.extra_repr(), "size=(3, 4), mode='bilinear'");
  EXPECT_EQ(nn::Upsample(5).extra_repr(), "size=5, mode='nearest'");
  EXPECT_EQ(nn::Upsample({6, 8}).extra_repr(), "size=(6, 8), mode='nearest'");
  nn::Upsample corners({}, 1.5, "bilinear", true);
  EXPECT_EQ(corners.extra_repr(), "scale_factor=1.5, mode='bilinear'");
  EXPECT_TRUE(equal(corners(x), F::interpolate(x, {}, 1.5, "bilinear", true)));
  nn::UpsamplingBilinear2d bilinear({}, 2);
  EXPECT_EQ(bilinear.type_name(), "UpsamplingBilinear2d");
  EXPECT_TRUE(equal(bilinear(x), F::interpolate(x, {}, 2.0, "bilinear", true)));
  EXPECT_TRUE(equal(nn::UpsamplingNearest2d({6, 8})(x), F::interpolate(x, {6, 8})));
  // a same-size result is a new tensor
  EXPECT_FALSE(F::interpolate(x, {3, 4}).is_same(x));
  EXPECT_FALSE(F::interpolate(x, {3, 4}, {}, "bilinear").is_same(x));
}

// The messages of torch 1.13's F.interpolate for the same mistakes.
TEST(Interpolate, BadArgumentsAreClearErrors) {
  const Tensor x = zeros({1, 1, 3, 4});
  EXPECT_EMBER_ERROR(F::interpolate(x), "either size or scale_factor should be defined");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2}, 2.0), "only one of size or scale_factor should be defined");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2, 2}),
                     "Input and output must have the same number of spatial dimensions, but got input with spatial "
                     "dimensions of [3, 4] and output size of (2, 2, 2).");
  EXPECT_EMBER_ERROR(F::interpolate(x, {}, {2, 2, 2}),
                     "Input and scale_factor must have the same number of spatial dimensions");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2}, {}, "linear"), "Got 4D input, but linear mode needs 3D input");
  EXPECT_EMBER_ERROR(F::interpolate(zeros({1, 1, 3}), {2}, {}, "bilinear"),
                     "Got 3D input, but bilinear mode needs 4D input");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2}, {}, "trilinear"), "Got 4D input, but trilinear mode needs 5D input");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2}, {}, "nearest", true),
                     "align_corners option can only be set with the interpolating modes: linear | bilinear | "
                     "bicubic | trilinear");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2}, {}, "nearest", false), "align_corners option can only be set");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2}, {}, "foo"),
                     "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D)");
  EXPECT_EMBER_ERROR(F::interpolate(zeros({3, 4}), 2), "Input Error: Only 3D, 4D and 5D input Tensors supported (got 2D)");
  EXPECT_EMBER_ERROR(F::interpolate(x, {0, 2}),
                     "Input and output sizes should be greater than 0, but got input (H: 3, W: 4) output (H: 0, W: 2)");
  EXPECT_EMBER_ERROR(F::interpolate(x, {}, 0.1), "output (H: 0, W: 0)");
  EXPECT_EMBER_ERROR(F::interpolate(zeros({1, 0, 3, 4}), {2, 2}, {}, "bilinear"),
                     "Non-empty 4D data tensor expected but got a tensor with sizes [1, 0, 3, 4]");
  EXPECT_EMBER_ERROR(F::interpolate(zeros({1, 1, 3, 4}, kInt64), {2, 2}, {}, "bilinear"),
                     "\"upsample_bilinear2d\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::interpolate(x, {2, 2}, {}, "nearest", std::nullopt, true),
                     "recompute_scale_factor is not meaningful with an explicit size.");
  EXPECT_EQ(F::interpolate(zeros({0, 1, 3, 4}), {2, 2}, {}, "bilinear").sizes(), (Dims{0, 1, 2, 2}));
}

// A float is no size (nn::Upsample(2.0) would have made 2x2 images); a scale factor whose
// output size is not an int64 is PyTorch's checked_convert error.
static_assert(!std::is_convertible_v<double, nn::OutputSize>, "a float size must not compile");
static_assert(std::is_convertible_v<double, nn::ScaleFactor>);
static_assert(std::is_convertible_v<int, nn::OutputSize>);

TEST(Interpolate, NonFiniteScaleFactorsAreErrors) {
  const Tensor x = zeros({1, 1, 3, 4});
  EXPECT_EMBER_ERROR(F::interpolate(x, {}, std::numeric_limits<double>::infinity()),
                     "value cannot be converted to type int64_t without overflow");
  EXPECT_EMBER_ERROR(F::interpolate(x, {}, std::nan("")), "value cannot be converted to type int64_t without overflow");
  EXPECT_EMBER_ERROR(F::interpolate(x, {}, 1e30), "value cannot be converted to type int64_t without overflow");
}

// The output keeps a channels-last input's layout, as PyTorch's upsample kernels allocate it.
TEST(Interpolate, ChannelsLastStaysChannelsLast) {
  manual_seed(2);
  const Tensor x = randn({2, 3, 4, 5});
  const Tensor x_nhwc = x.contiguous(MemoryFormat::ChannelsLast);
  for (const char* mode : {"nearest", "nearest-exact", "bilinear", "bicubic"}) {
    const Tensor y = F::interpolate(x_nhwc, {}, 2.0, mode);
    EXPECT_TRUE(y.is_contiguous(MemoryFormat::ChannelsLast)) << mode;
    EXPECT_TRUE(equal(y, F::interpolate(x, {}, 2.0, mode))) << mode;
  }
  EXPECT_TRUE(F::interpolate(x, {}, 2.0, "bilinear").is_contiguous());
}

}  // namespace
}  // namespace ember
