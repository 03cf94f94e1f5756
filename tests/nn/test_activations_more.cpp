// gelu (both forms), silu, elu, softplus, hardtanh/relu6 and mish: values, gradients and
// second to fourth derivatives against PyTorch 1.13, float64 gradcheck (near the kinks too) and
// gradgradcheck, node names, dtypes, modules and bad input.
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
using Act = std::function<Tensor(const Tensor&)>;

// One activation at some points: y, dy/dx and d2y/dx2 (float64) and y in float32, from
//   x = torch.tensor(xs, dtype=torch.float64, requires_grad=True); y = f(x)
//   (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
//   (gg,) = torch.autograd.grad(g.sum(), x)      # zeros where g has no graph (hardtanh)
//   y32 = f(torch.tensor(xs, dtype=torch.float32))
// with /usr/bin/python3 (torch 1.13.0a0); the script is /tmp/actref/act_ref.py's loop:
//   for name, f, xs in cases: print(y.tolist(), g.tolist(), gg.tolist(), y32.tolist(), y.grad_fn.name())
struct Case {
  const char* name;
  Act f;
  std::vector<double> x, y, dy, d2y, y32;
  const char* node;
};

const std::vector<double> kX{-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 25.0};

std::vector<Case> cases() {
  return {
      {"gelu", [](const Tensor& x) { return F::gelu(x); }, kX,  // F.gelu(x)
       {-0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0.0, 0.34573123063700656, 0.841344746068543,
        2.99595030590511, 25.0},
       {-0.01194564720418392, -0.08331547058768635, 0.13250487534383712, 0.5, 0.8674951246561629, 1.0833154705876864,
        1.011945647204184, 1.0},
       {-0.031022938883566054, 0.24197072451914337, 0.6161143218375241, 0.7978845608028654, 0.6161143218375241,
        0.24197072451914337, -0.031022938883566054, -4.768398225789282e-134},
       {-0.004049867391586304, -0.1586552858352661, -0.1542687863111496, 0.0, 0.3457311987876892, 0.8413447141647339,
        2.995950222015381, 25.0},
       "GeluBackward"},
      {"gelu_tanh", [](const Tensor& x) { return F::gelu(x, "tanh"); }, kX,  // F.gelu(x, approximate='tanh')
       {-0.0036373920817729943, -0.1588080093917233, -0.15428599017485606, 0.0, 0.34571400982514394, 0.8411919906082768,
        2.996362607918227, 25.0},
       {-0.011584166630969648, -0.08296408384578258, 0.13263009646535764, 0.5, 0.8673699035346424, 1.0829640838457826,
        1.0115841666309695, 1.0},
       {-0.03176765888607492, 0.24214819798377302, 0.615506895115985, 0.7978845608028654, 0.615506895115985,
        0.24214819798377302, -0.03176765888607492, 0.0},
       {-0.0036374330520629883, -0.15880799293518066, -0.1542859971523285, 0.0, 0.3457140028476715, 0.8411920070648193,
        2.9963626861572266, 25.0},
       "GeluBackward"},
      {"silu", [](const Tensor& x) { return F::silu(x); }, kX,  // F.silu(x)
       {-0.14227761953270035, -0.2689414213699951, -0.1887703343990727, 0.0, 0.3112296656009273, 0.7310585786300049,
        2.8577223804672998, 24.9999999996528},
       {-0.08810410601516962, 0.07232948812851325, 0.2600388126973482, 0.5, 0.7399611873026519, 0.9276705118714869,
        1.0881041060151693, 1.000000000333312},
       {-0.032321404521006174, 0.3023661188100153, 0.44122902697702865, 0.5, 0.4412290269770286, 0.3023661188100153,
        -0.03232140452100613, -3.194240427576632e-10},
       {-0.14227761328220367, -0.2689414322376251, -0.1887703388929367, 0.0, 0.3112296760082245, 0.7310585975646973,
        2.857722520828247, 25.0},
       "SiluBackward"},
      {"elu", [](const Tensor& x) { return F::elu(x); }, kX,  // F.elu(x)
       {-0.950212931632136, -0.6321205588285577, -0.3934693402873666, 0.0, 0.5, 1.0, 3.0, 25.0},
       {0.049787068367863944, 0.36787944117144233, 0.6065306597126334, 1.0, 1.0, 1.0, 1.0, 1.0},
       {0.049787068367863944, 0.36787944117144233, 0.6065306597126334, 0.0, 0.0, 0.0, 0.0, 0.0},
       {-0.9502129554748535, -0.6321205496788025, -0.39346933364868164, 0.0, 0.5, 1.0, 3.0, 25.0}, "EluBackward"},
      // at x = 0 the exponential side: dy = alpha, and d2y = 0 there (PyTorch's)
      {"elu(0.5)", [](const Tensor& x) { return F::elu(x, 0.5); }, kX,  // F.elu(x, alpha=0.5)
       {-0.475106465816068, -0.31606027941427883, -0.1967346701436833, 0.0, 0.5, 1.0, 3.0, 25.0},
       {0.024893534183931972, 0.18393972058572117, 0.3032653298563167, 0.5, 1.0, 1.0, 1.0, 1.0},
       {0.024893534183931972, 0.18393972058572117, 0.3032653298563167, 0.0, 0.0, 0.0, 0.0, 0.0},
       {-0.47510647773742676, -0.31606027483940125, -0.19673466682434082, 0.0, 0.5, 1.0, 3.0, 25.0}, "EluBackward"},
      {"softplus", [](const Tensor& x) { return F::softplus(x); }, kX,  // F.softplus(x)
       {0.04858735157374206, 0.31326168751822286, 0.4740769841801067, 0.6931471805599453, 0.9740769841801067,
        1.3132616875182228, 3.048587351573742, 25.0},
       {0.04742587317756679, 0.2689414213699951, 0.37754066879814546, 0.5, 0.6224593312018546, 0.7310585786300049,
        0.9525741268224333, 1.0},
       {0.04517665973091214, 0.19661193324148185, 0.2350037122015945, 0.25, 0.2350037122015945, 0.19661193324148185,
        0.045176659730912, 0.0},
       {0.04858735203742981, 0.3132616877555847, 0.4740769863128662, 0.6931471824645996, 0.9740769863128662,
        1.31326162815094, 3.0485873222351074, 25.0},
       "SoftplusBackward"},
      // beta x = threshold (x = 1.5) is still the log side, but its d2y is already 0
      {"softplus(2, 3)", [](const Tensor& x) { return F::softplus(x, 2.0, 3.0); },  // F.softplus(x, beta=2, threshold=3)
       {-1.0, 0.0, 1.0, 1.5, 1.6, 3.0},
       {0.06346400552148625, 0.34657359027997264, 1.0634640055214863, 1.524293675786871, 1.6, 3.0},
       {0.11920292202211755, 0.5, 0.8807970779778824, 0.9525741268224333, 1.0, 1.0},
       {0.209987170807013, 0.5, 0.20998717080701323, 0.0, 0.0, 0.0},
       {0.06346400082111359, 0.3465735912322998, 1.0634640455245972, 1.5242936611175537, 1.600000023841858, 3.0},
       "SoftplusBackward"},
      // the gradient is 0 at min_val and max_val themselves
      {"hardtanh", [](const Tensor& x) { return F::hardtanh(x); },  // F.hardtanh(x)
       {-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0}, {-1.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0},
       {0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0}, {0, 0, 0, 0, 0, 0, 0}, {-1.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0},
       "HardtanhBackward"},
      {"hardtanh(-2, 3)", [](const Tensor& x) { return F::hardtanh(x, -2.0, 3.0); },  // F.hardtanh(x, -2.0, 3.0)
       {-3.0, -2.0, 0.5, 3.0, 4.0}, {-2.0, -2.0, 0.5, 3.0, 3.0}, {0.0, 0.0, 1.0, 0.0, 0.0}, {0, 0, 0, 0, 0},
       {-2.0, -2.0, 0.5, 3.0, 3.0}, "HardtanhBackward"},
      {"relu6", [](const Tensor& x) { return F::relu6(x); },  // F.relu6(x)
       {-1.0, 0.0, 3.0, 6.0, 7.0}, {0.0, 0.0, 3.0, 6.0, 6.0}, {0.0, 0.0, 1.0, 0.0, 0.0}, {0, 0, 0, 0, 0},
       {0.0, 0.0, 3.0, 6.0, 6.0}, "HardtanhBackward"},
      {"mish", [](const Tensor& x) { return F::mish(x); }, kX,  // F.mish(x)
       {-0.1456474612756246, -0.30340146137410895, -0.22074377465173, 0.0, 0.37524521130489513, 0.8650983882673103,
        2.9865350049679575, 25.0},
       {-0.09339311453232084, 0.059216755877395, 0.28951067791351226, 0.6, 0.8864243753577273, 1.0490362200997922,
        1.0211069109294435, 1.0},
       {-0.03992871324212924, 0.34970567367064487, 0.5639709231132665, 0.64, 0.46805337784488654, 0.1846857644733283,
        -0.030266496639326814, 0.0},
       {-0.14564746618270874, -0.3034014403820038, -0.22074376046657562, 0.0, 0.37524524331092834, 0.8650983572006226,
        2.98653507232666, 25.0},
       "MishBackward"},
  };
}

