// linalg::eigh, eigvalsh, svd, svdvals, qr, pinv, matrix_rank, cond, lstsq and the
// singular-value matrix norms (Note [Spectral linalg]): values and gradients against PyTorch 1.13, the
// factorizations' identities, batches, empty shapes, float32, float64 gradcheck and
// gradgradcheck through functions that do not depend on the vectors' signs, and PyTorch's
// errors. Skipped in a build without LAPACK.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "support/linalg_helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::f64;
using ember::testing::max_abs_diff;
using ember::testing::transposed;
using Inputs = std::vector<Tensor>;

#define SKIP_WITHOUT_LAPACK() \
  if (!linalg::has_lapack()) GTEST_SKIP() << "ember built without LAPACK"

// The identity shaped as x's last two dims allow: [*, n, n].
Tensor identity(int64_t n) { return eye(n, kFloat64); }

const std::vector<double> kSymmetric{4., 1., -2., 1., 2., 0.5, -2., 0.5, 3.};
const std::vector<double> kTall{1., -2., 3., -4., 5., -6.5};  // 3 x 2
const std::vector<double> kWeights{0.3, -1., 2., 1., 0.5, -0.7, 0.2, 0.9, -1.1};

std::vector<double> abs_values(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v) out.push_back(std::abs(x));
  return out;
}

// torch 1.13, float64.
TEST(LinalgSpectral, EighAsPyTorch) {
  SKIP_WITHOUT_LAPACK();
  const Tensor S = f64(kSymmetric, {3, 3});
  const auto [L, V] = linalg::eigh(S);
  expect_values(L, {0.6539237684613837, 2.7163484656182617, 5.629727765920354}, 1e-14);
  // eigenvectors up to sign (LAPACK's choice)
  expect_values(
      V.abs(),
      abs_values({-0.5323243447980565, 0.2746339319336716, -0.8007540167654303, 0.612516986895522, 0.7778893374994165,
                  -0.1403962940007678, -0.5843404253513105, 0.565211802809682, 0.5823073803970534}),
      1e-14);
  EXPECT_LT(max_abs_diff(matmul(V * L.unsqueeze(0), transposed(V)), S), 1e-14);
  EXPECT_LT(max_abs_diff(matmul(transposed(V), V), identity(3)), 1e-14);
  // without vectors LAPACK takes another path (sterf, not stedc): the same values within an ulp or two
  expect_values(linalg::eigvalsh(S), L.to_vector<double>(), 1e-14);
  // only one triangle is read
  Tensor upper_changed = S.clone();
  upper_changed.select(0, 0).select(0, 1).fill_(7.0);
  expect_values(linalg::eigvalsh(upper_changed), L.to_vector<double>(), 1e-14);
  expect_values(linalg::eigvalsh(upper_changed, "U"), {-4.458172120720103, 3.189064667305324, 10.269107453414776},
                1e-13);
  expect_values(linalg::eigvalsh(upper_changed, "u"), linalg::eigvalsh(upper_changed, "U").to_vector<double>(), 0.0);
  // float32 in float32
  const Tensor L32 = linalg::eigvalsh(S.to(kFloat32));
  EXPECT_EQ(L32.dtype(), kFloat32);
  expect_values(L32, L.to_vector<double>(), 1e-5);
}

TEST(LinalgSpectral, SvdAsPyTorch) {
  SKIP_WITHOUT_LAPACK();
  const Tensor M = f64(kTall, {3, 2});
  const auto [U, S, Vh] = linalg::svd(M);
  EXPECT_EQ(U.sizes(), (Dims{3, 3}));
  EXPECT_EQ(Vh.sizes(), (Dims{2, 2}));
  expect_values(S, {9.852920234522093, 0.41226551170948406}, 1e-14);
  expect_values(U.abs(),
                abs_values({-0.22330914878964228, 0.9669444187311547, 0.12309149097933239, -0.5074636678955181,
                            -0.0075088841904064505, -0.8616404368553292, -0.832234131619746, -0.25487665201599924,
                            0.49236596391733106}),
                1e-14);
  expect_values(Vh.abs(), abs_values({-0.599504580365806, 0.800371325148783, -0.800371325148783, -0.599504580365806}),
                1e-14);
  EXPECT_LT(max_abs_diff(matmul(U, transposed(U)), identity(3)), 1e-14);
  EXPECT_LT(max_abs_diff(matmul(U.narrow(1, 0, 2) * S.unsqueeze(0), Vh), M), 1e-14);
  // reduced, of the wide transpose: U [2, 2], Vh [2, 3]
  const auto [Uw, Sw, Vhw] = linalg::svd(transposed(M), false);
  EXPECT_EQ(Uw.sizes(), (Dims{2, 2}));
  EXPECT_EQ(Vhw.sizes(), (Dims{2, 3}));
  expect_values(Sw, S.to_vector<double>(), 1e-14);
  EXPECT_LT(max_abs_diff(matmul(Uw * Sw.unsqueeze(0), Vhw), transposed(M)), 1e-14);
  EXPECT_LT(max_abs_diff(matmul(Vhw, transposed(Vhw)), identity(2)), 1e-14);
  expect_values(linalg::svdvals(M), S.to_vector<double>(), 1e-14);
  expect_values(linalg::svdvals(M.to(kFloat32)), S.to_vector<double>(), 1e-5);
}

