// flip, roll, tile and repeat: values and gradients against PyTorch 1.13, gradcheck and
// gradgradcheck, zero-size and many-dim cases, and PyTorch's errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

Tensor arange_f64(int64_t n, const Dims& shape) { return arange(n, TensorOptions(kFloat64)).reshape(shape); }

// x = torch.arange(6.).reshape(2, 3): x.flip(1), x.flip([0, 1]), x.roll(1, 1), x.roll(-1),
// x.roll((1, 1), (0, 1)), x.roll(4, 1), x.repeat(2, 1), x.tile((2,)) in torch 1.13.
TEST(Rearrange, ValuesAsPyTorch) {
  const Tensor x = arange_f64(6, {2, 3});
  expect_values(x.flip({1}), {2, 1, 0, 5, 4, 3}, 0.0);
  expect_values(flip(x, {0, 1}), {5, 4, 3, 2, 1, 0}, 0.0);
  expect_values(x.flip({-1, 0}), {5, 4, 3, 2, 1, 0}, 0.0);
  expect_values(x.roll({1}, {1}), {2, 0, 1, 5, 3, 4}, 0.0);
  expect_values(x.roll({-1}), {1, 2, 3, 4, 5, 0}, 0.0);
  EXPECT_EQ(x.roll({-1}).sizes(), (Dims{2, 3}));
  expect_values(roll(x, {1, 1}, {0, 1}), {5, 3, 4, 2, 0, 1}, 0.0);
  expect_values(x.roll({4}, {1}), {2, 0, 1, 5, 3, 4}, 0.0);
  const Tensor r = x.repeat({2, 1});
  EXPECT_EQ(r.sizes(), (Dims{4, 3}));
  expect_values(r, {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, 0.0);
  const Tensor t = x.tile({2});
  EXPECT_EQ(t.sizes(), (Dims{2, 6}));
  expect_values(t, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}, 0.0);
  EXPECT_EQ(x.repeat({1, 1, 2}).sizes(), (Dims{1, 2, 6}));
  EXPECT_EQ(arange_f64(3, {3}).repeat({2, 0, 2}).sizes(), (Dims{2, 0, 6}));
  EXPECT_EQ(zeros({0, 3}).roll({1}, {0}).sizes(), (Dims{0, 3}));
  // new tensors, never the input or a view of it (PyTorch's flip and roll copy)
  EXPECT_FALSE(x.flip({}).is_same(x));
  EXPECT_FALSE(x.roll({3}, {1}).is_same(x));
  Tensor copy = x.roll({3}, {1});
  copy.fill_(7.0);
  EXPECT_EQ(x.sum().item<double>(), 15.0);
}

// x = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4).requires_grad_()
// (x.repeat(2, 1, 1) * (torch.arange(48.).reshape(4, 3, 4) / 8)).sum().backward()
// y = x.roll((1, -2), (1, 2)); (y * torch.arange(24.).reshape(2, 3, 4) / 4).sum().backward()
TEST(Rearrange, GradientsAsPyTorch) {
  const Tensor x = arange_f64(24, {2, 3, 4}).requires_grad_(true);
  (x.repeat({2, 1, 1}) * (arange_f64(48, {4, 3, 4}) / 8.0)).sum().backward();
  expect_values(x.grad(), {3.0, 3.25, 3.5, 3.75, 4.0, 4.25, 4.5, 4.75, 5.0, 5.25, 5.5, 5.75,
                           6.0, 6.25, 6.5, 6.75, 7.0, 7.25, 7.5, 7.75, 8.0, 8.25, 8.5, 8.75}, 1e-15);
  const Tensor z = arange_f64(24, {2, 3, 4}).requires_grad_(true);
  const Tensor y = z.roll({1, -2}, {1, 2});
  expect_values(y, {10, 11, 8, 9, 2, 3, 0, 1, 6, 7, 4, 5, 22, 23, 20, 21, 14, 15, 12, 13, 18, 19, 16, 17}, 0.0);
  (y * (arange_f64(24, {2, 3, 4}) / 4.0)).sum().backward();
  expect_values(z.grad(), {1.5, 1.75, 1.0, 1.25, 2.5, 2.75, 2.0, 2.25, 0.5, 0.75, 0.0, 0.25,
                           4.5, 4.75, 4.0, 4.25, 5.5, 5.75, 5.0, 5.25, 3.5, 3.75, 3.0, 3.25}, 1e-15);
}

