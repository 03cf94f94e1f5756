// Special and composed math (core/special_ops.h): values against PyTorch 1.13 in float64
// (and against closed forms or mpmath where 1.13's own values are less accurate), edges
// (poles, +-1, infinities, -0.0), dtype rules, gradcheck/gradgradcheck, in-place forms,
// diff, and mode (against PyTorch's choice of value and index).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <tuple>
#include <utility>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = std::numbers::pi;

Tensor f64(const std::vector<double>& v) { return tensor(v, {static_cast<int64_t>(v.size())}, kFloat64); }

// Values with infinities and NaN compared exactly, the rest within tol.
void expect_values_or_special(const Tensor& t, const std::vector<double>& expected, double tol) {
  const auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) EXPECT_TRUE(std::isnan(got[i])) << "at index " << i << ": " << got[i];
    else if (std::isinf(expected[i])) EXPECT_EQ(got[i], expected[i]) << "at index " << i;
    else EXPECT_NEAR(got[i], expected[i], tol * std::max(1.0, std::abs(expected[i]))) << "at index " << i;
  }
}

// Reference values from /usr/bin/python3 (torch 1.13), e.g. torch.erfc(x).tolist() for
//   x = torch.tensor([-2.5, -0.75, -0.0, 0.3, 0.5, 1.5, 2.5], dtype=torch.float64),
//   u = torch.tensor([-0.9, -0.3, 0.0, 0.2, 0.7, 0.95], dtype=torch.float64),
//   p = torch.tensor([0.25, 1.0, 3.0, 10.0, 1000.0], dtype=torch.float64).
TEST(SpecialMath, UnaryValuesAsPyTorch) {
  const Tensor x = f64({-2.5, -0.75, -0.0, 0.3, 0.5, 1.5, 2.5});
  const Tensor u = f64({-0.9, -0.3, 0.0, 0.2, 0.7, 0.95});
  const Tensor p = f64({0.25, 1.0, 3.0, 10.0, 1000.0});
  constexpr double tol = 1e-15;
  expect_values_or_special(erfc(x), {1.999593047982555, 1.7111556336535152, 1.0, 0.6713732405408726,
                                     0.4795001221869535, 0.033894853524689274, 0.0004069520174449589}, tol);
  expect_values_or_special(asinh(x), {-1.6472311463710958, -0.6931471805599453, -0.0, 0.29567304756342244,
                                      0.48121182505960347, 1.1947632172871094, 1.6472311463710958}, tol);
  expect_values_or_special(acosh(p + 1.0), {0.6931471805599453, 1.3169578969248166, 2.0634370688955608,
                                            3.088969904844603, 7.601901710374324}, tol);
  expect_values_or_special(atanh(u), {-1.4722194895832204, -0.30951960420311175, 0.0, 0.2027325540540822,
                                      0.8673005276940531, 1.8317808230648227}, tol);
  expect_values_or_special(exp2(x), {0.1767766952966369, 0.5946035575013605, 1.0, 1.2311444133449163,
                                     1.4142135623730951, 2.8284271247461903, 5.656854249492381}, tol);
  expect_values_or_special(lgamma(x), {-0.05624371649767405, 1.5757045971498584, kInf, 1.0957979948180756,
                                       0.5723649429247001, -0.12078223763524522, 0.2846828704729192}, tol);
  expect_values_or_special(digamma(x), {1.1031566406452433, -2.8941202000429316, kInf, -3.502524222200133,
                                        -1.9635100260214229, 0.036489973978576194, 0.7031566406452431}, 4 * tol);
  expect_values_or_special(erfinv(u), {-1.1630871536766743, -0.2724627147267544, 0.0, 0.1791434546212917,
                                       0.7328690779592169, 1.385903824349678}, 4 * tol);
  EXPECT_TRUE(std::signbit(asinh(x).to_vector<double>()[2]));  // asinh(-0.0) = -0.0
  EXPECT_TRUE(std::signbit(erfinv(f64({-0.0})).item<double>()));
}

