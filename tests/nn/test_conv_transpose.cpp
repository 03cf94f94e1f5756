// conv_transpose2d, conv_transpose1d and conv1d (and their layers) against PyTorch 1.13's
// values and a direct scatter loop written here, gradcheck and gradgradcheck in float64,
// output_size, reprs, layouts and grad modes, and PyTorch's error messages.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// sin(0.37 * i) over `shape`, as the Python below builds it: (torch.arange(n) * 0.37).sin().
Tensor wave(const Dims& shape) {
  return ember::sin(arange(shape_numel(shape), TensorOptions(kFloat64)).mul(0.37)).reshape(shape);
}

// The transposed convolution as its definition reads: every input element scatters
// x * w into the output window it spreads to. An independent reference for the kernels.
std::vector<double> scatter_reference(const Tensor& x, const Tensor& w, const Tensor& b, Dims stride, Dims padding,
                                      Dims output_padding, int64_t groups, Dims dilation) {
  const int64_t N = x.size(0), Cin = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t cout_g = w.size(1), KH = w.size(2), KW = w.size(3), Cout = cout_g * groups, cin_g = Cin / groups;
  const int64_t OH = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (KH - 1) + output_padding[0] + 1;
  const int64_t OW = (W - 1) * stride[1] - 2 * padding[1] + dilation[1] * (KW - 1) + output_padding[1] + 1;
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const auto bv = b.defined() ? b.to_vector<double>() : std::vector<double>(static_cast<size_t>(Cout), 0.0);
  std::vector<double> out(static_cast<size_t>(N * Cout * OH * OW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < Cout; ++co)
      for (int64_t i = 0; i < OH * OW; ++i) out[static_cast<size_t>((n * Cout + co) * OH * OW + i)] = bv[co];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < Cin; ++ci)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t v = 0; v < W; ++v)
          for (int64_t c = 0; c < cout_g; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t oh = h * stride[0] - padding[0] + kh * dilation[0];
                const int64_t ow = v * stride[1] - padding[1] + kw * dilation[1];
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                const int64_t co = ci / cin_g * cout_g + c;
                out[static_cast<size_t>(((n * Cout + co) * OH + oh) * OW + ow)] +=
                    xv[static_cast<size_t>(((n * Cin + ci) * H + h) * W + v)] *
                    wv[static_cast<size_t>(((ci * cout_g + c) * KH + kh) * KW + kw)];
              }
  return out;
}

// x = ar(2,4,3,2); w = ar(4,3,3,2) * 0.5 (ar: (torch.arange(n) * 0.37).sin() reshaped);
// b = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6]; out = F.conv_transpose2d(x, w, b, stride=(2, 1),
// padding=(1, 0), output_padding=(1, 0), groups=2, dilation=(1, 2)); wt = arange(288).cos():
// out.sum(), (out * wt).sum(), out.flatten()[[0, 7, 33, 100, 200, 287]].
TEST(ConvTranspose2d, ValuesMatchPyTorch) {
  const Tensor x = wave({2, 4, 3, 2}), w = wave({4, 3, 3, 2}).mul(0.5);
  const Tensor b = tensor(std::vector<double>{0.1, -0.2, 0.3, -0.4, 0.5, -0.6});
  const Tensor out = F::conv_transpose2d(x, w, b, {2, 1}, {1, 0}, {1, 0}, 2, {1, 2});
  ASSERT_EQ(out.sizes(), (Dims{2, 6, 6, 4}));
  EXPECT_NEAR(out.sum().item<double>(), -13.884813241899899, 1e-12);
  const Tensor weights = ember::cos(arange(288, TensorOptions(kFloat64))).reshape({2, 6, 6, 4});
  EXPECT_NEAR((out * weights).sum().item<double>(), -0.3732092976597067, 1e-12);
  const auto v = out.to_vector<double>();
  const std::vector<std::pair<size_t, double>> picks{{0, 0.4579399193712914},    {7, 0.5797736266084964},
                                                     {33, -0.10095396226739008}, {100, 0.6150520868239404},
                                                     {200, 0.607134578292698},   {287, -0.8743581822555988}};
  for (const auto& [i, want] : picks) EXPECT_NEAR(v[i], want, 1e-12) << "at " << i;
  expect_values(out, scatter_reference(x, w, b, {2, 1}, {1, 0}, {1, 0}, 2, {1, 2}), 1e-12);
}

