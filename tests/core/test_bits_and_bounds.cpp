// PyTorch's integer bitwise ops and shifts, clamp with tensor bounds, fmax / fmin and
// round(decimals): values (worked by hand from PyTorch's kernels), dtypes, errors and
// gradients (PyTorch's clamp_backward_min_max, fmax's masks).
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::error_of;
using testing::expect_exact;
using testing::leaf;

Tensor longs(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }
Tensor bytes(const std::vector<uint8_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }
std::vector<int64_t> as_longs(const Tensor& t) { return t.to_vector<int64_t>(); }

TEST(Bitwise, IntegerAndOrXorNotAreTwosComplementBits) {
  const Tensor a = longs({5, -5, 12, 0}), b = longs({3, 3, 10, -1});
  EXPECT_EQ(as_longs(a & b), (std::vector<int64_t>{1, 3, 8, 0}));
  EXPECT_EQ(as_longs(a | b), (std::vector<int64_t>{7, -5, 14, -1}));
  EXPECT_EQ(as_longs(a ^ b), (std::vector<int64_t>{6, -8, 6, -1}));
  EXPECT_EQ(as_longs(~a), (std::vector<int64_t>{-6, 4, -13, -1}));
  EXPECT_EQ(as_longs(a.bitwise_and(6)), (std::vector<int64_t>{4, 2, 4, 0}));
  EXPECT_EQ(as_longs(bitwise_xor(a, Scalar(1))), (std::vector<int64_t>{4, -6, 13, 1}));
  EXPECT_EQ((~bytes({0, 255, 15})).to_vector<int64_t>(), (std::vector<int64_t>{255, 0, 240}));
  EXPECT_EQ((bytes({0xf0, 0x0f}) | 1).to_vector<int64_t>(), (std::vector<int64_t>{0xf1, 0x0f}));
  // Bool stays logical; mixed operands promote like add.
  EXPECT_EQ((tensor({true, false}) & tensor({true, true})).dtype(), kBool);
  EXPECT_EQ((bytes({3}) & longs({6})).dtype(), kInt64);
  EXPECT_EQ((tensor({true}) | longs({6})).to_vector<int64_t>(), (std::vector<int64_t>{7}));
  // Broadcasting.
  EXPECT_EQ(as_longs(longs({1, 2, 4}).view({3, 1}) | longs({8, 16})), (std::vector<int64_t>{9, 17, 10, 18, 12, 20}));
}

TEST(Bitwise, ShiftsFollowPyTorchOutOfRangeRules) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const Tensor a = longs({1, -8, 5, 5, 5, 1, -8, -8});
  const Tensor n = longs({3, 1, 64, -1, 63, 62, 64, 63});
  // Left: a count < 0 or >= 64 gives 0; the bits shift as unsigned (5 << 63 is INT64_MIN).
  EXPECT_EQ(as_longs(a << n), (std::vector<int64_t>{8, -16, 0, 0, kMin, int64_t{1} << 62, 0, 0}));
  // Right: a count < 0 or >= 63 gives the sign (a >> 63).
  EXPECT_EQ(as_longs(a >> n), (std::vector<int64_t>{0, -4, 0, 0, 0, 0, -1, -1}));
  EXPECT_EQ(as_longs(longs({3, -3}) << 2), (std::vector<int64_t>{12, -12}));
  EXPECT_EQ(as_longs(bitwise_left_shift(Scalar(int64_t{1}), longs({0, 4}))), (std::vector<int64_t>{1, 16}));
  // uint8: the bits past 8 fall off; a count >= 8 gives 0 either way.
  EXPECT_EQ((bytes({1, 128, 255}) << bytes({1, 1, 8})).to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 0}));
  EXPECT_EQ((bytes({3, 128, 255}) >> bytes({1, 7, 8})).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 0}));
}

