// The CPU's vectorised exp, log, tanh, sigmoid, GELU and SiLU (core/cpu/vector_math.h):
// the AVX2 functions (SLEEF's; float erf our own) within 1 ulp of the exact values (2 for
// sigmoid and SiLU; GELU and SiLU's cancellations: see below) on special, drawn and evenly
// spaced values, the same bits for a value
// wherever it sits (alone, in a partial last vector, strided, transposed), bfloat16 through
// the float function, the tensor ops using it, and GELU's and SiLU's gradients.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <ember/ember.h>

#include "core/cpu/vector_math.h"

namespace ember {
namespace {

namespace vm = cpu::vector_math;
using vm::Fn;
using vm::Isa;

constexpr Fn kFns[] = {Fn::Exp, Fn::Log, Fn::Tanh, Fn::Sigmoid, Fn::Gelu, Fn::Silu};

const char* name_of(Fn fn) {
  switch (fn) {
    case Fn::Exp: return "exp";
    case Fn::Log: return "log";
    case Fn::Tanh: return "tanh";
    case Fn::Sigmoid: return "sigmoid";
    case Fn::Gelu: return "gelu";
    case Fn::Silu: return "silu";
  }
  return "?";
}

Tensor op_on(Fn fn, const Tensor& t) {
  switch (fn) {
    case Fn::Exp: return t.exp();
    case Fn::Log: return t.log();
    case Fn::Tanh: return t.tanh();
    case Fn::Sigmoid: return t.sigmoid();
    case Fn::Gelu: return nn::functional::gelu(t);
    case Fn::Silu: return nn::functional::silu(t);
  }
  return t;
}

// Distance in representable values between two finite or infinite numbers of one sign
// convention (the bit patterns mapped onto a monotonic integer line).
template <typename T>
int64_t ulps_between(T a, T b) {
  using Bits = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  const auto line = [](T x) {
    const Bits bits = std::bit_cast<Bits>(x);
    return bits < 0 ? static_cast<int64_t>(std::numeric_limits<Bits>::min()) - static_cast<int64_t>(bits)
                    : static_cast<int64_t>(bits);
  };
  const int64_t d = line(a) - line(b);
  return d < 0 ? -d : d;
}

// Uniform values over ranges from [-1, 1) to [0, 1e6), and log-normal ones (log's domain).
std::vector<double> drawn_values() {
  manual_seed(11);
  std::vector<double> v;
  const std::pair<double, double> ranges[] = {{-1.0, 1.0}, {-20.0, 20.0}, {-100.0, 100.0}, {0.0, 1e6}, {-800.0, 800.0}};
  for (const auto& [lo, hi] : ranges) {
    for (double x : (rand({4000}, kFloat64) * (hi - lo) + lo).to_vector<double>()) v.push_back(x);
  }
  for (double x : randn({4000}, kFloat64).exp().to_vector<double>()) v.push_back(x);
  return v;
}

// Special values, values near each function's edges, and values drawn over wide ranges.
template <typename T>
std::vector<T> probe_values() {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {T(0),          -T(0),          T(1),          T(-1),        T(0.5),       T(-0.5),
                      L::infinity(), -L::infinity(), L::quiet_NaN(), L::denorm_min(), L::min(),   -L::min(),
                      L::max(),      -L::max(),      L::epsilon(),  T(88.7),      T(-87.3),     T(89.0),
                      T(-104.0),     T(709.7),       T(-745.1),     T(710.0),     T(9.0),       T(-9.0),
                      T(19.0),       T(-19.0),       T(1e-5),       T(-1e-5),     T(1e-30),     T(20.0)};
  for (double x : drawn_values()) v.push_back(static_cast<T>(x));
  return v;
}

// The function in long double (x87's 64-bit significand): the float32 and float64 results
// rounded from it are within half an ulp of the true ones.
long double exact(Fn fn, long double x) {
  switch (fn) {
    case Fn::Exp: return std::exp(x);
    case Fn::Log: return std::log(x);
    case Fn::Tanh: return std::tanh(x);
    case Fn::Sigmoid: return 1.0L / (1.0L + std::exp(-x));
    case Fn::Gelu: return x * 0.5L * (1.0L + std::erf(x * 0.70710678118654752440L));
    case Fn::Silu: return x / (1.0L + std::exp(-x));
  }
  return x;
}

template <typename T>
void expect_close_to_exact(Fn fn, const std::vector<T>& in = probe_values<T>()) {
  SCOPED_TRACE(std::string(name_of(fn)) + (sizeof(T) == 4 ? " float32" : " float64"));
  std::vector<T> vec(in.size()), ref(in.size());
  vm::apply_with(Isa::Avx2, fn, in.data(), vec.data(), static_cast<int64_t>(in.size()));
  for (size_t i = 0; i < in.size(); ++i) ref[i] = static_cast<T>(exact(fn, in[i]));
  const int64_t allowed = fn == Fn::Sigmoid || fn == Fn::Silu ? 2 : 1;
  int64_t worst = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (std::isnan(ref[i])) {
      EXPECT_TRUE(std::isnan(vec[i])) << "x = " << in[i] << ": " << vec[i];
      continue;
    }
    ASSERT_FALSE(std::isnan(vec[i])) << "x = " << in[i];
    // Results below the smallest normal lose precision in any implementation: absolute there.
    if (std::abs(ref[i]) < std::numeric_limits<T>::min()) {
      EXPECT_LE(std::abs(vec[i] - ref[i]), std::numeric_limits<T>::min()) << "x = " << in[i];
      continue;
    }
    // GELU is computed as PyTorch's, x / 2 * (1 + erf(x / sqrt 2)): for x below about -1,
    // 1 + erf cancels and the result is only within |x| ulps of 1 (of T) of the exact one.
    // Any erf within an ulp gives that; past it is a wrong erf.
    if (fn == Fn::Gelu && std::abs(vec[i] - ref[i]) <= std::abs(in[i]) * std::numeric_limits<T>::epsilon()) continue;
    // SiLU's x / (1 + exp(-x)), as PyTorch's, gives -0 where exp(-x) overflows T.
    if (fn == Fn::Silu && std::isinf(std::exp(-in[i])) && vec[i] == 0) continue;
    const int64_t d = ulps_between(vec[i], ref[i]);
    EXPECT_LE(d, allowed) << "x = " << in[i] << ": " << vec[i] << " vs " << ref[i];
    worst = std::max(worst, d);
  }
  EXPECT_LE(worst, allowed);
}

#define EMBER_REQUIRE_AVX2()                                                    \
  if (!vm::isa_available(Isa::Avx2)) {                                          \
    GTEST_SKIP() << "this build or CPU has no SLEEF AVX2 path (scalar only)"; \
  }

TEST(VectorMath, Avx2IsWithinAnUlpOfTheExactValues) {
  EMBER_REQUIRE_AVX2();
  for (Fn fn : kFns) {
    expect_close_to_exact<float>(fn);
    expect_close_to_exact<double>(fn);
  }
}

// Float GELU and SiLU at 2^18 evenly spaced x in [-12, 12]: float erf's two branches
// (Note [A float erf] in core/cpu/vector_math_avx2.cpp) and their seam at |x| = 1.24.
TEST(VectorMath, FloatGeluAndSiluAcrossTheirRange) {
  EMBER_REQUIRE_AVX2();
  constexpr int kCount = 1 << 18;
  std::vector<float> x(kCount);
  for (int i = 0; i < kCount; ++i) x[i] = -12.0f + 24.0f * static_cast<float>(i) / kCount;
  expect_close_to_exact<float>(Fn::Gelu, x);
  expect_close_to_exact<float>(Fn::Silu, x);
}

TEST(VectorMath, InfinitiesZerosAndNaNAreExact) {
  EMBER_REQUIRE_AVX2();
  constexpr float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {inf, -inf, 0.0f, -0.0f, -1.0f, 1000.0f, -1000.0f};
  const auto run = [&](Fn fn) {
    std::vector<float> y(x.size());
    vm::apply_with(Isa::Avx2, fn, x.data(), y.data(), static_cast<int64_t>(x.size()));
    return y;
  };
  const std::vector<float> e = run(Fn::Exp), l = run(Fn::Log), t = run(Fn::Tanh), s = run(Fn::Sigmoid),
                           g = run(Fn::Gelu);
  EXPECT_EQ(e[0], inf);
  EXPECT_EQ(e[1], 0.0f);
  EXPECT_EQ(e[2], 1.0f);
  EXPECT_EQ(e[5], inf);
  EXPECT_EQ(l[0], inf);
  EXPECT_TRUE(std::isnan(l[1]));
  EXPECT_EQ(l[2], -inf);
  EXPECT_EQ(l[3], -inf);
  EXPECT_TRUE(std::isnan(l[4]));
  EXPECT_EQ(t[0], 1.0f);
  EXPECT_EQ(t[1], -1.0f);
  EXPECT_TRUE(std::signbit(t[3]) && t[3] == 0.0f);  // tanh(-0) = -0
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(s[1], 0.0f);
  EXPECT_EQ(s[2], 0.5f);
  EXPECT_EQ(s[6], 0.0f);
  EXPECT_EQ(g[0], inf);
  EXPECT_TRUE(std::isnan(g[1]));  // -inf * (1 + erf(-inf)) = -inf * 0, as PyTorch's
  EXPECT_EQ(g[2], 0.0f);
  EXPECT_EQ(g[5], 1000.0f);
  EXPECT_EQ(g[6], 0.0f);
}

// A value's result does not depend on where it sits or how many elements come with it.
TEST(VectorMath, AValueGivesTheSameBitsAtEveryPositionAndLength) {
  manual_seed(3);
  const std::vector<float> x = (randn({37}) * 3.0).to_vector<float>();
  for (Fn fn : kFns) {
    SCOPED_TRACE(name_of(fn));
    std::vector<float> all(x.size());
    vm::apply(fn, x.data(), all.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      float alone = 0.0f;
      vm::apply(fn, &x[i], &alone, 1);
      EXPECT_EQ(std::bit_cast<uint32_t>(alone), std::bit_cast<uint32_t>(all[i])) << "position " << i;
      std::vector<float> prefix(i + 1);  // x[i] last, in a partial vector for most i
      vm::apply(fn, x.data(), prefix.data(), static_cast<int64_t>(i + 1));
      EXPECT_EQ(std::bit_cast<uint32_t>(prefix[i]), std::bit_cast<uint32_t>(all[i])) << "length " << i + 1;
    }
  }
}

// The tensor ops: contiguous, transposed, strided and one-element inputs give the bits of
// vector_math::apply on the values, in float32 and float64.
TEST(VectorMath, TensorOpsGiveTheSameBitsInEveryLayout) {
  manual_seed(5);
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = (randn({9, 13}, dtype) * 4.0).abs() + 0.01;  // log's domain too
    for (Fn fn : kFns) {
      SCOPED_TRACE(std::string(name_of(fn)) + " " + std::string(dtype_name(dtype)));
      std::vector<double> expected;
      if (dtype == kFloat32) {
        const std::vector<float> v = x.to_vector<float>();
        std::vector<float> y(v.size());
        vm::apply(fn, v.data(), y.data(), static_cast<int64_t>(v.size()));
        expected.assign(y.begin(), y.end());
      } else {
        const std::vector<double> v = x.to_vector<double>();
        expected.resize(v.size());
        vm::apply(fn, v.data(), expected.data(), static_cast<int64_t>(v.size()));
      }
      const auto bits_equal = [&](const Tensor& got, const char* what) {
        SCOPED_TRACE(what);
        ASSERT_EQ(got.sizes(), (Dims{9, 13}));
        const std::vector<double> g = got.to_vector<double>();
        for (size_t i = 0; i < g.size(); ++i) {
          ASSERT_EQ(std::bit_cast<uint64_t>(g[i]), std::bit_cast<uint64_t>(expected[i])) << "element " << i;
        }
      };
      bits_equal(op_on(fn, x), "contiguous");
      bits_equal(op_on(fn, x.t().contiguous().t()), "column-major input");
      bits_equal(op_on(fn, x.t()).t(), "transposed");
      const Tensor wide = zeros({9, 26}, dtype);
      wide.narrow(1, 0, 13).copy_(x);
      bits_equal(op_on(fn, wide.narrow(1, 0, 13)), "rows of a wider tensor");
      const Tensor every_other = zeros({9, 13, 2}, dtype);
      every_other.select(2, 1).copy_(x);
      bits_equal(op_on(fn, every_other.select(2, 1)), "stride 2");
      const double one = op_on(fn, x.narrow(0, 4, 1).narrow(1, 7, 1)).item<double>();
      EXPECT_EQ(std::bit_cast<uint64_t>(one), std::bit_cast<uint64_t>(expected[4 * 13 + 7])) << "one element";
    }
  }
}

