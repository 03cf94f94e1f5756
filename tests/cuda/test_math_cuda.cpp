// The elementwise math family on CUDA (core/math_functors.h through the CUDA elementwise
// kernels): values and gradients against the CPU in float64 and float32, strided and
// broadcast operands, integer fmod/remainder, rounding and the NaN/inf predicates exactly,
// and the in-place forms. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// x in (-0.9, 0.9) (asin, acos, log1p, atanh, erfinv), y in (0.5, 2) (logs, rsqrt, divisors).
const std::vector<std::pair<const char*, BinaryFn>>& math_cases() {
  static const std::vector<std::pair<const char*, BinaryFn>> cases{
      {"sin", [](const Tensor& x, const Tensor&) { return sin(x * 7.0); }},
      {"cos", [](const Tensor& x, const Tensor&) { return cos(x * 7.0); }},
      {"tan", [](const Tensor& x, const Tensor&) { return tan(x); }},
      {"asin", [](const Tensor& x, const Tensor&) { return asin(x); }},
      {"acos", [](const Tensor& x, const Tensor&) { return acos(x); }},
      {"atan", [](const Tensor& x, const Tensor&) { return atan(x * 5.0); }},
      {"sinh", [](const Tensor& x, const Tensor&) { return sinh(x * 3.0); }},
      {"cosh", [](const Tensor& x, const Tensor&) { return cosh(x * 3.0); }},
      {"log1p", [](const Tensor& x, const Tensor&) { return log1p(x); }},
      {"expm1", [](const Tensor& x, const Tensor&) { return expm1(x * 3.0); }},
      {"log2", [](const Tensor&, const Tensor& y) { return log2(y); }},
      {"log10", [](const Tensor&, const Tensor& y) { return log10(y); }},
      {"rsqrt", [](const Tensor&, const Tensor& y) { return rsqrt(y); }},
      {"reciprocal", [](const Tensor&, const Tensor& y) { return reciprocal(y); }},
      {"erf", [](const Tensor& x, const Tensor&) { return erf(x * 2.0); }},
      {"erfc erfinv", [](const Tensor& x, const Tensor&) { return erfc(x * 2.0) + erfinv(x); }},
      {"asinh acosh atanh",
       [](const Tensor& x, const Tensor& y) { return asinh(x * 4.0) + acosh(y + 1.0) + atanh(x); }},
      {"exp2 lgamma digamma",
       [](const Tensor& x, const Tensor& y) { return exp2(x * 5.0) + lgamma(y + 2.0) + digamma(y); }},
      {"hypot copysign", [](const Tensor& x, const Tensor& y) { return hypot(x, y.t()) * copysign(y, x); }},
      {"logaddexp(2) xlogy",
       [](const Tensor& x, const Tensor& y) {
         return logaddexp(x * 9.0, y) + logaddexp2(y.slice(0, 0, 1), x * 3.0) + xlogy(x, y);
       }},
      {"special bessel",
       [](const Tensor& x, const Tensor& y) {
         return special::i0(x * 30.0) * 1e-12 + special::i0e(x * 30.0) + special::i1(x * 4.0) + special::i1e(y * 25.0);
       }},
      {"special normal tails",
       [](const Tensor& x, const Tensor& y) {
         return special::erfcx(x * 8.0) + special::ndtri(y * 0.45) + special::log_ndtr(x * 20.0) +
                special::xlog1py(x, y) + special::entr(y);
       }},
      {"frac logit sinc",
       [](const Tensor& x, const Tensor& y) { return frac(x * 5.0) * y + logit(y * 0.4, 0.2) + sinc(x); }},
      {"atan2", [](const Tensor& x, const Tensor& y) { return atan2(x, y.t()); }},  // strided operand
      {"fmod", [](const Tensor& x, const Tensor& y) { return fmod(x * 9.0, y); }},
      {"remainder", [](const Tensor& x, const Tensor& y) { return remainder(x * 9.0, y.slice(0, 0, 1)); }},
      {"rounding",
       [](const Tensor& x, const Tensor& y) {
         return x * (floor(x * 4.0) + ceil(y * 3.0) + round(x * 5.0) + trunc(y * 2.5) + sign(x));
       }},
      {"nan_to_num lerp addcdiv",
       [](const Tensor& x, const Tensor& y) {
         return addcdiv(lerp(x, y, 0.3), nan_to_num(log(x)), y, 0.5);  // log of negatives: NaN -> 0
       }},
  };
  return cases;
}

TEST(CudaMath, ValuesAndGradientsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(8);
  for (DType dt : {kFloat64, kFloat32}) {
    // float32: CUDA's and glibc's functions are each within a few ulps of exact.
    const double rtol = dt == kFloat64 ? 1e-13 : 2e-6, atol = dt == kFloat64 ? 1e-14 : 1e-6;
    const Tensor x = (rand({16, 16}, kFloat64) * 1.8 - 0.9).to(dt);
    const Tensor y = (rand({16, 16}, kFloat64) * 1.5 + 0.5).to(dt);
    for (const auto& [name, f] : math_cases()) {
      SCOPED_TRACE(std::string(name) + (dt == kFloat64 ? " float64" : " float32"));
      const Tensor xc = x.detach().requires_grad_(true), yc = y.detach().requires_grad_(true);
      const Tensor xg = x.cuda().detach().requires_grad_(true), yg = y.cuda().detach().requires_grad_(true);
      const Tensor outc = f(xc, yc), outg = f(xg, yg);
      EXPECT_TRUE(allclose(outc.detach(), outg.detach().cpu(), rtol, atol));
      const Tensor g = randn(outc.sizes(), dt);
      (outc * g).sum().backward();
      (outg * g.cuda()).sum().backward();
      // A case of y alone (log2, rsqrt, ...) leaves x without a gradient, on both devices.
      for (const auto& [cpu_grad, cuda_grad] : {std::pair{xc.grad(), xg.grad()}, std::pair{yc.grad(), yg.grad()}}) {
        ASSERT_EQ(cpu_grad.defined(), cuda_grad.defined());
        if (cpu_grad.defined()) {
          EXPECT_TRUE(allclose(cpu_grad, cuda_grad.cpu(), rtol * 10, atol * 10));
        }
      }
    }
  }
}