// |got - want| <= tol * max(1, |want|), per element.
void expect_close(const Tensor& t, const std::vector<double>& want, double tol, const std::string& what) {
  const auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << what << " at index " << i;
}

Tensor f64_leaf(const std::vector<double>& v) {
  return tensor(v, {static_cast<int64_t>(v.size())}, TensorOptions(kFloat64).requires_grad(true));
}

TEST(ActivationsMore, ValuesGradientsAndSecondDerivativesMatchPyTorch) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = f64_leaf(c.x);
    Tensor y = c.f(x);
    EXPECT_EQ(y.grad_fn_name(), c.node);
    EXPECT_EQ(y.dtype(), kFloat64);
    expect_close(y, c.y, 1e-13, "y");
    Tensor g = autograd::grad({y.sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
    expect_close(g, c.dy, 1e-13, "dy");
    ASSERT_TRUE(g.requires_grad());  // as PyTorch's, hardtanh's too (a zero derivative)
    expect_close(autograd::grad({g.sum()}, {x})[0], c.d2y, 1e-12, "d2y");
    // float32 computes in float32
    Tensor y32 = c.f(tensor(c.x, {static_cast<int64_t>(c.x.size())}, kFloat32));
    EXPECT_EQ(y32.dtype(), kFloat32);
    expect_close(y32, c.y32, 2e-6, "y32");
  }
}

