// torch.special (ember::special, core/special_ops.h): i0 / i0e / i1 / i1e, erfcx, ndtri,
// log_ndtr against mpmath at 50 digits in float64 (both sides of each method's switch point,
// the tails, infinities and NaN), ndtr, entr, xlog1py, multigammaln and its checks, dtype
// rules, in-place forms, the aliases, and gradcheck / gradgradcheck of each.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(const std::vector<double>& v) { return tensor(v, {static_cast<int64_t>(v.size())}, kFloat64); }

// Each value within rel_tol of the expected one relative to it (infinities, zeros and NaN exactly).
void expect_relative(const Tensor& t, const std::vector<double>& expected, double rel_tol) {
  const auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "at index " << i << ": " << got[i];
    else if (std::isinf(expected[i]) || expected[i] == 0.0)
      EXPECT_EQ(got[i], expected[i]) << "at index " << i;
    else
      EXPECT_NEAR(got[i], expected[i], rel_tol * std::abs(expected[i])) << "at index " << i;
  }
}

// mpmath (50 digits): besseli(nu, x) and besseli(nu, x) exp(-|x|); the points straddle the
// series / asymptotic switch at 20 and e^x's overflow at 709.8 (i0(713) is still finite).
TEST(SpecialNamespace, ModifiedBesselAsMpmath) {
  const Tensor x = f64({-30.0, -2.5, 0.3, 5.0, 19.9, 20.1, 100.0, 700.0, 713.0});
  constexpr double tol = 4e-15;
  expect_relative(special::i0(x),
                  {781672297823.9775, 3.289839144050123, 1.022626879351597, 27.239871823604446, 39513376.52006682,
                   48017874.1071365, 1.0737517071310738e+42, 1.5295933476718737e+302, 6.705128263670996e+307},
                  tol);
  expect_relative(special::i0e(x),
                  {0.0731459464822373, 0.27004644161220276, 0.7575806251825479, 0.18354081260932836, 0.0900085888643896,
                   0.08955376362061344, 0.03994437929909668, 0.015081295651531358, 0.014943127187904973},
                  tol);
  expect_relative(special::i1(x),
                  {-768532038938.957, -2.5167162452886984, 0.15169384000359276, 24.335642142450528, 38507423.87486228,
                   46807739.533029884, 1.0683693903381625e+42, 1.5285003902339006e+302, 6.700424559186402e+307},
                  tol);
  expect_relative(
      special::i1e(x),
      {-0.07191633059864755, -0.20658464953126657, 0.1123775606398388, 0.16397226694454237, 0.0877171021317061,
       0.08729685184320159, 0.03974415302513025, 0.015070519444716848, 0.01493264445713479},
      tol);
  // Edges: 0, the infinities (i0e, i1e -> 0 with i1e's sign), past the overflow, NaN.
  const Tensor e = f64({0.0, -0.0, kInf, -kInf, 720.0, kNaN});
  expect_relative(i0(e), {1.0, 1.0, kInf, kInf, kInf, kNaN}, 0.0);
  expect_relative(special::i0e(e), {1.0, 1.0, 0.0, 0.0, 0.014870284185509175, kNaN}, 4e-15);
  expect_relative(special::i1(e), {0.0, 0.0, kInf, -kInf, kInf, kNaN}, 0.0);
  const auto i1e = special::i1e(e).to_vector<double>();
  EXPECT_TRUE(std::signbit(i1e[1]) && std::signbit(i1e[3]) && i1e[3] == 0.0);  // odd: -0.0 at -0.0 and -inf
  EXPECT_EQ(special::modified_bessel_i0(x).to_vector<double>(), special::i0(x).to_vector<double>());
  EXPECT_EQ(special::modified_bessel_i1(x).to_vector<double>(), special::i1(x).to_vector<double>());
  EXPECT_EQ(x.i0().to_vector<double>(), i0(x).to_vector<double>());
}

