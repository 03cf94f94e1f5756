// Views: geometry (sizes, strides, offset) and values against hand-computed
// expectations, shared storage and version, and the errors for bad arguments.
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

// Values in logical order, read straight through sizes/strides/offset (independent
// of the copy kernel, so this checks the view's geometry alone).
std::vector<double> strided_values(const Tensor& t) {
  std::vector<double> out;
  std::vector<int64_t> index(t.sizes().size(), 0);
  for (int64_t n = 0; n < t.numel(); ++n) {
    int64_t at = t.storage_offset();
    for (size_t d = 0; d < index.size(); ++d) at += index[d] * t.strides()[d];
    visit_dtype(t.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      out.push_back(static_cast<double>(static_cast<const T*>(t.storage()->data())[at]));
    });
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < t.sizes()[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

// 0, 1, ..., n-1 as float32, shaped.
Tensor iota(int64_t n, const Dims& sizes) { return arange(n).view(sizes); }

void expect_view_of(const Tensor& view, const Tensor& base) {
  EXPECT_TRUE(view.is_alias_of(base));
  EXPECT_EQ(view.dtype(), base.dtype());
}

TEST(ViewsView, ContiguousInput) {
  Tensor a = iota(6, {2, 3});
  Tensor v = a.view({3, 2});
  expect_view_of(v, a);
  EXPECT_EQ(v.strides(), (Dims{2, 1}));
  EXPECT_EQ(a.view({-1}).sizes(), (Dims{6}));
  EXPECT_EQ(a.view({1, -1, 1}).sizes(), (Dims{1, 6, 1}));
  EXPECT_EQ(strided_values(v), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(tensor(std::vector<float>{5}).view({}).dim(), 0);
}

TEST(ViewsView, NonContiguousInputWhenStridesAllow) {
  // t() of [3, 4] is [4, 3] with strides [1, 4]; splitting its first dim is still a view.
  Tensor t = iota(12, {3, 4}).t();
  Tensor v = t.view({2, 2, 3});
  expect_view_of(v, t);
  EXPECT_EQ(v.strides(), (Dims{2, 1, 4}));
  EXPECT_EQ(strided_values(v), strided_values(t));
  // A narrowed (offset) block of rows stays viewable as a flat vector.
  Tensor rows = iota(24, {4, 6}).narrow(0, 1, 2);
  Tensor flat = rows.view({12});
  EXPECT_EQ(flat.storage_offset(), 6);
  EXPECT_EQ(strided_values(flat)[0], 6.0);
}

TEST(ViewsView, IncompatibleStridesAskForReshape) {
  Tensor t = iota(6, {2, 3}).t();
  EXPECT_EMBER_ERROR(t.view({6}), "view size is not compatible with input tensor's size and stride");
  EXPECT_EMBER_ERROR(t.view({6}), "Use .reshape(...) instead.");
  EXPECT_EMBER_ERROR(iota(6, {2, 3}).view({4}), "shape '[4]' is invalid for input of size 6");
  EXPECT_EMBER_ERROR(iota(6, {2, 3}).view({-1, -1}), "only one dimension can be inferred");
}

TEST(ViewsReshape, ViewsWhenPossibleElseCopies) {
  Tensor a = iota(6, {2, 3});
  EXPECT_TRUE(a.reshape({3, 2}).is_alias_of(a));
  Tensor t = a.t();
  Tensor r = t.reshape({6});
  EXPECT_FALSE(r.is_alias_of(a));
  EXPECT_TRUE(r.is_contiguous());
  expect_values(r, {0, 3, 1, 4, 2, 5}, 0.0);
}

TEST(ViewsTranspose, SwapsSizesAndStrides) {
  Tensor a = iota(24, {2, 3, 4});
  Tensor t = a.transpose(0, -1);
  expect_view_of(t, a);
  EXPECT_EQ(t.sizes(), (Dims{4, 3, 2}));
  EXPECT_EQ(t.strides(), (Dims{1, 4, 12}));
  EXPECT_EQ(strided_values(t)[1], 12.0);
  EXPECT_EMBER_ERROR(a.transpose(0, 3), "Dimension out of range");
}

TEST(ViewsTranspose, TOfMatricesVectorsAndScalars) {
  Tensor m = iota(6, {2, 3});
  EXPECT_EQ(m.t().sizes(), (Dims{3, 2}));
  EXPECT_EQ(strided_values(m.t()), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  Tensor v = arange(3);
  EXPECT_FALSE(v.t().is_same(v));  // a view of v with the same shape, as PyTorch's
  expect_view_of(v.t(), v);
  EXPECT_EQ(v.t().sizes(), v.sizes());
  EXPECT_EMBER_ERROR(iota(8, {2, 2, 2}).t(), "t() expects a tensor with <= 2 dimensions, but self is 3D");
}

TEST(ViewsPermute, ReordersDims) {
  Tensor a = iota(24, {2, 3, 4});
  Tensor p = a.permute({2, 0, 1});
  expect_view_of(p, a);
  EXPECT_EQ(p.sizes(), (Dims{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Dims{1, 12, 4}));
  // p[1][1][2] = a[1][2][1] = 12 + 8 + 1
  EXPECT_EQ(strided_values(p)[1 * 6 + 1 * 3 + 2], 21.0);
  EXPECT_EQ(a.permute({-1, 0, 1}).sizes(), p.sizes());
}

TEST(ViewsPermute, RejectsNonPermutations) {
  Tensor a = iota(6, {2, 3});
  EXPECT_EMBER_ERROR(a.permute({0}), "number of dimensions in the tensor input does not match");
  EXPECT_EMBER_ERROR(a.permute({0, 0}), "duplicate dims are not allowed");
  EXPECT_EMBER_ERROR(a.permute({0, 2}), "Dimension out of range");
}

TEST(ViewsFlatten, MergesARangeOfDims) {
  Tensor a = iota(24, {2, 3, 4});
  EXPECT_EQ(a.flatten().sizes(), (Dims{24}));
  EXPECT_EQ(a.flatten(1).sizes(), (Dims{2, 12}));
  EXPECT_EQ(a.flatten(0, 1).sizes(), (Dims{6, 4}));
  EXPECT_TRUE(a.flatten(1).is_alias_of(a));
  EXPECT_TRUE(a.flatten(2).is_same(a));
  EXPECT_EQ(tensor(std::vector<float>{3}, Dims{}).flatten().sizes(), (Dims{1}));
  EXPECT_EMBER_ERROR(a.flatten(2, 1), "start_dim cannot come after end_dim");
}

TEST(ViewsFlatten, UnflattenSplitsADim) {
  Tensor a = iota(24, {2, 12});
  Tensor u = a.unflatten(1, {3, -1});
  expect_view_of(u, a);
  EXPECT_EQ(u.sizes(), (Dims{2, 3, 4}));
  EXPECT_EQ(u.strides(), (Dims{12, 4, 1}));
  EXPECT_EQ(a.unflatten(-1, {12}).sizes(), (Dims{2, 12}));
  EXPECT_EMBER_ERROR(a.unflatten(1, {5, 2}), "don't multiply up to the size of dim 1 (12)");
}

TEST(ViewsNarrow, TakesARangeAlongADim) {
  Tensor a = iota(12, {3, 4});
  Tensor n = a.narrow(1, 1, 2);
  expect_view_of(n, a);
  EXPECT_EQ(n.sizes(), (Dims{3, 2}));
  EXPECT_EQ(n.strides(), (Dims{4, 1}));
  EXPECT_EQ(n.storage_offset(), 1);
  EXPECT_EQ(strided_values(n), (std::vector<double>{1, 2, 5, 6, 9, 10}));
  EXPECT_EQ(strided_values(a.narrow(0, -1, 1)), (std::vector<double>{8, 9, 10, 11}));
  EXPECT_EQ(a.narrow(1, 4, 0).numel(), 0);
}

TEST(ViewsNarrow, BadRanges) {
  Tensor a = iota(6, {6});
  EXPECT_EMBER_ERROR(a.narrow(0, 5, 2), "start (5) + length (2) exceeds dimension size (6).");
  EXPECT_EMBER_ERROR(a.narrow(0, 7, 0), "start out of range");
  EXPECT_EMBER_ERROR(a.narrow(0, 0, -1), "length must be non-negative");
  EXPECT_EMBER_ERROR(tensor(std::vector<float>{1}, Dims{}).narrow(0, 0, 1), "cannot be applied to a 0-dim tensor");
}

TEST(ViewsSlice, PythonStyleBounds) {
  Tensor a = iota(10, {10});
  Tensor s = a.slice(0, 1, 8, 3);
  expect_view_of(s, a);
  EXPECT_EQ(s.sizes(), (Dims{3}));
  EXPECT_EQ(s.strides(), (Dims{3}));
  EXPECT_EQ(strided_values(s), (std::vector<double>{1, 4, 7}));
  EXPECT_EQ(strided_values(a.slice(0, -3)), (std::vector<double>{7, 8, 9}));
  EXPECT_EQ(strided_values(a.slice(0, std::nullopt, -8)), (std::vector<double>{0, 1}));
  EXPECT_EQ(a.slice(0, -100, 100).numel(), 10);
  EXPECT_EQ(a.slice(0, 7, 3).numel(), 0);
  EXPECT_EQ(a.slice(0, 20).numel(), 0);
  EXPECT_EQ(a.slice(0, 0, 10, 4).numel(), 3);

  Tensor m = iota(12, {3, 4});
  Tensor cols = m.slice(1, 1, std::nullopt, 2);
  EXPECT_EQ(cols.sizes(), (Dims{3, 2}));
  EXPECT_EQ(cols.strides(), (Dims{4, 2}));
  EXPECT_EQ(strided_values(cols), (std::vector<double>{1, 3, 5, 7, 9, 11}));
  EXPECT_EMBER_ERROR(a.slice(0, 0, 5, 0), "slice step must be positive");
  EXPECT_EMBER_ERROR(a.slice(0, 0, 5, -1), "slice step must be positive");
}

TEST(ViewsSelect, DropsADim) {
  Tensor a = iota(12, {3, 4});
  Tensor row = a.select(0, -1);
  expect_view_of(row, a);
  EXPECT_EQ(row.sizes(), (Dims{4}));
  EXPECT_EQ(row.storage_offset(), 8);
  EXPECT_EQ(strided_values(a.select(1, 2)), (std::vector<double>{2, 6, 10}));
  EXPECT_EQ(strided_values(a[1]), (std::vector<double>{4, 5, 6, 7}));
  EXPECT_EQ(a[1][2].dim(), 0);
  EXPECT_EQ(a[1][2].item<float>(), 6.0f);
  EXPECT_EMBER_ERROR(a.select(0, 5), "select(): index 5 out of range for tensor of size [3, 4] at dimension 0");
  EXPECT_EMBER_ERROR(a.select(1, -5), "select(): index -5 out of range for tensor of size [3, 4] at dimension 1");
  EXPECT_EMBER_ERROR(zeros({0}).view({0, -1}), "cannot reshape tensor of 0 elements into shape [0, -1]");
}

TEST(ViewsExpand, BroadcastsWithZeroStrides) {
  Tensor a = iota(3, {3, 1});
  Tensor e = a.expand({2, 3, 4});
  expect_view_of(e, a);
  EXPECT_EQ(e.sizes(), (Dims{2, 3, 4}));
  EXPECT_EQ(e.strides(), (Dims{0, 1, 0}));
  EXPECT_EQ(strided_values(e.select(0, 1).select(0, 2)), (std::vector<double>{2, 2, 2, 2}));
  EXPECT_EQ(a.expand({-1, 5}).sizes(), (Dims{3, 5}));
  EXPECT_EQ(a.expand_as(zeros({3, 2})).sizes(), (Dims{3, 2}));
}

TEST(ViewsExpand, BadTargets) {
  Tensor a = iota(6, {2, 3});
  EXPECT_EMBER_ERROR(a.expand({2, 4}),
                     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
                     "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [2, 3]");
  EXPECT_EMBER_ERROR(a.expand({6}), "the number of sizes provided (1) must be greater or equal");
  EXPECT_EMBER_ERROR(a.expand({-1, 2, 3}), "isn't allowed in a leading, non-existing dimension 0");
}

TEST(ViewsSqueeze, RemovesAndAddsSizeOneDims) {
  Tensor a = iota(6, {1, 2, 1, 3});
  EXPECT_EQ(a.squeeze().sizes(), (Dims{2, 3}));
  EXPECT_EQ(a.squeeze().strides(), (Dims{3, 1}));
  EXPECT_EQ(a.squeeze(2).sizes(), (Dims{1, 2, 3}));
  EXPECT_EQ(a.squeeze(1).sizes(), a.sizes());
  EXPECT_TRUE(a.squeeze().is_alias_of(a));

  Tensor b = iota(6, {2, 3});
  EXPECT_EQ(b.unsqueeze(0).sizes(), (Dims{1, 2, 3}));
  EXPECT_EQ(b.unsqueeze(0).strides(), (Dims{6, 3, 1}));
  EXPECT_EQ(b.unsqueeze(-1).sizes(), (Dims{2, 3, 1}));
  EXPECT_EQ(b.unsqueeze(-1).strides(), (Dims{3, 1, 1}));
  EXPECT_EQ(b.unsqueeze(1).strides(), (Dims{3, 3, 1}));
  EXPECT_TRUE(b.unsqueeze(1).is_contiguous());
  EXPECT_EMBER_ERROR(b.unsqueeze(3), "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
  EXPECT_EMBER_ERROR(iota(1, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}).unsqueeze(0), "at most 10 dimensions");
}

TEST(ViewsAsStrided, ChecksTheStorageBounds) {
  Tensor a = iota(6, {6});
  Tensor windows = a.as_strided({3, 2}, {2, 1}, 0);
  expect_view_of(windows, a);
  EXPECT_EQ(strided_values(windows), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  Tensor overlapping = a.as_strided({4, 3}, {1, 1}, 0);
  EXPECT_EQ(strided_values(overlapping)[5], 3.0);
  EXPECT_EQ(a.as_strided({2}, {1}, 4).storage_offset(), 4);
  EXPECT_EMBER_ERROR(a.as_strided({3, 2}, {2, 1}, 1), "out of bounds for storage of size");
  EXPECT_EMBER_ERROR(a.as_strided({3}, {-1}), "Negative strides");
  EXPECT_EMBER_ERROR(a.as_strided({3}, {1, 1}), "mismatch in length of strides");
}

std::vector<Tensor> every_view_of(const Tensor& a) {
  return {a.view({6}),       a.reshape({3, 2}), a.t(),         a.permute({1, 0}),   a.narrow(1, 0, 2),
          a.slice(0, 1),     a.select(1, 0),    a.squeeze(),   a.expand({4, 2, 3}), a.unsqueeze(0),
          a.flatten(),       a.unflatten(1, {3, 1}),           a.as_strided({2}, {1})};
}

TEST(ViewsShare, StorageVersionAndDtype) {
  Tensor a = zeros({2, 3}, kFloat64);
  std::vector<Tensor> views = every_view_of(a);
  a.storage()->bump_version();
  for (const Tensor& v : views) {
    expect_view_of(v, a);
    EXPECT_EQ(v.version(), 1u);
    EXPECT_FALSE(v.is_inference());
  }
}

TEST(ViewsShare, ViewsOfInferenceTensorsAreInferenceTensors) {
  Tensor a;
  {
    InferenceModeGuard guard;
    a = zeros({2, 3});
  }
  for (const Tensor& v : every_view_of(a)) {
    expect_view_of(v, a);
    EXPECT_TRUE(v.is_inference());
  }
}

TEST(ViewsShare, InPlaceFillThroughAViewIsSeenByTheBase) {
  Tensor a = zeros({2, 3});
  Tensor column = a.select(1, 1);
  column.fill_(7.0);
  EXPECT_EQ(a.version(), 1u);
  EXPECT_EQ(column.version(), 1u);
  EXPECT_EQ(strided_values(a), (std::vector<double>{0, 7, 0, 0, 7, 0}));
}

}  // namespace
}  // namespace ember
