// sort, argsort and topk against PyTorch 1.13's values (NaN, ±0, ±inf, ties), every dim of
// non-contiguous inputs, dtypes, 0-dim and empty inputs, errors; float64 gradcheck (inputs
// without ties); and sort_key (core/sort_keys.h), the order CUDA's radix sort uses too.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/sort_keys.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_exact;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::random_values;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor longs(const std::vector<int64_t>& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }

// Exact values, NaN equal to NaN and the sign of zero compared too.
void expect_indices(const Tensor& t, const std::vector<int64_t>& expected) {
  EXPECT_EQ(t.dtype(), kInt64);
  EXPECT_EQ(t.to_vector<int64_t>(), expected);
}

// PyTorch 1.13:
//   t = torch.tensor([[3., nan, 1., -0.0, 2., 1.], [0.5, -1., 7., 7., -inf, inf]], dtype=torch.float64)
//   t.sort()                  -> [-0., 1, 1, 2, 3, nan, -inf, -1, 0.5, 7, 7, inf], [3,2,5,4,0,1, 4,1,0,2,3,5]
//   t.sort(descending=True)   -> [nan, 3, 2, 1, 1, -0., inf, 7, 7, 0.5, -1, -inf], [1,0,4,2,5,3, 5,2,3,0,1,4]
//   t.sort(dim=0)             -> [0.5,-1,1,-0.,-inf,1, 3,nan,7,7,2,inf], [1,1,0,0,1,0, 0,0,1,1,0,1]
//   t.topk(3)                 -> [nan, 3, 2, inf, 7, 7], [1,0,4, 5,3,2]
//   t.topk(2, largest=False)  -> [-0., 1, -inf, -1], [3,5, 4,1]
// PyTorch's topk returns the tied 7s (and 1s) in another order than the input's; ember's
// are lowest index first (Note [Sort order of ties and NaN]).
const std::vector<double> kRows{3, kNaN, 1, -0.0, 2, 1, 0.5, -1, 7, 7, -kInf, kInf};

TEST(Sort, NaNAndTiesAsPyTorch) {
  const Tensor t = tensor(kRows, {2, 6}, dtype(kFloat64));
  auto [v, i] = t.sort();
  expect_exact(v, {-0.0, 1, 1, 2, 3, kNaN, -kInf, -1, 0.5, 7, 7, kInf});
  expect_indices(i, {3, 2, 5, 4, 0, 1, 4, 1, 0, 2, 3, 5});
  auto [vd, id] = sort(t, -1, /*descending=*/true);
  expect_exact(vd, {kNaN, 3, 2, 1, 1, -0.0, kInf, 7, 7, 0.5, -1, -kInf});
  expect_indices(id, {1, 0, 4, 2, 5, 3, 5, 2, 3, 0, 1, 4});
  auto [v0, i0] = t.sort(0);
  expect_exact(v0, {0.5, -1, 1, -0.0, -kInf, 1, 3, kNaN, 7, 7, 2, kInf});
  expect_indices(i0, {1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1});
  EXPECT_TRUE(equal(t.argsort(), i));
  EXPECT_TRUE(equal(argsort(t, 0), i0));
  auto [vs, is] = t.sort(-1, false, /*stable=*/true);  // stable: the same (always stable)
  EXPECT_TRUE(equal(is, i));
  // float32 and a negative NaN (x86's default NaN has its sign bit set) sort last too
  const Tensor f = tensor(std::vector<double>{1, -kNaN, -2, kNaN, 0}, {5}, dtype(kFloat32));
  expect_indices(std::get<1>(f.sort()), {2, 4, 0, 1, 3});
}

TEST(Topk, NaNFirstAndTiesLowestIndexFirst) {
  const Tensor t = tensor(kRows, {2, 6}, dtype(kFloat64));
  auto [v, i] = t.topk(3);
  expect_exact(v, {kNaN, 3, 2, kInf, 7, 7});
  expect_indices(i, {1, 0, 4, 5, 2, 3});  // PyTorch: [1, 0, 4, 5, 3, 2]
  auto [vs, is] = topk(t, 2, -1, /*largest=*/false);
  expect_exact(vs, {-0.0, 1, -kInf, -1});
  expect_indices(is, {3, 2, 4, 1});  // PyTorch: [3, 5, 4, 1]
  auto [vu, iu] = t.topk(3, -1, true, /*sorted=*/false);  // always sorted
  EXPECT_TRUE(equal(iu, i));
  auto [v0, i0] = t.topk(1, 0);
  expect_exact(v0, {3, kNaN, 7, 7, 2, kInf});
  expect_indices(i0, {0, 0, 1, 1, 0, 1});
}

