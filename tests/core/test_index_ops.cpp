// index_add / index_copy / index_fill, masked_select / masked_scatter, take_along_dim,
// scatter_reduce (and scatter with reduce) and repeat_interleave against PyTorch 1.13's
// values and error phrases: negative dims, repeated and empty indices, non-contiguous
// inputs, in-place forms (version counter, leaf rule, views) and float64 gradchecks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/gather_layout.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using ember::testing::leaf;

Tensor longs(const std::vector<int64_t>& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }
Tensor floats(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)).to(kFloat32); }
Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }
Tensor arange12() { return arange(0, 12, 1, dtype(kFloat32)).view({3, 4}); }

// ---- index_add / index_copy / index_fill ----

// PyTorch 1.13, x = torch.arange(12.).view(3, 4):
//   x.index_add(0, torch.tensor([2, 2]), torch.arange(8.).view(2, 4) + 1, alpha=2)
//     -> [0,1,2,3, 4,5,6,7, 20,25,30,35]
//   x.index_add(-1, torch.tensor([3, 0, 3]), torch.arange(9.).view(3, 3) * 10)
//     -> [10,1,2,23, 44,5,6,87, 78,9,10,151]
//   torch.arange(12.).view(4, 3).t().index_add(1, torch.tensor([1, 1, 0]), torch.arange(9.).view(3, 3) * 10)
//     -> [20,13,6,9, 51,74,7,10, 82,135,8,11]
TEST(IndexAdd, MatchesPyTorchWithRepeatedIndicesNegativeDimsAndStrides) {
  const Tensor x = arange12();
  const Tensor src = arange(0, 8, 1, dtype(kFloat32)).view({2, 4}) + 1.0;
  expect_values(x.index_add(0, longs({2, 2}, {2}), src, 2), {0, 1, 2, 3, 4, 5, 6, 7, 20, 25, 30, 35}, 0.0);
  const Tensor s2 = arange(0, 9, 1, dtype(kFloat32)).view({3, 3}) * 10.0;
  expect_values(index_add(x, -1, longs({3, 0, 3}, {3}), s2), {10, 1, 2, 23, 44, 5, 6, 87, 78, 9, 10, 151}, 0.0);
  const Tensor xt = arange(0, 12, 1, dtype(kFloat32)).view({4, 3}).t();
  ASSERT_FALSE(xt.is_contiguous());
  const Tensor got = xt.index_add(1, longs({1, 1, 0}, {3}), s2.t().contiguous().t());  // source strided too
  EXPECT_EQ(got.sizes(), (Dims{3, 4}));
  expect_values(got, {20, 13, 6, 9, 51, 74, 7, 10, 82, 135, 8, 11}, 0.0);
  expect_values(x, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.0);  // out of place leaves x alone
  // empty index, empty source slices: a copy
  EXPECT_TRUE(equal(x.index_add(0, longs({}, {0}), zeros({0, 4})), x));
  // float64 and bfloat16 too
  expect_values(doubles({1, 2}, {2}).index_add(0, longs({1, 1}, {2}), doubles({0.5, 0.25}, {2})), {1, 2.75}, 0.0);
  expect_values(floats({1, 2}, {2}).to(kBFloat16).index_add(0, longs({0}, {1}), floats({3}, {1}).to(kBFloat16)),
                {4, 2}, 0.0);
}

// PyTorch 1.13's messages (the int32 index it also takes is an error here).
TEST(IndexAdd, ErrorsAsPyTorch) {
  const Tensor x = zeros({3, 4});
  EXPECT_EMBER_ERROR(x.index_add(0, longs({5}, {1}), ones({1, 4})), "index out of range in self");
  EXPECT_EMBER_ERROR(x.index_add(0, longs({-1}, {1}), ones({1, 4})), "index out of range in self");
  EXPECT_EMBER_ERROR(x.index_add(0, longs({1}, {1}), ones({2, 4})),
                     "index_add_(): Number of indices (1) should be equal to source.size(dim): (2), for dim: 0");
  EXPECT_EMBER_ERROR(x.index_add(0, longs({1}, {1}), ones({1, 3})), "must have same slice shapes");
  EXPECT_EMBER_ERROR(x.index_add(0, longs({1}, {1}), ones({1, 4}, dtype(kFloat64))),
                     "index_add_(): self (Float) and source (Double) must have the same scalar type");
  EXPECT_EMBER_ERROR(x.index_add(0, ones({1}), ones({1, 4})), "index_add_(): Expected dtype int64 for index but got: Float");
  EXPECT_EMBER_ERROR(x.index_add(0, longs({1}, {1, 1}), ones({1, 4})), "index_add_(): Index is supposed to be a vector");
  EXPECT_EMBER_ERROR(x.index_add(2, longs({1}, {1}), ones({1, 4})), "Dimension out of range");
  EXPECT_EMBER_ERROR(zeros({3}, dtype(kInt64)).index_add(0, longs({1}, {1}), ones({1}, dtype(kInt64))),
                     "\"index_add\" not implemented for 'Long'");
}