TEST(ActivationsMore, BFloat16ComputesInFloatAndRounds) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = tensor(c.x, {static_cast<int64_t>(c.x.size())}, kFloat32).to(kBFloat16).requires_grad_(true);
    Tensor y = c.f(x);
    EXPECT_EQ(y.dtype(), kBFloat16);
    // bf16 keeps 8 bits: relative error 2^-8 of the value (inputs are exact in bf16)
    expect_close(y, c.y32, 1.0 / 256, "y bf16");
    y.sum().backward();
    EXPECT_EQ(x.grad().dtype(), kBFloat16);
    expect_close(x.grad(), c.dy, 1.0 / 128, "dy bf16");
  }
}

TEST(ActivationsMore, StridedInputsGiveTheContiguousValues) {
  Tensor base = testing::grad_input({4, 3}, -3.0, 3.0);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor xt = base.transpose(0, 1);  // [3, 4], not contiguous
    Tensor y = c.f(xt);
    EXPECT_EQ(y.sizes(), Dims({3, 4}));
    expect_values(y, c.f(xt.contiguous()).to_vector<double>(), 0.0);
    Tensor gy = testing::grad_input({3, 4});
    Tensor gx = autograd::grad({y}, {base}, {gy})[0];
    Tensor gx_contiguous = autograd::grad({c.f(base.contiguous().transpose(0, 1).contiguous())}, {base}, {gy})[0];
    expect_values(gx, gx_contiguous.to_vector<double>(), 0.0);
  }
}

