// l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy (with weight) and
// binary_cross_entropy_with_logits (weight, pos_weight): values for every reduction and
// gradients for input and target against PyTorch 1.13, gradcheck (at the kinks where
// the derivative is continuous), gradgradcheck, modules and PyTorch's errors.
#include <cmath>
#include <functional>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using Inputs = std::vector<Tensor>;
using LossFn = std::function<Tensor(const Tensor&, const Tensor&, F::Reduction)>;

// Every number below is from /usr/bin/python3 (torch 1.13.0a0), float64, with
//   x = torch.tensor(X, requires_grad=True); t = torch.tensor(T, requires_grad=True)
//   for red in ["none", "mean", "sum"]: print(f(x, t, reduction=red, **kw).flatten().tolist())
//   print([g.flatten().tolist() for g in torch.autograd.grad(f(x, t, reduction="mean", **kw), [x, t])])
struct Case {
  const char* name;
  LossFn f;
  std::vector<double> x, t;  // [2, 3]
  std::vector<double> none;
  double mean, sum;
  std::vector<double> dx, dt;  // of the mean
  const char* node;
};

// d = x - t = [0.2, -1, 2, 0, -1.5, -0.75]: |d| = 1 (beta, delta), 0 (l1's kink), 0.75, 2
const std::vector<double> kX{0.2, -1.5, 3.0, 0.7, 1.0, -0.25};
const std::vector<double> kT{0.0, -0.5, 1.0, 0.7, 2.5, 0.5};
// probabilities and targets for binary_cross_entropy; logits for the _with_logits form
const std::vector<double> kP{0.2, 0.9, 0.5, 1e-3, 0.35, 0.999};
const std::vector<double> kPT{0.0, 1.0, 0.3, 1.0, 0.0, 0.6};
const std::vector<double> kL{-30.0, -1.0, 0.0, 2.0, 40.0, 0.5};
const std::vector<double> kLT{0.0, 0.3, 1.0, 0.5, 1.0, 0.0};

Tensor weight3() { return tensor(std::vector<double>{0.5, 1.0, 2.0}); }      // W = [0.5, 1.0, 2.0]
Tensor pos_weight3() { return tensor(std::vector<double>{2.0, 0.5, 1.0}); }  // PW = [2.0, 0.5, 1.0]

