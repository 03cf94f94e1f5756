// Reductions against plain float64 loops: every subset of dims, keepdim or not, on
// contiguous, permuted, transposed and sliced inputs; integer and bool sums, NaN,
// ties, a large parallel sum, empty and 0-dim inputs, and the error messages.
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/cpu/vector_math.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
using ember::testing::random_values;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


// The same logical [s0, s1, s2] values in four memory layouts.
std::vector<std::pair<std::string, Tensor>> layouts(const Dims& s, uint32_t seed) {
  const auto f64 = dtype(kFloat64);
  return {
      {"contiguous", tensor(random_values(s[0] * s[1] * s[2], seed), {s[0], s[1], s[2]}, f64)},
      {"permuted", tensor(random_values(s[0] * s[1] * s[2], seed + 1), {s[2], s[0], s[1]}, f64).permute({1, 2, 0})},
      {"transposed", tensor(random_values(s[0] * s[1] * s[2], seed + 2), {s[0], s[2], s[1]}, f64).transpose(1, 2)},
      {"sliced", tensor(random_values(s[0] * 2 * s[1] * (s[2] + 1), seed + 3), {s[0], 2 * s[1], s[2] + 1}, f64)
                     .slice(1, 0, 2 * s[1], 2)
                     .narrow(2, 1, s[2])},
  };
}

enum class Kind { Sum, Mean, Max, Min };
constexpr Kind kKinds[] = {Kind::Sum, Kind::Mean, Kind::Max, Kind::Min};
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Sum: return "sum";
    case Kind::Mean: return "mean";
    case Kind::Max: return "amax";
    case Kind::Min: return "amin";
  }
  return "?";
}

Tensor apply(Kind kind, const Tensor& t, const Dims& dims, bool keepdim) {
  switch (kind) {
    case Kind::Sum: return sum(t, dims, keepdim);
    case Kind::Mean: return mean(t, dims, keepdim);
    case Kind::Max: return amax(t, dims, keepdim);
    case Kind::Min: return amin(t, dims, keepdim);
  }
  return {};
}

// Which dims of an ndim shape `dims` names (all when empty).
std::vector<bool> reduced_mask(size_t ndim, const Dims& dims) {
  std::vector<bool> mask(ndim, dims.empty());
  for (int64_t d : dims) mask[static_cast<size_t>(d < 0 ? d + static_cast<int64_t>(ndim) : d)] = true;
  return mask;
}

Dims expected_shape(const Dims& shape, const Dims& dims, bool keepdim) {
  const auto mask = reduced_mask(shape.size(), dims);
  Dims out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Output position (row-major in the keepdim shape) of input element `linear`.
int64_t output_position(int64_t linear, const Dims& shape, const std::vector<bool>& mask) {
  int64_t position = 0, out_stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    const int64_t index = linear % shape[d];
    linear /= shape[d];
    if (mask[d]) continue;
    position += index * out_stride;
    out_stride *= shape[d];
  }
  return position;
}

// The plain loop: reduces row-major `values` of `shape` over `dims`.
std::vector<double> reference(Kind kind, const std::vector<double>& values, const Dims& shape, const Dims& dims) {
  const auto mask = reduced_mask(shape.size(), dims);
  const int64_t outputs = shape_numel(expected_shape(shape, dims, true));
  const double start = kind == Kind::Max   ? -INFINITY
                       : kind == Kind::Min ? INFINITY
                                           : 0.0;
  std::vector<double> acc(static_cast<size_t>(outputs), start);
  std::vector<int64_t> count(static_cast<size_t>(outputs), 0);
  for (int64_t i = 0; i < static_cast<int64_t>(values.size()); ++i) {
    const auto o = static_cast<size_t>(output_position(i, shape, mask));
    const double v = values[static_cast<size_t>(i)];
    ++count[o];
    if (kind == Kind::Sum || kind == Kind::Mean) acc[o] += v;
    else if (std::isnan(acc[o])) continue;
    else if (std::isnan(v) || (kind == Kind::Max ? v > acc[o] : v < acc[o])) acc[o] = v;
  }
  if (kind == Kind::Mean)
    for (size_t o = 0; o < acc.size(); ++o) acc[o] = count[o] ? acc[o] / static_cast<double>(count[o]) : kNaN;
  return acc;
}