TEST(ActivationsMore, GradcheckAwayFromAndAtTheKinks) {
  // random points in [-3, 3], then points on either side of each kink (not on it: the
  // one-sided derivatives differ there), and on it where the derivative is continuous.
  const Tensor random = testing::grad_input({3, 5}, -3.0, 3.0);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    expect_gradcheck([&](const Inputs& in) { return c.f(in[0]); }, {random});
  }
  const auto near = [](std::vector<double> v) { return f64_leaf(v); };
  // elu(0.5): a kink at 0 (slope 0.5 on the left, 1 on the right); elu(1) is C1 at 0
  expect_gradcheck([](const Inputs& in) { return F::elu(in[0], 0.5); }, {near({-1e-3, -1e-4, 1e-4, 1e-3})});
  expect_gradcheck([](const Inputs& in) { return F::elu(in[0]); }, {near({-1e-3, 0.0, 1e-3})});
  expect_gradcheck([](const Inputs& in) { return F::hardtanh(in[0]); }, {near({-1.001, -0.999, 0.999, 1.001})});
  expect_gradcheck([](const Inputs& in) { return F::relu6(in[0]); }, {near({-1e-3, 1e-3, 5.999, 6.001})});
  expect_gradcheck([](const Inputs& in) { return F::softplus(in[0], 2.0, 3.0); }, {near({1.49, 1.51, 20.0})});
  expect_gradcheck([](const Inputs& in) { return F::gelu(in[0]) + F::silu(in[0]) + F::mish(in[0]); },
                   {near({-1e-3, 0.0, 1e-3, -8.0, 8.0})});
}

TEST(ActivationsMore, GradgradcheckOfTheSmoothOnesAndOfHardtanh) {
  const Tensor random = testing::grad_input({2, 5}, -3.0, 3.0);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const auto r = autograd::gradgradcheck_report([&](const Inputs& in) { return c.f(in[0]) * in[0]; }, {random});
    EXPECT_TRUE(r.ok) << r.message;
  }
  // with an incoming gradient that has a history of its own (the g input of the double node)
  const Tensor w = testing::grad_input({2, 5});
  const auto r = autograd::gradgradcheck_report(
      [](const Inputs& in) { return F::gelu(in[0] * in[1], "tanh") + F::softplus(in[0] * in[1], 2.0, 3.0); },
      {random, w});
  EXPECT_TRUE(r.ok) << r.message;
}