TEST(LinalgSpectral, QrAsPyTorch) {
  SKIP_WITHOUT_LAPACK();
  const Tensor M = f64(kTall, {3, 2});
  // Householder QR, as PyTorch's LAPACK: the same signs
  const auto [Q, R] = linalg::qr(M);
  expect_values(Q,
                {-0.16903085094570325, 0.977894194827363, -0.50709255283711, 0.02080625946441167, -0.8451542547285166,
                 -0.20806259464411958},
                1e-14);
  expect_values(R, {-5.916079783099616, 7.859934568975204, 0.0, -0.6866065623255952}, 1e-14);
  const auto [Qc, Rc] = linalg::qr(M, "complete");
  EXPECT_EQ(Qc.sizes(), (Dims{3, 3}));
  EXPECT_EQ(Rc.sizes(), (Dims{3, 2}));
  expect_values(Qc.select(1, 2), {0.12309149097933239, -0.8616404368553292, 0.49236596391733106}, 1e-14);
  expect_values(Rc.select(0, 2), {0.0, 0.0}, 0.0);
  EXPECT_LT(max_abs_diff(matmul(Qc, Rc), M), 1e-14);
  const auto [Qr, Rr] = linalg::qr(M, "r");
  EXPECT_EQ(Qr.numel(), 0);
  expect_values(Rr, R.to_vector<double>(), 0.0);
  const auto [Qw, Rw] = linalg::qr(transposed(M));  // wide: Q [2, 2], R [2, 3]
  expect_values(Qw, {-0.44721359549995787, 0.8944271909999157, 0.8944271909999157, 0.4472135954999581}, 1e-14);
  expect_values(Rw,
                {-2.23606797749979, -4.919349550499537, -8.04984471899924, 0.0, 0.8944271909999149, 1.5652475842498514},
                1e-14);
  const auto [Q32, R32] = linalg::qr(M.to(kFloat32));
  EXPECT_EQ(Q32.dtype(), kFloat32);
  EXPECT_LT(max_abs_diff(matmul(Q32, R32).to(kFloat64), M), 1e-5);
}

TEST(LinalgSpectral, PinvRankCondAndNormsAsPyTorch) {
  SKIP_WITHOUT_LAPACK();
  const Tensor M = f64(kTall, {3, 2});
  expect_values(linalg::pinv(M),
                {-1.8636363636363635, 0.04545454545454605, 0.5454545454545451, -1.4242424242424243,
                 -0.030303030303029863, 0.30303030303030276},
                1e-13);
  const Tensor S = f64(kSymmetric, {3, 3});
  expect_values(linalg::pinv(S, std::nullopt, std::nullopt, /*hermitian=*/true),
                {0.575, -0.4, 0.45, -0.4, 0.8, -0.4, 0.45, -0.4, 0.7}, 1e-14);
  // rank 2: the small singular value is cut at max(m, n) eps times the largest
  const Tensor Z = f64({1., 2., 3., 2., 4., 6., 1., 0., 1.}, {3, 3});
  expect_values(
      linalg::pinv(Z),
      {-0.03333333333333385, -0.06666666666666661, 0.8333333333333338, 0.0666666666666671, 0.13333333333333325,
       -0.6666666666666669, 0.033333333333333236, 0.06666666666666664, 0.16666666666666682},
      1e-13);
  EXPECT_EQ(linalg::matrix_rank(Z).item<int64_t>(), 2);
  EXPECT_EQ(linalg::matrix_rank(Z).dtype(), kInt64);
  EXPECT_EQ(linalg::matrix_rank(Z, 1.0).item<int64_t>(), 1);
  EXPECT_EQ(linalg::matrix_rank(Z, std::nullopt, 0.5).item<int64_t>(), 1);
  EXPECT_EQ(linalg::matrix_rank(S, std::nullopt, std::nullopt, true).item<int64_t>(), 3);
  expect_values(linalg::cond(M), {23.89945303371693}, 1e-12);
  expect_values(linalg::cond(S), {8.609149930681564}, 1e-12);
  EXPECT_GT(linalg::cond(Z).item<double>(), 1e15);
  const Tensor W = f64({1., -2., 3., -4., 5., -6.5}, {2, 3});
  expect_values(linalg::matrix_norm(W, "nuc"), {10.507280639535896}, 1e-13);
  expect_values(linalg::matrix_norm(W, 2.0), {9.838862603421001}, 1e-13);
  expect_values(linalg::matrix_norm(W, -2.0), {0.6684180361148957}, 1e-13);
  // over other dims, keepdim
  const Tensor W3 = transposed(W).unsqueeze(1).expand({3, 4, 2}).contiguous();  // matrices over dims 0 and 2
  const Tensor n3 = linalg::matrix_norm(W3, "nuc", {2, 0}, true);
  EXPECT_EQ(n3.sizes(), (Dims{1, 4, 1}));
  expect_values(n3, std::vector<double>(4, 10.507280639535896), 1e-13);
  EXPECT_EQ(linalg::cond(zeros({0, 0}, kFloat64)).item<double>(), 0.0);
}