TEST(CudaMath, IntegersRoundingAndPredicatesAreExact) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor a = tensor(std::vector<int64_t>{5, -5, 7, -7, 0, std::numeric_limits<int64_t>::min()}, {6});
  const Tensor b = tensor(std::vector<int64_t>{3, 3, -3, -3, 2, -1}, {6});
  EXPECT_TRUE(equal(fmod(a, b), fmod(a.cuda(), b.cuda()).cpu()));
  EXPECT_TRUE(equal(remainder(a, b), remainder(a.cuda(), b.cuda()).cpu()));
  EXPECT_TRUE(equal(remainder(a, Scalar(int64_t{-4})), remainder(a.cuda(), Scalar(int64_t{-4})).cpu()));
  EXPECT_EQ(testing::error_of([&] { fmod(a.cuda(), (b * 0).cuda()); }), "ZeroDivisionError");
  // The bit kernels: counts past the width and negative ones, both dtypes.
  const Tensor counts = tensor(std::vector<int64_t>{0, 1, 63, 64, -1, 3}, {6});
  const auto same = [](const Tensor& cpu, const Tensor& cuda) { return equal(cpu, cuda.cpu()); };
  EXPECT_TRUE(same(a & b, a.cuda() & b.cuda()));
  EXPECT_TRUE(same(a | b, a.cuda() | b.cuda()));
  EXPECT_TRUE(same(a ^ b, a.cuda() ^ b.cuda()));
  EXPECT_TRUE(same(~a, ~a.cuda()));
  EXPECT_TRUE(same(a << counts, a.cuda() << counts.cuda()));
  EXPECT_TRUE(same(a >> counts, a.cuda() >> counts.cuda()));
  const Tensor bytes = tensor(std::vector<uint8_t>{0, 1, 128, 255, 77, 3}, {6});
  const Tensor byte_counts = tensor(std::vector<uint8_t>{0, 1, 7, 8, 200, 3}, {6});
  EXPECT_TRUE(same(bytes << byte_counts, bytes.cuda() << byte_counts.cuda()));
  EXPECT_TRUE(same(bytes >> byte_counts, bytes.cuda() >> byte_counts.cuda()));
  EXPECT_TRUE(same(~bytes, ~bytes.cuda()));
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor x = tensor(std::vector<double>{-2.5, -0.5, 0.5, 1.5, 2.5, inf, -inf, std::nan(""), -0.0}, {9});
  for (DType dt : {kFloat64, kFloat32, kBFloat16}) {
    const Tensor xt = x.to(dt);
    for (const auto& f : std::vector<std::function<Tensor(const Tensor&)>>{
             [](const Tensor& t) { return round(t); }, [](const Tensor& t) { return floor(t); },
             [](const Tensor& t) { return ceil(t); }, [](const Tensor& t) { return trunc(t); },
             [](const Tensor& t) { return sign(t); }, [](const Tensor& t) { return isnan(t); },
             [](const Tensor& t) { return isinf(t); }, [](const Tensor& t) { return isfinite(t); },
             [](const Tensor& t) { return nan_to_num(t); }}) {
      EXPECT_TRUE(equal(nan_to_num(f(xt).to(kFloat64)), nan_to_num(f(xt.cuda()).cpu().to(kFloat64))));
    }
  }
}

// The in-place forms (Tensor::sin_, ..., addcmul_) write through the same kernels into
// self, here a transposed view, as on the CPU.
TEST(CudaMath, InPlaceMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(9);
  const Tensor x = rand({8, 8}, kFloat64) * 0.8 + 0.1, y = rand({8, 8}, kFloat64) + 0.5;
  using InPlace = std::function<void(Tensor&, const Tensor&)>;
  const std::vector<std::pair<const char*, InPlace>> ops{
      {"sin_", [](Tensor& t, const Tensor&) { t.sin_(); }},
      {"acos_", [](Tensor& t, const Tensor&) { t.acos_(); }},
      {"log10_", [](Tensor& t, const Tensor&) { t.log10_(); }},
      {"rsqrt_", [](Tensor& t, const Tensor&) { t.rsqrt_(); }},
      {"erf_", [](Tensor& t, const Tensor&) { t.erf_(); }},
      {"round_", [](Tensor& t, const Tensor&) { t.mul_(7.0).round_(); }},
      {"atan2_", [](Tensor& t, const Tensor& o) { t.atan2_(o); }},
      {"fmod_", [](Tensor& t, const Tensor& o) { t.mul_(9.0).fmod_(o); }},
      {"remainder_", [](Tensor& t, const Tensor&) { t.mul_(9.0).remainder_(-0.7); }},
      {"addcmul_", [](Tensor& t, const Tensor& o) { t.addcmul_(o, o, 0.5); }},
      {"lerp_", [](Tensor& t, const Tensor& o) { t.lerp_(o, 0.3); }},
  };
  for (const auto& [name, f] : ops) {
    SCOPED_TRACE(name);
    Tensor c = x.clone(), g = x.cuda();
    Tensor cv = c.t(), gv = g.t();
    f(cv, y);
    f(gv, y.cuda());
    EXPECT_TRUE(allclose(c, g.cpu(), 1e-13, 1e-14));
  }
}

}  // namespace
}  // namespace ember