// PyTorch 1.13:
//   x.index_copy(1, torch.tensor([3, 0]), torch.tensor([[100., 101], [102, 103], [104, 105]]))
//     -> [101,1,2,100, 103,5,6,102, 105,9,10,104]
//   x.index_fill(1, torch.tensor([1, -1, 1]), -5.) -> [0,-5,2,-5, 4,-5,6,-5, 8,-5,10,-5]
//   x.index_fill(0, torch.tensor([0]), torch.tensor(7.)) -> [7,7,7,7, 4,...,11]
TEST(IndexCopyFill, MatchPyTorch) {
  const Tensor x = arange12();
  const Tensor src = floats({100, 101, 102, 103, 104, 105}, {3, 2});
  expect_values(x.index_copy(1, longs({3, 0}, {2}), src), {101, 1, 2, 100, 103, 5, 6, 102, 105, 9, 10, 104}, 0.0);
  expect_values(index_copy(x, -1, longs({3, 0}, {2}), src), {101, 1, 2, 100, 103, 5, 6, 102, 105, 9, 10, 104}, 0.0);
  expect_values(x.index_fill(1, longs({1, -1, 1}, {3}), -5.0), {0, -5, 2, -5, 4, -5, 6, -5, 8, -5, 10, -5}, 0.0);
  expect_values(index_fill(x, 0, longs({0}, {1}), scalar_tensor(7.0, dtype(kFloat64))),
                {7, 7, 7, 7, 4, 5, 6, 7, 8, 9, 10, 11}, 0.0);
  // non-contiguous self: the result has self's values, indexed in its logical order
  const Tensor xt = x.t();  // [4, 3]
  expect_values(xt.index_fill(0, longs({2}, {1}), 1.0), {0, 4, 8, 1, 5, 9, 1, 1, 1, 3, 7, 11}, 0.0);
  expect_values(xt.index_copy(1, longs({0}, {1}), floats({-1, -2, -3, -4}, {4, 1})),
                {-1, 4, 8, -2, 5, 9, -3, 6, 10, -4, 7, 11}, 0.0);
  // empty index: unchanged; integer and bool dtypes
  EXPECT_TRUE(equal(x.index_fill(0, longs({}, {0}), 3.0), x));
  EXPECT_TRUE(equal(x.index_copy(0, longs({}, {0}), zeros({0, 4})), x));
  expect_values(longs({1, 2, 3}, {3}).index_fill(0, longs({1}, {1}), 9), {1, 9, 3}, 0.0);
  expect_values(zeros({3}, dtype(kBool)).index_fill(0, longs({2}, {1}), true), {0, 0, 1}, 0.0);
  expect_values(longs({1, 2, 3}, {3}).index_copy(0, longs({2, 0}, {2}), longs({7, 8}, {2})), {8, 2, 7}, 0.0);
}

TEST(IndexCopyFill, ErrorsAsPyTorch) {
  const Tensor x = zeros({3, 4});
  EXPECT_EMBER_ERROR(x.index_copy(0, longs({5}, {1}), ones({1, 4})), "index 5 is out of bounds for dimension 0 with size 3");
  EXPECT_EMBER_ERROR(x.index_copy(0, longs({-1}, {1}), ones({1, 4})), "index -1 is out of bounds for dimension 0 with size 3");
  EXPECT_EMBER_ERROR(x.index_copy(0, longs({1}, {1}), ones({2, 4})),
                     "index_copy_(): Number of indices (1) should be equal to source.size(dim)");
  EXPECT_EMBER_ERROR(x.index_copy(0, longs({1}, {1}), ones({1, 3})),
                     "index_copy_(): Source/destination tensor must have same slice shapes");
  EXPECT_EMBER_ERROR(x.index_copy(0, longs({1}, {1}), ones({1, 4}, dtype(kFloat64))),
                     "index_copy_(): self and source expected to have the same dtype, but got (self) Float and (source) Double");
  EXPECT_EMBER_ERROR(x.index_copy(0, ones({1}), ones({1, 4})), "Expected dtype int64 for index");
  EXPECT_EMBER_ERROR(x.index_fill(1, longs({4}, {1}), 1.0), "index 4 is out of bounds for dimension 1 with size 4");
  EXPECT_EMBER_ERROR(x.index_fill(0, longs({-4}, {1}), 1.0), "index -4 is out of bounds for dimension 0 with size 3");
  EXPECT_EMBER_ERROR(x.index_fill(0, ones({1}), 1.0), "index_fill_(): Expected dtype int64 for index");
  EXPECT_EMBER_ERROR(x.index_fill(0, longs({1}, {1}), ones({2})),
                     "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).");
}