// First index of the max (or min) along `dim`; a NaN wins.
std::vector<double> reference_arg(bool is_max, const std::vector<double>& values, const Dims& shape, int64_t dim) {
  const auto mask = reduced_mask(shape.size(), {dim});
  Dims keep = shape;
  keep[static_cast<size_t>(dim)] = 1;
  std::vector<double> best(static_cast<size_t>(shape_numel(keep)), 0.0), index(best.size(), -1.0);
  Dims strides = contiguous_strides(shape);
  for (int64_t i = 0; i < static_cast<int64_t>(values.size()); ++i) {
    const auto o = static_cast<size_t>(output_position(i, shape, mask));
    const double v = values[static_cast<size_t>(i)];
    const double along = static_cast<double>(i / strides[static_cast<size_t>(dim)] % shape[static_cast<size_t>(dim)]);
    const bool better = index[o] < 0 || (!std::isnan(best[o]) && (std::isnan(v) || (is_max ? v > best[o] : v < best[o])));
    if (better) {
      best[o] = v;
      index[o] = along;
    }
  }
  return index;
}

void check_every_dim_subset(const Dims& shape, uint32_t seed, double tol) {
  for (const auto& [layout, input] : layouts(shape, seed)) {
    ASSERT_EQ(input.sizes(), shape);
    const std::vector<double> values = input.to_vector<double>();
    for (int subset = 0; subset < 8; ++subset) {
      Dims dims;
      for (int d = 0; d < 3; ++d)
        if (subset & (1 << d)) dims.push_back(subset == 4 ? -1 : d);  // {2} spelled as {-1}
      for (bool keepdim : {false, true}) {
        for (Kind kind : kKinds) {
          SCOPED_TRACE(layout + " " + kind_name(kind) + " dims " + dims.str() + (keepdim ? " keepdim" : ""));
          const Tensor got = apply(kind, input, dims, keepdim);
          EXPECT_EQ(got.sizes(), expected_shape(shape, dims, keepdim));
          EXPECT_EQ(got.dtype(), kFloat64);
          expect_values(got, reference(kind, values, shape, dims), tol);
        }
      }
    }
  }
}

TEST(ReduceOps, EveryDimSubsetMatchesLoop) { check_every_dim_subset({3, 4, 5}, 1, 1e-12); }

// Big enough for column mode with several chunks and for parallel outputs.
TEST(ReduceOps, EveryDimSubsetMatchesLoopLargerShape) { check_every_dim_subset({5, 33, 300}, 7, 1e-9); }

TEST(ReduceOps, ArgMaxArgMinEveryDimMatchesLoop) {
  for (const auto& [layout, input] : layouts({9, 20, 24}, 11)) {
    const std::vector<double> values = input.to_vector<double>();
    for (int64_t dim = 0; dim < 3; ++dim) {
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(layout + " dim " + std::to_string(dim) + (keepdim ? " keepdim" : ""));
        const Tensor argmax_index = input.argmax(dim, keepdim);
        EXPECT_EQ(argmax_index.dtype(), kInt64);
        EXPECT_EQ(argmax_index.sizes(), expected_shape(input.sizes(), {dim}, keepdim));
        expect_values(argmax_index, reference_arg(true, values, input.sizes(), dim), 0);
        expect_values(input.argmin(dim - 3, keepdim), reference_arg(false, values, input.sizes(), dim), 0);
        auto [max_values, max_index] = input.max(dim, keepdim);
        expect_values(max_values, reference(Kind::Max, values, input.sizes(), {dim}), 0);
        expect_values(max_index, reference_arg(true, values, input.sizes(), dim), 0);
        auto [min_values, min_index] = input.min(dim, keepdim);
        expect_values(min_values, reference(Kind::Min, values, input.sizes(), {dim}), 0);
        expect_values(min_index, reference_arg(false, values, input.sizes(), dim), 0);
      }
    }
  }
}