std::vector<Case> cases() {
  return {
      {"l1", [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::l1_loss(x, t, r); }, kX, kT,
       {0.2, 1.0, 2.0, 0.0, 1.5, 0.75}, 0.9083333333333333, 5.45,
       {0.16666666666666666, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666,
        -0.16666666666666666},
       {-0.16666666666666666, 0.16666666666666666, -0.16666666666666666, -0.0, 0.16666666666666666,
        0.16666666666666666},
       "L1LossBackward"},
      {"smooth_l1", [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::smooth_l1_loss(x, t, r); }, kX,
       kT, {0.020000000000000004, 0.5, 1.5, 0.0, 1.0, 0.28125}, 0.5502083333333333, 3.30125,
       {0.03333333333333333, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666, -0.125},
       {-0.03333333333333333, 0.16666666666666666, -0.16666666666666666, 0.0, 0.16666666666666666, 0.125},
       "SmoothL1LossBackward"},
      {"smooth_l1 beta=0.75",  // F.smooth_l1_loss(x, t, beta=0.75)
       [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::smooth_l1_loss(x, t, r, 0.75); }, kX, kT,
       {0.026666666666666672, 0.625, 1.625, 0.0, 1.125, 0.375}, 0.6294444444444444, 3.7766666666666664,
       {0.044444444444444446, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666,
        -0.16666666666666666},
       {-0.044444444444444446, 0.16666666666666666, -0.16666666666666666, 0.0, 0.16666666666666666,
        0.16666666666666666},
       "SmoothL1LossBackward"},
      // beta = 0 is l1_loss itself (PyTorch 2.1+, pytorch/pytorch#97022): the gradient at
      // d = 0 is 0 and the node L1LossBackward (1.13 took smooth_l1's branches: -1 there)
      {"smooth_l1 beta=0",  // F.smooth_l1_loss(x, t, beta=0.0)
       [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::smooth_l1_loss(x, t, r, 0.0); }, kX, kT,
       {0.2, 1.0, 2.0, 0.0, 1.5, 0.75}, 0.9083333333333333, 5.45,
       {0.16666666666666666, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666,
        -0.16666666666666666},
       {-0.16666666666666666, 0.16666666666666666, -0.16666666666666666, -0.0, 0.16666666666666666,
        0.16666666666666666},
       "L1LossBackward"},
      {"huber", [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::huber_loss(x, t, r); }, kX, kT,
       {0.020000000000000004, 0.5, 1.5, 0.0, 1.0, 0.28125}, 0.5502083333333333, 3.30125,
       {0.03333333333333333, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666, -0.125},
       {-0.03333333333333333, 0.16666666666666666, -0.16666666666666666, 0.0, 0.16666666666666666, 0.125},
       "HuberLossBackward"},
      {"huber delta=2",  // F.huber_loss(x, t, delta=2.0)
       [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::huber_loss(x, t, r, 2.0); }, kX, kT,
       {0.020000000000000004, 0.5, 2.0, 0.0, 1.125, 0.28125}, 0.654375, 3.92625,
       {0.03333333333333333, -0.16666666666666666, 0.3333333333333333, 0.0, -0.25, -0.125},
       {-0.03333333333333333, 0.16666666666666666, -0.3333333333333333, 0.0, 0.25, 0.125}, "HuberLossBackward"},
      {"bce",  // F.binary_cross_entropy(x, t) with X = kP, T = kPT
       [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::binary_cross_entropy(x, t, {}, r); }, kP, kPT,
       {0.2231435513142097, 0.10536051565782628, 0.6931471805599453, 6.907755278982137, 0.4307829160924542,
        2.7637024117930045},
       1.853981975733263, 11.123891854399577,
       {0.2083333333333333, -0.1851851851851852, 0.13333333333333333, -166.66666666666666, 0.25641025641025644,
        66.56656656656651},
       {0.23104906018664842, -0.3662040962227033, 0.0, 1.1511257964414254, 0.10317320140103727, -1.1511257964414254},
       "BinaryCrossEntropyBackward"},
      {"bce weight",  // F.binary_cross_entropy(x, t, weight=W)
       [](const Tensor& x, const Tensor& t, F::Reduction r) { return F::binary_cross_entropy(x, t, weight3(), r); },
       kP, kPT,
       {0.11157177565710485, 0.10536051565782628, 1.3862943611198906, 3.4538776394910684, 0.4307829160924542,
        5.527404823586009},
       1.8358820052673923, 11.015292031604353,
       {0.10416666666666664, -0.1851851851851852, 0.26666666666666666, -83.33333333333333, 0.25641025641025644,
        133.13313313313301},
       {0.11552453009332421, -0.3662040962227033, 0.0, 0.5755628982207127, 0.10317320140103727, -2.302251592882851},
       "BinaryCrossEntropyBackward"},
      {"bce logits",  // F.binary_cross_entropy_with_logits(x, t) with X = kL, T = kLT
       [](const Tensor& x, const Tensor& t, F::Reduction r) {
         return F::binary_cross_entropy_with_logits(x, t, {}, r);
       },
       kL, kLT,
       {9.348077867343381e-14, 0.6132616875182229, 0.6931471805599453, 1.1269280110429727, 0.0, 0.9740769841801067},
       0.5679023105502236, 3.407413863301341,
       {1.559603828139883e-14, -0.0051764297716674805, -0.08333333333333333, 0.06346617966298039, 0.0,
        0.10374322186697577},
       {5.0, 0.16666666666666666, -0.0, -0.3333333333333333, -6.666666666666667, -0.08333333333333333},
       "BinaryCrossEntropyWithLogitsBackward"},
      {"bce logits weight pos_weight",  // F.binary_cross_entropy_with_logits(x, t, weight=W, pos_weight=PW)
       [](const Tensor& x, const Tensor& t, F::Reduction r) {
         return F::binary_cross_entropy_with_logits(x, t, weight3(), r, pos_weight3());
       },
       kL, kLT,
       {4.618527782440651e-14, 0.41627243439048933, 1.3862943611198906, 0.5951960082822294, 0.0, 1.9481539683602134},
       0.7243194620254783, 4.3459167721528695,
       {7.798019140699416e-15, 0.013100034694082635, -0.16666666666666666, 0.02676630141390196, 0.0,
        0.20748644373395153},
       {5.000000000000008, 0.05722819270681476, 0.0, -0.15608933241308565, -6.666666666666667, -0.16666666666666666},
       "BinaryCrossEntropyWithLogitsBackward"},
  };
}

