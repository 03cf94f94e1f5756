// libtorch's method spellings against PyTorch 1.13: a.add/sub(other, alpha), mul, div
// (Tensor and Scalar operands; values, dtypes, alpha checks, autograd) and single-dim
// sum/mean/amax/amin beside the Dims forms.
#include <gmock/gmock.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using ember::testing::leaf;

Tensor a23() { return tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}); }

TEST(MethodForms, ArithmeticMethodsMatchPyTorch) {
  const Tensor a = a23(), ones3 = ones({3});
  expect_values(a.add(ones3, 2), {3, 4, 5, 6, 7, 8});
  expect_values(a.add(2, 3), {7, 8, 9, 10, 11, 12});
  expect_values(a.sub(2, 3), {-5, -4, -3, -2, -1, 0});
  expect_values(a.sub(a, 0.5), {0.5, 1, 1.5, 2, 2.5, 3});
  expect_values(a.mul(2), {2, 4, 6, 8, 10, 12});
  expect_values(a.div(tensor(std::vector<float>{2, 4, 8})), {0.5, 0.5, 0.375, 2, 1.25, 0.75});
  // the same ops as the operators and free functions
  EXPECT_TRUE(equal(a.add(ones3), a + ones3));
  EXPECT_TRUE(equal(a.sub(1.5), a - 1.5));
  EXPECT_TRUE(equal(a.mul(a), a * a));
  EXPECT_TRUE(equal(a.div(3), a / 3));
  EXPECT_TRUE(equal(a.add(ones3, 2), add(a, ones3, 2)));
}

TEST(MethodForms, ArithmeticMethodsPromoteAndCheckAlphaAsPyTorch) {
  const Tensor i = tensor({1, 2});
  const Tensor s = i.add(2, 3);
  EXPECT_EQ(s.dtype(), kInt64);
  EXPECT_EQ(s.to_vector<int64_t>(), (std::vector<int64_t>{7, 8}));
  const Tensor f = i.add(2.5, 2);  // int64 + float scalar: float32, as torch
  EXPECT_EQ(f.dtype(), kFloat32);
  expect_values(f, {6, 7});
  EXPECT_EQ(tensor({1, 2, 3}).add(tensor({1, 1, 1}), -2).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(tensor({1, 2, 3}).sub(1.5).dtype(), kFloat32);
  EXPECT_EQ(tensor({1, 2, 3}).div(2).dtype(), kFloat32);
  expect_values(tensor({1, 2, 3}).div(2), {0.5, 1, 1.5});
  EXPECT_EQ(tensor({true}).add(true).dtype(), kBool);
  EXPECT_EMBER_ERROR(i.add(2, 2.5), "For integral input tensors, argument alpha must not be a floating point number.");
  EXPECT_EMBER_ERROR(i.add(i, 2.5), "For integral input tensors, argument alpha must not be a floating point number.");
  EXPECT_EMBER_ERROR(tensor({1.0f}).add(1, true), "Boolean alpha only supported for Boolean results.");
  EXPECT_EMBER_ERROR(tensor({true}).sub(true, 2), "Subtraction, the `-` operator, with two bool tensors");
}

TEST(MethodForms, ArithmeticMethodsRecordAsTheOperators) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3}), w = leaf({1, -1, 0.5}, {3});
  (x.add(w, 2) * x).sum().backward();
  expect_values(x.grad(), {4, 2, 7, 10, 8, 13});
  expect_values(w.grad(), {10, 14, 18});
  const Tensor x2 = leaf({1, 2, 3, 4, 5, 6}, {2, 3}), w2 = leaf({1, -1, 0.5}, {3});
  x2.sub(w2, 3).pow(2).sum().backward();
  expect_values(x2.grad(), {-4, 10, 3, 2, 16, 9});
  expect_values(w2.grad(), {6, -78, -36});
  EXPECT_EQ(x.sub(2, 3).grad_fn_name(), "SubBackward");
  EXPECT_EQ(x.add(w).grad_fn_name(), "AddBackward");
  EXPECT_EQ(x.mul(2).grad_fn_name(), (x * 2).grad_fn_name());
  EXPECT_EQ(x.div(w).grad_fn_name(), (x / w).grad_fn_name());
  const Tensor a = grad_input({2, 3}), b = grad_input({3}, 0.5, 1.5);
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].add(in[1], 2.5).mul(in[0]).div(in[1]); },
                   {a, b});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].sub(in[1], -1.5).sub(0.25, 4).mul(3); }, {a, b});
}

TEST(MethodForms, SingleDimReductionsMeanTheOneElementDims) {
  const Tensor t = arange(0, 24, 1, dtype(kFloat32)).view({2, 3, 4});
  expect_values(t.sum(-2), {12, 15, 18, 21, 48, 51, 54, 57});
  EXPECT_EQ(t.sum(-2).sizes(), (Dims{2, 4}));
  expect_values(t.mean(2, true), {1.5, 5.5, 9.5, 13.5, 17.5, 21.5});
  EXPECT_EQ(t.mean(2, true).sizes(), (Dims{2, 3, 1}));
  EXPECT_TRUE(equal(t.sum(1), t.sum({1})));
  EXPECT_TRUE(equal(t.sum({1}), t.sum(Dims{1})));
  EXPECT_TRUE(equal(t.sum({0, 1}), t.sum(Dims{0, 1})));
  EXPECT_EQ(t.sum({0, 1}).sizes(), (Dims{4}));
  EXPECT_EQ(t.sum({}).dim(), 0);  // {} still means every dim
  EXPECT_TRUE(equal(t.mean(size_t{0}), t.mean({0})));
  EXPECT_TRUE(equal(sum(t, 2), t.sum(2)));
  EXPECT_TRUE(equal(mean(t, 0, true), t.mean({0}, true)));
  const Tensor m = tensor(std::vector<float>{1, 5, 2, 7, 0, 3}, {2, 3});
  expect_values(m.amax(0), {7, 5, 3});
  expect_values(m.amin(-1, true), {1, 0});
  EXPECT_EQ(m.amin(-1, true).sizes(), (Dims{2, 1}));
  EXPECT_FLOAT_EQ(m.amax().item<float>(), 7.0f);
  EXPECT_TRUE(equal(amax(m, 1), m.amax({1})));
  EXPECT_TRUE(equal(amin(m, 0), m.amin({0})));
  EXPECT_EMBER_ERROR(t.sum(3), "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
  const Tensor x = grad_input({3, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].mean(1).mul(in[0].sum(0, true).sum(1)); }, {x});
}

}  // namespace
}  // namespace ember
