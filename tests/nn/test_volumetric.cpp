// The 3-D family (conv3d, conv_transpose3d, max/avg/adaptive pooling, dropout3d and their
// layers, BatchNorm3d) against PyTorch 1.13's values and direct loops written here,
// gradcheck and gradgradcheck in float64, PyTorch's tie and NaN rules, reprs and errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// sin(0.37 * i) over `shape`: the Python's ar(*shape) = (torch.arange(n) * 0.37).sin().
Tensor wave(const Dims& shape) {
  return ember::sin(arange(shape_numel(shape), TensorOptions(kFloat64)).mul(0.37)).reshape(shape);
}

// PyTorch's report of a result: its sum, its sum weighted by cos(i), and picked elements.
struct Report {
  Dims shape;
  double sum, weighted;
  std::vector<std::pair<size_t, double>> picks;
};

void expect_report(const Tensor& out, const Report& want, double tol = 1e-12) {
  ASSERT_EQ(out.sizes(), want.shape);
  EXPECT_NEAR(out.sum().item<double>(), want.sum, tol);
  const Tensor weights = ember::cos(arange(out.numel(), TensorOptions(kFloat64))).reshape(out.sizes());
  EXPECT_NEAR((out.to(kFloat64) * weights).sum().item<double>(), want.weighted, tol);
  const auto v = out.to_vector<double>();
  for (const auto& [i, value] : want.picks) EXPECT_NEAR(v[i], value, tol) << "at " << i;
}

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

struct PoolArgs {
  Dims kernel, stride, padding{0, 0, 0}, dilation{1, 1, 1};
  bool ceil_mode = false;
};

// PyTorch's output size per dim (pooling_output_shape).
int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * p - d * (k - 1) - 1;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

// Max pooling as PyTorch's CPU kernel scans: (d, h, w) order, a larger value or a NaN wins.
std::pair<std::vector<double>, std::vector<int64_t>> max_reference(const Tensor& x, const PoolArgs& a) {
  const Dims xs = x.sizes();
  const int64_t planes = xs[0] * xs[1], D = xs[2], H = xs[3], W = xs[4];
  Dims out{0, 0, 0};
  for (size_t i = 0; i < 3; ++i)
    out[i] = pooled_size(xs[i + 2], a.kernel[i], a.stride[i], a.padding[i], a.dilation[i], a.ceil_mode);
  const auto xv = x.to_vector<double>();
  std::vector<double> values;
  std::vector<int64_t> indices;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t od = 0; od < out[0]; ++od)
      for (int64_t oh = 0; oh < out[1]; ++oh)
        for (int64_t ow = 0; ow < out[2]; ++ow) {
          double best = -std::numeric_limits<double>::infinity();
          int64_t at = -1;
          for (int64_t kd = 0; kd < a.kernel[0]; ++kd)
            for (int64_t kh = 0; kh < a.kernel[1]; ++kh)
              for (int64_t kw = 0; kw < a.kernel[2]; ++kw) {
                const int64_t d = od * a.stride[0] - a.padding[0] + kd * a.dilation[0];
                const int64_t h = oh * a.stride[1] - a.padding[1] + kh * a.dilation[1];
                const int64_t w = ow * a.stride[2] - a.padding[2] + kw * a.dilation[2];
                if (d < 0 || d >= D || h < 0 || h >= H || w < 0 || w >= W) continue;
                const double v = xv[static_cast<size_t>(((p * D + d) * H + h) * W + w)];
                if (v > best || std::isnan(v) || at < 0) {
                  if (at >= 0 && std::isnan(best) && !std::isnan(v)) continue;
                  best = v;
                  at = (d * H + h) * W + w;
                }
              }
          values.push_back(best);
          indices.push_back(at);
        }
  return {values, indices};
}

