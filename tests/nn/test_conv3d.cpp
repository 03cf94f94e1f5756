// conv3d and conv_transpose3d against PyTorch 1.13's values and direct loops written here,
// gradcheck and gradgradcheck in float64, and what their nodes save.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <vector>

#include "nn/volumetric_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_report;
using ember::testing::expect_values;
using ember::testing::wave;

struct Conv3dArgs {
  Dims stride{1, 1, 1}, padding{0, 0, 0}, dilation{1, 1, 1};
  int64_t groups = 1;
};

// conv3d as its definition reads, in double: every output sums its window's products.
std::vector<double> conv3d_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Conv3dArgs& a) {
  const Dims xs = x.sizes(), ks = w.sizes();
  const int64_t N = xs[0], C = xs[1], O = ks[0], cg = ks[1], og = O / a.groups;
  Dims out{N, O, 0, 0, 0};
  for (size_t i = 0; i < 3; ++i)
    out[i + 2] = (xs[i + 2] + 2 * a.padding[i] - a.dilation[i] * (ks[i + 2] - 1) - 1) / a.stride[i] + 1;
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> y;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t od = 0; od < out[2]; ++od)
        for (int64_t oh = 0; oh < out[3]; ++oh)
          for (int64_t ow = 0; ow < out[4]; ++ow) {
            double s = b.defined() ? b.to_vector<double>()[static_cast<size_t>(o)] : 0.0;
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t kd = 0; kd < ks[2]; ++kd)
                for (int64_t kh = 0; kh < ks[3]; ++kh)
                  for (int64_t kw = 0; kw < ks[4]; ++kw) {
                    const int64_t d = od * a.stride[0] - a.padding[0] + kd * a.dilation[0];
                    const int64_t h = oh * a.stride[1] - a.padding[1] + kh * a.dilation[1];
                    const int64_t v = ow * a.stride[2] - a.padding[2] + kw * a.dilation[2];
                    if (d < 0 || d >= xs[2] || h < 0 || h >= xs[3] || v < 0 || v >= xs[4]) continue;
                    const int64_t ci = o / og * cg + c;
                    s += xv[static_cast<size_t>((((n * C + ci) * xs[2] + d) * xs[3] + h) * xs[4] + v)] *
                         wv[static_cast<size_t>((((o * cg + c) * ks[2] + kd) * ks[3] + kh) * ks[4] + kw)];
                  }
            y.push_back(s);
          }
  return y;
}

// The transposed convolution as its definition reads: each input element scatters x * w.
std::vector<double> transposed_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Conv3dArgs& a,
                                         const Dims& output_padding) {
  const Dims xs = x.sizes(), ks = w.sizes();
  const int64_t N = xs[0], Cin = xs[1], cg = ks[1], Cout = cg * a.groups, in_g = Cin / a.groups;
  Dims out{N, Cout, 0, 0, 0};
  for (size_t i = 0; i < 3; ++i)
    out[i + 2] = (xs[i + 2] - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (ks[i + 2] - 1) +
                 output_padding[i] + 1;
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const int64_t plane = out[2] * out[3] * out[4];
  std::vector<double> y(static_cast<size_t>(N * Cout * plane), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < Cout; ++co)
      for (int64_t i = 0; i < plane; ++i)
        y[static_cast<size_t>((n * Cout + co) * plane + i)] = b.defined() ? b.to_vector<double>()[co] : 0.0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < Cin; ++ci)
      for (int64_t d = 0; d < xs[2]; ++d)
        for (int64_t h = 0; h < xs[3]; ++h)
          for (int64_t v = 0; v < xs[4]; ++v)
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t kd = 0; kd < ks[2]; ++kd)
                for (int64_t kh = 0; kh < ks[3]; ++kh)
                  for (int64_t kw = 0; kw < ks[4]; ++kw) {
                    const int64_t od = d * a.stride[0] - a.padding[0] + kd * a.dilation[0];
                    const int64_t oh = h * a.stride[1] - a.padding[1] + kh * a.dilation[1];
                    const int64_t ow = v * a.stride[2] - a.padding[2] + kw * a.dilation[2];
                    if (od < 0 || od >= out[2] || oh < 0 || oh >= out[3] || ow < 0 || ow >= out[4]) continue;
                    const int64_t co = ci / in_g * cg + c;
                    y[static_cast<size_t>((((n * Cout + co) * out[2] + od) * out[3] + oh) * out[4] + ow)] +=
                        xv[static_cast<size_t>((((n * Cin + ci) * xs[2] + d) * xs[3] + h) * xs[4] + v)] *
                        wv[static_cast<size_t>((((ci * cg + c) * ks[2] + kd) * ks[3] + kh) * ks[4] + kw)];
                  }
  return y;
}

