// nn::functional::pad and the padding layers: values and gradients against PyTorch 1.13
// for every mode (odd sizes, negative pads, 1-3 padded dims), gradcheck and gradgradcheck,
// the layers' arguments and reprs, and PyTorch's errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

Tensor arange_f64(int64_t n, const Dims& shape) { return arange(n, TensorOptions(kFloat64)).reshape(shape); }

// From /usr/bin/python3 (torch 1.13), x = torch.arange(15, dtype=torch.float64).reshape(1, 3, 5):
//   F.pad(x, (2, 1), value=-1.5); F.pad(x, (-1, 2, 1, -2)); F.pad(x, (2, 4), mode="reflect");
//   F.pad(x, (3, -1), mode="replicate"); F.pad(x, (2, 5), mode="circular");
//   F.pad(x, (-1, 2), mode="circular")
TEST(Pad, OneDimAsPyTorch) {
  const Tensor x = arange_f64(15, {1, 3, 5});
  const Tensor c = F::pad(x, {2, 1}, "constant", -1.5);
  EXPECT_EQ(c.sizes(), (Dims{1, 3, 8}));
  expect_values(c, {-1.5, -1.5, 0, 1, 2, 3, 4, -1.5, -1.5, -1.5, 5, 6, 7, 8, 9, -1.5,
                    -1.5, -1.5, 10, 11, 12, 13, 14, -1.5}, 0.0);
  const Tensor n = F::pad(x, {-1, 2, 1, -2});
  EXPECT_EQ(n.sizes(), (Dims{1, 2, 6}));
  expect_values(n, {0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0}, 0.0);
  const Tensor r = F::pad(x, {2, 4}, "reflect");
  EXPECT_EQ(r.sizes(), (Dims{1, 3, 11}));
  expect_values(r, {2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 7, 6, 5, 6, 7, 8, 9, 8, 7, 6, 5,
                    12, 11, 10, 11, 12, 13, 14, 13, 12, 11, 10}, 0.0);
  const Tensor p = F::pad(x, {3, -1}, "replicate");
  EXPECT_EQ(p.sizes(), (Dims{1, 3, 7}));
  expect_values(p, {0, 0, 0, 0, 1, 2, 3, 5, 5, 5, 5, 6, 7, 8, 10, 10, 10, 10, 11, 12, 13}, 0.0);
  const Tensor w = F::pad(x, {2, 5}, "circular");
  EXPECT_EQ(w.sizes(), (Dims{1, 3, 12}));
  expect_values(w, {3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 8, 9, 5, 6, 7, 8, 9, 5, 6, 7, 8, 9,
                    13, 14, 10, 11, 12, 13, 14, 10, 11, 12, 13, 14}, 0.0);
  // a negative pad crops first; circular then wraps within what is left, as PyTorch's
  expect_values(F::pad(x, {-1, 2}, "circular"), {1, 2, 3, 4, 1, 2, 6, 7, 8, 9, 6, 7, 11, 12, 13, 14, 11, 12}, 0.0);
}

