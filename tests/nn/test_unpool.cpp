// max_unpool2d and nn::MaxUnpool2d against PyTorch 1.13: values at the pooling's indices,
// default and given output sizes, unbatched, empty, channels-last and non-contiguous
// inputs, float64 gradcheck, the repr and error phrases.
#include <vector>

#include "nn/unpooling.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// PyTorch 1.13: x = ((torch.arange(120) * 7 % 60) - 30.0).div(4).reshape(2, 2, 5, 6).double()
//   o, i = F.max_pool2d(x, 2, return_indices=True)
Tensor image() { return (remainder(arange(120, dtype(kFloat64)) * 7, 60) - 30.0).div(4).reshape({2, 2, 5, 6}); }

TEST(MaxUnpool2d, ValuesAsPyTorch) {
  auto [pooled, indices] = F::max_pool2d_with_indices(image(), 2);
  expect_values(indices, {7, 8, 5, 13, 15, 17, 1, 3, 4, 12, 21, 17, 7, 8, 5, 13, 15, 17, 1, 3, 4, 12, 21, 17}, 0);
  // F.max_unpool2d(o, i, 2)[0, 1]
  const Tensor u = F::max_unpool2d(pooled, indices, 2);
  EXPECT_EQ(u.sizes(), (Dims{2, 2, 4, 6}));
  expect_values(u.select(0, 0).select(0, 1), {0, 1.75, 0, 5.25, 7, 0, 0, 0, 0, 0, 0, 0,
                                              6, 0, 0, 0, 0, -0.25, 0, 0, 0, 6.75, 0, 0}, 0);
  // F.max_unpool2d(o, i, 2, output_size=(5, 6))[1, 0]
  nn::MaxUnpool2d layer(2);
  const Tensor u2 = layer.forward(pooled, indices, Dims{5, 6});
  EXPECT_EQ(u2.sizes(), (Dims{2, 2, 5, 6}));
  expect_values(u2.select(0, 1).select(0, 0), {0, 0, 0, 0, 0, 1.25, 0, 4.75, 6.5, 0, 0, 0, 0, 0.25, 0, 3.75, 0, 7.25,
                                               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
  EXPECT_TRUE(equal(F::max_unpool2d(pooled, indices, 2, {}, 0, Dims{2, 2, 5, 6}), u2));  // {N, C, OH, OW} too
  // the unpooled image holds the pooled values at the indices
  EXPECT_TRUE(equal(u2.flatten(2).gather(2, indices.flatten(2)).reshape(pooled.sizes()), pooled));
}

TEST(MaxUnpool2d, UnbatchedEmptyAndLayouts) {
  auto [pooled, indices] = F::max_pool2d_with_indices(image(), 2);
  const Tensor expected = F::max_unpool2d(pooled, indices, 2);
  EXPECT_TRUE(equal(F::max_unpool2d(pooled.select(0, 1), indices.select(0, 1), 2), expected.select(0, 1)));
  EXPECT_EQ(F::max_unpool2d(zeros({0, 2, 2, 3}), zeros({0, 2, 2, 3}, dtype(kInt64)), 2).sizes(), (Dims{0, 2, 4, 6}));
  // channels-last in, channels-last out (as PyTorch), same values
  const Tensor cl = F::max_unpool2d(pooled.contiguous(MemoryFormat::ChannelsLast),
                                    indices.contiguous(MemoryFormat::ChannelsLast), 2);
  EXPECT_TRUE(cl.is_contiguous(MemoryFormat::ChannelsLast));
  EXPECT_TRUE(equal(cl, expected));
  const Tensor transposed = pooled.transpose(2, 3).contiguous().transpose(2, 3);
  EXPECT_FALSE(transposed.is_contiguous());
  EXPECT_TRUE(equal(F::max_unpool2d(transposed, indices, 2), expected));
  // overlapping windows (stride below the kernel) and padding: the sizes PyTorch computes
  auto [p3, i3] = F::max_pool2d_with_indices(image(), 3, 2, 1);
  const Tensor u3 = F::max_unpool2d(p3, i3, 3, 2, 1, Dims{5, 6});
  EXPECT_EQ(u3.sizes(), (Dims{2, 2, 5, 6}));
  EXPECT_TRUE(equal(u3.flatten(2).gather(2, i3.flatten(2)).reshape(p3.sizes()), p3));
}

TEST(MaxUnpool2d, Gradcheck) {
  const Tensor source = image() + rand({2, 2, 5, 6}, dtype(kFloat64)) * 0.01;  // no ties
  auto [pooled, indices] = F::max_pool2d_with_indices(source, 2);
  const Tensor x = testing::grad_input(pooled.sizes());
  expect_gradcheck([&](const std::vector<Tensor>& in) { return F::max_unpool2d(in[0], indices, 2, {}, 0, Dims{5, 6}); },
                   {x});
  // the gradient is the incoming one gathered at the indices
  const Tensor g = randn({2, 2, 4, 6}, dtype(kFloat64));
  F::max_unpool2d(x, indices, 2).backward(g);
  EXPECT_TRUE(equal(x.grad(), g.flatten(2).gather(2, indices.flatten(2)).reshape(x.sizes())));
}

TEST(MaxUnpool2d, ReprAndErrors) {
  EXPECT_EQ(nn::MaxUnpool2d(2).repr(), "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))");
  EXPECT_EQ(nn::MaxUnpool2d(3, 2, 1).repr(), "MaxUnpool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");
  EXPECT_EQ(nn::MaxUnpool2d(nn::Pair{2, 3}).repr(), "MaxUnpool2d(kernel_size=(2, 3), stride=(2, 3), padding=(0, 0))");
  auto [pooled, indices] = F::max_pool2d_with_indices(image(), 2);
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, indices, 2, {}, 0, Dims{7, 6}),
                     "invalid output_size \"[7, 6]\" (dim 0 must be between 2 and 6)");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, indices, 2, {}, 0, Dims{3, 6}),
                     "Found an invalid max index: 21 (output volumes are of size 3x6");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, indices, 3, 2, 1),
                     "Found an invalid max index: 17 (output volumes are of size 3x5");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, indices, 2, {}, 0, Dims{1, 2, 3}),
                     "output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, indices + 30, 2), "Found an invalid max index: 47 (output volumes are of size 4x6");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, -indices - 1, 2), "Found an invalid max index: -18 (output volumes are of size 4x6");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, indices.to(kFloat32), 2),
                     "elements in indices should be type int64 but got: float32");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled, indices.narrow(2, 0, 1), 2),
                     "Expected shape of indices to be same as that of the input tensor ([2, 2, 2, 3]) but got indices "
                     "tensor with shape: [2, 2, 1, 3]");
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled.flatten(), indices.flatten(), 2),
                     "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 1 dimensions.");
  EXPECT_EMBER_ERROR(nn::MaxUnpool2d(2).forward(pooled), "missing 1 required positional argument: 'indices'");
}

}  // namespace
}  // namespace ember
