// PyTorch's other spellings (core/tensor_pytorch_spellings.h): the aliases, logical ops,
// dot, new_*, and the in-place forms exp_ ... fill_diagonal_, against PyTorch 1.13's
// values, errors and gradients (Note [PyTorch spellings]).
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "support/helpers.h"
#include "support/spelling_writes.h"

namespace ember {
namespace {

using ember::testing::expect_exact;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using Inputs = std::vector<Tensor>;

Tensor f64(const std::vector<double>& v) { return tensor(v, {static_cast<int64_t>(v.size())}, kFloat64); }
Tensor longs(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }

TEST(PytorchSpellings, AliasesAreTheirOps) {
  const Tensor x = f64({-2.5, -0.5, 0.0, 0.5, 3.0});
  expect_exact(x.clamp_min(-1.0), {-1.0, -0.5, 0.0, 0.5, 3.0});
  expect_exact(x.clamp_max(0.25), {-2.5, -0.5, 0.0, 0.25, 0.25});
  expect_exact(x.clip(-1.0, 1.0), {-1.0, -0.5, 0.0, 0.5, 1.0});
  expect_exact(clip(x, std::nullopt, 0.0), {-2.5, -0.5, 0.0, 0.0, 0.0});
  expect_exact(x.sgn(), {-1.0, -1.0, 0.0, 1.0, 1.0});
  expect_exact(x.absolute(), {2.5, 0.5, 0.0, 0.5, 3.0});
  expect_exact(x.negative(), {2.5, 0.5, -0.0, -0.5, -3.0});
  expect_exact(longs({-1, 2}).negative(), {1, -2});
  EXPECT_EQ(longs({-1, 2}).negative().dtype(), kInt64);
  expect_exact(x.maximum(f64({0, 0, 0, 0, 0})), {0.0, 0.0, 0.0, 0.5, 3.0});
  expect_exact(x.minimum(f64({0, 0, 0, 0, 0})), {-2.5, -0.5, 0.0, 0.0, 0.0});
  expect_exact(x.where(x.gt(0.0), 7.0), {7.0, 7.0, 7.0, 0.5, 3.0});
  expect_exact(x.where(x.lt(0.0), x.neg()), {-2.5, -0.5, -0.0, -0.5, -3.0});
  const Tensor logits = f64({1.0, 2.0, 3.0}).reshape({1, 3});
  expect_values(logits.softmax(1), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219}, 1e-15);
  expect_values(logits.log_softmax(1), {-2.40760596444438, -1.4076059644443801, -0.4076059644443803}, 1e-15);
  // gradients are the ops' own
  expect_gradcheck([](const Inputs& in) { return in[0].clamp_min(-0.3) * in[0].clip(-0.5, 0.6); }, {grad_input({6})});
  expect_gradcheck([](const Inputs& in) { return in[0].where(in[0].gt(0.0), in[1]) * in[0].log_softmax(0); },
                   {grad_input({6}), grad_input({6})});
}

TEST(PytorchSpellings, LogicalOpsTakeAnyDtype) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const Tensor a = f64({0.0, 1.0, kNaN}), b = longs({2, 0, 1});
  // torch 1.13: logical_and -> [False, False, True], logical_not(a) -> [True, False, False]
  const Tensor both = a.logical_and(b);
  EXPECT_EQ(both.dtype(), kBool);
  expect_exact(both, {0, 0, 1});
  expect_exact(a.logical_or(b), {1, 1, 1});
  expect_exact(a.logical_xor(b), {1, 1, 0});
  expect_exact(a.logical_not(), {1, 0, 0});
  expect_exact(logical_xor(tensor(std::vector<bool>{true, false}), f64({1.0, 1.0})), {0, 1});
  // broadcasting
  expect_exact(logical_and(f64({1.0, 0.0}).reshape({2, 1}), longs({3, 0, 1})), {1, 0, 1, 0, 0, 0});
}

