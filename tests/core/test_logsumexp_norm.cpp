// logsumexp and linalg::vector_norm: values and gradients against PyTorch 1.13, infinite
// and NaN rows, large float32 values, every ord (2, 1, inf, -inf, 0, p) with zero rows
// (gradient 0, not NaN), empty inputs, layouts, keepdim, gradcheck and the errors.
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
using In = std::vector<Tensor>;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Reference script:
//   import torch
//   x = torch.tensor([[0.5, -1.25, 2.0, 3.5], [1.0, 1.0, -0.75, 4.25], [-2.0, 0.25, 1.5, -3.0]],
//                    dtype=torch.float64, requires_grad=True)
//   z = torch.tensor([[3., -4., 0., 1.], [0., 0., 0., 0.], [1., -1., 2., -0.5]], dtype=torch.float64,
//                    requires_grad=True)
Tensor x_input() { return leaf({0.5, -1.25, 2.0, 3.5, 1.0, 1.0, -0.75, 4.25, -2.0, 0.25, 1.5, -3.0}, {3, 4}); }
Tensor z_input() { return leaf({3.0, -4.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 2.0, -0.5}, {3, 4}); }

TEST(Logsumexp, MatchesPyTorch) {
  Tensor x = x_input();
  // torch.logsumexp(x, 1); (x, 0, keepdim=True); (x, (0, 1))
  expect_values(logsumexp(x, 1), {3.7480850490038047, 4.330922040328029, 1.7835318548158834}, 1e-12);
  const Tensor k = x.logsumexp(0, true);
  EXPECT_EQ(k.sizes(), (Dims{1, 4}));
  expect_values(k, {1.5045969023422834, 1.4560097813072752, 2.5130981521677795, 4.637353225146214}, 1e-12);
  expect_values(logsumexp(x, {0, 1}), {4.82354167727555}, 1e-12);
  expect_values(logsumexp(x, {}), {4.82354167727555}, 1e-12);  // {}: every dim
  EXPECT_EQ(logsumexp(x, 1).grad_fn()->name(), "LogsumexpBackward");
  // torch.autograd.grad((torch.logsumexp(x, 1) * [1, -2, 0.5]).sum(), x): softmax-shaped
  (logsumexp(x, 1) * tensor({1.0, -2.0, 0.5}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {0.03884852967827135, 0.0067508621994448615, 0.17410703085781262, 0.7802935772644711,
                           -0.07152023518309247, -0.07152023518309247, -0.012428353304269247, -1.8445311763295453,
                           0.011371113585073787, 0.10788612186040784, 0.37655956564334453, 0.004183198911173939},
                1e-12);
  // float32 values that overflow exp without the shift:
  // torch.logsumexp(torch.tensor([[1000., 1000.5, 999.], [-1000., -1001., -999.5]]), 1)
  expect_values(logsumexp(tensor(std::vector<float>{1000.0f, 1000.5f, 999.0f, -1000.0f, -1001.0f, -999.5f}, {2, 3}), 1),
                {1001.1041259765625, -998.8958740234375}, 1e-3);
}

TEST(Logsumexp, InfinitiesNaNAndEmpty) {
  const double nan = std::nan("");
  // rows [-inf]*3 -> -inf; [inf, 1, 2] -> inf; [nan, 1, 2] -> nan; [inf, -inf, 0] -> inf
  const Tensor x = leaf({-kInf, -kInf, -kInf, kInf, 1.0, 2.0, nan, 1.0, 2.0, kInf, -kInf, 0.0}, {4, 3});
  const std::vector<double> v = logsumexp(x, 1).to_vector<double>();
  EXPECT_EQ(v[0], -kInf);
  EXPECT_EQ(v[1], kInf);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_EQ(v[3], kInf);
  // torch.logsumexp(torch.empty(0, 3), 0) -> [-inf]*3; (.., 1) -> []; torch.logsumexp(torch.empty(0), 0) -> -inf
  const Tensor e0 = logsumexp(zeros({0, 3}), 0);
  EXPECT_EQ(e0.to_vector<double>(), (std::vector<double>{-kInf, -kInf, -kInf}));
  EXPECT_EQ(logsumexp(zeros({0, 3}), 1).sizes(), (Dims{0}));
  EXPECT_EQ(logsumexp(zeros({0}), 0).item<double>(), -kInf);
  // 0-dim: torch.logsumexp(torch.tensor(2.), 0) -> 2
  EXPECT_EQ(logsumexp(scalar_tensor(2.0), 0).item<double>(), 2.0);
  // Integers reduce as float32: torch.logsumexp(torch.tensor([1, 2, 3]), 0) -> 3.4076 (float)
  const Tensor li = logsumexp(tensor(std::vector<int64_t>{1, 2, 3}), 0);
  EXPECT_EQ(li.dtype(), kFloat32);
  EXPECT_NEAR(li.item<double>(), 3.40760596444438, 1e-6);
  EXPECT_NEAR(logsumexp(tensor(std::vector<bool>{true, false}), 0).item<double>(), 1.3132616875182228, 1e-6);
}

TEST(Logsumexp, GradcheckAndLayouts) {
  const Tensor x = testing::grad_input({3, 5}, -3.0, 3.0);
  expect_gradcheck([](const In& in) { return logsumexp(in[0], 1); }, {x});
  expect_gradcheck([](const In& in) { return logsumexp(in[0].t(), {0}, true); }, {x});
  expect_gradcheck([](const In& in) { return logsumexp(in[0].slice(1, 0, 5, 2), {0, 1}); }, {x});
  EXPECT_TRUE(autograd::gradgradcheck_report([](const In& in) { return logsumexp(in[0], 1); }, {x}).ok);
  const Tensor p = randn({4, 6, 5}, kFloat64).permute({2, 0, 1});
  for (const Dims& dims : {Dims{0}, Dims{2}, Dims{0, 2}, Dims{}})
    EXPECT_LT(testing::max_abs_diff(logsumexp(p, dims), logsumexp(p.contiguous(), dims)), 1e-12);
  NoGradGuard no_grad;
  EXPECT_EQ(logsumexp(x, 1).grad_fn(), nullptr);
}

TEST(Logsumexp, Errors) {
  // torch.logsumexp(torch.tensor([1., 2.]), 3)
  EXPECT_EQ(error_of([] { (void)logsumexp(tensor({1.0, 2.0}), 3); }),
            "Dimension out of range (expected to be in range of [-1, 0], but got 3)");
}

// torch.linalg.vector_norm(z, ord, 1) and the gradient of (n * [1, 2, -1]).sum()
struct NormCase {
  double ord;
  std::vector<double> value, grad;  // grad empty: PyTorch gives none (ord 0)
};
const NormCase kNormCases[] = {
    {2, {5.0990195135927845, 0.0, 2.5},
     {0.5883484054145521, -0.7844645405527362, 0.0, 0.19611613513818404, 0.0, 0.0, 0.0, 0.0, -0.4, 0.4, -0.8, 0.2}},
    {1, {8.0, 0.0, 4.5}, {1.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 1.0, -1.0, 1.0}},
    {kInf, {4.0, 0.0, 2.0}, {0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 0.0, -1.0, 0.0}},
    {-kInf, {0.0, 0.0, 0.5}, {0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 0.0, -0.0, 1.0}},
    {0, {3.0, 0.0, 4.0}, {}},
    {3, {4.514357435474001, 0.0, 2.1633743554611127},
     {0.4416219230355002, -0.7851056409520003, 0.0, 0.04906910255950002, 0.0, 0.0, 0.0, 0.0, -0.2136666030085049,
      0.2136666030085049, -0.8546664120340196, 0.053416650752126225}},
    {0.5, {22.392304845413257, 0.0, 16.98528137423857},
     {2.732050807568877, -2.3660254037844384, 0.0, 4.732050807568877, 0.0, 0.0, 0.0, 0.0, -4.121320343559643,
      4.121320343559643, -2.914213562373095, 5.82842712474619}},
    {1.5, {5.862917311846354, 0.0, 2.994542747757973},
     {0.715325558807779, -0.8259868078717815, 0.0, 0.41299340393589073, 0.0, 0.0, 0.0, 0.0, -0.5778761110532283,
      0.5778761110532283, -0.8172402336228964, 0.4086201168114482}},
    {-1, {0.0, 0.0, 0.2222222222222222},
     {0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.04938271604938271, 0.04938271604938271, -0.012345679012345678,
      0.19753086419753085}},
};

TEST(VectorNorm, EveryOrdMatchesPyTorch) {
  for (const NormCase& c : kNormCases) {
    SCOPED_TRACE(c.ord);
    Tensor z = z_input();
    const Tensor n = linalg::vector_norm(z, c.ord, 1);
    expect_values(n, c.value, 1e-12);
    EXPECT_EQ(n.grad_fn()->name(), "LinalgVectorNormBackward");
    (n * tensor({1.0, 2.0, -1.0}, dtype(kFloat64))).sum().backward();
    if (c.grad.empty()) {
      EXPECT_FALSE(z.grad().defined());
    } else {
      expect_values(z.grad(), c.grad, 1e-12);
    }
  }
  const Tensor z = z_input();
  // torch.linalg.vector_norm(z); (z, 3, (0, 1), keepdim=True); z.norm(1)
  expect_values(linalg::vector_norm(z), {5.678908345800274}, 1e-12);
  const Tensor k = linalg::vector_norm(z, 3, {0, 1}, true);
  EXPECT_EQ(k.sizes(), (Dims{1, 1}));
  expect_values(k, {4.6742365802325985}, 1e-12);
  EXPECT_EQ(z.norm(1).item<double>(), 12.5);
  EXPECT_EQ(z.norm().item<double>(), linalg::vector_norm(z).item<double>());
}

TEST(VectorNorm, ZeroGradientAtZero) {
  // The ord-2 gradient at 0 is 0, also under create_graph: torch.autograd.grad(vector_norm(zeros(3)), ...)
  Tensor x = zeros({3}, dtype(kFloat64)).requires_grad_(true);
  const Tensor g = autograd::grad({linalg::vector_norm(x)}, {x}, {}, std::nullopt, true)[0];
  expect_values(g, {0.0, 0.0, 0.0}, 0);
  // Ties at the max share the gradient: vector_norm([1, -1, 1], inf) -> [1/3, -1/3, 1/3]
  x = leaf({1.0, -1.0, 1.0}, {3});
  linalg::vector_norm(x, kInf).backward();
  expect_values(x.grad(), {1.0 / 3, -1.0 / 3, 1.0 / 3}, 1e-15);
}

TEST(VectorNorm, EmptyNaNAndDtypes) {
  // torch.linalg.vector_norm(torch.empty(0)) -> 0 for ord 2, 0 and 3
  EXPECT_EQ(linalg::vector_norm(zeros({0})).item<double>(), 0.0);
  EXPECT_EQ(linalg::vector_norm(zeros({0}), 0).item<double>(), 0.0);
  EXPECT_EQ(linalg::vector_norm(zeros({0}), 3).item<double>(), 0.0);
  // vector_norm(torch.empty(0, 3), inf, 1) -> tensor([]) (the reduced dim is not empty)
  EXPECT_EQ(linalg::vector_norm(zeros({0, 3}), kInf, 1).sizes(), (Dims{0}));
  // NaN: inf norm nan, 0 "norm" counts it: vector_norm([1., nan], inf) -> nan, (.., 0) -> 2
  EXPECT_TRUE(std::isnan(linalg::vector_norm(tensor({1.0, std::nan("")}), kInf).item<double>()));
  EXPECT_EQ(linalg::vector_norm(tensor({1.0, std::nan("")}), 0).item<double>(), 2.0);
  // 0-dim with dim 0: vector_norm(torch.tensor(3.), 2, 0) -> 3
  EXPECT_EQ(linalg::vector_norm(scalar_tensor(-3.0), 2, 0).item<double>(), 3.0);
  // bfloat16 computes in float32: vector_norm([1., 2.] bf16) -> 2.2344 (bf16)
  const Tensor b = linalg::vector_norm(tensor({1.0f, 2.0f}).to(kBFloat16));
  EXPECT_EQ(b.dtype(), kBFloat16);
  EXPECT_NEAR(b.item<double>(), 2.234375, 1e-9);
  // Layouts.
  const Tensor p = randn({4, 6, 5}, kFloat64).permute({2, 0, 1});
  for (double ord : {2.0, 1.0, kInf, 3.0})
    EXPECT_LT(testing::max_abs_diff(linalg::vector_norm(p, ord, {0, 2}), linalg::vector_norm(p.contiguous(), ord, {0, 2})),
              1e-12);
}

TEST(VectorNorm, Gradcheck) {
  const Tensor x = testing::grad_input({3, 5});
  for (double ord : {2.0, 1.0, kInf, -kInf, 3.0, 0.5, 1.5, -1.0}) {
    SCOPED_TRACE(ord);
    expect_gradcheck([ord](const In& in) { return linalg::vector_norm(in[0], ord, 1); }, {x});
    expect_gradcheck([ord](const In& in) { return linalg::vector_norm(in[0].t(), ord, {}, true); }, {x});
  }
  for (double ord : {2.0, 3.0, 1.5})
    EXPECT_TRUE(autograd::gradgradcheck_report([ord](const In& in) { return linalg::vector_norm(in[0], ord, 1); }, {x}).ok);
  NoGradGuard no_grad;
  EXPECT_EQ(linalg::vector_norm(x).grad_fn(), nullptr);
}

TEST(VectorNorm, Errors) {
  // torch.linalg.vector_norm(torch.tensor([1, 2]))
  EXPECT_EMBER_ERROR(linalg::vector_norm(tensor(std::vector<int64_t>{1, 2})),
                     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long");
  // vector_norm(torch.empty(0), inf) / (torch.empty(0, 3), -inf) / (torch.empty(0, 3), inf, 0)
  EXPECT_EMBER_ERROR(linalg::vector_norm(zeros({0}), kInf),
                     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not "
                     "have an identity");
  EXPECT_EMBER_ERROR(linalg::vector_norm(zeros({0, 3}), -kInf), "cannot compute the -inf norm on an empty tensor");
  EXPECT_EMBER_ERROR(linalg::vector_norm(zeros({0, 3}), -1.5, {0, 1}), "cannot compute the -1.5 norm on the dimension 0");
  EXPECT_EMBER_ERROR(linalg::vector_norm(zeros({0, 3}), kInf, 0), "cannot compute the inf norm on the dimension 0");
  // torch.linalg.vector_norm(torch.ones(2, 2), 2, 2)
  EXPECT_EQ(error_of([] { (void)linalg::vector_norm(ones({2, 2}), 2, 2); }),
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
}

}  // namespace
}  // namespace ember