// PyTorch's gradients, by value (PyTorch 1.13, float64, weights w = arange(12).view(3, 4)):
//   (a.index_copy(0, [1, 1, 2], s) * w).sum(): a.grad = [0,1,2,3, 0,0,0,0, 0,0,0,0],
//   s.grad = [4,5,6,7, 4,5,6,7, 8,9,10,11] (each repeated copy gets the slice's gradient)
//   x.index_fill(0, [0, 0], v).sum(): v.grad = 1 (a slice filled twice counts once)
TEST(IndexAddCopyFill, GradientsByValueAndGradcheck) {
  const Tensor w = arange(0, 12, 1, dtype(kFloat64)).view({3, 4});
  Tensor a = leaf(std::vector<double>(12, 1.0), {3, 4});
  Tensor s = leaf(std::vector<double>(12, 1.0), {3, 4});
  (a.index_copy(0, longs({1, 1, 2}, {3}), s) * w).sum().backward();
  expect_values(a.grad(), {0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0}, 0.0);
  expect_values(s.grad(), {4, 5, 6, 7, 4, 5, 6, 7, 8, 9, 10, 11}, 0.0);
  Tensor v = leaf({2.0}, {});
  Tensor b = leaf({0, 0, 0}, {3});
  b.index_fill(0, longs({0, 0}, {2}), v).sum().backward();
  expect_values(v.grad(), {1}, 0.0);
  expect_values(b.grad(), {0, 1, 1}, 0.0);
  // index_add: self's gradient is g, source's index_select(g) * alpha
  Tensor c = leaf(std::vector<double>(3, 0.0), {3});
  Tensor src = leaf({1, 2, 3}, {3});
  Tensor y = c.index_add(0, longs({2, 0, 2}, {3}), src, 3);
  EXPECT_EQ(y.grad_fn()->name(), "IndexAddBackward");
  (y * doubles({1, 10, 100}, {3})).sum().backward();
  expect_values(c.grad(), {1, 10, 100}, 0.0);
  expect_values(src.grad(), {300, 3, 300}, 0.0);

  const Tensor idx = longs({2, 0, 2}, {3});
  for (int64_t dim : {0, 1, -1}) {
    const Tensor d_idx = dim == 0 ? longs({2, 0, 2}, {3}) : longs({1, 3, 1}, {3});
    const Dims src_shape = dim == 0 ? Dims{3, 4} : Dims{3, 3};
    expect_gradcheck([dim, d_idx](const std::vector<Tensor>& in) { return in[0].index_add(dim, d_idx, in[1], 0.5); },
                     {grad_input({3, 4}), grad_input(src_shape)});
    // index_copy without repeats: of repeated indices only the last copy counts, while
    // PyTorch's (and ember's) gradient gives every copy its slice's gradient
    const Tensor unique_idx = dim == 0 ? longs({2, 0, 1}, {3}) : longs({1, 3, 0}, {3});
    expect_gradcheck([dim, unique_idx](const std::vector<Tensor>& in) { return in[0].index_copy(dim, unique_idx, in[1]); },
                     {grad_input({3, 4}), grad_input(src_shape)});
    expect_gradcheck([dim, d_idx](const std::vector<Tensor>& in) { return in[0].index_fill(dim, d_idx, in[1]); },
                     {grad_input({3, 4}), grad_input({})});
  }
  // double backward through index_add
  EXPECT_TRUE(autograd::gradgradcheck(
      [idx](const std::vector<Tensor>& in) { return in[0].index_add(0, idx, in[1] * in[1]); },
      {grad_input({3, 2}), grad_input({3, 2})}));
}

// x.index_add_(...) and friends: the version bumps, a leaf that requires grad is refused,
// a view writes through to its base and the base's gradient flows through the view.
TEST(IndexAddCopyFill, InPlaceForms) {
  Tensor x = arange12();
  const uint32_t v0 = x.version();
  x.index_add_(0, longs({2, 2}, {2}), arange(0, 8, 1, dtype(kFloat32)).view({2, 4}) + 1.0, 2);
  EXPECT_GT(x.version(), v0);
  expect_values(x, {0, 1, 2, 3, 4, 5, 6, 7, 20, 25, 30, 35}, 0.0);
  x.index_copy_(1, longs({0}, {1}), floats({-1, -2, -3}, {3, 1}));
  x.index_fill_(0, longs({1}, {1}), 0.5);
  x.index_fill_(0, longs({2}, {1}), scalar_tensor(9.0));
  expect_values(x, {-1, 1, 2, 3, 0.5, 0.5, 0.5, 0.5, 9, 9, 9, 9}, 0.0);

  Tensor p = leaf({1, 2, 3}, {3});
  EXPECT_EMBER_ERROR(p.index_add_(0, longs({0}, {1}), doubles({1}, {1})), "a leaf Variable that requires grad");
  EXPECT_EMBER_ERROR(p.index_fill_(0, longs({0}, {1}), 1.0), "a leaf Variable that requires grad");

  // on a view of a non-leaf: the base sees the write, and the gradient reaches the leaf
  Tensor q = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor src = leaf({10, 20}, {2, 1});
  Tensor base = q * 1.0;
  Tensor col = base.narrow(1, 1, 1);  // [2, 1], strided
  col.index_copy_(0, longs({1, 0}, {2}), src);
  expect_values(base, {1, 20, 3, 4, 10, 6}, 0.0);
  (base * doubles({1, 2, 3, 4, 5, 6}, {2, 3})).sum().backward();
  expect_values(q.grad(), {1, 0, 3, 4, 0, 6}, 0.0);
  expect_values(src.grad(), {5, 2}, 0.0);
  // the error leaves self untouched
  Tensor y = zeros({3});
  EXPECT_EMBER_ERROR(y.index_add_(0, longs({7}, {1}), ones({1})), "index out of range in self");
  expect_values(y, {0, 0, 0}, 0.0);
}

// ---- masked_select / masked_scatter ----

// PyTorch 1.13, x = torch.arange(12.).view(3, 4), m = [[T,F,T,F],[F,F,T,T],[T,T,F,F]]:
//   x.masked_select(m) -> [0,2,6,7,8,9]
//   x.masked_select(torch.tensor([True, False, False, True])) -> [0,3,4,7,8,11]
//   torch.tensor([1., 2.]).masked_select(torch.tensor([[True, False], [True, True]])) -> [1,1,2]
//   x.masked_scatter(m, torch.arange(10.) * -1) -> [-0,1,-1,3, 4,5,-2,-3, -4,-5,10,11]
//   torch.zeros(2, 3).masked_scatter(torch.tensor([True, False, True]), torch.arange(6.) + 1) -> [1,0,2, 3,0,4]
Tensor the_mask() {
  return tensor(std::vector<double>{1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0}, {3, 4}, dtype(kFloat64)).to(kBool);
}