// Every option alone and together, odd sizes, against the scatter loop; also float32.
TEST(ConvTranspose2d, MatchesTheScatterDefinition) {
  struct Case {
    Dims x, w;
    Dims stride, padding, output_padding;
    int64_t groups;
    Dims dilation;
    bool bias;
  };
  const std::vector<Case> cases{
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1}, {0, 0}, {0, 0}, 1, {1, 1}, false},
      {{2, 3, 5, 4}, {3, 2, 3, 3}, {1, 1}, {0, 0}, {0, 0}, 1, {1, 1}, true},
      {{1, 2, 4, 5}, {2, 3, 2, 3}, {2, 3}, {0, 1}, {1, 2}, 1, {1, 1}, true},
      {{3, 4, 3, 3}, {4, 1, 3, 3}, {2, 2}, {1, 1}, {0, 1}, 4, {2, 1}, false},  // depthwise
      {{1, 6, 2, 7}, {6, 2, 1, 4}, {3, 1}, {0, 2}, {2, 0}, 3, {1, 3}, true},
      {{2, 2, 6, 1}, {2, 5, 4, 1}, {1, 2}, {3, 0}, {0, 1}, 1, {2, 1}, true},  // padding crops
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "x " << c.x << " w " << c.w << " stride " << c.stride);
    const Tensor x = wave(c.x), w = wave(c.w).mul(-0.7);
    const Tensor b = c.bias ? wave({c.w[1] * c.groups}).add(0.3) : Tensor();
    const Tensor out = F::conv_transpose2d(x, w, b, c.stride, c.padding, c.output_padding, c.groups, c.dilation);
    expect_values(out, scatter_reference(x, w, b, c.stride, c.padding, c.output_padding, c.groups, c.dilation), 1e-12);
    const Tensor out32 = F::conv_transpose2d(x.to(kFloat32), w.to(kFloat32), b.defined() ? b.to(kFloat32) : b,
                                             c.stride, c.padding, c.output_padding, c.groups, c.dilation);
    EXPECT_EQ(out32.dtype(), kFloat32);
    expect_values(out32, out.to_vector<double>(), 1e-5);
  }
}

TEST(ConvTranspose2d, GradcheckAndGradgradcheck) {
  manual_seed(3);
  const Tensor x = testing::grad_input({2, 4, 3, 2}), w = testing::grad_input({4, 1, 2, 3});
  const Tensor b = testing::grad_input({2});
  const auto fn = [](const std::vector<Tensor>& in) {
    return F::conv_transpose2d(in[0], in[1], in[2], {2, 1}, {1, 1}, {1, 0}, 2, {1, 2});
  };
  expect_gradcheck(fn, {x, w, b});
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, w, b}));
  EXPECT_EQ(fn({x, w, b}).grad_fn()->name(), "ConvolutionBackward");
  // Without a bias; an unbatched input.
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::conv_transpose2d(in[0], in[1], Tensor(), 2); },
                   {testing::grad_input({2, 3, 2}), testing::grad_input({2, 2, 3, 2})});
}

// The gradients of x equal a conv2d of the output's gradient (the adjoint), checked
// against autograd::grad through conv2d itself.
TEST(ConvTranspose2d, IsTheAdjointOfConv2d) {
  const Tensor x = wave({2, 3, 4, 4}).requires_grad_(true), w = wave({3, 2, 3, 3});
  const Tensor u = wave({2, 2, 9, 9}).mul(0.5);
  const Tensor out = F::conv_transpose2d(x, w, Tensor(), 2, 0, 0);
  ASSERT_EQ(out.sizes(), u.sizes());
  const Tensor gx = autograd::grad({out}, {x}, {u})[0];
  expect_values(gx, F::conv2d(u, w, Tensor(), 2).to_vector<double>(), 1e-12);
  // <conv_transpose2d(x, w), u> == <x, conv2d(u, w)>
  EXPECT_NEAR((out * u).sum().item<double>(), (x * F::conv2d(u, w, Tensor(), 2)).sum().item<double>(), 1e-10);
}