// The poles and edges, with PyTorch's conventions; trigamma and the erfinv tails against
// closed forms and mpmath (PyTorch 1.13's own trigamma is ~1e-9 off, its erfinv ~1e-4 off
// at 1 - 2^-53).
TEST(SpecialMath, EdgesAndAccurateTails) {
  expect_values_or_special(digamma(f64({0.0, -0.0, -1.0, -2.5, 1e-8, -1e6 - 0.5})),
                           {-kInf, kInf, kNaN, 1.1031566406452433, -100000000.57721564, 13.815511557963816}, 1e-15);
  expect_values_or_special(polygamma(1, f64({1.0, 0.5, -0.5, 2.0, 0.0, -3.0})),
                           {kPi * kPi / 6, kPi * kPi / 2, kPi * kPi / 2 + 4, kPi * kPi / 6 - 1, kInf, kInf}, 1e-15);
  expect_values_or_special(erfinv(f64({1.0, -1.0, 1.5, kNaN, 0.9999999, 1 - 0x1p-53, 1e-300})),
                           {kInf, -kInf, kNaN, kNaN, 3.7665625816384708887, 5.8635847487551679272,
                            8.86226925452758e-301}, 1e-15);
  // erf(erfinv(x)) round-trips across (-1, 1) to a few ulps.
  const Tensor grid = linspace(-0.999999, 0.999999, 20001, TensorOptions(kFloat64));
  EXPECT_LT(((erf(erfinv(grid)) - grid).abs() / grid.abs().clamp(1e-300, std::nullopt)).max().item<double>(), 1e-15);
  expect_values_or_special(lgamma(f64({1.0, 2.0, -1.0, 100.0, -1e6 - 0.5})),
                           {0.0, 0.0, kInf, 359.1342053695754, -12815524.147683937}, 1e-15);
  expect_values_or_special(atanh(f64({1.0, -1.0, 2.0})), {kInf, -kInf, kNaN}, 0.0);
  expect_values_or_special(acosh(f64({1.0, 0.5})), {0.0, kNaN}, 0.0);
  // float32 computes in double and rounds once.
  const Tensor half = tensor(std::vector<float>{0.5f}, {1});
  EXPECT_EQ(erfinv(half).item<float>(), 0.47693628f);
  EXPECT_EQ(digamma(half).item<float>(), -1.9635100f);
}

TEST(SpecialMath, BinaryValuesAsPyTorch) {
  const Tensor x = f64({-2.5, -0.75, -0.0, 0.3, 0.5, 1.5, 2.5});
  const Tensor r = x.flip({0});
  constexpr double tol = 1e-15;
  expect_values_or_special(hypot(x, r), {3.5355339059327378, 1.6770509831248424, 0.5, 0.4242640687119285, 0.5,
                                         1.6770509831248424, 3.5355339059327378}, tol);
  expect_values_or_special(logaddexp(x, r * 10.0), {25.00000000000114, 15.000000144498014, 5.006715348489118,
                                                    3.0650435617765903, 0.9740769841801067, 1.5001234021897234,
                                                    2.50000000000114}, tol);
  expect_values_or_special(logaddexp2(x, r * 10.0), {25.00000000760063, 15.000026178705467, 5.044394119358453,
                                                     3.2065095142969424, 1.271553303163612, 1.502815015607054,
                                                     2.5000000076006312}, tol);
  expect_values_or_special(copysign(x, r), {2.5, 0.75, 0.0, 0.3, -0.5, -1.5, -2.5}, 0.0);
  EXPECT_FALSE(std::signbit(copysign(x, r).to_vector<double>()[2]));  // -0.0 takes 0.3's sign
  expect_values_or_special(xlogy(x, x.abs() + 0.25), {-2.5290022791961997, -0.0, 0.0, -0.17935110022668613,
                                                      -0.14384103622589045, 0.839423681903134, 2.5290022791961997},
                           tol);
  // Edges: equal infinities, NaN, overflow-free hypot, copysign of -0.0 and NaN signs.
  expect_values_or_special(logaddexp(f64({kInf, -kInf, 1.0, kNaN}), f64({kInf, -kInf, kInf, 1.0})),
                           {kInf, -kInf, kInf, kNaN}, 0.0);
  expect_values_or_special(hypot(f64({1e300, 3e-320}), f64({1e300, 4e-320})), {std::sqrt(2.0) * 1e300, 5e-320},
                           1e-15);
  EXPECT_TRUE(std::signbit(copysign(f64({1.0}), -0.0).item<double>()));
  expect_values_or_special(xlogy(f64({0.0, 0.0, 2.0}), f64({0.0, kNaN, kInf})), {0.0, kNaN, kInf}, 0.0);
  expect_values_or_special(xlogy(Scalar(2.0), f64({std::exp(1.0)})), {2.0}, tol);
  expect_values_or_special(xlogy(f64({3.0}), Scalar(1.0)), {0.0}, 0.0);
}

