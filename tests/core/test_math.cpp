// The elementwise math family: values against PyTorch 1.13 in float64 (edges: -0.0, ties
// to even, zero divisors), dtype rules for integers and bools, gradcheck and
// gradgradcheck, the NaN/inf predicates and nan_to_num / lerp / addcmul / addcdiv.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(const std::vector<double>& v) { return tensor(v, {static_cast<int64_t>(v.size())}, kFloat64); }

// Reference values from /usr/bin/python3 (torch 1.13), e.g. torch.sin(x).tolist() for
//   x = torch.tensor([-2.5, -0.75, -0.0, 0.3, 0.5, 1.5, 2.5], dtype=torch.float64),
//   u = torch.tensor([-0.9, -0.3, 0.0, 0.2, 0.7, 0.95], dtype=torch.float64) (asin, acos, log1p),
//   p = torch.tensor([0.25, 1.0, 3.0, 10.0, 1000.0], dtype=torch.float64) (log2 ... reciprocal).
TEST(Math, UnaryValuesAsPyTorch) {
  const Tensor x = f64({-2.5, -0.75, -0.0, 0.3, 0.5, 1.5, 2.5});
  const Tensor u = f64({-0.9, -0.3, 0.0, 0.2, 0.7, 0.95});
  const Tensor p = f64({0.25, 1.0, 3.0, 10.0, 1000.0});
  constexpr double tol = 1e-15;
  expect_values(sin(x), {-0.5984721441039564, -0.6816387600233341, -0.0, 0.29552020666133955, 0.479425538604203,
                         0.9974949866040544, 0.5984721441039564}, tol);
  expect_values(cos(x), {-0.8011436155469337, 0.7316888688738209, 1.0, 0.955336489125606, 0.8775825618903728,
                         0.0707372016677029, -0.8011436155469337}, tol);
  expect_values(tan(x), {0.7470222972386603, -0.9315964599440725, -0.0, 0.30933624960962325, 0.5463024898437905,
                         14.101419947171719, -0.7470222972386603}, 1e-13);
  expect_values(atan(x), {-1.1902899496825317, -0.6435011087932844, -0.0, 0.2914567944778671, 0.4636476090008061,
                          0.982793723247329, 1.1902899496825317}, tol);
  expect_values(sinh(x), {-6.0502044810397875, -0.82231673193583, -0.0, 0.3045202934471426, 0.5210953054937474,
                          2.1292794550948173, 6.0502044810397875}, 1e-14);
  expect_values(cosh(x), {6.132289479663686, 1.2946832846768448, 1.0, 1.0453385141288605, 1.1276259652063807,
                          2.352409615243247, 6.132289479663686}, 1e-14);
  expect_values(erf(x), {-0.999593047982555, -0.7111556336535151, -0.0, 0.3286267594591274, 0.5204998778130465,
                         0.9661051464753108, 0.999593047982555}, tol);
  expect_values(expm1(x), {-0.9179150013761012, -0.5276334472589853, -0.0, 0.3498588075760031, 0.6487212707001282,
                           3.481689070338065, 11.182493960703473}, 1e-14);
  expect_values(sign(x), {-1, -1, 0, 1, 1, 1, 1}, 0.0);
  expect_values(floor(x), {-3, -1, -0.0, 0, 0, 1, 2}, 0.0);
  expect_values(ceil(x), {-2, -0.0, -0.0, 1, 1, 2, 3}, 0.0);
  expect_values(round(x), {-2, -1, -0.0, 0, 0, 2, 2}, 0.0);  // ties to even
  expect_values(trunc(x), {-2, -0.0, -0.0, 0, 0, 1, 2}, 0.0);
  EXPECT_TRUE(std::signbit(floor(x).to_vector<double>()[2]));  // floor(-0.0) is -0.0
  EXPECT_FALSE(std::signbit(sign(x).to_vector<double>()[2]));  // sign(-0.0) is +0.0, as PyTorch's
  expect_values(asin(u), {-1.1197695149986342, -0.30469265401539747, 0.0, 0.2013579207903308, 0.775397496610753,
                          1.253235897503375}, tol);
  expect_values(acos(u), {2.6905658417935308, 1.8754889808102941, 1.5707963267948966, 1.369438406004566,
                          0.7953988301841436, 0.3175604292915215}, tol);
  expect_values(log1p(u), {-2.302585092994046, -0.35667494393873234, 0.0, 0.18232155679395465, 0.5306282510621704,
                           0.6678293725756554}, tol);
  expect_values(log2(p), {-2.0, 0.0, 1.584962500721156, 3.321928094887362, 9.965784284662087}, tol);
  expect_values(log10(p), {-0.6020599913279624, 0.0, 0.47712125471966244, 1.0, 3.0}, tol);
  expect_values(rsqrt(p), {2.0, 1.0, 0.5773502691896258, 0.31622776601683794, 0.03162277660168379}, tol);
  expect_values(reciprocal(p), {4.0, 1.0, 0.3333333333333333, 0.1, 0.001}, tol);
  // sign of NaN is 0 (PyTorch's (0 < x) - (x < 0)); rsqrt(0) and reciprocal(0) are inf.
  expect_values(sign(f64({kNaN})), {0.0}, 0.0);
  EXPECT_EQ(rsqrt(f64({0.0})).item<double>(), kInf);
  EXPECT_EQ(reciprocal(f64({-0.0})).item<double>(), -kInf);
}