TEST(LinalgSpectral, BatchesAndEmptyShapes) {
  SKIP_WITHOUT_LAPACK();
  manual_seed(7);
  const Tensor A = randn({2, 3, 5, 4}, kFloat64);
  const auto [U, S, Vh] = linalg::svd(A, false);
  EXPECT_EQ(U.sizes(), (Dims{2, 3, 5, 4}));
  EXPECT_EQ(S.sizes(), (Dims{2, 3, 4}));
  EXPECT_LT(max_abs_diff(matmul(U * S.unsqueeze(-2), Vh), A), 1e-13);
  // each matrix as the unbatched call
  EXPECT_LT(max_abs_diff(linalg::svdvals(A.select(0, 1).select(0, 2)), S.select(0, 1).select(0, 2)), 1e-14);
  const Tensor B = A.narrow(3, 0, 4).narrow(2, 0, 4);
  const Tensor sym = B + transposed(B);
  const auto [L, V] = linalg::eigh(sym);
  EXPECT_LT(max_abs_diff(matmul(V * L.unsqueeze(-2), transposed(V)), sym), 1e-13);
  const auto [Q, R] = linalg::qr(A);
  EXPECT_LT(max_abs_diff(matmul(Q, R), A), 1e-13);
  EXPECT_EQ(max_abs_diff(R, R.triu()), 0.0);
  EXPECT_LT(max_abs_diff(matmul(linalg::pinv(A), A), identity(4).expand({2, 3, 4, 4})), 1e-13);
  // empty, as PyTorch 1.13
  const auto [Ue, Se, Vhe] = linalg::svd(zeros({0, 3}, kFloat64));
  EXPECT_EQ(Ue.sizes(), (Dims{0, 0}));
  EXPECT_EQ(Se.sizes(), (Dims{0}));
  expect_values(Vhe, identity(3).to_vector<double>(), 0.0);
  const auto [Ur, Sr, Vhr] = linalg::svd(zeros({2, 0, 3}, kFloat64), false);
  EXPECT_EQ(Ur.sizes(), (Dims{2, 0, 0}));
  EXPECT_EQ(Vhr.sizes(), (Dims{2, 0, 3}));
  const auto [Qe, Re] = linalg::qr(zeros({3, 0}, kFloat64), "complete");
  expect_values(Qe, identity(3).to_vector<double>(), 0.0);
  EXPECT_EQ(Re.sizes(), (Dims{3, 0}));
  const auto [Qb, Rb] = linalg::qr(zeros({2, 3, 0}, kFloat64));
  EXPECT_EQ(Qb.sizes(), (Dims{2, 3, 0}));
  EXPECT_EQ(Rb.sizes(), (Dims{2, 0, 0}));
  EXPECT_EQ(linalg::eigvalsh(zeros({2, 0, 0}, kFloat64)).sizes(), (Dims{2, 0}));
  EXPECT_EQ(linalg::pinv(zeros({3, 0}, kFloat64)).sizes(), (Dims{0, 3}));
  EXPECT_EQ(linalg::matrix_rank(zeros({3, 0}, kFloat64)).item<int64_t>(), 0);
}

// A symmetric input made of a free one, so gradcheck's perturbations stay symmetric.
Tensor symmetric(const Tensor& x) { return x + transposed(x); }

