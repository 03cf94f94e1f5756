// pixel_shuffle / pixel_unshuffle / channel_shuffle and nn::Unflatten against PyTorch 1.13's
// values: leading batch dims, unbatched and empty inputs, non-contiguous and channels-last
// inputs, float64 gradcheck, module reprs and error phrases.
#include <vector>

#include "nn/rearrange.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

Tensor arange_f64(int64_t n, const Dims& shape) { return arange(n, dtype(kFloat64)).reshape(shape); }

// PyTorch 1.13: y = F.pixel_shuffle(torch.arange(96.).reshape(2, 8, 2, 3), 2)
TEST(PixelShuffle, ValuesAsPyTorch) {
  const Tensor y = F::pixel_shuffle(arange_f64(96, {2, 8, 2, 3}), 2);
  EXPECT_EQ(y.sizes(), (Dims{2, 2, 4, 6}));
  expect_values(y.select(0, 0).select(0, 0), {0, 6, 1, 7, 2, 8, 12, 18, 13, 19, 14, 20,
                                              3, 9, 4, 10, 5, 11, 15, 21, 16, 22, 17, 23}, 0);
  expect_values(y.select(0, 1).select(0, 1), {72, 78, 73, 79, 74, 80, 84, 90, 85, 91, 86, 92,
                                              75, 81, 76, 82, 77, 83, 87, 93, 88, 94, 89, 95}, 0);
  // z = F.pixel_unshuffle(torch.arange(96.).reshape(2, 2, 4, 6), 2)
  const Tensor z = F::pixel_unshuffle(arange_f64(96, {2, 2, 4, 6}), 2);
  EXPECT_EQ(z.sizes(), (Dims{2, 8, 2, 3}));
  expect_values(z.select(0, 0).select(1, 0), {0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11,
                                              24, 26, 28, 25, 27, 29, 30, 32, 34, 31, 33, 35}, 0);
  expect_values(z.select(0, 1).select(0, 5), {73, 75, 77, 85, 87, 89}, 0);
  // the two are inverses, for any factor
  const Tensor x = randn({2, 18, 2, 5});
  EXPECT_TRUE(equal(F::pixel_unshuffle(F::pixel_shuffle(x, 3), 3), x));
  EXPECT_TRUE(equal(F::pixel_shuffle(x, 1), x));
}

TEST(PixelShuffle, BatchDimsUnbatchedEmptyAndLayouts) {
  const Tensor x = randn({3, 2, 8, 2, 2});
  const Tensor y = F::pixel_shuffle(x, 2);
  EXPECT_EQ(y.sizes(), (Dims{3, 2, 2, 4, 4}));
  EXPECT_TRUE(equal(y.select(0, 2), F::pixel_shuffle(x.select(0, 2), 2)));
  EXPECT_TRUE(equal(F::pixel_shuffle(x.select(0, 1).select(0, 0), 2), y.select(0, 1).select(0, 0)));  // [C, H, W]
  EXPECT_TRUE(equal(F::pixel_unshuffle(y, 2), x));
  EXPECT_EQ(F::pixel_shuffle(zeros({0, 8, 2, 2}), 2).sizes(), (Dims{0, 2, 4, 4}));
  EXPECT_EQ(F::pixel_unshuffle(zeros({0, 2, 4, 4}), 2).sizes(), (Dims{0, 8, 2, 2}));
  // non-contiguous and channels-last inputs give the same values
  const Tensor image = randn({2, 8, 4, 6});
  const Tensor expected = F::pixel_shuffle(image, 2);
  const Tensor transposed = image.transpose(2, 3).contiguous().transpose(2, 3);
  EXPECT_FALSE(transposed.is_contiguous());
  EXPECT_TRUE(equal(F::pixel_shuffle(transposed, 2), expected));
  EXPECT_TRUE(equal(F::pixel_shuffle(image.contiguous(MemoryFormat::ChannelsLast), 2), expected));
  EXPECT_TRUE(equal(F::pixel_unshuffle(image.contiguous(MemoryFormat::ChannelsLast), 2),
                    F::pixel_unshuffle(image, 2)));
  // integer tensors move too (no arithmetic)
  EXPECT_TRUE(equal(F::pixel_shuffle(image.to(kInt64), 2), expected.to(kInt64)));
}

TEST(PixelShuffle, Gradcheck) {
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::pixel_shuffle(in[0], 2).pow(2); },
                   {testing::grad_input({2, 8, 3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::pixel_unshuffle(in[0], 3).pow(2); },
                   {testing::grad_input({1, 2, 3, 6})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::channel_shuffle(in[0], 3).pow(2); },
                   {testing::grad_input({2, 6, 2})});
  // the gradient of a shuffle is the inverse shuffle of the gradient
  const Tensor x = testing::grad_input({1, 4, 2, 2});
  const Tensor g = randn({1, 1, 4, 4}, dtype(kFloat64));
  F::pixel_shuffle(x, 2).backward(g);
  EXPECT_TRUE(equal(x.grad(), F::pixel_unshuffle(g, 2)));
}