// bfloat16 widens to float, runs the float function and rounds once.
TEST(VectorMath, BFloat16IsTheFloatFunctionRoundedOnce) {
  manual_seed(9);
  const Tensor x = (randn({1000}) * 3.0).abs().to(kBFloat16);
  for (Fn fn : kFns) {
    SCOPED_TRACE(name_of(fn));
    const Tensor got = op_on(fn, x);
    ASSERT_EQ(got.dtype(), kBFloat16);
    const Tensor expected = op_on(fn, x.to(kFloat32)).to(kBFloat16);
    EXPECT_TRUE(equal(got, expected));
  }
}

// The exact derivative term g * A'(x) of GELU (Phi(x) + x phi(x)) and SiLU (s (1 + x (1 - s))).
long double exact_grad(Fn fn, long double g, long double x) {
  if (fn == Fn::Gelu)
    return g * (0.5L * (1.0L + std::erf(x * 0.70710678118654752440L)) + x * 0.39894228040143267794L * std::exp(-0.5L * x * x));
  const long double s = 1.0L / (1.0L + std::exp(-x));
  return g * s * (1.0L + x * (1.0L - s));
}

Tensor activation_of(Fn fn, const Tensor& x) { return fn == Fn::Gelu ? nn::functional::gelu(x) : nn::functional::silu(x); }