// mpmath: erfc(x) exp(x^2) on both sides of the continued fraction's 5 and of 0, log(ncdf(x))
// at 80 digits, and ncdf's inverse (sqrt2 erfinv(2p - 1), a root of log ncdf in the far tail).
TEST(SpecialNamespace, NormalTailsAsMpmath) {
  const Tensor x = f64({-26.0, -3.0, -0.5, 0.0, 0.5, 4.99, 5.01, 30.0, 1e10, kInf, -27.0, kNaN});
  expect_relative(
      special::erfcx(x),
      {7.657724931490568e+293, 16205.988853999586, 1.952360489182557, 1.0, 0.6156903441929259, 0.11091837045388811,
       0.11049171315279298, 0.01879588886141675, 5.641895835477563e-11, 0.0, kInf, kNaN},
      2e-15);
  const Tensor y = f64({-1000.0, -40.0, -5.0, -1.0, -0.5, 0.0, 0.5, 3.0, kInf, -kInf});
  expect_relative(special::log_ndtr(y),
                  {-500007.82669481216, -804.6084420137538, -15.064998393988725, -1.8410216450092636,
                   -1.1759117615936185, -0.6931471805599453, -0.3689464152886564, -0.0013508099647481938, 0.0, -kInf},
                  2e-15);
  // At 10, erfc(x / sqrt2) magnifies the rounding of x / sqrt2 by 2 t^2 = 100 (PyTorch's formula too).
  expect_relative(special::log_ndtr(f64({10.0})), {-7.619853024160525e-24}, 2e-14);
  // Far in the left tail log(ndtr) of the composition is -inf; log_ndtr stays finite.
  EXPECT_EQ(log(special::ndtr(f64({-40.0}))).item<double>(), -kInf);
  const Tensor p = f64({1e-300, 1e-10, 0.025, 0.075, 0.3, 0.5, 0.8, 0.975, 0.0, 1.0, -0.1, 1.1, kNaN});
  expect_relative(special::ndtri(p),
                  {-37.0470962993612, -6.361340902404057, -1.9599639845400543, -1.439531470938456, -0.5244005127080408,
                   0.0, 0.8416212335729144, 1.9599639845400538, -kInf, kInf, kNaN, kNaN, kNaN},
                  2e-15);
  expect_relative(special::ndtr(f64({-3.0, -0.5, 0.0, 1.0, 8.0})),
                  {0.0013498980316300946, 0.3085375387259869, 0.5, 0.8413447460685429, 0.9999999999999993}, 2e-15);
  // ndtri inverts ndtr across the range.
  const Tensor q = f64({-8.0, -2.0, -0.1, 0.4, 3.0});  // ndtr(6) = 1 - 1e-9 keeps only 7 digits of its tail
  EXPECT_TRUE(allclose(special::ndtri(special::ndtr(q)), q, 1e-9, 0.0));
}

TEST(SpecialNamespace, EntrXlog1pyAndMultigammalnAsPyTorch) {
  expect_relative(special::entr(f64({-1.0, 0.0, 0.5, 1.0, 2.0, kNaN, kInf})),
                  {-kInf, 0.0, 0.34657359027997264, 0.0, -1.3862943611198906, kNaN, -kInf}, 1e-15);
  // xlog1py: 0 where x == 0 unless y is NaN (then NaN), y = -1 included.
  const Tensor xs = f64({0.0, 0.0, 0.0, 2.0, -3.0});
  const Tensor ys = f64({-1.0, kNaN, 5.0, 0.5, -0.75});
  expect_relative(special::xlog1py(xs, ys), {0.0, kNaN, 0.0, 0.8109302162163288, 4.1588830833596715}, 1e-15);
  expect_relative(special::xlog1py(Scalar(2.0), f64({0.5})), {0.8109302162163288}, 1e-15);
  expect_relative(special::xlog1py(f64({0.0, 2.0}), Scalar(0.5)), {0.0, 0.8109302162163288}, 1e-15);
  // mpmath: sum_i<3 loggamma(x - i/2) + 6/4 log(pi).
  const Tensor m = f64({1.5, 2.0, 7.25});
  expect_relative(special::multigammaln(m, 3), {2.1686775340635553, 1.596312591138855, 20.104800157934413}, 1e-14);
  expect_relative(m.mvlgamma(1), lgamma(m).to_vector<double>(), 0.0);
  EXPECT_EMBER_ERROR(mvlgamma(f64({1.0, 0.9}), 3), "All elements must be greater than (p-1)/2");
  EXPECT_EMBER_ERROR(mvlgamma(m, 0), "p has to be greater than or equal to 1");
  Tensor inplace = m.clone();
  inplace.mvlgamma_(3);
  EXPECT_TRUE(allclose(inplace, special::multigammaln(m, 3)));
  Tensor ints = tensor(std::vector<int64_t>{3, 4}, {2});
  EXPECT_EMBER_ERROR(ints.mvlgamma_(2), "result type Float can't be cast to the desired output type Long");
}

