// hardswish, hardsigmoid, prelu, selu, celu, logsigmoid, softsign, tanhshrink, the shrinks,
// threshold, glu and softmin: values and gradients against PyTorch 1.13 (the kinks
// included), second derivatives off the kinks, float64 gradcheck/gradgradcheck, empty and
// non-contiguous inputs, modules and their reprs, bad input.
#include <cmath>
#include <functional>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::leaf;
using Act = std::function<Tensor(const Tensor&)>;

// Points on and around every kink (±3 for the hard ones, 0, ±lambd, the threshold).
const std::vector<double> kX{-25.0, -3.5, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 3.5, 25.0};

// y, dy/dx and d2y/dx2 in float64 and y in float32, from /usr/bin/python3 (torch 1.13.0a0):
//   x = torch.tensor(kX, dtype=torch.float64, requires_grad=True); y = f(x)
//   (g,) = torch.autograd.grad(y.sum(), x, create_graph=True); (gg,) = torch.autograd.grad(g.sum(), x)
//   y32 = f(torch.tensor(kX, dtype=torch.float32))
// `kinks`: indices where PyTorch's second derivative is its backward kernel's own choice at a
// kink (0 there); ember's composition gives the one-sided value, so d2y is not compared there
// (Note [Gradients at the kinks] in nn/functional/activation_more.cpp).
struct Case {
  const char* name;
  Act f;
  std::vector<double> y, dy, d2y, y32;
  std::vector<size_t> kinks;
};

