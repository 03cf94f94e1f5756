// interpolate(..., antialias=true): values and gradients against torch 1.13's antialiased
// bilinear (shrinking, mixed, align_corners, scale factors, one pixel, float32), enlarging
// equal to plain bilinear, gradcheck, and PyTorch's error for the other modes.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <utility>
#include <vector>

#include "nn/functional/resample_taps.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// (k * k) % 17 for k = 0, 1, ...: uneven values, so every weight shows in the result.
Tensor squares_mod_17(const Dims& shape, DType dtype = kFloat64) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<double> values(static_cast<size_t>(n));
  for (size_t k = 0; k < values.size(); ++k) values[k] = static_cast<double>((k * k) % 17);
  return tensor(values, shape, TensorOptions(kFloat64)).to(dtype);
}

Tensor aa(const Tensor& x, const nn::OutputSize& size, const nn::ScaleFactor& scale = {},
          std::optional<bool> align_corners = std::nullopt, std::optional<bool> recompute = std::nullopt) {
  return F::interpolate(x, size, scale, "bilinear", align_corners, recompute, /*antialias=*/true);
}

// From /usr/bin/python3 (torch 1.13), x = tensor([(k * k) % 17 for k in range(70)],
// dtype=torch.float64).reshape(1, 2, 5, 7), F.interpolate(x, ..., mode="bilinear", antialias=True):
// size=(3, 4); size=(2, 11); size=(3, 4), align_corners=True; scale_factor=0.45 (and with
// recompute_scale_factor=True); size=(1, 1); size=(3, 4) of x.float().
TEST(InterpolateAntialias, ShrinkingAsPyTorch) {
  const Tensor x = squares_mod_17({1, 2, 5, 7});
  const Tensor down = aa(x, {3, 4});
  EXPECT_EQ(down.sizes(), (Dims{1, 2, 3, 4}));
  expect_values(down, {6.374149659863948, 8.554285714285712, 10.039999999999997, 8.095238095238095, 9.365079365079367,
                       5.266666666666667, 5.266666666666667, 9.365079365079367, 8.095238095238095, 10.040000000000001,
                       8.554285714285713, 6.374149659863946, 7.136054421768709, 10.388571428571428, 8.559999999999999,
                       10.319727891156463, 5.592592592592594, 5.333333333333334, 7.048888888888889, 11.359788359788363,
                       9.027210884353744, 10.217142857142857, 6.679999999999999, 3.795918367346939},
                1e-12);
  // rows shrunk, columns enlarged
  expect_values(aa(x, {2, 11}),
                {8.909090909090908, 8.0, 6.909090909090908, 6.909090909090908, 7.917355371900825, 9.681818181818182,
                 7.801652892561981, 6.888429752066115, 7.264462809917354, 8.731404958677684, 9.909090909090908,
                 9.909090909090908, 8.731404958677684, 7.264462809917354, 6.888429752066115, 7.801652892561982,
                 9.68181818181818, 7.917355371900825, 6.909090909090907, 6.909090909090908, 7.999999999999998,
                 8.909090909090908, 6.909090909090908, 6.909090909090907, 7.161157024793389, 8.925619834710742,
                 8.607438016528924, 6.727272727272727, 7.103305785123966, 8.02479338842975, 9.673553719008265,
                 11.14876033057851, 12.181818181818182, 7.318181818181817, 7.049586776859503, 6.99586776859504,
                 8.876033057851238, 8.673553719008263, 6.909090909090908, 6.909090909090908, 7.454545454545453,
                 8.727272727272727, 6.876033057851242, 5.181818181818182},
                1e-12);
  expect_values(aa(x, {3, 4}, {}, true),
                {7.183673469387755, 8.44642857142857, 8.142857142857142, 8.607142857142858, 8.660714285714286, 6.65625,
                 7.515625, 10.125, 7.571428571428571, 10.40625, 5.625, 3.8125, 7.46938775510204, 8.660714285714285,
                 8.714285714285714, 11.678571428571427, 6.321428571428571, 7.015625, 8.6875, 8.75, 10.285714285714285,
                 8.34375, 3.84375, 1.875},
                1e-12);
  const Tensor by_factor = aa(x, {}, 0.45);
  EXPECT_EQ(by_factor.sizes(), (Dims{1, 2, 2, 3}));
  expect_values(by_factor, {7.381345926800472, 8.24587771778783, 7.849592268196919, 8.314197166469894,
                            7.603421859039836, 8.07465644820296, 7.563164108618653, 7.919159492193199,
                            9.632437330111749, 6.980224321133411, 7.615040858018385, 8.343023255813954},
                1e-12);
  expect_values(aa(x, {}, 0.45, std::nullopt, true),
                {7.623376623376624, 8.032085561497325, 8.116883116883118, 8.116883116883116, 8.032085561497325,
                 7.623376623376624, 7.503246753246755, 7.759358288770052, 10.165584415584414, 7.571428571428572,
                 7.668449197860962, 7.149350649350648},
                1e-12);
  // one pixel: the mean of the whole image under the triangle weights
  expect_values(aa(x, {1, 1}), {7.721194879089616, 7.705547652916073}, 1e-12);
  const Tensor f32 = aa(squares_mod_17({1, 2, 5, 7}, kFloat32), {3, 4});
  EXPECT_EQ(f32.dtype(), kFloat32);
  expect_values(f32, {6.374148845672607, 8.55428695678711, 10.039999961853027, 8.095237731933594, 9.365078926086426,
                      5.266666889190674, 5.266665935516357, 9.365078926086426, 8.095237731933594, 10.039999961853027,
                      8.554286003112793, 6.374149799346924, 7.136054039001465, 10.388572692871094, 8.559998512268066,
                      10.319727897644043, 5.592592239379883, 5.333333492279053, 7.048888206481934, 11.359787940979004,
                      9.027210235595703, 10.217143058776855, 6.680000782012939, 3.795918464660645},
                1e-5);
}

