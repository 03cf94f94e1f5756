// The 3-D pooling (max, avg, adaptive) against PyTorch 1.13's values and indices and direct
// loops written here (PyTorch's tie and NaN rules), gradients and gradcheck in float64.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <limits>
#include <optional>
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

}  // namespace
}  // namespace ember
