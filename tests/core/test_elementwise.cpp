// Elementwise ops against plain loops in float64 (and other dtypes): unary, binary,
// scalar forms, broadcasting, strided inputs, type promotion, where, clamp, in-place
// ops and their version bumps, bad input, and large (parallel) tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_values;

std::vector<double> values(int64_t n, double lo, double hi, uint64_t seed) {
  manual_seed(seed);
  return (rand({n}, kFloat64) * (hi - lo) + lo).to_vector<double>();
}

void check_unary(const std::function<Tensor(const Tensor&)>& op, double (*ref)(double), double lo, double hi) {
  auto v = values(37, lo, hi, 7);
  Tensor t = tensor(v, {37}, kFloat64);
  auto got = op(t).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(got[i], ref(v[i]), 1e-12) << "x=" << v[i];
  // float32 agrees with the float64 reference within float precision
  auto got32 = op(t.to(kFloat32)).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(got32[i], ref(v[i]), 1e-5 * (1 + std::abs(ref(v[i]))));
}

TEST(ElementwiseUnary, MatchesPlainLoops) {
  check_unary([](const Tensor& t) { return -t; }, [](double x) { return -x; }, -3, 3);
  check_unary([](const Tensor& t) { return t.exp(); }, [](double x) { return std::exp(x); }, -3, 3);
  check_unary([](const Tensor& t) { return t.log(); }, [](double x) { return std::log(x); }, 0.1, 5);
  check_unary([](const Tensor& t) { return t.sqrt(); }, [](double x) { return std::sqrt(x); }, 0, 5);
  check_unary([](const Tensor& t) { return t.abs(); }, [](double x) { return std::abs(x); }, -3, 3);
  check_unary([](const Tensor& t) { return t.relu(); }, [](double x) { return x > 0 ? x : 0.0; }, -3, 3);
  check_unary([](const Tensor& t) { return t.sigmoid(); }, [](double x) { return 1 / (1 + std::exp(-x)); }, -5, 5);
  check_unary([](const Tensor& t) { return t.tanh(); }, [](double x) { return std::tanh(x); }, -3, 3);
  check_unary([](const Tensor& t) { return t.pow(3.0); }, [](double x) { return x * x * x; }, -2, 2);
  check_unary([](const Tensor& t) { return t.pow(0.5); }, [](double x) { return std::sqrt(x); }, 0, 4);
  check_unary([](const Tensor& t) { return t.clamp(-0.5, 0.25); },
              [](double x) { return std::min(std::max(x, -0.5), 0.25); }, -1, 1);
}

void check_binary(const std::function<Tensor(const Tensor&, const Tensor&)>& op, double (*ref)(double, double),
                  double lo = -3, double hi = 3) {
  auto a = values(24, lo, hi, 11), b = values(24, lo, hi, 12);
  Tensor ta = tensor(a, {2, 3, 4}, kFloat64), tb = tensor(b, {2, 3, 4}, kFloat64);
  auto got = op(ta, tb).to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(got[i], ref(a[i], b[i]), 1e-12);
  // broadcasting: b's first row against every row of a
  Tensor row = tb.select(0, 0).select(0, 0);  // shape [4]
  auto bc = op(ta, row).to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(bc[i], ref(a[i], b[i % 4]), 1e-12);
}

