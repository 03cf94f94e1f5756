// Elementwise ops against plain loops: every unary and binary op in float64, float32,
// int64 and bool, scalar forms, broadcasting, strided inputs and outputs, type
// promotion, where, clamp, copy's conversions, in-place ops and their versions, bad
// input, the shared functors, and large tensors whose work is split across cores.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include <ember/ember.h>

#include "core/functors.h"
#include "core/native.h"
#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_values;
using UnaryFn = std::function<Tensor(const Tensor&)>;
using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> uniform_values(int64_t n, double lo, double hi, uint64_t seed) {
  manual_seed(seed);
  return (rand({n}, kFloat64) * (hi - lo) + lo).to_vector<double>();
}

// Every element of op(t) for t in [lo, hi) against ref in float64, and float32 within float precision.
void check_unary(const char* name, const UnaryFn& op, double (*ref)(double), double lo, double hi) {
  SCOPED_TRACE(name);
  const std::vector<double> v = uniform_values(37, lo, hi, 7);
  const Tensor t = tensor(v, {37}, kFloat64);
  const Tensor got = op(t);
  ASSERT_EQ(got.dtype(), kFloat64);
  const std::vector<double> g64 = got.to_vector<double>();
  const std::vector<double> g32 = op(t.to(kFloat32)).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_NEAR(g64[i], ref(v[i]), 1e-12) << "x=" << v[i];
    EXPECT_NEAR(g32[i], ref(v[i]), 1e-5 * (1 + std::abs(ref(v[i])))) << "x=" << v[i];
  }
}

TEST(ElementwiseUnary, MatchesPlainLoops) {
  check_unary("neg", [](const Tensor& t) { return -t; }, [](double x) { return -x; }, -3, 3);
  check_unary("exp", [](const Tensor& t) { return t.exp(); }, [](double x) { return std::exp(x); }, -3, 3);
  check_unary("log", [](const Tensor& t) { return t.log(); }, [](double x) { return std::log(x); }, 0.1, 5);
  check_unary("sqrt", [](const Tensor& t) { return t.sqrt(); }, [](double x) { return std::sqrt(x); }, 0, 5);
  check_unary("abs", [](const Tensor& t) { return t.abs(); }, [](double x) { return std::abs(x); }, -3, 3);
  check_unary("relu", [](const Tensor& t) { return t.relu(); }, [](double x) { return x > 0 ? x : 0.0; }, -3, 3);
  check_unary("sigmoid", [](const Tensor& t) { return t.sigmoid(); }, [](double x) { return 1 / (1 + std::exp(-x)); }, -5, 5);
  check_unary("tanh", [](const Tensor& t) { return t.tanh(); }, [](double x) { return std::tanh(x); }, -3, 3);
  check_unary("pow 3", [](const Tensor& t) { return t.pow(3.0); }, [](double x) { return x * x * x; }, -2, 2);
  check_unary("pow 2", [](const Tensor& t) { return t.pow(2); }, [](double x) { return x * x; }, -2, 2);
  check_unary("pow 0.5", [](const Tensor& t) { return t.pow(0.5); }, [](double x) { return std::sqrt(x); }, 0, 4);
  check_unary("pow -1.5", [](const Tensor& t) { return t.pow(-1.5); }, [](double x) { return std::pow(x, -1.5); }, 0.5, 4);
  check_unary("clamp", [](const Tensor& t) { return t.clamp(-0.5, 0.25); },
              [](double x) { return std::min(std::max(x, -0.5), 0.25); }, -1, 1);
}

TEST(ElementwiseUnary, IntegerAndBoolTensors) {
  const Tensor i = tensor(std::vector<int64_t>{-3, -1, 0, 2, 5}, {5});
  EXPECT_EQ((-i).dtype(), kInt64);
  expect_values(-i, {3, 1, 0, -2, -5});
  expect_values(i.abs(), {3, 1, 0, 2, 5});
  expect_values(i.relu(), {0, 0, 0, 2, 5});
  expect_values(i.pow(3), {-27, -1, 0, 8, 125});
  EXPECT_EQ(i.pow(3).dtype(), kInt64);
  EXPECT_EQ(i.clamp(-1, 2).dtype(), kInt64);
  expect_values(i.clamp(-1, 2), {-1, -1, 0, 2, 2});
  // transcendental ops promote integers and bools to float32, like PyTorch
  for (const Tensor& t : {i, tensor(std::vector<bool>{true, false, true, true, false}, {5})}) {
    const std::vector<double> v = t.to_vector<double>();
    EXPECT_EQ(t.exp().dtype(), kFloat32);
    EXPECT_EQ(t.sigmoid().dtype(), kFloat32);
    const std::vector<double> e = t.exp().to_vector<double>(), th = t.tanh().to_vector<double>();
    for (size_t k = 0; k < v.size(); ++k) {
      EXPECT_NEAR(e[k], std::exp(v[k]), 1e-5 * std::exp(v[k]));
      EXPECT_NEAR(th[k], std::tanh(v[k]), 1e-6);
    }
  }
  expect_values(tensor(std::vector<int64_t>{4, 9}, {2}).sqrt(), {2, 3});
  EXPECT_EMBER_ERROR(i.pow(-1), "Integers to negative integer powers are not allowed");
  expect_values(tensor(std::vector<int64_t>{-2, 1, 4}, {3}).pow(-1.0), {-0.5, 1, 0.25});
}