TEST(SpecialMath, ComposedValuesAsPyTorch) {
  const Tensor x = f64({-2.5, -0.75, -0.0, 0.3, 0.5, 1.5, 2.5});
  const Tensor u = f64({0.9, 0.3, 0.0, 0.2, 0.7, 0.95});
  constexpr double tol = 1e-15;
  expect_values_or_special(frac(x), {-0.5, -0.75, 0.0, 0.3, 0.5, 0.5, 0.5}, tol);
  expect_values_or_special(logit(u), {2.1972245773362196, -0.8472978603872036, -kInf, -1.3862943611198906,
                                      0.8472978603872034, 2.9444389791664394}, tol);
  expect_values_or_special(logit(u, 0.25), {1.0986122886681098, -0.8472978603872036, -1.0986122886681098,
                                            -1.0986122886681098, 0.8472978603872034, 1.0986122886681098}, tol);
  expect_values_or_special(sinc(x), {0.12732395447351627, 0.3001054387190354, 1.0, 0.8583936913341398,
                                     0.6366197723675814, -0.2122065907891938, 0.12732395447351627}, tol);
  expect_values_or_special(deg2rad(x), {-0.04363323129985824, -0.013089969389957472, -0.0, 0.005235987755982988,
                                        0.008726646259971648, 0.026179938779914945, 0.04363323129985824}, tol);
  expect_values_or_special(rad2deg(x), {-143.2394487827058, -42.97183463481174, -0.0, 17.188733853924695,
                                        28.64788975654116, 85.94366926962348, 143.2394487827058}, tol);
}

// PyTorch's dtype rules and errors.
TEST(SpecialMath, DtypesAndErrors) {
  const Tensor ints = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  EXPECT_EQ(exp2(ints).dtype(), kFloat32);
  expect_values(exp2(ints), {2, 4, 8}, 0.0);
  EXPECT_EQ(lgamma(ints).dtype(), kFloat32);
  EXPECT_EQ(copysign(ints, -1.0).dtype(), kFloat32);
  expect_values(copysign(ints, tensor(std::vector<int64_t>{-1, 1, -1}, {3})), {-1, 2, -3}, 0.0);
  EXPECT_EQ(deg2rad(ints).dtype(), kFloat32);
  EXPECT_EQ(xlogy(ints, ints).dtype(), kFloat32);
  EXPECT_EQ(erfinv(tensor(std::vector<float>{0.5f}, {1})).dtype(), kFloat32);
  EXPECT_NE(error_of([&] { hypot(ints, ints); }).find("\"hypot_cpu\" not implemented for 'Long'"), std::string::npos);
  EXPECT_NE(error_of([&] { logaddexp(ints, ints); }).find("\"logaddexp_cpu\" not implemented for 'Long'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { frac(ints); }).find("\"frac_cpu\" not implemented for 'Long'"), std::string::npos);
  EXPECT_NE(error_of([&] { polygamma(-1, f64({1.0})); }).find("polygamma(n, x) does not support negative n."),
            std::string::npos);
  Tensor int_self = ints.clone();
  EXPECT_NE(error_of([&] { int_self.erfinv_(); }).find("can't be cast to the desired output type Long"),
            std::string::npos);
}