std::vector<Case> cases() {
  return {
      {"hardswish", [](const Tensor& x) { return F::hardswish(x); },
       {-0.0, -0.0, -0.0, -0.3333333333333333, -0.20833333333333334, 0.0, 0.2916666666666667, 0.6666666666666666, 3.0,
        3.5, 25.0},
       {0.0, 0.0, -0.5, 0.16666666666666669, 0.33333333333333337, 0.5, 0.6666666666666666, 0.8333333333333333, 1.5, 1.0,
        1.0},
       {0.0, 0.0, 0.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333,
        0.3333333333333333, 0.0, 0.0, 0.0},
       {-0.0, -0.0, -0.0, -0.3333333432674408, -0.2083333283662796, 0.0, 0.2916666567325592, 0.6666666865348816, 3.0,
        3.5, 25.0},
       {2, 8}},
      // PyTorch 1.13's float64 hardsigmoid gradient is float(1/6) = 0.1666666716337204; ember's is
      // 1/6 in the input's dtype (the comparison tolerance covers the 5e-9).
      {"hardsigmoid", [](const Tensor& x) { return F::hardsigmoid(x); },
       {0.0, 0.0, 0.0, 0.3333333333333333, 0.4166666666666667, 0.5, 0.5833333333333334, 0.6666666666666666, 1.0, 1.0,
        1.0},
       {0.0, 0.0, 0.0, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204,
        0.1666666716337204, 0.0, 0.0, 0.0},
       {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0},
       {0.0, 0.0, 0.0, 0.3333333432674408, 0.4166666567325592, 0.5, 0.5833333134651184, 0.6666666865348816, 1.0, 1.0,
        1.0},
       {}},
      {"selu", [](const Tensor& x) { return F::selu(x); },
       {-1.7580993408229604, -1.705009340957283, -1.6705687287671118, -1.1113307378125625, -0.6917581878028713, 0.0,
        0.5253504936777402, 1.0507009873554805, 3.1521029620664414, 3.677453455744182, 26.26752468388701},
       {2.4416384954718613e-11, 0.05308999989009366, 0.08753061208026487, 0.646768603034814, 1.0663411530445053,
        1.7580993408473766, 1.0507009873554805, 1.0507009873554805, 1.0507009873554805, 1.0507009873554805,
        1.0507009873554805},
       {2.4416384954718613e-11, 0.05308999989009366, 0.08753061208026487, 0.646768603034814, 1.0663411530445053, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0},
       {-1.7580993175506592, -1.7050093412399292, -1.6705687046051025, -1.1113307476043701, -0.6917581558227539, 0.0,
        0.5253505110740662, 1.0507010221481323, 3.1521029472351074, 3.6774535179138184, 26.26752471923828},
       {5}},
      {"celu(0.5)", [](const Tensor& x) { return F::celu(x, 0.5); },
       {-0.5, -0.49954405901722276, -0.4987606239116668, -0.43233235838169365, -0.31606027941427883, 0.0, 0.5, 1.0, 3.0,
        3.5, 25.0},
       {1.9287498479639178e-22, 0.0009118819655545162, 0.0024787521766663585, 0.1353352832366127, 0.36787944117144233,
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0},
       {3.8574996959278356e-22, 0.0018237639311090325, 0.004957504353332717, 0.2706705664732254, 0.7357588823428847,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0},
       {-0.5, -0.49954405426979065, -0.4987606108188629, -0.4323323667049408, -0.31606027483940125, 0.0, 0.5, 1.0, 3.0,
        3.5, 25.0},
       {5}},
      {"logsigmoid", [](const Tensor& x) { return F::logsigmoid(x); },
       {-25.000000000013888, -3.5297504182726205, -3.048587351573742, -1.3132616875182228, -0.9740769841801067,
        -0.6931471805599453, -0.4740769841801067, -0.31326168751822286, -0.04858735157374206, -0.029750418272620566,
        -1.3887943864867583e-11},
       {0.9999999999861121, 0.9706877692486436, 0.9525741268224333, 0.7310585786300049, 0.6224593312018545, 0.5,
        0.37754066879814546, 0.2689414213699951, 0.04742587317756679, 0.029312230751356316, 1.3887943864771146e-11},
       {-1.388794386457827e-11, -0.02845302387973556, -0.04517665973091214, -0.19661193324148185, -0.2350037122015945,
        -0.25, -0.2350037122015945, -0.19661193324148185, -0.045176659730912, -0.028453023879735598,
        -1.3888001859448131e-11},
       {-25.0, -3.529750347137451, -3.0485873222351074, -1.3132617473602295, -0.9740769863128662, -0.6931471824645996,
        -0.4740769863128662, -0.3132616877555847, -0.04858735203742981, -0.029750417917966843, -1.3887943746404563e-11},
       {}},
      {"softsign", [](const Tensor& x) { return F::softsign(x); },
       {-0.9615384615384616, -0.7777777777777778, -0.75, -0.5, -0.3333333333333333, 0.0, 0.3333333333333333, 0.5, 0.75,
        0.7777777777777778, 0.9615384615384616},
       {0.001479289940828403, 0.04938271604938271, 0.0625, 0.25, 0.4444444444444444, 1.0, 0.4444444444444444, 0.25,
        0.0625, 0.04938271604938271, 0.001479289940828403},
       {0.00011379153390987727, 0.021947873799725653, 0.03125, 0.25, 0.5925925925925926, -0.0, -0.5925925925925926,
        -0.25, -0.03125, -0.021947873799725653, -0.00011379153390987727},
       {-0.9615384340286255, -0.7777777910232544, -0.75, -0.5, -0.3333333432674408, 0.0, 0.3333333432674408, 0.5, 0.75,
        0.7777777910232544, 0.9615384340286255},
       {}},
      {"tanhshrink", [](const Tensor& x) { return F::tanhshrink(x); },
       {-24.0, -2.501822102388801, -2.0049452463132695, -0.23840584404423515, -0.03788284273999026, 0.0,
        0.03788284273999026, 0.23840584404423515, 2.0049452463132695, 2.501822102388801, 24.0},
       {1.0, 0.9963591152795126, 0.9901339628345598, 0.5800256583859739, 0.2135522670340726, 0.0, 0.2135522670340726,
        0.5800256583859739, 0.9901339628345598, 0.9963591152795126, 1.0},
       {-0.0, -0.007268501311481615, -0.019634494363042387, -0.6397000084492246, -0.7268619813835873, 0.0,
        0.7268619813835873, 0.6397000084492246, 0.019634494363042387, 0.007268501311481615, 0.0},
       {-24.0, -2.501821994781494, -2.0049452781677246, -0.23840582370758057, -0.037882834672927856, 0.0,
        0.037882834672927856, 0.23840582370758057, 2.0049452781677246, 2.501821994781494, 24.0},
       {}},
      {"hardshrink(0.5)", [](const Tensor& x) { return F::hardshrink(x); },
       {-25.0, -3.5, -3.0, -1.0, 0.0, 0.0, 0.0, 1.0, 3.0, 3.5, 25.0},
       {1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0}, std::vector<double>(11, 0.0),
       {-25.0, -3.5, -3.0, -1.0, 0.0, 0.0, 0.0, 1.0, 3.0, 3.5, 25.0}, {}},
      {"hardshrink(3)", [](const Tensor& x) { return F::hardshrink(x, 3.0); },
       {-25.0, -3.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.5, 25.0}, {1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0},
       std::vector<double>(11, 0.0), {-25.0, -3.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.5, 25.0}, {}},
      {"softshrink(0.5)", [](const Tensor& x) { return F::softshrink(x); },
       {-24.5, -3.0, -2.5, -0.5, 0.0, 0.0, 0.0, 0.5, 2.5, 3.0, 24.5}, {1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0},
       std::vector<double>(11, 0.0), {-24.5, -3.0, -2.5, -0.5, 0.0, 0.0, 0.0, 0.5, 2.5, 3.0, 24.5}, {}},
      {"softshrink(3)", [](const Tensor& x) { return F::softshrink(x, 3.0); },
       {-22.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 22.0}, {1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0},
       std::vector<double>(11, 0.0), {-22.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 22.0}, {}},
      {"threshold(1, -2)", [](const Tensor& x) { return F::threshold(x, 1.0, -2.0); },
       {-2.0, -2.0, -2.0, -2.0, -2.0, -2.0, -2.0, -2.0, 3.0, 3.5, 25.0},
       {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0}, std::vector<double>(11, 0.0),
       {-2.0, -2.0, -2.0, -2.0, -2.0, -2.0, -2.0, -2.0, 3.0, 3.5, 25.0}, {}},
  };
}

