// linalg::solve_triangular (Note [Triangular solves]), multi_dot and matrix_exp (Note [Matrix
// exponential]): values and gradients against PyTorch 1.13, batches, float64 gradcheck and
// gradgradcheck, and PyTorch's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "autograd/functions/linalg_common.h"
#include "support/linalg_helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::f64;
using ember::testing::max_abs_diff;
using Inputs = std::vector<Tensor>;

const std::vector<double> kA{2., -1., 0.5, 4., 3., -2., -1., 0.25, 1.5};
const std::vector<double> kB{1., 2., 0., -1., 3., 0.5};
const std::vector<double> kWeights{0.3, -1., 1., 0.5, 0.2, 0.9};

TEST(LinalgTriangular, ValuesAndGradientsAsPyTorch) {
  const Tensor A = f64(kA, {3, 3}), B = f64(kB, {3, 2});
  expect_values(
      linalg::solve_triangular(A, B, /*upper=*/true),
      {0.6666666666666666, 0.861111111111111, 1.3333333333333333, -0.11111111111111112, 2.0, 0.3333333333333333},
      1e-15);
  expect_values(linalg::solve_triangular(A, B, false),
                {0.5, 1.0, -0.6666666666666666, -1.6666666666666665, 2.444444444444444, 1.2777777777777777}, 1e-15);
  expect_values(linalg::solve_triangular(A, B, false, true, /*unitriangular=*/true), {1., 2., -4., -9., 5., 4.75}, 0.0);
  expect_values(linalg::solve_triangular(A, B.t(), true, /*left=*/false),
                {0.5, 0.16666666666666666, 2.0555555555555554, 1.0, 0.0, 0.0}, 1e-15);
  // float64 with float32 promotes, as PyTorch's
  EXPECT_EQ(linalg::solve_triangular(A, B.to(kFloat32), true).dtype(), kFloat64);
  // a zero on the diagonal gives inf, not an error (BLAS's trsm under PyTorch)
  EXPECT_TRUE(std::isinf(
      linalg::solve_triangular(zeros({1, 1}, kFloat64), ones({1, 2}, kFloat64), true).select(1, 0).item<double>()));
  const Tensor W = f64(kWeights, {3, 2});
  const auto gradients = [&](bool upper, bool left, bool unit) {
    const Tensor a = A.clone().requires_grad_(true), b = B.clone().requires_grad_(true);
    const Tensor x = linalg::solve_triangular(a, left ? b : b.t(), upper, left, unit);
    (x * (left ? W : W.t())).sum().backward();
    return std::make_pair(a.grad(), b.grad());
  };
  const auto [gA, gB] = gradients(true, true, false);
  expect_values(gA,
                {0.33055555555555555, -0.25555555555555554, -0.13333333333333333, 0.0, -0.5111111111111111,
                 -0.7666666666666666, 0.0, 0.0, -1.4444444444444442},
                1e-15);
  expect_values(gB, {0.15, -0.5, 0.3833333333333333, 0.0, 0.5944444444444443, 0.7666666666666666}, 1e-15);
  const auto [gA_unit, gB_unit] = gradients(false, true, true);
  expect_values(gA_unit, {0., 0., 0., -1.5, 0., 0., -2.0, 8.9, 0.}, 1e-14);
  expect_values(gB_unit, {-3.3, -1.2, 0.95, 0.275, 0.2, 0.9}, 1e-14);
  const auto [gA_right, gB_right] = gradients(true, false, false);
  expect_values(gA_right,
                {0.20277777777777783, -0.7777777777777777, -0.6666666666666666, 0.0, -0.07037037037037036,
                 -0.02222222222222222, 0.0, 0.0, -0.274074074074074},
                1e-15);
  expect_values(
      gB_right,
      {0.3277777777777777, -0.3666666666666667, 0.42222222222222217, 0.5666666666666667, 0.13333333333333333, 0.6},
      1e-15);
}

