// softmax's row primitives (core/cpu/vector_math.h): the row max ignoring NaN at every
// position and tail length, the vectorised sum of shifted exps against the in-order
// scalar sum, shifted exps the same bits wherever a value sits, and softmax /
// log_softmax / cross_entropy on rows of every length against long double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <ember/ember.h>

#include "core/cpu/vector_math.h"

namespace ember {
namespace {

namespace vm = cpu::vector_math;
namespace F = nn::functional;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename T>
std::vector<T> row_of(int64_t n, uint32_t seed) {
  std::vector<T> x(static_cast<size_t>(n));
  uint32_t state = seed;
  for (auto& v : x) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<T>((static_cast<double>(state >> 8) / (1 << 24)) * 40.0 - 20.0);
  }
  return x;
}

template <typename T>
void expect_max_everywhere() {
  for (int64_t n = 0; n <= 19; ++n) {
    std::vector<T> x = row_of<T>(n, static_cast<uint32_t>(n));
    T want = -std::numeric_limits<T>::infinity();
    for (T v : x) want = std::max(want, v);
    EXPECT_EQ(vm::max_ignoring_nan(x.data(), n), want) << "n = " << n;
    // The largest value at each position, with NaN before and after it.
    for (int64_t at = 0; at < n; ++at) {
      std::vector<T> y = x;
      y[static_cast<size_t>(at)] = T(100);
      if (at > 0) y[static_cast<size_t>(at - 1)] = static_cast<T>(kNaN);
      if (at + 1 < n) y[static_cast<size_t>(at + 1)] = static_cast<T>(kNaN);
      EXPECT_EQ(vm::max_ignoring_nan(y.data(), n), T(100)) << "n = " << n << ", at " << at;
    }
  }
  const std::vector<T> nans(11, static_cast<T>(kNaN));
  EXPECT_EQ(vm::max_ignoring_nan(nans.data(), 11), -std::numeric_limits<T>::infinity());
  const std::vector<T> with_inf = {T(1), static_cast<T>(kInf), static_cast<T>(kNaN), T(2), T(3)};
  EXPECT_EQ(vm::max_ignoring_nan(with_inf.data(), 5), std::numeric_limits<T>::infinity());
}

TEST(SoftmaxRows, MaxIgnoresNaNAtEveryPositionAndLength) {
  expect_max_everywhere<float>();
  expect_max_everywhere<double>();
}

template <typename T>
void expect_sums_agree() {
  for (int64_t n = 1; n <= 37; ++n) {
    const std::vector<T> x = row_of<T>(n, 7u + static_cast<uint32_t>(n));
    const double shift = static_cast<double>(vm::max_ignoring_nan(x.data(), n));
    long double exact = 0.0L;
    for (T v : x) exact += std::exp(static_cast<long double>(v) - shift);
    const double vector_sum = vm::sum_exp_shifted(x.data(), n, shift);
    const double scalar_sum = vm::sum_exp_shifted_with(vm::Isa::Scalar, x.data(), n, shift);
    // A float row's exps are the float function's, each within ~1.2e-7 of its value; the
    // max's exp(0) is exactly 1, so the sum is that close above 1.
    const double float_error = sizeof(T) == 4 ? 1.2e-7 * static_cast<double>(exact - 1.0L) : 0.0;
    EXPECT_NEAR(vector_sum, static_cast<double>(exact), float_error + 1e-15 * static_cast<double>(exact))
        << "n = " << n;
    EXPECT_NEAR(scalar_sum, static_cast<double>(exact), 1e-15 * static_cast<double>(exact)) << "n = " << n;
  }
  // -inf elements add nothing; a NaN element makes the sum NaN.
  const std::vector<T> with_neg_inf = {T(0), static_cast<T>(-kInf), T(0), T(0), T(0)};
  EXPECT_DOUBLE_EQ(vm::sum_exp_shifted(with_neg_inf.data(), 5, 0.0), 4.0);
  const std::vector<T> with_nan = {T(0), T(0), T(0), T(0), static_cast<T>(kNaN)};
  EXPECT_TRUE(std::isnan(vm::sum_exp_shifted(with_nan.data(), 5, 0.0)));
}

TEST(SoftmaxRows, VectorSumOfShiftedExpsIsTheExactSum) {
  expect_sums_agree<float>();
  expect_sums_agree<double>();
}

// A confident float row: log_softmax of the winner is -log(1 + 1000 e^-20) ~ -2.06e-6, a
// value that float rounding of the exps' arguments (0.7 - -19.3 is no float) would get
// wrong by ~20 ulps; it is within 2. Exps past float's range are inf, not NaN.
TEST(SoftmaxRows, AConfidentRowKeepsTheWinnersLogProbabilityToAnUlp) {
  std::vector<float> values(1001, -19.3f);
  values[500] = 0.7f;
  const std::vector<float> logp = ember::log_softmax(tensor(values).reshape({1, 1001}), 1).to_vector<float>();
  const long double want = -std::log1p(1000.0L * std::exp(static_cast<long double>(-19.3f) - 0.7f));
  EXPECT_NEAR(logp[500], want, 2 * 1.2e-7L * std::fabs(want));
  const std::vector<float> big = {100.0f, -std::numeric_limits<float>::infinity(), 0.0f, 89.0f, 88.0f, -200.0f, 1.0f, 2.0f, 3.0f};
  std::vector<float> e(big.size());
  vm::exp_shifted(big.data(), static_cast<int64_t>(big.size()), 0.0, e.data());
  EXPECT_EQ(e[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(e[1], 0.0f);
  EXPECT_EQ(e[2], 1.0f);
  EXPECT_EQ(e[3], std::numeric_limits<float>::infinity());
  EXPECT_NEAR(e[4], std::exp(88.0), 2e-7 * std::exp(88.0));
  EXPECT_EQ(e[5], 0.0f);
}

template <typename T>
void expect_position_independent_exps() {
  const std::vector<T> x = row_of<T>(23, 3u);
  std::vector<T> whole(x.size());
  vm::exp_shifted(x.data(), 23, 1.5, whole.data());
  for (int64_t start = 0; start < 23; ++start) {
    for (int64_t n = 1; start + n <= 23; ++n) {
      std::vector<T> part(static_cast<size_t>(n));
      vm::exp_shifted(x.data() + start, n, 1.5, part.data());
      for (int64_t k = 0; k < n; ++k)
        ASSERT_EQ(part[static_cast<size_t>(k)], whole[static_cast<size_t>(start + k)]) << start << "+" << k;
    }
  }
  for (size_t k = 0; k < x.size(); ++k) {
    const long double want = std::exp(static_cast<long double>(x[k]) - 1.5L);
    // float rows: SLEEF's float exp (1 ulp) corrected, then rounded; double rows: 1 ulp.
    EXPECT_NEAR(static_cast<long double>(whole[k]), want, want * (sizeof(T) == 4 ? 1.8e-7L : 3e-16L)) << k;
  }
  std::vector<T> in_place = x;  // y may equal x
  vm::exp_shifted(in_place.data(), 23, 1.5, in_place.data());
  EXPECT_EQ(in_place, whole);
}

TEST(SoftmaxRows, ShiftedExpsAreTheSameBitsWhereverAValueSits) {
  expect_position_independent_exps<float>();
  expect_position_independent_exps<double>();
}

// softmax, log_softmax and cross_entropy over rows of 1 to 37 values (every tail length
// of the 8-wide vectors) within a float32 ulp or so of long double's values.
TEST(SoftmaxRows, SoftmaxLogSoftmaxAndCrossEntropyOnEveryRowLength) {
  for (int64_t n = 1; n <= 37; ++n) {
    const std::vector<float> values = row_of<float>(3 * n, 11u + static_cast<uint32_t>(n));
    const Tensor x = tensor(values).reshape({3, n});
    const Tensor targets = tensor({int64_t{0}, n - 1, n / 2});
    const std::vector<float> p = ember::softmax(x, 1).to_vector<float>();
    const std::vector<float> logp = ember::log_softmax(x, 1).to_vector<float>();
    const std::vector<float> losses = F::cross_entropy(x, targets, F::Reduction::None).to_vector<float>();
    const std::vector<int64_t> t_values = targets.to_vector<int64_t>();
    for (int64_t r = 0; r < 3; ++r) {
      long double row_max = -INFINITY, sum = 0.0L;
      for (int64_t j = 0; j < n; ++j) row_max = std::max<long double>(row_max, values[static_cast<size_t>(r * n + j)]);
      for (int64_t j = 0; j < n; ++j) sum += std::exp(values[static_cast<size_t>(r * n + j)] - row_max);
      const long double lse = row_max + std::log(sum);
      for (int64_t j = 0; j < n; ++j) {
        const long double want_logp = values[static_cast<size_t>(r * n + j)] - lse;
        const size_t at = static_cast<size_t>(r * n + j);
        // lse = max + log(sum) is held to a double's rounding (~2e-15 at |lse| ~ 20), so
        // x - lse is within a float's ulp, or 4e-15 where that is smaller (PyTorch's float
        // arithmetic: ~1e-6).
        EXPECT_NEAR(logp[at], want_logp, 1.2e-7L * std::fabs(want_logp) + 4e-15L) << n;
        EXPECT_NEAR(p[at], std::exp(want_logp), 1.8e-7L * std::exp(want_logp)) << n;
      }
      const int64_t t = t_values[static_cast<size_t>(r)];
      const long double want_loss = lse - values[static_cast<size_t>(r * n + t)];
      EXPECT_NEAR(losses[static_cast<size_t>(r)], want_loss, 6e-8L * std::max(1.0L, want_loss)) << n;
    }
  }
}

// Training cross_entropy's float32 gradient (probabilities from the one-exp-pass rows)
// against the float64 path on the same values: every row length, with and without class
// weights, label smoothing and an ignored row, within a float32 ulp or so of the largest
// gradient; the loss likewise.
TEST(SoftmaxRows, FloatCrossEntropyGradientMatchesTheDoublePath) {
  for (int64_t n = 1; n <= 37; ++n) {
    for (int variant = 0; variant < 3; ++variant) {
      const int64_t rows = 6;
      const std::vector<float> values = row_of<float>(rows * n, 101u + static_cast<uint32_t>(7 * n + variant));
      std::vector<int64_t> t(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) t[static_cast<size_t>(r)] = (r * 5 + variant) % n;
      F::ClassLossOptions options;
      if (variant >= 1) options.label_smoothing = 0.1;
      if (variant == 2) t[2] = -100;  // ignored: a zero gradient row
      const Tensor targets = tensor(t);
      Tensor grad32, grad64;
      double loss32 = 0.0, loss64 = 0.0;
      for (const DType dtype : {DType::Float32, DType::Float64}) {
        Tensor x = tensor(values).reshape({rows, n}).to(dtype).detach();
        x.requires_grad_(true);
        F::ClassLossOptions o = options;
        if (variant == 2) {
          std::vector<double> w(static_cast<size_t>(n));
          for (int64_t j = 0; j < n; ++j) w[static_cast<size_t>(j)] = 0.5 + 0.1 * static_cast<double>(j % 7);
          o.weight = tensor(w).to(dtype);
        }
        Tensor loss = F::cross_entropy(x, targets, o);
        loss.backward();
        (dtype == DType::Float32 ? loss32 : loss64) = loss.to(DType::Float64).item<double>();
        (dtype == DType::Float32 ? grad32 : grad64) = x.grad().to(DType::Float64);
      }
      EXPECT_NEAR(loss32, loss64, 2.4e-7 * std::max(1.0, std::fabs(loss64))) << n << " variant " << variant;
      const std::vector<double> g32 = grad32.to_vector<double>(), g64 = grad64.to_vector<double>();
      double largest = 0.0;
      for (double g : g64) largest = std::max(largest, std::fabs(g));
      for (size_t k = 0; k < g64.size(); ++k)
        ASSERT_NEAR(g32[k], g64[k], 3e-7 * largest + 1e-30) << "n " << n << " variant " << variant << " at " << k;
    }
  }
}

}  // namespace
}  // namespace ember
