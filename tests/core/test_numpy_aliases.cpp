// PyTorch's NumPy-style aliases (arccos ... not_equal, concat, fix), the in-place comparisons,
// narrow_copy, torch.unravel_index, Tensor.view(dtype) and index_reduce, against PyTorch's
// documented values and messages; index_reduce's gradients by float64 gradcheck.
#include <cmath>
#include <cstdint>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;

Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }
Tensor longs(const std::vector<int64_t>& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }

TEST(NumpyAliases, EachIsItsOp) {
  const Tensor x = doubles({-0.5, 0.25, 0.75}, {3});
  const Tensor y = doubles({2.0, -1.0, 0.75}, {3});
  EXPECT_TRUE(arccos(x).equal(acos(x)));
  EXPECT_TRUE(x.arcsin().equal(x.asin()));
  EXPECT_TRUE(arctan(x).equal(x.atan()));
  EXPECT_TRUE(arctanh(x).equal(x.atanh()));
  EXPECT_TRUE(arcsinh(x).equal(x.asinh()));
  EXPECT_TRUE(arccosh(y.abs() + 1).equal((y.abs() + 1).acosh()));
  EXPECT_TRUE(arctan2(x, y).equal(atan2(x, y)));
  EXPECT_TRUE(multiply(x, y).equal(x * y));
  EXPECT_TRUE(x.multiply(3).equal(x * 3));
  expect_values(subtract(x, y, 2), {-4.5, 2.25, -0.75}, 1e-15);
  expect_values(divide(doubles({7, -7}, {2}), doubles({2, 2}, {2}), "floor"), {3, -4}, 0);
  expect_values(fix(doubles({-2.5, 2.5}, {2})), {-2, 2}, 0);
  expect_values(greater(x, y).to(kInt64), {0, 1, 0}, 0);
  expect_values(greater_equal(x, y).to(kInt64), {0, 1, 1}, 0);
  expect_values(less(x, 0.25).to(kInt64), {1, 0, 0}, 0);
  expect_values(x.less_equal(0.25).to(kInt64), {1, 1, 0}, 0);
  expect_values(not_equal(x, y).to(kInt64), {1, 1, 0}, 0);
  EXPECT_EQ(concat({x, y}).sizes(), Dims({6}));
  EXPECT_TRUE(concatenate({x.view({1, 3}), y.view({1, 3})}, 1).equal(cat({x.view({1, 3}), y.view({1, 3})}, 1)));
}

TEST(NumpyAliases, InPlaceFormsWriteSelf) {
  Tensor x = doubles({1.0, -2.0}, {2});
  x.arctan2_(doubles({1.0, 1.0}, {2}));
  expect_values(x, {std::atan2(1.0, 1.0), std::atan2(-2.0, 1.0)}, 1e-15);
  Tensor y = doubles({5.0, -5.0}, {2});
  y.divide_(2.0, "trunc").multiply_(3).subtract_(1);
  expect_values(y, {5, -7}, 0);
  Tensor z = doubles({-1.5, 1.5}, {2});
  z.fix_();
  expect_values(z, {-1, 1}, 0);
}

// PyTorch: x.gt_(y) writes (x > y) as 1/0 in x's dtype; an integer x compares as promoted.
TEST(InPlaceComparisons, WriteOnesAndZerosInSelfDtype) {
  Tensor f = doubles({1, 2, 3}, {3});
  f.gt_(2.0);
  expect_values(f, {0, 0, 1}, 0);
  EXPECT_EQ(f.dtype(), kFloat64);
  Tensor i = longs({1, 2, 3}, {3});
  i.ge_(1.5);
  EXPECT_EQ(i.dtype(), kInt64);
  expect_values(i, {0, 1, 1}, 0);
  Tensor m = doubles({1, 2, 3, 4}, {2, 2});
  m.eq_(doubles({1, 0}, {2}));  // broadcast other
  expect_values(m, {1, 0, 0, 0}, 0);
  Tensor a = doubles({1, 2}, {2});
  a.not_equal_(2.0).less_(1.0);  // [1, 0] then [0, 1]
  expect_values(a, {0, 1}, 0);
  Tensor small = doubles({1, 2, 3}, {3});
  const uint32_t before = small.version();
  EXPECT_THROW(small.lt_(doubles({1, 2, 3, 4, 5, 6}, {2, 3})), Error);  // the result would not fit self
  EXPECT_EQ(small.version(), before);                                   // refused before any write
  small.le_(2.0);
  EXPECT_GT(small.version(), before);
}