// x4 = torch.arange(12, dtype=torch.float64).reshape(1, 1, 3, 4):
//   F.pad(x4, (1, 3, 2, 1), mode="reflect"); F.pad(x4, (2, 0, -1, 3), mode="replicate");
//   F.pad(x4, (1, 2, 3, 0), mode="circular"); F.pad(x4[0], (3, -2, 0, 2), mode="reflect")
TEST(Pad, TwoDimsAsPyTorch) {
  const Tensor x = arange_f64(12, {1, 1, 3, 4});
  const Tensor r = F::pad(x, {1, 3, 2, 1}, "reflect");
  EXPECT_EQ(r.sizes(), (Dims{1, 1, 6, 8}));
  expect_values(r, {9, 8, 9, 10, 11, 10, 9, 8, 5, 4, 5, 6, 7, 6, 5, 4, 1, 0, 1, 2, 3, 2, 1, 0,
                    5, 4, 5, 6, 7, 6, 5, 4, 9, 8, 9, 10, 11, 10, 9, 8, 5, 4, 5, 6, 7, 6, 5, 4}, 0.0);
  const Tensor p = F::pad(x, {2, 0, -1, 3}, "replicate");
  EXPECT_EQ(p.sizes(), (Dims{1, 1, 5, 6}));
  expect_values(p, {4, 4, 4, 5, 6, 7, 8, 8, 8, 9, 10, 11, 8, 8, 8, 9, 10, 11, 8, 8, 8, 9, 10, 11,
                    8, 8, 8, 9, 10, 11}, 0.0);
  const Tensor w = F::pad(x, {1, 2, 3, 0}, "circular");
  EXPECT_EQ(w.sizes(), (Dims{1, 1, 6, 7}));
  expect_values(w, {3, 0, 1, 2, 3, 0, 1, 7, 4, 5, 6, 7, 4, 5, 11, 8, 9, 10, 11, 8, 9,
                    3, 0, 1, 2, 3, 0, 1, 7, 4, 5, 6, 7, 4, 5, 11, 8, 9, 10, 11, 8, 9}, 0.0);
  const Tensor u = F::pad(x.select(0, 0), {3, -2, 0, 2}, "reflect");  // unbatched [C, H, W]
  EXPECT_EQ(u.sizes(), (Dims{1, 5, 5}));
  expect_values(u, {3, 2, 1, 0, 1, 7, 6, 5, 4, 5, 11, 10, 9, 8, 9, 7, 6, 5, 4, 5, 3, 2, 1, 0, 1}, 0.0);
}

// x5 = torch.arange(24, dtype=torch.float64).reshape(1, 1, 2, 3, 4):
//   F.pad(x5, (1, 1, 1, 0, 1, 0), mode="reflect"); F.pad(x5, (0, 1, 0, 0, 2, 1), mode="replicate");
//   F.pad(x5, (1, 0, 0, 2, 1, 1), mode="circular");
//   F.pad(torch.arange(4, dtype=torch.float64).reshape(1, 2, 2), (1, 0, 0, 1, 1, 0), value=9)
TEST(Pad, ThreeDimsAsPyTorch) {
  const Tensor x = arange_f64(24, {1, 1, 2, 3, 4});
  const Tensor r = F::pad(x, {1, 1, 1, 0, 1, 0}, "reflect");
  EXPECT_EQ(r.sizes(), (Dims{1, 1, 3, 4, 6}));
  expect_values(r, {17, 16, 17, 18, 19, 18, 13, 12, 13, 14, 15, 14, 17, 16, 17, 18, 19, 18, 21, 20, 21, 22, 23, 22,
                    5,  4,  5,  6,  7,  6,  1,  0,  1,  2,  3,  2,  5,  4,  5,  6,  7,  6,  9,  8,  9,  10, 11, 10,
                    17, 16, 17, 18, 19, 18, 13, 12, 13, 14, 15, 14, 17, 16, 17, 18, 19, 18, 21, 20, 21, 22, 23, 22},
                0.0);
  const Tensor p = F::pad(x, {0, 1, 0, 0, 2, 1}, "replicate");
  EXPECT_EQ(p.sizes(), (Dims{1, 1, 5, 3, 5}));
  expect_values(p.select(2, 1), {0, 1, 2, 3, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 11}, 0.0);
  expect_values(p.select(2, 4), {12, 13, 14, 15, 15, 16, 17, 18, 19, 19, 20, 21, 22, 23, 23}, 0.0);
  const Tensor w = F::pad(x, {1, 0, 0, 2, 1, 1}, "circular");
  EXPECT_EQ(w.sizes(), (Dims{1, 1, 4, 5, 5}));
  expect_values(w.select(2, 0), {15, 12, 13, 14, 15, 19, 16, 17, 18, 19, 23, 20, 21, 22, 23, 15, 12, 13, 14, 15,
                                 19, 16, 17, 18, 19}, 0.0);
  expect_values(w.select(2, 3), {3, 0, 1, 2, 3, 7, 4, 5, 6, 7, 11, 8, 9, 10, 11, 3, 0, 1, 2, 3, 7, 4, 5, 6, 7}, 0.0);
  // constant padding of every dim, with a value
  const Tensor c = F::pad(arange_f64(4, {1, 2, 2}), {1, 0, 0, 1, 1, 0}, "constant", 9);
  EXPECT_EQ(c.sizes(), (Dims{2, 3, 3}));
  expect_values(c, {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0, 1, 9, 2, 3, 9, 9, 9}, 0.0);
}