TEST(ActivationsExtra, ValuesAndGradientsAtTheKinksMatchPyTorch) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = leaf(kX, {static_cast<int64_t>(kX.size())});
    Tensor y = c.f(x);
    EXPECT_EQ(y.dtype(), kFloat64);
    expect_values(y, c.y, 1e-12);
    auto g = autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
    expect_values(g, c.dy, 1e-7);
    if (g.requires_grad()) {
      auto gg = autograd::grad({g.sum()}, {x})[0];
      const auto got = gg.to_vector<double>();
      for (size_t i = 0; i < got.size(); ++i) {
        if (std::find(c.kinks.begin(), c.kinks.end(), i) != c.kinks.end()) continue;
        EXPECT_NEAR(got[i], c.d2y[i], 1e-9) << "second derivative at x = " << kX[i];
      }
    } else {
      for (double v : c.d2y) EXPECT_EQ(v, 0.0);  // piecewise linear: PyTorch's is 0 too
    }
    Tensor y32 = c.f(tensor(kX, {static_cast<int64_t>(kX.size())}).to(kFloat32));
    EXPECT_EQ(y32.dtype(), kFloat32);
    expect_values(y32, c.y32, 2e-6);
  }
}

TEST(ActivationsExtra, GradcheckAndGradgradcheckAwayFromTheKinks) {
  manual_seed(3);
  // Values in (-5, 5) avoid the kinks at ±3, 0, ±0.5, 1 by more than the finite step.
  Tensor x = testing::grad_input({4, 5}, -5.0, 5.0);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    expect_gradcheck([&](const std::vector<Tensor>& in) { return c.f(in[0]); }, {x});
    auto r = autograd::gradgradcheck_report([&](const std::vector<Tensor>& in) { return c.f(in[0]); }, {x});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(ActivationsExtra, EmptyAndNonContiguousInputs) {
  Tensor empty = zeros({0, 3});
  Tensor base = tensor(std::vector<double>{-4, -3, -1, 0, 0.5, 1, 2, 3, 5}, {3, 3});
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.f(empty).sizes(), (Dims{0, 3}));
    Tensor t = base.transpose(0, 1);
    ASSERT_FALSE(t.is_contiguous());
    EXPECT_TRUE(equal(c.f(t), c.f(t.contiguous())));
  }
}