TEST(MaskedSelect, MatchesPyTorchWithBroadcasting) {
  const Tensor x = arange12();
  const Tensor m = the_mask();
  const Tensor got = x.masked_select(m);
  EXPECT_EQ(got.sizes(), (Dims{6}));
  expect_values(got, {0, 2, 6, 7, 8, 9}, 0.0);
  expect_values(masked_select(x, floats({1, 0, 0, 1}, {4}).to(kBool)), {0, 3, 4, 7, 8, 11}, 0.0);
  const Tensor bc = floats({1, 2}, {2}).masked_select(floats({1, 0, 1, 1}, {2, 2}).to(kBool));
  EXPECT_EQ(bc.sizes(), (Dims{3}));
  expect_values(bc, {1, 1, 2}, 0.0);
  // non-contiguous input and mask, all false, empty, other dtypes
  expect_values(x.t().masked_select(m.t()), {0, 8, 9, 2, 6, 7}, 0.0);
  EXPECT_EQ(x.masked_select(zeros({3, 4}, dtype(kBool))).sizes(), (Dims{0}));
  EXPECT_EQ(zeros({0, 4}).masked_select(ones({4}, dtype(kBool))).sizes(), (Dims{0}));
  expect_values(longs({5, 6, 7}, {3}).masked_select(floats({0, 1, 1}, {3}).to(kBool)), {6, 7}, 0.0);
  EXPECT_EMBER_ERROR(x.masked_select(ones({3, 4})), "masked_select: expected BoolTensor for mask");
  EXPECT_EMBER_ERROR(x.masked_select(ones({3, 5}, dtype(kBool))), "must match the size");
}

TEST(MaskedScatter, MatchesPyTorch) {
  const Tensor x = arange12();
  const Tensor m = the_mask();
  const Tensor source = arange(0, 10, 1, dtype(kFloat32)) * -1.0;
  expect_values(x.masked_scatter(m, source), {0, 1, -1, 3, 4, 5, -2, -3, -4, -5, 10, 11}, 0.0);
  // broadcast mask; source of another shape, read in row-major order
  expect_values(masked_scatter(zeros({2, 3}), floats({1, 0, 1}, {3}).to(kBool), (arange(0, 6, 1, dtype(kFloat32)) + 1.0).view({2, 3})),
                {1, 0, 2, 3, 0, 4}, 0.0);
  // non-contiguous self and source
  const Tensor src_t = (arange(0, 12, 1, dtype(kFloat32)) + 100.0).view({3, 4}).t();  // [4,3]: 100,104,108,101,...
  expect_values(x.t().masked_scatter(m.t(), src_t), {100, 4, 104, 1, 5, 108, 101, 105, 10, 3, 109, 11}, 0.0);
  // in place, with the version bump
  Tensor y = zeros({2, 3});
  const uint32_t v0 = y.version();
  y.masked_scatter_(floats({0, 1, 0}, {3}).to(kBool), floats({7, 8}, {2}));
  EXPECT_GT(y.version(), v0);
  expect_values(y, {0, 7, 0, 0, 8, 0}, 0.0);

  EXPECT_EMBER_ERROR(x.masked_scatter(m, ones({5})),
                     "masked_scatter: expected source to have at least as many elements as ones in mask");
  EXPECT_EMBER_ERROR(x.masked_scatter(m, ones({12}, dtype(kFloat64))),
                     "masked_scatter: expected self and source to have same dtypes but got Float and Double");
  EXPECT_EMBER_ERROR(x.masked_scatter(ones({3, 4}), ones({12})), "expected BoolTensor for mask");
  EXPECT_EMBER_ERROR(y.masked_scatter_(ones({2, 2, 3}, dtype(kBool)), ones({12})), "cannot be broadcast to self");
}

// Gradients: masked_select's goes back to the selected positions (summed over broadcast
// copies); masked_scatter's self gets g where the mask is false, source its first count
// elements' share.
TEST(MaskedSelectScatter, Gradients) {
  Tensor a = leaf({1, 2}, {2});
  (a.masked_select(floats({1, 0, 1, 1}, {2, 2}).to(kBool)) * doubles({1, 10, 100}, {3})).sum().backward();
  expect_values(a.grad(), {11, 100}, 0.0);
  Tensor b = leaf(std::vector<double>(4, 0.0), {2, 2});
  Tensor s = leaf({1, 2, 3, 4, 5}, {5});
  (b.masked_scatter(floats({0, 1, 1, 0}, {2, 2}).to(kBool), s) * doubles({1, 2, 3, 4}, {2, 2})).sum().backward();
  expect_values(b.grad(), {1, 0, 0, 4}, 0.0);
  expect_values(s.grad(), {2, 3, 0, 0, 0}, 0.0);

  const Tensor m = the_mask();
  expect_gradcheck([m](const std::vector<Tensor>& in) { return in[0].masked_select(m); }, {grad_input({3, 4})});
  expect_gradcheck([m](const std::vector<Tensor>& in) { return in[0].masked_select(m); }, {grad_input({4})});
  expect_gradcheck([m](const std::vector<Tensor>& in) { return in[0].masked_scatter(m, in[1]); },
                   {grad_input({3, 4}), grad_input({2, 4})});
  expect_gradcheck(
      [m](const std::vector<Tensor>& in) {
        Tensor y = in[0] * 1.0;
        y.masked_scatter_(m, in[1]);
        return y;
      },
      {grad_input({3, 4}), grad_input({7})});
}

// ---- take_along_dim ----