TEST(InPlaceComparisons, CarryNoGradient) {
  const Tensor x = grad_input({3});
  Tensor y = x * 2;
  y.gt_(0.0);
  EXPECT_TRUE(y.requires_grad());
  y.sum().backward();
  ASSERT_TRUE(x.grad().defined());  // PyTorch's derivative: zeros_like(self)
  expect_values(x.grad(), {0, 0, 0}, 0);
  // other requiring grad makes the result require it, its gradient zeros (PyTorch's).
  const Tensor other = grad_input({3});
  Tensor z = doubles({0, 0, 0}, {3});
  z.lt_(other);
  EXPECT_TRUE(z.requires_grad());
  z.sum().backward();
  ASSERT_TRUE(other.grad().defined());
  expect_values(other.grad(), {0, 0, 0}, 0);
  Tensor leaf_x = doubles({1, 2}, {2}).requires_grad_(true);
  EXPECT_EMBER_ERROR(leaf_x.gt_(1.0), "a leaf Variable that requires grad");
}

TEST(NarrowCopy, IsAContiguousCopyOfTheSlice) {
  const Tensor x = arange(0, 12, 1, dtype(kFloat64)).view({3, 4});
  const Tensor c = x.narrow_copy(1, 1, 2);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(c.is_alias_of(x));
  expect_values(c, {1, 2, 5, 6, 9, 10}, 0);
  expect_values(narrow_copy(x, 0, 2, 1), {8, 9, 10, 11}, 0);
}

// torch.unravel_index's documented examples.
TEST(UnravelIndex, DocumentedExamples) {
  auto a = unravel_index(longs({4, 1}, {2}), {3, 2});
  ASSERT_EQ(a.size(), 2u);
  expect_values(a[0], {2, 0}, 0);
  expect_values(a[1], {0, 1}, 0);
  auto b = unravel_index(longs({1234, 5678}, {2}), {10, 10, 10, 10});
  ASSERT_EQ(b.size(), 4u);
  expect_values(b[0], {1, 5}, 0);
  expect_values(b[3], {4, 8}, 0);
  auto c = unravel_index(longs({1234, 5678}, {2, 1}), {100, 100});
  EXPECT_EQ(c[0].sizes(), Dims({2, 1}));
  EXPECT_EQ(c[0].dtype(), kInt64);
  expect_values(c[0], {12, 56}, 0);
  expect_values(c[1], {34, 78}, 0);
  // Floor division and remainder: -1 is the last element.
  auto d = unravel_index(longs({-1}, {1}), {3, 2});
  expect_values(d[0], {2}, 0);
  expect_values(d[1], {1}, 0);
  auto e = unravel_index(tensor({7}, dtype(kUInt8)), {4});
  expect_values(e[0], {3}, 0);
  EXPECT_EMBER_ERROR(unravel_index(doubles({1}, {1}), {2}),
                     "expected 'indices' to be integer dtype, but got torch.float64");
  EXPECT_EMBER_ERROR(unravel_index(longs({1}, {1}), {2, -1}), "'shape' cannot have negative values, but got (2, -1)");
  EXPECT_EMBER_ERROR(unravel_index(longs({1}, {1}), {-3}), "but got (-3,)");
}

TEST(ViewDtype, SameElementSizeKeepsTheShape) {
  const Tensor x = doubles({1.0, -2.0}, {2});
  Tensor bits = x.view(kInt64);
  EXPECT_EQ(bits.dtype(), kInt64);
  EXPECT_EQ(bits.sizes(), Dims({2}));
  EXPECT_EQ(bits.to_vector<int64_t>()[0], 4607182418800017408LL);
  EXPECT_TRUE(bits.is_alias_of(x));
  const uint32_t before = x.version();
  bits.fill_(0);  // writes through: both share storage and version counter
  expect_values(x, {0, 0}, 0);
  EXPECT_GT(x.version(), before);
}

TEST(ViewDtype, DifferentElementSizesScaleTheLastDim) {
  const Tensor one = tensor({1.0f}, dtype(kFloat32));
  expect_values(one.view(kUInt8), {0, 0, 128, 63}, 0);
  const Tensor m = tensor({1.5f, -2.0f, 3.0f, 0.25f}, dtype(kFloat32)).view({2, 2});
  const Tensor halves = m.view(kBFloat16);  // little-endian: each float's low half first
  EXPECT_EQ(halves.sizes(), Dims({2, 4}));
  EXPECT_EQ(halves.strides(), Dims({4, 1}));
  expect_values(halves, {0, 1.5, 0, -2, 0, 3, 0, 0.25}, 0);
  const Tensor bytes = tensor(std::vector<int64_t>{0, 0, 0, 0, 0, 0, 240, 63}, dtype(kInt64)).to(kUInt8);
  const Tensor back = bytes.view(kFloat64);
  EXPECT_EQ(back.sizes(), Dims({1}));
  expect_values(back, {1.0}, 0);
  // A row of a wider tensor: the offset and the outer stride scale too.
  const Tensor row = m.view(kUInt8)[1];
  EXPECT_EQ(row.storage_offset(), 8);
  expect_values(row.view(kFloat32), {3.0, 0.25}, 0);
}