TEST(InterpolateAntialias, EnlargingIsPlainBilinearAndUnchangedIsACopy) {
  const Tensor x = squares_mod_17({2, 1, 4, 5});
  EXPECT_LT(testing::max_abs_diff(aa(x, {9, 7}), F::interpolate(x, {9, 7}, {}, "bilinear")), 1e-12);
  const Tensor same = aa(x, {4, 5});
  EXPECT_LT(testing::max_abs_diff(same, x), 1e-12);
  EXPECT_FALSE(same.is_same(x));
}

// The gradient of sum(y * arange) for x as above, size=(3, 4) (torch 1.13's x.grad).
TEST(InterpolateAntialias, GradientAsPyTorchAndGradcheck) {
  const Tensor x = squares_mod_17({1, 2, 5, 7}).requires_grad_(true);
  const Tensor y = aa(x, {3, 4});
  (y * arange(y.numel(), TensorOptions(kFloat64)).reshape(y.sizes())).sum().backward();
  expect_values(x.grad(),
                {0.0, 0.114285714285714, 0.297142857142857, 0.48, 0.675918367346939, 0.963265306122449,
                 0.897959183673469, 0.465608465608466, 0.688888888888889, 0.842962962962963, 1.044444444444445,
                 1.274346182917612, 1.65578231292517, 1.488284202569917, 1.164021164021164, 1.507936507936508,
                 1.550264550264551, 1.711111111111111, 1.918518518518519, 2.333333333333333, 2.037037037037038,
                 2.261526832955404, 2.843990929705215, 2.789085411942555, 2.964444444444444, 3.220468631897203,
                 3.810884353741496, 3.284202569916856, 2.394557823129253, 2.987755102040818, 2.891972789115647,
                 3.040000000000001, 3.270748299319729, 3.836734693877553, 3.292517006802722, 3.591836734693877,
                 4.424489795918367, 4.18938775510204, 4.319999999999999, 4.568163265306122, 5.273469387755101,
                 4.489795918367346, 4.556311413454271, 5.597732426303856, 5.275797430083146, 5.417777777777777,
                 5.707180650037794, 6.564625850340136, 5.578987150415722, 4.656084656084658, 5.698412698412699,
                 5.334391534391536, 5.444444444444446, 5.702645502645504, 6.523809523809525, 5.52910052910053,
                 6.35222978080121, 7.752834467120182, 7.221919879062737, 7.337777777777777, 7.653303099017386,
                 8.719727891156463, 7.374905517762661, 5.986394557823131, 7.297959183673472, 6.784217687074833,
                 6.880000000000002, 7.162993197278915, 8.146938775510208, 6.884353741496601},
                1e-12);
  manual_seed(4);
  const Tensor g = testing::grad_input({2, 1, 6, 5});
  auto fn = [](const std::vector<Tensor>& in) { return aa(in[0], {4, 2}).pow(2.0); };
  expect_gradcheck(fn, {g});
  EXPECT_TRUE(autograd::gradgradcheck(fn, {g}));
}