TEST(Pad, DtypesEmptyPadsAndNewTensors) {
  // an integer tensor takes the value converted, as torch: 2.5 -> 2
  const Tensor i = tensor(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  const Tensor c = F::pad(i, {1, 1}, "constant", 2.5);
  EXPECT_EQ(c.dtype(), kInt64);
  EXPECT_EQ(c.to_vector<int64_t>(), (std::vector<int64_t>{2, 1, 2, 2, 2, 3, 4, 2}));
  const Tensor x = arange_f64(6, {1, 2, 3});
  EXPECT_FALSE(F::pad(x, {}).is_same(x));
  EXPECT_FALSE(F::pad(x, {0, 0}, "reflect").is_same(x));
  EXPECT_TRUE(equal(F::pad(x, {0, 0}, "replicate"), x));
  EXPECT_EQ(F::pad(x, {-2, -1}).sizes(), (Dims{1, 2, 0}));
  EXPECT_EQ(F::pad(zeros({0, 2, 3}), {1, 1}, "reflect").sizes(), (Dims{0, 2, 5}));  // an empty batch
  EXPECT_EQ(F::pad(zeros({1, 2, 3}, kFloat32), {1, 2}, "circular").dtype(), kFloat32);
}

// xg = torch.arange(12, dtype=torch.float64).reshape(1, 1, 3, 4).requires_grad_(); for each of
//   F.pad(xg, (2, 1, 1, 2), mode="reflect"), F.pad(xg, (2, -1, -1, 2), value=3),
//   F.pad(xg, (3, 1, 0, 2), mode="replicate"):
//   (y * torch.arange(y.numel(), dtype=torch.float64).reshape(y.shape)).sum().backward()
TEST(Pad, GradientsAsPyTorch) {
  struct Case {
    std::vector<int64_t> pad;
    std::string mode;
    double value;
    std::vector<double> grad;
  };
  const std::vector<Case> cases{
      {{2, 1, 1, 2}, "reflect", 0, {46, 92, 146, 52, 48, 96, 156, 57, 23, 46, 73, 26}},
      {{2, -1, -1, 2}, "constant", 3, {0, 0, 0, 0, 2, 3, 4, 0, 7, 8, 9, 0}},
      {{3, 1, 0, 2}, "replicate", 0, {6, 4, 5, 13, 38, 12, 13, 29, 306, 84, 87, 183}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode);
    const Tensor x = arange_f64(12, {1, 1, 3, 4}).requires_grad_(true);
    const Tensor y = F::pad(x, c.pad, c.mode, c.value);
    (y * arange_f64(y.numel(), y.sizes())).sum().backward();
    expect_values(x.grad(), c.grad, 0.0);
  }
}

TEST(Pad, GradcheckAndGradgradcheck) {
  manual_seed(5);
  const Tensor x2 = testing::grad_input({2, 3, 4, 5});
  const Tensor x1 = testing::grad_input({2, 3, 5});
  const Tensor x3 = testing::grad_input({1, 2, 3, 4, 3});
  struct Case {
    const Tensor* x;
    std::vector<int64_t> pad;
    std::string mode;
  };
  const std::vector<Case> cases{
      {&x2, {1, 2, -1, 3}, "constant"}, {&x2, {2, 1, 0, 3}, "reflect"}, {&x2, {3, -1, 2, 2}, "replicate"},
      {&x2, {1, 4, 2, 0}, "circular"},  {&x1, {4, -2}, "reflect"},      {&x1, {2, 3}, "circular"},
      {&x3, {1, 1, 2, 0, 1, 2}, "replicate"}, {&x3, {1, 0, 2, 1, 2, 0}, "reflect"},
      {&x3, {1, 0, 0, 1, 1, 1, 1, 0}, "constant"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode + " of " + std::to_string(c.pad.size()) + " values");
    // squared so that the second derivative is not zero everywhere
    auto fn = [&](const std::vector<Tensor>& in) { return F::pad(in[0], c.pad, c.mode, 0).pow(2.0); };
    expect_gradcheck(fn, {*c.x});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {*c.x}));
  }
}