// The third and fourth derivatives, from
//   x = torch.tensor([-2.5, -0.7, -1e-3, 0.4, 1.3, 3.0], dtype=torch.float64, requires_grad=True)
//   g1 = grad(f(x).sum(), x, create_graph=True); g2 = grad(g1.sum(), ...); g3; g4 = grad(g3.sum(), x)
// with /usr/bin/python3 (torch 1.13.0a0), whose double-backward formulas are composite ops.
TEST(ActivationsMore, ThirdAndFourthDerivativesAsPyTorch) {
  struct Order34 {
    const char* name;
    Act f;
    std::vector<double> d3, d4;
  };
  const std::vector<Order34> cases{
      {"gelu", [](const Tensor& x) { return F::gelu(x); },
       {-0.09859669027632302, 0.7672079142821323, 0.0015957679247792886, -0.5656629355059046, -0.5146198819195654,
        0.0664777261790701},
       {0.012050706589328317, -0.2529569114204133, -1.5957655311272019, -1.0700457196653361, 0.8523702399865891,
        -0.09750066506263616}},
      {"gelu_tanh", [](const Tensor& x) { return F::gelu(x, "tanh"); },
       {-0.09810217072798179, 0.7662623355087339, 0.0016036662280736749, -0.5672593369130142, -0.5111744747217669,
        0.06968221838332025},
       {0.02625149054538789, -0.24055700200407404, -1.6036637797016404, -1.0671414897326963, 0.8410692390299338,
        -0.09809343828054767}},
      {"silu", [](const Tensor& x) { return F::silu(x); },
       {0.07686218227508487, 0.2749950663881713, 0.0004999997500001428, -0.18470086885427572, -0.29077532900101105,
        -0.02388149531006101},
       {0.1388640200341425, -0.20621736438572502, -0.4999992500003542, -0.3886420885599136, 0.12093277491300201,
        0.0755539920696657}},
      {"elu(0.7)", [](const Tensor& x) { return F::elu(x, 0.7); },
       {0.05745949903672916, 0.34760971265398666, 0.6993003498833624, 0.0, 0.0, 0.0},
       {0.05745949903672916, 0.34760971265398666, 0.6993003498833624, 0.0, 0.0, 0.0}},
      {"softplus(2, 3)", [](const Tensor& x) { return F::softplus(x, 2.0, 3.0); },
       {0.02623627106529025, 0.38361615504595825, 0.000999998666667973, -0.3250990688368639, -0.22183614757511377,
        0.0},
       {0.051063013806415446, 0.060796138691618276, -0.9999960000056667, -0.4850756245770584, 0.3160508411118662,
        0.0}},
      {"mish", [](const Tensor& x) { return F::mish(x); },
       {0.06692796498764732, 0.4328047291912973, -0.09489922333805928, -0.4799639751996286, -0.34433386384948583,
        0.03631670313731241},
       {0.14662085368952799, -0.24196673585894976, -1.1007523860028146, -0.681406787920588, 0.6161210553475347,
        -0.02495830291202938}},
      {"selu", [](const Tensor& x) { return F::selu(x); },
       {0.1443135819741343, 0.8730462952701714, 1.7563421202632563, 0.0, 0.0, 0.0},
       {0.1443135819741343, 0.8730462952701714, 1.7563421202632563, 0.0, 0.0, 0.0}},
      // celu's from exp(x / alpha) / alpha^2 and / alpha^3 (torch 1.13's differ from these by up
      // to 1e-7: its input_scale 1 / alpha is rounded to float32 in the double backward)
      {"celu(0.6)", [](const Tensor& x) { return F::celu(x, 0.6); },
       {0.0430662599972481, 0.8650089553183269, 2.7731520040303854, 0.0, 0.0, 0.0},
       {0.0717770999954135, 1.4416815921972117, 4.62192000671731, 0.0, 0.0, 0.0}},
  };
  for (const Order34& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor x = f64_leaf({-2.5, -0.7, -1e-3, 0.4, 1.3, 3.0});
    Tensor g = autograd::grad({c.f(x).sum()}, {x}, {}, std::nullopt, true)[0];
    for (int order = 2; order <= 3; ++order) g = autograd::grad({g.sum()}, {x}, {}, std::nullopt, true)[0];
    expect_values(g, c.d3, 1e-12);
    expect_values(autograd::grad({g.sum()}, {x})[0], c.d4, 1e-12);
  }
}