// x = ar(2,4,5,6,7); w = ar(6,2,3,2,3) * 0.5; b = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6];
// F.conv3d(x, w, b, stride=(2,1,2), padding=(1,0,1), dilation=(1,2,1), groups=2).
TEST(Conv3d, ValuesMatchPyTorch) {
  const Tensor x = wave({2, 4, 5, 6, 7}), w = wave({6, 2, 3, 2, 3}).mul(0.5);
  const Tensor b = tensor(std::vector<double>{0.1, -0.2, 0.3, -0.4, 0.5, -0.6});
  const Tensor out = F::conv3d(x, w, b, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2);
  expect_report(out, {{2, 6, 3, 4, 4},
                      -24.91341697841856,
                      -3.2467087528337455,
                      {{0, 0.023485060033711286},
                       {82, -2.5655769582591392},
                       {192, 0.912623155856358},
                       {288, 0.22851835665771697},
                       {575, -2.086058110740799}}});
  expect_values(out, conv3d_reference(x, w, b, {{2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2}), 1e-12);
}

// Each option alone and together, odd sizes, float32 too, against the direct loop.
TEST(Conv3d, MatchesTheDefinition) {
  struct Case {
    Dims x, w;
    Conv3dArgs args;
    bool bias;
  };
  const std::vector<Case> cases{
      {{1, 1, 3, 3, 3}, {1, 1, 1, 1, 1}, {}, false},
      {{2, 3, 4, 5, 6}, {4, 3, 3, 3, 3}, {}, true},
      {{1, 2, 7, 5, 4}, {3, 2, 3, 2, 1}, {{3, 2, 1}, {0, 0, 0}, {1, 1, 1}, 1}, true},
      {{2, 2, 5, 5, 5}, {2, 2, 2, 3, 2}, {{1, 1, 1}, {1, 1, 0}, {1, 1, 1}, 1}, false},
      {{1, 3, 9, 6, 6}, {3, 3, 3, 2, 2}, {{1, 1, 1}, {0, 0, 0}, {3, 2, 1}, 1}, true},
      {{2, 6, 4, 4, 4}, {9, 2, 2, 3, 3}, {{2, 1, 1}, {1, 1, 1}, {1, 1, 1}, 3}, true},
      {{1, 4, 5, 4, 3}, {4, 1, 3, 3, 3}, {{1, 2, 1}, {2, 1, 1}, {2, 1, 1}, 4}, false},
  };
  for (const Case& c : cases) {
    const Tensor x = wave(c.x), w = wave(c.w).mul(0.3);
    const Tensor b = c.bias ? wave({c.w[0]}) : Tensor();
    const Tensor out = F::conv3d(x, w, b, c.args.stride, c.args.padding, c.args.dilation, c.args.groups);
    SCOPED_TRACE(::testing::Message() << "x " << c.x << " w " << c.w);
    expect_values(out, conv3d_reference(x, w, b, c.args), 1e-12);
    const Tensor out32 = F::conv3d(x.to(kFloat32), w.to(kFloat32), c.bias ? b.to(kFloat32) : Tensor(), c.args.stride,
                                   c.args.padding, c.args.dilation, c.args.groups);
    EXPECT_EQ(out32.dtype(), kFloat32);
    expect_values(out32, out.to_vector<double>(), 1e-5);
  }
}

TEST(Conv3d, SamePaddingUnbatchedAndBFloat16) {
  const Tensor x = wave({2, 5, 4, 6}), w = wave({3, 2, 2, 3, 4}).mul(0.5);
  const Tensor same = F::conv3d(x, w, Tensor(), 1, nn::kSame, {2, 1, 1});
  ASSERT_EQ(same.sizes(), (Dims{3, 5, 4, 6}));
  // PyTorch's split of an odd total: the extra zero after (kd: total 2 -> 1, 1; kh: 2 -> 1, 1;
  // kw: 3 -> 1, 2), which is the explicit padding of the input on those sides.
  const Tensor padded = F::pad(x.unsqueeze(0), {1, 2, 1, 1, 1, 1});
  expect_values(same, conv3d_reference(padded, w, Tensor(), {{1, 1, 1}, {0, 0, 0}, {2, 1, 1}, 1}), 1e-12);
  EXPECT_EQ(F::conv3d(x, w, Tensor(), 1, nn::kValid).sizes(), (Dims{3, 4, 2, 3}));
  const Tensor bf = F::conv3d(x.to(kBFloat16), w.to(kBFloat16), Tensor(), 1, {1, 0, 1});
  EXPECT_EQ(bf.dtype(), kBFloat16);
  expect_values(bf, F::conv3d(x, w, Tensor(), 1, {1, 0, 1}).to_vector<double>(), 0.05);
}

// The node keeps x for the weight's gradient and w for the input's, as PyTorch's: not the
// folded copy of x (KD times its size).
TEST(Conv3d, WhatTheNodeSaves) {
  const Tensor x = randn({2, 4, 6, 5, 5}, dtype(kFloat64)), w = randn({6, 4, 3, 3, 3}, dtype(kFloat64));
  const auto saved_bytes = [](const Tensor& out) {
    EXPECT_EQ(out.grad_fn()->name(), "ConvolutionBackward");
    return autograd::saved_tensor_stats().bytes_by_op["ConvolutionBackward"];
  };
  const auto x_bytes = static_cast<int64_t>(x.nbytes()), w_bytes = static_cast<int64_t>(w.nbytes());
  const Tensor xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true);
  EXPECT_EQ(saved_bytes(F::conv3d(xg, wg, Tensor(), 1, 1)), x_bytes + w_bytes);
  EXPECT_EQ(saved_bytes(F::conv3d(xg, w, Tensor(), 2, {1, 0, 2})), w_bytes);
  EXPECT_EQ(saved_bytes(F::conv3d(x, wg, Tensor(), 1, nn::kSame, 2)), x_bytes);
}