TEST(ConvTranspose2d, GradModesAndLayouts) {
  const Tensor x = wave({2, 4, 5, 3}), w = wave({4, 3, 3, 3}), b = wave({3});
  const Tensor want = F::conv_transpose2d(x, w, b, 2, 1, 1);
  {
    NoGradGuard g;
    const Tensor out = F::conv_transpose2d(x.detach().requires_grad_(true), w, b, 2, 1, 1);
    EXPECT_FALSE(out.requires_grad());
    expect_values(out, want.to_vector<double>(), 0.0);
  }
  {
    InferenceModeGuard g;
    const Tensor out = F::conv_transpose2d(x, w, b, 2, 1, 1);
    EXPECT_TRUE(out.is_inference());
    expect_values(out, want.to_vector<double>(), 0.0);
  }
  // A channels-last input gives a channels-last output of the same values (as conv2d).
  const Tensor out = F::conv_transpose2d(x.contiguous(MemoryFormat::ChannelsLast), w, b, 2, 1, 1);
  EXPECT_TRUE(out.is_contiguous(MemoryFormat::ChannelsLast));
  expect_values(out, want.to_vector<double>(), 1e-12);
  // bfloat16 operands compute in float32, one rounding
  const Tensor bf = F::conv_transpose2d(x.to(kBFloat16), w.to(kBFloat16), b.to(kBFloat16), 2, 1, 1);
  EXPECT_EQ(bf.dtype(), kBFloat16);
  EXPECT_LT(testing::max_abs_diff(bf.to(kFloat64), want), 0.1);
}

// x1 = ar(2,3,5); w1 = ar(3,2,3); F.conv_transpose1d(x1, w1, [0.25, -0.5], stride=3, padding=1,
// output_padding=2); F.conv1d(ar(2,4,7), ar(6,2,3), [1..6], stride=2, padding=1, dilation=2, groups=2)
TEST(Conv1d, ValuesMatchPyTorch) {
  const Tensor t = F::conv_transpose1d(wave({2, 3, 5}), wave({3, 2, 3}), tensor(std::vector<double>{0.25, -0.5}), 3,
                                       1, 2);
  ASSERT_EQ(t.sizes(), (Dims{2, 2, 15}));
  expect_values(t.flatten().narrow(0, 0, 6),
                {1.281064859487468, 0.8965597157357882, 1.655663494554838, 1.5950568179357971, 1.3524030109559237,
                 1.595056817935797},
                1e-12);
  EXPECT_NEAR(t.sum().item<double>(), 27.950834366919633, 1e-11);
  const Tensor c =
      F::conv1d(wave({2, 4, 7}), wave({6, 2, 3}), tensor(std::vector<double>{1, 2, 3, 4, 5, 6}), 2, 1, 2, 2);
  ASSERT_EQ(c.sizes(), (Dims{2, 6, 3}));
  expect_values(c.flatten().narrow(0, 0, 6),
                {1.4052585367458725, 0.6803470117851929, -0.08612523181608389, 2.6797981291577244, 3.949087471471585,
                 3.826770534652362},
                1e-12);
  EXPECT_NEAR(c.sum().item<double>(), 127.38099987144959, 1e-11);
  // unbatched [C, L]
  const Tensor u = F::conv1d(wave({4, 7}), wave({6, 2, 3}), Tensor(), 2, 1, 2, 2);
  EXPECT_EQ(u.sizes(), (Dims{6, 3}));
  expect_values(u, F::conv1d(wave({1, 4, 7}), wave({6, 2, 3}), Tensor(), 2, 1, 2, 2).to_vector<double>(), 0.0);
}

TEST(Conv1d, GradcheckAndGradgradcheck) {
  manual_seed(5);
  const auto conv = [](const std::vector<Tensor>& in) { return F::conv1d(in[0], in[1], in[2], 2, 1, 1, 2); };
  const std::vector<Tensor> a{testing::grad_input({2, 4, 6}), testing::grad_input({4, 2, 3}), testing::grad_input({4})};
  expect_gradcheck(conv, a);
  EXPECT_TRUE(autograd::gradgradcheck(conv, a));
  const auto transposed = [](const std::vector<Tensor>& in) {
    return F::conv_transpose1d(in[0], in[1], in[2], 2, 1, 1, 1, 2);
  };
  const std::vector<Tensor> t{testing::grad_input({2, 3, 4}), testing::grad_input({3, 2, 2}),
                              testing::grad_input({2})};
  expect_gradcheck(transposed, t);
  EXPECT_TRUE(autograd::gradgradcheck(transposed, t));
}