TEST(PytorchSpellings, DotChecksAsPyTorch) {
  expect_values(f64({1.0, 2.0, 3.0}).dot(f64({4.0, -5.0, 0.5})), {-4.5});
  EXPECT_EQ(dot(f64({1.0, 2.0}), f64({3.0, 4.0})).dim(), 0);
  EXPECT_EMBER_ERROR(dot(zeros({2, 2}), zeros({2, 2})), "1D tensors expected, but got 2D and 2D tensors");
  EXPECT_EMBER_ERROR(dot(zeros({3}), zeros({4})),
                     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, "
                     "but got 3 and 4 elements respectively");
  EXPECT_EMBER_ERROR(dot(zeros({3}), zeros({3}, kFloat64)),
                     "dot : expected both vectors to have same dtype, but found Float and Double");
  expect_gradcheck([](const Inputs& in) { return in[0].dot(in[1]); }, {grad_input({5}), grad_input({5})});
  // integers: torch 1.13 gives tensor(32), and uint8 wraps (tensor(88, dtype=torch.uint8))
  const Tensor i = longs({1, 2, 3}).dot(longs({4, 5, 6}));
  EXPECT_EQ(i.dtype(), kInt64);
  expect_exact(i, {32});
  const Tensor u = longs({10, 20}).to(kUInt8);
  expect_exact(u.dot(longs({20, 3}).to(kUInt8)), {(10 * 20 + 20 * 3) % 256});
  EXPECT_EMBER_ERROR(dot(zeros({3}), zeros({4}, kFloat64)), "expected both vectors to have same dtype");  // first
  EXPECT_EMBER_ERROR(dot(ones({2}, kBool), ones({2}, kBool)), "\"dot\" not implemented for 'Bool'");
}

TEST(PytorchSpellings, ShapeAlikeAndNewFactories) {
  const Tensor x = arange(0, 6, 1, kFloat64);
  const Tensor like = zeros({2, 3}, kInt64);
  EXPECT_EQ(x.view_as(like).sizes(), (Dims{2, 3}));
  EXPECT_TRUE(x.view_as(like).is_alias_of(x));
  EXPECT_EQ(x.reshape_as(like).sizes(), (Dims{2, 3}));
  EXPECT_EQ(x.type_as(like).dtype(), kInt64);
  const Tensor grad_x = grad_input({2});
  for (const Tensor& t :
       {grad_x.new_zeros({2, 1}), grad_x.new_ones({3}), grad_x.new_full({2}, 2.5), grad_x.new_empty({4})}) {
    EXPECT_EQ(t.dtype(), kFloat64);
    EXPECT_FALSE(t.requires_grad());
  }
  expect_exact(grad_x.new_zeros({2, 1}), {0, 0});
  expect_exact(grad_x.new_ones({3}), {1, 1, 1});
  expect_exact(grad_x.new_full({2}, 2.5), {2.5, 2.5});
  EXPECT_EQ(like.new_full({1}, 3).dtype(), kInt64);
  EXPECT_EQ(grad_x.new_empty({4}).sizes(), (Dims{4}));
}

