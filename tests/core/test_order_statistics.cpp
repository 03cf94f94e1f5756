// kthvalue, median, nanmedian, quantile and nanquantile against PyTorch 1.13's values
// (NaN rows, every interpolation, keepdim, flattened), float64 gradchecks, errors.
#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::leaf;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// PyTorch 1.13: x = torch.tensor([[3.,1.,nan,2.,nan],[4.,2.,7.,1.,5.],[0.5,-1.,3.,3.5,-2.]], dtype=torch.float64)
Tensor rows_with_nan() {
  return tensor(std::vector<double>{3, 1, kNaN, 2, kNaN, 4, 2, 7, 1, 5, 0.5, -1, 3, 3.5, -2}, {3, 5}, dtype(kFloat64));
}

void expect_with_nan(const Tensor& t, const std::vector<double>& expected, double tol = 1e-12) {
  const auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": " << got[i];
    else EXPECT_NEAR(got[i], expected[i], tol) << "at " << i;
  }
}

TEST(OrderStatistics, MedianAndNanMedianAsPyTorch) {
  const Tensor x = rows_with_nan();
  auto [m, mi] = median(x, 1);
  expect_with_nan(m, {kNaN, 4, 0.5});
  EXPECT_EQ(mi.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 0}));  // the first NaN's index
  auto [nm, nmi] = nanmedian(x, 1);
  expect_with_nan(nm, {2, 4, 0.5});
  EXPECT_EQ(nmi.to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 0}));
  auto [m0, m0i] = x.median(0);
  expect_with_nan(m0, {3, 1, kNaN, 2, kNaN});
  EXPECT_EQ(m0i.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0, 0}));
  EXPECT_TRUE(std::isnan(x.median().item<double>()));
  EXPECT_EQ(x.nanmedian().item<double>(), 2.0);
  EXPECT_EQ(median(x.narrow(0, 1, 2)).item<double>(), 2.0);
  // even counts give the lower middle; keepdim; 0-dim and empty
  auto [ev, evi] = tensor(std::vector<double>{4, 1, 3, 2}, {1, 4}).median(1, /*keepdim=*/true);
  EXPECT_EQ(ev.sizes(), (Dims{1, 1}));
  EXPECT_EQ(ev.item<double>(), 2.0);
  EXPECT_EQ(evi.item<int64_t>(), 3);
  EXPECT_TRUE(std::isnan(median(zeros({0})).item<double>()));
  auto [all_nan, all_nan_i] = nanmedian(full({3}, kNaN), 0);
  EXPECT_TRUE(std::isnan(all_nan.item<double>()));
  EXPECT_EQ(all_nan_i.item<int64_t>(), 0);
  EXPECT_EQ(std::get<0>(median(full({}, 5.0), 0)).item<double>(), 5.0);
  // integers
  auto [im, imi] = median(tensor(std::vector<int64_t>{7, 1, 4, 9, 2, 8}, {2, 3}), 1);
  EXPECT_EQ(im.dtype(), kInt64);
  EXPECT_EQ(im.to_vector<int64_t>(), (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(imi.to_vector<int64_t>(), (std::vector<int64_t>{2, 2}));
}

TEST(OrderStatistics, KthValueAsPyTorch) {
  const Tensor x = rows_with_nan();
  auto [v, i] = kthvalue(x, 2, 1);
  expect_with_nan(v, {2, 2, -1});
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{3, 1, 1}));
  auto [v0, i0] = x.kthvalue(3, 0, /*keepdim=*/true);
  EXPECT_EQ(v0.sizes(), (Dims{1, 5}));
  expect_with_nan(v0, {4, 2, kNaN, 3.5, kNaN});
  EXPECT_EQ(i0.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 0, 2, 0}));
  // a non-contiguous input: the transpose's rows are x's columns
  auto [vt, it] = kthvalue(x.t(), 1, 1);
  expect_with_nan(vt, {0.5, -1, 3, 1, -2});
  EXPECT_EQ(it.to_vector<int64_t>(), (std::vector<int64_t>{2, 2, 2, 1, 2}));
  EXPECT_EMBER_ERROR(kthvalue(x, 6, 1), "kthvalue(): selected number k out of range for dimension 1");
  EXPECT_EMBER_ERROR(kthvalue(x, 0, 1), "selected number k out of range");
}

TEST(OrderStatistics, QuantileEveryInterpolationAsPyTorch) {
  const Tensor y = rows_with_nan().narrow(0, 1, 2);  // no NaN
  const Tensor q = tensor(std::vector<double>{0.0, 0.1, 0.5, 0.75, 1.0}, {5}, dtype(kFloat64));
  const std::vector<std::pair<const char*, std::vector<double>>> expected{
      {"linear", {1.0, -2.0, 1.4, -1.6, 4.0, 0.5, 5.0, 3.0, 7.0, 3.5}},
      {"lower", {1.0, -2.0, 1.0, -2.0, 4.0, 0.5, 5.0, 3.0, 7.0, 3.5}},
      {"higher", {1.0, -2.0, 2.0, -1.0, 4.0, 0.5, 5.0, 3.0, 7.0, 3.5}},
      {"midpoint", {1.0, -2.0, 1.5, -1.5, 4.0, 0.5, 5.0, 3.0, 7.0, 3.5}},
      {"nearest", {1.0, -2.0, 1.0, -2.0, 4.0, 0.5, 5.0, 3.0, 7.0, 3.5}},
  };
  for (const auto& [mode, values] : expected) {
    Tensor got = quantile(y, q, 1, false, mode);
    EXPECT_EQ(got.sizes(), (Dims{5, 2})) << mode;
    expect_values(got, values, 1e-12);
  }
  EXPECT_NEAR(y.quantile(0.3).item<double>(), 0.85, 1e-12);
  Tensor keep = quantile(y, 0.3, 0, /*keepdim=*/true);
  EXPECT_EQ(keep.sizes(), (Dims{1, 5}));
  expect_values(keep, {1.55, -0.1, 4.2, 1.75, 0.1}, 1e-12);
  EXPECT_EQ(quantile(y, 0.3, std::nullopt, true).sizes(), (Dims{1, 1}));
  EXPECT_EQ(quantile(y, tensor(std::vector<double>{0.3}, {1}, dtype(kFloat64)), std::nullopt, true).sizes(),
            (Dims{1, 1, 1}));
  // q = 0.5 with nearest: rank 1.5 rounds to even (2), as torch.round
  expect_values(quantile(tensor(std::vector<float>{1, 5, 2, 8}, {4}), 0.5, 0, false, "nearest"), {5});
}