TEST(LinalgSpectral, GradientsAsPyTorch) {
  SKIP_WITHOUT_LAPACK();
  const Tensor W = f64(kWeights, {3, 3});
  // eigh: PyTorch's symmetric gradient of a loss of |V| and L
  Tensor A = f64({4., 1.5, -2., 0.5, 2., 0.5, -2., 1., 3.}, {3, 3}).requires_grad_(true);
  auto [L, V] = linalg::eigh(A);
  ((V * V * W).sum() + (L * f64({1., -2., 0.5}, {3})).sum()).backward();
  expect_values(
      A.grad(),
      {0.7264433518501547, -0.7412209522998354, -0.20232224640006602, -0.7412209522998354, -0.9786393655118032,
       -1.2896942676411394, -0.20232224640006594, -1.2896942676411396, -0.24780398633835005},
      1e-13);
  // svd, tall and wide
  const Tensor s_weights = f64({1., -2.}, {2});
  Tensor M = f64(kTall, {3, 2}).requires_grad_(true);
  {
    auto [U, S, Vh] = linalg::svd(M, false);
    ((U * U * W.narrow(1, 0, 2)).sum() + (S * s_weights).sum() + (Vh * Vh * W.narrow(0, 0, 2).narrow(1, 0, 2)).sum())
        .backward();
  }
  expect_values(M.grad(),
                {1.84759847465295, 1.0147186732146187, -0.4067898744523576, -1.013789188091741, 0.5442137158495766,
                 -0.5622111345571755},
                1e-12);
  Tensor Mw = transposed(f64(kTall, {3, 2})).contiguous().requires_grad_(true);
  {
    auto [U, S, Vh] = linalg::svd(Mw, false);
    ((U * U * W.narrow(0, 0, 2).narrow(1, 0, 2)).sum() + (S * s_weights).sum() + (Vh * Vh * W.narrow(0, 0, 2)).sum())
        .backward();
  }
  expect_values(Mw.grad(),
                {1.5287348371703098, 0.8973340972198566, -0.1560583190195984, 1.0069417158436484, 0.3131355513475977,
                 -1.3622106637613738},
                1e-12);
  // qr, tall and wide
  Tensor Mq = f64(kTall, {3, 2}).requires_grad_(true);
  {
    auto [Q, R] = linalg::qr(Mq);
    ((Q * W.narrow(1, 0, 2)).sum() + (R * W.narrow(0, 0, 2).narrow(1, 0, 2)).sum()).backward();
  }
  expect_values(Mq.grad(),
                {0.34214408703091426, 0.6778384687572321, -0.43512726258389883, 0.3784720397843819,
                 -0.16231724684182003, 0.8205650389978479},
                1e-13);
  Tensor Mqw = transposed(f64(kTall, {3, 2})).contiguous().requires_grad_(true);
  {
    auto [Q, R] = linalg::qr(Mqw);
    ((Q * W.narrow(0, 0, 2).narrow(1, 0, 2)).sum() + (R * W.narrow(0, 0, 2)).sum()).backward();
  }
  expect_values(Mqw.grad(),
                {0.3130495168499705, 0.8944271909999157, -1.5205262246998568, 0.49193495504995377, -0.6708203932499367,
                 1.4758048651498608},
                1e-13);
  // pinv's closed form, also for hermitian = true (PyTorch's gradient is not symmetrized there)
  Tensor Mp = f64(kTall, {3, 2}).requires_grad_(true);
  (linalg::pinv(Mp) * W.narrow(0, 0, 2)).sum().backward();
  expect_values(Mp.grad(),
                {-1.6110192837465604, -1.4795224977043189, -4.6274104683195585, -3.4403122130394856, 3.0013774104683217,
                 2.318273645546374},
                1e-12);
  Tensor Sp = f64(kSymmetric, {3, 3}).requires_grad_(true);
  (linalg::pinv(Sp, std::nullopt, std::nullopt, true) * W).sum().backward();
  expect_values(Sp.grad(), {-0.4896875, 0.615, -0.740625, 0.245, -0.48, 0.55, -0.120625, 0.13, -0.23875}, 1e-13);
}

TEST(LinalgSpectral, Gradcheck) {
  SKIP_WITHOUT_LAPACK();
  manual_seed(21);
  const Tensor square = testing::grad_input({3, 3});
  const Tensor tall = testing::grad_input({4, 3}), wide = testing::grad_input({2, 4});
  const Tensor batch = testing::grad_input({2, 3, 2});
  const std::vector<std::pair<const char*, autograd::GradcheckFn>> fns{
      {"eigh", [](const Inputs& in) { return testing::sign_free_eigh(symmetric(in[0])); }},
      {"eigh U",
       [](const Inputs& in) {
         const auto [L, V] = linalg::eigh(symmetric(in[0]), "U");
         return matmul(V * (L * L).unsqueeze(-2), transposed(V));
       }},
      {"eigvalsh", [](const Inputs& in) { return linalg::eigvalsh(symmetric(in[0])); }},
      {"svd square", [](const Inputs& in) { return testing::sign_free_svd(in[0], false); }},
      {"svd tall full", [](const Inputs& in) { return testing::sign_free_svd(in[1], true); }},
      {"svd wide", [](const Inputs& in) { return testing::sign_free_svd(in[2], false); }},
      {"svd batch", [](const Inputs& in) { return testing::sign_free_svd(in[3], true); }},
      {"svd U only", [](const Inputs& in) { return std::get<0>(linalg::svd(in[1], false)).abs(); }},
      {"svd Vh only", [](const Inputs& in) { return std::get<2>(linalg::svd(in[2], false)).abs(); }},
      {"svdvals", [](const Inputs& in) { return linalg::svdvals(in[1]); }},
      {"qr square", [](const Inputs& in) { return testing::joined_qr(in[0]); }},
      {"qr tall", [](const Inputs& in) { return testing::joined_qr(in[1]); }},
      {"qr wide complete", [](const Inputs& in) { return testing::joined_qr(in[2], "complete"); }},
      {"qr R only", [](const Inputs& in) { return linalg::qr(in[3]).second; }},
      {"pinv", [](const Inputs& in) { return linalg::pinv(in[1]); }},
      {"pinv wide", [](const Inputs& in) { return linalg::pinv(in[2]); }},
      {"norms and cond",
       [](const Inputs& in) {
         return stack({linalg::matrix_norm(in[1], "nuc"), linalg::matrix_norm(in[1], 2.0),
                       linalg::matrix_norm(in[1], -2.0), linalg::cond(in[0])});
       }},
  };
  for (const auto& [name, fn] : fns) {
    SCOPED_TRACE(name);
    expect_gradcheck(fn, {square, tall, wide, batch});
  }
}