TEST(PytorchSpellings, InPlaceFormsWriteTheOpsValues) {
  const Tensor x = f64({0.5, 1.5, 2.0});
  const std::vector<std::pair<const char*, std::function<void(Tensor&)>>> writes = {
      {"exp_", [](Tensor& t) { t.exp_(); }},         {"log_", [](Tensor& t) { t.log_(); }},
      {"sqrt_", [](Tensor& t) { t.sqrt_(); }},       {"abs_", [](Tensor& t) { t.sub_(1.0).abs_(); }},
      {"sigmoid_", [](Tensor& t) { t.sigmoid_(); }}, {"tanh_", [](Tensor& t) { t.tanh_(); }},
      {"square_", [](Tensor& t) { t.square_(); }},   {"pow_", [](Tensor& t) { t.pow_(3); }},
  };
  const std::vector<Tensor> expected = {x.exp(),     x.log(),  x.sqrt(), (x - 1.0).abs(),
                                        x.sigmoid(), x.tanh(), x * x,    x * x * x};
  for (size_t i = 0; i < writes.size(); ++i) {
    SCOPED_TRACE(writes[i].first);
    Tensor t = x.clone();
    const uint32_t before = t.storage()->version();
    writes[i].second(t);
    EXPECT_GT(t.storage()->version(), before);
    expect_values(t, expected[i].to_vector<double>(), 1e-15);
  }
  Tensor e = f64({2.0, 0.5});
  e.pow_(f64({3.0, 2.0}));
  expect_values(e, {8.0, 0.25}, 0.0);
  // torch 1.13: tensor([1, -2]).abs_() -> [1, 2], tensor([3, 2]).pow_(2) -> [9, 4], cumsum_ -> [1, 3, 6]
  Tensor i = longs({1, -2});
  expect_exact(i.abs_(), {1, 2});
  Tensor p = longs({3, 2});
  expect_exact(p.pow_(2), {9, 4});
  EXPECT_EQ(p.dtype(), kInt64);
  Tensor c = longs({1, 2, 3});
  expect_exact(c.cumsum_(0), {1, 3, 6});
  Tensor m = f64({1.0, 2.0, 3.0});
  expect_exact(m.masked_fill_(m.gt(1.5), -1.0), {1.0, -1.0, -1.0});
  expect_exact(m.masked_fill_(m.lt(0.0), scalar_tensor(4.0, kFloat64)), {1.0, 4.0, 4.0});
  Tensor k = f64({-3.0, 0.2, 5.0});
  expect_exact(k.clamp_min_(-1.0), {-1.0, 0.2, 5.0});
  expect_exact(k.clamp_max_(1.0), {-1.0, 0.2, 1.0});
  expect_exact(k.clip_(0.0, 0.5), {0.0, 0.2, 0.5});
  Tensor s = f64({-3.0, 0.0, 2.0});
  expect_exact(s.sgn_(), {-1.0, 0.0, 1.0});
  expect_exact(s.negative_(), {1.0, -0.0, -1.0});
  expect_exact(s.absolute_(), {1.0, 0.0, 1.0});
  expect_exact(s.true_divide_(f64({2.0, 1.0, 4.0})), {0.5, 0.0, 0.25});
}

TEST(PytorchSpellings, AbsClearsTheSignBit) {
  // torch 1.13: abs(-0.0) and abs(-nan) have no sign bit (x86's 0/0 is a negative NaN)
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {kFloat32, kFloat64, kBFloat16}) {
    SCOPED_TRACE(dtype_torch_name(dtype));
    Tensor x = tensor(std::vector<double>{-0.0, -kNaN, -2.0}, {3}, dtype);
    for (const Tensor& a : {x.abs(), x.absolute(), x.clone().abs_()}) {
      const auto v = a.to_vector<double>();
      EXPECT_FALSE(std::signbit(v[0]));
      EXPECT_TRUE(std::isnan(v[1]));
      if (dtype != kBFloat16) {
        EXPECT_FALSE(std::signbit(v[1]));
      }
      EXPECT_EQ(v[2], 2.0);
    }
  }
  // torch 1.13: "abs_cpu" not implemented for 'Bool'
  Tensor flags = tensor(std::vector<bool>{true, false});
  EXPECT_EMBER_ERROR(flags.abs(), "not implemented for 'Bool'");
  EXPECT_EMBER_ERROR(flags.abs_(), "not implemented for 'Bool'");
}

TEST(PytorchSpellings, InPlaceFormsRefuseWhatPyTorchRefuses) {
  // torch 1.13: "result type Float can't be cast to the desired output type Long"
  for (const auto& write : std::vector<std::function<void(Tensor&)>>{
           [](Tensor& t) { t.exp_(); }, [](Tensor& t) { t.sqrt_(); }, [](Tensor& t) { t.log_(); },
           [](Tensor& t) { t.sigmoid_(); }, [](Tensor& t) { t.tanh_(); }}) {
    Tensor t = longs({1, 2});
    EXPECT_EMBER_ERROR(write(t), "result type Float can't be cast to the desired output type Long");
  }
  Tensor t = longs({1, 2});
  EXPECT_THROW(t.pow_(0.5), Error);
  EXPECT_THROW(t.pow_(f64({0.5, 1.0})), Error);
  expect_exact(t, {1, 2});  // nothing written
  Tensor leaf = grad_input({3});
  EXPECT_EMBER_ERROR(leaf.exp_(), "a leaf Variable that requires grad is being used in an in-place operation.");
  EXPECT_EMBER_ERROR(leaf.masked_fill_(leaf.gt(0.0), 0.0),
                     "a leaf Variable that requires grad is being used in an in-place operation.");
  Tensor small = zeros({3});
  EXPECT_THROW(small.masked_fill_(ones({2, 3}, kBool), 1.0), Error);  // PyTorch: doesn't match the broadcast shape
}