// GELU's and SiLU's gradients: AVX2 near the exact value (both formulas cancel for some
// negative x, as in any implementation of them: there, within |x| ulps of 1), the same bits
// for a pair at every position and length, the functor's bits on the scalar path, and the
// backward of nn::functional::gelu / silu giving vector_math's bits in any layout and, for
// bfloat16, the float function's rounded once.
void expect_vector_gradient(Fn fn, const auto& functor) {
  SCOPED_TRACE(name_of(fn));
  const std::vector<double> x = probe_values<double>();
  std::vector<double> g(x.size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = 0.5 + static_cast<double>(i % 7) * 0.25;
  std::vector<double> scalar(x.size());
  vm::grad_with(Isa::Scalar, fn, g.data(), x.data(), scalar.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = functor.grad(g[i], x[i]);
    ASSERT_TRUE(std::bit_cast<uint64_t>(scalar[i]) == std::bit_cast<uint64_t>(want) ||
                (std::isnan(scalar[i]) && std::isnan(want)))
        << "x = " << x[i];
  }
  if (!vm::isa_available(Isa::Avx2)) return;  // the scalar path only: the rest compares it to itself
  const auto check = [&](auto zero) {
    using T = decltype(zero);
    SCOPED_TRACE(sizeof(T) == 4 ? "float32" : "float64");
    const std::vector<T> xs(x.begin(), x.end()), gs(g.begin(), g.end());
    std::vector<T> all(xs.size());
    vm::grad_with(Isa::Avx2, fn, gs.data(), xs.data(), all.data(), static_cast<int64_t>(xs.size()));
    for (size_t i = 0; i < xs.size(); ++i) {
      const T want = static_cast<T>(exact_grad(fn, gs[i], xs[i]));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(all[i])) << "x = " << xs[i];
        continue;
      }
      // GELU: Phi + x phi cancels below about -1, to |x| ulps of 1. SiLU: 1 + x (1 - s)
      // cancels near x = -1.28, to |x| ulps of 1 times g s; where exp(-x) overflows T, s
      // and the result are 0.
      const T x_i = xs[i];
      const long double s = 1.0L / (1.0L + std::exp(-static_cast<long double>(x_i)));
      const T cancelled = fn == Fn::Gelu ? std::abs(x_i) * gs[i] : static_cast<T>(std::abs(x_i) * gs[i] * s);
      if (fn == Fn::Silu && std::isinf(std::exp(-x_i))) {
        EXPECT_EQ(all[i], T(0)) << "x = " << x_i;
        continue;
      }
      const T allowed =
          std::max<T>(cancelled, std::abs(want)) * 4 * std::numeric_limits<T>::epsilon() + std::numeric_limits<T>::min();
      EXPECT_LE(std::abs(all[i] - want), allowed) << "x = " << xs[i] << ": " << all[i] << " vs " << want;
      if (i < 40) {  // alone and as the last of a partial vector
        T alone = 0;
        vm::grad_with(Isa::Avx2, fn, &gs[i], &xs[i], &alone, 1);
        EXPECT_EQ(alone, all[i]) << "x = " << xs[i];
      }
    }
  };
  check(0.0f);
  check(0.0);

  manual_seed(12);
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const Tensor input = (randn({9, 13}, dtype) * 3.0), upstream = randn({9, 13}, dtype);
    std::vector<double> want(input.numel());
    if (dtype == kFloat32) {
      const std::vector<float> xv = input.to_vector<float>(), gv = upstream.to_vector<float>();
      std::vector<float> out(xv.size());
      vm::grad(fn, gv.data(), xv.data(), out.data(), static_cast<int64_t>(out.size()));
      want.assign(out.begin(), out.end());
    } else {
      const std::vector<double> xv = input.to_vector<double>(), gv = upstream.to_vector<double>();
      vm::grad(fn, gv.data(), xv.data(), want.data(), static_cast<int64_t>(want.size()));
    }
    if (dtype == kFloat32) {  // bfloat16: the float function on the widened pair, rounded once
      const Tensor x16 = input.to(kBFloat16).requires_grad_(), g16 = upstream.to(kBFloat16);
      activation_of(fn, x16).backward(g16);
      const std::vector<float> xv = x16.detach().to(kFloat32).to_vector<float>(), gv = g16.to(kFloat32).to_vector<float>();
      std::vector<float> out(xv.size());
      vm::grad(fn, gv.data(), xv.data(), out.data(), static_cast<int64_t>(out.size()));
      EXPECT_TRUE(equal(x16.grad(), tensor(out, {9, 13}).to(kBFloat16)));
    }
    for (bool transposed : {false, true}) {
      const Tensor leaf_x = (transposed ? input.t().contiguous().t() : input.clone()).requires_grad_();
      activation_of(fn, leaf_x).backward(transposed ? upstream.t().contiguous().t() : upstream);
      const std::vector<double> got = leaf_x.grad().to_vector<double>();
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(std::bit_cast<uint64_t>(got[i]), std::bit_cast<uint64_t>(want[i])) << "element " << i;
    }
  }
}