TEST(ActivationsExtra, PReLUPerChannelMatchesPyTorch) {
  // x [2, 3, 1, 2], weight [3]; y.backward(arange(1, 13).reshape(2, 3, 1, 2)) in PyTorch 1.13.
  Tensor x = leaf({-2.0, 1.5, 0.0, -0.5, 3.0, -1.0, 0.5, -3.0, -0.25, 2.0, -4.0, 0.0}, {2, 3, 1, 2});
  Tensor w = leaf({0.25, -0.5, 2.0}, {3});
  Tensor y = F::prelu(x, w);
  expect_values(y, {-0.5, 1.5, -0.0, 0.25, 3.0, -2.0, 0.5, -0.75, 0.125, 2.0, -8.0, 0.0}, 1e-12);
  y.backward(arange(1, 13, 1, TensorOptions(kFloat64)).reshape({2, 3, 1, 2}));
  expect_values(x.grad(), {0.25, 2.0, -1.5, -2.0, 5.0, 12.0, 7.0, 2.0, -4.5, 10.0, 22.0, 24.0}, 1e-12);
  expect_values(w.grad(), {-26.0, -4.25, -50.0}, 1e-12);

  // 1-D input, one parameter.
  Tensor x1 = leaf({-2.0, 1.5, 0.0, -0.5}, {4});
  Tensor w1 = leaf({0.1}, {1});
  Tensor y1 = F::prelu(x1, w1);
  expect_values(y1, {-0.2, 1.5, 0.0, -0.05}, 1e-12);
  y1.backward(tensor(std::vector<double>{1, 2, 3, 4}, {4}));
  expect_values(x1.grad(), {0.1, 2.0, 0.3, 0.4}, 1e-12);
  expect_values(w1.grad(), {-4.0}, 1e-12);

  manual_seed(5);
  Tensor xg = testing::grad_input({2, 3, 4});
  Tensor wg = testing::grad_input({3});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::prelu(in[0], in[1]); }, {xg, wg});
}

TEST(ActivationsExtra, GluAndSoftminMatchPyTorch) {
  const std::vector<double> v{0.5, -1.0, 2.0, 0.25, -0.75, 1.5, -2.0, 3.0};
  Tensor x = leaf(v, {2, 4});
  Tensor y = F::glu(x);
  expect_values(y, {0.44039853898894116, -0.5621765008857981, -0.08940219151658815, 1.42886119023365}, 1e-12);
  y.backward(tensor(std::vector<double>{1., -2., 0.5, 3.}, {2, 2}));
  expect_values(x.grad(),
                {0.8807970779778823, -1.1243530017715961, 0.05249679270175331, 0.4922681654751967, 0.05960146101105877,
                 2.8577223804673, -0.03937259452631494, 0.20329496878910397},
                1e-12);
  Tensor x0 = leaf(v, {2, 4});
  Tensor y0 = F::glu(x0, 0);
  EXPECT_EQ(y0.sizes(), (Dims{1, 4}));
  expect_values(y0, {0.1604106504123035, -0.8175744761936437, 0.2384058440442351, 0.23814353170560834}, 1e-12);
  y0.backward(tensor(std::vector<double>{1., -2., 0.5, 3.}, {1, 4}));
  expect_values(x0.grad(),
                {0.320821300824607, -1.6351489523872873, 0.05960146101105877, 2.8577223804673, 0.10894749688090702,
                 0.2982929041406657, 0.1049935854035065, 0.033882494798184},
                1e-12);
  Tensor xs = leaf(v, {2, 4});
  Tensor s = F::softmin(xs, 1);
  expect_values(s,
                {0.14308516650235242, 0.641263226841095, 0.03192661611653464, 0.18372499054001792, 0.21648489489938916,
                 0.02281734005175232, 0.7556065283089499, 0.005091236739908677},
                1e-12);
  s.backward(tensor(std::vector<double>{1., -2., 0.5, 3., 0., 1., 2., 3.}, {2, 4}));
  expect_values(xs.grad(),
                {-0.22497323762050397, 0.9155295803609041, -0.034235006481106486, -0.6563213362592937,
                 0.33540093674713906, 0.012533658598719048, -0.34054875911641846, -0.007385836229439428},
                1e-12);
  manual_seed(6);
  Tensor xg = testing::grad_input({3, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::glu(in[0], 1); }, {xg});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::softmin(in[0], 0); }, {xg});
}