TEST(PytorchSpellings, InPlaceFormsRecordTheOpsGradients) {
  // torch 1.13, float64 x = [0.5, 1.5, 2.0]: exp_, log_, sqrt_, sigmoid_, tanh_ (each on a
  // fresh copy), minus 0.9, abs_: x.grad
  Tensor x = f64({0.5, 1.5, 2.0}).requires_grad_(true);
  Tensor y = x * 1.0;
  y.exp_();
  y = y * 1.0;
  y.log_();
  y = y * 1.0;
  y.sqrt_();
  y = y * 1.0;
  y.sigmoid_();
  y = y * 1.0;
  y.tanh_();
  y = y - 0.9;
  y.abs_();
  y.sum().backward();
  expect_values(x.grad(), {-0.10290746897355209, -0.041512075768197564, -0.030912990172320992}, 1e-14);
  // masked_fill_, cumsum_ and pow_ by a tensor (torch 1.13's gradients)
  const auto grad_of = [&](const std::function<Tensor(Tensor)>& f, const std::vector<Tensor>& wrt) {
    return autograd::grad({f(x * 1.0)}, wrt);
  };
  expect_values(grad_of(
                    [](Tensor t) {
                      return (t.masked_fill_(tensor(std::vector<bool>{true, false, false}), 3.0).pow(2.0)).sum();
                    },
                    {x})[0],
                {0.0, 3.0, 4.0}, 1e-15);
  expect_values(grad_of([](Tensor t) { return t.cumsum_(0).pow(2.0).sum(); }, {x})[0], {13.0, 12.0, 8.0}, 1e-15);
  Tensor e = f64({2.0, 0.5, 3.0}).requires_grad_(true);
  const auto pg = grad_of([&](Tensor t) { return t.pow_(e).sum(); }, {x, e});
  expect_values(pg[0], {1.0, 0.408248290463863, 12.0}, 1e-14);
  expect_values(pg[1], {-0.17328679513998632, 0.4965913116837105, 5.545177444479562}, 1e-14);
  // first and second derivatives of every in-place form, on a non-leaf and on a view

  for (const auto& [name, write] : testing::in_place_spelling_writes()) {
    SCOPED_TRACE(name);
    const auto whole = [&write](const Inputs& in) {
      Tensor t = in[0] * 1.0;
      write(t);
      return t * in[0];
    };
    const auto on_a_view = [&write](const Inputs& in) {
      Tensor t = in[0] * 1.0;
      Tensor v = t.narrow(0, 1, 2);
      write(v);
      return t * in[0];
    };
    const Inputs in{grad_input({3, 4})};
    expect_gradcheck(whole, in);
    expect_gradcheck(on_a_view, in);
    EXPECT_TRUE(autograd::gradgradcheck(whole, in));
    EXPECT_TRUE(autograd::gradgradcheck(on_a_view, in));
  }
}