TEST(ElementwiseUnary, NaNPropagates) {
  const Tensor t = tensor(std::vector<double>{kNaN, -1, 2}, {3});
  for (const Tensor& r : {t.relu(), t.clamp(0.0, 1.0), t.clamp(0.0), t.abs(), -t}) EXPECT_TRUE(std::isnan(r.to_vector<double>()[0]));
  expect_values(t.relu().slice(0, 1), {0, 2});
}

// op(a, b) on [2, 3, 4] operands and on [2, 3, 4] x [4] (broadcast row) against ref.
void check_binary(const char* name, const BinaryFn& op, double (*ref)(double, double), double lo = -3, double hi = 3) {
  SCOPED_TRACE(name);
  const std::vector<double> a = uniform_values(24, lo, hi, 11), b = uniform_values(24, lo, hi, 12);
  const Tensor ta = tensor(a, {2, 3, 4}, kFloat64), tb = tensor(b, {2, 3, 4}, kFloat64);
  const std::vector<double> got = op(ta, tb).to(kFloat64).to_vector<double>();
  const std::vector<double> got32 = op(ta.to(kFloat32), tb.to(kFloat32)).to(kFloat64).to_vector<double>();
  const std::vector<double> row = op(ta, tb.select(0, 0).select(0, 0)).to(kFloat64).to_vector<double>();
  const std::vector<double> row_first = op(tb.select(0, 0).select(0, 0), ta).to(kFloat64).to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(got[i], ref(a[i], b[i]), 1e-12);
    EXPECT_NEAR(got32[i], ref(a[i], b[i]), 1e-5 * (1 + std::abs(ref(a[i], b[i]))));
    EXPECT_NEAR(row[i], ref(a[i], b[i % 4]), 1e-12);
    EXPECT_NEAR(row_first[i], ref(b[i % 4], a[i]), 1e-12);
  }
}