TEST(ConvTransposeLayers, ShapesInitOutputSizeAndRepr) {
  manual_seed(0);
  nn::ConvTranspose2d up(4, 6, 3, {.stride = 2, .padding = 1});
  EXPECT_EQ(up.weight.sizes(), (Dims{4, 6, 3, 3}));
  // PyTorch's fan_in of a transposed weight: its dim 1 times the kernel (6 * 9 = 54)
  const double bound = 1.0 / std::sqrt(54.0);
  EXPECT_LE(up.weight.abs().max().item<double>(), bound);
  EXPECT_GT(up.weight.abs().max().item<double>(), 0.9 * bound);
  EXPECT_LE(up.bias.abs().max().item<double>(), bound);
  const Tensor x = randn({1, 4, 5, 5});
  EXPECT_EQ(up(x).sizes(), (Dims{1, 6, 9, 9}));
  EXPECT_EQ(up.forward(x, {10, 10}).sizes(), (Dims{1, 6, 10, 10}));
  EXPECT_EQ(up.forward(x, {1, 6, 9, 10}).sizes(), (Dims{1, 6, 9, 10}));
  EXPECT_EQ(error_of([&] { up.forward(x, {11, 10}); }),
            "requested an output size of [11, 10], but valid sizes range from [9, 9] to [10, 10] (for an input of "
            "[5, 5])");
  EXPECT_EQ(up.extra_repr(), "4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)");
  nn::ConvTranspose1d up1(4, 6, 3, {.stride = 2, .output_padding = 1, .groups = 2, .bias = false, .dilation = 2});
  EXPECT_EQ(up1.weight.sizes(), (Dims{4, 3, 3}));
  EXPECT_FALSE(up1.bias.defined());
  EXPECT_EQ(up1.extra_repr(),
            "4, 6, kernel_size=(3,), stride=(2,), dilation=(2,), output_padding=(1,), groups=2, bias=False");
  EXPECT_EQ(up1(randn({2, 4, 5})).sizes(), (Dims{2, 6, 14}));
  EXPECT_EQ(up1.forward(randn({4, 5}), {13}).sizes(), (Dims{6, 13}));
  EXPECT_EQ(nn::ConvTranspose2d(3, 5, nn::Pair(2, 3)).extra_repr(), "3, 5, kernel_size=(2, 3), stride=(1, 1)");
  nn::Conv1d conv1(4, 6, 5, {.dilation = 3, .groups = 2, .bias = false});
  EXPECT_EQ(conv1.extra_repr(), "4, 6, kernel_size=(5,), stride=(1,), dilation=(3,), groups=2, bias=False");
  EXPECT_EQ(conv1.weight.sizes(), (Dims{6, 2, 5}));
  EXPECT_EQ(conv1(randn({3, 4, 20})).sizes(), (Dims{3, 6, 8}));
  // Trainable: one SGD step through the layer changes its weight.
  up.zero_grad();
  up(x).pow(2.0).mean().backward();
  ASSERT_TRUE(up.weight.grad().defined());
  EXPECT_EQ(up.weight.grad().sizes(), up.weight.sizes());
  EXPECT_GT(up.weight.grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(error_of([] { nn::ConvTranspose2d(4, 6, 3, {.groups = 4}); }),
            "ConvTranspose2d: out_channels must be divisible by groups, but got out_channels=6 and groups=4");
}

TEST(ConvTranspose2d, ErrorsAsPyTorch) {
  const Tensor w = zeros({4, 3, 3, 3});
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 5, 8, 8}), w); }),
            "Given transposed=1, weight of size [4, 3, 3, 3], expected input[1, 5, 8, 8] to have 4 channels, but got 5 "
            "channels instead");
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}), w, Tensor(), 2, 0, 2); }),
            "output padding must be smaller than either stride or dilation, but got output_padding_height: 2 "
            "output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1");
  EXPECT_NE(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}), w, Tensor(), 2, 0, 2, 1, 3); })
                .find("at or above the stride [2, 2] is not supported"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}), w, Tensor(), 1, 0, 0, 3); }),
            "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size [4, 3, 3, 3] "
            "instead");
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}), w, zeros({4})); }),
            "Given transposed=1, weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 3 elements, but "
            "got bias of size [4] instead");
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 4, 1, 1}), w, Tensor(), 1, 2); }),
            "Given input size per channel: (1 x 1). Calculated output size per channel: (-1 x -1). Output size is too "
            "small");
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({4, 8}), w); }),
            "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: [4, 8]");
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}), w, Tensor(), 0); }),
            "non-positive stride is not supported");
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}), w, Tensor(), 1, -1); }),
            "negative padding is not supported");
  EXPECT_EQ(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}), w, Tensor(), 1, 0, -1); }),
            "negative output_padding is not supported");
  EXPECT_NE(error_of([&] { F::conv_transpose2d(zeros({1, 4, 8, 8}, kInt64), w); }).find("conv_transpose2d: expected"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { F::conv1d(zeros({1, 4, 8}), zeros({4, 3, 3})); }),
            "Given groups=1, weight of size [4, 3, 3], expected input[1, 4, 8] to have 3 channels, but got 4 channels "
            "instead");
  EXPECT_EQ(error_of([&] { F::conv1d(zeros({1, 4, 8, 3}), zeros({4, 4, 3})); }),
            "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [1, 4, 8, 3]");
  EXPECT_EQ(error_of([&] { F::conv1d(zeros({1, 4, 2}), zeros({4, 4, 7})); }),
            "Calculated padded input size per channel: (2). Kernel size: (7). Kernel size can't be greater than "
            "actual input size");
  EXPECT_EQ(error_of([&] { F::conv_transpose1d(zeros({1, 4, 8}), zeros({3, 3, 3})); }),
            "Given transposed=1, weight of size [3, 3, 3], expected input[1, 4, 8] to have 3 channels, but got 4 "
            "channels instead");
  // the caller's 1-D shapes and op, groups first (PyTorch's check_shape_forward order)
  EXPECT_EQ(error_of([&] {
              F::conv1d(zeros({1, 2, 7}), zeros({2, 2, 3}), zeros({3}));
            }),
            "Given weight of size [2, 2, 3], expected bias to be 1-dimensional with 2 elements, but got bias of size "
            "[3] instead");
  EXPECT_EQ(error_of([&] {
              F::conv1d(zeros({1, 2, 7}), zeros({2, 2, 3}), Tensor(), 1, 0, 1, 0);
            }),
            "non-positive groups is not supported");
  EXPECT_EQ(error_of([&] {
              F::conv1d(zeros({1, 2, 7}, kInt64), zeros({2, 2, 3}, kInt64));
            }),
            "conv1d: expected a float32, float64, bfloat16 or float16 input, but got int64");
  EXPECT_EQ(error_of([&] {
              F::conv_transpose1d(zeros({1, 3, 8}), zeros({3, 2, 3}), zeros({4}));
            }),
            "Given transposed=1, weight of size [3, 2, 3], expected bias to be 1-dimensional with 2 elements, but got "
            "bias of size [4] instead");
}

// PyTorch's _output_padding: output_size is the spatial sizes or, with them, the input's
// non-spatial dims: [N, C] batched, [C] alone unbatched.
TEST(ConvTranspose, OutputSizeOfAnUnbatchedInputCountsOneNonSpatialDim) {
  manual_seed(4);
  nn::ConvTranspose1d up(4, 2, 3, {.stride = 2});
  const Tensor x = randn({4, 6});
  const Tensor batched = up.forward(x.unsqueeze(0), Dims{1, 2, 14});
  EXPECT_EQ(up.forward(x, Dims{2, 14}).to_vector<float>(), batched.squeeze(0).to_vector<float>());
  EXPECT_EQ(up.forward(x, Dims{14}).sizes(), (Dims{2, 14}));
  EXPECT_EMBER_ERROR(up.forward(x, Dims{1, 2, 14}),
                     "ConvTranspose1D: for 2D input, output_size must have 1 or 2 elements (got 3)");
  EXPECT_EMBER_ERROR(up.forward(x.unsqueeze(0), Dims{2, 14}),
                     "ConvTranspose1D: for 3D input, output_size must have 1 or 3 elements (got 2)");
}

}  // namespace
}  // namespace ember