TEST(ReduceOps, WholeTensorResultsAreZeroDim) {
  const Tensor a = tensor(std::vector<double>{3, -1, 8, 2, 8, -4}, {2, 3}, dtype(kFloat64)).t();
  EXPECT_EQ(a.max().dim(), 0);
  EXPECT_EQ(a.max().item<double>(), 8);
  EXPECT_EQ(a.min().item<double>(), -4);
  EXPECT_EQ(a.sum().dim(), 0);
  EXPECT_DOUBLE_EQ(a.sum().item<double>(), 16);
  EXPECT_DOUBLE_EQ(a.mean().item<double>(), 16.0 / 6);
  // logical order of a.t() is 3, 2, -1, 8, 8, -4: the first 8 is at flat index 3
  EXPECT_EQ(a.argmax().dim(), 0);
  EXPECT_EQ(a.argmax().item<int64_t>(), 3);
  EXPECT_EQ(a.argmin().item<int64_t>(), 5);
  const Tensor kept = a.argmax(std::nullopt, true);
  EXPECT_EQ(kept.sizes(), (Dims{1, 1}));
  EXPECT_EQ(kept.item<int64_t>(), 3);
}

TEST(ReduceOps, FloatDtypesAreKept) {
  const Tensor a = tensor(std::vector<float>{1.5f, 2.5f, 3.0f, 4.0f}, {2, 2});
  EXPECT_EQ(a.sum().dtype(), kFloat32);
  EXPECT_EQ(a.mean({0}).dtype(), kFloat32);
  expect_values(a.mean({0}), {2.25, 3.25});
  expect_values(a.sum({1}, true), {4.0, 7.0});
  EXPECT_EQ(a.sum({1}, true).sizes(), (Dims{2, 1}));
}

TEST(ReduceOps, ExpandedInputCountsEveryRepeat) {
  const Tensor row = tensor(std::vector<double>{1, 2, 3}, {1, 3}, dtype(kFloat64)).expand({40, 3});
  expect_values(row.sum({0}), {40, 80, 120});
  expect_values(row.sum({1}), std::vector<double>(40, 6.0));
  EXPECT_DOUBLE_EQ(row.sum().item<double>(), 240);
  expect_values(amax(row, {0}), {1, 2, 3});
}

TEST(ReduceSum, Int64SumsExactly) {
  const int64_t big = int64_t{1} << 60;
  const Tensor a = tensor(std::vector<int64_t>{big, 1, 3, -5, 7, 2}, {2, 3});
  EXPECT_EQ(a.sum().dtype(), kInt64);
  EXPECT_EQ(a.sum().item<int64_t>(), big + 8);
  EXPECT_EQ(a.sum({1}).to_vector<int64_t>(), (std::vector<int64_t>{big + 4, 4}));
  EXPECT_EQ(a.sum({0}).to_vector<int64_t>(), (std::vector<int64_t>{big - 5, 8, 5}));
  EXPECT_EQ(a.max().item<int64_t>(), big);
  EXPECT_EQ(amin(a, {1}).to_vector<int64_t>(), (std::vector<int64_t>{1, -5}));
}

TEST(ReduceSum, BoolAndUInt8SumToInt64) {
  const Tensor flags = tensor(std::vector<int64_t>{1, 0, 1, 1, 0, 1}, {2, 3}, dtype(kBool));
  EXPECT_EQ(flags.sum().dtype(), kInt64);
  EXPECT_EQ(flags.sum().item<int64_t>(), 4);
  EXPECT_EQ(flags.sum({0}).to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 2}));
  EXPECT_EQ(flags.max().dtype(), kBool);
  EXPECT_TRUE(flags.max().item<bool>());
  EXPECT_FALSE(flags.min().item<bool>());
  const Tensor bytes = tensor(std::vector<int64_t>{200, 255, 100}, {3}, dtype(kUInt8));
  EXPECT_EQ(bytes.sum().dtype(), kInt64);
  EXPECT_EQ(bytes.sum().item<int64_t>(), 555);  // no uint8 wrap-around
  EXPECT_EQ(bytes.argmax().item<int64_t>(), 1);
  EXPECT_EQ(amin(bytes, {0}).item<int64_t>(), 100);
}

