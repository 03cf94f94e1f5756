// linalg::lu_factor, lu_factor_ex, lu, lu_solve, cholesky_ex, inv_ex, torch.cholesky_solve /
// cholesky_inverse, and the composed vander, vecdot and norm: values, pivots and gradients
// against PyTorch 1.13, tall and wide matrices, float64 gradcheck and gradgradcheck, empty
// shapes and PyTorch's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "autograd/functions/linalg_common.h"
#include "support/linalg_helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::f64;
using ember::testing::max_abs_diff;
using ember::testing::transposed;
using Inputs = std::vector<Tensor>;

const std::vector<double> kA{2., -1., 0.5, 4., 3., -2., -1., 0.25, 1.5};
const std::vector<double> kTall{1., -2., 3., -4., 5., -6.5, 0.5, 2.};  // 4 x 2
const std::vector<double> kB{1., 2., 0., -1., 3., 0.5};
const std::vector<double> kW{0.3, -1., 2., 1., 0.5, -0.7, 0.2, 0.9, -1.1, 0.4, -0.3, 0.8};  // 4 x 3

// torch 1.13, float64.
TEST(LinalgLuFactor, FactorsAndPivotsAsPyTorch) {
  const auto [LU, pivots] = linalg::lu_factor(f64(kA, {3, 3}));
  expect_values(LU, {4.0, 3.0, -2.0, 0.5, -2.5, 1.5, -0.25, -0.4, 1.6}, 1e-15);
  EXPECT_EQ(pivots.dtype(), kInt64);
  expect_values(pivots, {2, 2, 3}, 0.0);
  const Tensor T = f64(kTall, {4, 2});
  const auto [LU_tall, pivots_tall] = linalg::lu_factor(T);
  expect_values(LU_tall, {5.0, -6.5, 0.1, 2.65, 0.2, -0.2641509433962264, 0.6000000000000001, -0.03773584905660364},
                1e-15);
  expect_values(pivots_tall, {3, 4}, 0.0);
  const auto [LU_wide, pivots_wide] = linalg::lu_factor(transposed(T));
  expect_values(LU_wide, {-2.0, -4.0, -6.5, 2.0, -0.5, 1.0, 1.75, 1.5}, 1e-15);
  expect_values(pivots_wide, {2, 2}, 0.0);
  const auto [P, L, U] = linalg::lu(T);
  expect_values(P, {0., 0., 1., 0., 0., 0., 0., 1., 1., 0., 0., 0., 0., 1., 0., 0.}, 0.0);
  expect_values(L, {1.0, 0.0, 0.1, 1.0, 0.2, -0.2641509433962264, 0.6000000000000001, -0.03773584905660364}, 1e-15);
  expect_values(U, {5.0, -6.5, 0.0, 2.65}, 1e-15);
  EXPECT_LT(max_abs_diff(matmul(matmul(P, L), U), T), 1e-15);
  const auto [Pw, Lw, Uw] = linalg::lu(transposed(T));
  EXPECT_EQ(Lw.sizes(), (Dims{2, 2}));
  EXPECT_EQ(Uw.sizes(), (Dims{2, 4}));
  EXPECT_LT(max_abs_diff(matmul(matmul(Pw, Lw), Uw), transposed(T)), 1e-15);
  // without pivoting: the rows stay, pivots 1, 2, ...
  const auto [LU_plain, pivots_plain] = linalg::lu_factor(f64(kA, {3, 3}), /*pivot=*/false);
  expect_values(pivots_plain, {1, 2, 3}, 0.0);
  const auto [P_plain, L_plain, U_plain] = linalg::lu(f64(kA, {3, 3}), false);
  EXPECT_EQ(P_plain.sizes(), (Dims{0}));  // PyTorch's empty P without pivoting
  EXPECT_LT(max_abs_diff(matmul(L_plain, U_plain), f64(kA, {3, 3})), 1e-15);
  // a batch: each matrix as alone
  manual_seed(41);
  const Tensor batch = randn({2, 3, 4, 4}, kFloat64);
  const auto [LU_batch, pivots_batch] = linalg::lu_factor(batch);
  const auto [LU_one, pivots_one] = linalg::lu_factor(batch.select(0, 1).select(0, 2));
  EXPECT_EQ(max_abs_diff(LU_batch.select(0, 1).select(0, 2), LU_one), 0.0);
  EXPECT_EQ(max_abs_diff(pivots_batch.select(0, 1).select(0, 2), pivots_one), 0.0);
  // empty, as PyTorch's
  EXPECT_EQ(linalg::lu_factor(zeros({3, 0}, kFloat64)).second.numel(), 0);
  const auto [Pe, Le, Ue] = linalg::lu(zeros({2, 0}, kFloat64));
  expect_values(Pe, {1., 0., 0., 1.}, 0.0);
  EXPECT_EQ(Le.sizes(), (Dims{2, 0}));
  EXPECT_EQ(Ue.sizes(), (Dims{0, 0}));
}