// PyTorch 1.13, x = torch.tensor([[10., 30, 20], [60, 40, 50]]):
//   torch.take_along_dim(x, torch.tensor([[0], [2]]), 1) -> [[10], [50]]
//   torch.take_along_dim(x, x.argsort(dim=1), 1) -> [10,20,30, 40,50,60]
//   torch.take_along_dim(x, torch.tensor([[2, 0]]), 1) -> [20,10, 50,60]  (indices broadcast over dim 0)
//   torch.take_along_dim(x, torch.tensor([[1], [0], [1]]), 0) -> [60,40,50, 10,30,20, 60,40,50]
//   torch.take_along_dim(x, torch.tensor([[5, 0], [1, 1]])) -> [50, 10, 30, 30]
TEST(TakeAlongDim, MatchesPyTorch) {
  const Tensor x = floats({10, 30, 20, 60, 40, 50}, {2, 3});
  const Tensor t1 = take_along_dim(x, longs({0, 2}, {2, 1}), 1);
  EXPECT_EQ(t1.sizes(), (Dims{2, 1}));
  expect_values(t1, {10, 50}, 0.0);
  expect_values(x.take_along_dim(x.argsort(1), 1), {10, 20, 30, 40, 50, 60}, 0.0);
  expect_values(x.take_along_dim(x.argsort(-1), -1), {10, 20, 30, 40, 50, 60}, 0.0);
  const Tensor bc = x.take_along_dim(longs({2, 0}, {1, 2}), 1);
  EXPECT_EQ(bc.sizes(), (Dims{2, 2}));
  expect_values(bc, {20, 10, 50, 60}, 0.0);
  const Tensor bc0 = x.take_along_dim(longs({1, 0, 1}, {3, 1}), 0);
  EXPECT_EQ(bc0.sizes(), (Dims{3, 3}));
  expect_values(bc0, {60, 40, 50, 10, 30, 20, 60, 40, 50}, 0.0);
  const Tensor flat = x.take_along_dim(longs({5, 0, 1, 1}, {2, 2}));
  EXPECT_EQ(flat.sizes(), (Dims{4}));
  expect_values(flat, {50, 10, 30, 30}, 0.0);
  // non-contiguous input: x.t() is [[10,60],[30,40],[20,50]]
  expect_values(x.t().take_along_dim(longs({1, 0, 1}, {3, 1}), 1), {60, 30, 50}, 0.0);
  EXPECT_EQ(x.take_along_dim(longs({}, {2, 0}), 1).sizes(), (Dims{2, 0}));

  EXPECT_EMBER_ERROR(x.take_along_dim(longs({5}, {1, 1}), 1), "index 5 is out of bounds for dimension 1 with size 3");
  EXPECT_EMBER_ERROR(x.take_along_dim(ones({1, 1}), 1), "torch.take_along_dim(): dtype of indices should be Long but got Float");
  EXPECT_EMBER_ERROR(x.take_along_dim(longs({1}, {1}), 1),
                     "torch.take_along_dim(): input and indices should have the same number of dimensions");
  EXPECT_EMBER_ERROR(x.take_along_dim(longs({1}, {1, 1}), 3), "Dimension out of range");
}

TEST(TakeAlongDim, Gradients) {
  Tensor a = leaf({1, 2, 3}, {1, 3});
  (a.take_along_dim(longs({2, 2, 0, 1, 1, 1}, {2, 3}), 1) * doubles({1, 2, 3, 4, 5, 6}, {2, 3})).sum().backward();
  expect_values(a.grad(), {3, 15, 3}, 0.0);
  const Tensor idx = longs({2, 0, 1, 1, 0, 0}, {2, 3});
  expect_gradcheck([idx](const std::vector<Tensor>& in) { return in[0].take_along_dim(idx, 1); }, {grad_input({2, 3})});
  expect_gradcheck([idx](const std::vector<Tensor>& in) { return in[0].take_along_dim(idx.narrow(0, 0, 1), -1); },
                   {grad_input({2, 3})});
  expect_gradcheck([idx](const std::vector<Tensor>& in) { return in[0].take_along_dim(idx); }, {grad_input({2, 3})});
}

// ---- scatter_reduce / scatter with reduce ----

// PyTorch 1.13: base = [[1., 2, 3], [4, 5, 6]], s = [[1., 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]],
// ind = [[0, 1, 0, 1, 2, 1], [2, 2, 0, 0, 1, 1]]; base.scatter_reduce(1, ind, s, r, include_self=i):
struct ReduceCase {
  const char* reduce;
  bool include_self;
  std::vector<double> expected;
};
const std::vector<ReduceCase> kReduceCases = {
    {"sum", true, {5, 14, 8, 23, 28, 21}},
    {"sum", false, {4, 12, 5, 19, 23, 15}},
    {"prod", true, {3, 96, 15, 360, 660, 336}},
    {"prod", false, {3, 48, 5, 90, 132, 56}},
    {"mean", true, {1.6666666269302368, 3.5, 4, 7.666666507720947, 9.333333015441895, 7}},
    {"mean", false, {2, 4, 5, 9.5, 11.5, 7.5}},
    {"amax", true, {3, 6, 5, 10, 12, 8}},
    {"amax", false, {3, 6, 5, 10, 12, 8}},
    {"amin", true, {1, 2, 3, 4, 5, 6}},
    {"amin", false, {1, 2, 5, 9, 11, 7}},
};