Tensor leaf23(const std::vector<double>& v) { return tensor(v, {2, 3}, TensorOptions(kFloat64).requires_grad(true)); }

void expect_close(const Tensor& t, const std::vector<double>& want, double tol, const std::string& what) {
  const auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << what << " at index " << i;
}

TEST(LossesMore, ValuesAndGradientsForEachReductionMatchPyTorch) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = leaf23(c.x), t = leaf23(c.t);
    Tensor none = c.f(x, t, F::Reduction::None);
    EXPECT_EQ(none.sizes(), Dims({2, 3}));
    EXPECT_EQ(none.grad_fn_name(), c.node);
    expect_close(none, c.none, 1e-14, "none");
    Tensor mean = c.f(x, t, F::Reduction::Mean);
    EXPECT_EQ(mean.dim(), 0);
    expect_close(mean, {c.mean}, 1e-14, "mean");
    expect_close(c.f(x, t, F::Reduction::Sum), {c.sum}, 1e-14, "sum");
    const auto g = autograd::grad({mean}, {x, t}, {}, /*retain_graph=*/true);
    expect_close(g[0], c.dx, 1e-13, "d/dinput");
    expect_close(g[1], c.dt, 1e-13, "d/dtarget");
    // under create_graph the same gradients come from composed ops (and have a history)
    const auto composed = autograd::grad({mean}, {x, t}, {}, std::nullopt, /*create_graph=*/true);
    EXPECT_TRUE(composed[0].requires_grad() && composed[1].requires_grad());
    expect_close(composed[0], c.dx, 1e-13, "d/dinput, create_graph");
    expect_close(composed[1], c.dt, 1e-13, "d/dtarget, create_graph");
    // the string spelling of the reduction
    expect_close(c.f(x, t, F::reduction_from_string("sum")), {c.sum}, 1e-14, "\"sum\"");
    // "none" with a non-uniform incoming gradient scales each element's gradient
    Tensor gy = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
    const auto gn = autograd::grad({none}, {x}, {gy})[0].to_vector<double>();
    for (size_t i = 0; i < 6; ++i)
      EXPECT_NEAR(gn[i], c.dx[i] * 6.0 * static_cast<double>(i + 1), 1e-10 * std::max(1.0, std::abs(gn[i])));
  }
}

TEST(LossesMore, Float32MatchesPyTorch) {
  // F.binary_cross_entropy_with_logits(torch.tensor([-100., -30., 30., 100.]),
  //     torch.tensor([1., 0., 1., 0.]), reduction='none') -> [100.0, 0.0, 0.0, 100.0] (stable)
  Tensor x = tensor(std::vector<float>{-100, -30, 30, 100}), t = tensor(std::vector<float>{1, 0, 1, 0});
  Tensor l = F::binary_cross_entropy_with_logits(x, t, {}, "none");
  EXPECT_EQ(l.dtype(), kFloat32);
  expect_values(l, {100.0, 0.0, 0.0, 100.0}, 1e-5);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x32 = tensor(c.x, {2, 3}, kFloat32), t32 = tensor(c.t, {2, 3}, kFloat32);
    if (std::string(c.name).find("weight") != std::string::npos) continue;  // the weights are float64
    Tensor y = c.f(x32, t32, F::Reduction::None);
    EXPECT_EQ(y.dtype(), kFloat32);
    expect_close(y, c.none, 1e-4, "float32");
  }
}