// Average pooling as PyTorch's avg_pool3d computes it (pool_size before clipping).
std::vector<double> avg_reference(const Tensor& x, const PoolArgs& a, bool count_include_pad,
                                  std::optional<int64_t> divisor_override) {
  const Dims xs = x.sizes();
  const int64_t planes = xs[0] * xs[1];
  Dims out{0, 0, 0};
  for (size_t i = 0; i < 3; ++i)
    out[i] = pooled_size(xs[i + 2], a.kernel[i], a.stride[i], a.padding[i], 1, a.ceil_mode);
  const auto xv = x.to_vector<double>();
  std::vector<double> values;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t od = 0; od < out[0]; ++od)
      for (int64_t oh = 0; oh < out[1]; ++oh)
        for (int64_t ow = 0; ow < out[2]; ++ow) {
          const int64_t o[3] = {od, oh, ow};
          int64_t lo[3], hi[3], pool_size = 1, inside = 1;
          for (int i = 0; i < 3; ++i) {
            lo[i] = o[i] * a.stride[i] - a.padding[i];
            hi[i] = std::min(lo[i] + a.kernel[i], xs[i + 2] + a.padding[i]);
            pool_size *= hi[i] - lo[i];
            lo[i] = std::max<int64_t>(lo[i], 0);
            hi[i] = std::min(hi[i], xs[i + 2]);
            inside *= hi[i] - lo[i];
          }
          double sum = 0;
          for (int64_t d = lo[0]; d < hi[0]; ++d)
            for (int64_t h = lo[1]; h < hi[1]; ++h)
              for (int64_t w = lo[2]; w < hi[2]; ++w)
                sum += xv[static_cast<size_t>(((p * xs[2] + d) * xs[3] + h) * xs[4] + w)];
          const int64_t divisor = divisor_override ? *divisor_override : count_include_pad ? pool_size : inside;
          values.push_back(sum / static_cast<double>(divisor));
        }
  return values;
}

// x = ar(2,3,5,6,7); F.max_pool3d(x, (3,2,3), stride=(2,2,1), padding=(1,1,0),
// dilation=(1,2,1), ceil_mode=True, return_indices=True).
TEST(MaxPool3d, ValuesAndIndicesMatchPyTorch) {
  const Tensor x = wave({2, 3, 5, 6, 7});
  const auto [out, idx] = F::max_pool3d_with_indices(x, {3, 2, 3}, {2, 2, 1}, {1, 1, 0}, {1, 2, 1}, true);
  expect_report(out, {{2, 3, 3, 4, 5},
                      323.5898517552546,
                      1.5308400584666568,
                      {{0, 0.5240443416872761},
                       {51, 0.9998746336661238},
                       {120, 0.9968358984786324},
                       {180, 0.5992690330325638},
                       {359, 0.7670864488068502}}});
  EXPECT_EQ(idx.dtype(), kInt64);
  const auto iv = idx.to_vector<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(iv.begin(), iv.begin() + 12),
            (std::vector<int64_t>{7, 52, 53, 54, 55, 21, 22, 23, 54, 55, 21, 38}));
  EXPECT_EQ(idx.sum().item<int64_t>(), 38902);
  EXPECT_TRUE(equal(out, F::max_pool3d(x, {3, 2, 3}, {2, 2, 1}, {1, 1, 0}, {1, 2, 1}, true)));
}