TEST(Rearrange, GradcheckAndGradgradcheck) {
  manual_seed(11);
  const Tensor x = testing::grad_input({2, 3, 4});
  const std::vector<std::function<Tensor(const Tensor&)>> fns{
      [](const Tensor& a) { return a.flip({0, 2}); },
      [](const Tensor& a) { return a.roll({2, -1}, {1, 0}); },
      [](const Tensor& a) { return a.roll({5}); },
      [](const Tensor& a) { return a.repeat({2, 1, 3}); },
      [](const Tensor& a) { return a.tile({2, 1}); },
  };
  for (size_t k = 0; k < fns.size(); ++k) {
    SCOPED_TRACE(k);
    auto fn = [&](const std::vector<Tensor>& in) { return fns[k](in[0]).pow(2.0); };
    expect_gradcheck(fn, {x});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {x}));
  }
}

// Eight repeated dims need sixteen with a new dim before each: past kMaxDims, repeat goes
// one dim at a time and gives the same values.
TEST(Rearrange, RepeatOverManyDims) {
  const Tensor x = arange_f64(6, {1, 1, 1, 1, 1, 1, 2, 3});
  const Tensor many = x.repeat({2, 1, 1, 1, 1, 2, 2, 2});
  EXPECT_EQ(many.sizes(), (Dims{2, 1, 1, 1, 1, 2, 4, 6}));
  const Tensor few = arange_f64(6, {2, 3}).repeat({2, 2}).reshape({1, 1, 1, 1, 1, 1, 4, 6}).repeat({2, 1, 1, 1, 1, 2, 1, 1});
  EXPECT_TRUE(equal(many, few));
}

// repeat and tile always make a new tensor, as PyTorch's: repeating only size-1 dims (or by 1)
// was a stride-0 view of the input, and writing the result wrote the input.
TEST(Rearrange, RepeatAndTileNeverAliasTheirInput) {
  const Tensor row = arange_f64(3, {3}), column = arange_f64(3, {3, 1});
  for (const Tensor& out : {row.repeat({2, 1}), row.repeat({1}), column.repeat({1, 4}), column.repeat({1, 1}),
                            row.tile({1}), row.repeat({0, 1})}) {
    EXPECT_FALSE(out.is_alias_of(row) || out.is_alias_of(column));
    EXPECT_TRUE(out.is_contiguous());
  }
  Tensor copy = row.repeat({2, 1});
  copy.fill_(9.0);
  EXPECT_EQ(row.to_vector<double>(), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(copy.to_vector<double>(), (std::vector<double>(6, 9.0)));
  // A 0-dim tensor flips over dim 0 or -1 to a copy (PyTorch's scalar wrap).
  const Tensor scalar = full({}, 5.0);
  EXPECT_EQ(scalar.flip({0}).item<double>(), 5.0);
  EXPECT_FALSE(scalar.flip({-1}).is_alias_of(scalar));
  EXPECT_NE(error_of([&] { scalar.flip({1}); }).find("Dimension out of range"), std::string::npos);
}

TEST(Rearrange, BadArgumentsAreClearErrors) {
  const Tensor x = zeros({2, 3});
  EXPECT_NE(error_of([&] { x.flip({0, 0}); }).find("dim 0 appears multiple times in the list of dims"),
            std::string::npos);
  EXPECT_NE(error_of([&] { x.flip({5}); }).find("Dimension out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { x.roll({1, 2}, {0}); }).find("shifts and dimensions must align. shifts: 2, dims:1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { x.roll({1, 2}); }).find("shifts and dimensions must align"), std::string::npos);
  EXPECT_NE(error_of([&] { x.roll({1}, {5}); }).find("Dimension out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { x.repeat({2}); })
                .find("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
            std::string::npos);
  EXPECT_NE(error_of([&] { x.repeat({-1, 2}); }).find("negative dimension"), std::string::npos);
}

}  // namespace
}  // namespace ember
