// nonzero, count_nonzero, bincount, histc, searchsorted/bucketize and unique /
// unique_consecutive against PyTorch 1.13's values; NaN, empty and non-contiguous
// inputs; errors; the shared binary search (core/sorted_position.h) on its own.
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/native_indexing.h"
#include "core/sorted_position.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Longs = std::vector<int64_t>;

Tensor longs(const Longs& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }

TEST(Counting, NonzeroAsPyTorch) {
  const Tensor x = tensor(std::vector<double>{0, 1.5, 0, kNaN, 0, -2}, {2, 3});
  Tensor nz = nonzero(x);  // NaN is nonzero
  EXPECT_EQ(nz.sizes(), (Dims{3, 2}));
  EXPECT_EQ(nz.to_vector<int64_t>(), (Longs{0, 1, 1, 0, 1, 2}));
  EXPECT_EQ(argwhere(x).to_vector<int64_t>(), nz.to_vector<int64_t>());
  EXPECT_EQ(count_nonzero(x, {0}).to_vector<int64_t>(), (Longs{1, 1, 1}));
  EXPECT_EQ(x.count_nonzero().item<int64_t>(), 3);
  const Tensor b = tensor(std::vector<bool>{true, false, false, true, true, true, false, false}, {2, 2, 2});
  EXPECT_EQ(b.nonzero().to_vector<int64_t>(), (Longs{0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1}));
  // non-contiguous: the transpose's coordinates
  EXPECT_EQ(nonzero(x.t()).to_vector<int64_t>(), (Longs{0, 1, 1, 0, 2, 1}));
  EXPECT_EQ(nonzero(full({}, 5.0)).sizes(), (Dims{1, 0}));
  EXPECT_EQ(nonzero(zeros({})).sizes(), (Dims{0, 0}));
  EXPECT_EQ(nonzero(zeros({0, 3})).sizes(), (Dims{0, 2}));
  EXPECT_EQ(nonzero(zeros({4})).sizes(), (Dims{0, 1}));
}

// The CPU kernel (counts per block of 16384, positions written 256 at a time) against a
// plain loop and against the native-op form CUDA runs, around its block and chunk edges,
// at densities from none to all; a mask that is a view (transposed, expanded) too.
TEST(Counting, TruePositionsAtEveryBlockEdgeAndDensity) {
  std::mt19937 rng(8);
  for (int64_t n : {1, 2, 255, 256, 257, 16383, 16384, 16385, 40000, 100003}) {
    for (double density : {0.0, 0.001, 0.3, 0.5, 0.97, 1.0}) {
      SCOPED_TRACE("n = " + std::to_string(n) + ", density " + std::to_string(density));
      std::bernoulli_distribution draw(density);
      std::vector<bool> mask(static_cast<size_t>(n));
      Longs want;
      for (int64_t i = 0; i < n; ++i) {
        mask[static_cast<size_t>(i)] = draw(rng);
        if (mask[static_cast<size_t>(i)]) want.push_back(i);
      }
      const Tensor m = tensor(mask, {n});
      const Tensor got = native::true_positions(m);
      EXPECT_EQ(got.dtype(), kInt64);
      ASSERT_EQ(got.to_vector<int64_t>(), want);
      EXPECT_EQ(native::true_positions_by_scan(m).to_vector<int64_t>(), want);
      EXPECT_EQ(masked_select(arange(n, dtype(kInt64)), m).to_vector<int64_t>(), want);
    }
  }
  const Tensor square = tensor(std::vector<bool>{true, false, true, true, false, false}, {2, 3});
  EXPECT_EQ(native::true_positions(square.t()).to_vector<int64_t>(), (Longs{0, 1, 4}));  // [[1, 1], [0, 0], [1, 0]]
  EXPECT_EQ(native::true_positions(square.narrow(1, 0, 1).expand({2, 4})).to_vector<int64_t>(),
            (Longs{0, 1, 2, 3, 4, 5, 6, 7}));
}