TEST(ReduceNaN, MaxAndMinPropagateNaN) {
  const Tensor a = tensor(std::vector<double>{1, kNaN, 3, kNaN, -1}, {5}, dtype(kFloat64));
  EXPECT_TRUE(std::isnan(a.max().item<double>()));
  EXPECT_TRUE(std::isnan(a.min().item<double>()));
  EXPECT_EQ(a.argmax().item<int64_t>(), 1);  // the first NaN
  EXPECT_EQ(a.argmin().item<int64_t>(), 1);
  auto [values, indices] = a.max(0);
  EXPECT_TRUE(std::isnan(values.item<double>()));
  EXPECT_EQ(indices.item<int64_t>(), 1);

  // long contiguous runs take the multi-accumulator path
  std::vector<float> long_run(100, 1.0f);
  long_run[61] = NAN;
  const Tensor b = tensor(long_run);
  EXPECT_TRUE(std::isnan(b.max().item<float>()));
  EXPECT_TRUE(std::isnan(amin(b, {0}).item<float>()));
  EXPECT_EQ(b.argmax().item<int64_t>(), 61);
}

TEST(ReduceNaN, NaNStaysInItsColumn) {
  std::vector<double> v(6 * 20);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i % 7);
  v[2 * 20 + 5] = kNaN;  // the first NaN of column 5
  v[4 * 20 + 5] = kNaN;
  const Tensor a = tensor(v, {6, 20}, dtype(kFloat64));
  const std::vector<double> column_max = amax(a, {0}).to_vector<double>();
  for (size_t j = 0; j < 20; ++j) EXPECT_EQ(std::isnan(column_max[j]), j == 5) << "column " << j;
  EXPECT_EQ(a.argmax(0).to_vector<int64_t>()[5], 2);
  EXPECT_EQ(a.argmin(0).to_vector<int64_t>()[5], 2);
}

TEST(ReduceArg, TiesPickTheFirstIndex) {
  EXPECT_EQ(tensor(std::vector<double>{1, 3, 3, 2}).argmax().item<int64_t>(), 1);
  EXPECT_EQ(tensor(std::vector<double>{2, 1, 1, 5}).argmin().item<int64_t>(), 1);
  const Tensor flat = full({4, 20}, 7.0, dtype(kFloat64));
  EXPECT_EQ(flat.argmax(0).to_vector<int64_t>(), std::vector<int64_t>(20, 0));
  EXPECT_EQ(flat.argmax(1).to_vector<int64_t>(), std::vector<int64_t>(4, 0));
  EXPECT_EQ(flat.argmin(0).to_vector<int64_t>(), std::vector<int64_t>(20, 0));
  EXPECT_EQ(flat.t().argmax(1).to_vector<int64_t>(), std::vector<int64_t>(20, 0));
  EXPECT_EQ(flat.argmax().item<int64_t>(), 0);
  auto [values, indices] = flat.max(1, true);
  EXPECT_EQ(values.sizes(), (Dims{4, 1}));
  expect_values(values, {7, 7, 7, 7});
}

TEST(ReduceLarge, SumOfMillionElementsMatchesDoubleLoop) {
  const int64_t n = (int64_t{1} << 20) + 7;
  const std::vector<double> values = random_values(n, 42);
  double expected = 0;
  for (double v : values) expected += v;
  const Tensor a = tensor(values, {n}, dtype(kFloat64));
  EXPECT_NEAR(a.sum().item<double>(), expected, 1e-9);
  EXPECT_NEAR(a.mean().item<double>(), expected / static_cast<double>(n), 1e-14);

  std::vector<float> single(values.begin(), values.end());
  double expected_single = 0;
  for (float v : single) expected_single += v;
  const Tensor b = tensor(single);
  // accumulated in double: only the final rounding to float32 is lost
  EXPECT_NEAR(b.sum().item<float>(), expected_single, std::abs(expected_single) * 1e-7 + 1e-6);
}