TEST(ElementwiseBinary, MatchesPlainLoopsWithAndWithoutBroadcast) {
  check_binary("add", [](const Tensor& a, const Tensor& b) { return a + b; }, [](double x, double y) { return x + y; });
  check_binary("add alpha", [](const Tensor& a, const Tensor& b) { return add(a, b, 2.5); }, [](double x, double y) { return x + 2.5 * y; });
  check_binary("sub", [](const Tensor& a, const Tensor& b) { return a - b; }, [](double x, double y) { return x - y; });
  check_binary("sub alpha", [](const Tensor& a, const Tensor& b) { return sub(a, b, -2); }, [](double x, double y) { return x + 2 * y; });
  check_binary("mul", [](const Tensor& a, const Tensor& b) { return a * b; }, [](double x, double y) { return x * y; });
  check_binary("div", [](const Tensor& a, const Tensor& b) { return a / b; }, [](double x, double y) { return x / y; }, 0.5, 3);
  check_binary("pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, [](double x, double y) { return std::pow(x, y); }, 0.5, 2);
  check_binary("maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, [](double x, double y) { return std::max(x, y); });
  check_binary("minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, [](double x, double y) { return std::min(x, y); });
  check_binary("eq", [](const Tensor& a, const Tensor& b) { return a == b; }, [](double x, double y) { return double(x == y); });
  check_binary("ne", [](const Tensor& a, const Tensor& b) { return a != b; }, [](double x, double y) { return double(x != y); });
  check_binary("lt", [](const Tensor& a, const Tensor& b) { return a < b; }, [](double x, double y) { return double(x < y); });
  check_binary("le", [](const Tensor& a, const Tensor& b) { return a <= b; }, [](double x, double y) { return double(x <= y); });
  check_binary("gt", [](const Tensor& a, const Tensor& b) { return a > b; }, [](double x, double y) { return double(x > y); });
  check_binary("ge", [](const Tensor& a, const Tensor& b) { return a >= b; }, [](double x, double y) { return double(x >= y); });
}

TEST(ElementwiseBinary, IntegerAndBoolTensors) {
  const Tensor a = tensor(std::vector<int64_t>{-7, -2, 0, 3, 9}, {5});
  const Tensor b = tensor(std::vector<int64_t>{2, 3, -4, 3, 2}, {5});
  EXPECT_EQ((a * b).dtype(), kInt64);
  expect_values(a + b, {-5, 1, -4, 6, 11});
  expect_values(add(a, b, 3), {-1, 7, -12, 12, 15});
  expect_values(a - b, {-9, -5, 4, 0, 7});
  expect_values(a * b, {-14, -6, 0, 9, 18});
  expect_values(pow(a, b), {49, -8, 0, 27, 81});
  expect_values(maximum(a, b), {2, 3, 0, 3, 9});
  expect_values(minimum(a, b), {-7, -2, -4, 3, 2});
  expect_values(a == b, {0, 0, 0, 1, 0});
  expect_values(a >= b, {0, 0, 1, 1, 1});
  // int64 stays exact past 2^53
  const Tensor big = tensor(std::vector<int64_t>{(int64_t{1} << 53) + 1}, {1});
  EXPECT_EQ((big + tensor(std::vector<int64_t>{2}, {1})).item<int64_t>(), (int64_t{1} << 53) + 3);
  EXPECT_EQ(pow(tensor(std::vector<int64_t>{3}, {1}), tensor(std::vector<int64_t>{39}, {1})).item<int64_t>(),
            4052555153018976267);
  // bool: + is or, * is and, comparisons work, results stay bool
  const Tensor p = tensor(std::vector<bool>{true, true, false, false}, {4});
  const Tensor q = tensor(std::vector<bool>{true, false, true, false}, {4});
  EXPECT_EQ((p + q).dtype(), kBool);
  expect_values(p + q, {1, 1, 1, 0});
  expect_values(p * q, {1, 0, 0, 0});
  expect_values(p == q, {1, 0, 0, 1});
  expect_values(maximum(p, q), {1, 1, 1, 0});
  EXPECT_EMBER_ERROR(p - q, "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^`");
  EXPECT_EMBER_ERROR(p - 1, "with a bool tensor is not supported. If you are trying to invert a mask");
  EXPECT_EMBER_ERROR(p - ones({4}), "with a bool tensor is not supported");
  EXPECT_EMBER_ERROR(ones({2, 3}).copy_(ones({4})),
                     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1");
  EXPECT_EMBER_ERROR(ones({3}).copy_(ones({2, 3})), "output with shape [3] doesn't match the broadcast shape [2, 3]");
  // A number where() does not choose cannot overflow: it is inf in float16 where chosen.
  const Tensor chosen = where(tensor(std::vector<double>{0.0, 1.0}) < 0.5, ones({2}, kHalf), 1e5);
  EXPECT_EQ(chosen.dtype(), kHalf);
  EXPECT_EQ(chosen.to(kFloat64).to_vector<double>(),
            (std::vector<double>{1.0, std::numeric_limits<double>::infinity()}));
}

TEST(ElementwiseBinary, ReluGradPassesGradientOnlyWherePositive) {
  // relu's backward: the gradient where y > 0; 0 where y is 0, negative or NaN, whatever
  // the gradient (also inf or NaN), as PyTorch's threshold_backward.
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const Tensor y = tensor(std::vector<float>{-1, 0, 2, nan, 0, 3, 1e-30f});
  const Tensor g = tensor(std::vector<float>{1, 2, 3, 4, nan, inf, -5});
  EXPECT_EQ(native::relu_grad(g, y).to_vector<float>(), (std::vector<float>{0, 0, 3, 0, 0, inf, -5}));
  Tensor x = tensor(std::vector<double>{-2, 0.5, 3}).requires_grad_(true);
  x.relu().sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 1, 1}));
}

TEST(ElementwiseBinary, MaximumMinimumPropagateNaN) {
  const Tensor a = tensor(std::vector<double>{kNaN, 1, 2}, {3});
  const Tensor b = tensor(std::vector<double>{0, kNaN, 3}, {3});
  for (const Tensor& r : {maximum(a, b), minimum(a, b), maximum(b, a), minimum(b, a)}) {
    const std::vector<double> v = r.to_vector<double>();
    EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1])) << r;
  }
  EXPECT_EQ(maximum(a, b).to_vector<double>()[2], 3);
  EXPECT_EQ(minimum(a, b).to_vector<double>()[2], 2);
}