TEST(Bitwise, InPlaceFormsWriteSelf) {
  Tensor x = longs({1, 6});
  const uint32_t version = x.version();
  x <<= 2;
  EXPECT_EQ(as_longs(x), (std::vector<int64_t>{4, 24}));
  x &= longs({4, 8});
  EXPECT_EQ(as_longs(x), (std::vector<int64_t>{4, 8}));
  x.bitwise_not_();
  EXPECT_EQ(as_longs(x), (std::vector<int64_t>{-5, -9}));
  x ^= -1;
  x >>= longs({1, 2});
  EXPECT_EQ(as_longs(x), (std::vector<int64_t>{2, 2}));
  EXPECT_GT(x.version(), version);
  Tensor mask = tensor({true, false});
  mask.bitwise_not_();
  EXPECT_EQ(mask.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
}

TEST(Bitwise, FloatAndBoolShiftOperandsArePyTorchErrors) {
  EXPECT_EQ(error_of([] { (void)(tensor({1.5}) & tensor({1.0})); }), "\"bitwise_and_cpu\" not implemented for 'Float'");
  EXPECT_EQ(error_of([] { (void)(longs({1}) | 1.5); }), "\"bitwise_or_cpu\" not implemented for 'Float'");
  EXPECT_EQ(error_of([] { (void)(~tensor({1.0})); }), "\"bitwise_not_cpu\" not implemented for 'Float'");
  EXPECT_EQ(error_of([] { (void)(tensor({true}) << tensor({true})); }), "\"lshift_cpu\" not implemented for 'Bool'");
  Tensor x = longs({1});
  EXPECT_EQ(error_of([&] { x &= tensor({1.0}); }), "\"bitwise_and_cpu\" not implemented for 'Float'");
}

TEST(ClampTensor, ValuesMatchPyTorchMinOfMax) {
  const double nan = std::nan("");
  const Tensor x = tensor(std::vector<double>{-2, 0.5, 3, nan, 1}, {5});
  const Tensor lo = tensor(std::vector<double>{-1, 1, 0, 0, 2}, {5});
  const Tensor hi = tensor(std::vector<double>{1, 2, 2, 1, 1.5}, {5});
  expect_exact(clamp(x, lo, hi), {-1, 1, 2, nan, 1.5});  // min > max gives max
  expect_exact(x.clamp(lo), {-1, 1, 3, nan, 2});
  expect_exact(x.clamp_max(hi), {-2, 0.5, 2, nan, 1});
  expect_exact(clamp_min(x, lo), {-1, 1, 3, nan, 2});
  expect_exact(clip(tensor(std::vector<double>{1, 1}, {2}), tensor(std::vector<double>{nan, 0}, {2}), std::nullopt),
               {nan, 1});  // a NaN bound gives NaN
  // Broadcast and promoted: int64 x with float bounds is float32; [2, 3] with [3] and [2, 1].
  const Tensor out =
      clamp(longs({0, 5, 9, 0, 5, 9}).view({2, 3}), tensor({1.5f, 1.5f, 1.5f}), tensor({8.0f, 4.0f}).view({2, 1}));
  EXPECT_EQ(out.dtype(), kFloat32);
  expect_exact(out, {1.5, 5, 8, 1.5, 4, 4});
  EXPECT_EQ(error_of([] { (void)clamp(longs({1}), std::optional<Tensor>(), std::optional<Tensor>()); }),
            "torch.clamp: At least one of 'min' or 'max' must not be None");
}

TEST(ClampTensor, GradientsAreClampBackwardMinMax) {
  // x == min at the last element: the gradient is x's (PyTorch's subgradient 1).
  const Tensor x = leaf({-2, 1.5, 3, 1, 0.5}, {5});
  const Tensor lo = leaf({-1, 1, 0, 2, 0.5}, {5});
  const Tensor hi = leaf({1, 2, 2, 1.5, 1}, {5});
  const Tensor y = clamp(x, lo, hi);
  expect_exact(y.detach(), {-1, 1.5, 2, 1.5, 0.5});
  y.sum().backward();
  expect_exact(x.grad(), {0, 1, 0, 0, 1});
  expect_exact(lo.grad(), {1, 0, 0, 0, 0});
  expect_exact(hi.grad(), {0, 0, 1, 1, 0});
  // One bound: min's gradient where x < min, x's where x >= min.
  const Tensor x2 = leaf({0, 2}, {2}), lo2 = leaf({1, 1}, {2});
  x2.clamp_min(lo2).sum().backward();
  expect_exact(x2.grad(), {0, 1});
  expect_exact(lo2.grad(), {1, 0});
  manual_seed(3);
  testing::expect_gradcheck([](const std::vector<Tensor>& in) { return clamp(in[0], in[1], in[2]); },
                            {testing::grad_input({4, 5}, -2, 2), testing::grad_input({5}, -1.2, -0.8),
                             testing::grad_input({4, 1}, 0.8, 1.2)});
}

TEST(ClampTensor, InPlaceRecordsTheValueBeforeTheWrite) {
  const Tensor x = leaf({-2, 0.5, 3}, {3});
  const Tensor lo = tensor(std::vector<double>{-1, 0, 0}, {3}), hi = tensor(std::vector<double>{1, 1, 1}, {3});
  Tensor y = x * 1.0;
  y.clamp_(lo, hi);
  expect_exact(y.detach(), {-1, 0.5, 1});
  y.sum().backward();
  expect_exact(x.grad(), {0, 1, 0});
  Tensor z = tensor(std::vector<double>{5, -5}, {2});
  z.clamp_max_(tensor(std::vector<double>{2, 2}, {2}));
  expect_exact(z, {2, -5});
}

TEST(Fmax, NanIsTheMissingValueAndTiesGoToTheFirst) {
  const double nan = std::nan("");
  const Tensor a = leaf({1, nan, 3, nan, 2}, {5}), b = leaf({2, 1, nan, nan, 2}, {5});
  expect_exact(fmax(a, b).detach(), {2, 1, 3, nan, 2});
  expect_exact(fmin(a, b).detach(), {1, 1, 3, nan, 2});
  fmax(a, b).sum().backward();
  expect_exact(a.grad(), {0, 0, 1, 1, 1});
  expect_exact(b.grad(), {1, 1, 0, 0, 0});
  EXPECT_EQ(longs({1, 5}).fmin(longs({3, 2})).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
}

TEST(RoundDecimals, ScalesInTheComputeDtypeAndRoundsHalfToEven) {
  const Tensor d = tensor(std::vector<double>{1234.5678, 0.125, -2.5}, {3});
  expect_exact(round(d, 2), {1234.57, 0.12, -2.5});
  expect_exact(d.round(-2), {1200, 0, -0.0});
  // float32 2.675 is 2.67499995..., but 2.675f * 100 rounds to 267.5f, then to 268: 2.68 (PyTorch's).
  EXPECT_EQ(round(tensor({2.675f}), 2).item<float>(), 2.68f);
  Tensor t = tensor({1.25f});
  t.round_(1);
  EXPECT_EQ(t.item<float>(), 1.2f);
  EXPECT_EQ(round(tensor({2.675f}).to(kBFloat16), 1).dtype(), kBFloat16);
  EXPECT_EQ(error_of([] { (void)round(longs({15}), 1); }), "\"round_cpu\" not implemented for 'Long'");
  EXPECT_EQ(as_longs(round(longs({15}), 0)), (std::vector<int64_t>{15}));
  const Tensor x = leaf({0.123, 4.567}, {2});
  round(x, 1).sum().backward();
  expect_exact(x.grad(), {0, 0});
}

}  // namespace
}  // namespace ember
