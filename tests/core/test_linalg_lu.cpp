// linalg::det, slogdet, solve, inv, torch.det / logdet / inverse and cholesky (Note [LU-based
// linalg]), and the composed matrix_power, cross and matrix_norm: values against PyTorch 1.13,
// batches, broadcasting, the vector case, left = false, float64 gradcheck and gradgradcheck,
// singular and indefinite matrices, empty ones and PyTorch's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "support/linalg_helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::f64;
using Inputs = std::vector<Tensor>;

// A needs a row swap at k = 0 (|4| > |2|) and at k = 1.
const std::vector<double> kA{2., -1., 0.5, 4., 3., -2., -1., 0.25, 1.5};
const std::vector<double> kB{1., 2., 0., -1., 3., 0.5};

// torch 1.13, float64: linalg.det / slogdet / solve / inv of A (3 x 3) and B (3 x 2).
TEST(LinalgLu, ValuesAsPyTorch) {
  const Tensor A = f64(kA, {3, 3}), B = f64(kB, {3, 2});
  expect_values(linalg::det(A), {16.0}, 1e-13);
  const auto [sign, logabsdet] = linalg::slogdet(A);
  expect_values(sign, {1.0}, 0.0);
  expect_values(logabsdet, {2.772588722239781}, 1e-14);
  expect_values(linalg::solve(A, B), {0.40625, 0.5390625, 0.875, -0.53125, 2.125, 0.78125}, 1e-14);
  expect_values(linalg::inv(A), {0.3125, 0.1015625, 0.03125, -0.25, 0.21875, 0.375, 0.25, 0.03125, 0.625}, 1e-14);
  expect_values(linalg::solve(A, B.transpose(0, 1), /*left=*/false), {1.0625, 0.1953125, 1.90625, 1.0, 0.0, 0.0},
                1e-14);
  // one swap: det -1; logdet of a negative determinant is NaN, of a singular matrix -inf
  const Tensor P = f64({0., 1., 1., 0.}, {2, 2});
  expect_values(det(P), {-1.0}, 0.0);
  expect_values(linalg::slogdet(P).first, {-1.0}, 0.0);
  expect_values(logdet(f64({-2., 1., 1., 1.}, {2, 2})), {std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(logdet(zeros({2, 2}, kFloat64)).item<double>(), -std::numeric_limits<double>::infinity());
  // float32 within its precision; the Tensor methods
  expect_values(inverse(A.to(kFloat32)), linalg::inv(A).to_vector<double>(), 1e-6);
  expect_values(A.inverse(), linalg::inv(A).to_vector<double>(), 0.0);
  expect_values(A.det(), {16.0}, 1e-13);
  expect_values(A.logdet(), {2.772588722239781}, 1e-14);
}

// torch 1.13: a matrix whose LU swaps rows at k = 0 and k = 1 (pivots [2, 3, 3]).
TEST(LinalgLu, SwapsAtEveryStep) {
  const Tensor A = f64({1., 2., 0., 2., 1., 1., -1., 5., 3.}, {3, 3});
  expect_values(linalg::det(A), {-16.0}, 1e-13);
  expect_values(linalg::solve(A, f64({1., 2., 3.}, {3})), {0.5, 0.25, 0.75}, 1e-15);
  expect_values(linalg::inv(A), {0.125, 0.375, -0.125, 0.4375, -0.1875, 0.0625, -0.6875, 0.4375, 0.1875}, 1e-15);
}

// Results are ordinary tensors: in-place ops on them record, and backward through them
// gives the gradient of what was computed; where the node saved the result (solve's X),
// backward is PyTorch's version error.
TEST(LinalgLu, InPlaceOnResults) {
  Tensor A = f64(kA, {3, 3}).requires_grad_(true);
  Tensor logabsdet = linalg::slogdet(A).second;
  logabsdet.mul_(2.0);
  logabsdet.backward();
  EXPECT_LT(testing::max_abs_diff(A.grad(), linalg::inv(A.detach()).transpose(0, 1) * 2.0), 1e-14);
  Tensor X = linalg::solve(A, f64(kB, {3, 2}));
  X.add_(1.0);
  EXPECT_EMBER_ERROR(autograd::grad({X.sum()}, {A}), "modified by an inplace operation");
}

TEST(LinalgLu, BatchesBroadcastingAndTheVectorCase) {
  manual_seed(4);
  const Tensor A = randn({2, 3, 4, 4}, kFloat64) + eye(4, kFloat64) * 3.0;
  const Tensor B = randn({3, 4, 2}, kFloat64);
  const Tensor X = linalg::solve(A, B);  // B broadcast over A's first batch dim
  EXPECT_EQ(X.sizes(), (Dims{2, 3, 4, 2}));
  EXPECT_LT(testing::max_abs_diff(matmul(A, X), B.expand({2, 3, 4, 2})), 1e-12);
  // each matrix as the unbatched call
  const Tensor d = linalg::det(A);
  EXPECT_EQ(d.sizes(), (Dims{2, 3}));
  expect_values(d.select(0, 1).select(0, 2), linalg::det(A.select(0, 1).select(0, 2)).to_vector<double>(), 1e-12);
  EXPECT_LT(testing::max_abs_diff(matmul(A, linalg::inv(A)), eye(4, kFloat64).expand({2, 3, 4, 4})), 1e-12);
  // PyTorch's vector case: B [n], or B of A's batch shape and n
  const Tensor v = randn({4}, kFloat64);
  EXPECT_EQ(linalg::solve(A, v).sizes(), (Dims{2, 3, 4}));
  const Tensor batched_v = randn({2, 3, 4}, kFloat64);
  const Tensor xv = linalg::solve(A, batched_v);
  EXPECT_EQ(xv.sizes(), (Dims{2, 3, 4}));
  EXPECT_LT(testing::max_abs_diff(matmul(A, xv.unsqueeze(-1)).squeeze(-1), batched_v), 1e-12);
  // a strided (transposed) A is the same matrix
  const Tensor At = A.transpose(-2, -1).contiguous().transpose(-2, -1);
  EXPECT_LT(testing::max_abs_diff(linalg::solve(At, B), X), 1e-13);
}

TEST(LinalgLu, GradcheckAndGradgradcheck) {
  manual_seed(7);
  const Tensor A = (randn({2, 3, 3}, kFloat64) + eye(3, kFloat64) * 2.0).requires_grad_(true);
  const Tensor B = randn({2, 3, 2}, kFloat64).requires_grad_(true);
  const Tensor b = randn({3}, kFloat64).requires_grad_(true);
  const std::vector<std::pair<const char*, autograd::GradcheckFn>> cases{
      {"det", [](const Inputs& in) { return linalg::det(in[0]); }},
      {"slogdet", [](const Inputs& in) { return linalg::slogdet(in[0]).second; }},
      {"logdet of A A^T", [](const Inputs& in) { return logdet(matmul(in[0], in[0].transpose(-2, -1))); }},
      {"inv", [](const Inputs& in) { return linalg::inv(in[0]); }},
      {"solve", [](const Inputs& in) { return linalg::solve(in[0], in[1]); }},
      {"solve, left = false", [](const Inputs& in) { return linalg::solve(in[0], in[1].transpose(-2, -1), false); }},
      {"solve a broadcast vector", [](const Inputs& in) { return linalg::solve(in[0], in[2]); }},
      {"one A for a batch of B", [](const Inputs& in) { return linalg::solve(in[0].select(0, 1), in[1]); }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    expect_gradcheck(fn, {A, B, b});
    const auto r = autograd::gradgradcheck_report(fn, {A, B, b});
    EXPECT_TRUE(r.ok) << r.message;
  }
  // torch 1.13: the gradient of det(A) is det A^-T
  Tensor a = f64(kA, {3, 3}).requires_grad_(true);
  linalg::det(a).backward();
  expect_values(a.grad(), {5.0, -4.0, 4.0, 1.625, 3.5, 0.5, 0.5, 6.0, 10.0}, 1e-13);
}

// torch 1.13: det of a singular matrix is 0 with a zero gradient; slogdet is (0, -inf) with
// an infinite gradient; solve and inv raise.
TEST(LinalgLu, SingularMatrices) {
  Tensor S = f64({1., 2., 2., 4.}, {2, 2}).requires_grad_(true);
  const Tensor d = linalg::det(S);
  expect_values(d, {0.0}, 0.0);
  d.backward();
  expect_values(S.grad(), {0.0, 0.0, 0.0, 0.0}, 0.0);
  const auto [sign, logabsdet] = linalg::slogdet(S);
  expect_values(sign, {0.0}, 0.0);
  EXPECT_TRUE(std::isinf(logabsdet.item<double>()));
  const Tensor g = autograd::grad({logabsdet}, {S})[0];
  for (const double v : g.to_vector<double>()) EXPECT_FALSE(std::isfinite(v));
  EXPECT_EMBER_ERROR(linalg::solve(S, ones({2}, kFloat64)),
                     "torch.linalg.solve: The solver failed because the input matrix is singular.");
  EXPECT_EMBER_ERROR(linalg::inv(S),
                     "linalg.inv: The diagonal element 2 is zero, the inversion could not be "
                     "completed because the input matrix is singular.");
  const Tensor batch = stack({eye(2, kFloat64), S.detach()});
  EXPECT_EMBER_ERROR(linalg::solve(batch, ones({2, 2}, kFloat64)),
                     "torch.linalg.solve: (Batch element 1): The solver failed because the input matrix is singular.");
  // the element of A's own batch, when B broadcasts it (torch 1.13), and an empty B too
  EXPECT_EMBER_ERROR(linalg::solve(batch.unsqueeze(1), ones({2, 3, 2, 1}, kFloat64)),
                     "torch.linalg.solve: (Batch element 1): The solver failed");
  EXPECT_EMBER_ERROR(linalg::solve(S.detach(), ones({2, 0}, kFloat64)),
                     "torch.linalg.solve: The solver failed because the input matrix is singular.");
}

TEST(LinalgLu, EmptyMatricesAndBatches) {
  expect_values(linalg::det(zeros({0, 0}, kFloat64)), {1.0}, 0.0);
  expect_values(linalg::slogdet(zeros({0, 0}, kFloat64)).second, {0.0}, 0.0);
  EXPECT_EQ(linalg::inv(zeros({0, 0}, kFloat64)).sizes(), (Dims{0, 0}));
  EXPECT_EQ(linalg::det(zeros({0, 3, 3}, kFloat64)).sizes(), Dims{0});
  EXPECT_EQ(linalg::solve(zeros({0, 3, 3}, kFloat64), zeros({3, 2}, kFloat64)).sizes(), (Dims{0, 3, 2}));
}

// torch 1.13's messages.
TEST(LinalgLu, ErrorsArePyTorchs) {
  EXPECT_EMBER_ERROR(linalg::solve(ones({2, 3}), ones({2})),
                     "linalg.solve: A must be batches of square matrices, but they are 2 by 3 matrices");
  EXPECT_EMBER_ERROR(linalg::inv(ones({2, 2}, kInt64)),
                     "linalg.inv: Expected a floating point or complex tensor as input. Got Long");
  EXPECT_EMBER_ERROR(linalg::det(ones({3})), "linalg.det: The input tensor A must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(linalg::solve(eye(3), ones({2})),
                     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x1)");
  EXPECT_EMBER_ERROR(linalg::solve(eye(2), ones({2}, kFloat64)),
                     "linalg.solve: Expected A and B to have the same dtype");
  EXPECT_EMBER_ERROR(linalg::inv(eye(2).to(kBFloat16)), "not implemented for 'BFloat16'");
  EXPECT_EMBER_ERROR(linalg::solve(eye(3).expand({2, 3, 3}), ones({2, 3}), /*left=*/false),
                     "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)");
  EXPECT_EMBER_ERROR(linalg::solve(eye(2), scalar_tensor(1.0, kFloat32)),
                     "linalg.solve: The input tensor B must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(logdet(ones({2, 3})), "logdet: A must be batches of square matrices, but they are 2 by 3");
}

// torch 1.13, float64.
TEST(LinalgLu, CholeskyAsPyTorch) {
  const Tensor A = f64({4., 2., 0.6, 2., 5., 1., 0.6, 1., 3.}, {3, 3});
  expect_values(linalg::cholesky(A), {2.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.3, 0.35, 1.6695807857064}, 1e-13);
  expect_values(linalg::cholesky(A, /*upper=*/true), {2.0, 1.0, 0.3, 0.0, 2.0, 0.35, 0.0, 0.0, 1.6695807857064}, 1e-13);
  // only the lower triangle is read
  const Tensor upper_garbage = A + f64({0., 9., 9., 0., 0., 9., 0., 0., 0.}, {3, 3});
  EXPECT_TRUE(equal(linalg::cholesky(upper_garbage), linalg::cholesky(A)));
  // torch 1.13's symmetric gradient of sum(L * W) and of sum(U * W)
  const Tensor W = f64({1., 0.3, -2., 0.5, -1., 0.7, 2., 0.1, 0.4}, {3, 3});
  Tensor a = A.clone().requires_grad_(true);
  (linalg::cholesky(a) * W).sum().backward();
  expect_values(a.grad(), {0.0531, 0.2497, 0.4800, 0.2497, -0.2507, 0.0040, 0.4800, 0.0040, 0.1198}, 1e-4);
  Tensor b = A.clone().requires_grad_(true);
  (linalg::cholesky(b, true) * W).sum().backward();
  expect_values(b.grad(), {0.2441, 0.1904, -0.5950, 0.1904, -0.2770, 0.1540, -0.5950, 0.1540, 0.1198}, 1e-4);
  // gradcheck through a symmetric positive-definite parametrization, to the second order
  manual_seed(5);
  const Tensor M = randn({2, 3, 3}, kFloat64).requires_grad_(true);
  const autograd::GradcheckFn spd = [](const Inputs& in) {
    return linalg::cholesky(matmul(in[0], in[0].transpose(-2, -1)) + eye(3, kFloat64) * 0.5);
  };
  expect_gradcheck(spd, {M});
  EXPECT_TRUE(autograd::gradgradcheck(spd, {M}));
  EXPECT_EMBER_ERROR(linalg::cholesky(f64({1., 2., 2., 1.}, {2, 2})),
                     "linalg.cholesky: The factorization could not be completed because the input is not "
                     "positive-definite (the leading minor of order 2 is not positive-definite).");
  EXPECT_EMBER_ERROR(linalg::cholesky(stack({eye(2, kFloat64), f64({1., 2., 2., 1.}, {2, 2})})),
                     "linalg.cholesky: (Batch element 1): The factorization could not be completed");
  EXPECT_EMBER_ERROR(linalg::cholesky(ones({2, 2}, kInt64)),
                     "linalg.cholesky: Expected a floating point or complex tensor as input. Got Long");
  EXPECT_EQ(linalg::cholesky(zeros({0, 0}, kFloat64)).sizes(), (Dims{0, 0}));
  // a NaN pivot is an error, as PyTorch's CPU (CholeskyFlagsNaNAndReadsTheTriangleAsked)
}

// torch 1.13, float64.
TEST(LinalgComposed, MatrixPowerCrossAndMatrixNormAsPyTorch) {
  const Tensor A = f64({4., 2., 0.6, 2., 5., 1., 0.6, 1., 3.}, {3, 3});
  expect_values(linalg::matrix_power(A, 3), {122.36, 139.92, 49.416, 139.92, 196.4, 68.76, 49.416, 68.76, 44.0}, 1e-12);
  expect_values(
      linalg::matrix_power(A, -2),
      {0.11369623358603632, -0.06819763116089204, -0.007480544551468965, -0.06819763116089204, 0.08671479418447989,
       -0.03619216151541353, -0.007480544551468963, -0.03619216151541353, 0.13314162762170964},
      1e-15);
  EXPECT_TRUE(equal(linalg::matrix_power(A, 0), eye(3, kFloat64)));
  EXPECT_TRUE(equal(linalg::matrix_power(A, 1), A));
  EXPECT_EMBER_ERROR(linalg::matrix_power(ones({2, 3}), 2),
                     "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices");
  const Tensor a = f64({1., 2., 3.}, {3}), b = f64({-1., 0.5, 2.}, {3});
  expect_values(linalg::cross(a, b), {2.5, -5.0, 2.5}, 0.0);
  EXPECT_EQ(linalg::cross(ones({1, 3}), ones({2, 3})).sizes(), (Dims{2, 3}));
  expect_values(linalg::cross(a.unsqueeze(1), b.unsqueeze(1), 0).squeeze(1), {2.5, -5.0, 2.5}, 0.0);
  EXPECT_EMBER_ERROR(linalg::cross(ones({2}), ones({2})),
                     "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2");
  EXPECT_EMBER_ERROR(linalg::cross(ones({3}), ones({2, 3})),
                     "linalg.cross: inputs must have the same number of dimensions.");
  const Tensor M = f64({1., -2., 3., -4., 5., -6.5}, {2, 3});
  expect_values(linalg::matrix_norm(M), {9.86154146165801}, 1e-14);
  expect_values(linalg::matrix_norm(M, 1.0), {9.5}, 0.0);
  expect_values(linalg::matrix_norm(M, -1.0), {5.0}, 0.0);
  expect_values(linalg::matrix_norm(M, INFINITY), {15.5}, 0.0);
  expect_values(linalg::matrix_norm(M, -INFINITY), {6.0}, 0.0);
  EXPECT_EQ(linalg::matrix_norm(M.expand({4, 2, 3}), 1.0, {-2, -1}, true).sizes(), (Dims{4, 1, 1}));
  EXPECT_EMBER_ERROR(linalg::matrix_norm(M, 3.0), "linalg.matrix_norm: Order 3 not supported.");
  EXPECT_EMBER_ERROR(linalg::matrix_norm(M, "abc"), "linalg.matrix_norm: Order abc not supported.");
  if (linalg::has_lapack()) expect_values(linalg::matrix_norm(M, "nuc"), {10.507280639535896}, 1e-13);  // torch 1.13
  EXPECT_EMBER_ERROR(linalg::matrix_norm(ones({3})),
                     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.");
  // gradients through the composition
  const Tensor X = f64({1., -2., 3., -4., 5., -6.5, 0.5, 0.25, 2.}, {3, 3}).requires_grad_(true);
  for (const auto& fn :
       std::vector<autograd::GradcheckFn>{[](const Inputs& in) { return linalg::matrix_power(in[0], 3); },
                                          [](const Inputs& in) { return linalg::matrix_power(in[0], -1); },
                                          [](const Inputs& in) { return linalg::cross(in[0], in[0].flip({1})); },
                                          [](const Inputs& in) { return linalg::matrix_norm(in[0]); },
                                          [](const Inputs& in) { return linalg::matrix_norm(in[0], 1.0); }}) {
    expect_gradcheck(fn, {X});
  }
}

// As PyTorch's CPU potrf: a NaN pivot is not positive-definite (cholesky raises, cholesky_ex
// reports it); upper=true reads the upper triangle; solve's vector B with left=false is an error.
TEST(LinalgLu, CholeskyFlagsNaNAndReadsTheTriangleAsked) {
  EXPECT_EMBER_ERROR(linalg::cholesky(f64({1., 2., NAN, 1.}, {2, 2})), "the leading minor of order 2 is not positive-definite");
  EXPECT_EMBER_ERROR(linalg::cholesky(f64({NAN, 0., 0., 1.}, {2, 2})), "the leading minor of order 1 is not positive-definite");
  EXPECT_EQ(linalg::cholesky_ex(f64({NAN, 0., 0., 1.}, {2, 2})).second.item<int64_t>(), 1);
  const Tensor A = f64({4., 2., 0.6, 2., 5., 1., 0.6, 1., 3.}, {3, 3});
  const Tensor lower_garbage = A + f64({0., 0., 0., 9., 0., 0., 9., 9., 0.}, {3, 3});
  EXPECT_TRUE(equal(linalg::cholesky(lower_garbage, /*upper=*/true), linalg::cholesky(A, true)));
  const Tensor upper_changed = A + f64({0., 0., 100., 0., 0., 0., 0., 0., 0.}, {3, 3});
  EXPECT_EMBER_ERROR(linalg::cholesky(upper_changed, true), "not positive-definite");
  EXPECT_EMBER_ERROR(linalg::solve(f64({2.}, {1, 1}), f64({4.}, {1}), /*left=*/false),
                     "linalg.solve: Vector broadcasting of the left hand side is not supported for left=False");
  EXPECT_EMBER_ERROR(cholesky_inverse(eye(2, kInt64)),
                     "cholesky_inverse: Expected a floating point or complex tensor as input. Got Long");
}

}  // namespace
}  // namespace ember
