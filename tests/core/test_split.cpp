// chunk, split, split_with_sizes and unbind against PyTorch 1.13: the pieces' shapes
// and values (uneven, empty and negative dims), that they are views, PyTorch's
// errors, and gradients through the pieces (by value and gradcheck).
#include <gmock/gmock.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;

std::vector<std::vector<double>> values_of(const std::vector<Tensor>& pieces) {
  std::vector<std::vector<double>> out;
  for (const Tensor& p : pieces) out.push_back(p.to_vector<double>());
  return out;
}
using Values = std::vector<std::vector<double>>;

TEST(Split, ChunkPiecesAsPyTorch) {
  const Tensor t = arange(0, 10, 1, dtype(kFloat32));
  EXPECT_EQ(values_of(t.chunk(3)), (Values{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
  EXPECT_EQ(values_of(arange(0, 5, 1, dtype(kFloat32)).chunk(4)), (Values{{0, 1}, {2, 3}, {4}}));  // fewer pieces
  EXPECT_EQ(values_of(arange(0, 6, 1, dtype(kFloat32)).chunk(4)), (Values{{0, 1}, {2, 3}, {4, 5}}));
  EXPECT_EQ(empty({0}).chunk(3).size(), 3u);  // an empty dim: `chunks` empty pieces
  const auto cols = zeros({2, 5}).chunk(2, 1);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[0].sizes(), (Dims{2, 3}));
  EXPECT_EQ(cols[1].sizes(), (Dims{2, 2}));
  EXPECT_EQ(zeros({2, 5}).chunk(2, -1)[1].sizes(), (Dims{2, 2}));
  EXPECT_TRUE(t.chunk(3)[1].is_alias_of(t));  // views
}

TEST(Split, SplitAndSplitWithSizesAsPyTorch) {
  const Tensor t = arange(0, 10, 1, dtype(kFloat32));
  EXPECT_EQ(values_of(t.split(4)), (Values{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
  EXPECT_EQ(values_of(t.split(10)), (Values{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}));
  const auto cols = zeros({2, 5}).split(2, 1);
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[2].sizes(), (Dims{2, 1}));
  EXPECT_EQ(empty({0}).split(0).size(), 1u);
  EXPECT_EQ(values_of(t.split_with_sizes({3, 7})), (Values{{0, 1, 2}, {3, 4, 5, 6, 7, 8, 9}}));
  EXPECT_EQ(values_of(t.view({2, 5}).split_with_sizes({1, 0, 4}, 1)), (Values{{0, 5}, {}, {1, 2, 3, 4, 6, 7, 8, 9}}));
  // the pieces are views: writing one writes the input
  Tensor base = zeros({6});
  base.split(2)[1].fill_(1.0);
  expect_values(base, {0, 0, 1, 1, 0, 0});
}

TEST(Split, UnbindAsPyTorch) {
  const Tensor a = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(values_of(a.unbind(1)), (Values{{1, 4}, {2, 5}, {3, 6}}));
  EXPECT_EQ(values_of(a.unbind()), (Values{{1, 2, 3}, {4, 5, 6}}));
  EXPECT_EQ(a.unbind(-1)[0].sizes(), (Dims{2}));
  EXPECT_TRUE(a.unbind(0)[1].is_alias_of(a));
}

TEST(Split, ErrorsAsPyTorch) {
  const Tensor t = arange(0, 10, 1, dtype(kFloat32)), s = scalar_tensor(1.0);
  EXPECT_EMBER_ERROR(t.chunk(0), "chunk expects `chunks` to be greater than 0, got: 0");
  EXPECT_EMBER_ERROR(s.chunk(2), "chunk expects at least a 1-dimensional tensor");
  EXPECT_EMBER_ERROR(t.chunk(2, 3), "Dimension out of range (expected to be in range of [-1, 0], but got 3)");
  EXPECT_EMBER_ERROR(t.split(-1), "split expects split_size be non-negative, but got split_size=-1");
  EXPECT_EMBER_ERROR(t.split(0), "split_size can only be 0 if dimension size is 0, but got dimension size of 10");
  EXPECT_EMBER_ERROR(t.split_with_sizes({3, 3}),
                     "split_with_sizes expects split_sizes to sum exactly to 10 (input tensor's size at dimension 0), "
                     "but got split_sizes=[3, 3]");
  EXPECT_EMBER_ERROR(s.split(1), "split expects at least a 1-dimensional tensor");
  EXPECT_EMBER_ERROR(s.unbind(0), "Dimension specified as 0 but tensor has no dimensions");
  EXPECT_EMBER_ERROR(zeros({2, 3}).unbind(2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
}

TEST(Split, GradientsFlowBackThroughThePieces) {
  const Tensor c = arange(0, 10, 1, TensorOptions(kFloat64).requires_grad(true));
  const auto ps = c.chunk(3);
  (ps[0].square().sum() + 2 * ps[1].square().sum() + 3 * ps[2].square().sum()).backward();
  expect_values(c.grad(), {0, 2, 4, 6, 16, 20, 24, 28, 48, 54});
  const Tensor d = arange(0, 10, 1, TensorOptions(kFloat64).requires_grad(true));
  const auto halves = d.view({2, 5}).split_with_sizes({2, 3}, 1);
  (halves[0].sum() * 2 + halves[1].pow(2).sum()).backward();
  expect_values(d.grad(), {2, 2, 4, 6, 8, 2, 2, 14, 16, 18});
  const Tensor e = arange(0, 10, 1, TensorOptions(kFloat64).requires_grad(true));
  const auto us = e.view({2, 5}).unbind(1);
  (us[0] * us[4]).sum().backward();
  expect_values(e.grad(), {4, 0, 0, 0, 0, 9, 0, 0, 0, 5});
  const Tensor x = grad_input({4, 5});
  expect_gradcheck([](const std::vector<Tensor>& in) { auto p = in[0].chunk(2, 1); return p[0] * p[1].sum(1, true); },
                   {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { auto p = in[0].split(3); return p[1].exp() + p[0][0]; }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { auto p = in[0].unbind(1); return p[0] * p[3] - p[4]; }, {x});
}

// Note [One node for the pieces]: every piece's history is one node, whose backward is one
// cat / stack (a loop over the pieces no longer scatters each gradient into the whole input);
// second derivatives pass through it, and an in-place op on a piece still rebases the input.
TEST(Split, ThePiecesShareOneNode) {
  const Tensor x = grad_input({6, 4});
  const auto rows = x.unbind(0);
  for (const Tensor& row : rows) EXPECT_EQ(row.grad_fn(), rows[0].grad_fn());
  EXPECT_EQ(rows[0].grad_fn()->name(), "UnbindBackward");
  const auto parts = x.split(4, 0);
  EXPECT_EQ(parts[1].grad_fn(), parts[0].grad_fn());
  EXPECT_EQ(parts[0].grad_fn()->name(), "SplitBackward");
  EXPECT_EQ(parts[0].data_ptr(), x.data_ptr());  // still views
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        auto p = in[0].unbind(0);
        return p[1] * p[1] * p[4];
      },
      {x});
  EXPECT_TRUE(autograd::gradgradcheck(
      [](const std::vector<Tensor>& in) {
        auto p = in[0].split(2, 1);
        return p[0] * p[1];
      },
      {x}));
  // In place on a piece of a non-leaf: the input's history takes the write.
  const Tensor leaf = arange(0, 6, 1, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = leaf * 1.0;
  auto pieces = y.chunk(3);
  pieces[1].mul_(10.0);
  (y * y).sum().backward();
  expect_values(leaf.grad(), {0, 2, 400, 600, 8, 10});
}

}  // namespace
}  // namespace ember