TEST(ElementwiseScalar, BothSidesAndAllOps) {
  const Tensor t = tensor(std::vector<double>{1, 2, 4}, {3});
  expect_values(t + 1.0, {2, 3, 5});
  expect_values(2 + t, {3, 4, 6});
  expect_values(t - 1, {0, 1, 3});
  expect_values(1.0 - t, {0, -1, -3});
  expect_values(t * 3, {3, 6, 12});
  expect_values(0.5 * t, {0.5, 1, 2});
  expect_values(t / 2.0, {0.5, 1, 2});
  expect_values(8.0 / t, {8, 4, 2});
  expect_values(t > 1.5, {0, 1, 1});
  expect_values(t >= 2, {0, 1, 1});
  expect_values(t < 2, {1, 0, 0});
  expect_values(t <= 2, {1, 1, 0});
  expect_values(t == 2.0, {0, 1, 0});
  expect_values(t != 2.0, {1, 0, 1});
  expect_values(t.eq(4), {0, 0, 1});
  EXPECT_EQ((t == 2.0).dtype(), kBool);
  const Tensor i = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  expect_values(i < 2.5, {1, 1, 0});
  expect_values(7 / i, {7, 3.5, 7.0 / 3});
  expect_values(rsub(i, 10), {9, 8, 7});
}

TEST(ElementwiseBroadcast, Shapes) {
  const Tensor a = arange(0, 3, 1, kFloat64).view({3, 1});
  const Tensor b = arange(0, 4, 1, kFloat64).view({1, 4});
  const Tensor c = a * 10.0 + b;
  EXPECT_EQ(c.sizes(), (Dims{3, 4}));
  expect_values(c, {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23});
  const Tensor m = arange(0, 6, 1, kFloat64).view({2, 3});
  const Tensor row = tensor(std::vector<double>{10, 20, 30}, {3});
  expect_values(m + row, {10, 21, 32, 13, 24, 35});
  expect_values(row - m, {10, 19, 28, 7, 16, 25});
  const Tensor s = full({}, 5.0, kFloat64);  // 0-dim
  EXPECT_EQ((s + m).sizes(), (Dims{2, 3}));
  expect_values(s * m, {0, 5, 10, 15, 20, 25});
  expect_values(m - s, {-5, -4, -3, -2, -1, 0});
  EXPECT_EQ((s + s).dim(), 0);
  EXPECT_EMBER_ERROR(ones({2, 3}) + ones({4}), "must match the size");
  EXPECT_EQ((ones({0, 3}) + ones({3})).numel(), 0);
}

TEST(ElementwiseStrided, NonContiguousInputsMatchContiguousCopies) {
  manual_seed(3);
  const Tensor a = randn({4, 5}, kFloat64);
  const Tensor at = randn({5, 4}, kFloat64).t();  // [4, 5], transposed strides
  expect_values(a * at, (a * at.contiguous()).to_vector<double>(), 0);
  const Tensor sl = randn({4, 10}, kFloat64).slice(1, 0, 10, 2);  // stride 2
  expect_values((a + sl).exp(), (a + sl.contiguous()).exp().to_vector<double>(), 0);
  const Tensor ex = randn({1, 5}, kFloat64).expand({4, 5});
  expect_values(a - ex, (a - ex.contiguous()).to_vector<double>(), 0);
  const Tensor cube = randn({3, 4, 5}, kFloat64);
  const Tensor perm = cube.permute({2, 0, 1});  // [5, 3, 4]
  expect_values(perm.sigmoid(), perm.contiguous().sigmoid().to_vector<double>(), 0);
  expect_values(maximum(perm, perm.contiguous() * 0.5), maximum(perm.contiguous(), perm.contiguous() * 0.5).to_vector<double>(), 0);
  expect_values(where(perm > 0.0, perm, 0.0), perm.contiguous().relu().to_vector<double>(), 0);
}

TEST(ElementwiseStrided, WritesIntoNonContiguousOutputs) {
  Tensor x = zeros({3, 2}, kFloat64);
  x.t().copy_(arange(0, 6, 1, kFloat64).view({2, 3}));
  expect_values(x, {0, 3, 1, 4, 2, 5});
  Tensor y = zeros({2, 4}, kFloat64);
  y.slice(1, 0, 4, 2).fill_(1.5);
  expect_values(y, {1.5, 0, 1.5, 0, 1.5, 0, 1.5, 0});
  y.slice(1, 1, 4, 2).add_(tensor(std::vector<double>{1, 2}, {2, 1}));
  expect_values(y, {1.5, 1, 1.5, 1, 1.5, 2, 1.5, 2});
}