TEST(OrderStatistics, QuantileWithNaNAsPyTorch) {
  const Tensor x = rows_with_nan();
  expect_with_nan(quantile(x, 0.25, 1), {kNaN, 2.0, -1.0});
  expect_with_nan(nanquantile(x, tensor(std::vector<double>{0.25, 0.6}, {2}, dtype(kFloat64)), 1),
                  {1.5, 2.0, -1.0, 2.2, 4.4, 1.5});
  EXPECT_TRUE(std::isnan(nanquantile(full({2}, kNaN), 0.5).item<double>()));
}

TEST(OrderStatistics, Errors) {
  const Tensor x = tensor(std::vector<float>{1, 2}, {2});
  EXPECT_EMBER_ERROR(quantile(x, 1.5), "quantile() q must be in the range [0, 1] but got 1.5");
  EXPECT_EMBER_ERROR(quantile(tensor(std::vector<int64_t>{1, 2}, {2}), 0.5),
                     "quantile() input tensor must be either float or double dtype");
  EXPECT_EMBER_ERROR(quantile(zeros({0}), 0.5), "quantile() input tensor must be non-empty");
  EXPECT_EMBER_ERROR(quantile(x, 0.5, std::nullopt, false, "foo"),
                     "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest");
  EXPECT_EMBER_ERROR(quantile(x, tensor(std::vector<float>{0.5}, {1, 1})), "quantile() q must be a scalar or 1D tensor");
  EXPECT_EMBER_ERROR(quantile(x, tensor(std::vector<float>{2}, {1})), "quantile() q values must be in the range [0, 1]");
  EXPECT_EMBER_ERROR(quantile(x, tensor(std::vector<double>{0.5}, {1})), "q tensor must be same dtype as the input");
  EXPECT_EMBER_ERROR(nanquantile(x, -0.1), "nanquantile() q must be in the range [0, 1]");
  EXPECT_EMBER_ERROR(median(zeros({2, 0}), 1), "median(): Expected reduction dim 1 to have non-zero size.");
}

TEST(OrderStatistics, GradientsGoToThePickedElements) {
  // PyTorch 1.13: median([1,2,3,4]).backward() -> [0,1,0,0]; quantile(., 0.4) -> [0, .8, .2, 0]
  Tensor a = leaf({4, 1, 3, 2}, {4});
  median(a).backward();
  expect_values(a.grad(), {0, 0, 0, 1});
  Tensor b = leaf({1, 2, 3, 4}, {4});
  quantile(b, 0.4).backward();
  expect_values(b.grad(), {0, 0.8, 0.2, 0}, 1e-12);
  // gradcheck on inputs without ties (distinct random values)
  Tensor x = testing::grad_input({3, 5});
  expect_gradcheck([](const std::vector<Tensor>& in) { return std::get<0>(kthvalue(in[0], 2, 1)); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return std::get<0>(median(in[0], 0, true)); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return nanmedian(in[0]); }, {x});
  const Tensor q = tensor(std::vector<double>{0.1, 0.45, 0.9}, {3}, dtype(kFloat64));
  for (const char* mode : {"linear", "midpoint", "lower", "nearest"}) {
    expect_gradcheck([&](const std::vector<Tensor>& in) { return quantile(in[0], q, 1, false, mode); }, {x});
    expect_gradcheck([&](const std::vector<Tensor>& in) { return nanquantile(in[0], q, 0, true, mode); }, {x});
  }
}

TEST(OrderStatistics, GradModes) {
  Tensor x = testing::grad_input({4, 3});
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(std::get<0>(median(x, 1)).requires_grad());
    EXPECT_FALSE(quantile(x, 0.5, 1).requires_grad());
  }
  EXPECT_TRUE(quantile(x, 0.5, 1).requires_grad());
  EXPECT_TRUE(std::get<0>(kthvalue(x, 1, 0)).requires_grad());
  EXPECT_FALSE(std::get<1>(kthvalue(x, 1, 0)).requires_grad());
}

// median's dim is checked on a 0-dim input too; kthvalue of an empty dim is PyTorch's message.
TEST(OrderStatistics, DimChecksOnScalarsAndEmptyDims) {
  const Tensor scalar = full({}, 3.0);
  EXPECT_EMBER_ERROR(median(scalar, 5), "Dimension out of range");
  EXPECT_EMBER_ERROR(nanmedian(scalar, -7), "Dimension out of range");
  EXPECT_EQ(std::get<0>(median(scalar, -1)).item<double>(), 3.0);
  EXPECT_EMBER_ERROR(kthvalue(zeros({2, 0}), 1, 1), "kthvalue(): Expected reduction dim 1 to have non-zero size.");
}

}  // namespace
}  // namespace ember