TEST(SpecialMath, GradientsAsPyTorch) {
  const Tensor x = ember::testing::grad_input({6}, -0.9, 0.9);
  const Tensor pos = ember::testing::grad_input({6}, 1.2, 3.0);
  const Tensor y = ember::testing::grad_input({6}, 0.2, 2.0);
  using Fn = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;
  const std::vector<std::pair<std::string, Fn>> fns = {
      {"erfc", [](const Tensor& a, const Tensor&, const Tensor&) { return erfc(a); }},
      {"erfinv", [](const Tensor& a, const Tensor&, const Tensor&) { return erfinv(a); }},
      {"asinh", [](const Tensor& a, const Tensor&, const Tensor&) { return asinh(a * 3.0); }},
      {"acosh", [](const Tensor&, const Tensor& p, const Tensor&) { return acosh(p); }},
      {"atanh", [](const Tensor& a, const Tensor&, const Tensor&) { return atanh(a); }},
      {"exp2", [](const Tensor& a, const Tensor&, const Tensor&) { return exp2(a * 3.0); }},
      {"lgamma", [](const Tensor&, const Tensor& p, const Tensor& b) { return lgamma(p) + lgamma(b - 3.0); }},
      {"hypot", [](const Tensor& a, const Tensor&, const Tensor& b) { return hypot(a, b); }},
      {"copysign", [](const Tensor&, const Tensor& p, const Tensor& a) { return copysign(p, a - 1.0); }},
      {"copysign scalar", [](const Tensor& a, const Tensor&, const Tensor&) { return copysign(a, -2.0); }},
      {"logaddexp", [](const Tensor& a, const Tensor&, const Tensor& b) { return logaddexp(a, b * 2.0); }},
      {"logaddexp2", [](const Tensor& a, const Tensor&, const Tensor& b) { return logaddexp2(a * 4.0, b); }},
      {"xlogy", [](const Tensor& a, const Tensor&, const Tensor& b) { return xlogy(a, b); }},
      {"frac", [](const Tensor& a, const Tensor&, const Tensor& b) { return frac(a * 3.0) * b; }},
      {"logit", [](const Tensor&, const Tensor&, const Tensor& b) { return logit(b * 0.4); }},
      {"logit eps", [](const Tensor&, const Tensor&, const Tensor& b) { return logit(b * 0.4, 0.3); }},
      {"sinc", [](const Tensor& a, const Tensor&, const Tensor&) { return sinc(a * 2.0); }},
      {"deg2rad", [](const Tensor& a, const Tensor&, const Tensor&) { return deg2rad(a) * rad2deg(a); }},
  };
  for (const auto& [name, f] : fns) {
    SCOPED_TRACE(name);
    auto fn = [&f](const std::vector<Tensor>& in) { return f(in[0], in[1], in[2]); };
    expect_gradcheck(fn, {x, pos, y});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {x, pos, y}));
  }
  // digamma: first derivative (trigamma), whose derivative is polygamma(2, x)
  auto dig = [](const std::vector<Tensor>& in) { return digamma(in[0]); };
  expect_gradcheck(dig, {pos});
  EXPECT_TRUE(autograd::gradgradcheck(dig, {pos}));
  Tensor leaf = pos.detach().requires_grad_(true);
  Tensor g = autograd::grad({digamma(leaf).sum()}, {leaf}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  g.sum().backward();
  EXPECT_TRUE(allclose(leaf.grad(), polygamma(2, pos.detach()), 1e-12, 1e-12));
  // Gradients at the edges, as PyTorch's: sinc'(0) = 0, xlogy's at x = 0, copysign's at 0,
  // logit's outside [eps, 1 - eps].
  Tensor z = f64({0.0, 0.0, 2.0}).requires_grad_(true), w = f64({0.0, kNaN, 3.0}).requires_grad_(true);
  xlogy(z, w).sum().backward();
  expect_values_or_special(z.grad(), {0.0, kNaN, std::log(3.0)}, 1e-15);
  // d/dy = g * x / y (PyTorch 2.x's derivatives.yaml): 0 / 0 at (0, 0).
  expect_values_or_special(w.grad(), {kNaN, kNaN, 2.0 / 3.0}, 1e-15);
  Tensor s = f64({0.0, 0.5, -1.2}).requires_grad_(true);
  sinc(s).sum().backward();
  expect_values(s.grad(), {0.0, -1.2732395447351625, 0.5442517614529231}, 1e-12);
  Tensor c = f64({0.0, -0.0, 2.0}).requires_grad_(true);
  copysign(c, f64({-1.0, 1.0, -1.0})).sum().backward();
  expect_values(c.grad(), {0.0, 0.0, -1.0}, 0.0);
  Tensor q = f64({0.0, 0.1, 0.5, 0.95, 1.0}).requires_grad_(true);
  logit(q, 0.1).sum().backward();
  expect_values(q.grad(), {0.0, 11.11111111111111, 4.0, 0.0, 0.0}, 1e-12);
}