TEST(ElementwisePromotion, FollowsPyTorch) {
  const Tensor i = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  const Tensor f = ones({3});
  const Tensor d = ones({3}, kFloat64);
  const Tensor b = tensor(std::vector<bool>{true, false, true}, {3});
  const Tensor u = tensor(std::vector<uint8_t>{1, 2, 250}, {3});
  EXPECT_EQ((i + f).dtype(), kFloat32);
  EXPECT_EQ((f + d).dtype(), kFloat64);
  EXPECT_EQ((b + i).dtype(), kInt64);
  EXPECT_EQ((u + i).dtype(), kInt64);
  EXPECT_EQ((u + b).dtype(), kUInt8);
  EXPECT_EQ((i + 2).dtype(), kInt64);
  EXPECT_EQ((i + 2.5).dtype(), kFloat32);
  EXPECT_EQ((b + 2).dtype(), kInt64);
  EXPECT_EQ((f * 2.5).dtype(), kFloat32);  // a double scalar does not widen a float32 tensor
  EXPECT_EQ((i / i).dtype(), kFloat32);
  EXPECT_EQ((b / b).dtype(), kFloat32);
  EXPECT_EQ((i / 2).dtype(), kFloat32);
  EXPECT_EQ((i > f).dtype(), kBool);
  EXPECT_EQ(pow(i, 2.0).dtype(), kFloat32);
  expect_values(i + 2.5, {3.5, 4.5, 5.5});
  expect_values(i / tensor(std::vector<int64_t>{2, 2, 2}, {3}), {0.5, 1, 1.5});
  expect_values(u + u, {2, 4, 244});  // uint8 wraps
  expect_values(b + i, {2, 2, 4});
  EXPECT_EQ((b * b).dtype(), kBool);
  EXPECT_EMBER_ERROR(-b, "Negation, the `-` operator, on a bool tensor is not supported.");
  EXPECT_EMBER_ERROR(add(i, i, 0.5), "For integral input tensors, argument alpha must not be a floating point number");
}

TEST(ElementwiseWhere, PicksByConditionWithBroadcastAndPromotion) {
  const Tensor x = tensor(std::vector<double>{-1, 2, -3, 4}, {4});
  expect_values(where(x > 0.0, x, zeros({4}, kFloat64)), {0, 2, 0, 4});
  expect_values(where(x > 0.0, Scalar(1.0), x), {-1, 1, -3, 1});
  expect_values(where(x > 0.0, x, Scalar(-9.0)), {-9, 2, -9, 4});
  const Tensor cond = tensor(std::vector<bool>{true, false}, {2, 1});
  const Tensor picked = where(cond, tensor(std::vector<int64_t>{1, 2, 3}, {3}), ones({1}, kFloat32) * 7);
  EXPECT_EQ(picked.dtype(), kFloat32);
  EXPECT_EQ(picked.sizes(), (Dims{2, 3}));
  expect_values(picked, {1, 2, 3, 7, 7, 7});
  EXPECT_EMBER_ERROR(where(x, x, x), "where expected condition to be a boolean tensor");
  // uint8: read as bool after PyTorch's deprecation warning
  const Tensor byte_mask = tensor(std::vector<int64_t>{0, 3, 0, 1}, {4}).to(kUInt8);
  expect_values(where(byte_mask, x, zeros({4}, kFloat64)), {0, 2, 0, 4});
  const Tensor w = x.detach().requires_grad_(true);
  where(byte_mask, w * 2.0, w).sum().backward();
  expect_values(w.grad(), {1, 2, 1, 2});
}

TEST(ElementwiseClamp, MinOnlyMaxOnlyBothAndPromotion) {
  const Tensor x = tensor(std::vector<double>{-2, -0.5, 0.5, 2}, {4});
  expect_values(x.clamp(-1.0), {-1, -0.5, 0.5, 2});
  expect_values(x.clamp(std::nullopt, 1.0), {-2, -0.5, 0.5, 1});
  expect_values(x.clamp(-1.0, 1.0), {-1, -0.5, 0.5, 1});
  expect_values(x.clamp(1.0, -1.0), {-1, -1, -1, -1});  // min > max: everything is max
  expect_values(clamp(x, 0, std::nullopt), {0, 0, 0.5, 2});
  const Tensor i = tensor(std::vector<int64_t>{-2, 0, 2}, {3});
  EXPECT_EQ(i.clamp(0.5).dtype(), kFloat32);
  expect_values(i.clamp(0.5), {0.5, 0.5, 2});
  EXPECT_EMBER_ERROR(x.clamp(std::optional<Scalar>(), std::nullopt), "At least one of 'min' or 'max'");
  EXPECT_EMBER_ERROR(i.clone().clamp_(0.5), "result type Float can't be cast to the desired output type Long");
}