// Rows of every length from 1 to 70 cover each path of a row's fold: short rows (plain
// loop), 16 or more (vector lanes for float max / min), 32 or more (argmax / argmin find
// the value, then its first index), and strided rows. Ties, NaN at several places and
// rows of infinities, in float64, float32 and int64, against the plain loops.
TEST(ReduceRows, EveryLengthTieAndNaNPlaceMatchesTheLoop) {
  const double inf = std::numeric_limits<double>::infinity();
  const auto expect_exactly = [](const Tensor& got, const std::vector<double>& want) {  // NaN matches NaN
    const std::vector<double> values = got.to_vector<double>();
    ASSERT_EQ(values.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_TRUE(values[i] == want[i] || (std::isnan(values[i]) && std::isnan(want[i])))
          << "row " << i << ": " << values[i] << ", want " << want[i];
  };
  std::mt19937 rng(17);
  for (int64_t n = 1; n <= 70; ++n) {
    std::vector<std::vector<double>> rows(6, std::vector<double>(static_cast<size_t>(n)));
    for (double& v : rows[0]) v = static_cast<double>(static_cast<int>(rng() % 7) - 3);  // many ties
    rows[1] = rows[0];
    rows[1][static_cast<size_t>(2 * n / 3)] = kNaN;
    rows[2] = rows[0];
    rows[2][static_cast<size_t>(n / 3)] = rows[2][static_cast<size_t>(n - 1)] = kNaN;
    std::fill(rows[3].begin(), rows[3].end(), -inf);
    std::fill(rows[4].begin(), rows[4].end(), inf);
    for (double& v : rows[5]) v = static_cast<double>(static_cast<int>(rng() % 5));
    std::vector<double> values;
    for (const auto& row : rows) values.insert(values.end(), row.begin(), row.end());
    const Dims shape{6, n};
    for (const DType type : {kFloat64, kFloat32, kInt64}) {
      std::vector<double> typed = values;
      if (type == kInt64) {  // no NaN or infinity: those rows become ties of 9
        for (double& v : typed)
          if (!std::isfinite(v)) v = 9;
      }
      const Tensor contiguous = tensor(typed, shape, dtype(kFloat64)).to(type);
      const Tensor strided = contiguous.t().contiguous().t();
      for (const auto& [layout, x] : {std::pair{"contiguous", contiguous}, std::pair{"strided", strided}}) {
        SCOPED_TRACE(std::string(layout) + " " + std::string(dtype_name(type)) + " n = " + std::to_string(n));
        expect_exactly(amax(x, {1}), reference(Kind::Max, typed, shape, {1}));
        expect_exactly(amin(x, {1}), reference(Kind::Min, typed, shape, {1}));
        expect_exactly(x.argmax(1), reference_arg(true, typed, shape, 1));
        expect_exactly(x.argmin(1), reference_arg(false, typed, shape, 1));
        auto [max_values, max_index] = x.max(1);
        expect_exactly(max_values, reference(Kind::Max, typed, shape, {1}));
        expect_exactly(max_index, reference_arg(true, typed, shape, 1));
      }
    }
  }
}

// max(dim) / min(dim) give the element at the index they return, to the bit: among +0 and
// -0 (equal) or NaNs of either sign the first one, at every path's length.
TEST(ReduceRows, ValueIsTheElementAtItsIndexToTheBit) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t n : {5, 20, 40, 100}) {
    std::vector<double> zeros_row(static_cast<size_t>(n), -1.0), nan_row(static_cast<size_t>(n), -1.0);
    zeros_row[1] = 0.0;
    zeros_row[static_cast<size_t>(n - 2)] = -0.0;
    nan_row[1] = -nan;
    nan_row[static_cast<size_t>(n - 1)] = nan;
    std::vector<double> values = zeros_row;
    values.insert(values.end(), nan_row.begin(), nan_row.end());
    for (const DType type : {kFloat64, kFloat32}) {
      SCOPED_TRACE(std::string(dtype_name(type)) + " n = " + std::to_string(n));
      const Tensor x = tensor(values, {2, n}, dtype(kFloat64)).to(type);
      {
        auto [max_values, max_index] = x.max(1);
        auto [min_values, min_index] = (-x).min(1);  // -0 first, then +0; +NaN first, then -NaN
        const std::vector<double> all = x.to_vector<double>();
        for (int64_t r = 0; r < 2; ++r) {
          const int64_t at = max_index.to_vector<int64_t>()[static_cast<size_t>(r)];
          EXPECT_EQ(at, 1) << "row " << r;
          EXPECT_EQ(std::bit_cast<uint64_t>(max_values.to_vector<double>()[static_cast<size_t>(r)]),
                    std::bit_cast<uint64_t>(all[static_cast<size_t>(r * n + at)]))
              << "row " << r;
          const int64_t min_at = min_index.to_vector<int64_t>()[static_cast<size_t>(r)];
          EXPECT_EQ(min_at, 1) << "row " << r;
          EXPECT_EQ(std::bit_cast<uint64_t>(min_values.to_vector<double>()[static_cast<size_t>(r)]),
                    std::bit_cast<uint64_t>(-all[static_cast<size_t>(r * n + min_at)]))
              << "row " << r;
        }
      }
    }
  }
}