TEST(ViewDtype, ErrorsAndAutograd) {
  const Tensor m = zeros({2, 2}, dtype(kFloat32));
  EXPECT_EMBER_ERROR(m.t().view(kUInt8),
                     "self.stride(-1) must be 1 to view Float as Byte (different element sizes), but got 2");
  EXPECT_EMBER_ERROR(zeros({}, dtype(kFloat32)).view(kUInt8), "self.dim() cannot be 0 to view Float as Byte");
  EXPECT_EMBER_ERROR(zeros({3}, dtype(kUInt8)).view(kFloat32),
                     "self.size(-1) must be divisible by 4 to view Byte as Float (different element sizes), but got 3");
  EXPECT_EMBER_ERROR(zeros({8}, dtype(kUInt8)).narrow(0, 2, 4).view(kFloat32),
                     "self.storage_offset() must be divisible by 4");
  EXPECT_EMBER_ERROR(
      zeros({2, 6}, dtype(kUInt8)).narrow(1, 0, 4).view(kFloat32),
      "self.stride(0) must be divisible by 4 to view Byte as Float (different element sizes), but got 6");
  const Tensor x = doubles({1, 2}, {2}).requires_grad_(true);
  EXPECT_FALSE(x.view(kInt64).requires_grad());
  EXPECT_EQ(doubles({5}, {1}).view({}).dim(), 0);  // view({}) stays the shape form
}

// torch.Tensor.index_reduce_'s documented example, and mean / amax / amin.
TEST(IndexReduce, DocumentedProdExample) {
  const Tensor t = doubles({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3});
  const Tensor index = longs({0, 4, 2, 0}, {4});
  Tensor x = full({5, 3}, 2.0, dtype(kFloat64));
  x.index_reduce_(0, index, t, "prod");
  expect_values(x, {20, 44, 72, 2, 2, 2, 14, 16, 18, 2, 2, 2, 8, 10, 12}, 0);
  const Tensor y = full({5, 3}, 2.0, dtype(kFloat64)).index_reduce(0, index, t, "prod", false);
  expect_values(y, {10, 22, 36, 2, 2, 2, 7, 8, 9, 2, 2, 2, 4, 5, 6}, 0);
}

TEST(IndexReduce, MeanAmaxAminAlongDimOne) {
  const Tensor self = doubles({1, 1, 1, 1, 1, 1}, {2, 3});
  const Tensor source = doubles({4, 8, -2, 0, 6, 3, 9, -4}, {2, 4});
  const Tensor index = longs({0, 0, 2, 2}, {4});
  expect_values(index_reduce(self, 1, index, source, "mean"), {13.0 / 3, 1, -1.0 / 3, 10.0 / 3, 1, 6.0 / 3}, 1e-15);
  expect_values(index_reduce(self, 1, index, source, "mean", false), {6, 1, -1, 4.5, 1, 2.5}, 1e-15);
  expect_values(index_reduce(self, -1, index, source, "amax"), {8, 1, 1, 6, 1, 9}, 0);
  expect_values(index_reduce(self, 1, index, source, "amin", false), {4, 1, -2, 3, 1, -4}, 0);
}

TEST(IndexReduce, ErrorsUsePyTorchsWords) {
  const Tensor self = zeros({3, 2}, dtype(kFloat64));
  const Tensor source = ones({2, 2}, dtype(kFloat64));
  EXPECT_EMBER_ERROR(self.index_reduce(0, longs({0, 1}, {2}), source, "sum"),
                     "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got sum.");
  EXPECT_EMBER_ERROR(self.index_reduce(0, longs({0, 1, 2}, {3}), source, "amax"),
                     "index_reduce_(): Number of indices (3) should be equal to source.size(dim): (2)");
  EXPECT_EMBER_ERROR(self.index_reduce(0, longs({0, 1}, {2}), source.to(kFloat32), "amax"),
                     "index_reduce_(): self (Double) and source (Float) must have the same scalar type");
  EXPECT_EMBER_ERROR(self.index_reduce(0, longs({0, 1}, {1, 2}), source, "amax"),
                     "index_reduce_(): Index is supposed to be a vector");
  EXPECT_EMBER_ERROR(self.index_reduce(0, longs({0, 3}, {2}), source, "amin"), "out of bounds");
}

TEST(IndexReduce, GradientsOfMeanAndAmax) {
  const Tensor index = longs({1, 0, 1}, {3});
  for (const char* reduce : {"mean", "amax", "amin"}) {
    for (bool include_self : {true, false}) {
      expect_gradcheck(
          [&](const std::vector<Tensor>& in) { return in[0].index_reduce(0, index, in[1], reduce, include_self); },
          {grad_input({2, 3}), grad_input({3, 3})});
    }
  }
}

}  // namespace
}  // namespace ember
