// The "Indexing, Slicing, Joining, Mutating Ops" review: select_scatter, slice_scatter and
// diagonal_scatter (the docs' examples, gradients, PyTorch's size check), where with two
// numbers, and libtorch's one-integer spellings and method forms (x.flip(0), x.roll(1, 0),
// x.tile(2), x.norm(2, 1), x.hsplit(2), x.fliplr()).
#include <gtest/gtest.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

TEST(OpsDocs, ScatterIntoACopyAsTheDocsExamples) {
  // torch.select_scatter: a = zeros(2, 2); b = ones(2); a.select_scatter(b, 0, 0) -> [[1, 1], [0, 0]]
  const Tensor a = zeros({2, 2});
  expect_values(a.select_scatter(ones({2}), 0, 0), {1, 1, 0, 0});
  EXPECT_TRUE(equal(a, zeros({2, 2})));  // out of place
  // torch.slice_scatter: a = zeros(8, 8); b = ones(2, 8); a.slice_scatter(b, start=6) -> rows 6, 7 ones
  const Tensor rows = zeros({8, 8}).slice_scatter(ones({2, 8}), 0, 6);
  EXPECT_TRUE(equal(rows.sum(1), tensor(std::vector<float>{0, 0, 0, 0, 0, 0, 8, 8})));
  // b = ones(8, 2); a.slice_scatter(b, dim=1, start=2, end=6, step=2) -> columns 2 and 4
  const Tensor columns = zeros({8, 8}).slice_scatter(ones({8, 2}), 1, 2, 6, 2);
  EXPECT_TRUE(equal(columns.sum(0), tensor(std::vector<float>{0, 0, 8, 0, 8, 0, 0, 0})));
  // torch.diagonal_scatter: a = zeros(3, 3); a.diagonal_scatter(ones(3), 0) -> eye; offset 1 -> above
  EXPECT_TRUE(equal(zeros({3, 3}).diagonal_scatter(ones({3})), eye(3)));
  expect_values(diagonal_scatter(zeros({3, 3}), ones({2}), 1), {0, 1, 0, 0, 0, 1, 0, 0, 0});
  EXPECT_EMBER_ERROR(select_scatter(a, ones({3}), 0, 0),
                     "select_scatter: expected src to have a size equal to the slice of self. src size = [3], "
                     "slice size = [2]");
  EXPECT_EMBER_ERROR(a.slice_scatter(ones({2}), 0, 0, 1), "slice_scatter: expected src to have a size equal");
}

TEST(OpsDocs, ScatterIntoACopyDifferentiatesBoth) {
  const Tensor x = ember::testing::leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor src = ember::testing::leaf({10, 20}, {2});
  const Tensor w = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  (x.select_scatter(src, 1, 1) * w).sum().backward();
  expect_values(x.grad(), {1, 0, 3, 4, 0, 6});  // the overwritten column gets nothing
  expect_values(src.grad(), {2, 5});
  ember::testing::expect_gradcheck(
      [](const std::vector<Tensor>& in) { return diagonal_scatter(in[0], in[1], -1) * 3.0; },
      {ember::testing::leaf({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}), ember::testing::leaf({-1, 2}, {2})});
}

TEST(OpsDocs, WhereOfTwoNumbers) {
  const Tensor mask = tensor(std::vector<bool>{true, false, true}, {3});
  const Tensor floats = where(mask, 1.0, 0.0);  // the README's spelling
  EXPECT_EQ(floats.dtype(), kFloat32);
  expect_values(floats, {1, 0, 1});
  const Tensor ints = where(mask, 7, -1);
  EXPECT_EQ(ints.dtype(), kInt64);
  expect_values(ints, {7, -1, 7});
  EXPECT_EQ(where(mask, Scalar(int64_t{2}), Scalar(0.5)).dtype(), kFloat32);
  EXPECT_EQ(where(mask, Scalar(true), Scalar(false)).dtype(), kBool);
}

TEST(OpsDocs, IsinOfBoolsIsPyTorchsDispatchError) {
  const Tensor flags = tensor(std::vector<bool>{true, false}, {2});
  EXPECT_EMBER_ERROR(isin(flags, tensor(std::vector<bool>{true}, {1})),
                     "\"isin_default_cpu\" not implemented for 'Bool'");
  expect_values(isin(tensor(std::vector<int64_t>{1, 2, 3}, {3}), tensor(std::vector<int64_t>{3, 1}, {2})), {1, 0, 1});
}

TEST(OpsDocs, OneIntegerSpellingsAndMethodForms) {
  const Tensor x = arange(6, TensorOptions(kFloat64)).reshape({2, 3});
  EXPECT_TRUE(equal(x.flip(0), x.flip({0})));
  EXPECT_TRUE(equal(flip(x, 1), x.flip({1})));
  EXPECT_TRUE(equal(x.roll(1, 1), x.roll({1}, {1})));
  EXPECT_TRUE(equal(roll(x, -1, 0), x.roll({-1}, {0})));
  expect_values(x.roll(1), {5, 0, 1, 2, 3, 4});  // no dim: the flattened tensor
  EXPECT_EQ(x.tile(2).sizes(), (Dims{2, 6}));
  EXPECT_TRUE(equal(tile(x, 2), x.tile({2})));
  EXPECT_TRUE(allclose(x.norm(2, 1), x.norm(2, Dims{1})));
  EXPECT_EQ(x.norm(1, -1, true).sizes(), (Dims{2, 1}));
  EXPECT_TRUE(equal(x.fliplr(), fliplr(x)));
  EXPECT_TRUE(equal(x.flipud(), x.flip({0})));
  const std::vector<Tensor> halves = x.hsplit(std::vector<int64_t>{1});
  ASSERT_EQ(halves.size(), 2u);
  EXPECT_EQ(halves[1].sizes(), (Dims{2, 2}));
  EXPECT_EQ(x.vsplit(2).size(), 2u);
  EXPECT_EQ(x.reshape({1, 2, 3}).dsplit(3).size(), 3u);
}

}  // namespace
}  // namespace ember