TEST(LossesMore, BinaryCrossEntropyClampsItsLogsAtMinus100) {
  // x = torch.tensor([0., 1., 0., 1., 1e-50]); t = torch.tensor([0., 1., 1., 0., 0.5])
  // F.binary_cross_entropy(x, t, reduction='none') -> [0.0, -0.0, 100.0, 100.0, 50.0]
  // torch.autograd.grad(F.binary_cross_entropy(x, t, reduction='sum'), x)
  //   -> [0.0, 0.0, -1000000003995.8029, 1000000003995.8029, -500000001997.9014]  (1e-12 as a float)
  Tensor x = tensor(std::vector<double>{0.0, 1.0, 0.0, 1.0, 1e-50}, {5}, TensorOptions(kFloat64).requires_grad(true));
  Tensor t = tensor(std::vector<double>{0.0, 1.0, 1.0, 0.0, 0.5});
  expect_values(F::binary_cross_entropy(x, t, {}, "none"), {0.0, 0.0, 100.0, 100.0, 50.0}, 1e-12);
  expect_close(autograd::grad({F::binary_cross_entropy(x, t, {}, "sum")}, {x})[0],
               {0.0, 0.0, -1000000003995.8029, 1000000003995.8029, -500000001997.9014}, 1e-14, "dx");
}

