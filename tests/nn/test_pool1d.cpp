// 1-D pooling (max with indices, dilation and ceil_mode; average with ceil_mode and
// count_include_pad; adaptive average and max) and its layers against PyTorch 1.13's values:
// batched, unbatched, empty and non-contiguous inputs, float64 gradcheck, reprs, errors.
#include <vector>

#include "nn/pooling1d.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// PyTorch 1.13: the [2, 2, 11] float64 input of these tests.
Tensor signal() {
  return tensor(std::vector<double>{0.5, -1.0, 2.0, 3.5, -0.25, 1.5, 0.0, 4.0, -2.0, 1.0, 2.5,
                                    1.25, 0.5, -1.0, 2.0, 0.0, 0.75, -0.125, 1.75, 1.0, -0.5, 0.25,
                                    1.0, 2.0, 3.0, -4.0, 5.0, 6.0, -7.0, 8.0, 9.0, 0.5, -0.5,
                                    -0.25, 0.25, 4.5, 4.0, -3.5, 3.0, 2.5, -2.0, 1.5, 1.0, 0.5},
                {2, 2, 11}, dtype(kFloat64));
}

TEST(Pool1d, MaxPoolAsPyTorch) {
  // F.max_pool1d(x, 3, 2, 1, dilation=2, ceil_mode=True, return_indices=True)
  auto [out, indices] = F::max_pool1d_with_indices(signal(), 3, 2, 1, 2, true);
  EXPECT_EQ(out.sizes(), (Dims{2, 2, 5}));
  expect_values(out, {3.5, 3.5, 4, 4, 4, 2, 2, 2, 1.75, 1.75, 2, 6, 8, 8, 8, 4, 4, 4, 3, 1}, 0);
  EXPECT_EQ(indices.dtype(), kInt64);
  expect_values(indices, {3, 3, 7, 7, 7, 3, 3, 3, 7, 7, 1, 5, 7, 7, 7, 3, 3, 3, 5, 9}, 0);
  EXPECT_TRUE(equal(F::max_pool1d(signal(), 3, 2, 1, 2, true), out));
  // F.max_pool1d(x, 2, return_indices=True): stride defaults to the kernel
  auto [out2, indices2] = F::max_pool1d_with_indices(signal(), 2);
  expect_values(out2, {0.5, 3.5, 1.5, 4, 1, 1.25, 2, 0.75, 1.75, 1, 2, 3, 6, 8, 9, 0.25, 4.5, 3, 2.5, 1.5}, 0);
  expect_values(indices2, {0, 3, 5, 7, 9, 0, 3, 5, 7, 8, 1, 2, 5, 7, 8, 1, 2, 5, 6, 8}, 0);
  nn::MaxPool1d layer(3, {.stride = 2, .padding = 1, .dilation = 2, .ceil_mode = true});
  EXPECT_TRUE(equal(layer.forward(signal()), out));
  EXPECT_TRUE(equal(std::get<1>(layer.forward_with_indices(signal())), indices));
}

TEST(Pool1d, AvgPoolAsPyTorch) {
  // F.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False / True)
  expect_values(F::avg_pool1d(signal(), 4, 3, 2, true, false),
                {-0.25, 1.0625, 1.3125, 1.375, 2.5, 0.875, 0.375, 0.59375, 0.625, 0.25,
                 1.5, 1.5, 3.0, 4.25, -0.5, 0.0, 1.3125, 0.0, 0.25, 0.5}, 1e-15);
  const Tensor counted = F::avg_pool1d(signal(), 4, 3, 2, true, true);
  expect_values(counted, {-0.125, 1.0625, 1.3125, 1.375, 0.8333333333333334, 0.4375, 0.375, 0.59375, 0.625,
                          0.08333333333333333, 0.75, 1.5, 3.0, 4.25, -0.16666666666666666, 0.0, 1.3125, 0.0, 0.25,
                          0.16666666666666666}, 1e-15);
  EXPECT_TRUE(equal(nn::AvgPool1d(4, {.stride = 3, .padding = 2, .ceil_mode = true}).forward(signal()), counted));
  EXPECT_TRUE(allclose(F::avg_pool1d(signal(), 3), F::avg_pool2d(signal().unsqueeze(2), {1, 3}).squeeze(2)));
}