TEST(LinalgSpectral, SecondDerivatives) {
  SKIP_WITHOUT_LAPACK();
  manual_seed(22);
  const Tensor square = testing::grad_input({3, 3}), tall = testing::grad_input({3, 2});
  const std::vector<std::pair<const char*, autograd::GradcheckFn>> fns{
      {"eigh", [](const Inputs& in) { return testing::sign_free_eigh(symmetric(in[0])); }},
      {"svd", [](const Inputs& in) { return testing::sign_free_svd(in[1]); }},
      {"svdvals", [](const Inputs& in) { return linalg::svdvals(in[0]); }},
      {"qr", [](const Inputs& in) { return testing::joined_qr(in[1]); }},
      {"pinv", [](const Inputs& in) { return linalg::pinv(in[1]); }},
  };
  for (const auto& [name, fn] : fns) {
    SCOPED_TRACE(name);
    const auto r = autograd::gradgradcheck_report(fn, {square, tall});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(LinalgSpectral, ErrorsAsPyTorch) {
  SKIP_WITHOUT_LAPACK();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor with_nan = f64({1., nan, 2., 3.}, {2, 2});
  EXPECT_EMBER_ERROR(linalg::svd(with_nan),
                     "linalg.svd: The algorithm failed to converge because the input matrix contained non-finite "
                     "values.");
  EXPECT_EMBER_ERROR(linalg::svdvals(with_nan.expand({2, 2, 2})),
                     "linalg.svd: (Batch element 0): The algorithm failed to converge because the input matrix "
                     "contained non-finite values.");
  EXPECT_EMBER_ERROR(linalg::pinv(with_nan), "contained non-finite values");
  // eigh reads one triangle: a NaN in the other is not seen, as PyTorch's
  expect_values(linalg::eigvalsh(with_nan), {-0.2360679774997898, 4.23606797749979}, 1e-14);
  EXPECT_EMBER_ERROR(linalg::eigh(ones({2, 3}, kFloat64)),
                     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices");
  EXPECT_EMBER_ERROR(linalg::eigh(ones({2, 2}, kInt64)), "\"linalg_eigh_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(linalg::eigh(ones({3}, kFloat64)),
                     "linalg.eigh: The input tensor A must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(linalg::svd(ones({3}, kFloat64)),
                     "linalg.svd: The input tensor A must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(linalg::qr(ones({3}, kFloat64)), "linalg.qr: The input tensor A must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(linalg::svd(ones({2, 2}, kInt64)),
                     "linalg.svd: Expected a floating point or complex tensor as input. Got Long");
  EXPECT_EMBER_ERROR(linalg::qr(ones({2, 2}, kInt64)),
                     "linalg.qr: Expected a floating point or complex tensor as input. Got Long");
  EXPECT_EMBER_ERROR(linalg::svd(ones({2, 2}, kBFloat16)), "\"linalg_svd_cpu\" not implemented for 'BFloat16'");
  EXPECT_EMBER_ERROR(linalg::eigh(ones({2, 2}, kFloat64), "X"), "Expected UPLO argument to be 'L' or 'U', but got X");
  EXPECT_EMBER_ERROR(linalg::qr(ones({2, 2}, kFloat64), "x"),
                     "qr received unrecognized mode 'x' but expected one of 'reduced' (default), 'r', or 'complete'");
  EXPECT_EMBER_ERROR(linalg::pinv(ones({2, 2}, kInt64)),
                     "linalg.pinv(Long{[2, 2]}): expected a tensor with 2 or more dimensions of float, double, cfloat "
                     "or cdouble types");
  EXPECT_EMBER_ERROR(linalg::matrix_rank(ones({3}, kFloat64)),
                     "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.");
  // backward errors, raised when the gradient is asked for, as PyTorch's
  const Tensor tall = f64(kTall, {3, 2}).requires_grad_(true);
  EXPECT_EMBER_ERROR(autograd::grad({linalg::qr(tall, "r").second.sum()}, {tall}),
                     "The derivative of linalg.qr depends on Q, which is not computed when mode='r'.");
  EXPECT_EMBER_ERROR(autograd::grad({linalg::qr(tall, "complete").first.sum()}, {tall}),
                     "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.");
  // a result written in place is the version error at backward
  auto [L, V] = linalg::eigh(symmetric(f64(kSymmetric, {3, 3}).requires_grad_(true)));
  L.mul_(2.0);
  EXPECT_EMBER_ERROR(L.sum().backward(), "modified by an inplace operation");
}

// LAPACK overwrites what it is given: a single row or column (whose transpose is already
// "contiguous") must still be copied, never the caller's tensor handed over.
TEST(LinalgSpectral, InputsAreNotOverwritten) {
  SKIP_WITHOUT_LAPACK();
  for (const Dims& shape : {Dims{3, 1}, Dims{1, 3}, Dims{2, 3, 1}}) {
    SCOPED_TRACE(shape.str());
    const Tensor A = arange(1.0, 1.0 + static_cast<double>(shape_numel(shape)), 1.0, TensorOptions(kFloat64))
                         .reshape(shape)
                         .requires_grad_(true);
    const Tensor before = A.detach().clone();
    const auto [U, S, Vh] = linalg::svd(A, false);
    const auto [Q, R] = linalg::qr(A);
    const Tensor P = linalg::pinv(A);
    const linalg::LstsqResult fit = linalg::lstsq(A, ones(shape, kFloat64), std::nullopt, "gelsd");
    EXPECT_EQ(max_abs_diff(A, before), 0.0);
    EXPECT_LT(max_abs_diff(matmul(U * S.unsqueeze(-2), Vh), before), 1e-14);
    EXPECT_LT(max_abs_diff(matmul(Q, R), before), 1e-14);
    EXPECT_LT(max_abs_diff(matmul(matmul(before, P), before), before), 1e-14);
    (P.sum() + fit.solution.sum() + S.sum()).backward();
    EXPECT_TRUE(A.grad().defined());
  }
}

// Under no_grad nothing is recorded; results are plain tensors whatever the input needs.
TEST(LinalgSpectral, NoGradRecordsNothing) {
  SKIP_WITHOUT_LAPACK();
  const Tensor A = f64(kSymmetric, {3, 3}).requires_grad_(true);
  NoGradGuard no_grad;
  const auto [L, V] = linalg::eigh(A);
  const auto [U, S, Vh] = linalg::svd(A);
  const auto [Q, R] = linalg::qr(A);
  for (const Tensor& out : {L, V, U, S, Vh, Q, R, linalg::pinv(A), linalg::svdvals(A), linalg::eigvalsh(A)}) {
    EXPECT_FALSE(out.requires_grad());
    EXPECT_EQ(out.grad_fn(), nullptr);
  }
}

// torch 1.13, float64: A 3 x 2, B 3 x 2 (and the wide A^T).
TEST(LinalgSpectral, LstsqAsPyTorch) {
  SKIP_WITHOUT_LAPACK();
  const Tensor A = f64(kTall, {3, 2});
  const Tensor B = f64({1., 0., 2., -1., 0.5, 3.}, {3, 2});
  const std::vector<double> solution{-1.5, 1.5909090909090888, -1.3333333333333321, 0.9393939393939378};
  const std::vector<double> residuals{1.8333333333333344, 5.46969696969697};
  // gelsy, the CPU's default: rank, no residuals, no singular values
  const linalg::LstsqResult gelsy = linalg::lstsq(A, B);
  expect_values(gelsy.solution, solution, 1e-13);
  EXPECT_EQ(gelsy.residuals.numel(), 0);
  EXPECT_EQ(gelsy.rank.item<int64_t>(), 2);
  EXPECT_EQ(gelsy.singular_values.numel(), 0);
  const linalg::LstsqResult gelsd = linalg::lstsq(A, B, std::nullopt, "gelsd");
  expect_values(gelsd.solution, solution, 1e-13);
  expect_values(gelsd.residuals, residuals, 1e-13);
  EXPECT_EQ(gelsd.rank.item<int64_t>(), 2);
  expect_values(gelsd.singular_values, {9.852920234522095, 0.41226551170948406}, 1e-14);
  const linalg::LstsqResult gels = linalg::lstsq(A, B, std::nullopt, "gels");
  expect_values(gels.residuals, residuals, 1e-13);
  EXPECT_EQ(gels.rank.numel(), 0);
  EXPECT_EQ(gels.rank.dtype(), kInt64);
  EXPECT_EQ(linalg::lstsq(A, B, std::nullopt, "gelss").singular_values.numel(), 2);
  // wide: the minimum-norm solution, no residuals
  const linalg::LstsqResult wide = linalg::lstsq(transposed(A), B.narrow(0, 0, 2), std::nullopt, "gelsd");
  expect_values(wide.solution,
                {-4.712121212121212, 1.4242424242424243, -0.015151515151513362, 0.03030303030302972, 1.151515151515151,
                 -0.30303030303030276},
                1e-13);
  EXPECT_EQ(wide.residuals.numel(), 0);
  // rank-deficient: the minimum-norm solution, rank 1, no residuals
  const Tensor Z = f64({1., 2., 2., 4., 1., 2.}, {3, 2});
  const linalg::LstsqResult deficient = linalg::lstsq(Z, B, std::nullopt, "gelsd");
  expect_values(deficient.solution,
                {0.18333333333333326, 0.03333333333333331, 0.36666666666666675, 0.06666666666666665}, 1e-14);
  EXPECT_EQ(deficient.rank.item<int64_t>(), 1);
  EXPECT_EQ(deficient.residuals.numel(), 0);
  EXPECT_EQ(linalg::lstsq(Z, B, 0.5).rank.item<int64_t>(), 1);
  // the vector case, batches broadcast
  expect_values(linalg::lstsq(A, B.select(1, 0)).solution, {-1.5, -1.3333333333333326}, 1e-13);
  const linalg::LstsqResult vec =
      linalg::lstsq(A.expand({2, 3, 2}), B.select(1, 0).expand({2, 3}), std::nullopt, "gelsd");
  EXPECT_EQ(vec.solution.sizes(), (Dims{2, 2}));
  EXPECT_EQ(vec.residuals.sizes(), (Dims{2, 1}));
  expect_values(vec.residuals, {1.8333333333333344, 1.8333333333333344}, 1e-13);
  const linalg::LstsqResult batched = linalg::lstsq(A.expand({2, 3, 2}), B.unsqueeze(0), std::nullopt, "gelsd");
  EXPECT_EQ(batched.solution.sizes(), (Dims{2, 2, 2}));
  EXPECT_EQ(batched.residuals.sizes(), (Dims{2, 2}));
  EXPECT_EQ(batched.rank.sizes(), (Dims{2}));
  EXPECT_EQ(batched.singular_values.sizes(), (Dims{2, 2}));
  // empty, as PyTorch's: no rows gives zeros; no columns leaves all of B as residual
  const linalg::LstsqResult no_rows = linalg::lstsq(zeros({0, 2}, kFloat64), zeros({0, 3}, kFloat64));
  expect_values(no_rows.solution, std::vector<double>(6, 0.0), 0.0);
  EXPECT_EQ(no_rows.rank.item<int64_t>(), 0);
  const linalg::LstsqResult no_columns =
      linalg::lstsq(zeros({3, 0}, kFloat64), ones({3, 2}, kFloat64), std::nullopt, "gelsd");
  EXPECT_EQ(no_columns.solution.sizes(), (Dims{0, 2}));
  expect_values(no_columns.residuals, {3.0, 3.0}, 0.0);
  // a NaN in B only makes NaN results
  const linalg::LstsqResult with_nan =
      linalg::lstsq(A, full({3, 2}, std::numeric_limits<double>::quiet_NaN(), kFloat64), std::nullopt, "gelsd");
  EXPECT_TRUE(std::isnan(with_nan.solution.sum().item<double>()));
  EXPECT_EQ(with_nan.rank.item<int64_t>(), 2);
  // gradients: the solution's, PyTorch's (through the pseudo-inverse); residuals have none
  const Tensor Ag = A.clone().requires_grad_(true), Bg = B.clone().requires_grad_(true);
  const linalg::LstsqResult r = linalg::lstsq(Ag, Bg, std::nullopt, "gelsd");
  EXPECT_FALSE(r.residuals.requires_grad());
  (r.solution * f64({0.3, -1., 1., 0.5}, {2, 2})).sum().backward();
  expect_values(Ag.grad(),
                {-6.145730027548203, -4.726584022038562, 9.442837465564732, 7.03760330578512, -4.02837465564739,
                 -3.009366391184578},
                1e-12);
  expect_values(Bg.grad(),
                {-1.9833333333333334, 1.1515151515151514, -0.016666666666666045, -0.06060606060606098,
                 0.4666666666666663, -0.3939393939393937},
                1e-13);
  manual_seed(23);
  const Tensor tall = testing::grad_input({4, 2}), wide_in = testing::grad_input({2, 3}),
               rhs = testing::grad_input({4, 2});
  expect_gradcheck([](const Inputs& in) { return linalg::lstsq(in[0], in[2]).solution; }, {tall, wide_in, rhs});
  expect_gradcheck([](const Inputs& in) { return linalg::lstsq(in[1], in[2].narrow(0, 0, 2)).solution; },
                   {tall, wide_in, rhs});
  // PyTorch's errors
  EXPECT_EMBER_ERROR(linalg::lstsq(A, B, std::nullopt, "xx"),
                     "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)");
  EXPECT_EMBER_ERROR(linalg::lstsq(A, B.narrow(0, 0, 2)),
                     "torch.linalg.lstsq: input.size(-2) should match other.size(-2)");
  EXPECT_EMBER_ERROR(linalg::lstsq(A, ones({2}, kFloat64)),
                     "torch.linalg.lstsq: input.size(-2) should match other.size(-1)");
  EXPECT_EMBER_ERROR(
      linalg::lstsq(A, B.to(kFloat32)),
      "torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's dtype Double "
      "and other's dtype Float");
  EXPECT_EMBER_ERROR(linalg::lstsq(ones({3}, kFloat64), B),
                     "torch.linalg.lstsq: input must have at least 2 dimensions.");
  EXPECT_EMBER_ERROR(linalg::lstsq(A, ones({3, 1, 2}, kFloat64)),
                     "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - "
                     "other.dim()) <= 1");
}

// torch.svd / qr / pinverse / matrix_exp spellings, and the randomized low-rank SVD and PCA.
TEST(LinalgSpectral, TorchSpellingsAndLowRank) {
  SKIP_WITHOUT_LAPACK();
  const Tensor M = f64(kTall, {3, 2});
  const auto [U, S, V] = svd(M);
  EXPECT_EQ(U.sizes(), (Dims{3, 2}));
  EXPECT_EQ(V.sizes(), (Dims{2, 2}));
  expect_values(S, {9.852920234522093, 0.41226551170948406}, 1e-14);
  EXPECT_LT(max_abs_diff(matmul(U * S.unsqueeze(0), transposed(V)), M), 1e-14);  // V, not Vh
  EXPECT_EQ(std::get<0>(svd(M, /*some=*/false)).sizes(), (Dims{3, 3}));
  const auto [U0, S0, V0] = svd(M, true, /*compute_uv=*/false);
  EXPECT_EQ(U0.sizes(), (Dims{3, 3}));
  EXPECT_EQ(V0.sizes(), (Dims{2, 2}));
  EXPECT_EQ(U0.abs().sum().item<double>(), 0.0);
  EXPECT_EQ(qr(M, false).first.sizes(), (Dims{3, 3}));
  expect_values(pinverse(M), linalg::pinv(M).to_vector<double>(), 0.0);
  expect_values(matrix_exp(f64({2.}, {1, 1})), {7.38905609893065041}, 1e-15);
  EXPECT_EMBER_ERROR(svd(ones({3}, kFloat64)), "linalg.svd: input should have at least 2 dimensions, but has 1");
  // a rank-3 matrix: the low-rank SVD recovers it exactly, PCA its centred form
  manual_seed(24);
  const Tensor low = matmul(randn({40, 3}, kFloat64), randn({3, 30}, kFloat64));
  const auto [Ul, Sl, Vl] = svd_lowrank(low, 3);
  EXPECT_EQ(Ul.sizes(), (Dims{40, 3}));
  EXPECT_EQ(Vl.sizes(), (Dims{30, 3}));
  EXPECT_LT(max_abs_diff(matmul(Ul * Sl.unsqueeze(0), transposed(Vl)), low), 1e-10);
  EXPECT_LT(max_abs_diff(Sl, linalg::svdvals(low).narrow(0, 0, 3)), 1e-10);
  const auto [Uw, Sw, Vw] = svd_lowrank(transposed(low), 3);  // wide
  EXPECT_LT(max_abs_diff(matmul(Uw * Sw.unsqueeze(0), transposed(Vw)), transposed(low)), 1e-10);
  const auto [Up, Sp, Vp] = pca_lowrank(low, 3);
  const Tensor centred = low - low.mean(Dims{0}, true);
  EXPECT_LT(max_abs_diff(matmul(Up * Sp.unsqueeze(0), transposed(Vp)), centred), 1e-10);
  EXPECT_EQ(std::get<1>(pca_lowrank(low)).size(0), 6);  // min(6, m, n)
  EXPECT_EMBER_ERROR(pca_lowrank(ones({3, 2}, kFloat64), 3),
                     "q(=3) must be non-negative integer and not greater than min(m, n)=2");
  // gradients through the composition (a fixed draw: the seed is reset in each call)
  const Tensor x = testing::grad_input({6, 4});
  expect_gradcheck(
      [](const Inputs& in) {
        manual_seed(25);
        return std::get<1>(svd_lowrank(in[0], 2, 2));
      },
      {x});
}

}  // namespace
}  // namespace ember