// a = [5.5, -5.5, 5.5, -5.5, 0.0, -0.0, 7.0], b = [2, 2, -2, -2, -1, 1, 0] (float64).
TEST(Math, BinaryValuesAsPyTorch) {
  const Tensor a = f64({5.5, -5.5, 5.5, -5.5, 0.0, -0.0, 7.0});
  const Tensor b = f64({2, 2, -2, -2, -1, 1, 0});
  const auto fm = fmod(a, b).to_vector<double>(), rm = remainder(a, b).to_vector<double>();
  const std::vector<double> fmod_expected{1.5, -1.5, 1.5, -1.5, 0.0, -0.0}, rem_expected{1.5, 0.5, -0.5, -1.5, 0.0, -0.0};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(fm[i], fmod_expected[i]) << i;
    EXPECT_EQ(rm[i], rem_expected[i]) << i;
    EXPECT_EQ(std::signbit(fm[i]), std::signbit(fmod_expected[i])) << i;
    EXPECT_EQ(std::signbit(rm[i]), std::signbit(rem_expected[i])) << i;
  }
  EXPECT_TRUE(std::isnan(fm[6]) && std::isnan(rm[6]));  // floating divisor 0: NaN
  expect_values(atan2(a, b), {1.2220253232109897, -1.2220253232109897, 1.9195673303788037, -1.9195673303788037,
                              3.141592653589793, -0.0, 1.5707963267948966}, 1e-15);
  // remainder(5.0, inf) = 5, remainder(-5.0, inf) = inf (fmod, then b added), as 1.13.
  EXPECT_EQ(remainder(f64({5.0, -5.0}), kInf).to_vector<double>(), (std::vector<double>{5.0, kInf}));
  // Scalars on either side; integers stay integers.
  const Tensor i = tensor(std::vector<int64_t>{5, -5, 7, -7}, {4});
  EXPECT_EQ(remainder(i, Scalar(int64_t{-3})).to_vector<int64_t>(), (std::vector<int64_t>{-1, -2, -2, -1}));
  EXPECT_EQ(fmod(i, Scalar(int64_t{3})).to_vector<int64_t>(), (std::vector<int64_t>{2, -2, 1, -1}));
  EXPECT_EQ(remainder(Scalar(int64_t{-7}), tensor(std::vector<int64_t>{3, -3}, {2})).to_vector<int64_t>(),
            (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(remainder(i, Scalar(int64_t{3})).dtype(), kInt64);
  // The most negative int64 modulo -1 is 0 (PyTorch 1.13's CPU kernel traps).
  const Tensor lowest = tensor(std::vector<int64_t>{std::numeric_limits<int64_t>::min()}, {1});
  EXPECT_EQ(fmod(lowest, Scalar(int64_t{-1})).item<int64_t>(), 0);
  EXPECT_EQ(remainder(lowest, tensor(std::vector<int64_t>{-1}, {1})).item<int64_t>(), 0);
}

TEST(Math, DtypesAndErrorsAsPyTorch) {
  const Tensor i = tensor(std::vector<int64_t>{3, -3, 0}, {3});
  const Tensor b = tensor(std::vector<bool>{true, false}, {2});
  // Floating math of integers and bools computes in float32.
  EXPECT_EQ(sin(i).dtype(), kFloat32);
  EXPECT_EQ(reciprocal(b).dtype(), kFloat32);
  EXPECT_EQ(reciprocal(i).to_vector<float>(), (std::vector<float>{1.0f / 3, -1.0f / 3, INFINITY}));
  EXPECT_EQ(atan2(i, i).dtype(), kFloat32);
  // sign and the roundings keep integers; sign keeps bools; roundings refuse them.
  EXPECT_EQ(sign(i).to_vector<int64_t>(), (std::vector<int64_t>{1, -1, 0}));
  EXPECT_EQ(floor(i).dtype(), kInt64);
  EXPECT_EQ(round(i).to_vector<int64_t>(), (std::vector<int64_t>{3, -3, 0}));
  EXPECT_EQ(sign(b).dtype(), kBool);
  EXPECT_EQ(error_of([&] { floor(b); }), "\"floor\" not implemented for 'Bool'");
  EXPECT_EQ(error_of([&] { fmod(b, b); }), "\"fmod\" not implemented for 'Bool'");
  EXPECT_EQ(error_of([&] { remainder(b, Scalar(true)); }), "\"remainder\" not implemented for 'Bool'");
  // An integer divisor of 0: PyTorch's ZeroDivisionError; a floating one gives NaN.
  EXPECT_EQ(error_of([&] { fmod(i, i); }), "ZeroDivisionError");
  EXPECT_EQ(error_of([&] { remainder(i, Scalar(int64_t{0})); }), "ZeroDivisionError");
  EXPECT_EQ(error_of([&] { remainder(Scalar(int64_t{4}), i); }), "ZeroDivisionError");
  EXPECT_TRUE(std::isnan(fmod(i, Scalar(0.0)).to_vector<float>()[0]));  // promoted to float32
  EXPECT_EQ(remainder(Scalar(2.5), i).dtype(), kFloat32);                // no integer division
  // bfloat16 computes in float and rounds once.
  const Tensor h = f64({0.5, 1.25}).to(kBFloat16);
  EXPECT_EQ(erf(h).dtype(), kBFloat16);
  expect_values(erf(h), {0.51953125, 0.921875}, 0.0);
}

TEST(Math, PredicatesAndNanToNum) {
  const Tensor x = f64({1.0, kNaN, kInf, -kInf, -0.0});
  EXPECT_EQ(isnan(x).to_vector<bool>(), (std::vector<bool>{false, true, false, false, false}));
  EXPECT_EQ(isinf(x).to_vector<bool>(), (std::vector<bool>{false, false, true, true, false}));
  EXPECT_EQ(isposinf(x).to_vector<bool>(), (std::vector<bool>{false, false, true, false, false}));
  EXPECT_EQ(isneginf(x).to_vector<bool>(), (std::vector<bool>{false, false, false, true, false}));
  EXPECT_EQ(isfinite(x).to_vector<bool>(), (std::vector<bool>{true, false, false, false, true}));
  const Tensor i = tensor(std::vector<int64_t>{1, 2}, {2});
  EXPECT_EQ(isnan(i).dtype(), kBool);
  EXPECT_EQ(isfinite(i).to_vector<bool>(), (std::vector<bool>{true, true}));

  expect_values(nan_to_num(x), {1.0, 0.0, std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                                -0.0}, 0.0);
  expect_values(nan_to_num(x, 2.0, 3.0, -4.0), {1.0, 2.0, 3.0, -4.0, -0.0}, 0.0);
  EXPECT_EQ(nan_to_num(x.to(kFloat32)).to_vector<float>()[2], std::numeric_limits<float>::max());
  // The gradient flows where the input is finite (PyTorch: grad * isfinite(x)).
  Tensor leaf = x.detach().requires_grad_(true);
  nan_to_num(leaf).sum().backward();
  expect_values(leaf.grad(), {1, 0, 0, 0, 1}, 0.0);
}

// lerp/addcmul/addcdiv against PyTorch 1.13: a = [1, 2], b = [3, 5] (float64).
TEST(Math, LerpAddcmulAddcdiv) {
  const Tensor a = f64({1, 2}), b = f64({3, 5});
  expect_values(lerp(a, b, 0.3), {1.6, 2.9}, 1e-15);
  expect_values(lerp(a, b, -0.7), {-0.3999999999999999, -0.09999999999999987}, 1e-15);  // 1.13 fuses a multiply-add
  expect_values(lerp(a, b, 1.0), {3, 5}, 0.0);  // exactly b at weight 1
  expect_values(lerp(a, b, f64({0.25, 0.75})), {1.5, 4.25}, 1e-15);
  expect_values(addcmul(a, a, b, 0.5), {2.5, 7.0}, 0.0);
  expect_values(addcdiv(a, a, b, 3.0), {2.0, 3.2}, 1e-15);
}

TEST(Math, GradcheckAndGradgradcheck) {
  manual_seed(5);
  const Tensor x = testing::grad_input({3, 4}, -0.9, 0.9);
  const Tensor y = testing::grad_input({3, 4}, 0.5, 2.0);
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&, const Tensor&)>>> fns{
      {"sin", [](const Tensor& a, const Tensor&) { return sin(a); }},
      {"cos", [](const Tensor& a, const Tensor&) { return cos(a); }},
      {"tan", [](const Tensor& a, const Tensor&) { return tan(a); }},
      {"asin", [](const Tensor& a, const Tensor&) { return asin(a); }},
      {"acos", [](const Tensor& a, const Tensor&) { return acos(a); }},
      {"atan", [](const Tensor& a, const Tensor&) { return atan(a); }},
      {"sinh", [](const Tensor& a, const Tensor&) { return sinh(a); }},
      {"cosh", [](const Tensor& a, const Tensor&) { return cosh(a); }},
      {"log1p", [](const Tensor& a, const Tensor&) { return log1p(a); }},
      {"expm1", [](const Tensor& a, const Tensor&) { return expm1(a); }},
      {"log2", [](const Tensor&, const Tensor& b) { return log2(b); }},
      {"log10", [](const Tensor&, const Tensor& b) { return log10(b); }},
      {"rsqrt", [](const Tensor&, const Tensor& b) { return rsqrt(b); }},
      {"reciprocal", [](const Tensor&, const Tensor& b) { return reciprocal(b); }},
      {"erf", [](const Tensor& a, const Tensor&) { return erf(a); }},
      {"atan2", [](const Tensor& a, const Tensor& b) { return atan2(a, b); }},
      {"atan2 broadcast", [](const Tensor& a, const Tensor& b) { return atan2(b, a.slice(0, 0, 1)); }},
      {"fmod", [](const Tensor& a, const Tensor& b) { return fmod(a * 5.0, b); }},
      {"remainder", [](const Tensor& a, const Tensor& b) { return remainder(a * 5.0, b); }},
      {"remainder scalar", [](const Tensor& a, const Tensor&) { return remainder(a, 0.3) * a; }},
      {"scalar remainder", [](const Tensor&, const Tensor& b) { return remainder(Scalar(3.7), b); }},
      {"round * a", [](const Tensor& a, const Tensor& b) { return round(b * 3.0) * a + floor(a) + sign(a); }},
      {"lerp", [](const Tensor& a, const Tensor& b) { return lerp(a, b, a * 0.5 + 0.5); }},
      {"addcdiv", [](const Tensor& a, const Tensor& b) { return addcdiv(a, a, b, 0.5); }},
  };
  for (const auto& [name, f] : fns) {
    SCOPED_TRACE(name);
    auto fn = [&f](const std::vector<Tensor>& in) { return f(in[0], in[1]); };
    expect_gradcheck(fn, {x, y});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {x, y}));
  }
  // The roundings' gradient is zero, as PyTorch's.
  Tensor leaf = x.detach().requires_grad_(true);
  (floor(leaf) + ceil(leaf) + round(leaf) + trunc(leaf) + sign(leaf)).sum().backward();
  EXPECT_EQ(leaf.grad().abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace ember