TEST(Conv3d, GradcheckAndGradgradcheck) {
  const Tensor x = ember::testing::grad_input({2, 4, 4, 3, 5}), w = ember::testing::grad_input({2, 2, 2, 2, 3});
  const Tensor b = ember::testing::grad_input({2});
  const auto fn = [](const std::vector<Tensor>& in) {
    return F::conv3d(in[0], in[1], in[2], {2, 1, 1}, {1, 1, 0}, {1, 2, 1}, 2);
  };
  expect_gradcheck(fn, {x, w, b});
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, w, b}));
  const auto same = [](const std::vector<Tensor>& in) { return F::conv3d(in[0], in[1], Tensor(), 1, nn::kSame); };
  const std::vector<Tensor> same_in{ember::testing::grad_input({1, 2, 3, 4, 3}),
                                    ember::testing::grad_input({2, 2, 2, 3, 2})};
  expect_gradcheck(same, same_in);
  EXPECT_TRUE(autograd::gradgradcheck(same, same_in));
  const auto strided = [](const std::vector<Tensor>& in) {
    return F::conv3d(in[0], in[1], Tensor(), {3, 2, 1}, {2, 1, 0}, {2, 1, 1});
  };
  expect_gradcheck(strided, {ember::testing::grad_input({2, 1, 7, 5, 3}), ember::testing::grad_input({2, 1, 2, 2, 2})});
}

// x = ar(2,4,3,4,3); w = ar(4,3,3,2,2) * 0.5; b as above; F.conv_transpose3d(x, w, b,
// stride=(2,1,2), padding=(1,0,1), output_padding=(1,0,1), groups=2, dilation=(2,1,1)).
TEST(ConvTranspose3d, ValuesMatchPyTorch) {
  const Tensor x = wave({2, 4, 3, 4, 3}), w = wave({4, 3, 3, 2, 2}).mul(0.5);
  const Tensor b = tensor(std::vector<double>{0.1, -0.2, 0.3, -0.4, 0.5, -0.6});
  const Tensor out = F::conv_transpose3d(x, w, b, {2, 1, 2}, {1, 0, 1}, {1, 0, 1}, 2, {2, 1, 1});
  expect_report(out, {{2, 6, 8, 5, 5},
                      -120.1051345383033,
                      0.5084849912804614,
                      {{0, 0.1}, {342, 0.5952534209744123}, {800, 0.5}, {1200, 0.1}, {2399, -1.2051293020686553}}});
  expect_values(out, transposed_reference(x, w, b, {{2, 1, 2}, {1, 0, 1}, {2, 1, 1}, 2}, {1, 0, 1}), 1e-12);
}

