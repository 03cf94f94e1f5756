// max_unpool1d/2d/3d and nn::MaxUnpool1d/2d/3d against PyTorch 1.13: values at the pooling's
// indices, default and given output sizes, unbatched, empty, channels-last and non-contiguous
// inputs, float64 gradchecks, the reprs and error phrases.
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

// PyTorch 1.13, its output pasted below as the nonzero flat positions and values:
//   x1 = ((torch.arange(48) * 5 % 17) - 8.0).div(4).reshape(2, 3, 8).double()
//   o1, i1 = F.max_pool1d(x1, 3, 2, 1, return_indices=True); u1 = F.max_unpool1d(o1, i1, 3, 2, 1, output_size=[8])
//   x3 = ((torch.arange(192) * 7 % 61) - 30.0).div(4).reshape(1, 2, 4, 4, 6).double()
//   o3, i3 = F.max_pool3d(x3, 2, return_indices=True); u3 = F.max_unpool3d(o3, i3, 2, output_size=(5, 5, 7))
Tensor signal() { return (remainder(arange(48, dtype(kFloat64)) * 5, 17) - 8.0).div(4).reshape({2, 3, 8}); }
Tensor volume() { return (remainder(arange(192, dtype(kFloat64)) * 7, 61) - 30.0).div(4).reshape({1, 2, 4, 4, 6}); }

// A flat vector of n zeros but for `values` at `positions`.
std::vector<double> scattered(size_t n, const std::vector<int64_t>& positions, const std::vector<double>& values) {
  std::vector<double> out(n, 0.0);
  for (size_t i = 0; i < positions.size(); ++i) out[positions[i]] = values[i];
  return out;
}

TEST(MaxUnpool1d3d, ValuesAsPyTorch) {
  auto [o1, i1] = F::max_pool1d_with_indices(signal(), 3, 2, 1);
  expect_values(i1, {1, 3, 3, 6, 1, 2, 5, 5, 0, 3, 4, 7, 1, 3, 3, 6, 1, 1, 5, 5, 0, 3, 4, 7}, 0);
  const Tensor u1 = nn::MaxUnpool1d(3, 2, 1).forward(o1, i1, Dims{8});
  EXPECT_EQ(u1.sizes(), (Dims{2, 3, 8}));
  expect_values(u1, scattered(48, {1, 3, 6, 9, 10, 13, 16, 19, 20, 23, 25, 27, 30, 33, 37, 40, 43, 44, 47},
                              {-0.75, 1.75, 1.25, 0.75, 2.0, 1.5, 1.0, 0.5, 1.75, 1.25, -0.5, 2.0, 1.5, 1.0, 1.75,
                               1.25, 0.75, 2.0, 1.5}),
                0);
  // the default size: (L - 1) * stride + kernel - 2 * padding
  auto [o2, i2] = F::max_pool1d_with_indices(signal(), 2);
  EXPECT_EQ(F::max_unpool1d(o2, i2, 2).sizes(), (Dims{2, 3, 8}));
  EXPECT_TRUE(equal(F::max_unpool1d(o2, i2, 2).gather(2, i2), o2));
  EXPECT_TRUE(equal(F::max_unpool1d(o1, i1, 3, 2, 1, Dims{2, 3, 8}), u1));
  EXPECT_TRUE(equal(F::max_unpool1d(o1[1], i1[1], 3, 2, 1, Dims{8}), u1[1]));  // unbatched

  auto [o3, i3] = F::max_pool3d_with_indices(volume(), 2);
  expect_values(i3, {25, 26, 34, 43, 15, 17, 78, 51, 52, 60, 87, 95, 25, 8, 34, 43, 15, 17, 78, 51, 52, 60, 69, 95}, 0);
  const Tensor u3 = nn::MaxUnpool3d(2).forward(o3, i3, Dims{5, 5, 7});
  EXPECT_EQ(u3.sizes(), (Dims{1, 2, 5, 5, 7}));
  expect_values(u3, scattered(350, {15, 17, 25, 26, 34, 43, 51, 52, 60, 78, 87, 95, 183, 190, 192, 200, 209, 218, 226,
                                    227, 235, 244, 253, 270},
                              {3.5, 7.0, 5.75, 7.5, 6.25, 6.75, 5.5, 7.25, 6.0, 7.0, 7.5, 6.25, 6.75, 3.75, 7.25, 6.0,
                               6.5, 7.0, 5.75, 7.5, 6.25, 6.75, 7.25, 6.5}),
                0);
  // the default size is the pooled volume's, and the unpooled volume holds the pooled values there
  const Tensor back = F::max_unpool3d(o3, i3, 2);
  EXPECT_EQ(back.sizes(), (Dims{1, 2, 4, 4, 6}));
  EXPECT_TRUE(equal(back.flatten(2).gather(2, i3.flatten(2)).reshape(o3.sizes()), o3));
  EXPECT_TRUE(equal(F::max_unpool3d(o3[0], i3[0], 2), back[0]));  // unbatched
  EXPECT_TRUE(equal(F::max_unpool3d(o3, i3, {2, 2, 2}, {}, 0, Dims{1, 2, 5, 5, 7}), u3));
}