// Every dim of a transposed and of a sliced input, against the sort of a contiguous copy;
// topk is sort's first k, for rows long enough to take partial_sort and run in parallel.
TEST(Sort, NonContiguousInputsEveryDim) {
  const Tensor base = tensor(random_values(4 * 5 * 6, 7), {4, 5, 6}, dtype(kFloat64));
  const std::vector<Tensor> inputs{base.transpose(0, 2), base.slice(2, 0, 6, 2), base.permute({1, 2, 0})};
  for (const Tensor& a : inputs) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      const Tensor c = a.contiguous();
      auto [v, i] = a.sort(dim, dim == 1);
      auto [vc, ic] = c.sort(dim, dim == 1);
      EXPECT_TRUE(v.is_contiguous());
      EXPECT_TRUE(equal(v, vc));
      EXPECT_TRUE(equal(i, ic));
      EXPECT_TRUE(equal(a.gather(dim, i), v));  // the indices pick the values
      auto [tv, ti] = a.topk(2, dim, dim != 1);
      EXPECT_TRUE(equal(tv, std::get<0>(c.sort(dim, dim != 1)).narrow(dim, 0, 2)));
      EXPECT_TRUE(equal(a.gather(dim, ti), tv));
    }
  }
  const Tensor wide = randn({300, 500});
  auto [tv, ti] = wide.topk(7, 1);
  auto [sv, si] = wide.sort(1, true);
  EXPECT_TRUE(equal(tv, sv.narrow(1, 0, 7)));
  EXPECT_TRUE(equal(ti, si.narrow(1, 0, 7)));
}

// PyTorch 1.13: torch.tensor([1, 5, 2, 5, 2]).topk(2) -> [5, 5], [1, 3]; as bfloat16 too;
// .sort() in bfloat16 -> [1, 2, 2, 5, 5], [0, 2, 4, 1, 3].
TEST(Sort, IntegerBFloat16UInt8AndBool) {
  const std::vector<int64_t> v{1, 5, 2, 5, 2};
  auto [iv, ii] = longs(v, {5}).topk(2);
  EXPECT_EQ(iv.to_vector<int64_t>(), (std::vector<int64_t>{5, 5}));
  expect_indices(ii, {1, 3});
  const Tensor b = longs(v, {5}).to(kBFloat16);
  auto [bv, bi] = b.sort();
  EXPECT_EQ(bv.dtype(), kBFloat16);
  expect_values(bv, {1, 2, 2, 5, 5}, 0.0);
  expect_indices(bi, {0, 2, 4, 1, 3});
  expect_indices(std::get<1>(b.topk(2)), {1, 3});
  const Tensor big = longs({std::numeric_limits<int64_t>::max(), -3, std::numeric_limits<int64_t>::min(), 0}, {4});
  expect_indices(big.argsort(), {2, 1, 3, 0});
  expect_indices(longs({3, 200, 1}, {3}).to(kUInt8).argsort(0, true), {1, 0, 2});
  // PyTorch: torch.tensor([True, False]).sort() -> [False, True], [1, 0]
  auto [tv, ti] = tensor(std::vector<double>{1, 0}, {2}, dtype(kFloat64)).to(kBool).sort();
  EXPECT_EQ(tv.dtype(), kBool);
  expect_indices(ti, {1, 0});
}

// PyTorch 1.13: torch.tensor(3.).sort() -> (3., 0); .topk(1) and .topk(0) -> (3., 0);
// torch.zeros(0, 3).topk(2) -> [0, 2]; torch.zeros(3, 0).topk(0) -> [3, 0].
TEST(Sort, ScalarsAndEmptyInputs) {
  const Tensor s = scalar_tensor(3.0, dtype(kFloat64));
  for (const auto& [v, i] : {s.sort(), s.topk(1), s.topk(0), s.sort(-1, true)}) {
    EXPECT_EQ(v.dim(), 0);
    EXPECT_EQ(v.item<double>(), 3.0);
    EXPECT_EQ(i.dim(), 0);
    EXPECT_EQ(i.item<int64_t>(), 0);
  }
  EXPECT_EQ(std::get<0>(zeros({0, 3}).topk(2)).sizes(), (Dims{0, 2}));
  EXPECT_EQ(std::get<1>(zeros({0, 3}).sort(0)).sizes(), (Dims{0, 3}));
  EXPECT_EQ(std::get<0>(zeros({3, 0}).topk(0)).sizes(), (Dims{3, 0}));
  EXPECT_EQ(std::get<0>(zeros({2, 3}).topk(0)).sizes(), (Dims{2, 0}));
}

