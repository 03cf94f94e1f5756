// nn::functional::conv2d against a direct 7-loop float64 reference (stride, padding,
// dilation, groups, bias), its gradients by gradcheck, error messages, and nn::Conv2d.
#include <gtest/gtest.h>

#include <cmath>

#include <ember/ember.h>

#include "autograd/gradcheck.h"
#include "nn/conv.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;

struct ConvCase {
  Dims x_shape, w_shape, stride, padding, dilation;
  int64_t groups;
  bool bias;
};

// out[n, o, oh, ow] = b[o] + sum_{c, ki, kj} x[n, g*Cg + c, oh*s - p + ki*d, ...] * w[o, c, ki, kj]
std::vector<double> reference_conv(const Tensor& x, const Tensor& w, const Tensor& b, const ConvCase& k, Dims& out) {
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const auto bv = b.defined() ? b.to_vector<double>() : std::vector<double>(w.size(0), 0.0);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t O = w.size(0), Cg = w.size(1), KH = w.size(2), KW = w.size(3), Og = O / k.groups;
  const int64_t OH = (H + 2 * k.padding[0] - k.dilation[0] * (KH - 1) - 1) / k.stride[0] + 1;
  const int64_t OW = (W + 2 * k.padding[1] - k.dilation[1] * (KW - 1) - 1) / k.stride[1] + 1;
  out = {N, O, OH, OW};
  std::vector<double> y(N * O * OH * OW);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = bv[o];
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t ki = 0; ki < KH; ++ki)
              for (int64_t kj = 0; kj < KW; ++kj) {
                const int64_t ih = oh * k.stride[0] - k.padding[0] + ki * k.dilation[0];
                const int64_t iw = ow * k.stride[1] - k.padding[1] + kj * k.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t ic = o / Og * Cg + c;
                s += xv[((n * C + ic) * H + ih) * W + iw] * wv[((o * Cg + c) * KH + ki) * KW + kj];
              }
          y[((n * O + o) * OH + oh) * OW + ow] = s;
        }
  return y;
}