TEST(ElementwiseBinary, MatchesPlainLoopsWithAndWithoutBroadcast) {
  check_binary([](const Tensor& a, const Tensor& b) { return a + b; }, [](double x, double y) { return x + y; });
  check_binary([](const Tensor& a, const Tensor& b) { return add(a, b, 2.5); }, [](double x, double y) { return x + 2.5 * y; });
  check_binary([](const Tensor& a, const Tensor& b) { return a - b; }, [](double x, double y) { return x - y; });
  check_binary([](const Tensor& a, const Tensor& b) { return a * b; }, [](double x, double y) { return x * y; });
  check_binary([](const Tensor& a, const Tensor& b) { return a / b; }, [](double x, double y) { return x / y; }, 0.5, 3);
  check_binary([](const Tensor& a, const Tensor& b) { return pow(a, b); }, [](double x, double y) { return std::pow(x, y); }, 0.5, 2);
  check_binary([](const Tensor& a, const Tensor& b) { return maximum(a, b); }, [](double x, double y) { return std::max(x, y); });
  check_binary([](const Tensor& a, const Tensor& b) { return minimum(a, b); }, [](double x, double y) { return std::min(x, y); });
  check_binary([](const Tensor& a, const Tensor& b) { return (a < b).to(kFloat64); }, [](double x, double y) { return x < y ? 1.0 : 0.0; });
  check_binary([](const Tensor& a, const Tensor& b) { return (a >= b).to(kFloat64); }, [](double x, double y) { return x >= y ? 1.0 : 0.0; });
}

TEST(ElementwiseScalar, BothSides) {
  Tensor t = tensor(std::vector<double>{1, 2, 4}, {3});
  expect_values(t + 1.0, {2, 3, 5});
  expect_values(1.0 - t, {0, -1, -3});
  expect_values(t * 3, {3, 6, 12});
  expect_values(t / 2.0, {0.5, 1, 2});
  expect_values(8.0 / t, {8, 4, 2});
  expect_values((t > 1.5).to(kFloat64), {0, 1, 1});
  EXPECT_EQ((t == 2.0).dtype(), kBool);
}

TEST(ElementwiseBroadcast, Shapes) {
  Tensor a = arange(0, 3, 1, kFloat64).view({3, 1});
  Tensor b = arange(0, 4, 1, kFloat64).view({1, 4});
  Tensor c = a * 10.0 + b;
  EXPECT_EQ(c.sizes(), (Dims{3, 4}));
  expect_values(c, {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23});
  Tensor s = full({}, 5.0, kFloat64);  // 0-dim
  EXPECT_EQ((s + ones({2, 3}, kFloat64)).sizes(), (Dims{2, 3}));
  EXPECT_EMBER_ERROR(ones({2, 3}) + ones({4}), "must match the size");
}

TEST(ElementwiseStrided, NonContiguousInputsMatchContiguousCopies) {
  manual_seed(3);
  Tensor a = randn({4, 5}, kFloat64);
  Tensor b = randn({5, 4}, kFloat64);
  Tensor at = b.t();  // [4, 5], transposed strides
  EXPECT_TRUE(allclose(a * at, a * at.contiguous()));
  Tensor sl = randn({4, 10}, kFloat64).slice(1, 0, 10, 2);  // stride 2
  EXPECT_TRUE(allclose((a + sl).exp(), (a + sl.contiguous()).exp()));
  Tensor ex = randn({1, 5}, kFloat64).expand({4, 5});
  EXPECT_TRUE(allclose(a - ex, a - ex.contiguous()));
}

TEST(ElementwisePromotion, FollowsPyTorch) {
  Tensor i = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  Tensor f = ones({3});
  Tensor d = ones({3}, kFloat64);
  Tensor b = tensor(std::vector<bool>{true, false, true}, {3});
  EXPECT_EQ((i + f).dtype(), kFloat32);
  EXPECT_EQ((f + d).dtype(), kFloat64);
  EXPECT_EQ((b + i).dtype(), kInt64);
  EXPECT_EQ((i + 2).dtype(), kInt64);
  EXPECT_EQ((i + 2.5).dtype(), kFloat32);
  EXPECT_EQ((i / i).dtype(), kFloat32);
  expect_values(i / tensor(std::vector<int64_t>{2, 2, 2}, {3}), {0.5, 1, 1.5});
  EXPECT_EQ(i.exp().dtype(), kFloat32);
  EXPECT_EQ((b * b).dtype(), kBool);
  EXPECT_EMBER_ERROR(-b, "on a bool tensor is not supported");
}