// PyTorch 1.13's messages.
TEST(Sort, BadArgumentsAreClearErrors) {
  const Tensor x = zeros({2, 5});
  EXPECT_EMBER_ERROR(x.topk(6), "selected index k out of range");
  EXPECT_EMBER_ERROR(x.topk(-1), "selected index k out of range");
  EXPECT_EMBER_ERROR(zeros({3, 0}).topk(1), "selected index k out of range");
  EXPECT_EMBER_ERROR(scalar_tensor(3.0).topk(2), "selected index k out of range");
  EXPECT_EMBER_ERROR(x.sort(2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EMBER_ERROR(scalar_tensor(3.0).topk(1, 1), "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  EXPECT_EMBER_ERROR(zeros({2}, dtype(kBool)).topk(1), "\"topk\" not implemented for 'Bool'");
}

// The values' gradient goes back to their indices (inputs without ties, spaced far wider
// than gradcheck's step, so the order never changes).
TEST(Sort, GradientsByGradcheckAndByValue) {
  const std::vector<double> spread{0.3, -1.2, 0.8, 2.1, -0.4, 1.5, -2.6, 0.05, 1.1, -0.9, 2.7, -1.7};
  const auto input = [&] { return tensor(spread, {3, 4}, TensorOptions(kFloat64).requires_grad(true)); };
  for (int64_t dim = 0; dim < 2; ++dim) {
    expect_gradcheck([dim](const std::vector<Tensor>& in) { return std::get<0>(in[0].sort(dim)); }, {input()});
    expect_gradcheck([dim](const std::vector<Tensor>& in) { return std::get<0>(in[0].sort(dim, true)); }, {input()});
    expect_gradcheck([dim](const std::vector<Tensor>& in) { return std::get<0>(in[0].topk(2, dim)); }, {input()});
    expect_gradcheck([dim](const std::vector<Tensor>& in) { return std::get<0>(in[0].topk(2, dim, false)); }, {input()});
    EXPECT_TRUE(autograd::gradgradcheck(
        [dim](const std::vector<Tensor>& in) { return std::get<0>(in[0].topk(2, dim)) * std::get<0>(in[0].topk(2, dim)); },
        {input()}));
  }
  const Tensor x = ember::testing::leaf({3, 1, 2}, {3});
  auto [v, i] = x.topk(2);
  EXPECT_EQ(v.grad_fn()->name(), "TopkBackward");
  EXPECT_EQ(i.grad_fn(), nullptr);
  EXPECT_FALSE(i.requires_grad());
  (v * tensor(std::vector<double>{10, 20}, {2}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {10, 0, 20}, 0.0);
  auto [sv, si] = x.sort();
  EXPECT_EQ(sv.grad_fn()->name(), "SortBackward");
  EXPECT_EQ(x.argsort().grad_fn(), nullptr);
  const Tensor s = ember::testing::leaf({4}, {});
  std::get<0>(s.sort()).backward();
  EXPECT_EQ(s.grad().item<double>(), 1.0);
}

// sort_key: the order both devices sort by (CUDA radix-sorts these keys).
template <typename T>
void expect_increasing_keys(const std::vector<T>& values) {
  for (size_t i = 1; i < values.size(); ++i)
    EXPECT_LT(sort_key(values[i - 1]), sort_key(values[i])) << "at " << i;
}
// Rows of 256 or more are radix sorted on the CPU: rows around that length with many ties,
// NaN, +-0 and +-inf, in every dtype, ascending and descending, against a stable sort of
// the positions by value (NaN last, -0 equal to +0, ties in position order).
TEST(Sort, LongRowsSortAsAStableSortOfTheirValues) {
  std::mt19937 rng(21);
  const std::vector<double> pool = {-kInf, -3.5, -1.0, -0.0, 0.0, 0.5, 2.0, 7.0, 100.0, kInf, kNaN};
  const auto before = [](double a, double b) {  // the order of the values, NaN after everything
    if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);
    return a < b;
  };
  for (const DType type : {kFloat64, kFloat32, kBFloat16, kInt64, kUInt8, kBool}) {
    for (int64_t n : {255, 256, 257, 5000}) {
      SCOPED_TRACE(std::string(dtype_name(type)) + " n = " + std::to_string(n));
      const int64_t rows = 3;
      std::vector<double> values(static_cast<size_t>(rows * n));
      for (double& v : values) {
        v = pool[rng() % pool.size()];
        if (type == kInt64 && !std::isfinite(v)) v = (v > 0 ? 1e12 : -1e12);
        if (type == kInt64 && std::isnan(v)) v = 3.0;
        if (type == kUInt8) v = std::isfinite(v) ? std::abs(std::trunc(v)) : 255.0;
        if (type == kBool) v = (std::isfinite(v) && v != 0.0) ? 1.0 : 0.0;
      }
      const Tensor x = tensor(values, {rows, n}, dtype(kFloat64)).to(type);
      const std::vector<double> exact = x.to_vector<double>();  // the values as the dtype holds them
      for (bool descending : {false, true}) {
        auto [sorted, order] = sort(x, 1, descending);
        const std::vector<int64_t> got_order = order.to_vector<int64_t>();
        const std::vector<double> got_values = sorted.to_vector<double>();
        for (int64_t r = 0; r < rows; ++r) {
          std::vector<int64_t> want(static_cast<size_t>(n));
          for (int64_t j = 0; j < n; ++j) want[static_cast<size_t>(j)] = j;
          const double* row = exact.data() + r * n;
          std::stable_sort(want.begin(), want.end(), [&](int64_t a, int64_t b) {
            return descending ? before(row[b], row[a]) : before(row[a], row[b]);
          });
          for (int64_t j = 0; j < n; ++j) {
            const size_t at = static_cast<size_t>(r * n + j);
            ASSERT_EQ(got_order[at], want[static_cast<size_t>(j)]) << (descending ? "descending" : "ascending")
                                                                   << ", row " << r << ", place " << j;
            const double v = row[want[static_cast<size_t>(j)]];
            ASSERT_TRUE(std::isnan(v) ? std::isnan(got_values[at]) : std::signbit(got_values[at]) == std::signbit(v))
                << "place " << j;
          }
        }
      }
      for (int64_t k : {int64_t{10}, n / 2}) {  // topk (a partial sort): the sort's first k; bool has none, as PyTorch
        if (type == kBool) break;
        EXPECT_TRUE(equal(std::get<1>(x.topk(k, 1, true)), std::get<1>(sort(x, 1, true)).narrow(1, 0, k))) << k;
        EXPECT_TRUE(equal(std::get<1>(x.topk(k, 1, false)), std::get<1>(sort(x, 1, false)).narrow(1, 0, k))) << k;
      }
    }
  }
}

TEST(Sort, SortKeysOrderEveryValueAsTheCpuSort) {
  const float fmin = std::numeric_limits<float>::denorm_min();
  expect_increasing_keys<float>({-std::numeric_limits<float>::infinity(), -3e38f, -1.0f, -fmin, 0.0f, fmin, 1.0f, 3e38f,
                                 std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()});
  EXPECT_EQ(sort_key(-0.0f), sort_key(0.0f));
  EXPECT_EQ(sort_key(-std::numeric_limits<float>::quiet_NaN()), sort_key(std::numeric_limits<float>::quiet_NaN()));
  const double dmin = std::numeric_limits<double>::denorm_min();
  expect_increasing_keys<double>({-kInf, -1e308, -1.0, -dmin, 0.0, dmin, 1.0, 1e308, kInf, kNaN});
  EXPECT_EQ(sort_key(-0.0), sort_key(0.0));
  EXPECT_EQ(sort_key(-kNaN), sort_key(kNaN));
  expect_increasing_keys<BFloat16>({BFloat16(-1e38f), BFloat16(-1.0f), BFloat16(0.0f), BFloat16(2.0f),
                                    BFloat16(std::numeric_limits<float>::infinity()),
                                    BFloat16(std::numeric_limits<float>::quiet_NaN())});
  expect_increasing_keys<int64_t>({std::numeric_limits<int64_t>::min(), -1, 0, 1, std::numeric_limits<int64_t>::max()});
  expect_increasing_keys<uint8_t>({0, 1, 200, 255});
}

}  // namespace
}  // namespace ember