const std::vector<ConvCase> kCases = {
    {{2, 3, 7, 6}, {4, 3, 3, 3}, {1, 1}, {0, 0}, {1, 1}, 1, true},
    {{2, 4, 9, 8}, {6, 2, 3, 3}, {2, 2}, {1, 1}, {2, 2}, 2, true},
    {{3, 4, 9, 8}, {6, 2, 3, 3}, {2, 2}, {1, 1}, {2, 2}, 2, false},
    {{1, 2, 6, 7}, {3, 2, 3, 2}, {2, 1}, {1, 0}, {1, 2}, 1, true},
    {{2, 1, 28, 28}, {8, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true},
};

class ConvFunctional : public ::testing::Test {
 protected:
  void SetUp() override { manual_seed(7); }
};

TEST_F(ConvFunctional, ForwardMatchesReference) {
  for (const DType dt : {kFloat64, kFloat32}) {
    for (const ConvCase& k : kCases) {
      const Tensor x = randn(k.x_shape, kFloat64), w = randn(k.w_shape, kFloat64);
      const Tensor b = k.bias ? randn({k.w_shape[0]}, kFloat64) : Tensor();
      Dims shape;
      const auto expected = reference_conv(x, w, b, k, shape);
      const Tensor y = F::conv2d(x.to(dt), w.to(dt), b.defined() ? b.to(dt) : Tensor(), k.stride, k.padding,
                                 k.dilation, k.groups);
      ASSERT_EQ(y.sizes(), shape) << "case x" << k.x_shape << " w" << k.w_shape;
      EXPECT_EQ(y.dtype(), dt);
      testing::expect_values(y, expected, dt == kFloat64 ? 1e-10 : 1e-4);
    }
  }
}

TEST_F(ConvFunctional, NonContiguousInputsAndSingleIntegerSizes) {
  const Tensor x = randn({2, 5, 5, 3}, kFloat64).permute({0, 3, 1, 2});  // [2, 3, 5, 5], channels last
  const Tensor w = randn({4, 3, 3, 3}, kFloat64);
  const ConvCase k{x.sizes(), w.sizes(), {2, 2}, {1, 1}, {1, 1}, 1, false};
  Dims shape;
  const auto expected = reference_conv(x, w, Tensor(), k, shape);
  const Tensor y = F::conv2d(x, w, Tensor(), {2}, {1});
  ASSERT_EQ(y.sizes(), shape);
  testing::expect_values(y, expected, 1e-10);
}

TEST_F(ConvFunctional, UnbatchedInput) {
  const Tensor x = randn({3, 6, 6}, kFloat64), w = randn({2, 3, 3, 3}, kFloat64), b = randn({2}, kFloat64);
  const Tensor y = F::conv2d(x, w, b, {1, 1}, {1, 1});
  ASSERT_EQ(y.sizes(), Dims({2, 6, 6}));
  testing::expect_values(y, F::conv2d(x.unsqueeze(0), w, b, {1, 1}, {1, 1}).to_vector<double>(), 1e-12);
}

TEST_F(ConvFunctional, LargeBatchGoesThroughChunksOnThreads) {
  // 96 images of [8, 16, 16] make several chunks of images, run on the OpenMP threads:
  // every image's output equals the convolution of that image alone.
  const Tensor x = randn({96, 8, 16, 16}), w = randn({16, 8, 3, 3}), b = randn({16});
  const Tensor y = F::conv2d(x, w, b, {1, 1}, {1, 1});
  for (int64_t n : {0, 11, 12, 47, 95}) {
    const Tensor one = F::conv2d(x.narrow(0, n, 1), w, b, {1, 1}, {1, 1});
    testing::expect_values(y.narrow(0, n, 1), one.to_vector<double>(), 1e-4);
  }
}

TEST_F(ConvFunctional, LargeBatchBackwardMatchesPerImageGradients) {
  // 40 images make several backward chunks on the threads: dx of each image, and dw/db
  // as the sums of the per-image gradients.
  const auto grad = TensorOptions(kFloat64).requires_grad(true);
  const Tensor x = randn({40, 8, 16, 16}, grad), w = randn({16, 8, 3, 3}, grad), b = randn({16}, grad);
  const Tensor r = randn({40, 16, 16, 16}, kFloat64);
  (F::conv2d(x, w, b, {1, 1}, {1, 1}) * r).sum().backward();
  std::vector<double> gw(static_cast<size_t>(w.numel()), 0.0), gb(16, 0.0);
  for (int64_t n = 0; n < 40; ++n) {
    const Tensor xi = x.detach().narrow(0, n, 1).contiguous().requires_grad_(true);
    const Tensor wi = w.detach().clone().requires_grad_(true), bi = b.detach().clone().requires_grad_(true);
    (F::conv2d(xi, wi, bi, {1, 1}, {1, 1}) * r.narrow(0, n, 1)).sum().backward();
    testing::expect_values(x.grad().narrow(0, n, 1), xi.grad().to_vector<double>(), 1e-10);
    const auto wv = wi.grad().to_vector<double>(), bv = bi.grad().to_vector<double>();
    for (size_t i = 0; i < gw.size(); ++i) gw[i] += wv[i];
    for (size_t i = 0; i < gb.size(); ++i) gb[i] += bv[i];
  }
  testing::expect_values(w.grad(), gw, 1e-9);
  testing::expect_values(b.grad(), gb, 1e-9);
}

Tensor leaf(const Dims& shape) { return randn(shape, kFloat64).requires_grad_(true); }

TEST_F(ConvFunctional, GradcheckAllInputs) {
  for (const ConvCase& k : {ConvCase{{2, 4, 6, 5}, {4, 2, 3, 3}, {2, 2}, {1, 1}, {2, 1}, 2, true},
                            ConvCase{{2, 3, 5, 5}, {2, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true},
                            ConvCase{{1, 2, 5, 6}, {3, 2, 2, 3}, {2, 1}, {0, 1}, {1, 1}, 1, false}}) {
    Inputs in{leaf(k.x_shape), leaf(k.w_shape)};
    if (k.bias) in.push_back(leaf({k.w_shape[0]}));
    const auto r = autograd::gradcheck_report(
        [&](const Inputs& v) {
          return F::conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), k.stride, k.padding, k.dilation, k.groups);
        },
        in);
    EXPECT_TRUE(r.ok) << "case x" << k.x_shape << " w" << k.w_shape << ": " << r.message;
  }
}