TEST(ActivationsExtra, BadInputIsPyTorchsError) {
  Tensor x = randn({2, 3});
  EXPECT_EMBER_ERROR(F::softshrink(x, -1.0), "lambda must be greater or equal to 0, but found to be -1");
  EXPECT_EMBER_ERROR(F::glu(x), "Halving dimension must be even, but dimension 1 is size 3");
  EXPECT_EMBER_ERROR(F::glu(x, 3), "Dimension out of range (expected to be in range of [-2, 1], but got 3)");
  EXPECT_EMBER_ERROR(F::celu(x, 0.0), "alpha cannot be 0 for CELU");
  EXPECT_EMBER_ERROR(F::prelu(x, ones({4})),
                     "Mismatch of parameter numbers and input channel size. Found parameter numbers = 4 and channel "
                     "size = 3.");
  EXPECT_EMBER_ERROR(F::prelu(x, ones({1, 1})), "prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = 2");
  EXPECT_EMBER_ERROR(F::softmin(x, 2), "Dimension out of range");
  EXPECT_EMBER_ERROR(nn::PReLU(3)(randn({2, 4})), "Found parameter numbers = 3 and channel size = 4");
  EXPECT_EMBER_ERROR(nn::PReLU(0), "num_parameters must be at least 1");
}

