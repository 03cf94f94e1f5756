// cat and stack against PyTorch 1.13's values, dtypes and errors: every dim, non-contiguous
// inputs, type promotion, PyTorch's legacy skip of 1-D empty tensors, the layout of the
// result, gradients (by value and gradcheck, mixed dtypes), and recording only when asked.
#include <gmock/gmock.h>

#include <vector>

#include "core/native.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using ember::testing::leaf;
using ::testing::HasSubstr;

Tensor arange_f(int64_t n, const Dims& shape, double start = 0.0) {
  return (arange(0, n, 1, dtype(kFloat32)) + start).view(shape);
}

TEST(Cat, JoinsAlongEveryDimAsPyTorch) {
  const Tensor a = arange_f(6, {2, 3}), b = arange_f(4, {2, 2}, 10.0);
  const Tensor c = cat({a, b}, 1);
  EXPECT_EQ(c.sizes(), (Dims{2, 5}));
  expect_values(c, {0, 1, 2, 10, 11, 3, 4, 5, 12, 13}, 0.0);
  expect_values(cat({a, b}, -1), c.to_vector<double>(), 0.0);
  const Tensor r = cat({a, arange_f(3, {1, 3}, 20.0), a});
  EXPECT_EQ(r.sizes(), (Dims{5, 3}));
  expect_values(r, {0, 1, 2, 3, 4, 5, 20, 21, 22, 0, 1, 2, 3, 4, 5}, 0.0);
  EXPECT_TRUE(r.is_contiguous());
  EXPECT_EQ(cat({a}).sizes(), a.sizes());
  EXPECT_NE(cat({a}).data_ptr<float>(), a.data_ptr<float>());  // always a new tensor
}

TEST(Cat, NonContiguousInputsAndEveryDimOf3d) {
  const Tensor base = tensor(testing::random_values(4 * 5 * 6, 1), {4, 5, 6}, dtype(kFloat64));
  const Tensor permuted = base.permute({2, 0, 1}).contiguous().permute({1, 2, 0});  // equal values, other strides
  for (int64_t d = 0; d < 3; ++d) {
    const Tensor joined = cat({base, permuted.narrow(d, 1, 2), base.transpose(0, 1).transpose(0, 1)}, d);
    Dims shape = base.sizes();
    shape[static_cast<size_t>(d)] = 2 * base.size(d) + 2;
    ASSERT_EQ(joined.sizes(), shape);
    EXPECT_TRUE(equal(joined.narrow(d, 0, base.size(d)), base));
    EXPECT_TRUE(equal(joined.narrow(d, base.size(d), 2), base.narrow(d, 1, 2)));
    EXPECT_TRUE(equal(joined.narrow(d, base.size(d) + 2, base.size(d)), base));
  }
}

TEST(Cat, PromotesAndSkipsLegacyEmptyTensors) {
  const Tensor ints = tensor(std::vector<int64_t>{1, 2}, {2});
  const Tensor mixed = cat({ints, tensor(std::vector<float>{0.5f}, {1})});
  EXPECT_EQ(mixed.dtype(), kFloat32);
  expect_values(mixed, {1, 2, 0.5}, 0.0);
  const Tensor bool_int = cat({tensor(std::vector<bool>{true}, {1}, dtype(kBool)), tensor(std::vector<int64_t>{3}, {1})});
  EXPECT_EQ(bool_int.dtype(), kInt64);
  expect_values(bool_int, {1, 3}, 0.0);
  // A 1-D empty tensor beside 2-D ones is skipped, and still takes part in the result type.
  const Tensor a = arange_f(6, {2, 3});
  const Tensor skipped = cat({zeros({0}, dtype(kFloat64)), a});
  EXPECT_EQ(skipped.sizes(), (Dims{2, 3}));
  EXPECT_EQ(skipped.dtype(), kFloat64);
  EXPECT_EQ(cat({zeros({0}), zeros({0})}).sizes(), (Dims{0}));
  EXPECT_EQ(cat({zeros({0}), zeros({0})}, 1).sizes(), (Dims{0}));  // any dim, as PyTorch
  EXPECT_EQ(cat({zeros({2, 0}), zeros({2, 3})}, 1).sizes(), (Dims{2, 3}));
}

TEST(Cat, KeepsALayoutAllInputsShare) {
  const Tensor cl = randn({2, 3, 4, 5}).contiguous(MemoryFormat::ChannelsLast);
  const Tensor both = cat({cl, cl}, 1);
  EXPECT_TRUE(both.is_contiguous(MemoryFormat::ChannelsLast));
  EXPECT_TRUE(equal(both.narrow(1, 3, 3), cl));
  const Tensor mixed = cat({cl, cl.contiguous()}, 1);
  EXPECT_TRUE(mixed.is_contiguous());
  EXPECT_TRUE(equal(mixed, both));
  // A skipped 1-D empty tensor votes too (PyTorch): the result is then row-major.
  EXPECT_TRUE(cat({cl, zeros({0})}, 1).is_contiguous());
}