TEST(MaxUnpool1d3d, Gradchecks) {
  // non-overlapping windows: no index repeats, so the backward (a gather) is the Jacobian
  auto [o1, i1] = F::max_pool1d_with_indices(signal(), 2);
  expect_gradcheck([&](const std::vector<Tensor>& in) { return F::max_unpool1d(in[0], i1, 2); },
                   {testing::grad_input(o1.sizes())});
  auto [o3, i3] = F::max_pool3d_with_indices(volume(), 2);
  expect_gradcheck([&](const std::vector<Tensor>& in) { return F::max_unpool3d(in[0], i3, 2); },
                   {testing::grad_input(o3.sizes())});
}

TEST(MaxUnpool1d3d, ReprsAndErrors) {
  EXPECT_EQ(nn::MaxUnpool1d(2).repr(), "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))");
  EXPECT_EQ(nn::MaxUnpool3d(2).repr(), "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))");
  EXPECT_EQ(nn::MaxUnpool3d({2, 1, 3}, 1, nn::Triple{0, 1, 0}).repr(),
            "MaxUnpool3d(kernel_size=(2, 1, 3), stride=(1, 1, 1), padding=(0, 1, 0))");
  auto [o1, i1] = F::max_pool1d_with_indices(signal(), 2);
  EXPECT_EMBER_ERROR(F::max_unpool1d(o1, i1, 2, {}, 0, Dims{10}),
                     "invalid output_size \"[10]\" (dim 0 must be between 6 and 10)");
  EXPECT_EMBER_ERROR(F::max_unpool1d(o1, i1, 2, {}, 0, Dims{1, 2, 3, 9}),
                     "output_size should be a sequence containing 1 or 3 elements, but it has a length of '4'");
  EXPECT_EMBER_ERROR(F::max_unpool1d(o1, i1 + 100, 2), "Found an invalid max index: 107 (output volumes are of size 8");
  EXPECT_EMBER_ERROR(F::max_unpool1d(o1[0][0], i1[0][0], 2),
                     "Input to max_unpooling1d should be a 2d or 3d Tensor, but got a tensor with 1 dimensions.");
  EXPECT_EMBER_ERROR(nn::MaxUnpool1d(2).forward(o1), "MaxUnpool1d.forward() missing 1 required positional argument");
  auto [o3, i3] = F::max_pool3d_with_indices(volume(), 2);
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3, 2, {}, 0, Dims{6, 5, 7}),
                     "invalid output_size \"[6, 5, 7]\" (dim 0 must be between 2 and 6)");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3, 2, {}, 0, Dims{5, 5}),
                     "output_size should be a sequence containing 3 or 5 elements, but it has a length of '2'");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3[0][0], i3[0][0], 2),
                     "Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with 3 dimensions.");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3 + 1000, 2),
                     "Found an invalid max index: 1095 (output volumes are of size 4x4x6");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3, 2, {1, 2, 3}, 1),
                     "Found an invalid max index: 95 (output volumes are of size 1x2x6");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3.to(kFloat32), 2), "elements in indices should be type int64");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3.narrow(1, 0, 1), 2),
                     "Expected shape of indices to be same as that of the input tensor ([1, 2, 2, 2, 3]) but got "
                     "indices tensor with shape: [1, 1, 2, 2, 3]");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3.narrow(2, 0, 0), i3.narrow(2, 0, 0), 2),
                     "max_unpooling3d(): Expected input to have non-zero size for non-batch dimensions, but got "
                     "[1, 2, 0, 2, 3] with dimension 2 being empty.");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3, 2, {2, 0, 2}),
                     "max_unpool3d: strides should be greater than zero, but got stride: [2, 0, 2]");
  EXPECT_EMBER_ERROR(F::max_unpool3d(o3, i3, {2, 2}), "max_unpool3d: expected kernel_size to be a single integer or a tuple of three integers");
}

}  // namespace
}  // namespace ember