// Partial results of different blocks (and threads) still keep the first index.
TEST(ReduceLarge, ArgMaxAcrossBlocksKeepsTheFirstIndex) {
  std::vector<double> values = random_values((int64_t{1} << 20) + 7, 6);
  values[700000] = values[900000] = 10;
  values[123456] = values[1000000] = -10;
  const Tensor a = tensor(values, dtype(kFloat64));
  EXPECT_EQ(a.argmax().item<int64_t>(), 700000);
  EXPECT_EQ(a.argmin().item<int64_t>(), 123456);
  EXPECT_EQ(a.max().item<double>(), 10);
  values[800000] = values[1000001] = kNaN;
  const Tensor with_nan = tensor(values, dtype(kFloat64));
  EXPECT_EQ(with_nan.argmax().item<int64_t>(), 800000);
  EXPECT_EQ(with_nan.argmin(0).item<int64_t>(), 800000);
  EXPECT_TRUE(std::isnan(amax(with_nan, {0}).item<double>()));
}

TEST(ReduceLarge, ResultDoesNotDependOnThreadCount) {
  const Tensor a = tensor(random_values((int64_t{1} << 20) + 7, 5), dtype(kFloat64));
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one_thread = a.sum().item<double>();
  omp_set_num_threads(std::max(2, threads));
  const double many_threads = a.sum().item<double>();
  omp_set_num_threads(threads);
  EXPECT_EQ(one_thread, many_threads);
  EXPECT_EQ(a.sum().item<double>(), a.sum().item<double>());
}

TEST(ReduceLarge, TransposedMillionElements) {
  const Tensor base = tensor(random_values(1031 * 1024, 9), {1031, 1024}, dtype(kFloat64));
  const Tensor a = base.t();  // [1024, 1031], column-major
  const std::vector<double> values = a.to_vector<double>();
  const Dims shape = a.sizes();
  double total = 0;
  for (double v : values) total += v;
  EXPECT_NEAR(a.sum().item<double>(), total, 1e-8);
  expect_values(a.sum({0}), reference(Kind::Sum, values, shape, {0}), 1e-9);
  expect_values(a.sum({1}), reference(Kind::Sum, values, shape, {1}), 1e-9);
  expect_values(amax(a, {1}), reference(Kind::Max, values, shape, {1}), 0);
  expect_values(a.argmax(0), reference_arg(true, values, shape, 0), 0);
}

TEST(ReduceEmpty, SumIsZeroMeanIsNaN) {
  const Tensor empty_vector = zeros({0}, dtype(kFloat64));
  EXPECT_EQ(empty_vector.sum().item<double>(), 0.0);
  EXPECT_TRUE(std::isnan(empty_vector.mean().item<double>()));
  const Tensor no_rows = zeros({0, 3}, dtype(kFloat32));
  EXPECT_EQ(no_rows.sum({0}).sizes(), (Dims{3}));
  expect_values(no_rows.sum({0}), {0, 0, 0});
  EXPECT_EQ(no_rows.sum({1}).sizes(), (Dims{0}));
  EXPECT_EQ(amax(no_rows, {1}).sizes(), (Dims{0}));  // nothing is reduced over an empty dim
  EXPECT_EQ(zeros({0}, dtype(kInt64)).sum().item<int64_t>(), 0);
}