// The steps other devices run (Note [LU-based linalg]) against LAPACK's getrf on the CPU: the
// same pivots, permutation and swap count, the same factors up to rounding.
TEST(LinalgLuFactor, TheStepsOffTheCpuMatchGetrf) {
  if (!linalg::has_lapack()) GTEST_SKIP() << "ember built without LAPACK";
  manual_seed(44);
  for (const Dims& shape : {Dims{3, 6, 6}, Dims{2, 7, 4}, Dims{2, 3, 5}}) {
    SCOPED_TRACE(shape.str());
    const Tensor A = randn(shape, kFloat64);
    const linalg::detail::Lu lapack = linalg::detail::factor_lu(A);
    const linalg::detail::Lu steps = linalg::detail::factor_lu_by_steps(A);
    EXPECT_EQ(max_abs_diff(lapack.pivots, steps.pivots), 0.0);
    EXPECT_EQ(max_abs_diff(lapack.perm, steps.perm), 0.0);
    EXPECT_EQ(max_abs_diff(lapack.swaps, steps.swaps), 0.0);
    EXPECT_LT(max_abs_diff(lapack.lu, steps.lu), 1e-13);
  }
}

TEST(LinalgLuFactor, SolveAsPyTorch) {
  const Tensor A = f64(kA, {3, 3}), B = f64(kB, {3, 2});
  const auto [LU, pivots] = linalg::lu_factor(A);
  expect_values(linalg::lu_solve(LU, pivots, B), {0.40625, 0.5390625, 0.875, -0.53125, 2.125, 0.78125}, 1e-15);
  expect_values(linalg::lu_solve(LU, pivots, B, true, /*adjoint=*/true), {1.0625, 1.0, 0.1953125, 0.0, 1.90625, 0.0},
                1e-15);
  expect_values(linalg::lu_solve(LU, pivots, transposed(B), /*left=*/false),
                {1.0625, 0.1953125, 1.90625, 1.0, 0.0, 0.0}, 1e-15);
  expect_values(linalg::lu_solve(LU, pivots, transposed(B), false, true),
                {0.40625, 0.875, 2.125, 0.5390625, -0.53125, 0.78125}, 1e-15);
  // B's batch broadcasts against LU's
  manual_seed(42);
  const Tensor As = randn({2, 4, 4}, kFloat64) + eye(4, kFloat64) * 3.0, Bs = randn({3, 1, 4, 2}, kFloat64);
  const auto [LUs, pivots_s] = linalg::lu_factor(As);
  EXPECT_LT(max_abs_diff(linalg::lu_solve(LUs, pivots_s, Bs), linalg::solve(As, Bs)), 1e-13);
}