TEST(ConvTranspose3d, MatchesTheScatterDefinition) {
  struct Case {
    Dims x, w;
    Conv3dArgs args;
    Dims output_padding;
  };
  const std::vector<Case> cases{
      {{1, 1, 2, 2, 2}, {1, 1, 1, 1, 1}, {}, {0, 0, 0}},
      {{2, 3, 3, 4, 2}, {3, 2, 3, 3, 2}, {}, {0, 0, 0}},
      {{1, 2, 3, 3, 3}, {2, 2, 2, 2, 2}, {{2, 2, 2}, {0, 0, 0}, {1, 1, 1}, 1}, {1, 0, 1}},
      {{1, 2, 4, 3, 3}, {2, 3, 3, 2, 2}, {{3, 1, 2}, {2, 0, 1}, {1, 1, 1}, 1}, {2, 0, 0}},
      {{2, 4, 3, 2, 3}, {4, 1, 3, 2, 2}, {{1, 2, 1}, {1, 0, 0}, {2, 1, 3}, 4}, {0, 1, 0}},
  };
  for (const Case& c : cases) {
    const Tensor x = wave(c.x), w = wave(c.w).mul(0.3), b = wave({c.w[1] * c.args.groups});
    SCOPED_TRACE(::testing::Message() << "x " << c.x << " w " << c.w);
    const Tensor out = F::conv_transpose3d(x, w, b, c.args.stride, c.args.padding, c.output_padding, c.args.groups,
                                           c.args.dilation);
    expect_values(out, transposed_reference(x, w, b, c.args, c.output_padding), 1e-12);
  }
}

// Its node keeps x and w as conv3d's does, not a depth-into-batch copy of x.
TEST(ConvTranspose3d, WhatTheNodeSaves) {
  const Tensor x = randn({2, 4, 3, 5, 4}, dtype(kFloat64)), w = randn({4, 3, 2, 3, 3}, dtype(kFloat64));
  const auto saved_bytes = [](const Tensor& out) {
    EXPECT_EQ(out.grad_fn()->name(), "ConvolutionBackward");
    return autograd::saved_tensor_stats().bytes_by_op["ConvolutionBackward"];
  };
  const auto x_bytes = static_cast<int64_t>(x.nbytes()), w_bytes = static_cast<int64_t>(w.nbytes());
  const Tensor xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true);
  EXPECT_EQ(saved_bytes(F::conv_transpose3d(xg, wg, Tensor(), 2, 1, 1)), x_bytes + w_bytes);
  EXPECT_EQ(saved_bytes(F::conv_transpose3d(xg, w)), w_bytes);
  EXPECT_EQ(saved_bytes(F::conv_transpose3d(x, wg, Tensor(), {1, 2, 1})), x_bytes);
}

TEST(ConvTranspose3d, GradcheckAndGradgradcheck) {
  const Tensor x = ember::testing::grad_input({1, 4, 2, 3, 2}), w = ember::testing::grad_input({4, 1, 2, 2, 3});
  const Tensor b = ember::testing::grad_input({2});
  const auto fn = [](const std::vector<Tensor>& in) {
    return F::conv_transpose3d(in[0], in[1], in[2], {2, 1, 1}, {1, 0, 1}, {1, 0, 0}, 2, {1, 1, 2});
  };
  expect_gradcheck(fn, {x, w, b});
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, w, b}));
  const auto up = [](const std::vector<Tensor>& in) {
    return F::conv_transpose3d(in[0], in[1], Tensor(), {2, 3, 1}, {0, 1, 1}, {1, 2, 0}, 1, {2, 1, 1});
  };
  const std::vector<Tensor> up_in{ember::testing::grad_input({2, 2, 3, 2, 3}),
                                  ember::testing::grad_input({2, 3, 2, 2, 3})};
  expect_gradcheck(up, up_in);
  EXPECT_TRUE(autograd::gradgradcheck(up, up_in));
}

}  // namespace
}  // namespace ember