TEST(ReduceZeroDim, ScalarsReduceToThemselves) {
  const Tensor s = scalar_tensor(2.5, dtype(kFloat64));
  EXPECT_EQ(s.sum().dim(), 0);
  EXPECT_EQ(s.sum().item<double>(), 2.5);
  EXPECT_EQ(s.sum({0}).item<double>(), 2.5);
  EXPECT_EQ(s.max().item<double>(), 2.5);
  auto [value, index] = s.max(0, true);
  EXPECT_EQ(value.dim(), 0);
  EXPECT_EQ(index.item<int64_t>(), 0);
  EXPECT_EQ(s.argmax(-1).item<int64_t>(), 0);
}

TEST(ReduceErrors, MessagesMatchPyTorch) {
  const Tensor a = ones({2, 3}, dtype(kFloat64));
  EXPECT_EMBER_ERROR(a.sum({2}), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EMBER_ERROR(a.argmax(-3), "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
  EXPECT_EMBER_ERROR(a.max(5), "Dimension out of range");
  EXPECT_EMBER_ERROR(a.sum({1, 1}), "dim 1 appears multiple times in the list of dims");
  EXPECT_EMBER_ERROR(a.mean({1, -1}), "dim 1 appears multiple times in the list of dims");
  EXPECT_EMBER_ERROR(ones({3}, dtype(kInt64)).mean(),
                     "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                     "dtype. Got: Long");
  EXPECT_EMBER_ERROR(ones({3}, dtype(kBool)).mean({0}), "Got: Bool");
  const Tensor empty = zeros({0, 3}, dtype(kFloat32));
  EXPECT_EMBER_ERROR(empty.max(), "max(): Expected reduction dim to be specified for input.numel() == 0");
  EXPECT_EMBER_ERROR(empty.min(), "min(): Expected reduction dim to be specified for input.numel() == 0");
  EXPECT_EMBER_ERROR(empty.argmax(), "argmax(): Expected reduction dim to be specified for input.numel() == 0");
  EXPECT_EMBER_ERROR(empty.max(0), "max(): Expected reduction dim 0 to have non-zero size");
  EXPECT_EMBER_ERROR(amax(empty, {0}), "amax(): Expected reduction dim 0 to have non-zero size");
  EXPECT_EMBER_ERROR(empty.argmin(0), "argmin(): Expected reduction dim 0 to have non-zero size");
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// Contiguous float sums take vector_math::accumulate_run: AVX2's four vectors add in the
// scalar sixteen-lane order, so both give the same bits at every length, and a tensor's
// sum over a dim is that fold of each row.
TEST(ReduceLanes, VectorAndScalarAccumulateTheSameBits) {
  namespace vm = cpu::vector_math;
  std::vector<float> values(200);
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::ldexp(1.0f + 0.37f * static_cast<float>(i % 13), static_cast<int>(i % 40) - 20);
  std::vector<double> doubles(values.begin(), values.end());
  for (const vm::Isa isa : {vm::Isa::Scalar, vm::Isa::Avx2}) {
    if (!vm::isa_available(isa)) continue;
    for (int64_t n = 0; n <= 200; ++n) {
      double want = 0.25, lanes[vm::kAccumulateLanes] = {};
      int64_t i = 0;
      for (; i + vm::kAccumulateLanes <= n; i += vm::kAccumulateLanes)
        for (int l = 0; l < vm::kAccumulateLanes; ++l) lanes[l] += static_cast<double>(values[static_cast<size_t>(i + l)]);
      if (i > 0)
        for (double lane : lanes) want += lane;
      for (; i < n; ++i) want += static_cast<double>(values[static_cast<size_t>(i)]);
      EXPECT_EQ(vm::accumulate_run_with(isa, 0.25, values.data(), n), want) << vm::isa_name(isa) << ", n = " << n;
      EXPECT_EQ(vm::accumulate_run_with(isa, 0.25, doubles.data(), n), want) << vm::isa_name(isa) << ", n = " << n;
    }
  }
  const Tensor x = tensor(std::vector<float>(values.begin(), values.begin() + 150)).reshape({3, 50});
  const std::vector<float> sums = x.sum(1).to_vector<float>();
  for (int64_t r = 0; r < 3; ++r)
    EXPECT_EQ(sums[static_cast<size_t>(r)], static_cast<float>(vm::accumulate_run_with(vm::Isa::Scalar, 0.0, values.data() + 50 * r, 50)));
}

}  // namespace
}  // namespace ember