TEST(LinalgTriangular, BatchesGradcheckAndErrors) {
  manual_seed(31);
  const Tensor A = randn({2, 1, 4, 4}, kFloat64) + eye(4, kFloat64) * 4.0;
  const Tensor B = randn({3, 4, 2}, kFloat64);
  const Tensor X = linalg::solve_triangular(A, B, false);
  EXPECT_EQ(X.sizes(), (Dims{2, 3, 4, 2}));
  EXPECT_LT(max_abs_diff(matmul(A.tril(), X), B.expand({2, 3, 4, 2})), 1e-13);
  Tensor a = testing::grad_input({3, 3});
  const Tensor b = testing::grad_input({3, 2});
  {
    NoGradGuard no_grad;
    a.add_(eye(3, kFloat64) * 3.0);  // away from a zero pivot
  }
  for (const bool upper : {true, false}) {
    for (const bool left : {true, false}) {
      for (const bool unit : {false, true}) {
        SCOPED_TRACE(std::to_string(upper) + std::to_string(left) + std::to_string(unit));
        const autograd::GradcheckFn fn = [=](const Inputs& in) {
          return linalg::solve_triangular(in[0], left ? in[1] : in[1].t(), upper, left, unit);
        };
        expect_gradcheck(fn, {a, b});
        if (upper && left) {
          const auto r = autograd::gradgradcheck_report(fn, {a, b});
          EXPECT_TRUE(r.ok) << r.message;
        }
      }
    }
  }
  EXPECT_EMBER_ERROR(linalg::solve_triangular(A, ones({4}, kFloat64), true),
                     "linalg.solve_triangular: The input tensor B must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(linalg::solve_triangular(ones({2, 3}, kFloat64), ones({2, 2}, kFloat64), true),
                     "linalg.solve_triangular: A must be batches of square matrices, but they are 2 by 3 matrices");
  EXPECT_EMBER_ERROR(linalg::solve_triangular(ones({3, 3}, kFloat64), ones({2, 2}, kFloat64), true),
                     "linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x2)");
  EXPECT_EMBER_ERROR(linalg::solve_triangular(ones({2, 2}, kInt64), ones({2, 2}, kInt64), true),
                     "\"triangular_solve_cpu\" not implemented for 'Long'");
}

// The substitution other devices run (Note [Triangular solves]) against the CPU's trsm.
TEST(LinalgTriangular, TheSubstitutionOffTheCpuMatchesTrsm) {
  manual_seed(34);
  const Tensor A = randn({3, 6, 6}, kFloat64) + eye(6, kFloat64) * 4.0, B = randn({3, 6, 2}, kFloat64);
  for (const bool upper : {true, false}) {
    for (const bool unit : {false, true}) {
      SCOPED_TRACE(std::to_string(upper) + std::to_string(unit));
      const Tensor by_substitution = linalg::detail::substitute_triangular(A, B.clone(), upper, unit);
      EXPECT_LT(max_abs_diff(by_substitution, linalg::solve_triangular(A, B, upper, true, unit)), 1e-14);
      const Tensor T = upper ? A.triu(unit ? 1 : 0) : A.tril(unit ? -1 : 0);
      const Tensor full_matrix = unit ? T + eye(6, kFloat64) : T;
      EXPECT_LT(max_abs_diff(matmul(full_matrix, by_substitution), B), 1e-13);
    }
  }
}

TEST(LinalgMultiDot, ValuesOrderAndErrors) {
  const Tensor A = f64(kA, {3, 3}), B = f64(kB, {3, 2});
  const Tensor v = B.select(1, 0).contiguous(), w = f64({1., 2.}, {2});
  expect_values(linalg::multi_dot({v, A, B, w}), {15.5}, 1e-14);  // torch 1.13
  EXPECT_EQ(linalg::multi_dot({v, A, B, w}).dim(), 0);
  EXPECT_EQ(linalg::multi_dot({A, B}).sizes(), (Dims{3, 2}));
  EXPECT_EQ(linalg::multi_dot({v, B}).sizes(), (Dims{2}));
  EXPECT_EQ(linalg::multi_dot({B.t(), v}).sizes(), (Dims{2}));
  EXPECT_EQ(linalg::multi_dot({v, B.select(1, 1)}).dim(), 0);
  // a chain whose cheap order is not left to right gives the same product, with gradients
  manual_seed(32);
  const Tensor m0 = testing::grad_input({6, 2}), m1 = testing::grad_input({2, 5}), m2 = testing::grad_input({5, 1});
  EXPECT_LT(max_abs_diff(linalg::multi_dot({m0, m1, m2}), matmul(matmul(m0, m1), m2)), 1e-14);
  expect_gradcheck([](const Inputs& in) { return linalg::multi_dot({in[0], in[1], in[2]}); }, {m0, m1, m2});
  EXPECT_EMBER_ERROR(linalg::multi_dot({A}), "multi_dot(): expected at least 2 tensors but got 1");
  EXPECT_EMBER_ERROR(linalg::multi_dot({A, B.unsqueeze(0)}),
                     "multi_dot(): the last tensor must be 1D or 2D but got 3D");
  EXPECT_EMBER_ERROR(linalg::multi_dot({A, v.unsqueeze(0).unsqueeze(0), B}),
                     "multi_dot(): tensor 1 must be 2D but got 3D");
  // the ends are checked first, as PyTorch's
  EXPECT_EMBER_ERROR(linalg::multi_dot({A, A.unsqueeze(0), A.unsqueeze(0)}),
                     "multi_dot(): the last tensor must be 1D or 2D but got 3D");
  EXPECT_EMBER_ERROR(linalg::multi_dot({A, B.narrow(0, 0, 2)}),
                     "multi_dot(): tensors 0 and 1 with shapes [3, 3] and [2, 2] cannot be multiplied");
  EXPECT_EMBER_ERROR(linalg::multi_dot({A, B.to(kFloat32)}),
                     "multi_dot(): all tensors must have be the same dtype but tensor 0 is double and tensor 1 float");
}