// unique of long integer inputs against a std::map: the distinct values in order, each
// value's rank as inverse, and the counts. Narrow spans take the counting path (uint8's
// whole range, bool, negatives, strided views), wide ones (beyond n + 65536) the sort.
TEST(Counting, UniqueOfLongIntegerInputsAsAMap) {
  struct Case {
    DType dtype;
    int64_t lowest, modulus, scale;  // values lowest + scale * (a draw mod modulus)
    bool strided;
  };
  const Case cases[] = {{kInt64, -40, 97, 1, false},    {kInt64, -40, 97, 1, true},
                        {kUInt8, 0, 256, 1, false},     {kUInt8, 7, 200, 1, true},
                        {kBool, 0, 2, 1, false},        {kInt64, -5, 1000, 1000003, false},
                        {kInt64, std::numeric_limits<int64_t>::min(), 2, std::numeric_limits<int64_t>::max(), false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(dtype_name(c.dtype)) + " from " + std::to_string(c.lowest) + " scale " +
                 std::to_string(c.scale) + (c.strided ? " strided" : ""));
    std::mt19937 rng(5);
    std::vector<int64_t> values(5000);
    for (int64_t& v : values) v = c.lowest + c.scale * static_cast<int64_t>(rng() % c.modulus);
    std::map<int64_t, int64_t> counted;
    for (int64_t v : values) ++counted[v];
    Longs want_values, want_counts, want_inverse;
    for (const auto& [v, n] : counted) want_values.push_back(v), want_counts.push_back(n);
    for (int64_t v : values) want_inverse.push_back(std::distance(counted.begin(), counted.find(v)));
    Tensor x = longs(values, {5000}).to(c.dtype);
    if (c.strided) x = stack({x, zeros_like(x)}, 1).select(1, 0);  // the same values, stride 2
    auto [unique_values, inverse, counts] = unique(x.reshape({50, 100}), true, true, true);
    EXPECT_EQ(unique_values.dtype(), c.dtype);
    EXPECT_EQ(unique_values.to(kInt64).to_vector<int64_t>(), want_values);
    EXPECT_EQ(inverse.sizes(), (Dims{50, 100}));
    EXPECT_EQ(inverse.to_vector<int64_t>(), want_inverse);
    EXPECT_EQ(counts.to_vector<int64_t>(), want_counts);
  }
}

TEST(Counting, BincountAsPyTorch) {
  const Tensor x = longs({2, 0, 2, 5}, {4});
  Tensor counts = bincount(x, Tensor(), 8);
  EXPECT_EQ(counts.dtype(), kInt64);
  EXPECT_EQ(counts.to_vector<int64_t>(), (Longs{1, 0, 2, 0, 0, 1, 0, 0}));
  Tensor weighted = x.bincount(tensor(std::vector<float>{0.5, 1, 0.25, 2}, {4}));
  EXPECT_EQ(weighted.dtype(), kFloat32);
  expect_values(weighted, {1, 0, 0.75, 0, 0, 2});
  EXPECT_EQ(bincount(x, tensor(std::vector<double>{1, 1, 1, 1}, {4})).dtype(), kFloat64);
  EXPECT_EQ(bincount(longs({}, {0})).sizes(), (Dims{0}));
  EXPECT_EQ(bincount(longs({}, {0}), Tensor(), 3).to_vector<int64_t>(), (Longs{0, 0, 0}));
  EXPECT_EMBER_ERROR(bincount(longs({1, -1}, {2})), "bincount only supports 1-d non-negative integral inputs.");
  EXPECT_EMBER_ERROR(bincount(longs({1, 1}, {1, 2})), "bincount only supports 1-d non-negative integral inputs.");
  EXPECT_EMBER_ERROR(bincount(tensor(std::vector<float>{1}, {1})), "bincount only supports 1-d non-negative integral");
  EXPECT_EMBER_ERROR(bincount(x, Tensor(), -1), "minlength should be >= 0");
  EXPECT_EMBER_ERROR(bincount(x, zeros({3})), "weights should be 1-d and have the same length as input");
}