TEST(ActivationsMore, GradgradcheckOfTheFirstDerivatives) {
  // the third derivatives numerically, with an incoming gradient that has a history (w)
  const Tensor x = testing::grad_input({2, 4}, -3.0, 3.0), w = testing::grad_input({2, 4});
  const std::vector<std::pair<const char*, Act>> acts{
      {"gelu", [](const Tensor& t) { return F::gelu(t); }},
      {"gelu_tanh", [](const Tensor& t) { return F::gelu(t, "tanh"); }},
      {"silu", [](const Tensor& t) { return F::silu(t); }},
      {"elu", [](const Tensor& t) { return F::elu(t, 0.7); }},
      {"softplus", [](const Tensor& t) { return F::softplus(t, 2.0, 3.0); }},
      {"mish", [](const Tensor& t) { return F::mish(t); }}};
  for (const auto& [name, f] : acts) {
    SCOPED_TRACE(name);
    const auto r = autograd::gradgradcheck_report(
        [&f](const Inputs& in) {
          EnableGradGuard grad_mode;  // gradcheck evaluates under no_grad
          return autograd::grad({(f(in[0]) * in[1]).sum()}, {in[0]}, {}, std::nullopt, true)[0];
        },
        {x, w});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(ActivationsMore, HardtanhIsDifferentiableToAnyOrder) {
  // Hardtanh is piecewise linear: its gradient is linear in the incoming gradient, whose
  // history it keeps to any order (here through w), and its derivative in x is 0
  Tensor x = f64_leaf({-0.5, 0.5});
  Tensor w = f64_leaf({1.5, 1.0});  // x w inside (-1, 1): dh/dx = w^2
  Tensor h = autograd::grad({(F::hardtanh(x * w) * w).sum()}, {x}, {}, std::nullopt, true)[0];
  expect_values(h, {2.25, 1.0});
  Tensor hw = autograd::grad({h.sum()}, {w}, {}, std::nullopt, true)[0];  // d/dw (w^2) = 2 w
  expect_values(hw, {3.0, 2.0});
  expect_values(autograd::grad({hw.sum()}, {w})[0], {2.0, 2.0});
}

TEST(ActivationsMore, RecordsOnlyWhenNeeded) {
  // the node keeps x alone (PyTorch's saved self)
  Tensor big = testing::grad_input({1000});
  const int64_t before = autograd::saved_tensor_stats().current_bytes;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor y = c.f(big);
    EXPECT_EQ(autograd::saved_tensor_stats().current_bytes - before, 8000);
  }
  Tensor x = f64_leaf({-1.0, 1.0});
  NoGradGuard no_grad;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.f(x).grad_fn(), nullptr);
    EXPECT_FALSE(c.f(x).requires_grad());
  }
}

TEST(ActivationsMore, ModulesCallTheFunctionalOnesAndPrintLikePyTorch) {
  Tensor x = testing::grad_input({2, 3}, -3.0, 3.0);
  const std::vector<std::pair<std::shared_ptr<nn::Module>, Tensor>> modules{
      {std::make_shared<nn::GELU>(), F::gelu(x)},
      {std::make_shared<nn::GELU>("tanh"), F::gelu(x, "tanh")},
      {std::make_shared<nn::SiLU>(), F::silu(x)},
      {std::make_shared<nn::ELU>(0.5), F::elu(x, 0.5)},
      {std::make_shared<nn::Softplus>(2.0, 3.0), F::softplus(x, 2.0, 3.0)},
      {std::make_shared<nn::Hardtanh>(-0.5, 2.0), F::hardtanh(x, -0.5, 2.0)},
      {std::make_shared<nn::ReLU6>(), F::relu6(x)},
      {std::make_shared<nn::Mish>(), F::mish(x)},
  };
  for (const auto& [m, want] : modules) {
    SCOPED_TRACE(m->type_name());
    expect_values((*m)(x), want.to_vector<double>(), 0.0);
  }
  // torch 1.13: repr(nn.GELU('tanh')), nn.ELU(0.5), nn.Softplus(2, 3), nn.Hardtanh(-0.5, 2.0)
  EXPECT_EQ(nn::GELU("tanh").repr(), "GELU(approximate='tanh')");
  EXPECT_EQ(nn::ELU(0.5).repr(), "ELU(alpha=0.5)");
  EXPECT_EQ(nn::Softplus(2.0, 3.0).repr(), "Softplus(beta=2.0, threshold=3.0)");  // Python floats
  EXPECT_EQ(nn::Hardtanh(-0.5, 2.0).repr(), "Hardtanh(min_val=-0.5, max_val=2.0)");
  EXPECT_EQ(nn::ReLU6().repr(), "ReLU6()");
  EXPECT_EQ(nn::Mish().repr(), "Mish()");
}