TEST(LossesMore, BroadcastingTargetGetsItsGradientSummed) {
  // x = torch.tensor(X, requires_grad=True); t = torch.tensor([0.5, -1., 2.], requires_grad=True)
  // y = F.l1_loss(x, t) -> 1.0416666666666667; torch.autograd.grad(y, t) -> [0.0, 0.0, 0.0]
  Tensor x = leaf23(kX);
  Tensor t = tensor(std::vector<double>{0.5, -1.0, 2.0}, {3}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = F::l1_loss(x, t);
  expect_values(y, {1.0416666666666667}, 1e-14);
  Tensor gt = autograd::grad({y}, {t})[0];
  EXPECT_EQ(gt.sizes(), Dims({3}));
  expect_values(gt, {0.0, 0.0, 0.0}, 1e-14);
  expect_gradcheck([](const Inputs& in) { return F::smooth_l1_loss(in[0], in[1], "none", 0.5); },
                   {testing::grad_input({2, 3}, -2, 2), testing::grad_input({3}, -2, 2)});
}

TEST(LossesMore, GradcheckIncludingTheKinksWhereTheDerivativeIsContinuous) {
  const Tensor a = testing::grad_input({2, 3}, -2.0, 2.0), b = testing::grad_input({2, 3}, -2.0, 2.0);
  const Tensor p = testing::grad_input({2, 3}, 0.05, 0.95), q = testing::grad_input({2, 3}, 0.0, 1.0);
  for (const F::Reduction r : {F::Reduction::None, F::Reduction::Mean, F::Reduction::Sum}) {
    expect_gradcheck([r](const Inputs& in) { return F::l1_loss(in[0], in[1], r); }, {a, b});
    expect_gradcheck([r](const Inputs& in) { return F::smooth_l1_loss(in[0], in[1], r, 0.8); }, {a, b});
    expect_gradcheck([r](const Inputs& in) { return F::huber_loss(in[0], in[1], r, 0.7); }, {a, b});
    expect_gradcheck([r](const Inputs& in) { return F::binary_cross_entropy(in[0], in[1], weight3(), r); }, {p, q});
    expect_gradcheck(
        [r](const Inputs& in) { return F::binary_cross_entropy_with_logits(in[0], in[1], weight3(), r, pos_weight3()); },
        {a, q});
    expect_gradcheck([r](const Inputs& in) { return F::binary_cross_entropy_with_logits(in[0], in[1], {}, r); }, {a, q});
  }
  // |d| = beta and |d| = delta exactly: the derivative is continuous there (1 on both sides)
  const Tensor x = leaf23({1.0, -1.0, 0.25, 2.5, -0.5, 0.0});
  const Tensor zero = leaf23({0.0, 0.0, 0.0, 0.5, 0.0, 0.0});
  expect_gradcheck([](const Inputs& in) { return F::smooth_l1_loss(in[0], in[1], "sum", 1.0); }, {x, zero});
  expect_gradcheck([](const Inputs& in) { return F::huber_loss(in[0], in[1], "sum", 2.0); }, {x, zero});
  // l1 beside its kink at d = 0 (not on it: the one-sided derivatives are -1 and 1)
  expect_gradcheck([](const Inputs& in) { return F::l1_loss(in[0], in[1], "sum"); },
                   {leaf23({1e-4, -1e-4, 3.0, -3.0, 1e-3, -1e-3}), leaf23({0, 0, 0, 0, 0, 0})});
}

TEST(LossesMore, GradgradcheckEveryLoss) {
  const Tensor a = testing::grad_input({2, 3}, -2.0, 2.0), b = testing::grad_input({2, 3}, -2.0, 2.0);
  const Tensor p = testing::grad_input({2, 3}, 0.05, 0.95), q = testing::grad_input({2, 3}, 0.0, 1.0);
  const auto check = [](const autograd::GradcheckFn& fn, const Inputs& in) {
    const auto r = autograd::gradgradcheck_report(fn, in);
    EXPECT_TRUE(r.ok) << r.message;
  };
  for (const F::Reduction r : {F::Reduction::None, F::Reduction::Mean}) {
    check([r](const Inputs& in) { return F::l1_loss(in[0], in[1], r); }, {a, b});
    check([r](const Inputs& in) { return F::smooth_l1_loss(in[0], in[1], r, 0.8); }, {a, b});
    check([r](const Inputs& in) { return F::huber_loss(in[0], in[1], r, 0.7); }, {a, b});
    check([r](const Inputs& in) { return F::binary_cross_entropy(in[0], in[1], weight3(), r); }, {p, q});
    check([r](const Inputs& in) { return F::binary_cross_entropy_with_logits(in[0], in[1], weight3(), r, pos_weight3()); },
          {a, q});
    check([r](const Inputs& in) { return F::binary_cross_entropy_with_logits(in[0], in[1], {}, r); }, {a, q});
  }
}

TEST(LossesMore, SecondDerivativesMatchPyTorch) {
  // (g,) = torch.autograd.grad(f(x, t, reduction='sum', **kw), x, create_graph=True)
  // torch.autograd.grad((g * g).sum(), x)
  const auto second = [](const std::function<Tensor(const Tensor&, const Tensor&)>& f, const std::vector<double>& xs,
                         const std::vector<double>& ts) {
    Tensor x = leaf23(xs), t = tensor(ts, {2, 3});
    Tensor g = autograd::grad({f(x, t)}, {x}, {}, std::nullopt, true)[0];
    return autograd::grad({(g * g).sum()}, {x})[0];
  };
  // strictly inside (-beta, beta): 1 / beta; at |d| = beta itself 0, as PyTorch's
  expect_close(second([](const Tensor& x, const Tensor& t) { return F::smooth_l1_loss(x, t, "sum", 0.75); }, kX, kT),
               {0.7111111111111111, -0.0, 0.0, 0.0, -0.0, -0.0}, 1e-13, "smooth_l1 beta=0.75");
  expect_close(second([](const Tensor& x, const Tensor& t) { return F::huber_loss(x, t, "sum", 2.0); }, kX, kT),
               {0.4, -2.0, 0.0, 0.0, -3.0, -1.5}, 1e-13, "huber delta=2");
  // PyTorch's BCE double backward adds its 1e-12 to x and 1 - x: 1e-9 relative near 0
  expect_close(second([](const Tensor& x, const Tensor& t) { return F::binary_cross_entropy(x, t, {}, "sum"); }, kP, kPT),
               {3.906249999951171, -2.7434842249047438, 6.399999999948801, -1999999995.9959958, 7.282658170168113,
                319519999.11911666},
               1e-8, "bce");
  expect_close(second([](const Tensor& x, const Tensor& t) {
                 return F::binary_cross_entropy_with_logits(x, t, {}, "sum", pos_weight3());
               }, kL, kLT),
               {1.7513021525388124e-26, 0.02627135609668752, -0.25, 0.10117043832371456, 0.0, 0.29256050705391523},
               1e-13, "bce logits pos_weight");
}

TEST(LossesMore, BadInputIsPyTorchsError) {
  const Tensor p = tensor(std::vector<float>{0.5f, 0.5f}), t = tensor(std::vector<float>{0.0f, 1.0f});
  // F.binary_cross_entropy(torch.tensor([0.5, 1.5]), ...) -> all elements of input should be between 0 and 1
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(tensor(std::vector<float>{0.5f, 1.5f}), t),
                     "all elements of input should be between 0 and 1");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(tensor(std::vector<float>{-0.1f, 0.5f}), t),
                     "all elements of input should be between 0 and 1");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(tensor(std::vector<float>{0.5f, NAN}), t),
                     "all elements of input should be between 0 and 1");
  // PyTorch 2's check of the target too (aten Loss.cpp binary_cross_entropy_out_cpu), NaN included;
  // the input is named first when both are bad.
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, tensor(std::vector<float>{1.5f, 0.0f})),
                     "all elements of target should be between 0 and 1");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, tensor(std::vector<float>{0.0f, -1.0f})),
                     "all elements of target should be between 0 and 1");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, tensor(std::vector<float>{NAN, 0.0f})),
                     "all elements of target should be between 0 and 1");
  EXPECT_EMBER_ERROR(
      F::binary_cross_entropy(tensor(std::vector<float>{2.0f, 2.0f}), tensor(std::vector<float>{2.0f, 2.0f})),
      "all elements of input should be between 0 and 1");
  EXPECT_EMBER_ERROR(nn::BCELoss()(p, tensor(std::vector<float>{0.5f, 1.5f})),
                     "all elements of target should be between 0 and 1");
  // ... torch.tensor([0., 1., 1.]) -> Using a target size (torch.Size([3])) that is different to the input size
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, tensor(std::vector<float>{0, 1, 1})),
                     "Using a target size ([3]) that is different to the input size ([2]) is deprecated");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy_with_logits(p, tensor(std::vector<float>{0, 1, 1})),
                     "Target size ([3]) must be the same as input size ([2])");
  // F.binary_cross_entropy(x, torch.tensor([0, 1])) -> Found dtype Long but expected Float
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, tensor(std::vector<int64_t>{0, 1}, kInt64)),
                     "Found dtype Long but expected Float");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, t.to(kFloat64)), "Found dtype Double but expected Float");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy_with_logits(p, tensor(std::vector<int64_t>{0, 1}, kInt64)),
                     "can't be cast to the desired output type Long");
  // F.smooth_l1_loss(..., beta=-1) / F.huber_loss(..., delta=0)
  EXPECT_EMBER_ERROR(F::smooth_l1_loss(p, t, "mean", -1.0), "smooth_l1_loss does not support negative values for beta.");
  EXPECT_EMBER_ERROR(F::huber_loss(p, t, "mean", 0.0), "huber_loss does not support non-positive values for delta.");
  EXPECT_EMBER_ERROR(F::huber_loss(p, t, "mean", -1.0), "huber_loss does not support non-positive values for delta.");
  EXPECT_EMBER_ERROR(nn::SmoothL1Loss("mean", -0.5), "does not support negative values for beta");
  // F.smooth_l1_loss(torch.tensor([1, 2]), torch.tensor([0, 1])) -> "smooth_l1_cpu" not implemented for 'Long'
  const Tensor ints = tensor(std::vector<int64_t>{1, 2}, kInt64);
  EXPECT_EMBER_ERROR(F::smooth_l1_loss(ints, ints), "\"smooth_l1_loss\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::l1_loss(ints, ints), "\"l1_loss\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(ints, ints), "\"binary_cross_entropy\" not implemented for 'Long'");
  // F.l1_loss(torch.ones(2), torch.ones(3)) -> The size of tensor a (2) must match the size of tensor b (3)
  EXPECT_EMBER_ERROR(F::l1_loss(p, tensor(std::vector<float>{0, 1, 1})), "The size of tensor a (2) must match");
  EXPECT_EMBER_ERROR(F::l1_loss(p, t, "avg"), "avg is not a valid value for reduction");
  // F.binary_cross_entropy(x, t, weight=torch.ones(2, requires_grad=True)) ->
  //   The function 'binary_cross_entropy' is not differentiable with respect to argument 'weight'. ...
  const Tensor w = ones({2}, TensorOptions(kFloat32).requires_grad(true));
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, t, w),
                     "The function 'binary_cross_entropy' is not differentiable with respect to argument 'weight'.");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy_with_logits(p, t, {}, "mean", w),
                     "not differentiable with respect to argument 'pos_weight'");
  // a weight that does not broadcast to the input's shape
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, t, ones({3})), "The size of tensor a (2) must match");
  EXPECT_EMBER_ERROR(F::binary_cross_entropy(p, t, ones({2, 2})), "does not broadcast to the input's shape [2]");
}