TEST(ScatterReduce, MatchesPyTorchForEveryReduction) {
  const Tensor base = floats({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor s = floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 6});
  const Tensor ind = longs({0, 1, 0, 1, 2, 1, 2, 2, 0, 0, 1, 1}, {2, 6});
  for (const ReduceCase& c : kReduceCases) {
    SCOPED_TRACE(std::string(c.reduce) + (c.include_self ? " include_self" : " exclude_self"));
    expect_values(base.scatter_reduce(1, ind, s, c.reduce, c.include_self), c.expected, 1e-6);
    expect_values(scatter_reduce(base, -1, ind, s, c.reduce, c.include_self), c.expected, 1e-6);
    // float64, and a strided self (its transpose, scattered along dim 0)
    expect_values(base.to(kFloat64).scatter_reduce(1, ind, s.to(kFloat64), c.reduce, c.include_self), c.expected, 1e-6);
    const Tensor t = base.t().contiguous().t();
    ASSERT_FALSE(t.is_contiguous());
    expect_values(t.scatter_reduce(1, ind, s, c.reduce, c.include_self), c.expected, 1e-6);
    // empty index: a copy
    EXPECT_TRUE(equal(base.scatter_reduce(1, longs({}, {2, 0}), s, c.reduce, c.include_self), base));
  }
  // integers (mean rounds down): [1,3,4, 7,9,7] and, without self, [2,4,5, 9,11,7]
  const Tensor bi = longs({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(bi.scatter_reduce(1, ind, s.to(kInt64), "mean"), {1, 3, 4, 7, 9, 7}, 0.0);
  expect_values(bi.scatter_reduce(1, ind, s.to(kInt64), "mean", false), {2, 4, 5, 9, 11, 7}, 0.0);
  expect_values(bi.scatter_reduce(1, ind, s.to(kInt64), "amax", false), {3, 6, 5, 10, 12, 8}, 0.0);
  expect_values(bi.scatter_reduce(1, ind, s.to(kInt64), "prod"), {3, 96, 15, 360, 660, 336}, 0.0);
  // bfloat16 (exact for these values)
  expect_values(base.to(kBFloat16).scatter_reduce(1, ind, s.to(kBFloat16), "amin", false), {1, 2, 5, 9, 11, 7}, 0.0);
  // NaN wins amax and amin, as PyTorch's
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> with_nan = zeros({2}).scatter_reduce(0, longs({0, 0, 1}, {3}), floats({nan, 1, 2}, {3}), "amax").to_vector<double>();
  EXPECT_TRUE(std::isnan(with_nan[0]));
  EXPECT_EQ(with_nan[1], 2.0);
  // scatter with reduce: [5,14,8, 23,28,21], [3,96,15, 360,660,336]; with value 2: [4,16,6, 16,20,24]
  expect_values(base.scatter(1, ind, s, "add"), {5, 14, 8, 23, 28, 21}, 0.0);
  expect_values(scatter(base, 1, ind, s, "multiply"), {3, 96, 15, 360, 660, 336}, 0.0);
  expect_values(base.scatter(1, ind, 2.0, "multiply"), {4, 16, 6, 16, 20, 24}, 0.0);
  Tensor y = base.clone();
  const uint32_t v0 = y.version();
  y.scatter_(1, ind, s, "add");
  EXPECT_GT(y.version(), v0);
  expect_values(y, {5, 14, 8, 23, 28, 21}, 0.0);
  y.scatter_reduce_(1, ind, s, "amin", false);
  expect_values(y, {1, 2, 5, 9, 11, 7}, 0.0);
  y.scatter_(1, ind, 0.5, "multiply");
  expect_values(y, {0.25, 0.25, 2.5, 2.25, 2.75, 1.75}, 1e-6);
}

TEST(ScatterReduce, ErrorsAsPyTorch) {
  const Tensor x = zeros({3, 4});
  const Tensor i = longs({0}, {1, 1});
  EXPECT_EMBER_ERROR(x.scatter_reduce(0, i, ones({1, 1}), "foo"),
                     "reduce argument must be either sum, prod, mean, amax or amin");
  EXPECT_EMBER_ERROR(x.scatter(0, i, ones({1, 1}), "foo"), "reduce argument must be either add or multiply");
  EXPECT_EMBER_ERROR(x.scatter_reduce(0, longs({5}, {1, 1}), ones({1, 1}), "sum"),
                     "index 5 is out of bounds for dimension 0 with size 3");
  EXPECT_EMBER_ERROR(x.scatter_reduce(0, longs({5}, {1, 1}), ones({1, 1}), "amax"),
                     "index 5 is out of bounds for dimension 0 with size 3");
  EXPECT_EMBER_ERROR(x.scatter_reduce(0, i, ones({1, 1}, dtype(kFloat64)), "amin"),
                     "scatter(): Expected self.dtype to be equal to src.dtype");
  EXPECT_EMBER_ERROR(x.scatter_reduce(0, ones({1, 1}), ones({1, 1}), "prod"), "Expected dtype int64 for index");
  EXPECT_EMBER_ERROR(zeros({2}, dtype(kUInt8)).scatter_reduce(0, longs({0}, {1}), ones({1}, dtype(kUInt8)), "amax"),
                     "\"scatter_reduce\" not implemented for 'Byte'");
  // include_self=false: the dtype's error, not the identity's overflow (-inf into uint8)
  EXPECT_EMBER_ERROR(
      zeros({2}, dtype(kUInt8)).scatter_reduce(0, longs({0}, {1}), ones({1}, dtype(kUInt8)), "amax", false),
      "\"scatter_reduce\" not implemented for 'Byte'");
  // prod's gradient is not implemented: an error at backward, never a wrong gradient
  Tensor a = leaf({1, 2}, {2});
  Tensor y = a.scatter_reduce(0, longs({0}, {1}), doubles({3}, {1}), "prod");
  EXPECT_EMBER_ERROR(y.sum().backward(), "the derivative for reduce='prod' is not implemented");
}

// PyTorch 1.13 (float64): a = [[3., 1, 2]], s = [[3., 0, 3, 2]], i = [[0, 1, 0, 2]], w = [[1., 2, 4]]:
//   (a.scatter_reduce(1, i, s, "amax") * w).sum(): a.grad [1/3, 2, 2], s.grad [1/3, 0, 1/3, 2]
//     (a tie of three at position 0 shares its gradient evenly; 2 ties 2 at position 2)
//   ... "mean": a.grad [1/3, 1, 2], s.grad [1/3, 1, 1/3, 2]
//   ... "amin", include_self=False: out [3, 0, 2]. PyTorch 1.13 still counts self's tie at
//   the excluded positions (a.grad [0,0,0], s.grad [1/3, 2, 1/3, 2]: part of the gradient
//   lost); ember shares among the values that took part: s.grad [1/2, 2, 1/2, 4].
TEST(ScatterReduce, GradientsOfSumMeanAmaxAmin) {
  const Tensor w = doubles({1, 2, 4}, {1, 3});
  const Tensor i = longs({0, 1, 0, 2}, {1, 4});
  Tensor a = leaf({3, 1, 2}, {1, 3});
  Tensor s = leaf({3, 0, 3, 2}, {1, 4});
  (a.scatter_reduce(1, i, s, "amax") * w).sum().backward();
  expect_values(a.grad(), {1.0 / 3, 2, 2}, 1e-12);
  expect_values(s.grad(), {1.0 / 3, 0, 1.0 / 3, 2}, 1e-12);
  a = leaf({3, 1, 2}, {1, 3});
  s = leaf({3, 0, 3, 2}, {1, 4});
  (a.scatter_reduce(1, i, s, "mean") * w).sum().backward();
  expect_values(a.grad(), {1.0 / 3, 1, 2}, 1e-12);
  expect_values(s.grad(), {1.0 / 3, 1, 1.0 / 3, 2}, 1e-12);
  a = leaf({3, 1, 2}, {1, 3});
  s = leaf({3, 0, 3, 2}, {1, 4});
  Tensor out = a.scatter_reduce(1, i, s, "amin", false);
  expect_values(out, {3, 0, 2}, 0.0);
  (out * w).sum().backward();
  expect_values(a.grad(), {0, 0, 0}, 0.0);
  expect_values(s.grad(), {0.5, 2, 0.5, 4}, 1e-12);

  // gradcheck: random inputs have no ties; src larger than the index; both dims
  const Tensor ind = longs({0, 1, 0, 1, 2, 1, 2, 2, 0, 0, 1, 1}, {2, 6});
  for (const char* reduce : {"sum", "mean", "amax", "amin"}) {
    for (bool include_self : {true, false}) {
      SCOPED_TRACE(std::string(reduce) + (include_self ? " include_self" : " exclude_self"));
      expect_gradcheck([&](const std::vector<Tensor>& in) { return in[0].scatter_reduce(1, ind, in[1], reduce, include_self); },
                       {grad_input({2, 3}), grad_input({2, 7})});
      expect_gradcheck(
          [&](const std::vector<Tensor>& in) {
            return in[0].scatter_reduce(0, ind.narrow(1, 0, 3).t().contiguous().narrow(0, 0, 2), in[1], reduce, include_self);
          },
          {grad_input({3, 3}), grad_input({2, 3})});
    }
  }
  expect_gradcheck([&](const std::vector<Tensor>& in) { return in[0].scatter(1, ind, in[1], "add"); },
                   {grad_input({2, 3}), grad_input({2, 6})});
  EXPECT_TRUE(autograd::gradgradcheck(
      [&](const std::vector<Tensor>& in) { return in[0].scatter_reduce(1, ind, in[1] * in[1], "mean"); },
      {grad_input({2, 3}), grad_input({2, 6})}));
  // in place through a non-leaf
  expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        Tensor y = in[0] * 1.0;
        y.scatter_reduce_(1, ind, in[1], "amax", false);
        return y;
      },
      {grad_input({2, 3}), grad_input({2, 6})});
}