// Integers and bools compute in float32 (PyTorch's unary float ops); float32 keeps float32
// and agrees with float64 within float32's rounding; in place matches out of place.
TEST(SpecialNamespace, DtypesAndInPlace) {
  const Tensor ints = tensor(std::vector<int64_t>{-2, 0, 3}, {3});
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> ops{
      {"i0", [](const Tensor& t) { return special::i0(t); }},
      {"i0e", [](const Tensor& t) { return special::i0e(t); }},
      {"i1", [](const Tensor& t) { return special::i1(t); }},
      {"i1e", [](const Tensor& t) { return special::i1e(t); }},
      {"erfcx", [](const Tensor& t) { return special::erfcx(t); }},
      {"log_ndtr", [](const Tensor& t) { return special::log_ndtr(t); }},
      {"ndtr", [](const Tensor& t) { return special::ndtr(t); }},
      {"entr", [](const Tensor& t) { return special::entr(t); }},
  };
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    const Tensor out = op(ints);
    EXPECT_EQ(out.dtype(), kFloat32);
    EXPECT_TRUE(allclose(out.to(kFloat64), op(ints.to(kFloat64)), 1e-6, 1e-30, /*equal_nan=*/true));
    const Tensor f = tensor(std::vector<float>{-7.5f, 0.25f, 12.0f}, {3});
    EXPECT_EQ(op(f).dtype(), kFloat32);
    EXPECT_TRUE(allclose(op(f).to(kFloat64), op(f.to(kFloat64)), 1e-6, 1e-30, true));
  }
  EXPECT_EQ(special::ndtri(tensor(std::vector<bool>{false, true}, {2})).to_vector<float>(),
            (std::vector<float>{-INFINITY, INFINITY}));
  Tensor x = f64({-3.0, 0.5, 25.0});
  const Tensor expected = i0(x);
  x.i0_();
  EXPECT_EQ(x.to_vector<double>(), expected.to_vector<double>());
}

TEST(SpecialNamespace, AliasesAreTheTopLevelOps) {
  const Tensor x = f64({-1.5, 0.25, 0.75, 2.0});
  const Tensor u = f64({0.1, 0.25, 0.75, 0.9});
  auto same = [](const Tensor& a, const Tensor& b) { EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>()); };
  same(special::expit(x), sigmoid(x));
  same(special::logit(u), logit(u));
  same(special::logit(u, 0.2), logit(u, 0.2));
  same(special::exp2(x), exp2(x));
  same(special::expm1(x), expm1(x));
  same(special::log1p(x.abs()), log1p(x.abs()));
  same(special::erf(x), erf(x));
  same(special::erfc(x), erfc(x));
  same(special::erfinv(u), erfinv(u));
  same(special::gammaln(x), lgamma(x));
  same(special::psi(x), digamma(x));
  same(special::digamma(x), digamma(x));
  same(special::polygamma(2, x), polygamma(2, x));
  same(special::sinc(x), sinc(x));
  same(special::round(x), round(x));
  same(special::round(x, 1), round(x, 1));
  same(special::xlogy(u, x.abs()), xlogy(u, x.abs()));
  const Tensor m = x.reshape({2, 2});
  same(special::softmax(m, 1), m.softmax(1));
  same(special::log_softmax(m, 0), m.log_softmax(0));
  EXPECT_EQ(special::softmax(m.to(kFloat32), 1, kFloat64).dtype(), kFloat64);
  same(special::logsumexp(m, 1), m.logsumexp(1));
  same(special::logsumexp(m, {0, 1}, true), m.logsumexp({0, 1}, true));
}