TEST(Pad, NoGraphUnderNoGrad) {
  const Tensor x = randn({1, 2, 4, 4}).requires_grad_(true);
  NoGradGuard no_grad;
  EXPECT_FALSE(F::pad(x, {1, 1, 1, 1}).requires_grad());
  EXPECT_FALSE(F::pad(x, {1, 1, 1, 1}, "reflect").requires_grad());
}

TEST(Pad, LayersAsPyTorch) {
  const Tensor x = arange_f64(12, {1, 1, 3, 4});
  nn::ReflectionPad2d reflect(2);
  EXPECT_EQ(reflect.padding, (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_TRUE(equal(reflect(x), F::pad(x, {2, 2, 2, 2}, "reflect")));
  EXPECT_EQ(reflect.extra_repr(), "(2, 2, 2, 2)");
  EXPECT_EQ(reflect.type_name(), "ReflectionPad2d");
  nn::ConstantPad2d constant({1, 2, 3, 4}, 3.5);
  EXPECT_TRUE(equal(constant(x), F::pad(x, {1, 2, 3, 4}, "constant", 3.5)));
  EXPECT_EQ(constant.extra_repr(), "padding=(1, 2, 3, 4), value=3.5");
  nn::ZeroPad2d zero({1, 0, 0, 2});
  EXPECT_TRUE(equal(zero(x), F::pad(x, {1, 0, 0, 2})));
  EXPECT_EQ(zero.extra_repr(), "(1, 0, 0, 2)");
  nn::ReplicationPad1d replicate(3);
  EXPECT_EQ(replicate.extra_repr(), "(3, 3)");
  EXPECT_TRUE(equal(replicate(x.select(0, 0)), F::pad(x.select(0, 0), {3, 3}, "replicate")));
  EXPECT_EQ(nn::ConstantPad1d(2, 1.0).extra_repr(), "padding=(2, 2), value=1.0");
  EXPECT_EQ(nn::ReflectionPad3d(1).padding.size(), 6u);
  EXPECT_EQ(nn::ReplicationPad3d({1, 2, 3, 4, 5, 6}).extra_repr(), "(1, 2, 3, 4, 5, 6)");
  // PyTorch 2's CircularPad1d/2d/3d and ZeroPad1d/3d (torch 2.1: F.pad(x, (2, 1),
  // mode='circular') of [[0..4], [5..9]] is [[3, 4, 0, 1, 2, 3, 4, 0], [8, 9, 5, ...]]).
  const Tensor row = arange_f64(10, {1, 2, 5});
  nn::CircularPad1d circular({2, 1});
  EXPECT_EQ(circular.type_name(), "CircularPad1d");
  EXPECT_EQ(circular.extra_repr(), "(2, 1)");
  expect_values(circular(row), {3, 4, 0, 1, 2, 3, 4, 0, 8, 9, 5, 6, 7, 8, 9, 5}, 0);
  nn::CircularPad2d circular2({1, 2, 2, 0});
  EXPECT_TRUE(equal(circular2(x), F::pad(x, {1, 2, 2, 0}, "circular")));
  EXPECT_EQ(nn::CircularPad3d(1).padding.size(), 6u);
  nn::ZeroPad1d zero1(2);
  EXPECT_EQ(zero1.type_name(), "ZeroPad1d");
  EXPECT_EQ(zero1.extra_repr(), "(2, 2)");
  EXPECT_TRUE(equal(zero1(row), F::pad(row, {2, 2})));
  EXPECT_EQ(nn::ZeroPad3d({1, 0, 0, 2, 1, 1}).extra_repr(), "(1, 0, 0, 2, 1, 1)");
  EXPECT_EQ(nn::ReflectionPad2d({1, 2})(zeros({1, 3, 4})).sizes(), (Dims{1, 3, 7}));  // PyTorch's (1, 2) tuple
  EXPECT_NE(error_of([] { nn::ReflectionPad2d({1, 2, 3}); })
                .find("ReflectionPad2d: expected padding to be a single integer or an even number of values up "
                      "to 4, but got (1, 2, 3)"),
            std::string::npos);
}

// The messages of torch 1.13's F.pad for the same mistakes.
TEST(Pad, BadArgumentsAreClearErrors) {
  const Tensor x4 = zeros({1, 2, 3, 4}), x3 = zeros({1, 2, 3}), x2 = zeros({3, 4});
  EXPECT_EMBER_ERROR(F::pad(x4, {1, 2, 3}), "Padding length must be divisible by 2");
  EXPECT_EMBER_ERROR(F::pad(x2, {1, 1, 1, 1, 1, 1}),
                     "Padding length should be less than or equal to two times the input dimension but got padding "
                     "length 6 and input of dimension 2");
  EXPECT_EMBER_ERROR(F::pad(x2, {-3, -2}), "resulted in a negative output size");
  EXPECT_EMBER_ERROR(F::pad(x3, {1, 1}, "foo"), "Unrecognised padding mode foo");
  for (const char* mode : {"reflect", "replicate", "circular"}) {
    SCOPED_TRACE(mode);
    const std::string only = "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now";
    EXPECT_EMBER_ERROR(F::pad(zeros({4}), {1, 1}, mode), only);
    EXPECT_EMBER_ERROR(F::pad(x4, {1, 1}, mode), only);
    EXPECT_EMBER_ERROR(F::pad(x2, {1, 1, 1, 1}, mode), only);
    EXPECT_EMBER_ERROR(F::pad(x3, {}, mode), only);
    EXPECT_EMBER_ERROR(F::pad(x3, {1, 1}, mode, 1.0), std::string("Padding mode \"") + mode +
                                                          "\" doesn't take in value argument");
  }
  EXPECT_EMBER_ERROR(F::pad(x3, {3, 0}, "reflect"),
                     "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                     "padding (3, 0) at dimension 2 of input [1, 2, 3]");
  EXPECT_EMBER_ERROR(F::pad(x4, {0, 0, 3, 3}, "reflect"),
                     "Argument #6: Padding size should be less than the corresponding input dimension, but got: "
                     "padding (3, 3) at dimension 2 of input");
  EXPECT_EMBER_ERROR(F::pad(zeros({1, 1, 2, 3, 4}), {0, 0, 0, 0, 2, 0}, "reflect"),
                     "Argument #8: Padding size should be less than the corresponding input dimension");
  EXPECT_EMBER_ERROR(F::pad(x3, {-2, -1}, "replicate"), "input (W: 3) is too small. Calculated output W: 0");
  EXPECT_EMBER_ERROR(F::pad(x4, {0, 0, -3, 0}, "reflect"), "is too small. Calculated output H: 0 W: 4");
  EXPECT_EMBER_ERROR(F::pad(zeros({1, 2, 0}), {1, 1}, "replicate"),
                     "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
                     "dimensions for input, but got: [1, 2, 0]");
  EXPECT_EMBER_ERROR(F::pad(zeros({1, 0, 3, 3}), {1, 1, 1, 1}, "reflect"),
                     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions");
  EXPECT_EMBER_ERROR(F::pad(x3, {4, 0}, "circular"), "Padding value causes wrapping around more than once.");
  // An unbatched input wraps as a batch of one (PyTorch's no-batch-dim case), also in
  // Conv2d with padding_mode "circular".
  const Tensor plane = arange(0, 12, 1, TensorOptions(kFloat32)).reshape({1, 3, 4});
  EXPECT_EQ(F::pad(plane, {1, 1, 1, 1}, "circular").to_vector<float>(),
            F::pad(plane.unsqueeze(0), {1, 1, 1, 1}, "circular").squeeze(0).to_vector<float>());
  EXPECT_EQ(F::pad(plane, {1, 1, 1, 1}, "circular").sizes(), (Dims{1, 5, 6}));
  EXPECT_EQ(F::pad(x2, {1, 1}, "circular").to_vector<float>(), std::vector<float>(3 * 6, 0.0f));
  nn::Conv2d conv(1, 2, 3, nn::Conv2dOptions{.padding = 1, .padding_mode = "circular"});
  EXPECT_EQ(conv.forward(plane).to_vector<float>(), conv.forward(plane.unsqueeze(0)).squeeze(0).to_vector<float>());
  EXPECT_EMBER_ERROR(F::pad(zeros({4}), {1, 1}, "circular"), "Only 2D, 3D, 4D, 5D padding with non-constant padding");
  // a circular pad as large as the input is fine (wraps exactly once)
  EXPECT_EQ(F::pad(x3, {3, 0}, "circular").sizes(), (Dims{1, 2, 6}));
}

}  // namespace
}  // namespace ember
