// What reviews of PyTorch's "Pointwise Ops", "Other Operations" and torch.linalg pages found:
// pow(Scalar, Tensor), positive / signbit / square, float_power_, torch.vander, inner / vdot,
// the linalg method spellings, linalg.diagonal / matmul / householder_product, norm's dim
// forms, tensor endpoints of linspace / logspace, cross's default dim, histc of a constant,
// lstsq's result shapes and the addcmul / searchsorted messages.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;

Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }
Tensor longs(const std::vector<int64_t>& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }

// torch.pow(2, x): PyTorch's wrapped-number promotion picks the dtype.
TEST(PowScalarBase, DtypesValuesAndGradient) {
  const Tensor e = longs({0, 1, 3}, {3});
  const Tensor p = pow(2, e);
  EXPECT_EQ(p.dtype(), kInt64);
  expect_values(p, {1, 2, 8}, 0);
  EXPECT_EQ(pow(2.5, e).dtype(), kFloat32);
  expect_values(pow(2.5, e), {1, 2.5, 15.625}, 1e-6);
  EXPECT_EQ(pow(2, doubles({0.5}, {1})).dtype(), kFloat64);
  expect_values(pow(1, longs({-2, 0, 5}, {3})), {1, 1, 1}, 0);  // PyTorch's 1 ** x shortcut
  expect_gradcheck([](const std::vector<Tensor>& in) { return pow(3.0, in[0]); }, {grad_input({4})});
}

TEST(PointwiseSpellings, PositiveSignbitSquareResolve) {
  const Tensor x = doubles({-0.0, 0.0, -2.5, std::numeric_limits<double>::infinity(), -std::nan("")}, {5});
  EXPECT_TRUE(positive(x).is_same(x));
  EXPECT_EMBER_ERROR(positive(zeros({2}, dtype(kBool))), "The `+` operator, on a bool tensor is not supported.");
  expect_values(signbit(x).to(kInt64), {1, 0, 1, 0, 1}, 0);
  EXPECT_EQ(signbit(x).dtype(), kBool);
  expect_values(longs({-3, 0, 4}, {3}).signbit().to(kInt64), {1, 0, 0}, 0);
  expect_values(tensor({200}, dtype(kUInt8)).signbit().to(kInt64), {0}, 0);
  expect_values(square(longs({-3, 4}, {2})), {9, 16}, 0);
  EXPECT_TRUE(resolve_conj(x).is_same(x));
  EXPECT_TRUE(x.resolve_neg().is_same(x));
  EXPECT_EQ(unflatten(zeros({6}), 0, {2, 3}).sizes(), Dims({2, 3}));
  const Tensor s = zeros({2}).new_empty_strided({2, 2}, {1, 2});
  EXPECT_EQ(s.strides(), Dims({1, 2}));
  EXPECT_EQ(s.dtype(), kFloat32);
}

TEST(FloatPowerInPlace, NeedsAFloat64Self) {
  Tensor x = doubles({2, 3}, {2});
  x.float_power_(2);
  expect_values(x, {4, 9}, 0);
  x.float_power_(doubles({0.5, 0.5}, {2}));
  expect_values(x, {2, 3}, 1e-15);
  Tensor f = ones({2});
  EXPECT_EMBER_ERROR(f.float_power_(2),
                     "the base given to float_power_ has dtype Float but the operation's result "
                     "requires dtype Double");
}

