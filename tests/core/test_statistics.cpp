// var, std, var_mean, std_mean: values and gradients against PyTorch 1.13, correction
// and unbiased=, float32 accuracy on large-mean data, empty and 0-dim inputs, N -
// correction <= 0, non-contiguous inputs, keepdim shapes, gradcheck and the errors.
#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::leaf;

constexpr double kInf = std::numeric_limits<double>::infinity();

// The 3x4 input of the reference script (tests' comments paste its outputs):
//   import torch
//   x = torch.tensor([[0.5, -1.25, 2.0, 3.5], [1.0, 1.0, -0.75, 4.25], [-2.0, 0.25, 1.5, -3.0]],
//                    dtype=torch.float64, requires_grad=True)
const std::vector<double> kX = {0.5, -1.25, 2.0, 3.5, 1.0, 1.0, -0.75, 4.25, -2.0, 0.25, 1.5, -3.0};
Tensor x_input() { return leaf(kX, {3, 4}); }

TEST(Statistics, VarAndStdMatchPyTorch) {
  const Tensor x = x_input();
  // x.var(1)
  expect_values(x.var(1), {4.140625, 4.354166666666667, 4.223958333333333}, 1e-12);
  // torch.var(x, 0, correction=0, keepdim=True)
  const Tensor v0 = var(x, 0, 0, true);
  EXPECT_EQ(v0.sizes(), (Dims{1, 4}));
  expect_values(v0, {1.7222222222222223, 0.875, 1.4305555555555556, 10.597222222222223}, 1e-12);
  // x.var(): every dim
  expect_values(x.var(), {4.537878787878788}, 1e-12);
  EXPECT_EQ(x.var().dim(), 0);
  // torch.std(x, 1, correction=2)
  expect_values(std(x, {1}, 2), {2.4921752546721105, 2.555631037532609, 2.5171288207002833}, 1e-12);
  // x.std(unbiased=False)
  expect_values(x.std(false), {2.0395397084200697}, 1e-12);
  expect_values(x.std(true), {std::sqrt(4.537878787878788)}, 1e-12);
  // a bool where correction goes is unbiased=: var(x, [1], False) == var(x, 1, correction=0)
  expect_values(var(x, {1}, false), var(x, {1}, 0).to_vector<double>(), 0);
}

TEST(Statistics, VarMeanAndStdMeanMatchPyTorch) {
  const Tensor x = x_input();
  // torch.var_mean(x, [0, 1], keepdim=True)
  auto [v, m] = var_mean(x, {0, 1}, 1, true);
  EXPECT_EQ(v.sizes(), (Dims{1, 1}));
  expect_values(v, {4.537878787878788}, 1e-12);
  expect_values(m, {0.5833333333333335}, 1e-12);
  // torch.std_mean(x, 0)
  auto [s, m0] = std_mean(x, 0);
  expect_values(s, {1.6072751268321592, 1.14564392373896, 1.4648663192705789, 3.986957904635229}, 1e-12);
  expect_values(m0, {-0.16666666666666663, 0.0, 0.9166666666666667, 1.5833333333333335}, 1e-12);
  EXPECT_EQ(s.grad_fn()->name(), "StdMeanBackward");
  EXPECT_EQ(m0.grad_fn(), s.grad_fn());  // one node, two outputs
  EXPECT_EQ(std::get<0>(var_mean(x)).grad_fn()->name(), "VarMeanBackward");
  EXPECT_EQ(x.var(1).grad_fn()->name(), "VarBackward");
  EXPECT_EQ(x.std().grad_fn()->name(), "StdBackward");
}

