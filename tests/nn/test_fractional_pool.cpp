// fractional_max_pool2d/3d and nn::FractionalMaxPool2d/3d against PyTorch 1.13 with the same
// _random_samples: values and indices (float32 and float64 interval arithmetic, ties, NaN,
// output_ratio, unbatched), the gradient at the indices, float64 gradchecks, the layers' draws
// and PyTorch's errors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// clang-format off
// /usr/bin/python3 (torch 1.13):
//   def image(shape, dt): return ((torch.arange(numel) * 7 % 61) - 30.0).div(4).reshape(shape).to(dt)
//   def samples(n, c, r, dt): return ((torch.arange(n * c * r) * 0.37 + 0.05) % 1).reshape(n, c, r).to(dt)
// The samples are float32 arithmetic, so their values are listed here.
// clang-format on
Tensor image(const Dims& shape, DType dt) {
  return (remainder(arange(shape_numel(shape), dtype(kFloat64)) * 7, 61) - 30.0).div(4).reshape(shape).to(dt);
}
Tensor samples(int64_t n, int64_t c, int64_t r, DType dt) {
  const std::vector<double> v{0.05000000074505806,
                              0.42000001668930054,
                              0.7900000214576721,
                              0.15999996662139893,
                              0.5299999713897705,
                              0.8999999761581421,
                              0.26999998092651367,
                              0.6400001049041748,
                              0.009999990463256836,
                              0.37999987602233887,
                              0.75,
                              0.12000036239624023};
  return tensor(std::vector<double>(v.begin(), v.begin() + n * c * r), {n, c, r}, dtype(kFloat64)).to(dt);
}

// The gradient of (out * w).sum() is w added at the indices of each plane.
Tensor gradient_at(const Tensor& indices, const Tensor& w, const Dims& input_shape) {
  const int64_t n = input_shape[0], c = input_shape[1];
  const Tensor g = zeros({n, c, shape_numel(input_shape) / (n * c)}, dtype(w.dtype()));
  return g.scatter_add(2, indices.reshape({n, c, -1}), w.reshape({n, c, -1})).reshape(input_shape);
}