TEST(Pool1d, AdaptivePoolsAsPyTorch) {
  const Tensor avg = F::adaptive_avg_pool1d(signal(), 4);
  expect_values(avg, {0.5, 1.6875, 0.875, 0.5, 0.25, 0.4375, 0.84375, 0.25, 2.0, 2.5, 4.0, 3.0, 1.5, 2.0, 1.25, 1.0},
                1e-15);
  EXPECT_TRUE(equal(nn::AdaptiveAvgPool1d(4).forward(signal()), avg));
  auto [out, indices] = F::adaptive_max_pool1d_with_indices(signal(), 4);
  expect_values(out, {2, 3.5, 4, 2.5, 1.25, 2, 1.75, 1, 3, 6, 9, 9, 4.5, 4.5, 3, 1.5}, 0);
  expect_values(indices, {2, 3, 7, 10, 0, 3, 7, 8, 2, 5, 8, 8, 2, 2, 5, 8}, 0);
  EXPECT_TRUE(equal(F::adaptive_max_pool1d(signal(), 4), out));
  nn::AdaptiveMaxPool1d layer(4);
  EXPECT_TRUE(equal(layer.forward(signal()), out));
  EXPECT_TRUE(equal(std::get<1>(layer.forward_with_indices(signal())), indices));
}

TEST(Pool1d, UnbatchedEmptyAndNonContiguous) {
  const Tensor x = signal();
  EXPECT_TRUE(equal(F::max_pool1d(x.select(0, 1), 3, 2, 1, 2, true), F::max_pool1d(x, 3, 2, 1, 2, true).select(0, 1)));
  EXPECT_TRUE(equal(F::avg_pool1d(x.select(0, 1), 4, 3, 2, true, false),
                    F::avg_pool1d(x, 4, 3, 2, true, false).select(0, 1)));
  EXPECT_TRUE(equal(F::adaptive_avg_pool1d(x.select(0, 0), 4), F::adaptive_avg_pool1d(x, 4).select(0, 0)));
  auto [unbatched, indices] = F::adaptive_max_pool1d_with_indices(x.select(0, 0), 3);
  EXPECT_EQ(unbatched.sizes(), (Dims{2, 3}));
  EXPECT_EQ(indices.sizes(), (Dims{2, 3}));
  // an [N, L, C] tensor transposed to [N, C, L]
  const Tensor transposed = x.transpose(1, 2).contiguous().transpose(1, 2);
  EXPECT_FALSE(transposed.is_contiguous());
  EXPECT_TRUE(equal(F::max_pool1d(transposed, 3, 2, 1, 2, true), F::max_pool1d(x, 3, 2, 1, 2, true)));
  EXPECT_TRUE(equal(F::avg_pool1d(transposed, 2), F::avg_pool1d(x, 2)));
  EXPECT_TRUE(equal(F::adaptive_max_pool1d(transposed, 5), F::adaptive_max_pool1d(x, 5)));
  // empty batch, as PyTorch: [0, 2, 2]
  for (const Tensor& y : {F::max_pool1d(zeros({0, 2, 5}), 2), F::avg_pool1d(zeros({0, 2, 5}), 2),
                          F::adaptive_avg_pool1d(zeros({0, 2, 5}), 2), F::adaptive_max_pool1d(zeros({0, 2, 5}), 2)})
    EXPECT_EQ(y.sizes(), (Dims{0, 2, 2}));
  // float32 too
  EXPECT_TRUE(allclose(F::avg_pool1d(x.to(kFloat32), 4, 3, 2, true, false).to(kFloat64),
                       F::avg_pool1d(x, 4, 3, 2, true, false), 1e-6, 1e-6));
}

TEST(Pool1d, Gradcheck) {
  // distinct values, so that max pooling has no ties
  const Tensor x = (testing::grad_input({2, 3, 9}).detach() + arange(54, dtype(kFloat64)).reshape({2, 3, 9}) * 0.01)
                       .requires_grad_(true);
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::max_pool1d(in[0], 3, 2, 1, 2, true); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::avg_pool1d(in[0], 4, 3, 2, true, false); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::avg_pool1d(in[0].select(0, 0), 3, 1, 1); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::adaptive_avg_pool1d(in[0], 4); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::adaptive_max_pool1d(in[0], 4); }, {x});
  // the max's gradient lands on the winners, as its indices say
  const Tensor leaf_x = signal().requires_grad_(true);
  auto [out, indices] = F::max_pool1d_with_indices(leaf_x, 2);
  out.sum().backward();
  const Tensor expected = zeros({2, 2, 11}, dtype(kFloat64)).scatter_add(2, indices, ones_like(out));
  EXPECT_TRUE(equal(leaf_x.grad(), expected));
}