TEST_F(ConvFunctional, RecordsOneNodeOnlyWhenNeeded) {
  const Tensor x = randn({2, 1, 8, 8}), w = randn({4, 1, 3, 3}).requires_grad_(true);
  const Tensor b = zeros({4}).requires_grad_(true);
  const Tensor y = F::conv2d(x, w, b, {1, 1}, {1, 1});
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "ConvolutionBackward");
  y.sum().backward();
  EXPECT_EQ(w.grad().sizes(), w.sizes());
  testing::expect_values(b.grad(), std::vector<double>(4, 2.0 * 64), 1e-3);  // bias grad = N * OH * OW
  EXPECT_FALSE(x.grad().defined());
  {
    NoGradGuard g;
    EXPECT_EQ(F::conv2d(x, w, b).grad_fn(), nullptr);
  }
  EXPECT_EQ(F::conv2d(x, w.detach()).grad_fn(), nullptr);
}

TEST_F(ConvFunctional, ErrorMessages) {
  const Tensor w = randn({32, 1, 3, 3});
  EXPECT_EMBER_ERROR(F::conv2d(randn({128, 3, 28, 28}), w),
                     "Given groups=1, weight of size [32, 1, 3, 3], expected input[128, 3, 28, 28] to have 1 "
                     "channels, but got 3 channels instead");
  EXPECT_EMBER_ERROR(F::conv2d(randn({28, 28}), w), "Expected 3D (unbatched) or 4D (batched) input to conv2d");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 2, 2}), w), "Kernel size can't be greater than actual input size");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 2, 2}), w, Tensor(), {2, 2}), "Kernel size can't be greater");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}), randn({32, 1, 3})), "Expected 4-dimensional weight");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}), w, randn({3})), "expected bias to be 1-dimensional with 32");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 2, 5, 5}), randn({3, 1, 3, 3}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 2),
                     "expected weight to be divisible by 2 at dimension 0");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}), w, Tensor(), {0, 1}), "non-positive stride is not supported");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}), w, Tensor(), {1, 1}, {-1, 0}),
                     "negative padding is not supported");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}, kFloat64), w), "should be the same");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}), w, Tensor(), {1, 2, 3}), "expected stride to be a single");
  EXPECT_EMBER_ERROR(F::conv2d(randn({1, 1, 5, 5}), randn({1, 1, 0, 0})),
                     "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0");
  EXPECT_EMBER_ERROR(nn::Conv2d(1, 1, 0)(ones({1, 1, 5, 5})), "kernel size should be greater than zero");
}

TEST(ConvModule, ShapesInitAndRepr) {
  manual_seed(0);
  nn::Conv2d conv(1, 32, 3, nn::Conv2dOptions{.stride = 1, .padding = 1});
  EXPECT_EQ(conv.weight.sizes(), Dims({32, 1, 3, 3}));
  EXPECT_EQ(conv.bias.sizes(), Dims({32}));
  EXPECT_TRUE(conv.weight.requires_grad());
  EXPECT_EQ(conv.extra_repr(), "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)");
  const double bound = 1.0 / 3.0;  // 1 / sqrt(1 * 3 * 3)
  for (const Tensor* t : {&conv.weight, &conv.bias}) {
    EXPECT_LE(t->abs().max().item<double>(), bound);
    EXPECT_GT(t->abs().max().item<double>(), 0.5 * bound);
  }
  EXPECT_EQ(conv.forward(randn({2, 1, 28, 28})).sizes(), Dims({2, 32, 28, 28}));
  EXPECT_EQ(conv.parameters().size(), 2u);

  nn::Conv2d grouped(4, 6, {3, 2}, {.stride = {2, 1}, .dilation = 2, .groups = 2, .bias = false});
  EXPECT_EQ(grouped.weight.sizes(), Dims({6, 2, 3, 2}));
  EXPECT_FALSE(grouped.bias.defined());
  EXPECT_EQ(grouped.parameters().size(), 1u);
  EXPECT_EQ(grouped.extra_repr(), "4, 6, kernel_size=(3, 2), stride=(2, 1), dilation=(2, 2), groups=2, bias=False");
  const double grouped_bound = 1.0 / std::sqrt(2.0 * 3 * 2);
  EXPECT_LE(grouped.weight.abs().max().item<double>(), grouped_bound);
  EXPECT_EQ(grouped.forward(randn({1, 4, 9, 5})).sizes(), Dims({1, 6, 3, 3}));
  EXPECT_EMBER_ERROR(nn::Conv2d(3, 4, 3, {.groups = 2}), "in_channels must be divisible by groups");
  // Checked before the initialisation bound divides by it (that used to raise SIGFPE).
  EXPECT_EMBER_ERROR(nn::Conv2d(4, 4, 3, {.groups = 0}), "groups must be a positive integer");
}

}  // namespace
}  // namespace ember