// PyTorch's derivatives, checked numerically in float64 and to the second order; i1 and i1e
// at 0 take their limit 1/2.
TEST(SpecialNamespace, GradientsAsPyTorch) {
  // Not 0: i0e and i1e (e^-|x| scaled) have a kink there, so no second derivative.
  const Tensor x = f64({-5.0, -3.0, -0.5, 0.7, 4.0}).requires_grad_(true);
  const Tensor p = f64({1e-3, 0.02, 0.3, 0.5, 0.9, 0.999}).requires_grad_(true);
  const Tensor pos = f64({0.2, 1.0, 2.5, 7.0}).requires_grad_(true);
  using Fn = std::function<Tensor(const Tensor&)>;
  const std::vector<std::tuple<std::string, Fn, Tensor>> cases{
      {"i0", [](const Tensor& t) { return special::i0(t); }, x},
      {"i0e", [](const Tensor& t) { return special::i0e(t); }, x},
      {"i1", [](const Tensor& t) { return special::i1(t); }, x},
      {"i1e", [](const Tensor& t) { return special::i1e(t); }, x},
      {"erfcx", [](const Tensor& t) { return special::erfcx(t * 0.25); }, x},
      {"log_ndtr", [](const Tensor& t) { return special::log_ndtr(t); }, x},
      {"ndtr", [](const Tensor& t) { return special::ndtr(t); }, x},
      {"ndtri", [](const Tensor& t) { return special::ndtri(t); }, p},
      {"entr", [](const Tensor& t) { return special::entr(t); }, pos},
      {"multigammaln", [](const Tensor& t) { return special::multigammaln(t + 1.0, 3); }, pos},
      {"xlog1py", [](const Tensor& t) { return special::xlog1py(t, t * 0.5 - 0.1); }, pos},
  };
  for (const auto& [name, f, in] : cases) {
    SCOPED_TRACE(name);
    auto fn = [&f](const std::vector<Tensor>& v) { return f(v[0]); };
    expect_gradcheck(fn, {in});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {in}));
  }
  // Past the series / asymptotic switch at 20 (first order: the second's finite differences
  // of values near 1e8 lose the digits they compare).
  const Tensor far = f64({-22.0, 21.0}).requires_grad_(true);
  for (const auto& [name, f, in] : cases) {
    if (in.is_same(x)) {
      SCOPED_TRACE(name + " past 20");
      expect_gradcheck([&f](const std::vector<Tensor>& v) { return f(v[0]); }, {far});
    }
  }
  // The closed forms at points: i1'(0) = 1/2, entr'(x) = -(1 + ln x) (inf at 0, NaN below),
  // xlog1py's d/dx at x = 0, y = -1 is 0 (PyTorch's mask) and its d/dy there g x / (y + 1) = NaN.
  Tensor zero = f64({0.0}).requires_grad_(true);
  special::i1(zero).sum().backward();
  EXPECT_EQ(zero.grad().item<double>(), 0.5);
  Tensor zero_e = f64({0.0}).requires_grad_(true);
  special::i1e(zero_e).sum().backward();
  EXPECT_EQ(zero_e.grad().item<double>(), 0.5);
  // Below eps (PyTorch's guard) 1/2 too: 1/x of a subnormal float would overflow.
  Tensor subnormal = tensor(std::vector<float>{1e-39f, 9.8e-45f}, {2}).requires_grad_(true);
  (special::i1(subnormal) + special::i1e(subnormal)).sum().backward();
  EXPECT_EQ(subnormal.grad().to_vector<float>(), (std::vector<float>{1.0f, 1.0f}));
  expect_gradcheck([](const std::vector<Tensor>& v) { return special::i1(v[0]) + special::i1e(v[0]); },
                   {f64({0.0, 1e-3}).requires_grad_(true)});
  Tensor e = f64({0.0, -1.0, 1.0}).requires_grad_(true);
  special::entr(e).sum().backward();
  expect_relative(e.grad(), {kInf, kNaN, -1.0}, 0.0);
  Tensor a = f64({0.0, 2.0}).requires_grad_(true);
  Tensor b = f64({-1.0, 1.0}).requires_grad_(true);
  special::xlog1py(a, b).sum().backward();
  expect_relative(a.grad(), {0.0, std::log(2.0)}, 1e-15);
  expect_relative(b.grad(), {kNaN, 1.0}, 1e-15);
}

}  // namespace
}  // namespace ember