TEST(LinalgLuFactor, GradientsAsPyTorch) {
  const Tensor W = f64(kW, {4, 3});
  const Tensor T = f64(kTall, {4, 2}).requires_grad_(true);
  {
    const auto [P, L, U] = linalg::lu(T);
    ((L * W.narrow(1, 0, 2)).sum() + (U * W.narrow(0, 0, 2).narrow(1, 0, 2)).sum()).backward();
  }
  expect_values(T.grad(),
                {0.48150943396226425, 0.339622641509434, -0.06716981132075472, -0.11320754716981132,
                 0.14789284442862236, -1.0585439658241367, 0.9610715557137772, 0.585439658241367},
                1e-14);
  const Tensor Tw = transposed(f64(kTall, {4, 2})).contiguous().requires_grad_(true);
  {
    const auto [P, L, U] = linalg::lu(Tw);
    ((L * W.narrow(0, 0, 2).narrow(1, 0, 2)).sum() + (U * transposed(W).narrow(0, 0, 2)).sum()).backward();
  }
  expect_values(Tw.grad(), {-4.7250000000000005, 0.5, 0.9, -0.3, -2.0625000000000004, 1.25, 0.65, 0.25}, 1e-14);
  const Tensor A = f64(kA, {3, 3}).requires_grad_(true);
  (linalg::lu_factor(A).first * W.narrow(0, 0, 3)).sum().backward();
  expect_values(A.grad(),
                {-0.38899999999999996, 0.09199999999999986, -1.1400000000000001, 0.5607500000000001,
                 -1.3010000000000002, 2.295, 0.2650000000000001, -1.0200000000000002, -1.1},
                1e-14);
  const Tensor A2 = f64(kA, {3, 3}).requires_grad_(true), B = f64(kB, {3, 2}).requires_grad_(true);
  {
    const auto [LU, pivots] = linalg::lu_factor(A2);
    (linalg::lu_solve(LU, pivots, B, true, true) * W.narrow(0, 0, 3).narrow(1, 0, 2)).sum().backward();
  }
  expect_values(A2.grad(),
                {0.01943359375000006, -0.9292968750000001, -0.5738281250000001, -0.03936767578125004,
                 -0.04272460937499989, -0.045166015624999944, -0.38422851562500004, -0.4169921875, -0.4408203125},
                1e-14);
  expect_values(B.grad(), {0.20156249999999998, -0.23359375000000004, 0.21875, 0.696875, 0.23125, 0.328125}, 1e-14);
}

TEST(LinalgLuFactor, GradcheckAndGradgradcheck) {
  manual_seed(43);
  const Tensor square = testing::grad_input({3, 3}), tall = testing::grad_input({4, 2}),
               wide = testing::grad_input({2, 4}), rhs = testing::grad_input({3, 2});
  const std::vector<std::pair<const char*, autograd::GradcheckFn>> fns{
      {"lu square",
       [](const Inputs& in) {
         const auto [P, L, U] = linalg::lu(in[0]);
         return cat({L.flatten(), U.flatten()});
       }},
      {"lu tall",
       [](const Inputs& in) {
         const auto [P, L, U] = linalg::lu(in[1]);
         return cat({L.flatten(), U.flatten()});
       }},
      {"lu wide",
       [](const Inputs& in) {
         const auto [P, L, U] = linalg::lu(in[2]);
         return cat({L.flatten(), U.flatten()});
       }},
      {"lu U only", [](const Inputs& in) { return std::get<2>(linalg::lu(in[1])); }},
      {"lu L only", [](const Inputs& in) { return std::get<1>(linalg::lu(in[2])); }},
      {"lu_factor", [](const Inputs& in) { return linalg::lu_factor(in[0]).first; }},
      {"lu_factor tall", [](const Inputs& in) { return linalg::lu_factor(in[1]).first; }},
      {"lu_solve",
       [](const Inputs& in) {
         const auto [LU, pivots] = linalg::lu_factor(in[0]);
         return cat({linalg::lu_solve(LU, pivots, in[3]).flatten(),
                     linalg::lu_solve(LU, pivots, transposed(in[3]), false, true).flatten()});
       }},
      {"cholesky_solve and cholesky_inverse",
       [](const Inputs& in) {
         const Tensor spd = matmul(in[0], transposed(in[0])) + eye(3, kFloat64);
         const Tensor L = linalg::cholesky(spd);
         return cat({cholesky_solve(in[3], L).flatten(), cholesky_inverse(transposed(L), true).flatten()});
       }},
      {"vander and norm",
       [](const Inputs& in) {
         return cat({linalg::vander(in[3].select(1, 0)).flatten(), linalg::norm(in[0]).unsqueeze(0),
                     linalg::norm(in[0], 1.0).unsqueeze(0), linalg::vecdot(in[0], in[0])});
       }},
  };
  for (const auto& [name, fn] : fns) {
    SCOPED_TRACE(name);
    expect_gradcheck(fn, {square, tall, wide, rhs});
  }
  const auto r = autograd::gradgradcheck_report(fns[0].second, {square, tall, wide, rhs});
  EXPECT_TRUE(r.ok) << r.message;
  const auto r2 = autograd::gradgradcheck_report(fns[7].second, {square, tall, wide, rhs});
  EXPECT_TRUE(r2.ok) << r2.message;
}

