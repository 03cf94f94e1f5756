// torch.div's rounding modes ("floor", "trunc"), floor_divide and true_divide: a grid of
// float64/float32/int64 quotients against PyTorch 1.13 to the bit (signed zeros, infinities,
// NaN), Python's floor identity on random values, promotion and scalar forms (bfloat16 is
// computed in float32 and rounded once, where PyTorch rounds each step), in-place forms, the
// zero gradient, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_exact;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Each value equal to the expected one, a zero with its sign, NaN where NaN is expected.
// The reference script:
//   A = [-7.5, -7.0, -3.0, -0.0, 0.0, 0.3, 1.0, 5.0, 7.5, inf, -inf, nan]
//   B = [2.0, -2.0, 0.1, -0.1, 0.0, 3.0, inf, -0.5]
//   a = torch.tensor(A, dtype=dt).view(-1, 1); b = torch.tensor(B, dtype=dt).view(1, -1)
//   torch.div(a, b, rounding_mode=m).flatten().tolist()
const std::vector<double> kA = {-7.5, -7.0, -3.0, -0.0, 0.0, 0.3, 1.0, 5.0, 7.5, kInf, -kInf, kNaN};
const std::vector<double> kB = {2.0, -2.0, 0.1, -0.1, 0.0, 3.0, kInf, -0.5};
const std::vector<double> kFloorFloat64 = {
    -4.0, 3.0, -75.0, 74.0, -kInf, -3.0, -1.0, 15.0, -4.0, 3.0, -70.0, 69.0, -kInf, -3.0, -1.0, 14.0, -2.0,
    1.0, -30.0, 29.0, -kInf, -1.0, -1.0, 6.0, -0.0, 0.0, -0.0, 0.0, kNaN, -0.0, -0.0, 0.0, 0.0, -0.0, 0.0,
    -0.0, kNaN, 0.0, 0.0, -0.0, 0.0, -1.0, 2.0, -3.0, kInf, 0.0, 0.0, -1.0, 0.0, -1.0, 9.0, -10.0, kInf, 0.0,
    0.0, -2.0, 2.0, -3.0, 49.0, -50.0, kInf, 1.0, 0.0, -10.0, 3.0, -4.0, 74.0, -75.0, kInf, 2.0, 0.0, -15.0,
    kNaN, kNaN, kNaN, kNaN, kInf, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, -kInf, kNaN, kNaN, kNaN, kNaN,
    kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
const std::vector<double> kTruncFloat64 = {
    -3.0, 3.0, -75.0, 75.0, -kInf, -2.0, -0.0, 15.0, -3.0, 3.0, -70.0, 70.0, -kInf, -2.0, -0.0, 14.0, -1.0,
    1.0, -30.0, 30.0, -kInf, -1.0, -0.0, 6.0, -0.0, 0.0, -0.0, 0.0, kNaN, -0.0, -0.0, 0.0, 0.0, -0.0, 0.0,
    -0.0, kNaN, 0.0, 0.0, -0.0, 0.0, -0.0, 2.0, -2.0, kInf, 0.0, 0.0, -0.0, 0.0, -0.0, 10.0, -10.0, kInf,
    0.0, 0.0, -2.0, 2.0, -2.0, 50.0, -50.0, kInf, 1.0, 0.0, -10.0, 3.0, -3.0, 75.0, -75.0, kInf, 2.0, 0.0,
    -15.0, kInf, -kInf, kInf, -kInf, kInf, kInf, kNaN, -kInf, -kInf, kInf, -kInf, kInf, -kInf, -kInf, kNaN,
    kInf, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};

Tensor column(const std::vector<double>& v, DType dt) { return tensor(v, {static_cast<int64_t>(v.size()), 1}, dt); }
Tensor row(const std::vector<double>& v, DType dt) { return tensor(v, {1, static_cast<int64_t>(v.size())}, dt); }

TEST(DivRounding, FloatGridAsPyTorchToTheBit) {
  const Tensor a = column(kA, kFloat64), b = row(kB, kFloat64);
  expect_exact(div(a, b, "floor"), kFloorFloat64);
  expect_exact(div(a, b, "trunc"), kTruncFloat64);
  // float32 differs in one pair: 0.3f / 0.1f and 0.3f / -0.1f are 3 and -3 in float32
  // (2.9999999999999996 in float64), so floor gives 3 and -4, trunc 3 and -3.
  std::vector<double> floor32 = kFloorFloat64, trunc32 = kTruncFloat64;
  floor32[42] = 3.0;
  floor32[43] = -4.0;
  trunc32[42] = 3.0;
  trunc32[43] = -3.0;
  const Tensor a32 = column(kA, kFloat32), b32 = row(kB, kFloat32);
  const Tensor floored = div(a32, b32, "floor");
  EXPECT_EQ(floored.dtype(), kFloat32);
  expect_exact(floored, floor32);
  expect_exact(div(a32, b32, "trunc"), trunc32);
  // Python's 1 // 0.1 is 9 (0.1 is a little more than a tenth), where floor(1 / 0.1) is 10.
  expect_exact(div(scalar_tensor(1.0, kFloat64), scalar_tensor(0.1, kFloat64), "floor").reshape({1}), {9.0});
}

// Python's identity: a == (a // b) * b + a % b, with a % b of b's sign and smaller than b.
TEST(DivRounding, FloorAndRemainderRebuildTheDividend) {
  manual_seed(11);
  const Tensor a = (randn({4096}, kFloat64) * 1000.0).round() / 8.0;  // exact in binary
  const Tensor sign = gt(randn({4096}, kFloat64), 0.0).to(kFloat64) * 2.0 - 1.0;
  const Tensor b = sign * ((rand({4096}, kFloat64) * 50.0 + 0.5).floor() + 1.0) / 4.0;  // +-[1/4, 51/4]
  const Tensor q = div(a, b, "floor");
  const Tensor r = remainder(a, b);
  EXPECT_TRUE(equal(q, floor(q)));
  EXPECT_TRUE(equal(q * b + r, a));  // every term exact
  // trunc is floor toward zero: the same where the signs agree, one more where they do not
  // and the division is inexact.
  const Tensor t = div(a, b, "trunc");
  EXPECT_TRUE(equal(t, where(ne(r, 0.0) & ne(lt(a, 0.0), lt(b, 0.0)), q + 1.0, q)));
}

TEST(DivRounding, IntegersAsPyTorchAndMinDividedByMinusOneWraps) {
  const std::vector<int64_t> av = {-7, -6, -1, 0, 1, 5, 7, int64_t{1} << 62};
  const std::vector<int64_t> bv = {2, -2, 3, -3, 1, -1, 7};
  const Tensor a = tensor(av, {8, 1}), b = tensor(bv, {1, 7});
  const Tensor floored = div(a, b, "floor");
  EXPECT_EQ(floored.dtype(), kInt64);
  // torch.div(a, b, rounding_mode=m) for the same grid
  EXPECT_EQ(floored.to_vector<int64_t>(),
            (std::vector<int64_t>{-4, 3, -3, 2, -7, 7, -1, -3, 3, -2, 2, -6, 6, -1, -1, 0, -1, 0, -1, 1, -1,
                                  0, 0, 0, 0, 0, 0, 0, 0, -1, 0, -1, 1, -1, 0, 2, -3, 1, -2, 5, -5, 0, 3, -4,
                                  2, -3, 7, -7, 1, 2305843009213693952, -2305843009213693952,
                                  1537228672809129301, -1537228672809129302, 4611686018427387904,
                                  -4611686018427387904, 658812288346769700}));
  EXPECT_EQ(div(a, b, "trunc").to_vector<int64_t>(),
            (std::vector<int64_t>{-3, 3, -2, 2, -7, 7, -1, -3, 3, -2, 2, -6, 6, 0, 0, 0, 0, 0, -1, 1, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1, 0, 2, -2, 1, -1, 5, -5, 0, 3, -3, 2, -2, 7,
                                  -7, 1, 2305843009213693952, -2305843009213693952, 1537228672809129301,
                                  -1537228672809129301, 4611686018427387904, -4611686018427387904,
                                  658812288346769700}));
  // PyTorch 1.13 dies of SIGFPE here; ember wraps, as the negation does.
  const int64_t lowest = std::numeric_limits<int64_t>::min();
  const Tensor m = tensor(std::vector<int64_t>{lowest, lowest + 1});
  EXPECT_EQ(div(m, Scalar(int64_t{-1}), "floor").to_vector<int64_t>(), (std::vector<int64_t>{lowest, -(lowest + 1)}));
  EXPECT_EQ(div(m, tensor(std::vector<int64_t>{-1, -1}), "trunc").to_vector<int64_t>(),
            (std::vector<int64_t>{lowest, -(lowest + 1)}));
}

TEST(DivRounding, PromotionAndScalarFormsAsPyTorch) {
  const Tensor i = tensor(std::vector<int64_t>{-7, 7, 5});
  // torch.div(i, 2.5, rounding_mode='floor'): float32
  const Tensor by_float = div(i, 2.5, "floor");
  EXPECT_EQ(by_float.dtype(), kFloat32);
  expect_exact(by_float, {-3.0, 2.0, 2.0});
  const Tensor by_int = div(i, 2, "floor");
  EXPECT_EQ(by_int.dtype(), kInt64);
  EXPECT_EQ(by_int.to_vector<int64_t>(), (std::vector<int64_t>{-4, 3, 2}));
  EXPECT_EQ(floor_divide(i, 2).to_vector<int64_t>(), (std::vector<int64_t>{-4, 3, 2}));
  EXPECT_EQ(i.floor_divide(tensor(std::vector<int64_t>{2, -2, 3})).to_vector<int64_t>(),
            (std::vector<int64_t>{-4, -4, 1}));
  EXPECT_EQ(i.div(2, "trunc").to_vector<int64_t>(), (std::vector<int64_t>{-3, 3, 2}));
  // uint8 stays uint8: [5, 200] // [2, 3]
  const Tensor u = tensor(std::vector<double>{5, 200}, kUInt8);
  const Tensor uq = div(u, tensor(std::vector<double>{2, 3}, kUInt8), "floor");
  EXPECT_EQ(uq.dtype(), kUInt8);
  expect_exact(uq, {2.0, 66.0});
  // bfloat16, computed in float32 and rounded once: [1, 2.5, -1] // [0.1, -0.75, 3]
  const Tensor h = tensor(std::vector<double>{1.0, 2.5, -1.0}, kBFloat16);
  const Tensor hq = div(h, tensor(std::vector<double>{0.1, -0.75, 3.0}, kBFloat16), "floor");
  EXPECT_EQ(hq.dtype(), kBFloat16);
  expect_exact(hq, {9.0, -4.0, -1.0});
  // No mode is true division; true_divide is div.
  const Tensor x = tensor(std::vector<double>{7.0, -1.0}, kFloat64);
  const Tensor y = tensor(std::vector<double>{2.0, 4.0}, kFloat64);
  expect_exact(div(x, y, std::nullopt), {3.5, -0.25});
  expect_exact(true_divide(i, 2), {-3.5, 3.5, 2.5});
  expect_exact(x.true_divide(y), {3.5, -0.25});
  // A floating divisor of 0 is IEEE's answer, no error.
  expect_exact(div(tensor(std::vector<double>{1.0, -1.0, 0.0}), 0.0, "floor"), {kInf, -kInf, kNaN});
}

TEST(DivRounding, InPlaceForms) {
  Tensor i = tensor(std::vector<int64_t>{-7, 7, 9});
  i.div_(2, "floor");
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{-4, 3, 4}));
  i.floor_divide_(tensor(std::vector<int64_t>{-3, 2, 4}));
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1}));
  Tensor x = tensor(std::vector<double>{-7.5, 7.5}, kFloat64);
  x.div_(tensor(std::vector<double>{2.0, 2.0}, kFloat64), "trunc");
  expect_exact(x, {-3.0, 3.0});
  x.div_(2.0, std::nullopt);
  expect_exact(x, {-1.5, 1.5});
  // An integer self cannot hold a float quotient, as PyTorch's in-place rule.
  Tensor j = tensor(std::vector<int64_t>{5});
  EXPECT_NE(error_of([&] { j.div_(2.5, "floor"); }).find("can't be cast to the desired output type"),
            std::string::npos);
}