// The combination CUDA's compare-and-swap loops run (core/gather_layout.h), checked here.
TEST(ScatterReduce, TheCombineFunctorCudaRuns) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(scatter_combine(ScatterReduceKind::Multiply, 3.0, -2.0), -6.0);
  EXPECT_EQ(scatter_combine(ScatterReduceKind::Max, 3.0, -2.0), 3.0);
  EXPECT_EQ(scatter_combine(ScatterReduceKind::Max, -3.0, -2.0), -2.0);
  EXPECT_EQ(scatter_combine(ScatterReduceKind::Min, 3.0, -2.0), -2.0);
  EXPECT_TRUE(std::isnan(scatter_combine(ScatterReduceKind::Max, 1.0, nan)));
  EXPECT_TRUE(std::isnan(scatter_combine(ScatterReduceKind::Max, nan, 1.0)));
  EXPECT_TRUE(std::isnan(scatter_combine(ScatterReduceKind::Min, nan, 1.0)));
  EXPECT_EQ(scatter_combine<int64_t>(ScatterReduceKind::Min, std::numeric_limits<int64_t>::max(), 5), 5);
}

// CUDA combines the values that meet at one position in whatever order its atomics run;
// the CPU in index order. So amax/amin must not depend on the order (a NaN anywhere wins,
// infinities and the include_self=false identities included), nor integer products: every
// order of these values gives the index order's result (+0.0 and -0.0 compare equal).
TEST(ScatterReduce, TheCombineGivesTheSameResultInEveryOrder) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const auto fold = [](ScatterReduceKind kind, auto start, const auto& values) {
    for (const auto v : values) start = scatter_combine(kind, start, v);
    return start;
  };
  const std::vector<std::vector<double>> cases = {{2.5, -1.0, 7.0, -0.0, 0.0, 3.0},
                                                  {2.5, nan, -inf, 7.0, inf, -1.0},
                                                  {-inf, -inf, 1e300, -1e300, 0.0},
                                                  {0.0, -0.0, -3.0, 0.0}};
  for (const auto& values : cases) {
    for (const ScatterReduceKind kind : {ScatterReduceKind::Max, ScatterReduceKind::Min}) {
      for (const double start : {kind == ScatterReduceKind::Max ? -inf : inf, 1.5, nan}) {
        const double expected = fold(kind, start, values);
        std::vector<size_t> p(values.size());  // permutations of positions (NaN does not sort)
        for (size_t i = 0; i < p.size(); ++i) p[i] = i;
        do {
          std::vector<double> permuted;
          for (size_t i : p) permuted.push_back(values[i]);
          const double got = fold(kind, start, permuted);
          if (std::isnan(expected)) EXPECT_TRUE(std::isnan(got));
          else EXPECT_EQ(got, expected);
        } while (std::next_permutation(p.begin(), p.end()));
      }
    }
  }
  const std::vector<int64_t> ints = {3, -2, 7, int64_t{1} << 40, -5};  // products stay in range
  for (const ScatterReduceKind kind : {ScatterReduceKind::Max, ScatterReduceKind::Min, ScatterReduceKind::Multiply}) {
    const int64_t expected = fold(kind, int64_t{1}, ints);
    std::vector<int64_t> order = ints;
    std::sort(order.begin(), order.end());
    do {
      EXPECT_EQ(fold(kind, int64_t{1}, order), expected);
    } while (std::next_permutation(order.begin(), order.end()));
  }
}