TEST(LinalgMatrixExp, ValuesAndGradientsAsPyTorch) {
  const Tensor A = f64(kA, {3, 3});
  const std::vector<double> expected{-8.261145673116022, -4.092523774097114,  5.668266693102396,
                                     23.26915186982432,  -3.8236690603471124, -0.5960850974147857,
                                     2.4615801606669576, 3.5240390238947863,  1.2485125353405133};
  expect_values(linalg::matrix_exp(A), expected, 1e-13);
  // scaled and squared: relative to the entries' size
  const std::vector<double> large{-48831526.050395966, -5349793.051379605, 15419765.30054619,
                                  45675112.72905445,   -42267935.97283955, 16003948.473130427,
                                  17712350.445979644,  10137476.702626701, -10844222.199162943};
  expect_values(linalg::matrix_exp(A * 7.0), large, 5e-14 * 5e7);
  expect_values(linalg::matrix_exp(f64({2.}, {1, 1})), {7.38905609893065041}, 1e-15);
  expect_values(linalg::matrix_exp(zeros({2, 2}, kFloat64)), {1., 0., 0., 1.}, 1e-15);  // within trsm's rounding
  EXPECT_EQ(linalg::matrix_exp(zeros({0, 0}, kFloat64)).sizes(), (Dims{0, 0}));
  expect_values(linalg::matrix_exp(A.to(kFloat32)), expected, 1e-4);
  // a batch: each matrix as alone
  const Tensor batch = stack({A, A * 0.01, A * 7.0});
  const Tensor e = linalg::matrix_exp(batch);
  EXPECT_LT(max_abs_diff(e.select(0, 0), linalg::matrix_exp(A)), 1e-13);
  EXPECT_LT(max_abs_diff(e.select(0, 1), linalg::matrix_exp(A * 0.01)), 1e-14);
  // each matrix is scaled and squared by its own norm: a small one beside a large one keeps
  // its digits (a rotation by 1000 rad needs 8 squarings, the small one none)
  const Tensor small = f64({0.1, -0.2, 0.05, 0.3}, {2, 2});
  const Tensor rotation = f64({0., -1000., 1000., 0.}, {2, 2});
  const Tensor pair = linalg::matrix_exp(stack({small, rotation}));
  EXPECT_LT(max_abs_diff(pair.select(0, 0), linalg::matrix_exp(small)), 1e-15);
  expect_values(pair.select(0, 1), {std::cos(1000.), -std::sin(1000.), std::sin(1000.), std::cos(1000.)}, 1e-11);
  // a commuting check: e^A e^-A = I
  EXPECT_LT(max_abs_diff(matmul(linalg::matrix_exp(A), linalg::matrix_exp(-A)), eye(3, kFloat64)), 1e-12);
  const Tensor a = A.clone().requires_grad_(true);
  (linalg::matrix_exp(a) * arange(9.0, TensorOptions(kFloat64)).view({3, 3})).sum().backward();
  expect_values(a.grad(),
                {29.70478476358123, 80.22953464731009, 58.87489067202752, 6.141425696950652, 58.36090878415617,
                 23.6366807788131, -1.9751348622679938, 45.08238059301702, 20.136524359369975},
                1e-12);
  manual_seed(33);
  const Tensor x = testing::grad_input({3, 3});
  expect_gradcheck([](const Inputs& in) { return linalg::matrix_exp(in[0] * 3.0); }, {x});
  const auto r = autograd::gradgradcheck_report([](const Inputs& in) { return linalg::matrix_exp(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EMBER_ERROR(linalg::matrix_exp(ones({3, 2}, kFloat64)),
                     "linalg.matrix_exp: A must be batches of square matrices, but they are 3 by 2 matrices");
  EXPECT_EMBER_ERROR(linalg::matrix_exp(ones({2, 2}, kInt64)),
                     "matrix_exp: Expected a floating point or complex tensor as input. Got Long");
  EXPECT_EMBER_ERROR(linalg::matrix_exp(ones({3}, kFloat64)),
                     "linalg.matrix_exp: The input tensor A must have at least 2 dimensions.");
}

}  // namespace
}  // namespace ember