TEST(MaxPool3d, MatchesTheScanWithTiesAndNaN) {
  // Values from a small set (many ties), a NaN and an infinity.
  Tensor x = ember::floor(wave({2, 2, 5, 6, 5}).mul(2.0));
  {
    NoGradGuard g;
    x.view({-1}).narrow(0, 37, 1).fill_(std::nan(""));
    x.view({-1}).narrow(0, 151, 1).fill_(std::numeric_limits<double>::infinity());
    x.view({-1}).narrow(0, 152, 1).fill_(std::nan(""));
  }
  const std::vector<PoolArgs> cases{
      {{2, 2, 2}, {2, 2, 2}},
      {{3, 3, 2}, {1, 2, 1}, {1, 1, 1}},
      {{2, 3, 3}, {2, 1, 2}, {1, 1, 0}, {2, 1, 1}, true},
      {{1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {1, 2, 2}},
  };
  for (const PoolArgs& a : cases) {
    SCOPED_TRACE(::testing::Message() << "kernel " << a.kernel << " stride " << a.stride);
    const auto [out, idx] = F::max_pool3d_with_indices(x, a.kernel, a.stride, a.padding, a.dilation, a.ceil_mode);
    const auto [values, indices] = max_reference(x, a);
    const auto got = out.to_vector<double>();
    ASSERT_EQ(got.size(), values.size());
    for (size_t i = 0; i < got.size(); ++i) {
      if (std::isnan(values[i])) EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
      else EXPECT_EQ(got[i], values[i]) << "at " << i;
    }
    EXPECT_EQ(idx.to_vector<int64_t>(), indices);
  }
}

// The gradient goes to the reported winner, once per window that picked it.
TEST(MaxPool3d, GradientRoutesToTheIndicesAndDifferentiatesTwice) {
  const Tensor x = ember::floor(wave({1, 2, 4, 5, 4}).mul(3.0)).requires_grad_(true);
  const auto [out, idx] = F::max_pool3d_with_indices(x, {2, 3, 2}, {1, 2, 1}, {1, 1, 0});
  const Tensor g = wave(out.sizes()).add(2.0);
  out.backward(g);
  std::vector<double> want(static_cast<size_t>(x.numel()), 0.0);
  const auto iv = idx.to_vector<int64_t>();
  const auto gv = g.to_vector<double>();
  const int64_t per_plane = out.numel() / 2;
  for (size_t i = 0; i < iv.size(); ++i) want[static_cast<size_t>(i / per_plane * 80 + iv[i])] += gv[i];
  expect_values(x.grad(), want, 1e-12);
  const Tensor y = ember::testing::grad_input({1, 2, 3, 4, 5});
  const auto fn = [](const std::vector<Tensor>& in) { return F::max_pool3d(in[0], {2, 2, 3}, {1, 2, 1}, {1, 1, 0}); };
  expect_gradcheck(fn, {y});
  EXPECT_TRUE(autograd::gradgradcheck(fn, {y}));
}

TEST(AvgPool3d, ValuesMatchPyTorch) {
  const Tensor x = wave({2, 3, 5, 6, 7});
  expect_report(F::avg_pool3d(x, {3, 2, 3}, {2, 2, 1}, {1, 1, 0}, true, false),
                {{2, 3, 3, 4, 5},
                 -0.614362529874336,
                 -0.05668282558820892,
                 {{0, 0.0768445442868384},
                  {51, 0.02134334163270905},
                  {120, 0.014117884751474852},
                  {180, 0.04927630028501747},
                  {359, -0.06663419758774919}}});
  expect_report(F::avg_pool3d(x, {3, 2, 3}, {2, 2, 1}, {1, 1, 0}, true),
                {{2, 3, 3, 4, 5},
                 -0.20407018336378635,
                 -0.04943865638849962,
                 {{0, 0.0256148480956128},
                  {51, 0.014228894421806033},
                  {120, 0.004705961583824951},
                  {180, 0.016425433428339156},
                  {359, -0.022211399195916397}}});
  expect_report(F::avg_pool3d(x, {3, 2, 3}, {2, 2, 1}, {1, 1, 0}, false, true, 5),
                {{2, 3, 3, 4, 5},
                 -0.7346526601096305,
                 -0.17797916299859845,
                 {{0, 0.09221345314420608},
                  {51, 0.051224019918501715},
                  {120, 0.01694146170176982},
                  {180, 0.05913156034202096},
                  {359, -0.07996103710529903}}});
}

TEST(AvgPool3d, MatchesTheDefinitionAndGradchecks) {
  const Tensor x = wave({2, 2, 5, 7, 6});
  const std::vector<PoolArgs> cases{
      {{2, 2, 2}, {2, 2, 2}},
      {{3, 3, 2}, {2, 3, 1}, {1, 1, 1}, {1, 1, 1}, true},
      {{1, 3, 3}, {1, 2, 2}, {0, 1, 1}},
  };
  for (const PoolArgs& a : cases)
    for (const bool include_pad : {true, false})
      for (const std::optional<int64_t> divisor : {std::optional<int64_t>(), std::optional<int64_t>(7)}) {
        SCOPED_TRACE(::testing::Message() << "kernel " << a.kernel << " include_pad " << include_pad);
        const Tensor out = F::avg_pool3d(x, a.kernel, a.stride, a.padding, a.ceil_mode, include_pad, divisor);
        expect_values(out, avg_reference(x, a, include_pad, divisor), 1e-12);
      }
  const auto fn = [](const std::vector<Tensor>& in) {
    return F::avg_pool3d(in[0], {2, 3, 2}, {1, 2, 2}, {1, 1, 0}, true, false);
  };
  const Tensor y = ember::testing::grad_input({1, 2, 3, 5, 4});
  expect_gradcheck(fn, {y});
  EXPECT_TRUE(autograd::gradgradcheck(fn, {y}));
}

TEST(AdaptivePool3d, ValuesMatchPyTorch) {
  const Tensor x = wave({2, 3, 5, 6, 7});
  expect_report(F::adaptive_avg_pool3d(x, {3, 4, 5}), {{2, 3, 3, 4, 5},
                                                      0.08219608915767498,
                                                      -0.19349514115566208,
                                                      {{0, 0.003904281743486851},
                                                       {51, 0.02074398122088031},
                                                       {120, 0.02155568496549247},
                                                       {180, -0.009712840730608206},
                                                       {359, -0.019465508439344373}}});
  const auto [out, idx] = F::adaptive_max_pool3d_with_indices(x, {3, 4, 5});
  expect_report(out, {{2, 3, 3, 4, 5},
                      317.26322259908284,
                      1.2052170815534715,
                      {{0, 0.5240443416872761},
                       {51, 0.9998746336661238},
                       {120, 0.9956599875668622},
                       {180, 0.8372002472959883},
                       {359, 0.9997344327976115}}});
  const auto iv = idx.to_vector<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(iv.begin(), iv.begin() + 12),
            (std::vector<int64_t>{7, 2, 4, 4, 55, 56, 57, 53, 54, 55, 21, 72}));
  EXPECT_EQ(idx.sum().item<int64_t>(), 37821);
  EXPECT_TRUE(equal(F::adaptive_max_pool3d(x, {3, 4, 5}), out));
  // Unbatched, and a size of one integer.
  EXPECT_TRUE(equal(F::adaptive_avg_pool3d(x[0], 2), F::adaptive_avg_pool3d(x, {2, 2, 2})[0]));
  const auto fn = [](const std::vector<Tensor>& in) { return F::adaptive_avg_pool3d(in[0], {2, 3, 2}); };
  const Tensor y = ember::testing::grad_input({1, 2, 3, 5, 4});
  expect_gradcheck(fn, {y});
  const auto max_fn = [](const std::vector<Tensor>& in) { return F::adaptive_max_pool3d(in[0], {2, 3, 2}); };
  expect_gradcheck(max_fn, {y});
}