TEST(Counting, HistcAsPyTorch) {
  // PyTorch 1.13: histc([0.1,0.5,0.99,1.0,-0.1,2.,0.25], bins=4, min=0, max=1) -> [1,1,1,2]
  // (1.13 also counts a NaN in bin 0; its documentation, numpy and ember ignore NaN)
  Tensor h = histc(tensor(std::vector<float>{0.1f, 0.5f, 0.99f, 1.0f, -0.1f, 2.0f, static_cast<float>(kNaN), 0.25f}, {8}),
                   4, 0, 1);
  EXPECT_EQ(h.dtype(), kFloat32);
  expect_values(h, {1, 1, 1, 2});
  expect_values(tensor(std::vector<double>{1, 2, 1, 4}, {2, 2}).histc(3), {2, 1, 1});  // the data's range
  expect_values(histc(tensor(std::vector<float>{3, 3}, {2}), 4), {0, 0, 2, 0});        // widened by 1 each way
  expect_values(histc(zeros({0}), 2), {0, 0});
  EXPECT_EMBER_ERROR(histc(longs({1}, {1})), "not implemented for 'Long'");
  EXPECT_EMBER_ERROR(histc(zeros({2}), 0), "bins must be > 0");
  EXPECT_EMBER_ERROR(histc(zeros({2}), 4, 2, 1), "max must be larger than min");
  EXPECT_EMBER_ERROR(histc(tensor(std::vector<float>{1, static_cast<float>(kNaN)}, {2})), "is not finite");
}