TEST(FractionalMaxPool2d, ValuesIndicesAndGradientAsPyTorch) {
  // o, i = F.fractional_max_pool2d(x, (2, 3), output_size=(4, 5), return_indices=True, _random_samples=s)
  // with x = image((2, 3, 7, 9)), s = samples(2, 3, 2): the same in float32 and float64.
  const std::vector<double> expected_indices{
      11, 12, 14, 15, 17, 29, 30, 32, 33, 26, 47, 48, 50, 51, 52, 56, 57, 59, 60, 52, 11, 12, 14, 15,
      15, 20, 21, 23, 24, 24, 38, 39, 41, 41, 44, 56, 57, 50, 50, 62, 11, 13, 13, 16, 17, 29, 22, 22,
      34, 35, 38, 39, 39, 43, 44, 56, 48, 48, 61, 62, 11, 11, 14, 15, 17, 20, 20, 23, 24, 26, 37, 37,
      41, 42, 44, 46, 46, 59, 60, 62, 9,  12, 14, 15, 17, 18, 30, 32, 33, 35, 38, 39, 41, 42, 44, 56,
      57, 59, 60, 61, 11, 12, 14, 15, 16, 20, 21, 23, 24, 16, 38, 39, 41, 42, 42, 56, 57, 59, 59, 62};
  const std::vector<double> expected_head{-3.5, -1.75, 1.75, 3.5, 7.0, -2.5, -0.75, 2.75, 4.5, 7.5, -1.5, 0.25};
  for (const DType dt : {kFloat32, kFloat64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor x = image({2, 3, 7, 9}, dt).requires_grad_(true);
    auto [out, indices] = F::fractional_max_pool2d_with_indices(
        x, {2, 3}, {.output_size = {4, 5}, .random_samples = samples(2, 3, 2, dt)});
    EXPECT_EQ(out.sizes(), (Dims{2, 3, 4, 5}));
    EXPECT_EQ(indices.dtype(), kInt64);
    expect_values(indices, expected_indices, 0);
    expect_values(out.flatten().narrow(0, 0, 12), expected_head, 0);
    EXPECT_TRUE(equal(out.flatten(2), x.detach().flatten(2).gather(2, indices.flatten(2))));
    const Tensor w = arange(out.numel(), dtype(dt)).reshape(out.sizes()) / 8;
    (out * w).sum().backward();
    // PyTorch's x.grad: flat element 26 holds 1.125, the weights of two windows
    EXPECT_TRUE(equal(x.grad(), gradient_at(indices, w, x.sizes())));
    EXPECT_EQ(x.grad().flatten()[26].item<double>(), 1.125);
  }
}

TEST(FractionalMaxPool2d, RatioUnbatchedNanAndTies) {
  // F.fractional_max_pool2d(image((2, 3, 7, 9)), 2, output_ratio=0.5, return_indices=True,
  //                         _random_samples=samples(2, 3, 2)): output [2, 3, 3, 4]
  auto [out, indices] = F::fractional_max_pool2d_with_indices(
      image({2, 3, 7, 9}, kFloat32), 2, {.output_ratio = 0.5, .random_samples = samples(2, 3, 2, kFloat32)});
  EXPECT_EQ(out.sizes(), (Dims{2, 3, 3, 4}));
  expect_values(indices,
                {10, 12, 14, 17, 28, 30, 32, 26, 55, 57, 59, 52, 10, 13, 15, 17, 28, 31, 24, 35, 55, 58, 50, 62,
                 10, 12, 13, 17, 28, 30, 22, 35, 55, 48, 59, 62, 10, 11, 15, 17, 37, 39, 42, 44, 46, 57, 60, 62,
                 9,  12, 14, 17, 37, 39, 41, 44, 55, 57, 59, 61, 10, 13, 15, 16, 28, 31, 33, 35, 55, 58, 59, 62},
                0);
  // Unbatched [2, 6, 5] with NaNs at [0, 1, 1], [0, 2, 2], [1, 0, 0]: a window with a NaN
  // gives its last NaN (index 6, 12 in plane 0; 0 in plane 1), else its first largest.
  Tensor x = image({2, 6, 5}, kFloat32);
  for (const auto& [c, h, w] : std::vector<std::tuple<int, int, int>>{{0, 1, 1}, {0, 2, 2}, {1, 0, 0}}) {
    x.select(0, c).select(0, h).select(0, w).fill_(NAN);
  }
  auto [o2, i2] =
      F::fractional_max_pool2d_with_indices(x, 2, {.output_size = 3, .random_samples = samples(1, 2, 2, kFloat32)});
  EXPECT_EQ(o2.sizes(), (Dims{2, 3, 3}));
  expect_values(i2, {6, 6, 8, 16, 12, 14, 26, 26, 24, 0, 2, 4, 11, 12, 13, 21, 22, 29}, 0);
  const auto values = o2.to_vector<double>();
  const std::vector<double> expected{NAN, NAN,  6.5,  5.25, NAN, 1.75, 7.5, 7.5,  4.0,
                                     NAN, 2.75, 6.25, 3.25, 5.0, 6.75, 5.5, 7.25, 4.25};
  for (size_t k = 0; k < values.size(); ++k) {
    if (std::isnan(expected[k])) {
      EXPECT_TRUE(std::isnan(values[k])) << k;
    } else {
      EXPECT_EQ(values[k], expected[k]) << k;
    }
  }
  // A window of equal values gives its first element; an all -inf window too.
  auto [o3, i3] = F::fractional_max_pool2d_with_indices(
      full({1, 1, 3, 3}, -INFINITY), 2, {.output_size = 1, .random_samples = samples(1, 1, 2, kFloat32)});
  expect_values(i3, {4}, 0);  // the single window starts at (3 - 2, 3 - 2)
  auto [o4, i4] = F::fractional_max_pool2d_with_indices(
      ones({1, 1, 3, 3}), 2, {.output_size = 1, .random_samples = samples(1, 1, 2, kFloat32)});
  expect_values(i4, {4}, 0);
  // An empty batch gives an empty output.
  EXPECT_EQ(F::fractional_max_pool2d(zeros({0, 2, 5, 5}), 2, {.output_size = 2}).sizes(), (Dims{0, 2, 2, 2}));
}

TEST(FractionalMaxPool3d, ValuesIndicesAndGradientAsPyTorch) {
  // F.fractional_max_pool3d(image((1, 2, 5, 6, 7)).double(), 2, output_size=(3, 4, 4),
  //                         return_indices=True, _random_samples=samples(1, 2, 3))
  const Tensor x = image({1, 2, 5, 6, 7}, kFloat64).requires_grad_(true);
  auto [out, indices] = F::fractional_max_pool3d_with_indices(
      x, 2, {.output_size = {3, 4, 4}, .random_samples = samples(1, 2, 3, kFloat64)});
  EXPECT_EQ(out.sizes(), (Dims{1, 2, 3, 4, 4}));
  expect_values(indices,
                {43,  43,  52,  6,   8,   8,   52,  13,  22,  23,  25,  26,  78,  78,  32,  34,  43,  43,  87,  48,
                 50,  51,  52,  104, 113, 113, 67,  69,  113, 113, 74,  76,  127, 128, 130, 174, 182, 135, 137, 139,
                 148, 148, 200, 153, 155, 156, 200, 209, 42,  51,  4,   6,   15,  16,  60,  68,  22,  24,  25,  68,
                 77,  31,  32,  33,  42,  86,  94,  48,  57,  59,  60,  103, 112, 66,  67,  68,  112, 121, 74,  76,
                 127, 129, 129, 173, 182, 143, 144, 146, 147, 199, 199, 153, 155, 199, 199, 208},
                0);
  expect_values(out.flatten().narrow(0, 0, 8), {6.75, 6.75, 7.25, 3.0, 6.5, 6.5, 7.25, 0.0}, 0);
  const Tensor w = arange(out.numel(), dtype(kFloat64)).reshape(out.sizes()) / 8;
  (out * w).sum().backward();
  EXPECT_TRUE(equal(x.grad(), gradient_at(indices, w, x.sizes())));
  EXPECT_EQ(x.grad().flatten()[392].item<double>(), 10.5);  // PyTorch's, from four windows
  // (2, 3, 2) windows, output_ratio=(0.5, 0.5, 0.7): [1, 2, 2, 3, 4]
  auto [o2, i2] = F::fractional_max_pool3d_with_indices(
      image({1, 2, 5, 6, 7}, kFloat32), {2, 3, 2},
      {.output_ratio = {0.5, 0.5, 0.7}, .random_samples = samples(1, 2, 3, kFloat32)});
  EXPECT_EQ(o2.sizes(), (Dims{1, 2, 2, 3, 4}));
  expect_values(
      i2, {43, 43, 52, 6, 15, 16, 17, 26, 78, 78, 25, 26, 182, 128, 130, 174, 148, 148, 200, 146, 148, 148, 200, 209,
           42, 51, 60, 6, 15, 16, 60, 68, 77, 24, 25, 68, 182, 129, 129, 173, 182, 199, 199, 146, 147, 199, 199, 208},
      0);
}

TEST(FractionalMaxPool, Gradchecks) {
  manual_seed(11);
  const Tensor s2 = rand({2, 3, 2}, dtype(kFloat64)), s3 = rand({1, 2, 3}, dtype(kFloat64));
  expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return F::fractional_max_pool2d(in[0], 2, {.output_size = {4, 3}, .random_samples = s2});
      },
      {randn({2, 3, 6, 5}, kFloat64).requires_grad_(true)});
  expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return F::fractional_max_pool3d(in[0], {2, 1, 2}, {.output_size = {2, 3, 3}, .random_samples = s3});
      },
      {randn({1, 2, 4, 5, 5}, kFloat64).requires_grad_(true)});
}