// Empty batches and empty adaptive sizes give PyTorch's empty results; bfloat16 averages
// round once; autocast runs the convolutions in bfloat16 with a float32 bias.
TEST(Volumetric, EdgeShapesAndDtypes) {
  EXPECT_EQ(F::conv3d(wave({0, 2, 4, 4, 4}), wave({3, 2, 3, 3, 3})).sizes(), (Dims{0, 3, 2, 2, 2}));
  const Tensor empty_batch = wave({0, 2, 4, 4, 4}).requires_grad_(true), w = wave({3, 2, 3, 3, 3}).requires_grad_(true);
  F::conv3d(empty_batch, w, Tensor(), 1, 1).sum().backward();
  EXPECT_EQ(empty_batch.grad().sizes(), empty_batch.sizes());
  EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(F::conv_transpose3d(wave({0, 2, 3, 3, 3}), wave({2, 3, 2, 2, 2}), wave({3}), 2).sizes(),
            (Dims{0, 3, 6, 6, 6}));
  const Tensor empty_up = wave({0, 2, 3, 3, 3}).requires_grad_(true), wu = wave({2, 3, 2, 2, 2}).requires_grad_(true);
  F::conv_transpose3d(empty_up, wu, Tensor(), 2, 0, 1).sum().backward();
  EXPECT_EQ(empty_up.grad().sizes(), empty_up.sizes());
  EXPECT_EQ(wu.grad().abs().sum().item<double>(), 0.0);
  // bfloat16 gradients through both nodes, against float32's.
  const Tensor xb = wave({1, 2, 4, 3, 4}).to(kBFloat16).requires_grad_(true);
  const Tensor wb = wave({2, 2, 2, 2, 2}).to(kBFloat16).requires_grad_(true);
  F::conv_transpose3d(F::conv3d(xb, wb, Tensor(), 1, 1), wb, Tensor(), 1, 1).sum().backward();
  const Tensor xf = wave({1, 2, 4, 3, 4}).to(kFloat32).requires_grad_(true);
  const Tensor wf = wave({2, 2, 2, 2, 2}).to(kFloat32).requires_grad_(true);
  F::conv_transpose3d(F::conv3d(xf, wf, Tensor(), 1, 1), wf, Tensor(), 1, 1).sum().backward();
  EXPECT_EQ(xb.grad().dtype(), kBFloat16);
  EXPECT_TRUE(allclose(xb.grad().to(kFloat32), xf.grad(), 0.05, 0.1));
  EXPECT_TRUE(allclose(wb.grad().to(kFloat32), wf.grad(), 0.05, 0.2));
  const Tensor x = wave({1, 2, 5, 4, 6});
  EXPECT_EQ(F::adaptive_avg_pool3d(x, {2, 0, 2}).sizes(), (Dims{1, 2, 2, 0, 2}));
  const auto [values, indices] = F::adaptive_max_pool3d_with_indices(x[0], {2, 2, 0});
  EXPECT_EQ(values.sizes(), (Dims{2, 2, 2, 0}));
  EXPECT_EQ(indices.dtype(), kInt64);
  EXPECT_EQ(F::max_pool3d(wave({0, 2, 4, 4, 4}), 2).sizes(), (Dims{0, 2, 2, 2, 2}));
  const Tensor bf = x.to(kBFloat16);
  EXPECT_TRUE(equal(F::avg_pool3d(bf, 3, 1, 1), F::avg_pool3d(bf.to(kFloat32), 3, 1, 1).to(kBFloat16)));
  EXPECT_TRUE(
      equal(F::adaptive_avg_pool3d(bf, {2, 3, 4}), F::adaptive_avg_pool3d(bf.to(kFloat32), {2, 3, 4}).to(kBFloat16)));
  {
    AutocastGuard guard(Device::cpu(), kBFloat16);
    const Tensor y = F::conv_transpose3d(bf, wave({2, 3, 2, 2, 2}).to(kFloat32), wave({3}).to(kFloat32));
    EXPECT_EQ(y.dtype(), kBFloat16);
    EXPECT_EQ(F::conv3d(x.to(kFloat32), wave({3, 2, 2, 2, 2}).to(kFloat32), wave({3}).to(kFloat32)).dtype(),
              kBFloat16);
  }
}

