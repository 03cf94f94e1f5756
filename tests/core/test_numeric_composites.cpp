// combinations, trapezoid / cumulative_trapezoid, cov / corrcoef, float_power and ldexp
// (autograd/functions/composite_numeric.cpp): values against PyTorch's definitions (worked in
// float64 by hand), float64 gradchecks, and PyTorch's errors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_exact;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using In = std::vector<Tensor>;

Tensor f64(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape); }

TEST(NumericComposites, CombinationsInOrder) {
  const Tensor a = tensor(std::vector<float>{1, 2, 3}, {3});
  const Tensor pairs = combinations(a);
  EXPECT_EQ(pairs.sizes(), (Dims{3, 2}));
  expect_exact(pairs, {1, 2, 1, 3, 2, 3});
  expect_exact(combinations(a, 2, true), {1, 1, 1, 2, 1, 3, 2, 2, 2, 3, 3, 3});
  expect_exact(combinations(a, 3), {1, 2, 3});
  EXPECT_EQ(combinations(a, 4).sizes(), (Dims{0, 4}));
  EXPECT_EQ(combinations(a, 0).sizes(), (Dims{0}));
  expect_gradcheck([](const In& in) { return combinations(in[0], 2, true); }, {grad_input({4})});
  EXPECT_EMBER_ERROR(combinations(zeros({2, 2})), "Expect a 1D vector, but got shape");
  EXPECT_EMBER_ERROR(combinations(a, -1), "Expect a non-negative number, but got -1");
}

TEST(NumericComposites, TrapezoidalRule) {
  const Tensor y = f64({1, 5, 10}, {3}), x = f64({1, 3, 6}, {3});
  expect_exact(trapezoid(y), {10.5});
  expect_exact(trapz(y, 2.0), {21});
  expect_exact(trapezoid(y, x), {28.5});
  expect_exact(cumulative_trapezoid(y, x), {6, 28.5});
  expect_exact(cumulative_trapezoid(y), {3, 10.5});
  // along dim 0 of a matrix, x 1-D along that dim; an integer y gives a float result
  const Tensor rows = tensor(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {3, 2});
  expect_values(trapezoid(rows, 0.5, 0), {3, 4}, 0);
  expect_exact(trapezoid(f64({1, 2, 3, 4}, {2, 2}), f64({0, 2}, {2}), 0), {4, 6});
  // no samples: zeros of the reduced shape
  EXPECT_EQ(trapezoid(zeros({2, 0})).sizes(), (Dims{2}));
  expect_gradcheck([](const In& in) { return trapezoid(in[0], in[1], 1); }, {grad_input({2, 4}), grad_input({4})});
  expect_gradcheck([](const In& in) { return cumulative_trapezoid(in[0], 0.3, 0); }, {grad_input({3, 2})});
  EXPECT_EMBER_ERROR(trapezoid(y, f64({1, 2}, {2})), "There must be one `x` value for each sample point");
  EXPECT_EMBER_ERROR(trapezoid(ones({3}, kBool)), "bool is not supported");
}

TEST(NumericComposites, CovarianceAndCorrelation) {
  // torch.cov's docstring: [[0, 1, 2], [2, 1, 0]] -> [[1, -1], [-1, 1]]
  expect_values(cov(f64({0, 1, 2, 2, 1, 0}, {2, 3})), {1, -1, -1, 1}, 1e-12);
  const Tensor y = f64({4, 0, 3, 1, 2, 5, 1, 1, 0.5, 2, 3, 7}, {3, 4});
  expect_values(y.cov(),
                {3.3333333333333335, -2.0, -2.3333333333333335, -2.0, 3.5833333333333335, -2.375, -2.3333333333333335,
                 -2.375, 7.729166666666667},
                1e-12);
  expect_values(cov(y, 0), {2.5, -1.5, -1.75, -1.5, 2.6875, -1.78125, -1.75, -1.78125, 5.796875}, 1e-12);
  const Tensor fw = tensor(std::vector<int64_t>{1, 2, 1, 3}), aw = f64({0.5, 0.1, 0.9, 0.3}, {4});
  expect_values(cov(y, 1, fw),
                {2.2857142857142856, -1.4761904761904763, -1.4523809523809523, -1.4761904761904763, 3.571428571428571,
                 -3.3571428571428577, -1.4523809523809523, -3.3571428571428577, 8.035714285714285},
                1e-12);
  expect_values(cov(y, 1, fw, aw),
                {2.2734693877551018, -0.4653061224489796, -3.1714285714285713, -0.4653061224489796, 1.5428571428571431,
                 -1.616326530612245, -3.1714285714285713, -1.616326530612245, 8.100000000000001},
                1e-12);
  expect_values(y.corrcoef(),
                {1.0, -0.5786913866044945, -0.459696372312183, -0.5786913866044945, 1.0, -0.45128788313370266,
                 -0.459696372312183, -0.45128788313370266, 1.0},
                1e-12);
  EXPECT_EQ(cov(f64({1, 2, 4}, {3})).dim(), 0);  // one variable: a 0-dim variance
  expect_values(cov(f64({1, 2, 4}, {3})), {7.0 / 3.0}, 1e-12);
  expect_gradcheck([](const In& in) { return cov(in[0]); }, {grad_input({2, 5})});
  expect_gradcheck([](const In& in) { return corrcoef(in[0]); }, {grad_input({3, 5})});
  EXPECT_EMBER_ERROR(cov(zeros({2, 2, 2})), "expected input to have two or fewer dimensions");
  EXPECT_EMBER_ERROR(cov(y, 1, f64({1, 1, 1, 1}, {4})), "expected fweights to have integral dtype");
  EXPECT_EMBER_ERROR(cov(y, 1, tensor(std::vector<int64_t>{1, -1, 1, 1})), "fweights cannot be negative");
  EXPECT_EMBER_ERROR(cov(y, 1, Tensor(), f64({1, 1}, {2})), "same numel as there are observations");
  EXPECT_EMBER_ERROR(cov(y, 1, Tensor(), f64({0, 0, 0, 0}, {4})), "weights sum to zero");
}

TEST(NumericComposites, FloatPowerAndLdexp) {
  const Tensor a = tensor(std::vector<int64_t>{2, 3});
  EXPECT_EQ(float_power(a, 2).dtype(), kFloat64);
  expect_values(float_power(a, tensor(std::vector<float>{0.5f, -1}, {2})), {std::sqrt(2.0), 1.0 / 3.0}, 1e-15);
  expect_exact(a.float_power(Scalar(3)), {8, 27});
  expect_exact(float_power(Scalar(2), a), {4, 8});
  expect_exact(ldexp(tensor(std::vector<float>{1, 3}, {2}), tensor(std::vector<int64_t>{3, -1})), {8, 1.5});
  expect_gradcheck([](const In& in) { return float_power(in[0].abs() + 0.5, in[1]); },
                   {grad_input({3}), grad_input({3})});
}

}  // namespace
}  // namespace ember
