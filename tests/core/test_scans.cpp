// cumsum, cumprod and prod: values and gradients against PyTorch 1.13 (zeros: one and
// several per slice), integer inputs to int64, empty and 0-dim inputs, reverse-free
// layouts (transposed, sliced), keepdim, gradcheck and gradgradcheck (cumprod and prod to
// the third order), and the errors.
#include <cmath>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::leaf;
using In = std::vector<Tensor>;

// The reference script's input (its outputs are pasted below):
//   import torch
//   x = torch.tensor([[2.0, 0.0, 3.0, 0.0, 5.0], [1.0, 2.0, -3.0, 4.0, 0.5],
//                     [0.0, 2.0, 3.0, 4.0, 5.0], [1.5, -2.0, 0.0, 0.0, 0.0]],
//                    dtype=torch.float64, requires_grad=True)
//   w = torch.arange(1., 21., dtype=torch.float64).view(4, 5) * torch.tensor([1., -1., 1., -1., 1.])
const std::vector<double> kX = {2.0, 0.0, 3.0, 0.0, 5.0, 1.0, 2.0, -3.0, 4.0, 0.5,
                                0.0, 2.0, 3.0, 4.0, 5.0, 1.5, -2.0, 0.0, 0.0, 0.0};
Tensor x_input() { return leaf(kX, {4, 5}); }
Tensor weights() {
  std::vector<double> w(20);
  for (int i = 0; i < 20; ++i) w[i] = (i + 1) * (i % 5 % 2 == 0 ? 1.0 : -1.0);
  return tensor(w, {4, 5}, dtype(kFloat64));
}

TEST(Scans, CumsumMatchesPyTorch) {
  Tensor x = x_input();
  // x.cumsum(1), x.cumsum(0)
  expect_values(x.cumsum(1), {2.0, 2.0, 5.0, 5.0, 10.0, 1.0, 3.0, 0.0, 4.0, 4.5, 0.0, 2.0, 5.0, 9.0, 14.0, 1.5,
                              -0.5, -0.5, -0.5, -0.5}, 0);
  expect_values(cumsum(x, 0), {2.0, 0.0, 3.0, 0.0, 5.0, 3.0, 2.0, 0.0, 4.0, 5.5, 3.0, 4.0, 3.0, 8.0, 10.5, 4.5,
                               2.0, 3.0, 8.0, 10.5}, 0);
  EXPECT_EQ(x.cumsum(-1).grad_fn()->name(), "CumsumBackward");
  // torch.autograd.grad((x.cumsum(1) * w).sum(), x): the reverse cumsum of w
  (x.cumsum(1) * weights()).sum().backward();
  expect_values(x.grad(), {3.0, 2.0, 4.0, 1.0, 5.0, 8.0, 2.0, 9.0, 1.0, 10.0, 13.0, 2.0, 14.0, 1.0, 15.0, 18.0,
                           2.0, 19.0, 1.0, 20.0}, 0);
}

TEST(Scans, CumprodMatchesPyTorchWithZeros) {
  Tensor x = x_input();
  // x.cumprod(1)
  expect_values(x.cumprod(1), {2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -6.0, -24.0, -12.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5,
                               -3.0, -0.0, -0.0, -0.0}, 0);
  EXPECT_EQ(x.cumprod(1).grad_fn()->name(), "CumprodBackward");
  // torch.autograd.grad((x.cumprod(1) * w).sum(), x): rows with no, one, two and three zeros
  (x.cumprod(1) * weights()).sum().backward();
  expect_values(x.grad(), {1.0, 14.0, 0.0, 0.0, 0.0, 40.0, 17.0, -16.0, 24.0, -240.0, 1529.0, 0.0, 0.0, 0.0, 0.0,
                           50.0, -25.5, -54.0, 0.0, 0.0}, 1e-12);
  // torch.autograd.grad((x.cumprod(0) * w).sum(), x)
  x = x_input();
  (cumprod(x, 0) * weights()).sum().backward();
  expect_values(x.grad(), {7.0, 72.0, -138.0, -264.0, 47.5, 12.0, 0.0, 141.0, 0.0, 425.0, 70.0, 0.0, -117.0, 0.0,
                           37.5, 0.0, 0.0, -486.0, 0.0, 250.0}, 1e-12);
}