TEST(Counting, SearchsortedAsPyTorch) {
  const Tensor b = tensor(std::vector<float>{1, 3, 3, 5, 7}, {5});
  const Tensor v = tensor(std::vector<float>{0, 3, 4, 7, 8, static_cast<float>(kNaN)}, {2, 3});
  Tensor left = searchsorted(b, v);
  EXPECT_EQ(left.dtype(), kInt64);
  EXPECT_EQ(left.sizes(), (Dims{2, 3}));
  EXPECT_EQ(left.to_vector<int64_t>(), (Longs{0, 1, 3, 4, 5, 5}));  // NaN after everything
  EXPECT_EQ(searchsorted(b, v, false, /*right=*/true).to_vector<int64_t>(), (Longs{0, 3, 3, 5, 5, 5}));
  EXPECT_EQ(bucketize(v, b).to_vector<int64_t>(), left.to_vector<int64_t>());
  // a row of boundaries per row of values
  const Tensor rows = tensor(std::vector<float>{1, 3, 5, 2, 4, 6}, {2, 3});
  const Tensor vv = tensor(std::vector<float>{3, 6, 1, 7}, {2, 2});
  EXPECT_EQ(searchsorted(rows, vv).to_vector<int64_t>(), (Longs{1, 3, 0, 3}));
  EXPECT_EQ(searchsorted(rows, vv, false, true).to_vector<int64_t>(), (Longs{2, 3, 0, 3}));
  // non-contiguous boundaries and values: the transposes
  EXPECT_EQ(searchsorted(rows.t().contiguous().t(), vv.t().contiguous().t()).to_vector<int64_t>(), (Longs{1, 3, 0, 3}));
  // sorter, scalars, promotion (int64 boundaries, float values)
  const Tensor unsorted = tensor(std::vector<float>{5, 1, 3}, {3});
  EXPECT_EQ(
      searchsorted(unsorted, tensor(std::vector<float>{2, 4, 6}, {3}), false, false, std::nullopt, unsorted.argsort())
          .to_vector<int64_t>(),
      (Longs{1, 2, 3}));
  EXPECT_EQ(searchsorted(b, Scalar(3)).item<int64_t>(), 1);
  EXPECT_EQ(searchsorted(b, Scalar(3), false, true).item<int64_t>(), 3);
  EXPECT_EQ(searchsorted(longs({1, 2, 3}, {3}), tensor(std::vector<float>{1.5f, 2.5f}, {2})).to_vector<int64_t>(),
            (Longs{1, 2}));
  EXPECT_EQ(searchsorted(zeros({0}), v).to_vector<int64_t>(), (Longs{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(searchsorted(b, zeros({0})).sizes(), (Dims{0}));
  EXPECT_EMBER_ERROR(searchsorted(rows, tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2})),
                     "first N-1 dimensions of boundaries tensor and input value tensor must match");
  EXPECT_EMBER_ERROR(bucketize(v, rows), "boundaries tensor must be 1 dimension, but got dim(2)");
  EXPECT_EMBER_ERROR(searchsorted(b, v, /*out_int32=*/true), "int32");
  EXPECT_EMBER_ERROR(searchsorted(b, v, false, false, std::nullopt, longs({0, 1}, {2})), "sorter");
}

TEST(Counting, SortedPositionIsPyTorchsBinarySearch) {
  const float row[] = {1, 2, 2, static_cast<float>(kNaN)};
  EXPECT_EQ(sorted_position(row, 4, 2.0f, false), 1);
  // PyTorch 1.13: searchsorted([1,2,2,nan], [2,9,0], right=True) -> [4,4,0]; left -> [1,4,0]
  EXPECT_EQ(sorted_position(row, 4, 2.0f, true), 4);
  EXPECT_EQ(sorted_position(row, 4, 9.0f, false), 4);  // the search moves past a NaN boundary
  EXPECT_EQ(sorted_position(row, 4, 0.0f, true), 0);
  EXPECT_EQ(sorted_position(row, 4, static_cast<float>(kNaN), false), 4);
  EXPECT_EQ(sorted_position(row, 0, 1.0f, false), 0);
  const BFloat16 half_row[] = {BFloat16(1.0f), BFloat16(2.0f)};
  EXPECT_EQ(sorted_position(half_row, 2, BFloat16(1.5f), false), 1);
}

TEST(Counting, UniqueAsPyTorch) {
  const Tensor u = longs({3, 1, 2, 1, 3, 1, 0, 9}, {4, 2});
  auto [values, inverse, counts] = unique(u, true, true, true);
  EXPECT_EQ(values.to_vector<int64_t>(), (Longs{0, 1, 2, 3, 9}));
  EXPECT_EQ(inverse.sizes(), (Dims{4, 2}));
  EXPECT_EQ(inverse.to_vector<int64_t>(), (Longs{3, 1, 2, 1, 3, 1, 0, 4}));
  EXPECT_EQ(counts.to_vector<int64_t>(), (Longs{1, 3, 1, 2, 1}));
  auto [only_values, no_inverse, no_counts] = unique(u);
  EXPECT_EQ(only_values.to_vector<int64_t>(), (Longs{0, 1, 2, 3, 9}));
  EXPECT_FALSE(no_inverse.defined());
  EXPECT_FALSE(no_counts.defined());
  auto [rows, row_inverse, row_counts] = unique(u, true, true, true, 0);
  EXPECT_EQ(rows.sizes(), (Dims{3, 2}));
  EXPECT_EQ(rows.to_vector<int64_t>(), (Longs{0, 9, 2, 1, 3, 1}));
  EXPECT_EQ(row_inverse.to_vector<int64_t>(), (Longs{2, 1, 2, 0}));
  EXPECT_EQ(row_counts.to_vector<int64_t>(), (Longs{1, 1, 2}));
  auto [cols, col_inverse, col_counts] = unique(u, true, true, true, -1);
  EXPECT_EQ(cols.sizes(), (Dims{4, 2}));
  EXPECT_EQ(cols.to_vector<int64_t>(), (Longs{1, 3, 1, 2, 1, 3, 9, 0}));
  EXPECT_EQ(col_inverse.to_vector<int64_t>(), (Longs{1, 0}));
  EXPECT_EQ(col_counts.to_vector<int64_t>(), (Longs{1, 1}));
  // every NaN its own value; bool; empty
  auto [nan_values, nan_inverse, nan_counts] = unique(tensor(std::vector<double>{kNaN, 1, kNaN, 1}, {4}), true, true, true);
  EXPECT_EQ(nan_values.numel(), 3);
  EXPECT_EQ(nan_values.to_vector<double>()[0], 1.0);
  EXPECT_EQ(nan_counts.to_vector<int64_t>(), (Longs{2, 1, 1}));
  EXPECT_EQ(nan_inverse.to_vector<int64_t>(), (Longs{1, 0, 2, 0}));
  EXPECT_EQ(std::get<0>(unique(tensor(std::vector<bool>{true, false, true}, {3}))).to_vector<bool>(),
            (std::vector<bool>{false, true}));
  auto [empty_values, empty_inverse, empty_counts] = unique(zeros({0, 3}), true, true, true);
  EXPECT_EQ(empty_values.numel(), 0);
  EXPECT_EQ(empty_inverse.sizes(), (Dims{0, 3}));
  EXPECT_EQ(empty_counts.numel(), 0);
}

TEST(Counting, UniqueConsecutiveAsPyTorch) {
  auto [values, inverse, counts] = unique_consecutive(longs({1, 1, 2, 2, 3, 1, 1, 2}, {8}), true, true);
  EXPECT_EQ(values.to_vector<int64_t>(), (Longs{1, 2, 3, 1, 2}));
  EXPECT_EQ(inverse.to_vector<int64_t>(), (Longs{0, 0, 1, 1, 2, 3, 3, 4}));
  EXPECT_EQ(counts.to_vector<int64_t>(), (Longs{2, 2, 1, 2, 1}));
  auto [rows, row_inverse, row_counts] = unique_consecutive(longs({1, 1, 1, 1, 2, 3, 1, 1}, {4, 2}), true, true, 0);
  EXPECT_EQ(rows.to_vector<int64_t>(), (Longs{1, 1, 2, 3, 1, 1}));
  EXPECT_EQ(row_inverse.to_vector<int64_t>(), (Longs{0, 0, 1, 2}));
  EXPECT_EQ(row_counts.to_vector<int64_t>(), (Longs{2, 1, 1}));
  EXPECT_EMBER_ERROR(unique(longs({1, 2}, {2}), true, false, false, 1), "out of range");
}

// A Scalar query is PyTorch's wrapped number: rounded once, to the dtype the search runs in
// (float64 boundaries search 0.1 as a double); a 0-dim tensor does not widen the boundaries.
TEST(Searchsorted, ScalarsAndZeroDimValuesTakeTheBoundariesDtype) {
  const Tensor b64 = tensor(std::vector<double>{0.1, 0.2, 0.3}, {3});
  EXPECT_EQ(searchsorted(b64, Scalar(0.1)).item<int64_t>(), 0);
  EXPECT_EQ(searchsorted(b64, Scalar(0.3)).item<int64_t>(), 2);
  EXPECT_EQ(searchsorted(b64, Scalar(0.3), false, true).item<int64_t>(), 3);
  const Tensor b32 = tensor(std::vector<float>{0.1f, 0.2f, 0.3f}, {3});
  EXPECT_EQ(searchsorted(b32, full({}, 0.1, kFloat64), false, /*right=*/true).item<int64_t>(), 1);
  EXPECT_EQ(searchsorted(tensor(std::vector<int64_t>{1, 3, 5}, {3}), Scalar(2.5)).item<int64_t>(), 1);
  EXPECT_EQ(searchsorted(tensor(std::vector<int64_t>{1, 3, 5}, {3}), Scalar(3)).item<int64_t>(), 1);
  // cast unchecked, as PyTorch's wrapped number: 1e5 against float16 boundaries is inf
  EXPECT_EQ(searchsorted(tensor(std::vector<float>{1, 2, 3}, {3}).to(kFloat16), Scalar(1e5)).item<int64_t>(), 3);
}

// histc's bins in the input's dtype, edges rounded to it (PyTorch's kernel): float32 values
// just below 0.3, 0.5 and 0.6 land in bins 2, 4 and 5 of [0.1, 0.7].
TEST(Histc, BinsInTheInputsDtype) {
  const Tensor x = tensor(std::vector<float>{0.29999998f, 0.49999997f, 0.59999996f}, {3});
  expect_values(histc(x, 6, 0.1, 0.7), {0, 0, 1, 0, 1, 1}, 0.0);
  EXPECT_EMBER_ERROR(histc(zeros({2}, kInt64), 2), "\"histogram_cpu\" not implemented for 'Long'");
}

// unique along a dim of an empty tensor: the selected dim may be the only empty one.
TEST(Unique, EmptyDimsAsPyTorch) {
  EXPECT_EMBER_ERROR(unique(zeros({0, 3}), true, false, false, 1),
                     "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
  EXPECT_EMBER_ERROR(unique(zeros({0, 0, 3}), true, false, false, 0),
                     "Number of zero sized dimensions is more than one, so unique cannot be applied");
  EXPECT_EQ(std::get<0>(unique(zeros({0, 3}), true, false, false, 0)).sizes(), (Dims{0, 3}));
}

}  // namespace
}  // namespace ember
