// Test helpers: expect an ember::Error whose message contains a phrase, and
// compare a tensor's values with an expected vector.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <ember/ember.h>

#define EXPECT_EMBER_ERROR(stmt, phrase)                                                   \
  do {                                                                                     \
    try {                                                                                  \
      stmt;                                                                                \
      ADD_FAILURE() << "expected ember::Error containing \"" << (phrase) << "\"";          \
    } catch (const ::ember::Error& e) {                                                    \
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos)                    \
          << "message was: " << e.what();                                                  \
    }                                                                                      \
  } while (0)

namespace ember::testing {

// The largest |a - b| over two tensors of one shape, compared in float64: a NaN on both
// sides is equal, a NaN (or an infinity) on one side only is an infinite difference.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double worst = 0;
  for (size_t i = 0; i < va.size() && i < vb.size(); ++i) {
    if (std::isnan(va[i]) && std::isnan(vb[i])) continue;
    if (va[i] == vb[i]) continue;  // equal infinities too
    const double diff = std::abs(va[i] - vb[i]);
    worst = std::isnan(diff) ? std::numeric_limits<double>::infinity() : std::max(worst, diff);
  }
  return worst;
}

// `to` gets copies of `from`'s weight, bias (leaves requiring grad) and running statistics.
inline void copy_batch_norm_state(const nn::BatchNormBase& from, nn::BatchNormBase& to) {
  NoGradGuard no_grad;
  to.weight = from.weight.clone().requires_grad_(true);
  to.bias = from.bias.clone().requires_grad_(true);
  to.running_mean = from.running_mean.clone();
  to.running_var = from.running_var.clone();
}

// n standard-normal values from a fixed seed (independent of ember's generator).
inline std::vector<double> random_values(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist;
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = dist(gen);
  return v;
}

// A float64 leaf of `shape`, uniform in [lo, hi), that requires grad (gradcheck input).
inline Tensor grad_input(const Dims& shape, double lo = -1.0, double hi = 1.0) {
  Tensor t = rand(shape, kFloat64);
  {
    NoGradGuard g;
    t.mul_(hi - lo).add_(lo);
  }
  return t.requires_grad_(true);
}

// gradcheck that reports the first mismatch on failure.
inline void expect_gradcheck(const autograd::GradcheckFn& fn, const std::vector<Tensor>& in,
                             const autograd::GradcheckOptions& options = {}) {
  auto r = autograd::gradcheck_report(fn, in, options);
  EXPECT_TRUE(r.ok) << r.message;
}

// Runs fn in a fresh process (gtest's threadsafe death-test style re-runs the test binary),
// where a warning logged once per process is logged again, and expects its stderr to match
// `regex` (POSIX extended; "" expects nothing in particular) and fn to return normally.
inline void expect_logged_in_fresh_process(const std::function<void()>& fn, const std::string& regex) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        fn();
        std::fflush(nullptr);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), regex);
}

// The message of the ember::Error that fn throws, or "<no error>".
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// A float64 leaf tensor that requires grad.
inline Tensor leaf(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, TensorOptions(kFloat64).requires_grad(true));
}

// t's values within tol of expected's (an expected NaN wants a NaN).
inline void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at index " << i << ": " << got[i];
    } else {
      EXPECT_NEAR(got[i], expected[i], tol) << "at index " << i;
    }
  }
}

// t's values exactly expected's, the sign of a zero too (an expected NaN wants a NaN).
inline void expect_exact(const Tensor& t, const std::vector<double>& expected) {
  const std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at index " << i << ": " << got[i];
    } else {
      EXPECT_EQ(got[i], expected[i]) << "at index " << i;
      EXPECT_EQ(std::signbit(got[i]), std::signbit(expected[i])) << "the sign at index " << i;
    }
  }
}

// The names of a state dict's entries, or a module's parameters, in order.
inline std::vector<std::string> names_of(const nn::StateDict& d) {
  std::vector<std::string> out;
  for (const auto& [name, value] : d) out.push_back(name);
  return out;
}
inline std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, p] : m.named_parameters()) out.push_back(name);
  return out;
}

// A CUDA result against the CPU's: same dtype and shape, values within tol (NaN matching
// NaN, an infinity only itself).
inline void expect_same(const Tensor& cpu, const Tensor& gpu, double tol = 0.0) {
  ASSERT_TRUE(gpu.is_cuda());
  EXPECT_EQ(gpu.dtype(), cpu.dtype());
  ASSERT_EQ(gpu.sizes(), cpu.sizes());
  const auto a = cpu.to_vector<double>(), b = gpu.cpu().to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << "at " << i;
    } else if (a[i] != b[i]) {
      EXPECT_NEAR(a[i], b[i], tol) << "at " << i;
    }
  }
}

// Convolutions in full float32 for a test's scope: NCHW and NHWC (or the CPU and CUDA) may
// run different engines, and TF32's rounding (~1e-3) would swamp the comparison.
class NoTf32 {
 public:
  NoTf32() : previous_(cudnn::allow_tf32()) { cudnn::set_allow_tf32(false); }
  ~NoTf32() { cudnn::set_allow_tf32(previous_); }
  NoTf32(const NoTf32&) = delete;
  NoTf32& operator=(const NoTf32&) = delete;

 private:
  bool previous_;
};

}  // namespace ember::testing