TEST(LinalgLuFactor, ExFormsCholeskySolveAndComposedAsPyTorch) {
  const Tensor S = f64({4., 1., -2., 1., 2., 0.5, -2., 0.5, 3.}, {3, 3}), B = f64(kB, {3, 2});
  const Tensor L = linalg::cholesky(S);
  const std::vector<double> solved{1.9249999999999996,  1.7749999999999995, -1.5999999999999994,
                                   -1.7999999999999992, 2.5499999999999994, 1.6499999999999992};
  expect_values(cholesky_solve(B, L), solved, 1e-14);
  expect_values(cholesky_solve(B, transposed(L), /*upper=*/true), solved, 1e-14);
  expect_values(cholesky_inverse(L), {0.575, -0.4, 0.45, -0.4, 0.8, -0.4, 0.45, -0.4, 0.7}, 1e-14);
  // PyTorch's gradients in L: full matrices (a leaf L need not be triangular)
  const Tensor Lg = L.clone().requires_grad_(true), Bg = B.clone().requires_grad_(true);
  const Tensor Wg = f64({0.3, -1., 1., 0.5, 0.2, 0.9}, {3, 2});
  (cholesky_solve(Bg, Lg) * Wg).sum().backward();
  expect_values(Lg.grad(),
                {1.0374999999999996, -2.7978820114508034, 1.4787965968989776, -1.399999999999999, 2.7515813635071726,
                 -2.978509694461308, 0.5249999999999995, -2.764810120062496, 0.8408433266667452},
                1e-13);
  expect_values(Bg.grad(),
                {-0.13749999999999996, -0.3699999999999999, 0.5999999999999999, 0.43999999999999984,
                 -0.12499999999999996, -0.019999999999999924},
                1e-14);
  const Tensor Ug = transposed(L).contiguous().requires_grad_(true);
  (cholesky_solve(B, Ug, true) * Wg).sum().backward();
  expect_values(Ug.grad(), transposed(Lg.grad()).contiguous().to_vector<double>(), 1e-13);
  const Tensor Li = L.clone().requires_grad_(true);
  (cholesky_inverse(Li) * arange(9.0, TensorOptions(kFloat64)).view({3, 3})).sum().backward();
  expect_values(Li.grad(),
                {-1.0000000000000009, -3.0237157840738167, -4.780914437337574, 0.0, 0.0, 0.0, -2.000000000000001,
                 -4.535573676110724, -7.171371656006361},
                1e-13);
  // the _ex forms report instead of raising
  const auto [L_ok, info_ok] = linalg::cholesky_ex(S);
  EXPECT_EQ(info_ok.dtype(), kInt64);
  EXPECT_EQ(info_ok.item<int64_t>(), 0);
  EXPECT_EQ(max_abs_diff(L_ok, L), 0.0);
  EXPECT_EQ(linalg::cholesky_ex(-S).second.item<int64_t>(), 1);
  Tensor second_minor = S.clone();
  second_minor.select(0, 1).select(0, 1).fill_(0.1);  // 4 * 0.1 - 1 < 0
  EXPECT_EQ(linalg::cholesky_ex(second_minor).second.item<int64_t>(), 2);
  const auto [inverse, info] = linalg::inv_ex(stack({f64(kA, {3, 3}), zeros({3, 3}, kFloat64)}));
  expect_values(info, {0, 1}, 0.0);
  EXPECT_LT(max_abs_diff(inverse.select(0, 0), linalg::inv(f64(kA, {3, 3}))), 1e-15);
  const auto ex = linalg::lu_factor_ex(f64({1., 2., 2., 4.}, {2, 2}));
  expect_values(ex.LU, {2., 4., 0.5, 0.}, 0.0);
  expect_values(ex.pivots, {2, 2}, 0.0);
  EXPECT_EQ(ex.info.item<int64_t>(), 2);
  // composed
  expect_values(linalg::vander(f64({1., 2., 3.}, {3})), {1., 1., 1., 1., 2., 4., 1., 3., 9.}, 0.0);
  expect_values(linalg::vander(f64({2., 3.}, {2}), 4), {1., 2., 4., 8., 1., 3., 9., 27.}, 0.0);
  EXPECT_EQ(linalg::vander(tensor(std::vector<int64_t>{2, 3}, {2}, kInt64)).dtype(), kInt64);
  const Tensor A = f64(kA, {3, 3});
  expect_values(linalg::vecdot(A, A.flip({0})), {-1.5, 29.0, -1.5}, 1e-15);
  expect_values(linalg::norm(A), {6.128825336065631}, 1e-14);
  expect_values(linalg::norm(A, "nuc"), {9.067466365217998}, 1e-13);
  expect_values(linalg::norm(A, 2.0), {5.5797017372640845}, 1e-13);
  expect_values(linalg::norm(A.select(0, 0), 3.0), {2.089669598190616}, 1e-14);
  expect_values(linalg::norm(A, std::nullopt, Dims{1}), {2.29128784747792, 5.385164807134504, 1.8200274723201295},
                1e-14);
  expect_values(linalg::norm(A, 1.0, Dims{0, 1}), {7.0}, 1e-15);
  expect_values(linalg::norm(A.expand({2, 3, 3}), std::nullopt, Dims{1, 2}), {6.128825336065631, 6.128825336065631},
                1e-14);
}