TEST(Cat, ErrorsAsPyTorch) {
  const Tensor a = arange_f(6, {2, 3}), b = arange_f(4, {2, 2});
  EXPECT_THAT(error_of([&] { (void)cat({a, b}); }),
              HasSubstr("Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor "
                        "number 1 in the list."));
  EXPECT_THAT(error_of([&] { (void)cat({a, ones({2, 3, 1})}); }),
              HasSubstr("Tensors must have same number of dimensions: got 2 and 3"));
  EXPECT_THAT(error_of([&] { (void)cat({scalar_tensor(1.0), a}); }),
              HasSubstr("zero-dimensional tensor (at position 0) cannot be concatenated"));
  EXPECT_THAT(error_of([&] { (void)cat({}); }), HasSubstr("expected a non-empty list of Tensors"));
  EXPECT_THAT(error_of([&] { (void)cat({a, a}, 2); }), HasSubstr("Dimension out of range"));
  EXPECT_THAT(error_of([&] { (void)cat({a, Tensor()}); }), HasSubstr("tensor number 1 in the list is undefined"));
}

TEST(Cat, GradientsAreTheSlices) {
  const Tensor x = leaf({1, 2, 3, 4}, {2, 2});
  const Tensor y = leaf({5, 6}, {2, 1});
  const Tensor z = cat({x, y}, 1);
  EXPECT_EQ(z.grad_fn_name(), "CatBackward");
  (z * arange(0, 6, 1, dtype(kFloat64)).view({2, 3})).sum().backward();
  expect_values(x.grad(), {0, 1, 3, 4}, 0.0);  // PyTorch: [[0, 1], [3, 4]] and [[2], [5]]
  expect_values(y.grad(), {2, 5}, 0.0);
  const Tensor e = leaf({}, {0});
  cat({x, e}).sum().backward();
  EXPECT_EQ(e.grad().sizes(), (Dims{0}));  // PyTorch: tensor([])
  expect_gradcheck([](const std::vector<Tensor>& in) { return cat({in[0], in[1], in[0]}, 1); },
                   {grad_input({3, 2}), grad_input({3, 4})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return cat({in[0].transpose(0, 1), in[1]}, 0); },
                   {grad_input({2, 3}), grad_input({1, 2})});
}

TEST(Cat, MixedDtypeGradientsComeBackInEachInputsDtype) {
  const Tensor f32 = ones({2}, TensorOptions(kFloat32).requires_grad(true));
  const Tensor f64 = ones({3}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor z = cat({f32, f64});
  EXPECT_EQ(z.dtype(), kFloat64);
  (z * arange(0, 5, 1, dtype(kFloat64))).sum().backward();
  EXPECT_EQ(f32.grad().dtype(), kFloat32);
  expect_values(f32.grad(), {0, 1}, 0.0);
  expect_values(f64.grad(), {2, 3, 4}, 0.0);
}

TEST(Cat, RecordsOnlyWhenAnInputRequiresGrad) {
  const Tensor x = leaf({1, 2}, {2});
  const Tensor plain = ones({2}, dtype(kFloat64));
  EXPECT_FALSE(cat({plain, plain}).requires_grad());
  const Tensor mixed = cat({plain, x});
  EXPECT_TRUE(mixed.requires_grad());
  mixed.sum().backward();
  expect_values(x.grad(), {1, 1}, 0.0);
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(cat({x, x}).requires_grad());
  }
  {
    InferenceModeGuard inference;
    EXPECT_TRUE(cat({x, x}).is_inference());
  }
}

TEST(Stack, JoinsAlongANewDimAsPyTorch) {
  const Tensor a = arange_f(6, {2, 3}), b = arange_f(6, {2, 3}, 10.0);
  const Tensor s0 = stack({a, b});
  EXPECT_EQ(s0.sizes(), (Dims{2, 2, 3}));
  expect_values(s0, {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}, 0.0);
  const Tensor s2 = stack({a, b}, -1);
  EXPECT_EQ(s2.sizes(), (Dims{2, 3, 2}));
  expect_values(s2, {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}, 0.0);
  expect_values(stack({scalar_tensor(1.0), scalar_tensor(2.0)}), {1, 2}, 0.0);  // 0-dim: PyTorch's tensor([1., 2.])
  EXPECT_THAT(error_of([&] { (void)stack({}); }), HasSubstr("stack expects a non-empty TensorList"));
  EXPECT_THAT(error_of([&] { (void)stack({a, arange_f(4, {2, 2})}); }),
              HasSubstr("stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 2] at entry 1"));
  EXPECT_THAT(error_of([&] { (void)stack({a, a}, 3); }), HasSubstr("Dimension out of range"));
}

TEST(Stack, GradientsAreTheSelections) {
  const Tensor x = leaf({1, 2, 3, 4}, {2, 2});
  const Tensor s = stack({x, x * 2.0}, 1);
  EXPECT_EQ(s.sizes(), (Dims{2, 2, 2}));
  EXPECT_EQ(s.grad_fn_name(), "StackBackward");
  (s * arange(0, 8, 1, dtype(kFloat64)).view({2, 2, 2})).sum().backward();
  // d/dx of sum(s * w): w[:, 0, :] + 2 w[:, 1, :] = [[0 + 4, 1 + 6], [4 + 12, 5 + 14]]
  expect_values(x.grad(), {4, 7, 16, 19}, 0.0);
  expect_gradcheck([](const std::vector<Tensor>& in) { return stack({in[0], in[1].exp(), in[0]}, 1); },
                   {grad_input({3, 2}), grad_input({3, 2})});
}

}  // namespace
}  // namespace ember