TEST(ElementwiseWhere, PicksByCondition) {
  Tensor x = tensor(std::vector<double>{-1, 2, -3, 4}, {4});
  expect_values(where(x > 0.0, x, zeros({4}, kFloat64)), {0, 2, 0, 4});
  expect_values(where(x > 0.0, Scalar(1.0), x), {-1, 1, -3, 1});
  expect_values(where(x > 0.0, x, Scalar(-9.0)), {-9, 2, -9, 4});
  EXPECT_EMBER_ERROR(where(x, x, x), "boolean");
}

TEST(ElementwiseClamp, MinOnlyMaxOnlyBoth) {
  Tensor x = tensor(std::vector<double>{-2, -0.5, 0.5, 2}, {4});
  expect_values(x.clamp(-1.0), {-1, -0.5, 0.5, 2});
  expect_values(x.clamp(std::nullopt, 1.0), {-2, -0.5, 0.5, 1});
  expect_values(x.clamp(-1.0, 1.0), {-1, -0.5, 0.5, 1});
  EXPECT_EMBER_ERROR(x.clamp(std::nullopt, std::nullopt), "At least one of 'min' or 'max'");
}

TEST(ElementwiseInplace, BumpsVersionAndViewsSeeIt) {
  Tensor x = zeros({2, 3}, kFloat64);
  Tensor row = x.select(0, 1);
  row.add_(2.0);
  EXPECT_EQ(x.version(), 1u);
  EXPECT_EQ(row.version(), 1u);
  expect_values(x, {0, 0, 0, 2, 2, 2});
  x.mul_(tensor(std::vector<double>{1, 2, 3}, {3}));
  expect_values(x, {0, 0, 0, 2, 4, 6});
  x.sub_(1.0).div_(2.0);
  expect_values(x, {-0.5, -0.5, -0.5, 0.5, 1.5, 2.5});
  x.clamp_(0.0, 2.0).neg_();
  expect_values(x, {0, 0, 0, -0.5, -1.5, -2});
  x.relu_();
  expect_values(x, {0, 0, 0, 0, 0, 0});
  x.fill_(7);
  expect_values(x, {7, 7, 7, 7, 7, 7});
  x.copy_(arange(0, 3, 1, kInt64));  // broadcasts, converts
  expect_values(x, {0, 1, 2, 0, 1, 2});
  x.zero_();
  EXPECT_EQ(x.version(), 10u);
}

TEST(ElementwiseInplace, Errors) {
  Tensor i = zeros({3}, kInt64);
  EXPECT_EMBER_ERROR(i.add_(ones({3})), "result type Float can't be cast to the desired output type Long");
  Tensor small = zeros({3}, kFloat64);
  EXPECT_EMBER_ERROR(small.add_(ones({2, 3}, kFloat64)), "doesn't match the broadcast shape");
  EXPECT_EMBER_ERROR(small.copy_(ones({4})), "cannot be broadcast");
}

TEST(ElementwiseInplace, OverlappingOperandIsCopiedFirst) {
  Tensor x = arange(0, 4, 1, kFloat64).view({2, 2});
  x.add_(x.t());  // reads the transpose of what it writes
  expect_values(x, {0, 3, 3, 6});
}

TEST(ElementwiseLarge, ParallelMatchesSerial) {
  const int64_t n = (1 << 20) + 3;
  manual_seed(5);
  Tensor a = randn({n});
  Tensor b = randn({n});
  auto got = (a * b + 1.0f).to_vector<float>();
  auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  for (int64_t i = 0; i < n; i += 997) ASSERT_FLOAT_EQ(got[i], va[i] * vb[i] + 1.0f);
  ASSERT_FLOAT_EQ(got[n - 1], va[n - 1] * vb[n - 1] + 1.0f);
}

}  // namespace
}  // namespace ember