// torch 1.13: hardtanh and relu6 of integers clamp to the limits truncated toward zero, in
// the input's dtype; limits the dtype cannot hold, and bools, are errors.
TEST(ActivationsMore, HardtanhOfIntegersIsPyTorchsClamp) {
  const Tensor ints = tensor(std::vector<int64_t>{-3, 0, 3}, kInt64);
  const Tensor bytes = tensor(std::vector<uint8_t>{0, 5, 200}, {3});
  const auto expect_ints = [](const Tensor& got, DType dtype, const std::vector<int64_t>& want) {
    EXPECT_EQ(got.dtype(), dtype);
    EXPECT_EQ(got.to(kInt64).to_vector<int64_t>(), want);
  };
  expect_ints(F::hardtanh(ints), kInt64, {-1, 0, 1});               // F.hardtanh(torch.tensor([-3, 0, 3]))
  expect_ints(F::hardtanh(ints, -2.7, 1.9), kInt64, {-2, 0, 1});    // limits truncated: -2, 1
  expect_ints(F::hardtanh(ints, 2, 1), kInt64, {1, 1, 1});          // crossed limits: max wins
  expect_ints(F::relu6(bytes), kUInt8, {0, 5, 6});
  expect_ints(F::hardtanh(bytes, 0.5, 2.5), kUInt8, {0, 2, 2});
  expect_ints(nn::ReLU6()(ints), kInt64, {0, 0, 3});
  Tensor in_place = ints.clone();
  EXPECT_TRUE(F::hardtanh_(in_place, -2, 2).is_same(in_place));
  expect_ints(in_place, kInt64, {-2, 0, 2});
  expect_ints(F::hardtanh(bytes, -0.5, 255.5), kUInt8, {0, 5, 200});  // the limits truncate to 0 and 255 first
  EXPECT_EMBER_ERROR(F::hardtanh(bytes, 0, 300), "value cannot be converted to type uint8_t without overflow");
  EXPECT_EMBER_ERROR(F::hardtanh(bytes, 0, -1), "cannot do hardtanh on an unsigned type with negative limits");
  EXPECT_EMBER_ERROR(F::hardtanh(bytes, 0, 1e30), "value cannot be converted to type int64_t without overflow");
  EXPECT_EMBER_ERROR(F::hardtanh(bytes, -INFINITY, 3), "value cannot be converted to type int64_t without overflow");
  EXPECT_EMBER_ERROR(F::hardtanh(ints, -1e30, 1e30), "value cannot be converted to type int64_t without overflow");
  EXPECT_EMBER_ERROR(F::hardtanh(ints, NAN, 1), "value cannot be converted to type int64_t without overflow");
  // 2^63 does not fit int64: an error (PyTorch 1.13 converts it to INT64_MIN and clamps to that)
  EXPECT_EMBER_ERROR(F::hardtanh(ints, 0, 9223372036854775808.0), "value cannot be converted to type int64_t");
  EXPECT_EMBER_ERROR(F::hardtanh(tensor(std::vector<bool>{true, false}, {2}), 0, 1),
                     "Bool inputs not supported for hardtanh");
}

TEST(ActivationsMore, BadInput) {
  // torch 1.13: F.gelu(torch.tensor([1, 2])) -> "GeluKernelImpl" not implemented for 'Long'
  const Tensor ints = tensor(std::vector<int64_t>{1, 2}, kInt64);
  EXPECT_EMBER_ERROR(F::gelu(ints), "\"gelu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::silu(ints), "\"silu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::elu(ints), "\"elu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::softplus(ints), "\"softplus\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::mish(ints), "\"mish\" not implemented for 'Long'");
  // F.gelu(x, approximate='foo'): "approximate argument must be either none or tanh."
  const Tensor x = tensor(std::vector<float>{1, 2});
  EXPECT_EMBER_ERROR(F::gelu(x, "foo"), "approximate argument must be either none or tanh.");
  EXPECT_EMBER_ERROR(nn::GELU("erf"), "approximate argument must be either none or tanh.");
  // nn.Hardtanh(1, -1) fails PyTorch's assertion max_val > min_val
  EXPECT_EMBER_ERROR(nn::Hardtanh(1.0, -1.0), "max_val (-1) must be greater than min_val (1)");
  // F.hardtanh with min_val > max_val clamps to max_val, NaN passes through (as PyTorch's)
  expect_values(F::hardtanh(tensor(std::vector<double>{0.0, 5.0}), 1.0, -1.0), {-1.0, -1.0});
  EXPECT_TRUE(std::isnan(F::hardtanh(tensor(std::vector<double>{NAN}), -1.0, 1.0).item<double>()));
}

}  // namespace
}  // namespace ember