TEST(Volumetric, ErrorsUsePyTorchsPhrases) {
  const Tensor x = wave({2, 3, 4, 4, 4});
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 2, 3, 3, 3})); })
                .find("Given groups=1, weight of size [4, 2, 3, 3, 3], expected input[2, 3, 4, 4, 4] to have 2 "
                      "channels, but got 3 channels instead"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(wave({1, 3, 2, 4, 4}), wave({4, 3, 3, 3, 3})); })
                .find("Calculated padded input size per channel: (2 x 4 x 4). Kernel size: (3 x 3 x 3). Kernel size "
                      "can't be greater than actual input size"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(wave({3, 4}), wave({1, 3, 1, 1, 1})); })
                .find("Expected 4D (unbatched) or 5D (batched) input to conv3d"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 3, 3, 3})); }).find("Expected 5-dimensional weight"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 3, 1, 1, 1}), Tensor(), {1, 2}); })
                .find("expected stride to be a single integer or a tuple of three integers"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 3, 1, 1, 1}), Tensor(), 2, nn::kSame); })
                .find("padding='same' is not supported for strided convolutions"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv_transpose3d(x, wave({3, 2, 2, 2, 2}), Tensor(), 2, 0, {1, 2, 0}); })
                .find("output padding must be smaller than either stride or dilation"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(wave({1, 1, 2, 2, 2}), 3, {}, 2); })
                .find("pad should be at most half of kernel size, but got pad=2 and kernel_size=3"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(wave({2, 3, 3}), 2); })
                .find("non-empty 4D or 5D (batch mode) tensor expected for input"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(wave({1, 1, 1, 1, 1}), 2); })
                .find("Given input size: (1x1x1x1). Calculated output size: (1x0x0x0). Output size is too small"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::avg_pool3d(wave({1, 1, 2, 4, 4}), 3, {}, 1); })
                .find("input image (T: 2 H: 4 W: 4) smaller than kernel size (kT: 3 kH: 3 kW: 3)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(x, {2, 0, 2}); }).find("stride should not be zero"), std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(x, 2, 1, 1, {1, 0, 1}); })
                .find("dilation should be greater than zero, but got dilationT: 1 dilationH: 0 dilationW: 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({2, 3, 1, 1, 1}), wave({3})); })
                .find("Given weight of size [2, 3, 1, 1, 1], expected bias to be 1-dimensional with 2 elements, but "
                      "got bias of size [3] instead"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({2, 3, 1, 1, 1}), wave({2}).to(kFloat32)); })
                .find("Input type (float64) and bias type (float32) should be the same"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 1, 1, 1, 1}), Tensor(), 1, 0, 1, 3); })
                .find("Given groups=3, expected weight to be divisible by 3 at dimension 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv_transpose3d(x, wave({3, 1, 1, 1, 1}), Tensor(), 1, 0, 0, 4); })
                .find("Given groups=4, expected weight to be at least 4 at dimension 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::avg_pool3d(x, 2, {}, 0, false, true, 0); }).find("divisor must be not zero"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::dropout3d(wave({2, 3, 4}), 0.5); }).find("dropout3d: expected 4D or 5D input (got 3D"),
            std::string::npos);
  nn::BatchNorm3d bn(3);
  EXPECT_NE(error_of([&] { bn.forward(wave({2, 3, 4, 4})); }).find("expected 5D input (got 4D input)"),
            std::string::npos);
}

TEST(Volumetric, LayersPrintAndInitializeLikePyTorch) {
  nn::Conv3d conv(4, 6, 3, {.stride = {2, 1, 1}, .padding = 1, .groups = 2, .bias = false});
  EXPECT_EQ(conv.weight.sizes(), (Dims{6, 2, 3, 3, 3}));
  EXPECT_FALSE(conv.bias.defined());
  // PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in / groups * KD * KH * KW: 324
  // draws reach past 0.9 of the bound (a larger fan_in's bound would not).
  EXPECT_LE(conv.weight.abs().max().item<float>(), 1.0 / std::sqrt(54.0));
  EXPECT_GE(conv.weight.abs().max().item<float>(), 0.9 / std::sqrt(54.0));
  EXPECT_EQ(conv.extra_repr(),
            "4, 6, kernel_size=(3, 3, 3), stride=(2, 1, 1), padding=(1, 1, 1), groups=2, bias=False");
  nn::ConvTranspose3d up(4, 6, {3, 2, 2}, {.stride = 2, .output_padding = 1});
  EXPECT_EQ(up.weight.sizes(), (Dims{4, 6, 3, 2, 2}));
  EXPECT_EQ(up.extra_repr(), "4, 6, kernel_size=(3, 2, 2), stride=(2, 2, 2), output_padding=(1, 1, 1)");
  nn::ConvTranspose3d wide(4, 64, {3, 2, 2});
  EXPECT_LE(wide.bias.abs().max().item<float>(), 1.0 / std::sqrt(64.0 * 12));
  EXPECT_GE(wide.bias.abs().max().item<float>(), 0.8 / std::sqrt(64.0 * 12));
  EXPECT_LE(wide.weight.abs().max().item<float>(), 1.0 / std::sqrt(64.0 * 12));
  EXPECT_GE(wide.weight.abs().max().item<float>(), 0.9 / std::sqrt(64.0 * 12));
  EXPECT_EQ(nn::MaxPool3d(2).extra_repr(), "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False");
  EXPECT_EQ(nn::MaxPool3d({1, 2, 2}, nn::Triple{1, 2, 2}, {0, 1, 1}).extra_repr(),
            "kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=(0, 1, 1), dilation=1, ceil_mode=False");
  EXPECT_EQ(nn::AvgPool3d(3, 2).extra_repr(), "kernel_size=3, stride=2, padding=0");
  EXPECT_EQ(nn::AdaptiveAvgPool3d({1, 2, 2}).extra_repr(), "output_size=(1, 2, 2)");
  EXPECT_EQ(nn::AdaptiveMaxPool3d(1).extra_repr(), "output_size=1");
  nn::BatchNorm3d bn(4);
  EXPECT_EQ(bn.extra_repr(), "4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True");
  EXPECT_EQ(nn::Dropout3d(0.2).extra_repr(), "p=0.2, inplace=False");
}

TEST(Volumetric, LayersComputeTheirFunctionalForms) {
  manual_seed(3);
  const Tensor x = wave({2, 4, 5, 6, 5}).to(kFloat32);
  nn::Conv3d conv(4, 6, {3, 2, 3}, {.padding = {1, 0, 1}, .padding_mode = "circular"});
  const Tensor padded = F::pad(x, {1, 1, 0, 0, 1, 1}, "circular");
  EXPECT_TRUE(allclose(conv.forward(x), F::conv3d(padded, conv.weight, conv.bias), 1e-5, 1e-6));
  nn::ConvTranspose3d up(6, 2, 3, {.stride = 2, .padding = 1});
  const Tensor y = conv.forward(x);
  EXPECT_EQ(up.forward(y, Dims{10, 9, 10}).sizes(), (Dims{2, 2, 10, 9, 10}));
  EXPECT_EQ(up.forward(y).sizes(), (Dims{2, 2, 9, 9, 9}));
  nn::MaxPool3d pool(2, std::nullopt, 0);
  EXPECT_TRUE(equal(pool.forward(x), F::max_pool3d(x, 2)));
  nn::AvgPool3d avg(3, {.stride = nn::Triple{1, 2, 2}, .padding = 1, .count_include_pad = false});
  EXPECT_TRUE(equal(avg.forward(x), F::avg_pool3d(x, 3, {1, 2, 2}, 1, false, false)));
  // BatchNorm3d: batch statistics over (N, D, H, W) per channel, and a running update.
  nn::BatchNorm3d bn(4);
  const Tensor z = bn.forward(x);
  const Tensor mean = x.mean({0, 2, 3, 4}), var = x.var({0, 2, 3, 4}, 0);
  const Tensor want = (x - mean.reshape({1, 4, 1, 1, 1})) / (var.reshape({1, 4, 1, 1, 1}) + 1e-5).sqrt();
  EXPECT_TRUE(allclose(z, want, 1e-4, 1e-5));
  EXPECT_TRUE(allclose(bn.running_mean, mean.mul(0.1), 1e-5, 1e-6));
  bn.eval();
  EXPECT_TRUE(allclose(bn.forward(x), F::batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias), 1e-5,
                       1e-6));
  // Dropout3d zeroes whole channels and scales the rest.
  nn::Dropout3d drop(0.5);
  const Tensor ones = ember::ones({4, 8, 3, 2, 2});
  const Tensor kept = drop.forward(ones).sum({2, 3, 4});
  for (const double v : kept.to_vector<double>()) EXPECT_TRUE(v == 0.0 || v == 24.0) << v;
  EXPECT_GT(kept.sum().item<double>(), 0.0);
  EXPECT_LT(kept.sum().item<double>(), 24.0 * 32);
  drop.eval();
  EXPECT_TRUE(equal(drop.forward(ones), ones));
}