TEST(SpecialMath, InPlaceForms) {
  const Tensor x = f64({-0.7, 0.2, 0.6});
  auto same = [](const Tensor& a, const Tensor& b) { EXPECT_TRUE(equal(a, b)); };
  same(x.clone().erfinv_(), erfinv(x));
  same(x.clone().erfc_(), erfc(x));
  same(x.clone().asinh_(), asinh(x));
  same(x.clone().atanh_(), atanh(x));
  same(x.clone().exp2_(), exp2(x));
  same((x + 2.0).acosh_(), acosh(x + 2.0));
  same((x + 2.0).lgamma_(), lgamma(x + 2.0));
  same((x + 2.0).digamma_(), digamma(x + 2.0));
  same((x + 2.0).polygamma_(1), polygamma(1, x + 2.0));
  same(x.clone().hypot_(x * 2.0), hypot(x, x * 2.0));
  same(x.clone().copysign_(-1.0), copysign(x, -1.0));
  same(x.clone().frac_(), frac(x));
  same((x + 1.0).xlogy_(x + 1.0), xlogy(x + 1.0, x + 1.0));
  same((x.abs()).logit_(0.1), logit(x.abs(), 0.1));
  same(x.clone().sinc_(), sinc(x));
  same(x.clone().deg2rad_(), deg2rad(x));
  // Recorded: the gradient flows through the in-place op on a non-leaf, and the version bumps.
  Tensor leaf = f64({0.5, -0.3}).requires_grad_(true);
  Tensor y = leaf * 1.0;
  const int64_t before = y.version();
  y.erfinv_();
  EXPECT_GT(y.version(), before);
  y.sum().backward();
  Tensor ref = f64({0.5, -0.3}).requires_grad_(true);
  erfinv(ref).sum().backward();
  EXPECT_TRUE(equal(leaf.grad(), ref.grad()));
  EXPECT_NE(error_of([&] { leaf.erfinv_(); }).find("a leaf Variable that requires grad"), std::string::npos);
}

// The composed in-place forms compute from a copy of self taken before the write where
// the op's derivative reads self (autograd::value_before_write): their gradients are the
// out-of-place ops', on a non-leaf and on a view, with self or the other operand requiring
// grad (before, the write invalidated what the op saved: "modified by an inplace operation").
TEST(SpecialMath, ComposedInPlaceFormsDifferentiateAsTheirOps) {
  using Fn = std::function<void(Tensor&, const Tensor&)>;
  struct Write {
    const char* name;
    Fn write;
    bool reads_other;  // whether the other operand's gradient is checked alone too
  };
  const std::vector<Write> writes{
      {"hypot_", [](Tensor& t, const Tensor& o) { t.hypot_(o); }, true},
      {"copysign_", [](Tensor& t, const Tensor& o) { t.copysign_(o - 0.5); }, false},
      {"copysign_ scalar", [](Tensor& t, const Tensor&) { t.copysign_(-1.0); }, false},
      {"xlogy_", [](Tensor& t, const Tensor& o) { t.xlogy_(o + 1.5); }, true},
      {"xlogy_ scalar", [](Tensor& t, const Tensor&) { t.xlogy_(2.0); }, false},
      {"frac_", [](Tensor& t, const Tensor&) { t.mul_(2.7).frac_(); }, false},
      {"logit_", [](Tensor& t, const Tensor&) { t.abs_().mul_(0.8).add_(0.05).logit_(); }, false},
      {"sinc_", [](Tensor& t, const Tensor&) { t.sinc_(); }, false},
      {"lerp_ by a tensor", [](Tensor& t, const Tensor& o) { t.lerp_(o * 2.0, o); }, true},
  };
  for (const auto& [name, write, reads_other] : writes) {
    SCOPED_TRACE(name);
    const auto whole = [&write](const std::vector<Tensor>& in) {
      Tensor t = in[0] * 1.0;
      write(t, in[1]);
      return t * in[0];
    };
    const auto on_a_view = [&write](const std::vector<Tensor>& in) {
      Tensor t = in[0] * 1.0;
      Tensor v = t.narrow(0, 1, 2);
      write(v, in[1].narrow(0, 0, 2));
      return t * in[0];
    };
    const std::vector<Tensor> in{testing::grad_input({4, 3}, 0.2, 0.9), testing::grad_input({4, 3}, 0.3, 0.8)};
    testing::expect_gradcheck(whole, in);
    testing::expect_gradcheck(on_a_view, in);
    // only the other operand requires grad: self's value is still read by its gradient
    if (!reads_other) continue;
    const Tensor constant = in[0].detach();
    testing::expect_gradcheck(
        [&write, &constant](const std::vector<Tensor>& other) {
          Tensor t = constant * 1.0;
          write(t, other[0]);
          return t;
        },
        {in[1]});
  }
}

