// nn::functional::unfold / fold and nn::Unfold / nn::Fold against PyTorch 1.13's values
// (dilation, padding, stride per axis), the adjoint identity, unbatched shapes, float64
// gradcheck and gradgradcheck, reprs and error phrases.
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// PyTorch 1.13: x = torch.arange(80, dtype=torch.float64).reshape(2, 2, 4, 5)
//   u = F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))  -> [2, 12, 9]
Tensor arange_image() { return arange(80, dtype(kFloat64)).reshape({2, 2, 4, 5}); }

TEST(Fold, UnfoldAsPyTorch) {
  Tensor u = F::unfold(arange_image(), {2, 3}, {1, 2}, 1, {2, 1});
  EXPECT_EQ(u.sizes(), (Dims{2, 12, 9}));
  // u[0, :, :4]
  expect_values(u.select(0, 0).narrow(1, 0, 4),
                {0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 8, 0, 0, 1, 0, 1, 2, 3, 11, 3, 4, 0, 13,
                 0, 0, 0, 0, 0, 0, 0, 26, 0, 0, 0, 28, 0, 20, 21, 0, 21, 22, 23, 31, 23, 24, 0, 33},
                0);
  // the same through the module, unbatched, and a non-contiguous (transposed) input
  nn::Unfold unfold({2, 3}, {1, 2}, 1, {2, 1});
  EXPECT_TRUE(equal(unfold.forward(arange_image()), u));
  EXPECT_TRUE(equal(F::unfold(arange_image().select(0, 1), {2, 3}, {1, 2}, 1, {2, 1}), u.select(0, 1)));
  Tensor transposed = arange_image().transpose(2, 3).contiguous().transpose(2, 3);
  EXPECT_FALSE(transposed.is_contiguous());
  EXPECT_TRUE(equal(F::unfold(transposed, {2, 3}, {1, 2}, 1, {2, 1}), u));
  // integers unfold too (a copy, no arithmetic)
  EXPECT_TRUE(equal(F::unfold(arange_image().to(kInt64), 2), F::unfold(arange_image(), 2).to(kInt64)));
  EXPECT_EQ(F::unfold(zeros({3, 4, 4}), 2).sizes(), (Dims{12, 9}));
}

TEST(Fold, FoldAsPyTorch) {
  Tensor u = F::unfold(arange_image(), {2, 3}, {1, 2}, 1, {2, 1});
  Tensor f = F::fold(u, {4, 5}, {2, 3}, {1, 2}, 1, {2, 1});
  EXPECT_EQ(f.sizes(), (Dims{2, 2, 4, 5}));
  expect_values(f.select(0, 0).select(0, 0), {0, 2, 2, 6, 4, 5, 12, 7, 16, 9, 10, 22, 12, 26, 14, 15, 32, 17, 36, 19},
                0);
  nn::Fold fold({4, 5}, {2, 3}, {1, 2}, 1, {2, 1});
  EXPECT_TRUE(equal(fold.forward(u), f));
  EXPECT_EQ(F::fold(zeros({4, 9}), {4, 4}, 2).sizes(), (Dims{1, 4, 4}));
  // fold(unfold(ones)) counts how many blocks cover each pixel
  expect_values(F::fold(F::unfold(ones({1, 1, 3, 3}), 2), 3, 2).reshape({-1}), {1, 2, 1, 2, 4, 2, 1, 2, 1}, 0);
}

TEST(Fold, FoldIsTheAdjointOfUnfold) {
  // <unfold(x), y> = <x, fold(y)> for every geometry
  struct Geometry { Dims kernel, dilation, padding, stride; };
  for (const Geometry& g : {Geometry{{3, 3}, {1, 1}, {1, 1}, {1, 1}}, Geometry{{2, 4}, {2, 1}, {0, 2}, {3, 2}},
                            Geometry{{1, 1}, {1, 1}, {0, 0}, {2, 2}}}) {
    const Tensor x = randn({2, 3, 9, 8}, dtype(kFloat64));
    const Tensor ux = F::unfold(x, g.kernel, g.dilation, g.padding, g.stride);
    const Tensor y = randn(ux.sizes(), dtype(kFloat64));
    const double lhs = (ux * y).sum().item<double>();
    const double rhs = (x * F::fold(y, {9, 8}, g.kernel, g.dilation, g.padding, g.stride)).sum().item<double>();
    EXPECT_NEAR(lhs, rhs, 1e-10 * (1 + std::abs(lhs)));
  }
}

TEST(Fold, GradcheckAndGradgradcheck) {
  const Tensor x = testing::grad_input({2, 2, 5, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::unfold(in[0], {2, 3}, {2, 1}, 1, {1, 2}); }, {x});
  const Tensor cols = testing::grad_input({2, 2 * 6, 10});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::fold(in[0], {5, 4}, {2, 3}, {2, 1}, 1, {1, 2}); },
                   {cols});
  // double backward
  EXPECT_TRUE(autograd::gradgradcheck(
      [](const std::vector<Tensor>& in) { return F::unfold(in[0], {2, 3}, {2, 1}, 1, {1, 2}).pow(2); }, {x}));
  EXPECT_TRUE(autograd::gradgradcheck(
      [](const std::vector<Tensor>& in) { return F::fold(in[0], {5, 4}, {2, 3}, {2, 1}, 1, {1, 2}).pow(2); }, {cols}));
}

TEST(Fold, ReprsAndErrors) {
  EXPECT_EQ(nn::Unfold({2, 3}, 1, 1, 2).repr(), "Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)");
  EXPECT_EQ(nn::Fold({4, 5}, 2).repr(), "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)");
  EXPECT_EMBER_ERROR(F::unfold(zeros({2, 3}), 2), "Expected 3D or 4D (batch mode) tensor");
  EXPECT_EMBER_ERROR(F::unfold(zeros({1, 1, 2, 2}), 3),
                     "Given input with spatial size (2, 2), kernel_size=(3, 3), dilation=(1, 1), padding=(0, 0), "
                     "calculated shape of the array of sliding blocks as (0, 0), but its components must be at least one.");
  EXPECT_EMBER_ERROR(F::fold(zeros({1, 4, 8}), {4, 5}, 2),
                     "expected size of input's dimension 2 to match the calculated number of sliding blocks 3 * 4 = 12, "
                     "but got input.size(2)=8.");
  EXPECT_EMBER_ERROR(F::fold(zeros({1, 5, 12}), {4, 5}, 2),
                     "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
                     "input.size(1)=5 and kernel_size=(2, 2).");
  EXPECT_EMBER_ERROR(F::unfold(zeros({1, 1, 4, 4}), 2, 1, 0, 0),
                     "stride should be greater than zero, but got stride_height: 0 stride_width: 0");
  EXPECT_EMBER_ERROR(F::unfold(zeros({1, 1, 4, 4}), 2, 1, -1), "padding should be non-negative, but got pad_height: -1");
  EXPECT_EMBER_ERROR(F::unfold(zeros({1, 1, 4, 4}), {1, 2, 3}), "kernel_size must be an int or a pair");
}

}  // namespace
}  // namespace ember