TEST(ElementwiseCopy, ConvertsBetweenDtypes) {
  const Tensor f = tensor(std::vector<double>{-2.7, -0.5, 0, 0.25, 3.9}, {5});
  expect_values(f.to(kBool), {1, 1, 0, 1, 1});
  expect_values(f.to(kInt64), {-2, 0, 0, 0, 3});  // truncation toward zero
  expect_values(f.to(kBool).to(kFloat32), {1, 1, 0, 1, 1});
  expect_values(tensor(std::vector<int64_t>{255, 256, 257}, {3}).to(kUInt8), {255, 0, 1});
  Tensor dst = zeros({2, 3}, kInt64);
  dst.copy_(tensor(std::vector<double>{1.9, -1.9, 2.5}, {3}));  // broadcasts and converts
  expect_values(dst, {1, -1, 2, 1, -1, 2});
  const Tensor strided = arange(0, 12, 1, kFloat32).view({3, 4}).t();
  expect_values(strided.contiguous(), {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  expect_values(strided.to(kFloat64), {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
}

TEST(ElementwiseInplace, EachOpBumpsVersionByOneAndViewsSeeIt) {
  Tensor x = zeros({2, 3}, kFloat64);
  Tensor row = x.select(0, 1);
  uint32_t expected_version = x.version();
  auto step = [&](const std::function<void()>& op, const std::vector<double>& values) {
    op();
    ++expected_version;
    EXPECT_EQ(x.version(), expected_version);
    EXPECT_EQ(row.version(), expected_version);  // views share the counter
    expect_values(x, values);
  };
  step([&] { row.add_(2.0); }, {0, 0, 0, 2, 2, 2});
  step([&] { x.mul_(tensor(std::vector<double>{1, 2, 3}, {3})); }, {0, 0, 0, 2, 4, 6});
  step([&] { x.sub_(1.0); }, {-1, -1, -1, 1, 3, 5});
  step([&] { x.div_(2.0); }, {-0.5, -0.5, -0.5, 0.5, 1.5, 2.5});
  step([&] { x.add_(ones({3}, kFloat64), 2); }, {1.5, 1.5, 1.5, 2.5, 3.5, 4.5});
  step([&] { x.sub_(ones({2, 1}, kFloat64)); }, {0.5, 0.5, 0.5, 1.5, 2.5, 3.5});
  step([&] { x.div_(full({}, 0.5, kFloat64)); }, {1, 1, 1, 3, 5, 7});
  step([&] { x.mul_(0.5); }, {0.5, 0.5, 0.5, 1.5, 2.5, 3.5});
  step([&] { x.clamp_(0.0, 2.0); }, {0.5, 0.5, 0.5, 1.5, 2, 2});
  step([&] { x.neg_(); }, {-0.5, -0.5, -0.5, -1.5, -2, -2});
  step([&] { row.relu_(); }, {-0.5, -0.5, -0.5, 0, 0, 0});
  step([&] { x.fill_(7); }, {7, 7, 7, 7, 7, 7});
  step([&] { x.copy_(arange(0, 3, 1, kInt64)); }, {0, 1, 2, 0, 1, 2});
  step([&] { row += row; }, {0, 1, 2, 0, 2, 4});
  step([&] { x -= 1; }, {-1, 0, 1, -1, 1, 3});
  step([&] { x *= x; }, {1, 0, 1, 1, 1, 9});
  step([&] { x /= 2; }, {0.5, 0, 0.5, 0.5, 0.5, 4.5});
  step([&] { x.zero_(); }, {0, 0, 0, 0, 0, 0});
}

TEST(ElementwiseInplace, ComputesInThePromotedTypeAndCasts) {
  // float32 += float64 computes in float64, then rounds once: 1 + 2^-24 + 2^-50 rounds up
  // (a float32 computation would round the operand to 2^-24 and the sum to even: 1)
  Tensor x = ones({1}, kFloat32);
  x.add_(full({1}, std::ldexp(1.0, -24) + std::ldexp(1.0, -50), kFloat64));
  EXPECT_EQ(x.item<float>(), 1.0f + std::ldexp(1.0f, -23));
  Tensor i = tensor(std::vector<int64_t>{1, 2}, {2});
  i.add_(tensor(std::vector<bool>{true, false}, {2}));
  expect_values(i, {2, 2});
  Tensor u = tensor(std::vector<uint8_t>{250, 1}, {2});
  u.add_(tensor(std::vector<int64_t>{10, 1}, {2}));  // int64 result stored into uint8 wraps
  expect_values(u, {4, 2});
}

TEST(ElementwiseInplace, Errors) {
  Tensor i = zeros({3}, kInt64);
  EXPECT_EMBER_ERROR(i.add_(ones({3})), "result type Float can't be cast to the desired output type Long");
  EXPECT_EMBER_ERROR(i.div_(tensor(std::vector<int64_t>{1, 2, 3}, {3})), "result type Float can't be cast to the desired output type Long");
  EXPECT_EMBER_ERROR(i.mul_(1.5), "result type Float can't be cast to the desired output type Long");
  EXPECT_EMBER_ERROR(zeros({3}, kBool).add_(1), "result type Long can't be cast to the desired output type Bool");
  EXPECT_EMBER_ERROR(zeros({3}, kBool).neg_(), "on a bool tensor is not supported");
  EXPECT_EQ(i.version(), 0u);  // failed checks leave the version alone
  Tensor small = zeros({3}, kFloat64);
  EXPECT_EMBER_ERROR(small.add_(ones({2, 3}, kFloat64)), "output with shape [3] doesn't match the broadcast shape [2, 3]");
  EXPECT_EMBER_ERROR(small.copy_(ones({4})), "The size of tensor a (3) must match the size of tensor b (4)");
  EXPECT_EMBER_ERROR(Tensor().add_(small), "undefined");
  EXPECT_EMBER_ERROR(small + Tensor(), "undefined");
}

TEST(ElementwiseInplace, OverlappingOperandIsCopiedFirst) {
  Tensor x = arange(0, 4, 1, kFloat64).view({2, 2});
  x.add_(x.t());  // reads the transpose of what it writes
  expect_values(x, {0, 3, 3, 6});
  Tensor y = arange(0, 5, 1, kFloat64);
  y.slice(0, 1, 5).copy_(y.slice(0, 0, 4));  // shifted overlap, like a memmove
  expect_values(y, {0, 0, 1, 2, 3});
  x.mul_(x);  // the same layout is safe without a copy
  expect_values(x, {0, 9, 9, 36});
}

TEST(ElementwiseAllcloseEqual, Semantics) {
  const Tensor a = tensor(std::vector<double>{1, 2, kNaN}, {3});
  const Tensor b = tensor(std::vector<double>{1, 2 + 1e-9, kNaN}, {3});
  EXPECT_FALSE(allclose(a, b));
  EXPECT_TRUE(allclose(a, b, 1e-5, 1e-8, /*equal_nan=*/true));
  EXPECT_FALSE(allclose(a.slice(0, 0, 2), b.slice(0, 0, 2) + 1e-3));
  EXPECT_FALSE(allclose(a, a.view({3, 1})));
  EXPECT_TRUE(equal(a.slice(0, 0, 2), a.slice(0, 0, 2).clone()));
  EXPECT_FALSE(equal(a, a.clone()));  // NaN != NaN
  const int64_t big = int64_t{1} << 60;
  EXPECT_FALSE(equal(tensor(std::vector<int64_t>{big}, {1}), tensor(std::vector<int64_t>{big + 1}, {1})));
}

TEST(ElementwiseFunctors, IntegerPowAndDispatch) {
  using functors::int_pow;
  EXPECT_EQ(int_pow<int64_t>(2, 62), int64_t{1} << 62);
  EXPECT_EQ(int_pow<int64_t>(-3, 3), -27);
  EXPECT_EQ(int_pow<int64_t>(5, 0), 1);
  EXPECT_EQ(int_pow<int64_t>(2, -1), 0);
  EXPECT_EQ(int_pow<int64_t>(-1, -3), -1);
  EXPECT_EQ(int_pow<int64_t>(-1, -2), 1);
  EXPECT_EQ(int_pow<uint8_t>(2, 9), 0);  // wraps
  EXPECT_EQ(functors::CastTo<bool>{}(0.25), true);
  EXPECT_EQ(functors::CastTo<int64_t>{}(-2.9), -2);
  // what the CUDA launcher does: enum -> functor, for one element type
  const double three = functors::with_binary_functor<double>(BinaryOp::Add, Scalar(2), [](auto f) { return double(f(1.0, 1.0)); });
  EXPECT_EQ(three, 3.0);
  EXPECT_EQ(functors::with_unary_functor<float>(UnaryOp::Relu, {}, [](auto f) { return f(-1.0f); }), 0.0f);
  EXPECT_EMBER_ERROR(functors::with_unary_functor<int64_t>(UnaryOp::Exp, {}, [](auto f) { return f(int64_t{1}); }),
                     "elementwise unary op 'exp' is not defined for int64");
  EXPECT_EMBER_ERROR(functors::with_binary_functor<bool>(BinaryOp::Sub, 1, [](auto f) { return f(true, true); }),
                     "elementwise binary op 'sub' is not defined for bool");
}

// Large work is split into element ranges across cores; ranges may start mid-row.
// Each result is checked against a serial loop over host copies.
TEST(ElementwiseLarge, ParallelMatchesSerial) {
  const int64_t n = (1 << 20) + 3;
  manual_seed(5);
  const Tensor a = randn({n});
  const Tensor b = randn({n});
  const std::vector<float> va = a.to_vector<float>(), vb = b.to_vector<float>();
  const std::vector<float> fused = (a * b + 1.0f).to_vector<float>();
  const std::vector<float> sig = a.sigmoid().to_vector<float>();
  const std::vector<uint8_t> gt = (a > b).to_vector<uint8_t>();
  const std::vector<float> picked = where(a > 0.0, a, b).to_vector<float>();
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_FLOAT_EQ(fused[i], va[i] * vb[i] + 1.0f) << i;
    ASSERT_NEAR(sig[i], 1 / (1 + std::exp(-double(va[i]))), 1e-6) << i;
    ASSERT_EQ(gt[i], va[i] > vb[i]) << i;
    ASSERT_EQ(picked[i], va[i] > 0 ? va[i] : vb[i]) << i;
  }
}

TEST(ElementwiseLarge, StridedAndBroadcastMatchSerial) {
  const int64_t rows = 1031, cols = 1023;  // odd sizes: parallel ranges split rows
  manual_seed(6);
  const Tensor m = randn({cols, rows}, kFloat64).t();  // [rows, cols], transposed
  const Tensor col = randn({rows, 1}, kFloat64);
  const std::vector<double> vm = m.to_vector<double>(), vc = col.to_vector<double>();
  const std::vector<double> got = (m - col).to_vector<double>();
  const std::vector<double> got_rev = (col - m).to_vector<double>();
  Tensor out = zeros({cols, rows}, kFloat64);
  out.t().copy_(m * 2.0);  // a strided destination
  const std::vector<double> copied = out.t().to_vector<double>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const size_t i = static_cast<size_t>(r * cols + c);
      ASSERT_EQ(got[i], vm[i] - vc[r]) << r << "," << c;
      ASSERT_EQ(got_rev[i], vc[r] - vm[i]) << r << "," << c;
      ASSERT_EQ(copied[i], vm[i] * 2.0) << r << "," << c;
    }
  Tensor filled = zeros({rows, cols}, kInt64);
  filled.slice(1, 1, cols, 2).fill_(3);
  const std::vector<int64_t> vf = filled.to_vector<int64_t>();
  for (size_t i = 0; i < vf.size(); ++i) ASSERT_EQ(vf[i], (i % cols) % 2 == 1 ? 3 : 0) << i;
}

TEST(Elementwise, InPlaceWritesToAnExpandedTensorAreErrors) {
  Tensor t = tensor(std::vector<float>{1, 2}, {2, 1}).expand({2, 3});
  const std::string phrase = "more than one element of the written-to tensor refers to a single memory location";
  EXPECT_EMBER_ERROR(t.add_(1.0), phrase);
  EXPECT_EMBER_ERROR(t.mul_(ones({2, 3})), phrase);
  EXPECT_EMBER_ERROR(t.copy_(zeros({2, 3})), phrase);
  expect_values(t, {1, 1, 1, 2, 2, 2});  // nothing was written
  t.fill_(0.0);  // fill is idempotent: PyTorch's fill_ skips the overlap check
  expect_values(t, {0, 0, 0, 0, 0, 0});
  Tensor single = tensor(std::vector<float>{1, 2}, {2, 1}).expand({2, 1});  // size-1 dims may have stride 0
  single.add_(1.0);
  expect_values(single, {2, 3});
}

// PyTorch's result_type: a 0-dim tensor counts like a scalar, so it raises the dtype of
// a tensor with dims only from a lower category (bool < integer < floating).
TEST(Elementwise, ZeroDimTensorsPromoteLikeScalars) {
  const Tensor f32 = ones({3}), u8 = ones({2}, dtype(kUInt8)), i64 = ones({3}, dtype(kInt64));
  const Tensor f64_0d = scalar_tensor(1.0, dtype(kFloat64)), i64_0d = scalar_tensor(5, dtype(kInt64));
  EXPECT_EQ((f32 + f64_0d).dtype(), kFloat32);
  EXPECT_EQ((u8 + i64_0d).dtype(), kUInt8);
  expect_values(u8 * scalar_tensor(-1, dtype(kInt64)), {255, 255}, 0.0);
  EXPECT_EQ((i64 + f64_0d).dtype(), kFloat64);              // a higher category promotes
  EXPECT_EQ((ones({2}, dtype(kBool)) + i64_0d).dtype(), kInt64);
  EXPECT_EQ((scalar_tensor(1.0, dtype(kFloat32)) + f64_0d).dtype(), kFloat64);  // both 0-dim
  EXPECT_EQ((f32 + ones({1}, dtype(kFloat64))).dtype(), kFloat64);             // one element, one dim
  EXPECT_EQ(maximum(f32, f64_0d).dtype(), kFloat32);
  EXPECT_EQ(where(ones({3}, dtype(kBool)), f32, f64_0d).dtype(), kFloat32);
  EXPECT_EQ(where(ones({3}, dtype(kBool)), i64, f64_0d).dtype(), kFloat64);
  Tensor in_place = ones({3});
  in_place.mul_(f64_0d);
  EXPECT_EQ(in_place.dtype(), kFloat32);
}

}  // namespace
}  // namespace ember