TEST(SpecialMath, DiffAsPyTorch) {
  const Tensor m = tensor(std::vector<double>{1, 2, 4, 0, 3, 9}, {2, 3}, kFloat64);
  expect_values(diff(m), {1, 2, 3, 6}, 0.0);
  expect_values(diff(m, 1, 0), {-1, 1, 5}, 0.0);
  expect_values(m.diff(2, 1, tensor(std::vector<double>{5, 6}, {2, 1}, kFloat64),
                       tensor(std::vector<double>{1, 2}, {2, 1}, kFloat64)),
                {5, 1, -5, 9, 3, -13}, 0.0);
  EXPECT_TRUE(equal(diff(m, 0), m));
  EXPECT_EQ(diff(m, 5).sizes(), (Dims{2, 0}));  // more differences than elements: empty
  const Tensor flags = tensor(std::vector<bool>{true, false, false}, {3});
  EXPECT_EQ(diff(flags).dtype(), kBool);
  expect_values(diff(flags).to(kFloat64), {1, 0}, 0.0);
  const Tensor ints = tensor(std::vector<int64_t>{1, 4, 9, 16}, {4});
  EXPECT_EQ(diff(ints).dtype(), kInt64);
  expect_values(diff(ints, 2).to(kFloat64), {2, 2}, 0.0);
  expect_gradcheck([](const std::vector<Tensor>& in) { return diff(in[0], 2, 0); },
                   {ember::testing::grad_input({4, 3})});
  EXPECT_NE(error_of([] { diff(tensor(std::vector<double>{3}, {}, kFloat64)); })
                .find("diff expects input to be at least one-dimensional"),
            std::string::npos);
  EXPECT_NE(error_of([&] { diff(m, -1); }).find("order must be non-negative but got -1"), std::string::npos);
  EXPECT_NE(error_of([&] { diff(m, 1, 2); }).find("Dimension out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { diff(m, 1, -1, f64({1.0})); })
                .find("diff expects prepend or append to be the same dimension as input"),
            std::string::npos);
}

// torch.mode: the smallest of the most frequent values and the last index where it occurs.
TEST(SpecialMath, ModeAsPyTorch) {
  const Tensor m = tensor(std::vector<double>{3, 1, 3, 1, 2, 5, 5, 4, 4, 4}, {2, 5}, kFloat64);
  auto [values, indices] = mode(m);
  expect_values(values, {1, 4}, 0.0);
  expect_values(indices.to(kFloat64), {3, 4}, 0.0);
  auto [cv, ci] = m.t().mode(0, /*keepdim=*/true);  // a non-contiguous input, keepdim
  EXPECT_EQ(cv.sizes(), (Dims{1, 2}));
  expect_values(cv, {1, 4}, 0.0);
  expect_values(ci.to(kFloat64), {3, 4}, 0.0);
  auto [columns, column_index] = mode(m, 0);  // every column's values differ: the smaller, index of it
  expect_values(columns, {3, 1, 3, 1, 2}, 0.0);
  expect_values(column_index.to(kFloat64), {0, 0, 0, 0, 0}, 0.0);
  auto [iv, ii] = mode(tensor(std::vector<int64_t>{1, 2, 2, 1, 1}, {5}), 0);
  EXPECT_EQ(iv.dtype(), kInt64);
  EXPECT_EQ(iv.item<int64_t>(), 1);
  EXPECT_EQ(ii.item<int64_t>(), 4);
  auto [bv, bi] = mode(tensor(std::vector<bool>{true, false, true}, {3}));
  EXPECT_EQ(bv.dtype(), kBool);
  EXPECT_TRUE(bv.item<bool>());
  EXPECT_EQ(bi.item<int64_t>(), 2);
  // Every NaN is its own value (PyTorch 1.13's kernel gives 1 here: its sort order of NaN is inconsistent).
  auto [nv, ni] = mode(f64({7.0, kNaN, kNaN, 7.0, 1.0}));
  EXPECT_EQ(nv.item<double>(), 7.0);
  EXPECT_EQ(ni.item<int64_t>(), 3);
  auto [sv, si] = mode(f64({7.0}).reshape({}));
  EXPECT_EQ(sv.item<double>(), 7.0);
  EXPECT_EQ(si.item<int64_t>(), 0);
  auto [ev, ei] = mode(zeros({0, 3}, kFloat64), 1);
  EXPECT_EQ(ev.sizes(), (Dims{0}));
  EXPECT_EQ(ei.dtype(), kInt64);
  EXPECT_NE(error_of([] { mode(zeros({2, 0}, kFloat64), 1); })
                .find("mode(): Expected reduction dim 1 to have non-zero size."),
            std::string::npos);
  // The gradient reaches the returned index.
  Tensor leaf = f64({1.0, 2.0, 2.0, 1.0}).requires_grad_(true);
  std::get<0>(mode(leaf)).backward();
  expect_values(leaf.grad(), {0, 0, 0, 1}, 0.0);
}

// The reflection takes x - round(x), exact, so digamma and trigamma keep their digits just
// below 0 and just below a negative integer (x - floor(x) rounded there: digamma(-1e-300) was
// 2.6e16); trigamma(-inf) is NaN, as PyTorch's.
TEST(SpecialMath, DigammaAndTrigammaNearThePoles) {
  EXPECT_NEAR(digamma(f64({-1e-12})).item<double>() / (1e12 - 0.5772156649015329), 1.0, 1e-14);
  EXPECT_NEAR(digamma(f64({-1e-300})).item<double>() / 1e300, 1.0, 1e-14);
  const double x = -1.000000000001;  // x + 1 = -1.0000889e-12 exactly
  EXPECT_NEAR(digamma(f64({x})).item<double>() / (-1.0 / (x + 1.0) + 0.4227843350984671), 1.0, 1e-12);
  EXPECT_NEAR(digamma(tensor(std::vector<float>{-1e-20f}, {1})).item<float>() / 1e20f, 1.0f, 1e-6f);
  const Tensor tri = polygamma(1, f64({-1e-300, -std::numeric_limits<double>::infinity(), -1e-8}));
  EXPECT_EQ(tri[0].item<double>(), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(tri[1].item<double>()));
  EXPECT_NEAR(tri[2].item<double>() / 1e16, 1.0, 1e-12);  // pi^2 / sin^2(pi x) ~ 1 / x^2
}

// addcmul / addcdiv take one result_type of all three operands (a 0-dim one promotes only
// across categories) and round a 16-bit result once, as PyTorch's kernels.
TEST(SpecialMath, AddcmulAndAddcdivPromoteAndRoundOnce) {
  const Tensor f32 = ones({3}), i64 = full({3}, 2, kInt64), f64_scalar = full({}, 0.5, kFloat64);
  EXPECT_EQ(addcmul(f32, i64, f64_scalar).dtype(), kFloat32);
  EXPECT_EQ(addcdiv(f32, f32, f64_scalar).dtype(), kFloat32);
  EXPECT_EQ(addcmul(f32.to(kFloat16), i64, full({}, 0.5)).dtype(), kFloat16);
  expect_values(addcmul(f32, i64, f64_scalar, 3), {4., 4., 4.}, 0.0);
  // 2048 + (1 + 2^-10)(1 - 2^-11) = 2049.0005 -> 2050; rounding the product first gave 2048
  const auto half = [](double v) { return full({1}, v, kFloat16); };
  EXPECT_EQ(addcmul(half(2048), half(1 + 0x1p-10), half(1 - 0x1p-11)).item<double>(), 2050.0);
  Tensor t = half(2048);
  t.addcmul_(half(1 + 0x1p-10), half(1 - 0x1p-11));
  EXPECT_EQ(t.item<double>(), 2050.0);
}

// diff returns a new tensor even when nothing is differenced, and prepend / append must match
// the input outside dim, with PyTorch's message.
TEST(SpecialMath, DiffNeverAliasesAndChecksPrependShapes) {
  const Tensor x = f64({1., 2., 3.});
  Tensor same = diff(x, 0);
  same.add_(10.0);
  expect_values(x, {1., 2., 3.}, 0.0);
  EXPECT_EQ(diff(zeros({0}, kFloat64)).numel(), 0);
  const Tensor m = zeros({2, 3});
  EXPECT_EMBER_ERROR(diff(m, 1, 1, zeros({3, 1})),
                     "diff expects the shape of tensor to prepend or append to match that of input except along the "
                     "differencing dimension; input.size(0) = 2, but got tensor.size(0) = 3");
  EXPECT_EQ(diff(m, 1, 1, zeros({2, 4})).sizes(), (Dims{2, 6}));
  expect_values(diff(x, 0, -1, f64({10.})), {1., 2., 3.}, 0.0);  // n = 0: the input, prepend ignored
}

// polygamma of any order (Note [Polygamma of higher orders]) against mpmath, float64, and its
// derivative polygamma(n + 1, x); poles and -inf as PyTorch's.
TEST(SpecialMath, PolygammaOfHigherOrders) {
  const std::vector<std::tuple<int64_t, double, double>> cases{
      {2, 1.0, -2.4041138063191885708},         {3, 1.0, 6.4939394022668291491},
      {2, -0.5, -0.8287966442343199956},        {4, 2.5, -0.31375599950673136338},
      {6, 0.1, -7200000373.7818028407},         {2, 30.25, -0.0011295447722728279694},
      {5, -3.7, 165660.15728399349368},         {3, 1e-3, 6000000000006.4686145},
      {2, 100.5, -0.000099997500145817190476}};
  for (const auto& [n, x, expected] : cases)
    EXPECT_NEAR(polygamma(n, f64({x})).item<double>() / expected, 1.0, 1e-12) << "n " << n << " x " << x;
  const Tensor poles = polygamma(2, f64({0.0, -2.0, -std::numeric_limits<double>::infinity(), kNaN}));
  EXPECT_EQ(poles[0].item<double>(), -kInf);
  EXPECT_EQ(poles[1].item<double>(), -kInf);
  EXPECT_EQ(poles[2].item<double>(), -kInf);
  EXPECT_TRUE(std::isnan(poles[3].item<double>()));
  EXPECT_EQ(polygamma(3, f64({0.0})).item<double>(), kInf);
  EXPECT_EQ(polygamma(2, tensor(std::vector<float>{1.0f}, {1})).dtype(), kFloat32);
  EXPECT_EQ(polygamma(2, tensor(std::vector<int64_t>{1}, {1})).dtype(), kFloat32);
  const Tensor x = f64({0.3, 1.7, -2.5, 12.0}).requires_grad_(true);
  expect_gradcheck([](const std::vector<Tensor>& in) { return polygamma(3, in[0]); }, {x});
  // x far below 0 is summed on its own (the rest of the tensor does not pay for it), with
  // mpmath's value; polygamma_ is polygamma
  Tensor many = full({100000}, 1.0, kFloat64);
  many.index_put_({7}, -5000.5);
  const Tensor far = polygamma(2, many);
  EXPECT_NEAR(far[7].item<double>() / -3.9984004399040169309e-8, 1.0, 1e-6);  // cancellation, as PyTorch's
  EXPECT_NEAR(far[0].item<double>() / -2.4041138063191885708, 1.0, 1e-12);
  EXPECT_EMBER_ERROR(polygamma(2, f64({-1e9 + 0.5})), "takes x > -2^24");
  Tensor in_place = f64({1.0, 0.5});
  in_place.polygamma_(2);
  expect_values(in_place, {-2.4041138063191885708, -16.828796644234319996}, 1e-13);
}

}  // namespace
}  // namespace ember