TEST(FractionalMaxPool, LayersDrawNewWindowsAndKeepGivenOnes) {
  manual_seed(3);
  const Tensor x = randn({4, 8, 20, 20});
  nn::FractionalMaxPool2d pool(3, {.output_ratio = 0.5});
  EXPECT_EQ(pool.repr(), "FractionalMaxPool2d()");
  auto [a, ia] = pool.forward_with_indices(x);
  auto [b, ib] = pool.forward_with_indices(x);
  EXPECT_EQ(a.sizes(), (Dims{4, 8, 10, 10}));
  EXPECT_FALSE(equal(ia, ib));  // fresh samples per call, as PyTorch's
  manual_seed(9);
  const Tensor first = pool(x);
  manual_seed(9);
  EXPECT_TRUE(equal(pool(x), first));  // ember's generator, so the seed repeats them
  // Every window lies inside the plane and holds its maximum.
  EXPECT_TRUE(((ia >= 0) & (ia < 400)).all().item<bool>());
  nn::FractionalMaxPool3d fixed(2, {.output_size = {2, 3, 3}, .random_samples = samples(1, 2, 3, kFloat32)});
  const Tensor v = image({1, 2, 5, 6, 7}, kFloat32);
  EXPECT_TRUE(equal(fixed(v), fixed(v)));
  // The given samples are PyTorch's buffer "_random_samples"; drawn ones are not kept.
  ASSERT_EQ(fixed.state_dict().size(), 1u);
  EXPECT_EQ(fixed.state_dict()[0].first, "_random_samples");
  EXPECT_TRUE(pool.state_dict().empty());
}