TEST(ChannelShuffle, ValuesAsPyTorch) {
  // torch.channel_shuffle(torch.arange(6.).reshape(1, 6, 1, 1), 2)
  expect_values(F::channel_shuffle(arange_f64(6, {1, 6, 1, 1}), 2), {0, 3, 1, 4, 2, 5}, 0);
  // torch.channel_shuffle(torch.arange(12.).reshape(1, 6, 2), 3)
  expect_values(F::channel_shuffle(arange_f64(12, {1, 6, 2}), 3), {0, 1, 4, 5, 8, 9, 2, 3, 6, 7, 10, 11}, 0);
  const Tensor x = randn({2, 6, 3, 4});
  const Tensor expected = F::channel_shuffle(x, 3);
  EXPECT_TRUE(equal(expected.select(1, 1), x.select(1, 2)));  // output 1 = 0 * 3 + 1: input 1 * 2 + 0
  EXPECT_TRUE(equal(F::channel_shuffle(x.contiguous(MemoryFormat::ChannelsLast), 3), expected));
  EXPECT_TRUE(equal(F::channel_shuffle(expected, 2), x));  // shuffling by C / groups undoes it
  EXPECT_EQ(F::channel_shuffle(zeros({0, 6, 2, 2}), 2).sizes(), (Dims{0, 6, 2, 2}));
  nn::ChannelShuffle layer(3);
  EXPECT_TRUE(equal(layer.forward(x), expected));
}

TEST(Unflatten, ModuleAsPyTorch) {
  nn::Unflatten unflatten(1, {2, 5, 5});
  EXPECT_EQ(unflatten.repr(), "Unflatten(dim=1, unflattened_size=(2, 5, 5))");
  const Tensor x = randn({3, 50});
  const Tensor y = unflatten.forward(x);
  EXPECT_EQ(y.sizes(), (Dims{3, 2, 5, 5}));
  EXPECT_TRUE(equal(y.flatten(1), x));
  EXPECT_EQ(nn::Unflatten(-1, {5, -1}).forward(x).sizes(), (Dims{3, 5, 10}));
  EXPECT_EQ(nn::Unflatten(-1, {2}).repr(), "Unflatten(dim=-1, unflattened_size=(2,))");
  // Flatten then Unflatten round-trips in a Sequential
  nn::Sequential net({std::make_shared<nn::Flatten>(), std::make_shared<nn::Unflatten>(1, Dims{2, 3, 4})});
  const Tensor image = randn({2, 2, 3, 4});
  EXPECT_TRUE(equal(net.forward(image), image));
  EXPECT_EMBER_ERROR(nn::Unflatten(1, {2, 5}).forward(zeros({2, 12})),
                     "unflatten: Provided sizes [2, 5] don't multiply up to the size of dim 1 (12)");
}

TEST(PixelShuffle, ModulesAndErrors) {
  EXPECT_EQ(nn::PixelShuffle(3).repr(), "PixelShuffle(upscale_factor=3)");
  EXPECT_EQ(nn::PixelUnshuffle(2).repr(), "PixelUnshuffle(downscale_factor=2)");
  EXPECT_EQ(nn::ChannelShuffle(2).repr(), "ChannelShuffle(groups=2)");
  const Tensor x = randn({1, 9, 2, 2});
  EXPECT_TRUE(equal(nn::PixelShuffle(3).forward(x), F::pixel_shuffle(x, 3)));
  EXPECT_TRUE(equal(nn::PixelUnshuffle(2).forward(x), F::pixel_unshuffle(x, 2)));
  EXPECT_EMBER_ERROR(F::pixel_shuffle(zeros({2, 7, 2, 2}), 2),
                     "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                     "upscale_factor, but input.size(-3)=7 is not divisible by 4");
  EXPECT_EMBER_ERROR(F::pixel_shuffle(zeros({8, 2}), 2),
                     "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension(s)");
  EXPECT_EMBER_ERROR(F::pixel_shuffle(zeros({1, 8, 2, 2}), 0), "pixel_shuffle expects a positive upscale_factor, but got 0");
  EXPECT_EMBER_ERROR(F::pixel_unshuffle(zeros({1, 1, 3, 4}), 2),
                     "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3 is not "
                     "divisible by 2");
  EXPECT_EMBER_ERROR(F::pixel_unshuffle(zeros({1, 1, 4, 3}), 2),
                     "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=3 is not "
                     "divisible by 2");
  EXPECT_EMBER_ERROR(F::pixel_unshuffle(zeros({4, 3}), 2),
                     "pixel_unshuffle expects input to have at least 3 dimensions, but got input with 2 dimension(s)");
  EXPECT_EMBER_ERROR(F::pixel_unshuffle(zeros({1, 1, 4, 4}), -1),
                     "pixel_unshuffle expects a positive downscale_factor, but got -1");
  EXPECT_EMBER_ERROR(F::channel_shuffle(zeros({1, 5, 2, 2}), 2),
                     "Number of channels must be divisible by groups. Got 5 channels and 2 groups.");
  EXPECT_EMBER_ERROR(F::channel_shuffle(zeros({1, 6, 2, 2}), 0),
                     "Number of groups to divide channels in must be positive. Value of groups:0");
  EXPECT_EMBER_ERROR(F::channel_shuffle(zeros({6, 2}), 2),
                     "channel_shuffle expects input with > 2 dims, but got input with sizes [6, 2]");
}

// The shuffles always return a new tensor (r = 1 and groups 1 or C could all be views).
TEST(PixelShuffle, ResultsNeverAliasTheInput) {
  const Tensor x = zeros({1, 4, 2, 2});
  for (const Tensor& y : {F::pixel_shuffle(x, 1), F::pixel_unshuffle(x, 1), F::channel_shuffle(x, 1),
                          F::channel_shuffle(x, 4)}) {
    EXPECT_FALSE(y.is_alias_of(x));
    EXPECT_TRUE(equal(y, x));
  }
}

}  // namespace
}  // namespace ember