TEST(Pool1d, ReprsAndErrors) {
  EXPECT_EQ(nn::MaxPool1d(3).repr(), "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)");
  EXPECT_EQ(nn::MaxPool1d(3, {.stride = 2, .padding = 1, .dilation = 2, .ceil_mode = true}).repr(),
            "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)");
  EXPECT_EQ(nn::AvgPool1d(3).repr(), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))");
  EXPECT_EQ(nn::AvgPool1d(4, 2, 1).repr(), "AvgPool1d(kernel_size=(4,), stride=(2,), padding=(1,))");
  EXPECT_EQ(nn::AdaptiveAvgPool1d(5).repr(), "AdaptiveAvgPool1d(output_size=5)");
  EXPECT_EQ(nn::AdaptiveMaxPool1d(3).repr(), "AdaptiveMaxPool1d(output_size=3)");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({2, 2, 2, 3}), 2),
                     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but "
                     "got:[2, 2, 2, 3]");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({1, 2, 0}), 2), "Expected 2D or 3D (batch mode) tensor");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({1, 2, 8}), 2, 0), "max_pool1d() stride must be greater than zero, but got 0");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({1, 2, 8}), 0), "max_pool1d() kernel_size must be greater than zero, but got 0");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({1, 2, 8}), 2, 1, 2),
                     "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({1, 2, 8}), 2, 1, -1), "max_pool1d() padding must be non-negative, but got -1");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({1, 2, 8}), 2, 1, 0, 0),
                     "max_pool1d() dilation must be greater than zero, but got 0");
  EXPECT_EMBER_ERROR(F::max_pool1d_with_indices(zeros({1, 2, 3}), 4),
                     "Given input size: (2x1x3). Calculated output size: (2x1x0). Output size is too small");
  EXPECT_EMBER_ERROR(F::avg_pool1d(zeros({2, 2, 2, 3}), 2),
                     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while checking "
                     "arguments for avg_pool1d)");
  EXPECT_EMBER_ERROR(F::avg_pool1d(zeros({1, 2, 3}), 4),
                     "Given input size: (2x1x3). Calculated output size: (2x1x0). Output size is too small");
  EXPECT_EMBER_ERROR(
      F::avg_pool1d(zeros({1, 2, 8}), 2, 1, 2),
      "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1");
  EXPECT_EMBER_ERROR(F::avg_pool1d(zeros({1, 2, 8}), 2, 0), "stride should not be zero");
  EXPECT_EMBER_ERROR(F::adaptive_avg_pool1d(zeros({2, 2, 2, 3}), 2),
                     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while checking "
                     "arguments for adaptive_avg_pool1d)");
  EXPECT_EMBER_ERROR(F::adaptive_max_pool1d(zeros({2, 2, 2, 3}), 2), "(while checking arguments for adaptive_max_pool1d)");
  EXPECT_EMBER_ERROR(F::adaptive_avg_pool1d(zeros({1, 2, 0}), 2),
                     "Expected input to have non-zero size for non-batch dimensions");
  EXPECT_EMBER_ERROR(F::adaptive_avg_pool1d(zeros({1, 2, 3}), -1),
                     "elements of output_size must be greater than or equal to 0 but received");
  EXPECT_EMBER_ERROR(F::max_pool1d(zeros({1, 2, 3}, dtype(kInt64)), 2),
                     "max_pool1d: expected a float32, float64, bfloat16 or float16 input, but got int64");
  EXPECT_EMBER_ERROR(F::adaptive_avg_pool1d(zeros({1, 2, 3}, dtype(kInt64)), 2),
                     "adaptive_avg_pool1d: expected a float32, float64, bfloat16 or float16 input");
}

// An adaptive output size of 0 is an empty result, as PyTorch's (it was a division by the
// output width, a SIGFPE no handler could catch), forward and backward, 1-D and 2-D.
TEST(Pool1d, AdaptiveOutputOfWidthZeroIsEmpty) {
  const Tensor x = signal().requires_grad_(true);
  const Tensor avg = F::adaptive_avg_pool1d(x, 0);
  EXPECT_EQ(avg.sizes(), (Dims{x.size(0), x.size(1), 0}));
  EXPECT_EQ(F::adaptive_max_pool1d(x, 0).numel(), 0);
  EXPECT_EQ(nn::AdaptiveAvgPool1d(0).forward(x).numel(), 0);
  (avg.sum() + F::adaptive_max_pool1d(x, 0).sum()).backward();
  EXPECT_TRUE(equal(x.grad(), zeros_like(x)));
  const Tensor image = ones({1, 2, 3, 4});
  EXPECT_EQ(F::adaptive_avg_pool2d(image, {2, 0}).sizes(), (Dims{1, 2, 2, 0}));
  EXPECT_EQ(F::adaptive_max_pool2d(image, {2, 0}).sizes(), (Dims{1, 2, 2, 0}));
}

}  // namespace
}  // namespace ember