TEST(PytorchSpellings, FillDiagonalAsPyTorch) {
  // torch 1.13: zeros(7, 3).fill_diagonal_(5, wrap=True) starts again at row 4
  Tensor tall = zeros({7, 3});
  tall.fill_diagonal_(5.0, /*wrap=*/true);
  expect_exact(tall, {5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 5});
  Tensor unwrapped = zeros({7, 3});
  unwrapped.fill_diagonal_(5.0);
  expect_exact(unwrapped.sum(), {15});
  expect_exact(unwrapped.diagonal(), {5, 5, 5});
  Tensor five = zeros({5, 3});
  five.fill_diagonal_(1.0, true);
  expect_exact(five, {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0});
  Tensor wide = zeros({3, 5});
  wide.fill_diagonal_(2.0, true);
  expect_exact(wide, {2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0, 0});
  Tensor cube = zeros({3, 3, 3});
  cube.fill_diagonal_(2.0);
  expect_exact(cube.sum(), {6});
  for (int64_t i = 0; i < 3; ++i) expect_exact(cube.select(0, i).select(0, i).select(0, i), {2});
  Tensor transposed = zeros({3, 4}).t();  // strided: the same cells as a contiguous [4, 3]
  transposed.fill_diagonal_(1.0);
  expect_exact(transposed.contiguous(), {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0});
  // more than 2 dims inside a graph (torch 1.13: x.grad 0 on the diagonal, 8 elsewhere)
  const Tensor x = ones({2, 2, 2}).requires_grad_(true);
  Tensor y = x * 2.0;
  y.fill_diagonal_(0.0);
  (y * y).sum().backward();
  expect_exact(x.grad(), {0, 8, 8, 8, 8, 8, 8, 0});
  EXPECT_EMBER_ERROR(ones({2, 2, 2}).requires_grad_(true).fill_diagonal_(0.0),
                     "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  EXPECT_EMBER_ERROR(zeros({3}).fill_diagonal_(1.0), "dimensions must larger than 1");
  EXPECT_EMBER_ERROR(zeros({2, 3, 2}).fill_diagonal_(1.0), "all dimensions of input must be of equal length");
  // on a non-leaf: the diagonal's gradient is zero
  expect_gradcheck(
      [](const Inputs& in) {
        Tensor t = in[0] * 2.0;
        t.fill_diagonal_(0.5);
        return t * in[0];
      },
      {grad_input({4, 3})});
}

TEST(PytorchSpellings, FillValuesThatDoNotFitArePyTorchsError) {
  // torch 1.13 (Note [Fill values] in core/fill_value.cpp)
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto refused = [](DType dtype, const Scalar& value) {
    Tensor t = zeros({1}, dtype);
    return testing::error_of([&] { t.fill_(value); });
  };
  for (const Scalar& v : {Scalar(300), Scalar(-256), Scalar(255.5), Scalar(-0.5), Scalar(kNaN), Scalar(kInf)})
    EXPECT_EQ(refused(kUInt8, v), "value cannot be converted to type uint8_t without overflow");
  for (const Scalar& v : {Scalar(kNaN), Scalar(kInf), Scalar(1e40), Scalar(9.3e18)})
    EXPECT_EQ(refused(kInt64, v), "value cannot be converted to type int64_t without overflow");
  EXPECT_EQ(refused(kFloat32, Scalar(1e40)), "value cannot be converted to type float without overflow");
  EXPECT_EQ(refused(kBFloat16, Scalar(-1e40)), "value cannot be converted to type at::BFloat16 without overflow");
  // what fits: torch 1.13 writes these
  Tensor u = zeros({1}, kUInt8);
  expect_exact(u.fill_(-1), {255});
  expect_exact(u.fill_(255.0), {255});
  Tensor l = zeros({1}, kInt64);
  expect_exact(l.fill_(255.5), {255});
  expect_exact(l.fill_(-9223372036854775808.0), {-9223372036854775808.0});
  Tensor f = zeros({3}, kFloat32);
  f.narrow(0, 0, 1).fill_(kNaN);
  f.narrow(0, 1, 1).fill_(-kInf);
  f.narrow(0, 2, 1).fill_(int64_t{1} << 62);
  const auto fv = f.to_vector<double>();
  EXPECT_TRUE(std::isnan(fv[0]));
  EXPECT_EQ(fv[1], -kInf);
  EXPECT_EQ(fv[2], 4611686018427387904.0);
  expect_exact(zeros({1}, kBool).fill_(2.5), {1});
  expect_exact(zeros({1}, kFloat64).fill_(1e300), {1e300});
  // the same check behind full, new_full, masked_fill_ and fill_diagonal_; nothing written
  EXPECT_EMBER_ERROR(full({2}, 300, kUInt8), "uint8_t without overflow");
  EXPECT_EMBER_ERROR(zeros({2}, kInt64).new_full({2}, kNaN), "int64_t without overflow");
  Tensor m = zeros({2}, kUInt8);
  EXPECT_EMBER_ERROR(m.masked_fill_(tensor(std::vector<bool>{true, false}), 300), "uint8_t without overflow");
  EXPECT_EMBER_ERROR(m.view({1, 2}).fill_diagonal_(300), "uint8_t without overflow");
  expect_exact(m, {0, 0});
}

}  // namespace
}  // namespace ember