// ---- repeat_interleave ----

// PyTorch 1.13:
//   torch.repeat_interleave(torch.tensor([2, 0, 3])) -> [0,0,2,2,2]
//   torch.tensor([[1, 2], [3, 4]]).repeat_interleave(2) -> [1,1,2,2,3,3,4,4]
//   ....repeat_interleave(torch.tensor([1, 2]), dim=0) -> [[1,2],[3,4],[3,4]]
//   ....repeat_interleave(3, dim=-1) -> [1,1,1,2,2,2, 3,3,3,4,4,4]
//   ....repeat_interleave(torch.tensor([2]), dim=0) -> [[1,2],[1,2],[3,4],[3,4]]
TEST(RepeatInterleave, MatchesPyTorch) {
  const Tensor x = longs({1, 2, 3, 4}, {2, 2});
  expect_values(repeat_interleave(longs({2, 0, 3}, {3})), {0, 0, 2, 2, 2}, 0.0);
  EXPECT_EQ(repeat_interleave(longs({2, 0, 3}, {3})).dtype(), kInt64);
  const Tensor flat = x.repeat_interleave(2);
  EXPECT_EQ(flat.sizes(), (Dims{8}));
  expect_values(flat, {1, 1, 2, 2, 3, 3, 4, 4}, 0.0);
  const Tensor rows = repeat_interleave(x, longs({1, 2}, {2}), 0);
  EXPECT_EQ(rows.sizes(), (Dims{3, 2}));
  expect_values(rows, {1, 2, 3, 4, 3, 4}, 0.0);
  const Tensor cols = x.repeat_interleave(3, -1);
  EXPECT_EQ(cols.sizes(), (Dims{2, 6}));
  expect_values(cols, {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, 0.0);
  expect_values(x.repeat_interleave(longs({2}, {1}), 0), {1, 2, 1, 2, 3, 4, 3, 4}, 0.0);
  expect_values(x.t().repeat_interleave(longs({0, 2}, {2}), 1), {3, 3, 4, 4}, 0.0);  // non-contiguous
  EXPECT_EQ(x.repeat_interleave(0, 1).sizes(), (Dims{2, 0}));
  EXPECT_EQ(repeat_interleave(longs({}, {0})).sizes(), (Dims{0}));

  EXPECT_EMBER_ERROR(repeat_interleave(longs({1, -1}, {2})), "repeats can not be negative");
  EXPECT_EMBER_ERROR(x.repeat_interleave(-1), "repeats can not be negative");
  EXPECT_EMBER_ERROR(repeat_interleave(ones({2})), "repeats must be an int64 tensor");
  EXPECT_EMBER_ERROR(repeat_interleave(longs({1, 1}, {1, 2})), "repeat_interleave only accept 1D vector as repeat");
  EXPECT_EMBER_ERROR(x.repeat_interleave(longs({1, 2, 1}, {3}), 0), "repeats must have the same size as input along dim");
  EXPECT_EMBER_ERROR(x.repeat_interleave(longs({1, 2}, {2}), 5), "Dimension out of range");
}

// PyTorch 1.13: (torch.tensor([[1., 2], [3, 4]]).repeat_interleave(torch.tensor([1, 3]), dim=1)
//   * torch.arange(8.).view(2, 4)).sum() -> grad [0, 6, 4, 18]
TEST(RepeatInterleave, Gradients) {
  Tensor a = leaf({1, 2, 3, 4}, {2, 2});
  (a.repeat_interleave(longs({1, 3}, {2}), 1) * arange(0, 8, 1, dtype(kFloat64)).view({2, 4})).sum().backward();
  expect_values(a.grad(), {0, 6, 4, 18}, 0.0);
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].repeat_interleave(longs({2, 0, 1}, {3}), 0); },
                   {grad_input({3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].repeat_interleave(2); }, {grad_input({2, 3})});
}

}  // namespace
}  // namespace ember
