// PyTorch's stacking, splitting and flipping spellings (hstack / vstack / dstack / column_stack,
// hsplit / vsplit / dsplit, fliplr / flipud, atleast_Nd), Tensor.mT, squeeze of a dim list, the
// contiguity of empty tensors and flatten's dim checks on a 0-dim tensor.
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_values;

Tensor f64(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, TensorOptions(kFloat64)); }

TEST(ShapeSpellings, Stacks) {
  const Tensor a = f64({1, 2, 3}, {3}), b = f64({4, 5, 6}, {3});
  expect_values(hstack({a, b}), {1, 2, 3, 4, 5, 6}, 0.0);
  EXPECT_EQ(vstack({a, b}).sizes(), (Dims{2, 3}));
  EXPECT_EQ(row_stack({a, b}).sizes(), (Dims{2, 3}));
  const Tensor d = dstack({a, b});
  EXPECT_EQ(d.sizes(), (Dims{1, 3, 2}));
  expect_values(d, {1, 4, 2, 5, 3, 6}, 0.0);
  const Tensor c = column_stack({a, b, f64({7, 8, 9, 10, 11, 12}, {3, 2})});
  EXPECT_EQ(c.sizes(), (Dims{3, 4}));
  expect_values(c.select(0, 1), {2, 5, 9, 10}, 0.0);
  const Tensor m = f64({1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(hstack({m, m}).sizes(), (Dims{2, 4}));
  EXPECT_EQ(atleast_1d(full({}, 1.0)).sizes(), (Dims{1}));
  EXPECT_EQ(atleast_2d(a).sizes(), (Dims{1, 3}));
  EXPECT_EQ(atleast_3d(m).sizes(), (Dims{2, 2, 1}));
  EXPECT_EQ(atleast_3d(a).sizes(), (Dims{1, 3, 1}));
  EXPECT_EMBER_ERROR(hstack({}), "hstack expects a non-empty TensorList");
  // Differentiable through cat.
  Tensor x = f64({1, 2}, {2}).requires_grad_(true);
  (vstack({x, x * 3.0}).sum()).backward();
  expect_values(x.grad(), {4, 4}, 0.0);
}

TEST(ShapeSpellings, SplitsAndFlips) {
  const Tensor m = arange(24, TensorOptions(kFloat64)).reshape({2, 4, 3});
  const std::vector<Tensor> h = hsplit(m, 2);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].sizes(), (Dims{2, 2, 3}));
  EXPECT_EQ(h[1].select(0, 0).select(0, 0).select(0, 0).item<double>(), 6.0);
  EXPECT_EQ(hsplit(m, std::vector<int64_t>{1, 3}).size(), 3u);
  EXPECT_EQ(vsplit(m, 2)[1].select(0, 0).select(0, 0).select(0, 0).item<double>(), 12.0);
  EXPECT_EQ(dsplit(m, 3)[2].sizes(), (Dims{2, 4, 1}));
  EXPECT_EQ(hsplit(arange(6), 3)[2].sizes(), (Dims{2}));  // 1-D: along dim 0
  EXPECT_EMBER_ERROR(hsplit(m, 3),
                     "torch.hsplit attempted to split along dimension 1, but the size of the dimension 4 is not "
                     "divisible by the split_size 3!");
  EXPECT_EMBER_ERROR(vsplit(arange(4), 2), "torch.vsplit requires a tensor with at least 2 dimension");
  EXPECT_EMBER_ERROR(dsplit(m.select(0, 0), 1), "torch.dsplit requires a tensor with at least 3 dimension");
  const Tensor sq = f64({1, 2, 3, 4}, {2, 2});
  expect_values(fliplr(sq), {2, 1, 4, 3}, 0.0);
  expect_values(flipud(sq), {3, 4, 1, 2}, 0.0);
  EXPECT_EMBER_ERROR(fliplr(f64({1, 2}, {2})), "Input must be >= 2-d.");
}

TEST(ShapeSpellings, MatrixTransposeAndSqueezeOfDims) {
  const Tensor batch = arange(12, TensorOptions(kFloat64)).reshape({2, 3, 2});
  const Tensor t = batch.mT();
  EXPECT_EQ(t.sizes(), (Dims{2, 2, 3}));
  EXPECT_TRUE(t.is_alias_of(batch));
  EXPECT_EQ(t.select(0, 1).select(0, 0).select(0, 2).item<double>(), 10.0);
  EXPECT_EMBER_ERROR(arange(3).mT(), "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.");
  const Tensor ones_dims = zeros({1, 3, 1, 2});
  EXPECT_EQ(ones_dims.squeeze(std::vector<int64_t>{0, 2}).sizes(), (Dims{3, 2}));
  EXPECT_EQ(ones_dims.squeeze(std::vector<int64_t>{0, 1}).sizes(), (Dims{3, 1, 2}));  // a size-3 dim stays
  EXPECT_EQ(ones_dims.squeeze(std::vector<int64_t>{-2}).sizes(), (Dims{1, 3, 2}));
  EXPECT_EQ(full({}, 2.0).squeeze(std::vector<int64_t>{0}).dim(), 0);
  EXPECT_EMBER_ERROR(ones_dims.squeeze(std::vector<int64_t>{0, 0}), "dim 0 appears multiple times in the list of dims");
  Tensor x = zeros({1, 2, 1}, kFloat64).requires_grad_(true);
  x.squeeze(std::vector<int64_t>{0, 2}).sum().backward();
  EXPECT_EQ(x.grad().sizes(), (Dims{1, 2, 1}));
}

TEST(ShapeSpellings, EmptyTensorsAreContiguousAndFlattenChecksItsDims) {
  const Tensor empty_view = zeros({3, 4}).t().narrow(0, 0, 0);  // sizes [0, 3], strides [1, 4]
  EXPECT_TRUE(empty_view.is_contiguous());
  const Tensor scalar = full({}, 3.0);
  EXPECT_EQ(scalar.flatten().sizes(), (Dims{1}));
  EXPECT_EQ(scalar.flatten(-1, 0).sizes(), (Dims{1}));
  EXPECT_EMBER_ERROR(scalar.flatten(0, 5), "Dimension out of range (expected to be in range of [-1, 0], but got 5)");
  EXPECT_EMBER_ERROR(nn::Flatten()(scalar), "Dimension out of range");
}

}  // namespace
}  // namespace ember