// The rounded quotient is a step function: zero gradients to both inputs (broadcast ones
// summed to their shape), recorded as DivBackward so that backward reaches them.
TEST(DivRounding, GradientIsZeroAsPyTorch) {
  const Tensor x = tensor(std::vector<double>{-7.5, 7.5, 3.0, 1.0}, {2, 2}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor w = tensor(std::vector<double>{2.0, -2.0}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor q = div(x, w, "floor");
  ASSERT_TRUE(q.requires_grad());
  EXPECT_EQ(q.grad_fn_name(), "DivBackward");
  (q * 3.0 + x * w).sum().backward();  // the second term's gradients: w and x summed
  ember::testing::expect_values(x.grad(), {2.0, -2.0, 2.0, -2.0}, 0.0);
  ember::testing::expect_values(w.grad(), {-4.5, 8.5}, 0.0);
  const Tensor s = x.div(2.0, "trunc");
  EXPECT_EQ(s.grad_fn_name(), "DivBackward");
  const Tensor g = autograd::grad({s.sum()}, {x})[0];
  ember::testing::expect_values(g, {0.0, 0.0, 0.0, 0.0}, 0.0);
  // In place on a non-leaf: the gradient through it is zero too.
  Tensor y = x * 1.0;
  y.floor_divide_(2.0);
  EXPECT_EQ(y.grad_fn_name(), "DivBackward");
  ember::testing::expect_values(autograd::grad({y.sum()}, {x})[0], {0.0, 0.0, 0.0, 0.0}, 0.0);
}

TEST(DivRounding, ErrorsAsPyTorch) {
  const Tensor i = tensor(std::vector<int64_t>{-7, 7, 5});
  const Tensor zero_in = tensor(std::vector<int64_t>{0, 1, 1});
  EXPECT_EQ(error_of([&] { div(i, zero_in, "floor"); }), "ZeroDivisionError");
  EXPECT_EQ(error_of([&] { div(i, zero_in, "trunc"); }), "ZeroDivisionError");
  EXPECT_EQ(error_of([&] { floor_divide(i, 0); }), "ZeroDivisionError");
  // the divisor as the kernel sees it: 256 is 0 in uint8, which a uint8 tensor keeps
  const Tensor u = tensor(std::vector<double>{5, 7}, kUInt8);
  EXPECT_EQ(error_of([&] { div(u, 256, "floor"); }), "ZeroDivisionError");
  EXPECT_EQ(error_of([&] { div(u, scalar_tensor(256, kInt64), "trunc"); }), "ZeroDivisionError");
  EXPECT_EQ(error_of([&] { fmod(u, 256); }), "ZeroDivisionError");
  EXPECT_EQ(error_of([&] { div(i, i, "bad"); }),
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'bad'");
  const Tensor b = tensor(std::vector<double>{1, 0}, kBool);
  EXPECT_NE(error_of([&] { div(b, b, "floor"); }).find("not implemented for 'Bool'"), std::string::npos);
}

}  // namespace
}  // namespace ember