TEST(ActivationsExtra, ModulesCallTheFunctionalOnesAndPrintLikePyTorch) {
  // print(nn.Hardswish(), ..., nn.PReLU(3, 0.1)) in PyTorch 1.13.
  EXPECT_EQ(nn::Hardswish().repr(), "Hardswish()");
  EXPECT_EQ(nn::Hardsigmoid().repr(), "Hardsigmoid()");
  EXPECT_EQ(nn::SELU().repr(), "SELU()");
  EXPECT_EQ(nn::CELU().repr(), "CELU(alpha=1.0)");
  EXPECT_EQ(nn::CELU(0.5).repr(), "CELU(alpha=0.5)");
  EXPECT_EQ(nn::LogSigmoid().repr(), "LogSigmoid()");
  EXPECT_EQ(nn::Softsign().repr(), "Softsign()");
  EXPECT_EQ(nn::Tanhshrink().repr(), "Tanhshrink()");
  EXPECT_EQ(nn::Hardshrink().repr(), "Hardshrink(0.5)");
  EXPECT_EQ(nn::Softshrink().repr(), "Softshrink(0.5)");
  EXPECT_EQ(nn::Threshold(0.1, 20.0).repr(), "Threshold(threshold=0.1, value=20.0)");
  EXPECT_EQ(nn::GLU().repr(), "GLU(dim=-1)");
  EXPECT_EQ(nn::Softmax().repr(), "Softmax(dim=None)");
  EXPECT_EQ(nn::Softmax(1).repr(), "Softmax(dim=1)");
  EXPECT_EQ(nn::LogSoftmax(1).repr(), "LogSoftmax(dim=1)");
  EXPECT_EQ(nn::Softmin(0).repr(), "Softmin(dim=0)");
  EXPECT_EQ(nn::PReLU().repr(), "PReLU(num_parameters=1)");

  Tensor x = randn({2, 4, 3});
  const auto same = [](const Tensor& a, const Tensor& b) { return allclose(a, b, 0.0, 0.0); };
  EXPECT_TRUE(same(nn::Hardswish()(x), F::hardswish(x)));
  EXPECT_TRUE(same(nn::Hardsigmoid()(x), F::hardsigmoid(x)));
  EXPECT_TRUE(same(nn::SELU()(x), F::selu(x)));
  EXPECT_TRUE(same(nn::CELU(0.7)(x), F::celu(x, 0.7)));
  EXPECT_TRUE(same(nn::LogSigmoid()(x), F::logsigmoid(x)));
  EXPECT_TRUE(same(nn::Softsign()(x), F::softsign(x)));
  EXPECT_TRUE(same(nn::Tanhshrink()(x), F::tanhshrink(x)));
  EXPECT_TRUE(same(nn::Hardshrink(0.3)(x), F::hardshrink(x, 0.3)));
  EXPECT_TRUE(same(nn::Softshrink(0.3)(x), F::softshrink(x, 0.3)));
  EXPECT_TRUE(same(nn::Threshold(0.1, -1.0)(x), F::threshold(x, 0.1, -1.0)));
  EXPECT_TRUE(same(nn::GLU(1)(x), F::glu(x, 1)));
  EXPECT_TRUE(same(nn::Softmin(2)(x), F::softmin(x, 2)));
  EXPECT_TRUE(same(nn::LogSoftmax(2)(x), F::log_softmax(x, 2)));
  // dim=None: PyTorch's implicit choice, dim 0 for a 3-D input and dim 1 for a 2-D one.
  EXPECT_TRUE(same(nn::Softmax()(x), F::softmax(x, 0)));
  Tensor x2 = randn({3, 5});
  EXPECT_TRUE(same(nn::Softmax()(x2), F::softmax(x2, 1)));

  // PReLU: a learnable weight [num_parameters] filled with init, broadcast over dim 1.
  nn::PReLU prelu(4, 0.1);
  auto named = prelu.named_parameters();
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].first, "weight");
  expect_values(prelu.weight, {0.1, 0.1, 0.1, 0.1}, 1e-7);
  Tensor y = prelu(x.transpose(1, 2).contiguous().transpose(1, 2));  // [2, 4, 3], non-contiguous
  EXPECT_TRUE(allclose(y, F::prelu(x, prelu.weight)));
  y.sum().backward();
  ASSERT_TRUE(prelu.weight.grad().defined());
  // d/dw_c = sum of x over channel c where x <= 0
  Tensor expected = where(x > 0.0, 0.0, x).sum(Dims{0, 2});
  EXPECT_TRUE(allclose(prelu.weight.grad(), expected, 1e-5, 1e-6));
}

// PyTorch's kernels for these are floating-only: an integer tensor is its dispatch error, not a
// float result (the composed forms used to promote it), in place too.
TEST(ActivationsExtra, IntegerInputsAreRefusedAsPyTorchsKernels) {
  const Tensor ints = tensor(std::vector<int64_t>{-1, 1, 5, 2}, {2, 2});
  EXPECT_EMBER_ERROR(F::hardswish(ints), "\"hardswish_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::hardswish(ints, /*inplace=*/true), "\"hardswish_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::hardsigmoid(ints), "\"hardsigmoid_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::logsigmoid(ints), "\"log_sigmoid_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::hardshrink(ints, 0.5), "\"hardshrink_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::softshrink(ints, 0.5), "\"softshrink_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::celu(ints), "\"elu_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::selu(ints), "\"elu_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::glu(ints, 1), "\"glu_cpu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::prelu(ints, ones({1}, kInt64)), "\"prelu_cpu\" not implemented for 'Long'");
  EXPECT_TRUE(allclose(F::hardshrink(ints.to(kFloat32), 1.0), tensor(std::vector<float>{0, 0, 5, 2}, {2, 2})));
}

}  // namespace
}  // namespace ember