TEST(LossesMore, PromotionAndBFloat16) {
  // F.l1_loss(torch.tensor([0.5]), torch.tensor([1.], dtype=torch.float64)).dtype -> float64
  Tensor x = tensor(std::vector<float>{0.5f}, {1}, TensorOptions(kFloat32).requires_grad(true));
  Tensor y = F::l1_loss(x, tensor(std::vector<double>{1.0}));
  EXPECT_EQ(y.dtype(), kFloat64);
  y.backward();
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  expect_values(x.grad(), {-1.0});
  EXPECT_EQ(F::binary_cross_entropy_with_logits(x, tensor(std::vector<double>{1.0})).dtype(), kFloat64);
  // bfloat16 computes in float and rounds
  Tensor xb = tensor(kL, {2, 3}, kFloat32).to(kBFloat16).requires_grad_(true);
  Tensor lb = F::binary_cross_entropy_with_logits(xb, tensor(kLT, {2, 3}, kFloat32).to(kBFloat16), {}, "sum");
  EXPECT_EQ(lb.dtype(), kBFloat16);
  EXPECT_NEAR(lb.item<float>(), 3.407413863301341, 3.41 / 128);
  lb.backward();
  EXPECT_EQ(xb.grad().dtype(), kBFloat16);
}

TEST(LossesMore, RecordsOnlyWhenNeededAndKeepsInputsOnly) {
  Tensor x = leaf23(kX), t = tensor(kT, {2, 3});
  {
    NoGradGuard no_grad;
    EXPECT_EQ(F::huber_loss(x, t).grad_fn(), nullptr);
  }
  // the node keeps input and target and nothing loss-sized (the mean's backward makes one
  // tensor per input from them)
  Tensor big = testing::grad_input({1000}), big_t = testing::grad_input({1000});
  const int64_t before = autograd::saved_tensor_stats().current_bytes;
  {
    Tensor loss = F::binary_cross_entropy_with_logits(big, big_t, {}, "mean", ones({1000}, kFloat64));
    EXPECT_EQ(autograd::saved_tensor_stats().current_bytes - before, 3 * 1000 * 8);  // input, target, pos_weight
  }
  // a target that does not require grad gets none; the input still does
  Tensor y = F::smooth_l1_loss(x, t);
  const auto g = autograd::grad({y}, {x});
  EXPECT_EQ(g[0].sizes(), Dims({2, 3}));
  EXPECT_FALSE(t.grad().defined());
}

