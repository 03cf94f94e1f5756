// Convolution padding beyond integers, against PyTorch 1.13: padding=kSame / kValid in
// conv2d and conv1d (odd and even totals, dilation) and the layers' padding_mode
// ("reflect", "replicate", "circular", with kSame too), gradchecks, reprs and errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_values;

// (torch.arange(n) * 0.37).sin() over `shape`, as in the Python comments.
Tensor wave(const Dims& shape) {
  return ember::sin(arange(shape_numel(shape), TensorOptions(kFloat64)).mul(0.37)).reshape(shape);
}

// x = ar(2,3,5,6); w = ar(4,3,2,3): F.conv2d(x, w, None, 1, 'same', (2, 1)) (an odd total
// along W: one zero column after), F.conv2d(x, w, None, 1, 'valid');
// F.conv1d(ar(2,4,9), ar(6,2,4), None, 1, 'same', 1, 2)
TEST(ConvPadding, SameAndValidAsPyTorch) {
  const Tensor x = wave({2, 3, 5, 6}), w = wave({4, 3, 2, 3});
  const Tensor y = F::conv2d(x, w, Tensor(), 1, nn::kSame, {2, 1});
  ASSERT_EQ(y.sizes(), (Dims{2, 4, 5, 6}));
  EXPECT_NEAR(y.sum().item<double>(), 24.34558286006829, 1e-11);
  const auto v = y.to_vector<double>();
  const std::vector<std::pair<size_t, double>> picks{{0, 0.44254551373260337},
                                                     {5, -2.4780094034023312},
                                                     {17, 1.0665599971421609},
                                                     {100, 5.449339211076157},
                                                     {239, -2.5349272991983747}};
  for (const auto& [i, want] : picks) EXPECT_NEAR(v[i], want, 1e-12) << "at " << i;
  const Tensor valid = F::conv2d(x, w, Tensor(), 1, nn::kValid);
  EXPECT_EQ(valid.sizes(), (Dims{2, 4, 4, 4}));
  EXPECT_NEAR(valid.sum().item<double>(), 19.308170668461184, 1e-11);
  const Tensor y1 = F::conv1d(wave({2, 4, 9}), wave({6, 2, 4}), Tensor(), 1, nn::kSame, 1, 2);
  ASSERT_EQ(y1.sizes(), (Dims{2, 6, 9}));
  EXPECT_NEAR(y1.sum().item<double>(), 7.489742963327744, 1e-11);
  expect_values(y1.flatten().narrow(0, 0, 4),
                {-0.17388407763267325, -0.4506422955885207, -0.846260556685892, -1.1273414214235649}, 1e-12);
  // an even total is conv2d's own symmetric padding
  EXPECT_TRUE(equal(F::conv2d(x, wave({4, 3, 3, 3}), Tensor(), 1, nn::kSame), F::conv2d(x, wave({4, 3, 3, 3}), Tensor(), 1, 1)));
  testing::expect_gradcheck(
      [](const std::vector<Tensor>& in) { return F::conv2d(in[0], in[1], in[2], 1, nn::kSame, {1, 2}); },
      {testing::grad_input({1, 2, 4, 5}), testing::grad_input({3, 2, 2, 2}), testing::grad_input({3})});
}

// m = nn.Conv2d(3, 4, (2, 3), padding=(1, 2), padding_mode=mode, bias=False) with weight w,
// on x: y.sum(), y.flatten()[7]; the same with padding='same', dilation=(2, 1), 'reflect';
// nn.Conv1d(4, 6, 4, padding='same', padding_mode='circular', groups=2, bias=False) with
// weight ar(6,2,4) on ar(2,4,9): y.sum()
TEST(ConvPadding, PaddingModesAsPyTorch) {
  const Tensor x = wave({2, 3, 5, 6}), w = wave({4, 3, 2, 3});
  const std::vector<std::tuple<std::string, double, double>> modes{
      {"reflect", -178.7606313640908, 2.6191036817527644},
      {"replicate", -6.11864221930243, 7.148970013465372},
      {"circular", -167.1476267443005, 3.461488147225361}};
  for (const auto& [mode, sum, seventh] : modes) {
    SCOPED_TRACE(mode);
    nn::Conv2d conv(3, 4, nn::Pair(2, 3), {.padding = {1, 2}, .bias = false, .padding_mode = mode});
    conv.weight = w.clone().requires_grad_(true);
    const Tensor y = conv(x);
    ASSERT_EQ(y.sizes(), (Dims{2, 4, 6, 8}));
    EXPECT_NEAR(y.sum().item<double>(), sum, 1e-10);
    EXPECT_NEAR(y.flatten()[7].item<double>(), seventh, 1e-12);
  }
  nn::Conv2d same(3, 4, nn::Pair(2, 3),
                  {.padding = nn::kSame, .dilation = {2, 1}, .bias = false, .padding_mode = "reflect"});
  same.weight = w.clone().requires_grad_(true);
  const Tensor y = same(x);
  ASSERT_EQ(y.sizes(), (Dims{2, 4, 5, 6}));
  EXPECT_NEAR(y.sum().item<double>(), -55.77540467827393, 1e-10);
  EXPECT_NEAR(y.flatten()[7].item<double>(), -2.527986122086091, 1e-12);
  EXPECT_EQ(same.extra_repr(),
            "3, 4, kernel_size=(2, 3), stride=(1, 1), padding=same, dilation=(2, 1), bias=False, padding_mode=reflect");
  nn::Conv1d circular(4, 6, 4, {.padding = nn::kSame, .groups = 2, .bias = false, .padding_mode = "circular"});
  circular.weight = wave({6, 2, 4}).requires_grad_(true);
  const Tensor y1 = circular(wave({2, 4, 9}));
  ASSERT_EQ(y1.sizes(), (Dims{2, 6, 9}));
  EXPECT_NEAR(y1.sum().item<double>(), 9.514880376282159, 1e-11);
  EXPECT_EQ(circular.extra_repr(),
            "4, 6, kernel_size=(4,), stride=(1,), padding=same, groups=2, bias=False, padding_mode=circular");
  EXPECT_EQ(nn::Conv2d(3, 4, 3, {.padding = nn::kValid}).extra_repr(),
            "3, 4, kernel_size=(3, 3), stride=(1, 1), padding=valid");
  // gradients flow through the padding into the input and the weight
  const Tensor xg = testing::grad_input({1, 3, 4, 5});
  testing::expect_gradcheck([&](const std::vector<Tensor>& in) {
    nn::Conv2d c(3, 2, 3, {.padding = 1, .padding_mode = "reflect"});
    c.weight = in[1];
    c.bias = Tensor();
    return c(in[0]);
  }, {xg, testing::grad_input({2, 3, 3, 3})});
}

TEST(ConvPadding, ErrorsAsPyTorch) {
  EXPECT_EQ(error_of([] { nn::Conv2d(3, 4, 3, {.stride = 2, .padding = nn::kSame}); }),
            "padding='same' is not supported for strided convolutions");
  EXPECT_EQ(error_of([] { nn::Conv2d(3, 4, 3, {.padding_mode = "foo"}); }),
            "padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='foo'");
  EXPECT_EQ(error_of([] { F::conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3, 3}), Tensor(), 2, nn::kSame); }),
            "padding='same' is not supported for strided convolutions");
  EXPECT_EQ(error_of([] { F::conv1d(zeros({1, 3, 5}), zeros({4, 3, 3}), Tensor(), 1, {1, 2}); }),
            "conv1d: expected padding to be a single integer, but got [1, 2]");
}

}  // namespace
}  // namespace ember