TEST(VectorMath, GeluAndSiluGradientsAreTheFormulasOnTheVectorFunctions) {
  expect_vector_gradient(Fn::Gelu, functors::Gelu{});
  expect_vector_gradient(Fn::Silu, functors::Silu{});
}

// The fallback (no SLEEF or no AVX2) is the scalar functors, which CUDA runs too.
TEST(VectorMath, TheScalarPathIsTheFunctorsBitForBit) {
  EXPECT_TRUE(vm::isa_available(Isa::Scalar));
  const std::vector<double> in = probe_values<double>();
  std::vector<double> out(in.size());
  const auto expect_functor = [&](Fn fn, const auto& functor) {
    SCOPED_TRACE(name_of(fn));
    vm::apply_with(Isa::Scalar, fn, in.data(), out.data(), static_cast<int64_t>(in.size()));
    for (size_t i = 0; i < in.size(); ++i) {
      const double want = functor(in[i]);
      ASSERT_TRUE(std::bit_cast<uint64_t>(out[i]) == std::bit_cast<uint64_t>(want) ||
                  (std::isnan(out[i]) && std::isnan(want)))
          << "x = " << in[i] << ": " << out[i] << " vs " << want;
    }
  };
  expect_functor(Fn::Exp, functors::Exp{});
  expect_functor(Fn::Log, functors::Log{});
  expect_functor(Fn::Tanh, functors::Tanh{});
  expect_functor(Fn::Sigmoid, functors::Sigmoid{});
  expect_functor(Fn::Gelu, functors::Gelu{});
  expect_functor(Fn::Silu, functors::Silu{});
}

}  // namespace
}  // namespace ember