TEST(LossesMore, ModulesCallTheFunctionalOnes) {
  Tensor x = leaf23(kL), t = tensor(kLT, {2, 3});
  Tensor p = leaf23(kP), pt = tensor(kPT, {2, 3});
  expect_values(nn::L1Loss()(x, t), {F::l1_loss(x, t).item<double>()}, 0.0);
  expect_values(nn::L1Loss("sum")(x, t), {F::l1_loss(x, t, "sum").item<double>()}, 0.0);
  expect_values(nn::MSELoss(F::Reduction::Sum)(x, t), {F::mse_loss(x, t, "sum").item<double>()}, 0.0);
  expect_values(nn::SmoothL1Loss("none", 0.5)(x, t), F::smooth_l1_loss(x, t, "none", 0.5).to_vector<double>(), 0.0);
  expect_values(nn::HuberLoss(F::Reduction::Mean, 2.0)(x, t), {F::huber_loss(x, t, "mean", 2.0).item<double>()}, 0.0);
  nn::BCELoss bce(weight3(), "sum");
  expect_values(bce(p, pt), {F::binary_cross_entropy(p, pt, weight3(), "sum").item<double>()}, 0.0);
  nn::BCEWithLogitsLoss bcel(weight3(), F::Reduction::Mean, pos_weight3());
  expect_values(bcel(x, t), {F::binary_cross_entropy_with_logits(x, t, weight3(), "mean", pos_weight3()).item<double>()},
                0.0);
  // weights are buffers (PyTorch registers them; None ones are not in the state dict)
  ASSERT_EQ(bcel.named_buffers().size(), 2u);
  EXPECT_EQ(bcel.named_buffers()[0].first, "weight");
  EXPECT_EQ(bcel.named_buffers()[1].first, "pos_weight");
  EXPECT_TRUE(nn::BCELoss().named_buffers().empty());
  EXPECT_TRUE(bce.parameters().empty());
  // the class-index losses as modules
  Tensor logits = leaf23(kL), classes = tensor(std::vector<int64_t>{2, 0}, kInt64);
  expect_values(nn::CrossEntropyLoss()(logits, classes), {F::cross_entropy(logits, classes).item<double>()}, 0.0);
  nn::NLLLoss nll({.weight = weight3(), .reduction = F::Reduction::Sum});
  expect_values(nll(logits, classes),
                {F::nll_loss(logits, classes, F::ClassLossOptions{.weight = weight3(), .reduction = F::Reduction::Sum})
                     .item<double>()},
                0.0);
  EXPECT_EQ(nll.named_buffers().size(), 1u);
  // a loss called with one tensor is PyTorch's missing-argument error
  EXPECT_EMBER_ERROR(nn::L1Loss()(x), "L1Loss.forward() missing 1 required positional argument: 'target'");
  EXPECT_EQ(nn::BCEWithLogitsLoss().repr(), "BCEWithLogitsLoss()");
  EXPECT_EQ(nn::SmoothL1Loss().repr(), "SmoothL1Loss()");
  // neither class has an extra_repr in PyTorch, whatever beta or delta
  EXPECT_EQ(nn::SmoothL1Loss(F::Reduction::Mean, 0.5).repr(), "SmoothL1Loss()");
  EXPECT_EQ(nn::HuberLoss(F::Reduction::Mean, 2.0).repr(), "HuberLoss()");
  EXPECT_EQ(nn::LayerNorm(8, 1.0).repr(), "LayerNorm((8,), eps=1.0, elementwise_affine=True)");  // Python floats
  EXPECT_EQ(nn::BatchNorm2d(4, {.eps = 1.0, .momentum = 1.0}).repr(),
            "BatchNorm2d(4, eps=1.0, momentum=1.0, affine=True, track_running_stats=True)");
  const std::string attention = nn::MultiheadAttention(8, 2).repr();
  EXPECT_NE(attention.find("(out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)"),
            std::string::npos)
      << attention;
}