// The nearest taps (RandomResizedCrop's) pick the sources of interpolate's "nearest" and
// "nearest-exact", PyTorch's float32 floor(o * (in / out)) (in float64, 62 -> 224 would pick
// row 31 for output 112 where PyTorch picks 30).
TEST(InterpolateAntialias, NearestTapsPickInterpolatesSources) {
  namespace R = nn::functional::detail;
  const TensorOptions f64(kFloat64);
  for (const int64_t out : {3, 28, 100, 224}) {
    for (int64_t in = 1; in <= 130; ++in) {
      const Tensor row = arange(in, f64).view({1, 1, 1, in});
      for (const bool exact : {false, true}) {
        const R::ResampleTaps taps =
            R::resample_taps(exact ? R::ResampleKind::NearestExact : R::ResampleKind::Nearest, zeros({1}, f64),
                             full({1}, double(in), f64), full({1}, double(in) / double(out), f64),
                             double(in) / double(out), in, out, kFloat64);
        const Tensor picked = R::resample_along(row, 3, taps).view({out});
        ASSERT_TRUE(equal(picked, F::interpolate(row, {1, out}, {}, exact ? "nearest-exact" : "nearest").view({out})))
            << in << " -> " << out << (exact ? " exact" : "");
      }
    }
  }
}

TEST(InterpolateAntialias, OnlyFourDimensionalBilinear) {
  const Tensor x = squares_mod_17({1, 2, 5, 7});
  const std::string nearest = error_of([&] { F::interpolate(x, {3, 4}, {}, "nearest", {}, {}, true); });
  EXPECT_NE(nearest.find("Anti-alias option is only supported for bilinear and bicubic modes"), std::string::npos)
      << nearest;
  const std::string linear = error_of([&] { F::interpolate(x.select(0, 0), {3}, {}, "linear", {}, {}, true); });
  EXPECT_NE(linear.find("Anti-alias option is only supported"), std::string::npos) << linear;
  EXPECT_NE(linear.find("3-D input"), std::string::npos) << linear;
  EXPECT_NE(error_of([&] { aa(x.to(kUInt8), {3, 4}); }).find("\"compute_indices_weights_aa\" not implemented for 'Byte'"),
            std::string::npos);
}

// float32 antialiased taps in float32 where PyTorch's _compute_indices_min_size_weights_aa
// rounds (scale, support, centre, each distance): a 2000-wide row shrunk by 0.37. Expected
// values from a float32 transcription of that function and of the in-order tap sum.
TEST(InterpolateAntialias, Float32TapsRoundAsPyTorchs) {
  std::vector<float> row(2000);
  for (size_t i = 0; i < row.size(); ++i) row[i] = static_cast<float>(static_cast<double>((i * 37) % 101) / 101.0);
  const Tensor x = tensor(row, {1, 1, 1, 2000});
  const Tensor y = F::interpolate(x, {}, {1.0, 0.37}, "bilinear", std::nullopt, std::nullopt, /*antialias=*/true);
  ASSERT_EQ(y.sizes(), (Dims{1, 1, 1, 740}));
  const std::vector<std::pair<int64_t, double>> expected{{0, 0.32687652111053467},   {1, 0.4510698616504669},
                                                         {300, 0.45552003383636475}, {555, 0.5406912565231323},
                                                         {738, 0.5225316286087036},  {739, 0.6107586026191711}};
  for (const auto& [o, value] : expected) EXPECT_NEAR(y[0][0][0][o].item<float>(), value, 1e-6) << "output " << o;
}

}  // namespace
}  // namespace ember