TEST(Statistics, GradientsMatchPyTorch) {
  // torch.autograd.grad((torch.var(x, 1) * torch.tensor([1.0, -2.0, 0.5])).sum(), x)
  Tensor x = x_input();
  (x.var(1) * tensor({1.0, -2.0, 0.5}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {-0.4583333333333333, -1.625, 0.5416666666666666, 1.5416666666666665, 0.5, 0.5,
                           2.833333333333333, -3.833333333333333, -0.3958333333333333, 0.35416666666666663,
                           0.7708333333333333, -0.7291666666666666}, 1e-12);
  // torch.autograd.grad((torch.std(x, 0) * w).sum(), x), w = [[1.0, -2.0, 0.5, 3.0]]
  x = x_input();
  (x.std(0) * tensor({1.0, -2.0, 0.5, 3.0}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {0.20739033894608505, 1.091089451179962, 0.18488604029628666, 0.7211011675487046,
                           0.36293309315564887, -0.8728715609439696, -0.2844400619942871, 1.0032711896329805,
                           -0.5703234321017339, -0.2182178902359924, 0.0995540216980005, -1.7243723571816847}, 1e-12);
  // s, m = torch.std_mean(x, 1); grad of (s * [1, 2, 3] + m * [-1, 0.5, 2]).sum()
  x = x_input();
  auto [s, m] = std_mean(x, 1);
  (s * tensor({1.0, 2.0, 3.0}, dtype(kFloat64)) + m * tensor({-1.0, 0.5, 2.0}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {-0.36262077141955773, -0.6492918259420682, -0.11690272468597726, 0.12881532204760315,
                           0.005191540425369234, 0.005191540425369234, -0.5539146042562411, 1.0435315234055025,
                           -0.07779503488935136, 1.0169745049009986, 1.6251798047845263, -0.5643592747961734}, 1e-12);
  // Only the mean used: the var output's gradient is absent.
  x = x_input();
  std::get<1>(var_mean(x, {0})).sum().backward();
  expect_values(x.grad(), std::vector<double>(12, 1.0 / 3.0), 1e-15);
}

TEST(Statistics, Gradcheck) {
  const Tensor x = testing::grad_input({3, 5});
  using In = std::vector<Tensor>;
  expect_gradcheck([](const In& in) { return in[0].var(1); }, {x});
  expect_gradcheck([](const In& in) { return var(in[0], {0}, 0, true); }, {x});
  expect_gradcheck([](const In& in) { return in[0].std(); }, {x});
  expect_gradcheck([](const In& in) { return std(in[0], {-1}, 2); }, {x});
  expect_gradcheck([](const In& in) { auto [v, m] = var_mean(in[0], {1}); return v * m; }, {x});
  expect_gradcheck([](const In& in) { auto [s, m] = std_mean(in[0], {0, 1}, 1, true); return s + m * 3.0; }, {x});
  // Non-contiguous input: transposed and sliced.
  expect_gradcheck([](const In& in) { return in[0].t().var(1); }, {x});
  expect_gradcheck([](const In& in) { return in[0].slice(1, 0, 5, 2).std(0); }, {x});
  // Double backward (the formulas are ember ops).
  EXPECT_TRUE(autograd::gradgradcheck_report([](const In& in) { return in[0].var(1); }, {x}).ok);
  EXPECT_TRUE(autograd::gradgradcheck_report([](const In& in) { return in[0].std(0); }, {x}).ok);
}

// Note [Accumulating variance]: 1e4 + noise in float32 keeps its variance.
TEST(Statistics, Float32LargeMeanKeepsDigits) {
  const int64_t n = 100000;
  std::vector<double> values = testing::random_values(n, 7);
  for (double& v : values) v = 1e4 + 1e-2 * v;
  const Tensor x64 = tensor(values, {n}, dtype(kFloat64));
  const Tensor x32 = x64.to(kFloat32);
  // The exact variance of the float32 values (their float64 copies, two-pass in float64).
  const std::vector<double> rounded = x32.to_vector<double>();
  double mean = 0;
  for (double v : rounded) mean += v;
  mean /= n;
  double m2 = 0;
  for (double v : rounded) m2 += (v - mean) * (v - mean);
  const double exact = m2 / (n - 1);
  EXPECT_NEAR(x32.var().item<double>(), exact, 1e-6 * exact);  // float32 rounding of the result only
  EXPECT_NEAR(x32.std().item<double>(), std::sqrt(exact), 1e-6 * std::sqrt(exact));
  EXPECT_NEAR(std::get<1>(var_mean(x32)).item<double>(), mean, 1e-3);
  // In a [2, n/2] transposed layout, reduced over the long dim too.
  const Tensor cols = x32.view({n / 2, 2}).t();
  const Tensor v = cols.var(1);
  for (double got : v.to_vector<double>()) EXPECT_NEAR(got, exact, 0.05 * exact);
  // A float32 sum of squares in float would lose every digit here: the gap is ~1e-4 vs 1e8.
  EXPECT_GT(exact, 5e-5);
}

TEST(Statistics, EmptyZeroDimAndSmallN) {
  // torch.var(torch.tensor([])) -> nan; torch.std(torch.empty(0, 3), 0) -> [nan, nan, nan]
  EXPECT_TRUE(std::isnan(zeros({0}).var().item<double>()));
  const Tensor e = zeros({0, 3}).std(0);
  EXPECT_EQ(e.sizes(), (Dims{3}));
  for (double v : e.to_vector<double>()) EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(zeros({0, 3}).var(1).sizes(), (Dims{0}));  // torch.var(torch.empty(0, 3), 1) -> tensor([])
  auto [ve, me] = var_mean(zeros({0}));
  EXPECT_TRUE(std::isnan(ve.item<double>()) && std::isnan(me.item<double>()));
  // torch.var(torch.tensor(3.)) -> nan; (.., dim=0) -> nan; correction=0 -> 0.
  EXPECT_TRUE(std::isnan(scalar_tensor(3.0).var().item<double>()));
  EXPECT_TRUE(std::isnan(scalar_tensor(3.0).var(0).item<double>()));
  EXPECT_EQ(var(scalar_tensor(3.0), {}, 0).item<double>(), 0.0);
  // N - correction <= 0: x = [1, 2]; var(0, correction=2) = inf (grad [-inf, inf]),
  // var(0, correction=3) = inf (grad [1, -1]), std(0, correction=2) = inf (grad [nan, nan]).
  Tensor x = leaf({1.0, 2.0}, {2});
  Tensor v2 = var(x, {0}, 2);
  EXPECT_EQ(v2.item<double>(), kInf);
  v2.backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{-kInf, kInf}));
  x = leaf({1.0, 2.0}, {2});
  var(x, {0}, 3).backward();
  expect_values(x.grad(), {1.0, -1.0}, 0);
  x = leaf({1.0, 2.0}, {2});
  std(x, {0}, 2).backward();
  for (double g : x.grad().to_vector<double>()) EXPECT_TRUE(std::isnan(g));
  // One element, correction 1: var nan, gradient nan (x.var(1) of [[1.]]).
  x = leaf({1.0}, {1, 1});
  x.var(1).sum().backward();
  EXPECT_TRUE(std::isnan(x.grad().item<double>()));
  // std = 0: PyTorch's gradient is 0, not NaN (z = torch.ones(3); z.std().backward()).
  x = leaf({1.0, 1.0, 1.0}, {3});
  x.std().backward();
  expect_values(x.grad(), {0.0, 0.0, 0.0}, 0);
  // NaN and inf inputs: torch.std([inf, 1.]) -> nan, torch.var([nan, 1.]) -> nan.
  EXPECT_TRUE(std::isnan(tensor({kInf, 1.0}).std().item<double>()));
  EXPECT_TRUE(std::isnan(tensor({std::nan(""), 1.0}).var().item<double>()));
}

TEST(Statistics, LayoutsAndKeepdim) {
  const Tensor base = randn({4, 6, 5}, kFloat64);
  const Tensor p = base.permute({2, 0, 1});  // [5, 4, 6], non-contiguous
  const Tensor c = p.contiguous();
  for (bool keepdim : {false, true}) {
    for (const Dims& dims : {Dims{0}, Dims{1}, Dims{2}, Dims{0, 2}, Dims{-1, 1}, Dims{}}) {
      const Tensor a = var(p, dims, 1, keepdim), b = var(c, dims, 1, keepdim);
      EXPECT_EQ(a.sizes(), b.sizes());
      EXPECT_LT(testing::max_abs_diff(a, b), 1e-12);
      auto [s1, m1] = std_mean(p.slice(0, 1, 5, 2), dims, 0, keepdim);
      auto [s2, m2] = std_mean(c.slice(0, 1, 5, 2).contiguous(), dims, 0, keepdim);
      EXPECT_LT(testing::max_abs_diff(s1, s2), 1e-12);
      EXPECT_LT(testing::max_abs_diff(m1, m2), 1e-12);
    }
  }
  EXPECT_EQ(var(p, {0, 2}, 1, true).sizes(), (Dims{1, 4, 1}));
  // A braced one-dim list is a dim list, never unbiased=: torch.var(x, [1]) reduces dim 1.
  EXPECT_EQ(p.var({1}).sizes(), (Dims{5, 6}));
  EXPECT_EQ(std(p, {0}).sizes(), (Dims{4, 6}));
  EXPECT_EQ(std::get<0>(var_mean(p, {1})).sizes(), (Dims{5, 6}));
  EXPECT_EQ(var(p, {0, 2}).sizes(), (Dims{4}));
  // bfloat16 computes in float32: torch.var(torch.tensor([1., 2.], dtype=torch.bfloat16)) -> 0.5
  const Tensor vb = tensor({1.0, 2.0}).to(kBFloat16).var();
  EXPECT_EQ(vb.dtype(), kBFloat16);
  EXPECT_EQ(vb.item<double>(), 0.5);
}

TEST(Statistics, RecordsOnlyWhenAsked) {
  const Tensor x = x_input();
  {
    NoGradGuard no_grad;
    EXPECT_EQ(x.var(1).grad_fn(), nullptr);
    auto [s, m] = std_mean(x, 0);
    EXPECT_EQ(s.grad_fn(), nullptr);
    EXPECT_EQ(m.grad_fn(), nullptr);
  }
  EXPECT_EQ(tensor({1.0, 2.0}).var().grad_fn(), nullptr);
}

TEST(Statistics, Errors) {
  // torch.var(torch.tensor([1, 2, 3])): std and var only support floating point and complex dtypes
  EXPECT_EMBER_ERROR(tensor(std::vector<int64_t>{1, 2, 3}).var(), "std and var only support floating point and complex dtypes");
  EXPECT_EMBER_ERROR(tensor(std::vector<int64_t>{1, 2, 3}).std(0), "std and var only support floating point");
  EXPECT_EMBER_ERROR(var_mean(tensor(std::vector<int64_t>{1, 2})), "var_mean only support floating point and complex dtypes");
  EXPECT_EMBER_ERROR(std_mean(tensor(std::vector<int64_t>{1, 2})), "std_mean only support floating point and complex dtypes");
  // torch.var(x, 5) on 2-D x
  EXPECT_EQ(error_of([] { (void)x_input().var(5); }),
            "Dimension out of range (expected to be in range of [-2, 1], but got 5)");
  EXPECT_EMBER_ERROR(var(x_input(), {0, 0}), "dim 0 appears multiple times in the list of dims");
}

}  // namespace
}  // namespace ember