// PyTorch's UserWarnings: a target that broadcasts to another size, kl_div's "mean".
// (each in a fresh process: the warnings are logged once per process)
TEST(LossesMore, WarnAsPyTorchForATargetOfAnotherSize) {
  constexpr const char* kPhrase = "Using a target size [(][[]1[]][)] that is different to the input size [(][[]3[]][)]";
  using testing::expect_logged_in_fresh_process;
  expect_logged_in_fresh_process([] { F::mse_loss(ones({3}), ones({1})); }, kPhrase);
  expect_logged_in_fresh_process([] { F::l1_loss(ones({3}), ones({1})); }, kPhrase);
  expect_logged_in_fresh_process([] { F::smooth_l1_loss(ones({3}), ones({1})); }, kPhrase);
  expect_logged_in_fresh_process([] { F::huber_loss(ones({3}), ones({1})); }, kPhrase);
  expect_logged_in_fresh_process([] { F::kl_div(zeros({2, 3}), full({2, 3}, 1.0 / 3), "mean"); },
                                 "reduction: 'mean' divides the total loss by both the batch size and the support");
  // nothing for equal sizes or "batchmean"
  ::testing::internal::CaptureStderr();
  F::mse_loss(ones({3}), ones({3}));
  F::kl_div(zeros({2, 3}), full({2, 3}, 1.0 / 3), "batchmean");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace ember