TEST(Scans, ProdMatchesPyTorchWithZeros) {
  Tensor x = x_input();
  // x.prod(1); grad of (x.prod(1) * [1, -2, 3, 0.5]).sum()
  expect_values(x.prod(1), {0.0, -12.0, 0.0, -0.0}, 0);
  EXPECT_EQ(x.prod(1).grad_fn()->name(), "ProdBackward");
  (x.prod(1) * tensor({1.0, -2.0, 3.0, 0.5}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {0.0, 0.0, 0.0, 0.0, 0.0, 24.0, 12.0, -8.0, 6.0, 48.0, 360.0, 0.0, 0.0, 0.0, 0.0, -0.0,
                           0.0, -0.0, -0.0, -0.0}, 1e-12);
  // grad of (x.prod(0, keepdim=True) * [[1, -2, 3, 0.5, 2]]).sum()
  x = x_input();
  const Tensor p0 = x.prod(0, true);
  EXPECT_EQ(p0.sizes(), (Dims{1, 5}));
  (p0 * tensor(std::vector<double>{1.0, -2.0, 3.0, 0.5, 2.0}, {1, 5})).sum().backward();
  expect_values(x.grad(), {0.0, 16.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, -0.0, 0.0, 0.0, 0.0, -0.0,
                           -81.0, 0.0, 25.0}, 1e-12);
  // Whole tensor: y = [[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]]; y.prod() = 1.125 and its gradient;
  // with one zero (y[0][1] = 0) and with two (y[1][1] = 0 too).
  Tensor y = leaf({1.5, -2.0, 0.5, 3.0, 0.25, -1.0}, {2, 3});
  Tensor py = y.prod();
  EXPECT_EQ(py.item<double>(), 1.125);
  py.backward();
  expect_values(y.grad(), {0.75, -0.5625, 2.25, 0.375, 4.5, -1.125}, 1e-15);
  y = leaf({1.5, 0.0, 0.5, 3.0, 0.25, -1.0}, {2, 3});
  prod(y).backward();
  expect_values(y.grad(), {0.0, -0.5625, 0.0, 0.0, 0.0, 0.0}, 0);
  y = leaf({1.5, 0.0, 0.5, 3.0, 0.0, -1.0}, {2, 3});
  prod(y).backward();
  expect_values(y.grad(), {0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, 0);
}

TEST(Scans, IntegerInputsGiveInt64) {
  const Tensor a = tensor(std::vector<int64_t>{3, -2, 7, 1, 4, 5}, {2, 3});
  // torch.tensor([[3, -2, 7], [1, 4, 5]]).prod(1) / .cumsum(0) / .cumprod(1)
  EXPECT_EQ(a.prod(1).to_vector<int64_t>(), (std::vector<int64_t>{-42, 20}));
  EXPECT_EQ(a.prod().item<int64_t>(), -840);
  EXPECT_EQ(a.cumsum(0).to_vector<int64_t>(), (std::vector<int64_t>{3, -2, 7, 4, 2, 12}));
  EXPECT_EQ(a.cumprod(1).to_vector<int64_t>(), (std::vector<int64_t>{3, -6, -42, 1, 4, 20}));
  // torch.tensor([200, 200, 200], dtype=torch.uint8).cumprod(0) -> int64 [200, 40000, 8000000]
  const Tensor u = tensor(std::vector<uint8_t>{200, 200, 200});
  EXPECT_EQ(u.cumprod(0).dtype(), kInt64);
  EXPECT_EQ(u.cumprod(0).to_vector<int64_t>(), (std::vector<int64_t>{200, 40000, 8000000}));
  EXPECT_EQ(u.prod().item<int64_t>(), 8000000);
  // torch.tensor([True, False, True]).cumsum(0) -> [1, 1, 2]; .prod() -> 0 (int64)
  const Tensor b = tensor(std::vector<bool>{true, false, true});
  EXPECT_EQ(b.cumsum(0).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(b.prod().dtype(), kInt64);
  EXPECT_EQ(b.prod().item<int64_t>(), 0);
}

TEST(Scans, EmptyAndZeroDim) {
  // torch.tensor([]).prod() = 1; torch.empty(0, 3).prod(0) = [1, 1, 1]; torch.empty(2, 0).prod(1) = [1, 1]
  EXPECT_EQ(zeros({0}).prod().item<double>(), 1.0);
  expect_values(zeros({0, 3}).prod(0), {1.0, 1.0, 1.0}, 0);
  expect_values(zeros({2, 0}).prod(1), {1.0, 1.0}, 0);
  // cumsum / cumprod of empty: empty of the same shape
  EXPECT_EQ(zeros({0, 3}).cumsum(0).sizes(), (Dims{0, 3}));
  EXPECT_EQ(zeros({0, 3}).cumprod(1).sizes(), (Dims{0, 3}));
  // 0-dim: torch.tensor(3.).cumsum(0) = 3, .cumsum(-1) = 3, .prod(0) = 3 (shape []), keepdim too
  const Tensor s = scalar_tensor(3.0, dtype(kFloat64));
  EXPECT_EQ(s.cumsum(0).item<double>(), 3.0);
  EXPECT_EQ(s.cumprod(-1).item<double>(), 3.0);
  EXPECT_EQ(s.prod(0).dim(), 0);
  EXPECT_EQ(s.prod(0, true).dim(), 0);
  // Gradients through empty and 0-dim inputs.
  Tensor e = zeros({0, 3}, dtype(kFloat64)).requires_grad_(true);
  e.cumprod(0).sum().backward();
  EXPECT_EQ(e.grad().sizes(), (Dims{0, 3}));
  Tensor z = scalar_tensor(3.0, dtype(kFloat64)).requires_grad_(true);
  (z.prod(0) * 2.0 + z.cumprod(0) + z.cumsum(0)).backward();
  EXPECT_EQ(z.grad().item<double>(), 4.0);
}

TEST(Scans, LayoutsMatchContiguous) {
  const Tensor base = randn({6, 8, 5}, kFloat64);
  const Tensor views[] = {base.transpose(0, 2), base.slice(1, 1, 8, 3), base.permute({1, 2, 0})};
  for (const Tensor& v : views) {
    const Tensor c = v.contiguous();
    for (int64_t d = -3; d < 3; ++d) {
      EXPECT_LT(testing::max_abs_diff(v.cumsum(d), c.cumsum(d)), 1e-12);
      EXPECT_LT(testing::max_abs_diff(v.cumprod(d), c.cumprod(d)), 1e-9);
      EXPECT_LT(testing::max_abs_diff(v.prod(d), c.prod(d)), 1e-9);
    }
  }
  // float32 sums accumulate in double: 1e7 ones then 1s stay exact per element.
  const Tensor big = ones({1 << 20});
  EXPECT_EQ(big.cumsum(0).to_vector<float>().back(), static_cast<float>(1 << 20));
}

TEST(Scans, Gradcheck) {
  Tensor x = testing::grad_input({4, 5});
  expect_gradcheck([](const In& in) { return in[0].cumsum(1); }, {x});
  expect_gradcheck([](const In& in) { return in[0].t().cumsum(1); }, {x});
  expect_gradcheck([](const In& in) { return in[0].cumprod(0); }, {x});
  expect_gradcheck([](const In& in) { return in[0].slice(1, 0, 5, 2).cumprod(1); }, {x});
  expect_gradcheck([](const In& in) { return in[0].prod(1); }, {x});
  expect_gradcheck([](const In& in) { return in[0].t().prod(0, true); }, {x});
  expect_gradcheck([](const In& in) { return in[0].prod(); }, {x});
  // With zeros planted (one in a row, two in another): finite differences see them too.
  Tensor xz = leaf({0.5, 0.0, -1.5, 2.0, 0.0, 0.0, 1.25, 0.75, 0.0, -0.5, 1.5, 2.0}, {3, 4});
  expect_gradcheck([](const In& in) { return in[0].prod(1); }, {xz});
  expect_gradcheck([](const In& in) { return in[0].cumprod(1); }, {xz});
  expect_gradcheck([](const In& in) { return in[0].cumprod(0); }, {xz});
  // Double backward: cumsum's backward is a scan, prod's is made of cumprods.
  EXPECT_TRUE(autograd::gradgradcheck_report([](const In& in) { return in[0].cumsum(1); }, {x}).ok);
  EXPECT_TRUE(autograd::gradgradcheck_report([](const In& in) { return in[0].prod(1); }, {x}).ok);
  EXPECT_TRUE(autograd::gradgradcheck_report([](const In& in) { return in[0].prod(); }, {xz}).ok);
  // cumprod's create_graph backward is a recurrence of recorded ops, exact at zeros, so
  // cumprod and prod differentiate a second and a third time (the gradient of a gradient).
  for (const Tensor& t : {x, xz}) {
    for (int64_t d : {0, 1}) {
      const auto r = autograd::gradgradcheck_report([d](const In& in) { return in[0].cumprod(d); }, {t});
      EXPECT_TRUE(r.ok) << "dim " << d << ": " << r.message;
    }
    const auto third = autograd::gradgradcheck_report(
        [](const In& in) {
          EnableGradGuard recording;  // gradgradcheck also evaluates under no_grad
          return autograd::grad({in[0].prod(1).sum()}, {in[0]}, {}, true, true)[0];
        },
        {t});
    EXPECT_TRUE(third.ok) << third.message;
  }
  const auto strided = autograd::gradgradcheck_report(
      [](const In& in) { return in[0].t().slice(0, 0, 5, 2).cumprod(0) * 1.5; }, {x});
  EXPECT_TRUE(strided.ok) << strided.message;
}

TEST(Scans, RecordsOnlyWhenAsked) {
  const Tensor x = x_input();
  NoGradGuard no_grad;
  EXPECT_EQ(x.cumsum(0).grad_fn(), nullptr);
  EXPECT_EQ(x.cumprod(0).grad_fn(), nullptr);
  EXPECT_EQ(x.prod().grad_fn(), nullptr);
  EXPECT_EQ(x.prod(1).grad_fn(), nullptr);
}

TEST(Scans, Errors) {
  // torch.tensor(3.).cumsum(1); torch.ones(2, 3).cumsum(2); torch.tensor([1., 2.]).prod(3)
  EXPECT_EQ(error_of([] { (void)scalar_tensor(3.0).cumsum(1); }),
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  EXPECT_EQ(error_of([] { (void)ones({2, 3}).cumprod(2); }),
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EQ(error_of([] { (void)tensor({1.0, 2.0}).prod(3); }),
            "Dimension out of range (expected to be in range of [-1, 0], but got 3)");
}

}  // namespace
}  // namespace ember