// torch.vander's documented example: decreasing powers by default.
TEST(TorchVander, DocumentedExample) {
  const Tensor x = longs({1, 2, 3, 5}, {4});
  const Tensor v = vander(x);
  EXPECT_EQ(v.sizes(), Dims({4, 4}));
  EXPECT_EQ(v.dtype(), kInt64);
  expect_values(v, {1, 1, 1, 1, 8, 4, 2, 1, 27, 9, 3, 1, 125, 25, 5, 1}, 0);
  expect_values(vander(x, 3), {1, 1, 1, 4, 2, 1, 9, 3, 1, 25, 5, 1}, 0);
  expect_values(vander(x, 3, true), {1, 1, 1, 1, 2, 4, 1, 3, 9, 1, 5, 25}, 0);
  EXPECT_TRUE(vander(doubles({2, 3}, {2}), 3, true).equal(linalg::vander(doubles({2, 3}, {2}), 3)));
  EXPECT_EQ(vander(x, 0).sizes(), Dims({4, 0}));
  EXPECT_EMBER_ERROR(vander(zeros({2, 2})), "x must be a one-dimensional tensor.");
  EXPECT_EMBER_ERROR(vander(x, -1), "N must be non-negative.");
}

TEST(InnerAndVdot, ContractTheLastDims) {
  const Tensor a = doubles({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = doubles({1, 0, -1, 2, 2, 2}, {2, 3});
  const Tensor r = inner(a, b);
  EXPECT_EQ(r.sizes(), Dims({2, 2}));
  expect_values(r, {-2, 12, -2, 30}, 0);
  expect_values(a.inner(doubles({2}, {})), {2, 4, 6, 8, 10, 12}, 0);
  EXPECT_EMBER_ERROR(inner(a, zeros({4}, dtype(kFloat64))), "inner() the last dimension must match");
  expect_values(vdot(doubles({1, 2}, {2}), doubles({3, 4}, {2})), {11}, 0);
  expect_values(doubles({1, 2}, {2}).kron(doubles({1, 10}, {2})), {1, 10, 2, 20}, 0);
  expect_values(doubles({1, 2}, {2}).diagflat(), {1, 0, 0, 2}, 0);
}

TEST(LinalgSpellings, MethodsAndFreeFunctions) {
  const Tensor A = doubles({2, 1, 1, 3}, {2, 2});
  expect_values(A.matrix_power(2), {5, 5, 5, 10}, 1e-12);
  const auto [sign, logabsdet] = A.slogdet();
  expect_values(sign, {1}, 0);
  expect_values(logabsdet, {std::log(5.0)}, 1e-14);
  expect_values(slogdet(A).second, {std::log(5.0)}, 1e-14);
  EXPECT_LT(ember::testing::max_abs_diff(A.pinverse(), linalg::inv(A)), 1e-12);
  EXPECT_LT(ember::testing::max_abs_diff(A.matrix_exp(), linalg::matrix_exp(A)), 1e-15);
  const Tensor batch = arange(0, 8, 1, dtype(kFloat64)).view({2, 2, 2});
  expect_values(linalg::diagonal(batch), {0, 3, 4, 7}, 0);
  EXPECT_EQ(linalg::diagonal(batch).sizes(), Dims({2, 2}));
  EXPECT_TRUE(linalg::matmul(batch, batch).equal(matmul(batch, batch)));
  // norm's dims as a braced list or an integer, as libtorch's
  const Tensor M = doubles({3, 4, 0, 0}, {2, 2});
  expect_values(linalg::norm(M, 2, {1}), {5, 0}, 1e-15);
  expect_values(linalg::norm(M, 2, 0), {3, 4}, 1e-15);
  expect_values(linalg::norm(M, "fro", {0, 1}), {5}, 1e-15);
}

// LAPACK orgqr's product, against H_0 H_1 computed by hand in float64.
TEST(HouseholderProduct, ValuesChecksAndGradient) {
  const Tensor V = doubles({1, 0, 0.5, 1, 0.25, -0.5}, {3, 2});
  const Tensor tau = doubles({1.2, 0.8}, {2});
  expect_values(linalg::householder_product(V, tau), {-0.2, -0.24, -0.6, 0.08, -0.3, 0.34}, 1e-15);
  // tau shorter than the columns: only the first reflectors
  const Tensor one = linalg::householder_product(V, tau.narrow(0, 0, 1));
  expect_values(one, {1 - 1.2, -0.6, -0.6, 1 - 0.3, -0.3, -0.15}, 1e-15);
  EXPECT_EMBER_ERROR(linalg::householder_product(V.t(), tau), "input.shape[-2] must be greater than or equal to");
  EXPECT_EMBER_ERROR(linalg::householder_product(V, tau.to(kFloat32)),
                     "tau dtype Float does not match input dtype Double");
  EXPECT_EMBER_ERROR(linalg::householder_product(V, zeros({3}, dtype(kFloat64))),
                     "input.shape[-1] must be greater than or equal to tau.shape[-1]");
  expect_gradcheck([](const std::vector<Tensor>& in) { return linalg::householder_product(in[0], in[1]); },
                   {grad_input({2, 4, 3}), grad_input({2, 3})});
}

TEST(SpaceTensorEndpoints, ZeroDimOnly) {
  expect_values(linspace(doubles({0}, {}), doubles({1}, {}), 3), {0, 0.5, 1}, 0);
  expect_values(logspace(doubles({0}, {}), doubles({2}, {}), 3, 10.0, dtype(kFloat64)), {1, 10, 100}, 1e-12);
  EXPECT_EMBER_ERROR(linspace(doubles({0, 1}, {2}), doubles({1}, {}), 3),
                     "linspace only supports 0-dimensional start and end tensors, but got start with 1 dimension(s) "
                     "and end with 0 dimension(s).");
}

// PyTorch's _get_cross_dim reads the input's shape only: [1, 3] with [3, 3] crosses along dim 1.
TEST(CrossDefaultDim, FromTheInputsShape) {
  const Tensor a = doubles({1, 0, 0}, {1, 3});
  const Tensor b = doubles({0, 1, 0, 0, 0, 1, 1, 0, 0}, {3, 3});
  expect_values(cross(a, b), {0, 0, 1, 0, -1, 0, 0, 0, 0}, 0);
}

// A constant whose widening by 1 rounds away in its dtype still lands in the middle bin.
TEST(HistcConstant, WideningThatRoundsAway) {
  expect_values(histc(full({4}, 1e8), 3), {0, 4, 0}, 0);
  expect_values(histc(full({2}, 1e17, dtype(kFloat64)), 4), {0, 0, 2, 0}, 0);
  expect_values(histc(full({3}, 2.0), 4), {0, 0, 3, 0}, 0);
}

// rank and singular_values have A's own batch shape, the solution the broadcast one.
TEST(LstsqShapes, RankAndSingularValuesFollowA) {
  const Tensor A = doubles({1, 0, 0, 0, 2, 0, 0, 0, 0}, {1, 3, 3});
  const Tensor B = doubles({1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {2, 3, 3});
  const auto r = linalg::lstsq(A, B, std::nullopt, "gelsd");
  EXPECT_EQ(r.solution.sizes(), Dims({2, 3, 3}));
  EXPECT_EQ(r.rank.sizes(), Dims({1}));
  expect_values(r.rank, {2}, 0);
  EXPECT_EQ(r.singular_values.sizes(), Dims({1, 3}));
  expect_values(r.singular_values, {2, 1, 0}, 1e-15);
}

TEST(ReviewMessages, AddcmulIntegerValueAndSearchsortedSorter) {
  // PyTorch's kernel takes value as the integer dtype: 0.5 is 0.
  expect_values(addcmul(longs({1}, {1}), longs({2}, {1}), longs({3}, {1}), 0.5), {1}, 0);
  expect_values(addcmul(longs({1}, {1}), longs({2}, {1}), longs({3}, {1}), 2.7), {13}, 0);
  EXPECT_EMBER_ERROR(
      searchsorted(doubles({3, 1, 2}, {3}), doubles({2.5}, {1}), false, false, std::nullopt, longs({1, 2, 5}, {3})),
      "torch.searchsorted(): sorter index out of range");
}

}  // namespace
}  // namespace ember