TEST(LinalgLuFactor, ErrorsAsPyTorch) {
  EXPECT_EMBER_ERROR(linalg::lu_factor(ones({3}, kFloat64)),
                     "torch.linalg.lu_factor: Expected tensor with 2 or more dimensions. Got size: [3] instead");
  EXPECT_EMBER_ERROR(linalg::lu_factor(ones({2, 2}, kInt64)), "\"lu_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(linalg::lu_factor(f64({1., 2., 2., 4.}, {2, 2})),
                     "torch.linalg.lu_factor: U[2,2] is zero and using it on lu_solve would result in a division by "
                     "zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
                     "linalg.lu_factor_ex(A, pivot)");
  EXPECT_EMBER_ERROR(linalg::lu_factor(zeros({2, 2, 2}, kFloat64)),
                     "torch.linalg.lu_factor: (Batch element 0): U[1,1] is zero");
  EXPECT_EMBER_ERROR(linalg::lu(ones({3}, kFloat64)), "linalg.lu: Expected tensor with 2 or more dimensions.");
  const auto [LU, pivots] = linalg::lu_factor(f64(kA, {3, 3}));
  EXPECT_EMBER_ERROR(linalg::lu_solve(LU, pivots, ones({2, 2}, kFloat64)),
                     "linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x2)");
  EXPECT_EMBER_ERROR(linalg::lu_solve(LU, pivots.to(kFloat64), ones({3, 2}, kFloat64)),
                     "linalg.lu_solve: pivots should be a Tensor of scalar type torch.int64");
  EXPECT_EMBER_ERROR(linalg::lu_solve(LU.narrow(0, 0, 2), pivots, ones({3, 2}, kFloat64)),
                     "torch.linalg.lu_solve: A must be batches of square matrices, but they are 2 by 3 matrices");
  EXPECT_EMBER_ERROR(linalg::norm(ones({2, 3, 3}, kFloat64), 2.0),
                     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D.");
  EXPECT_EMBER_ERROR(linalg::norm(ones({3, 3}, kFloat64), "fro", Dims{0}),
                     "linalg.matrix_norm: dim must be a 2-tuple.");
  EXPECT_EMBER_ERROR(linalg::vander(ones({2}, kFloat64), 0), "N must be greater than 1.");
  expect_values(linalg::vander(tensor(std::vector<double>{2.}, Dims{}, kFloat64), 3), {1., 2., 4.}, 0.0);
  EXPECT_EMBER_ERROR(linalg::vander(ones({2}, kBool)),
                     "linalg.vander supports floating point, complex, and integer tensors, but got Bool");
  EXPECT_EMBER_ERROR(linalg::lu_solve(LU, pivots.unsqueeze(0), ones({3, 2}, kFloat64)),
                     "linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same");
  EXPECT_EMBER_ERROR(linalg::lu_solve(LU, pivots, ones({3, 2}, kFloat32)),
                     "linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type Double and B of "
                     "type Float instead");
  EXPECT_EMBER_ERROR(
      cholesky_solve(ones({2, 2}, kFloat64), eye(3, kFloat64)),
      "Incompatible matrix sizes for cholesky_solve: each A matrix is 3 by 3 but each b matrix is 2 by 2");
  EXPECT_EMBER_ERROR(cholesky_solve(ones({3, 2}, kFloat32), eye(3, kFloat64)),
                     "Expected b and A to have the same dtype, but found b of type Float and A of type Double instead");
  EXPECT_EMBER_ERROR(cholesky_inverse(ones({3}, kFloat64)),
                     "cholesky_inverse: The input tensor A must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(linalg::cholesky_ex(ones({2, 3}, kFloat64)),
                     "linalg.cholesky: A must be batches of square matrices, but they are 2 by 3 matrices");
}

// torch 1.13, float64.
TEST(LinalgLuFactor, SolveExTensorinvAndTensorsolveAsPyTorch) {
  const auto [X, info] = linalg::solve_ex(f64({1., 2., 2., 4.}, {2, 2}), ones({2}, kFloat64));
  EXPECT_EQ(info.item<int64_t>(), 2);
  EXPECT_FALSE(std::isfinite(X.sum().item<double>()));
  const auto [X_ok, info_ok] = linalg::solve_ex(f64(kA, {3, 3}), f64(kB, {3, 2}));
  EXPECT_EQ(info_ok.item<int64_t>(), 0);
  expect_values(X_ok, {0.40625, 0.5390625, 0.875, -0.53125, 2.125, 0.78125}, 1e-15);
  const Tensor A =
      arange(1.0, 17.0, 1.0, TensorOptions(kFloat64)).reshape({4, 2, 2}) + eye(4, kFloat64).reshape({4, 2, 2}) * 3.0;
  const Tensor inverse = linalg::tensorinv(A, 1);
  EXPECT_EQ(inverse.sizes(), (Dims{2, 2, 4}));
  expect_values(inverse.flatten().narrow(0, 0, 4),
                {0.9032258064516125, 0.27956989247311803, -0.010752688172043091, -0.30107526881720403}, 1e-14);
  const Tensor solved = linalg::tensorsolve(A, f64({1., 2., 3., 4.}, {4}));
  EXPECT_EQ(solved.sizes(), (Dims{2, 2}));
  expect_values(solved, {0.22580645161290303, 0.12903225806451601, 0.03225806451612901, -0.06451612903225777}, 1e-14);
  const Tensor C = eye(6, kFloat64).reshape({6, 2, 3}) + arange(36.0, TensorOptions(kFloat64)).reshape({6, 2, 3}) * 0.1;
  const std::vector<double> expected{1.923076923076923,    1.2307692307692304,  0.5384615384615381,
                                     -0.15384615384615413, -0.8461538461538459, -1.5384615384615377};
  expect_values(linalg::tensorsolve(C, ones({6}, kFloat64)), expected, 1e-13);
  const Tensor moved = linalg::tensorsolve(C.permute({1, 0, 2}), ones({6}, kFloat64), Dims{0});
  EXPECT_EQ(moved.sizes(), (Dims{3, 2}));
  expect_values(moved.t(), expected, 1e-13);
  EXPECT_EMBER_ERROR(linalg::tensorinv(A, 0), "Expected a strictly positive integer for 'ind', but got 0");
  EXPECT_EMBER_ERROR(linalg::tensorinv(ones({2, 3}, kFloat64), 1),
                     "Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but "
                     "got 3 != 2");
  EXPECT_EMBER_ERROR(linalg::tensorsolve(ones({2, 3, 4}, kFloat64), ones({2}, kFloat64)),
                     "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                     "prod(self.shape[:other.ndim]), but got 12 != 2");
  // gradients through the compositions
  manual_seed(45);
  Tensor a = testing::grad_input({2, 2, 4});
  {
    NoGradGuard no_grad;
    a.add_(eye(4, kFloat64).reshape({2, 2, 4}) * 3.0);
  }
  expect_gradcheck([](const Inputs& in) { return linalg::tensorinv(in[0], 2); }, {a});
  expect_gradcheck([](const Inputs& in) { return linalg::tensorsolve(in[0], ones({2, 2}, kFloat64)); }, {a});
}

// torch.lu_unpack undoes lu_factor: the (P, L, U) of linalg.lu, square, tall and wide.
TEST(LinalgLuFactor, LuUnpackGivesLusFactors) {
  manual_seed(7);
  for (const Dims& shape : {Dims{3, 3}, Dims{2, 4, 3}, Dims{3, 5}}) {
    const Tensor A = randn(shape, kFloat64);
    const auto [LU, pivots] = linalg::lu_factor(A);
    const auto [P, L, U] = lu_unpack(LU, pivots);
    const auto [P2, L2, U2] = linalg::lu(A);
    EXPECT_EQ(max_abs_diff(P, P2), 0.0);
    EXPECT_EQ(max_abs_diff(L, L2), 0.0);
    EXPECT_EQ(max_abs_diff(U, U2), 0.0);
    EXPECT_LT(max_abs_diff(matmul(P, matmul(L, U)), A), 1e-12);
    const auto [no_P, L3, U3] = lu_unpack(LU, pivots, true, false);
    EXPECT_FALSE(no_P.defined());
    const auto [P4, no_L, no_U] = lu_unpack(LU, pivots, false, true);
    EXPECT_FALSE(no_L.defined() || no_U.defined());
    EXPECT_EQ(max_abs_diff(P4, P2), 0.0);
  }
  // L and U are LU's triangles: their gradients flow into LU
  const Tensor pivots = std::get<1>(linalg::lu_factor(randn({3, 3}, kFloat64)));
  expect_gradcheck(
      [pivots](const Inputs& in) {
        const auto [P, L, U] = lu_unpack(in[0], pivots);
        return matmul(L, U);
      },
      {testing::grad_input({3, 3})});
  EXPECT_EMBER_ERROR(lu_unpack(ones({3, 3}, kFloat64), ones({3}, kFloat64)), "LU_pivots is expected to be a tensor of");
  EXPECT_EMBER_ERROR(lu_unpack(ones({3, 3}, kFloat64), ones({2}, kInt64)), "Expected LU_pivots of shape [3]");
}

// torch.linalg.cond for each p, on diag(1, 2) (worked by hand) and a singular matrix.
TEST(LinalgLuFactor, CondForEveryNormType) {
  const Tensor A = f64({1., 0., 0., 2.}, {2, 2});
  const double inf = std::numeric_limits<double>::infinity();
  expect_values(linalg::cond(A), {2.0}, 1e-14);
  expect_values(linalg::cond(A, -2.0), {0.5}, 1e-14);
  expect_values(linalg::cond(A, 1.0), {2.0}, 1e-14);
  expect_values(linalg::cond(A, -1.0), {0.5}, 1e-14);
  expect_values(linalg::cond(A, inf), {2.0}, 1e-14);
  expect_values(linalg::cond(A, "fro"), {2.5}, 1e-14);
  expect_values(linalg::cond(A, "nuc"), {4.5}, 1e-14);
  const Tensor singular = f64({1., 1., 1., 1.}, {2, 2});
  EXPECT_EQ(linalg::cond(singular, 1.0).item<double>(), inf);
  EXPECT_EQ(linalg::cond(zeros({2, 2}, kFloat64), "fro").item<double>(), inf);  // 0 * inf taken as inf
  EXPECT_EQ(linalg::cond(zeros({3, 0, 0}, kFloat64), 1.0).sizes(), (Dims{3}));
  expect_values(linalg::cond(f64({3., 0., 0., 0., 1., 0.}, {2, 3})), {3.0}, 1e-14);  // p = 2 takes any m x n
  expect_gradcheck([](const Inputs& in) { return linalg::cond(in[0] + eye(3, kFloat64) * 3.0, 1.0); },
                   {testing::grad_input({3, 3})});
  EXPECT_EMBER_ERROR(linalg::cond(A, 3.0), "linalg.cond got an invalid norm type: 3");
  EXPECT_EMBER_ERROR(linalg::cond(A, "spectral"), "linalg.cond got an invalid norm type: spectral");
  EXPECT_EMBER_ERROR(linalg::cond(ones({2, 3}, kFloat64), 1.0), "A must be batches of square matrices");
  EXPECT_EMBER_ERROR(linalg::cond(ones({3}, kFloat64)), "must have at least 2 dimensions");
}

}  // namespace
}  // namespace ember