// BatchNorm3d folds into the Conv3d before it (alone and in a Sequential), and a transposed
// 3-D weight is normalised along its output dim (1), as PyTorch's utilities do.
TEST(Volumetric, FusionAndSpectralNormKnowTheLayers) {
  manual_seed(4);
  auto conv = std::make_shared<nn::Conv3d>(2, 4, 3, nn::Conv3dOptions{.padding = 1});
  auto bn = std::make_shared<nn::BatchNorm3d>(4);
  const Tensor x = randn({2, 2, 5, 4, 6});
  bn->forward(conv->forward(randn({3, 2, 5, 4, 6})));  // running statistics that are not the defaults
  nn::Sequential model({conv, bn, std::make_shared<nn::ReLU>()});
  model.eval();
  const Tensor want = model.forward(x);
  const auto fused = nn::utils::fuse_conv_bn_eval(*conv, *bn);
  EXPECT_TRUE(allclose(fused->forward(x), bn->forward(conv->forward(x)), 1e-4, 1e-5));
  const auto folded = nn::utils::fuse_conv_bn_eval(model);
  EXPECT_EQ(folded->size(), 2u);
  EXPECT_NE(dynamic_cast<nn::Conv3d*>((*folded)[0].get()), nullptr);
  EXPECT_TRUE(allclose(folded->forward(x), want, 1e-4, 1e-5));
  nn::ConvTranspose3d up(3, 5, 2);
  nn::utils::spectral_norm(up);
  EXPECT_EQ(up.get_buffer("weight_u").sizes(), (Dims{5}));
}

}  // namespace
}  // namespace ember