TEST(FractionalMaxPool, PyTorchsErrors) {
  const Tensor x = image({1, 1, 7, 9}, kFloat32);
  const F::FractionalMaxPoolOptions six_by_nine{.output_size = {6, 9}};
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool2d(x, 2, {.output_size = {7, 8}});
            }),
            "fractional_max_pool2d(): pool height 2 too large relative to input height 7");
  EXPECT_EQ(error_of([&] { F::fractional_max_pool2d(x, 2, six_by_nine); }),
            "fractional_max_pool2d(): pool width 2 too large relative to input width 9");
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool3d(zeros({1, 1, 5, 5, 5}), 2, {.output_size = {5, 4, 4}});
            }),
            "fractional_max_pool3d_out(): pool time 2 too large relative to input time 5");
  // PyTorch's 3-D kernel wants each last window to end before the input's end, and checks
  // time, then width, then height.
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool3d(zeros({1, 1, 5, 5, 5}), 2, {.output_size = {4, 3, 3}});
            }),
            "fractional_max_pool3d_out(): pool time 2 too large relative to input time 5");
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool3d(zeros({1, 1, 5, 5, 5}), 2, {.output_size = {3, 5, 5}});
            }),
            "fractional_max_pool3d_out(): pool width 2 too large relative to input width 5");
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool2d(zeros({2, 0, 3, 3}), 2, {.output_size = 2});
            }),
            "fractional_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, but got [2, 0, "
            "3, 3] with dimension 1 being empty.");
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool3d(zeros({1, 5, 5, 5, 5, 5}), 2, {.output_size = 4});
            }),
            "fractional_max_pool3d_out(): Expected 4D or 5D tensor, but got: [1, 5, 5, 5, 5, 5]");
  EXPECT_EQ(error_of([&] { F::fractional_max_pool2d(x, 2, {}); }),
            "fractional_max_pool2d requires specifying either an output_size or an output_ratio");
  EXPECT_EQ(error_of([] { nn::FractionalMaxPool2d(2, {}); }),
            "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio");
  EXPECT_EQ(error_of([] { nn::FractionalMaxPool2d(2, {.output_size = 2, .output_ratio = 0.5}); }),
            "only one of output_size and output_ratio may be specified");
  EXPECT_EQ(error_of([] { nn::FractionalMaxPool2d(2, {.output_ratio = 1.5}); }),
            "output_ratio must be between 0 and 1 (got 1.5)");
  EXPECT_NE(error_of([&] {
              F::fractional_max_pool2d(x, {2, 2, 2}, {.output_size = 2});
            }).find("kernel_size"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::fractional_max_pool2d(x, 0, {.output_size = 2}); }).find("greater than zero"),
            std::string::npos);
  // PyTorch's fractional_max_pool_check_shape messages; samples for a larger batch serve.
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool2d(x, 2, {.output_size = 2, .random_samples = samples(1, 2, 2, kFloat32)});
            }),
            "Expect _random_samples.size(1) equals to input channel size.");
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool2d(x, 2, {.output_size = 2, .random_samples = samples(0, 1, 2, kFloat32)});
            }),
            "Expect _random_samples.size(0) no less then input batch size.");
  EXPECT_EQ(error_of([&] {
              F::fractional_max_pool2d(x, 2, {.output_size = 2, .random_samples = samples(1, 1, 2, kFloat64)});
            }),
            "Expect _random_samples to have the same dtype as input");
  const Tensor larger = samples(3, 1, 2, kFloat32);
  EXPECT_TRUE(equal(F::fractional_max_pool2d(x, 2, {.output_size = 2, .random_samples = larger}),
                    F::fractional_max_pool2d(x, 2, {.output_size = 2, .random_samples = larger.narrow(0, 0, 1)})));
  EXPECT_NE(error_of([&] { F::fractional_max_pool2d(x.to(kInt64), 2, {.output_size = 2}); }).find("floating-point"),
            std::string::npos);
}

}  // namespace
}  // namespace ember
