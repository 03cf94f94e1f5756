// PyTorch's full pooling option set (dilation, ceil_mode, return_indices,
// count_include_pad, divisor_override; adaptive_max_pool2d) against torch 1.13's values
// and gradients, gradcheck and gradgradcheck of every combination in float64,
// channels-last inputs, saved bytes, PyTorch's error phrases and the modules' options.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <ember/ember.h>

#include "autograd/gradcheck.h"
#include "nn/pooling.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
constexpr auto kCL = MemoryFormat::ChannelsLast;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The reference values below come from torch 1.13 (/usr/bin/python3), float64, with
//   def numel(shape): return math.prod(shape)
//   def inp(shape, kind="wave"):
//       i = torch.arange(numel(shape), dtype=torch.float64)
//       return (((i * 37) % 101 - 50) / 4 if kind == "wave" else (i * 5) % 7).reshape(shape)
//   def gout(shape): j = torch.arange(numel(shape), dtype=torch.float64); return ((j * 7) % 5 + 1) / 4
//   x = inp(shape).requires_grad_(); y = <the call in each case's comment>
//   (y * gout(y.shape).reshape(y.shape)).sum().backward()
// printing y, the indices and x.grad flat with '%.12g'.
Tensor inp(const Dims& shape, bool ties = false) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = ties ? static_cast<double>((i * 5) % 7) : (static_cast<double>((i * 37) % 101) - 50) / 4;
  return tensor(v, shape, kFloat64);
}
Tensor gout(const Dims& shape) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t j = 0; j < v.size(); ++j) v[j] = static_cast<double>((j * 7) % 5 + 1) / 4;
  return tensor(v, shape, kFloat64);
}

// Element by element within tol (NaN where NaN is expected, infinities exactly).
void expect_near(const Tensor& got, const std::vector<double>& want, double tol, const std::string& what) {
  const std::vector<double> g = got.contiguous().to_vector<double>();
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << what << " element " << i;
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(g[i], want[i]) << what << " element " << i;
    } else {
      EXPECT_NEAR(g[i], want[i], tol) << what << " element " << i;
    }
  }
}

void expect_indices(const Tensor& got, const std::vector<int64_t>& want, const std::string& what) {
  EXPECT_EQ(got.dtype(), kInt64) << what;
  EXPECT_EQ(got.contiguous().to_vector<int64_t>(), want) << what;
}

struct MaxRef {
  const char* name;
  Dims x;
  bool ties;
  int64_t nan_at;  // -1: none
  Dims kernel, stride, padding, dilation;
  bool ceil_mode;
  Dims y_shape;
  std::vector<double> y;
  std::vector<int64_t> indices;
  std::vector<double> grad;
};

const std::vector<MaxRef>& max_refs() {
  static const std::vector<MaxRef> refs{
    // F.max_pool2d(inp([1, 2, 7, 8]), kernel_size=3, stride=2, padding=1, dilation=2, return_indices=True)
    {"dilated", {1, 2, 7, 8}, false, -1, {3}, {2}, {1}, {2}, false,
     {1, 2, 3, 3}, {10, 10, 10, 10, 10, 10, 10, 10, 10, 8, 8, 9.5, 8, 8, 9.5, 4.5, 4.5, 9.5},
     {27, 27, 27, 27, 27, 27, 27, 27, 27, 9, 9, 31, 9, 9, 31, 25, 25, 31},
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    // F.max_pool2d(inp([1, 2, 7, 8]), kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True)
    {"dilated ceil", {1, 2, 7, 8}, false, -1, {3}, {2}, {1}, {2}, true,
     {1, 2, 3, 4}, {10, 10, 10, 6.75, 10, 10, 10, 6.75, 10, 10, 10, 3.25, 8, 8, 9.5, 9.5, 8, 8, 9.5, 9.5, 4.5, 4.5, 9.5, 9.5},
     {27, 27, 27, 13, 27, 27, 27, 13, 27, 27, 27, 29, 9, 9, 31, 31, 9, 9, 31, 31, 25, 25, 31, 31},
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.75, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0.75, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3.75, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    // F.max_pool2d(inp([1, 1, 5, 5]), kernel_size=2, stride=2, padding=1, ceil_mode=True, return_indices=True)
    {"ceil, last window would start in the padding", {1, 1, 5, 5}, false, -1, {2}, {2}, {1}, {1}, true,
     {1, 1, 3, 3}, {-12.5, 6, -0.75, 8.5, 1.75, 11, 0, 9.25, 11.75},
     {0, 2, 4, 5, 7, 8, 15, 16, 19},
     {0.25, 0, 0.75, 0, 1.25, 0.5, 0, 1, 0.25, 0, 0, 0, 0, 0, 0, 0.75, 1.25, 0, 0, 0.5, 0, 0, 0, 0, 0}},
    // F.max_pool2d(inp([1, 1, 6, 7]), kernel_size=3, stride=2, ceil_mode=True, return_indices=True)
    {"ceil, partial last window", {1, 1, 6, 7}, false, -1, {3}, {2}, {0}, {1}, true,
     {1, 1, 3, 3}, {11, 9.25, 11.75, 12.5, 12.5, 11.75, 12.5, 12.5, 5.75},
     {8, 16, 19, 30, 30, 19, 30, 30, 32},
     {0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0, 0, 0, 0, 0, 0, 0, 0.75, 0, 0, 1.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3.5, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    // F.max_pool2d(inp([2, 1, 7, 6]), kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 3), ceil_mode=True, return_indices=True)
    {"asymmetric", {2, 1, 7, 6}, false, -1, {3, 2}, {2, 1}, {1, 0}, {1, 3}, true,
     {2, 1, 4, 3}, {-5, 4.25, 11, 5, 11.75, 11, 12.5, 11.75, 8.25, 12.5, 4, 10.75, 4.75, 11.5, -2, 12.25, 11.5, 8, 12.25, 8.75, 10.5, 4.5, 11.25, -2.25},
     {9, 10, 8, 21, 19, 8, 30, 19, 35, 30, 40, 38, 9, 7, 11, 18, 7, 23, 18, 34, 26, 39, 37, 41},
     {0, 0, 0, 0, 0, 0, 0, 0, 1.5, 0.25, 0.75, 0, 0, 0, 0, 0, 0, 0, 0, 2.25, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 1.75, 0, 0, 0, 0, 0.5, 0, 0, 0.75, 0, 0.25, 0, 0, 0, 0, 0, 0, 0, 0, 1.25, 0, 1.25, 0, 1, 0, 0, 0, 0, 0, 0, 0.75, 0, 0, 0, 0, 1.25, 0, 0, 0.25, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1.25, 0, 0.75, 0, 0.5}},
    // F.max_pool2d(inp([1, 1, 6, 6], "ties"), kernel_size=3, stride=1, padding=1, return_indices=True)
    {"ties", {1, 1, 6, 6}, true, -1, {3}, {1}, {1}, {1}, false,
     {1, 1, 6, 6}, {5, 5, 5, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 5, 5, 6, 6, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 5, 5, 6, 6, 6, 6, 5, 5},
     {1, 1, 1, 4, 4, 4, 1, 1, 1, 4, 4, 4, 18, 18, 8, 8, 11, 11, 18, 18, 25, 15, 15, 22, 18, 18, 25, 32, 22, 22, 25, 25, 25, 32, 29, 29},
     {0, 4.75, 0, 0, 3.75, 0, 0, 0, 1.25, 0, 0, 2, 0, 0, 0, 2, 0, 0, 4.5, 0, 0, 0, 2, 0, 0, 3.25, 0, 0, 0, 1.25, 0, 0, 1.75, 0, 0, 0}},
    // F.max_pool2d(inp([1, 1, 6, 6], "ties"), kernel_size=2, stride=1, padding=1, dilation=2, ceil_mode=True, return_indices=True)
    {"ties dilated", {1, 1, 6, 6}, true, -1, {2}, {1}, {1}, {2}, true,
     {1, 1, 6, 6}, {0, 5, 3, 5, 6, 1, 5, 4, 5, 6, 5, 6, 4, 6, 4, 5, 6, 5, 6, 4, 6, 4, 5, 3, 4, 6, 4, 6, 4, 5, 6, 4, 6, 4, 5, 0},
     {7, 8, 9, 8, 11, 10, 1, 12, 1, 4, 15, 4, 19, 18, 19, 8, 11, 22, 25, 12, 25, 26, 15, 16, 19, 18, 19, 32, 33, 22, 25, 26, 25, 26, 29, 28},
     {0, 1.25, 0, 0, 1.75, 0, 0, 0.25, 1.5, 1.25, 0.25, 1.75, 2.25, 0, 0, 1.5, 0.5, 0, 0.75, 4, 0, 0, 2.25, 0, 0, 2.25, 2, 0, 0.25, 1, 0, 0, 1.25, 0.5, 0, 0}},
    // F.max_pool2d(inp([1, 1, 5, 5]) with x[8] = nan, kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True)
    {"NaN", {1, 1, 5, 5}, false, 8, {3}, {2}, {1}, {1}, true,
     {1, 1, 3, 3}, {8.5, kNaN, kNaN, 9.25, kNaN, kNaN, 9.25, 9.25, 11.75},
     {5, 8, 8, 16, 8, 8, 16, 16, 19},
     {0, 0, 0, 0, 0, 0.25, 0, 0, 3.25, 0, 0, 0, 0, 0, 0, 0, 2.5, 0, 0, 0.5, 0, 0, 0, 0, 0}},
  };
  return refs;
}

struct AvgRef {
  const char* name;
  Dims x, kernel, stride, padding;
  bool ceil_mode, count_include_pad;
  std::optional<int64_t> divisor_override;
  Dims y_shape;
  std::vector<double> y, grad;
};

const std::vector<AvgRef>& avg_refs() {
  static const std::vector<AvgRef> refs{
    // F.avg_pool2d(inp([1, 1, 7, 8]), kernel_size=3, stride=2, padding=1)
    {"padded", {1, 1, 7, 8}, {3}, {2}, {1}, false, true, std::nullopt,
     {1, 1, 4, 4}, {-1.08333333333, -2.19444444444, -1.08333333333, 0.0277777777778, 0.833333333333, -0.305555555556, 1.36111111111, 0.222222222222, -1.5, -1, 0.666666666667, 2.33333333333, 0.638888888889, 0.388888888889, -1.30555555556, -0.194444444444},
     {0.0277777777778, 0.111111111111, 0.0833333333333, 0.222222222222, 0.138888888889, 0.194444444444, 0.0555555555556, 0.0555555555556, 0.138888888889, 0.25, 0.111111111111, 0.333333333333, 0.222222222222, 0.416666666667, 0.194444444444, 0.194444444444, 0.111111111111, 0.138888888889, 0.0277777777778, 0.111111111111, 0.0833333333333, 0.222222222222, 0.138888888889, 0.138888888889, 0.166666666667, 0.305555555556, 0.138888888889, 0.25, 0.111111111111, 0.333333333333, 0.222222222222, 0.222222222222, 0.0555555555556, 0.166666666667, 0.111111111111, 0.138888888889, 0.0277777777778, 0.111111111111, 0.0833333333333, 0.0833333333333, 0.194444444444, 0.361111111111, 0.166666666667, 0.305555555556, 0.138888888889, 0.25, 0.111111111111, 0.111111111111, 0.138888888889, 0.194444444444, 0.0555555555556, 0.166666666667, 0.111111111111, 0.138888888889, 0.0277777777778, 0.0277777777778}},
    // F.avg_pool2d(inp([1, 1, 7, 8]), kernel_size=3, stride=2, padding=1, ceil_mode=True)
    {"padded ceil", {1, 1, 7, 8}, {3}, {2}, {1}, true, true, std::nullopt,
     {1, 1, 4, 5}, {-1.08333333333, -2.19444444444, -1.08333333333, 0.0277777777778, 0.291666666667, 0.833333333333, -0.305555555556, 1.36111111111, 0.222222222222, -0.875, -1.5, -1, 0.666666666667, 2.33333333333, -2.625, 0.638888888889, 0.388888888889, -1.30555555556, -0.194444444444, -2.625},
     {0.0277777777778, 0.111111111111, 0.0833333333333, 0.222222222222, 0.138888888889, 0.194444444444, 0.0555555555556, 0.222222222222, 0.0555555555556, 0.222222222222, 0.166666666667, 0.444444444444, 0.277777777778, 0.388888888889, 0.111111111111, 0.444444444444, 0.0277777777778, 0.111111111111, 0.0833333333333, 0.222222222222, 0.138888888889, 0.194444444444, 0.0555555555556, 0.222222222222, 0.0555555555556, 0.222222222222, 0.166666666667, 0.444444444444, 0.277777777778, 0.388888888889, 0.111111111111, 0.444444444444, 0.0277777777778, 0.111111111111, 0.0833333333333, 0.222222222222, 0.138888888889, 0.194444444444, 0.0555555555556, 0.222222222222, 0.0555555555556, 0.222222222222, 0.166666666667, 0.444444444444, 0.277777777778, 0.388888888889, 0.111111111111, 0.444444444444, 0.0277777777778, 0.111111111111, 0.0833333333333, 0.222222222222, 0.138888888889, 0.194444444444, 0.0555555555556, 0.222222222222}},
    // F.avg_pool2d(inp([1, 1, 7, 8]), kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    {"padded ceil, no pad count", {1, 1, 7, 8}, {3}, {2}, {1}, true, false, std::nullopt,
     {1, 1, 4, 5}, {-2.4375, -3.29166666667, -1.625, 0.0416666666667, 0.875, 1.25, -0.305555555556, 1.36111111111, 0.222222222222, -1.75, -2.25, -1, 0.666666666667, 2.33333333333, -5.25, 1.4375, 0.583333333333, -1.95833333333, -0.291666666667, -7.875},
     {0.0625, 0.1875, 0.125, 0.333333333333, 0.208333333333, 0.291666666667, 0.0833333333333, 0.583333333333, 0.104166666667, 0.3125, 0.208333333333, 0.555555555556, 0.347222222222, 0.486111111111, 0.138888888889, 0.972222222222, 0.0416666666667, 0.125, 0.0833333333333, 0.222222222222, 0.138888888889, 0.194444444444, 0.0555555555556, 0.388888888889, 0.0833333333333, 0.25, 0.166666666667, 0.444444444444, 0.277777777778, 0.388888888889, 0.111111111111, 0.777777777778, 0.0416666666667, 0.125, 0.0833333333333, 0.222222222222, 0.138888888889, 0.194444444444, 0.0555555555556, 0.388888888889, 0.104166666667, 0.3125, 0.208333333333, 0.555555555556, 0.347222222222, 0.486111111111, 0.138888888889, 0.972222222222, 0.0625, 0.1875, 0.125, 0.333333333333, 0.208333333333, 0.291666666667, 0.0833333333333, 0.583333333333}},
    // F.avg_pool2d(inp([1, 1, 7, 8]), kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=5)
    {"padded ceil, divisor 5", {1, 1, 7, 8}, {3}, {2}, {1}, true, true, 5,
     {1, 1, 4, 5}, {-1.95, -3.95, -1.95, 0.05, 0.35, 1.5, -0.55, 2.45, 0.4, -1.05, -2.7, -1.8, 1.2, 4.2, -3.15, 1.15, 0.7, -2.35, -0.35, -3.15},
     {0.05, 0.2, 0.15, 0.4, 0.25, 0.35, 0.1, 0.3, 0.1, 0.4, 0.3, 0.8, 0.5, 0.7, 0.2, 0.6, 0.05, 0.2, 0.15, 0.4, 0.25, 0.35, 0.1, 0.3, 0.1, 0.4, 0.3, 0.8, 0.5, 0.7, 0.2, 0.6, 0.05, 0.2, 0.15, 0.4, 0.25, 0.35, 0.1, 0.3, 0.1, 0.4, 0.3, 0.8, 0.5, 0.7, 0.2, 0.6, 0.05, 0.2, 0.15, 0.4, 0.25, 0.35, 0.1, 0.3}},
    // F.avg_pool2d(inp([1, 1, 6, 6]), kernel_size=3, stride=2, padding=1, ceil_mode=True)
    {"window past the right padding", {1, 1, 6, 6}, {3}, {2}, {1}, true, true, std::nullopt,
     {1, 1, 4, 4}, {-2.38888888889, 0.0555555555556, -1.63888888889, -0.541666666667, 1.41666666667, 1.97222222222, -1.97222222222, -3.375, 2.47222222222, 0.75, -0.388888888889, 1.625, 1.5, -1.33333333333, -0.5, 2.0625},
     {0.0277777777778, 0.111111111111, 0.0833333333333, 0.222222222222, 0.138888888889, 0.222222222222, 0.138888888889, 0.25, 0.111111111111, 0.333333333333, 0.222222222222, 0.513888888889, 0.111111111111, 0.138888888889, 0.0277777777778, 0.111111111111, 0.0833333333333, 0.291666666667, 0.166666666667, 0.305555555556, 0.138888888889, 0.25, 0.111111111111, 0.444444444444, 0.0555555555556, 0.166666666667, 0.111111111111, 0.138888888889, 0.0277777777778, 0.152777777778, 0.263888888889, 0.458333333333, 0.194444444444, 0.388888888889, 0.194444444444, 0.381944444444}},
    // F.avg_pool2d(inp([1, 1, 6, 6]), kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    {"window past the right padding, no pad count", {1, 1, 6, 6}, {3}, {2}, {1}, true, false, std::nullopt,
     {1, 1, 4, 4}, {-5.375, 0.0833333333333, -2.45833333333, -1.625, 2.125, 1.97222222222, -1.97222222222, -6.75, 3.70833333333, 0.75, -0.388888888889, 3.25, 4.5, -2.66666666667, -1, 8.25},
     {0.0625, 0.1875, 0.125, 0.333333333333, 0.208333333333, 0.458333333333, 0.229166666667, 0.381944444444, 0.152777777778, 0.444444444444, 0.291666666667, 0.958333333333, 0.166666666667, 0.194444444444, 0.0277777777778, 0.111111111111, 0.0833333333333, 0.5, 0.25, 0.388888888889, 0.138888888889, 0.25, 0.111111111111, 0.777777777778, 0.0833333333333, 0.194444444444, 0.111111111111, 0.138888888889, 0.0277777777778, 0.277777777778, 0.708333333333, 0.986111111111, 0.277777777778, 0.638888888889, 0.361111111111, 0.861111111111}},
    // F.avg_pool2d(inp([1, 1, 5, 5]), kernel_size=2, stride=2, padding=1, ceil_mode=True)
    {"ceil, last window would start in the padding", {1, 1, 5, 5}, {2}, {2}, {1}, true, true, std::nullopt,
     {1, 1, 3, 3}, {-3.125, 0.6875, -2.6875, 3.1875, -5, 0.875, -1.0625, -0.875, 5},
     {0.0625, 0.1875, 0.1875, 0.3125, 0.3125, 0.125, 0.25, 0.25, 0.0625, 0.0625, 0.125, 0.25, 0.25, 0.0625, 0.0625, 0.1875, 0.3125, 0.3125, 0.125, 0.125, 0.1875, 0.3125, 0.3125, 0.125, 0.125}},
    // F.avg_pool2d(inp([2, 1, 7, 6]), kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False)
    {"asymmetric, no pad count", {2, 1, 7, 6}, {3, 2}, {2, 3}, {1, 1}, true, false, std::nullopt,
     {2, 1, 4, 3}, {-10, 0.5, -1.625, -2.5, -0.416666666667, -6.75, 7.5, 1.16666666667, 3.25, 2.375, 0.25, -1.875, -0.25, -2.375, -4.5, 7.25, 0.916666666667, 3, 0.416666666667, -1.70833333333, -3.83333333333, -0.5, -2.625, -4.75},
     {0.125, 0, 0.1875, 0.1875, 0, 0.625, 0.291666666667, 0, 0.354166666667, 0.354166666667, 0, 0.708333333333, 0.166666666667, 0, 0.166666666667, 0.166666666667, 0, 0.0833333333333, 0.416666666667, 0, 0.375, 0.375, 0, 0.25, 0.25, 0, 0.208333333333, 0.208333333333, 0, 0.166666666667, 0.75, 0, 0.270833333333, 0.270833333333, 0, 0.541666666667, 0.5, 0, 0.0625, 0.0625, 0, 0.375, 0.625, 0, 0.125, 0.125, 0, 0.5, 0.708333333333, 0, 0.25, 0.25, 0, 0.916666666667, 0.0833333333333, 0, 0.125, 0.125, 0, 0.416666666667, 0.25, 0, 0.291666666667, 0.291666666667, 0, 0.5, 0.166666666667, 0, 0.166666666667, 0.166666666667, 0, 0.0833333333333, 0.541666666667, 0, 0.479166666667, 0.479166666667, 0, 0.333333333333, 0.375, 0, 0.3125, 0.3125, 0, 0.25}},
    // F.avg_pool2d(inp([1, 1, 5, 6]), kernel_size=2, stride=2, ceil_mode=True, divisor_override=-3)
    {"negative divisor", {1, 1, 5, 6}, {2}, {2}, {0}, true, true, -3,
     {1, 1, 3, 3}, {7.16666666667, -0.666666666667, -0.0833333333333, -6.16666666667, 2.83333333333, 3.41666666667, 0.333333333333, -3.58333333333, 0.916666666667},
     {-0.0833333333333, -0.0833333333333, -0.25, -0.25, -0.416666666667, -0.416666666667, -0.0833333333333, -0.0833333333333, -0.25, -0.25, -0.416666666667, -0.416666666667, -0.166666666667, -0.166666666667, -0.333333333333, -0.333333333333, -0.0833333333333, -0.0833333333333, -0.166666666667, -0.166666666667, -0.333333333333, -0.333333333333, -0.0833333333333, -0.0833333333333, -0.25, -0.25, -0.416666666667, -0.416666666667, -0.166666666667, -0.166666666667}},
    // F.avg_pool2d(inp([1, 1, 5, 6]), kernel_size=2, stride=1, count_include_pad=False)
    {"unpadded no pad count", {1, 1, 5, 6}, {2}, {1}, {0}, false, false, std::nullopt,
     {1, 1, 4, 5}, {-5.375, 3.875, 0.5, -2.875, 0.0625, -0.375, 2.5625, -0.8125, 2.125, -1.25, 4.625, 1.25, -2.125, 0.8125, -2.5625, 3.3125, -0.0625, 2.875, -0.5, -3.875},
     {0.0625, 0.25, 0.5, 0.4375, 0.375, 0.25, 0.125, 0.5, 1, 0.875, 0.75, 0.5, 0.125, 0.5, 1, 0.875, 0.75, 0.5, 0.125, 0.5, 1, 0.875, 0.75, 0.5, 0.0625, 0.25, 0.5, 0.4375, 0.375, 0.25}},
  };
  return refs;
}

struct AdaptiveRef {
  const char* name;
  Dims x;
  bool ties;
  Dims output_size, y_shape;
  std::vector<double> y;
  std::vector<int64_t> indices;
  std::vector<double> grad;
};

const std::vector<AdaptiveRef>& adaptive_refs() {
  static const std::vector<AdaptiveRef> refs{
    // F.adaptive_max_pool2d(inp([1, 2, 7, 5]), (3, 2), return_indices=True)
    {"shrink", {1, 2, 7, 5}, false, {3, 2},
     {1, 2, 3, 2}, {8.5, 11, 9.25, 11.75, 12.5, 10, 9, 11.5, 9.75, 11.5, 12.25, 10.5},
     {5, 8, 16, 19, 30, 27, 11, 14, 22, 14, 25, 33},
     {0, 0, 0, 0, 0, 0.25, 0, 0, 0.75, 0, 0, 0, 0, 0, 0, 0, 1.25, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0.25, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.75, 0, 0, 2.25, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0.25, 0, 0, 0, 0, 0, 0, 0, 0.75, 0}},
    // F.adaptive_max_pool2d(inp([1, 1, 5, 6]), (7, 4), return_indices=True)
    {"grow (overlapping windows)", {1, 1, 5, 6}, false, {7, 4},
     {1, 1, 7, 4}, {-3.25, 6, -0.75, 8.5, 1.75, 11, 4.25, 8.5, 6.75, 11, 9.25, 9.25, 6.75, 6.75, 9.25, 9.25, 11.75, 11.75, 9.25, 9.25, 11.75, 11.75, 10, 3.25, 7.5, 0.75, 10, 3.25},
     {1, 2, 4, 5, 7, 8, 10, 5, 13, 8, 16, 16, 13, 13, 16, 16, 19, 19, 16, 16, 19, 19, 27, 29, 24, 26, 27, 29},
     {0, 0.25, 0.75, 0, 1.25, 1.75, 0, 1, 1.25, 0, 0.75, 0, 0, 2.25, 0, 0, 3.75, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0.25, 2, 0, 1.75}},
    // F.adaptive_max_pool2d(inp([1, 1, 6, 6], "ties"), 4, return_indices=True)
    {"ties", {1, 1, 6, 6}, true, {4},
     {1, 1, 4, 4}, {5, 5, 6, 6, 4, 5, 5, 6, 6, 6, 5, 5, 6, 6, 4, 5},
     {1, 1, 4, 4, 12, 8, 15, 11, 18, 25, 22, 22, 25, 25, 33, 29},
     {0, 1, 0, 0, 1.75, 0, 0, 0, 0.25, 0, 0, 1.25, 1, 0, 0, 0.75, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 2.75, 0, 0, 0, 0.25, 0, 0, 0, 1, 0, 0}},
  };
  return refs;
}

// The gradient's own derivative (create_graph, Note [Higher-order gradients]): d<gx, u>/dg
// gathers u at each output's winner; with u = 0, 1, 2, ... that is each winner's position
// plane * H * W + the reference's flat index.
void expect_gathers_at_winners(const std::function<Tensor(const Tensor&)>& pool, const Tensor& x,
                               const std::vector<int64_t>& indices, const std::string& what) {
  const Tensor xr = x.detach().requires_grad_(true);
  const Tensor y = pool(xr);
  const Tensor g = ones(y.sizes(), kFloat64).requires_grad_(true);
  const Tensor gx = autograd::grad({y}, {xr}, {g}, std::nullopt, /*create_graph=*/true)[0];
  const Tensor u = arange(0, static_cast<double>(x.numel()), 1, kFloat64).reshape(x.sizes());
  const Tensor gg = autograd::grad({(gx * u).sum()}, {g})[0];
  const int64_t plane = x.size(-2) * x.size(-1), out_plane = y.size(-2) * y.size(-1);
  std::vector<double> want;
  for (size_t o = 0; o < indices.size(); ++o) want.push_back(static_cast<double>(o / out_plane * plane + indices[o]));
  expect_near(gg, want, 0, what + " second derivative");
}

Tensor max_input(const MaxRef& c) {
  Tensor x = inp(c.x, c.ties);
  if (c.nan_at >= 0) x.data_ptr<double>()[c.nan_at] = kNaN;
  return x;
}

// Values, indices and gradients in float64 (to 1e-10: the printout's 12 digits) and
// float32 (1e-5), NCHW and channels-last; max_pool2d and its _with_indices twin agree.
TEST(PoolOptions, MaxPoolMatchesPyTorch) {
  for (const MaxRef& c : max_refs())
    for (const DType dt : {kFloat64, kFloat32})
      for (const bool channels_last : {false, true}) {
        const std::string what = std::string(c.name) + (dt == kFloat32 ? " float32" : " float64") +
                                 (channels_last ? " channels-last" : "");
        const double tol = dt == kFloat64 ? 1e-10 : 1e-5;
        Tensor x = max_input(c).to(dt);
        if (channels_last) x = x.contiguous(kCL);
        x.requires_grad_(true);
        auto [y, indices] = F::max_pool2d_with_indices(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
        ASSERT_EQ(y.sizes(), c.y_shape) << what;
        expect_near(y, c.y, tol, what + " output");
        expect_indices(indices, c.indices, what + " indices");
        const MemoryFormat format = channels_last ? kCL : MemoryFormat::Contiguous;  // C = 1: both
        EXPECT_TRUE(y.is_contiguous(format)) << what;
        EXPECT_TRUE(indices.is_contiguous(format)) << what;
        (y * gout(y.sizes()).to(dt)).sum().backward();
        expect_near(x.grad(), c.grad, tol, what + " gradient");
        if (dt == kFloat64) {
          for (const bool flat : {false, true})
            expect_gathers_at_winners(
                [&](const Tensor& t) {
                  return flat ? std::get<0>(F::max_pool2d_with_indices(t, c.kernel, c.stride, c.padding, c.dilation,
                                                                      c.ceil_mode))
                              : F::max_pool2d(t, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
                },
                x, c.indices, what + (flat ? " (flat indices)" : ""));
        }
        // Without return_indices: the same output, and a gradient bit for bit the same.
        Tensor x2 = max_input(c).to(dt);
        if (channels_last) x2 = x2.contiguous(kCL);
        x2.requires_grad_(true);
        const Tensor y2 = F::max_pool2d(x2, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
        expect_near(y2, c.y, tol, what + " max_pool2d output");
        (y2 * gout(y2.sizes()).to(dt)).sum().backward();
        EXPECT_TRUE(equal(x2.grad().contiguous(), x.grad().contiguous())) << what;
      }
}

TEST(PoolOptions, AvgPoolMatchesPyTorch) {
  for (const AvgRef& c : avg_refs())
    for (const DType dt : {kFloat64, kFloat32})
      for (const bool channels_last : {false, true}) {
        const std::string what = std::string(c.name) + (dt == kFloat32 ? " float32" : " float64") +
                                 (channels_last ? " channels-last" : "");
        const double tol = dt == kFloat64 ? 1e-10 : 1e-5;
        Tensor x = inp(c.x).to(dt);
        if (channels_last) x = x.contiguous(kCL);
        x.requires_grad_(true);
        const Tensor y =
            F::avg_pool2d(x, c.kernel, c.stride, c.padding, c.ceil_mode, c.count_include_pad, c.divisor_override);
        ASSERT_EQ(y.sizes(), c.y_shape) << what;
        expect_near(y, c.y, tol, what + " output");
        EXPECT_TRUE(y.is_contiguous(channels_last ? kCL : MemoryFormat::Contiguous)) << what;
        (y * gout(y.sizes()).to(dt)).sum().backward();
        expect_near(x.grad(), c.grad, tol, what + " gradient");
      }
}

// Windows at least 16 wide sum each row in lanes on the CPU (average_window_sum in
// core/pool_sum.h): their averages against double sums, with a window clipped by the left
// padding, an odd row tail and a global pool.
TEST(PoolOptions, WideAverageWindowsAreTheMean) {
  manual_seed(3);
  const Tensor x = randn({2, 3, 21, 43}) * 4.0 + 1.5;
  const Tensor x64 = x.to(kFloat64);
  const auto expect_mean = [](const Tensor& got, const Tensor& want, const std::string& what) {
    EXPECT_EQ(got.sizes(), want.sizes()) << what;
    EXPECT_LT(testing::max_abs_diff(got.to(kFloat64), want), 2e-6) << what;
  };
  expect_mean(F::adaptive_avg_pool2d(x, 1), x64.mean({2, 3}, true), "global");
  expect_mean(F::adaptive_avg_pool2d(x, {3, 1}), x64.reshape({2, 3, 3, 7, 43}).mean({3, 4}).unsqueeze(3), "3 x 1");
  // 3 x 19 windows, stride (3, 24), padding (0, 3), the padding in the divisor: columns
  // [-3, 16) and [21, 40) of rows 0-2, 3-5, ...
  const Tensor padded = F::pad(x64, {3, 3});
  const Tensor want = padded.narrow(3, 0, 19).reshape({2, 3, 7, 3, 19}).mean({3, 4});
  const Tensor second = padded.narrow(3, 24, 19).reshape({2, 3, 7, 3, 19}).mean({3, 4});
  const Tensor got = F::avg_pool2d(x, {3, 19}, {3, 24}, {0, 3});
  expect_mean(got, stack({want, second}, 3), "3 x 19 padded");
}

TEST(PoolOptions, AdaptiveMaxPoolMatchesPyTorch) {
  for (const AdaptiveRef& c : adaptive_refs())
    for (const DType dt : {kFloat64, kFloat32})
      for (const bool channels_last : {false, true}) {
        const std::string what = std::string(c.name) + (dt == kFloat32 ? " float32" : " float64") +
                                 (channels_last ? " channels-last" : "");
        Tensor x = inp(c.x, c.ties).to(dt);
        if (channels_last) x = x.contiguous(kCL);
        x.requires_grad_(true);
        auto [y, indices] = F::adaptive_max_pool2d_with_indices(x, c.output_size);
        ASSERT_EQ(y.sizes(), c.y_shape) << what;
        expect_near(y, c.y, 1e-10, what + " output");
        expect_indices(indices, c.indices, what + " indices");
        EXPECT_TRUE(indices.is_contiguous(channels_last ? kCL : MemoryFormat::Contiguous)) << what;
        (y * gout(y.sizes()).to(dt)).sum().backward();
        expect_near(x.grad(), c.grad, 1e-10, what + " gradient");
        if (dt == kFloat64) {
          for (const bool flat : {false, true})
            expect_gathers_at_winners(
                [&](const Tensor& t) {
                  return flat ? std::get<0>(F::adaptive_max_pool2d_with_indices(t, c.output_size))
                              : F::adaptive_max_pool2d(t, c.output_size);
                },
                x, c.indices, what + (flat ? " (flat indices)" : ""));
        }
        const Tensor x2 = x.detach().clone().requires_grad_(true);
        const Tensor y2 = F::adaptive_max_pool2d(x2, c.output_size);
        EXPECT_EQ(y2.grad_fn()->name(), "AdaptiveMaxPool2DBackward");
        expect_near(y2, c.y, 1e-10, what + " adaptive_max_pool2d output");
        (y2 * gout(y2.sizes()).to(dt)).sum().backward();
        EXPECT_TRUE(equal(x2.grad().contiguous(), x.grad().contiguous())) << what;
      }
}

// A dilated window can miss the input altogether: PyTorch gives -inf and an index outside
// the plane (6 here, of 4 elements; its backward would write there). ember gives -inf,
// index -1, and no gradient (Note [Pooling options]).
TEST(PoolOptions, DilatedWindowOutsideTheInput) {
  // F.max_pool2d(torch.arange(4.).reshape(1, 1, 2, 2), 2, 1, 1, dilation=3, return_indices=True)
  //   -> (tensor([[[[-inf]]]]), tensor([[[[6]]]]))
  const Tensor x = arange(0, 4, 1, kFloat64).reshape({1, 1, 2, 2}).requires_grad_(true);
  auto [y, indices] = F::max_pool2d_with_indices(x, 2, 1, 1, 3);
  expect_near(y, {-kInf}, 0, "output");
  expect_indices(indices, {-1}, "indices");
  y.sum().backward();
  expect_near(x.grad(), {0, 0, 0, 0}, 0, "gradient");
  const Tensor x2 = x.detach().requires_grad_(true);
  F::max_pool2d(x2, 2, 1, 1, 3).sum().backward();  // window-local indices
  expect_near(x2.grad(), {0, 0, 0, 0}, 0, "gradient (window-local indices)");
  // The gradient's own derivative (create_graph) gathers nothing there either.
  for (const bool flat : {false, true}) {
    const Tensor g = ones({1, 1, 1, 1}, kFloat64).requires_grad_(true);
    const Tensor y2 = flat ? std::get<0>(F::max_pool2d_with_indices(x2, 2, 1, 1, 3)) : F::max_pool2d(x2, 2, 1, 1, 3);
    const Tensor gx = autograd::grad({y2}, {x2}, {g}, std::nullopt, /*create_graph=*/true)[0];
    const Tensor gg = autograd::grad({(gx * arange(1, 5, 1, kFloat64).reshape({1, 1, 2, 2})).sum()}, {g})[0];
    expect_near(gg, {0}, 0, flat ? "second derivative (flat indices)" : "second derivative");
  }
  // Rows inside, columns not: a window's origin (row h, column -1) names no element,
  // though h * W - 1 would be one. PyTorch 1.13 (x = torch.arange(6.).reshape(1, 1, 3, 2)):
  // F.max_pool2d(x, 2, 1, 1, dilation=(1, 3), return_indices=True) -> -inf x 4, indices
  // [2, 2, 4, 6], and its backward of y.sum() puts [0, 0, 2, 0, 1, 0] into x.grad.
  const Tensor x4 = arange(0, 6, 1, kFloat64).reshape({1, 1, 3, 2}).requires_grad_(true);
  for (const bool flat : {false, true}) {
    const Tensor y4 =
        flat ? std::get<0>(F::max_pool2d_with_indices(x4, 2, 1, 1, {1, 3})) : F::max_pool2d(x4, 2, 1, 1, {1, 3});
    expect_near(y4, {-kInf, -kInf, -kInf, -kInf}, 0, "rows inside output");
    const Tensor g = ones({1, 1, 4, 1}, kFloat64).requires_grad_(true);
    const Tensor gx = autograd::grad({y4}, {x4}, {g}, std::nullopt, /*create_graph=*/true)[0];
    expect_near(gx, {0, 0, 0, 0, 0, 0}, 0, flat ? "rows inside gradient (flat)" : "rows inside gradient");
    const Tensor gg = autograd::grad({(gx * arange(1, 7, 1, kFloat64).reshape({1, 1, 3, 2})).sum()}, {g})[0];
    expect_near(gg, {0, 0, 0, 0}, 0, flat ? "rows inside second derivative (flat)" : "rows inside second derivative");
  }
  expect_indices(std::get<1>(F::max_pool2d_with_indices(x4, 2, 1, 1, {1, 3})), {-1, -1, -1, -1}, "rows inside indices");
  // 3x3: the corner windows reach the plane only through their far taps.
  const Tensor x3 = arange(0, 9, 1, kFloat64).reshape({1, 1, 3, 3});
  auto [y3, i3] = F::max_pool2d_with_indices(x3, 2, 1, 1, 3, true);
  expect_near(y3, {8, 6, 2, 0}, 0, "3x3 output");  // PyTorch: [[8, 6], [2, 0]]
  expect_indices(i3, {8, 6, 2, 0}, "3x3 indices");
}

// ceil_mode's rule: one more window when the last starts inside the input or its left
// padding, none that would start in the right padding.
TEST(PoolOptions, CeilModeOutputSizes) {
  // [F.max_pool2d(torch.zeros(1, 1, h, h), k, s, p, ceil_mode=c).shape[-1] for (h, k, s, p, c) in ...]
  struct SizeCase {
    int64_t h, k, s, p;
    bool ceil;
    int64_t out;
  };
  for (const SizeCase c : {SizeCase{5, 2, 2, 1, false, 3}, SizeCase{5, 2, 2, 1, true, 3}, SizeCase{6, 3, 2, 0, false, 2},
                           SizeCase{6, 3, 2, 0, true, 3}, SizeCase{6, 3, 2, 1, true, 4}, SizeCase{4, 2, 3, 0, true, 2},
                           SizeCase{4, 3, 3, 1, true, 2}, SizeCase{1, 1, 2, 0, true, 1}, SizeCase{7, 3, 3, 1, true, 3}}) {
    const Tensor x = zeros({1, 1, c.h, c.h});
    EXPECT_EQ(F::max_pool2d(x, c.k, c.s, c.p, 1, c.ceil).size(3), c.out) << c.h << " " << c.k << " " << c.s << " " << c.p;
    EXPECT_EQ(F::avg_pool2d(x, c.k, c.s, c.p, c.ceil).size(3), c.out) << c.h << " " << c.k << " " << c.s << " " << c.p;
  }
}

// float64 gradcheck of every option combination (random normal input: no ties).
TEST(PoolOptions, GradcheckEveryCombination) {
  manual_seed(5);
  const Tensor x = randn({2, 2, 7, 6}, kFloat64).requires_grad_(true);
  for (const bool ceil : {false, true})
    for (const int64_t pad : {0, 1})
      for (const int64_t dil : {1, 2}) {
        for (const bool with_indices : {false, true}) {
          const auto r = autograd::gradcheck_report(
              [&](const Inputs& v) {
                return with_indices ? std::get<0>(F::max_pool2d_with_indices(v[0], 3, {2, 1}, pad, dil, ceil))
                                    : F::max_pool2d(v[0], 3, {2, 1}, pad, dil, ceil);
              },
              {x});
          EXPECT_TRUE(r.ok) << "max ceil " << ceil << " pad " << pad << " dilation " << dil << ": " << r.message;
        }
        if (dil > 1) continue;
        for (const bool count_pad : {false, true})
          for (const std::optional<int64_t> divisor : {std::optional<int64_t>{}, std::optional<int64_t>{4}}) {
            const auto r = autograd::gradcheck_report(
                [&](const Inputs& v) { return F::avg_pool2d(v[0], 3, {2, 1}, pad, ceil, count_pad, divisor); }, {x});
            EXPECT_TRUE(r.ok) << "avg ceil " << ceil << " pad " << pad << " count_include_pad " << count_pad << ": "
                              << r.message;
          }
      }
  for (const Dims& out : {Dims{3, 2}, Dims{7, 9}, Dims{1, 1}}) {
    const auto r = autograd::gradcheck_report([&](const Inputs& v) { return F::adaptive_max_pool2d(v[0], out); }, {x});
    EXPECT_TRUE(r.ok) << "adaptive max " << out << ": " << r.message;
  }
}

// The second derivatives gather at the winners: dilation, flat and adaptive indices.
TEST(PoolOptions, GradgradcheckMaxPooling) {
  manual_seed(6);
  const Tensor x = randn({1, 2, 6, 7}, kFloat64).requires_grad_(true);
  const std::vector<std::pair<const char*, autograd::GradcheckFn>> fns{
      {"dilated ceil", [](const Inputs& v) { return F::max_pool2d(v[0], 3, 2, 1, 2, true); }},
      {"dilated ceil, indices",
       [](const Inputs& v) { return std::get<0>(F::max_pool2d_with_indices(v[0], 3, 2, 1, 2, true)); }},
      {"adaptive", [](const Inputs& v) { return F::adaptive_max_pool2d(v[0], {4, 3}); }},
      {"adaptive, indices", [](const Inputs& v) { return std::get<0>(F::adaptive_max_pool2d_with_indices(v[0], 9)); }},
      {"avg ceil, divisor", [](const Inputs& v) { return F::avg_pool2d(v[0], 3, 2, 1, true, false, 5); }}};
  for (const auto& [name, fn] : fns) {
    const auto r = autograd::gradgradcheck_report(fn, {x});
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
  }
}

int64_t saved_now() { return autograd::saved_tensor_stats().current_bytes; }

// Default options keep one uint8 per output (Note [Compact saved activations]); dilation
// and ceil_mode too; return_indices saves the returned int64 indices themselves.
TEST(PoolOptions, SavedIndices) {
  const Tensor x = randn({2, 3, 9, 9}).requires_grad_(true);
  {
    const int64_t before = saved_now();
    const Tensor y = F::max_pool2d(x, 3, 2, 1, 2, true);
    EXPECT_EQ(saved_now() - before, y.numel());
  }
  {
    const int64_t before = saved_now();
    const Tensor y = F::adaptive_max_pool2d(x, 4);
    EXPECT_EQ(saved_now() - before, y.numel());
  }
  {
    const int64_t before = saved_now();
    auto [y, indices] = F::max_pool2d_with_indices(x, 3, 2, 1, 2, true);
    EXPECT_EQ(saved_now() - before, y.numel() * 8) << "the returned indices, not a copy";
    indices.add_(1);
    EXPECT_EMBER_ERROR(y.sum().backward(), "modified by an inplace operation");
  }
  {
    NoGradGuard no_grad;
    const int64_t before = saved_now();
    auto [y, indices] = F::max_pool2d_with_indices(x, 2);
    EXPECT_EQ(saved_now(), before);
    EXPECT_EQ(y.grad_fn(), nullptr);
    EXPECT_EQ(indices.numel(), y.numel());
  }
}

// bfloat16 and float16 (Note [16-bit pooling] in nn/functional/pool.cpp): each pooling,
// forward and backward, in either layout, is float32's on the same values rounded once,
// bit for bit, with float32's indices.
TEST(PoolOptions, SixteenBitIsFloat32RoundedOnce) {
  using Pool = std::function<std::tuple<Tensor, Tensor>(const Tensor&)>;
  const auto only = [](auto fn) -> Pool { return [fn](const Tensor& t) { return std::tuple{fn(t), Tensor()}; }; };
  const std::vector<std::pair<std::string, Pool>> pools{
      {"max 2x2", only([](const Tensor& t) { return F::max_pool2d(t, 2); })},
      {"max 3 stride 2 pad 1 dilation 2 ceil, indices",
       [](const Tensor& t) { return F::max_pool2d_with_indices(t, 3, 2, 1, 2, true); }},
      {"max 3 stride 1 (overlapping)", only([](const Tensor& t) { return F::max_pool2d(t, 3, 1); })},
      {"adaptive max 3, indices", [](const Tensor& t) { return F::adaptive_max_pool2d_with_indices(t, 3); }},
      {"avg 3 stride 2 pad 1 ceil, no pad count, divisor 7",
       only([](const Tensor& t) { return F::avg_pool2d(t, 3, 2, 1, true, false, 7); })},
      {"avg 3 stride 1 (overlapping)", only([](const Tensor& t) { return F::avg_pool2d(t, 3, 1); })},
      {"avg 2x2", only([](const Tensor& t) { return F::avg_pool2d(t, 2); })},
      {"adaptive avg 3", only([](const Tensor& t) { return F::adaptive_avg_pool2d(t, 3); })},
      {"global avg (lanes)", only([](const Tensor& t) { return F::adaptive_avg_pool2d(t, 1); })},
  };
  manual_seed(11);
  const Tensor x64 = randn({2, 3, 9, 20}, kFloat64) * 3.0;
  for (DType dtype : {kBFloat16, kFloat16})
    for (bool channels_last : {false, true})
      for (const auto& [name, pool] : pools) {
        SCOPED_TRACE(name + " " + std::string(dtype_name(dtype)) + (channels_last ? " channels-last" : " NCHW"));
        const Tensor x16 = x64.to(dtype).contiguous(channels_last ? kCL : MemoryFormat::Contiguous);
        const Tensor x = x16.detach().requires_grad_(true);
        const Tensor x32 = x16.to(kFloat32).detach().requires_grad_(true);
        const auto [y, indices] = pool(x);
        const auto [y32, indices32] = pool(x32);
        ASSERT_EQ(y.dtype(), dtype);
        EXPECT_TRUE(equal(y, y32.detach().to(dtype))) << testing::max_abs_diff(y.to(kFloat64), y32.to(kFloat64));
        if (indices32.defined()) {
          EXPECT_TRUE(equal(indices, indices32));
        }
        const Tensor g = (randn(y.sizes(), kFloat64) * 2.0).to(dtype);
        y.backward(g);
        y32.backward(g.to(kFloat32));
        ASSERT_EQ(x.grad().dtype(), dtype);
        EXPECT_TRUE(equal(x.grad(), x32.grad().to(dtype)))
            << testing::max_abs_diff(x.grad().to(kFloat64), x32.grad().to(kFloat64));
      }
}

// PyTorch's messages, e.g. F.max_pool2d(torch.randn(1, 1, 4, 4), 3, padding=2) -> "pad should
// be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1".
TEST(PoolOptions, ErrorMessages) {
  const Tensor x = randn({1, 2, 4, 4});
  // The dilated kernel counts (PyTorch 2's pooling_output_shape): pad 2 with kernel 3 and
  // dilation 2 keeps the size, the taps in the padding left out.
  const Tensor dilated = F::max_pool2d(x, 3, 1, 2, 2);
  EXPECT_EQ(dilated.sizes(), (Dims{1, 2, 4, 4}));
  EXPECT_TRUE(equal(dilated, F::max_pool2d(F::pad(x, {2, 2, 2, 2}, "constant", -INFINITY), 3, 1, 0, 2)));
  EXPECT_EMBER_ERROR(
      F::max_pool2d(x, 3, 1, 3, 2),
      "pad should be at most half of effective kernel size, but got pad=3, kernel_size=3 and dilation=2");
  EXPECT_EMBER_ERROR(
      F::max_pool2d(x, 3, 1, {1, 2}),
      "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1");
  EXPECT_EMBER_ERROR(
      F::avg_pool2d(x, 2, 2, 2),
      "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1");
  // A channel dim of size 0 is refused, as PyTorch's pool2d_shape_check.
  EXPECT_EMBER_ERROR(F::max_pool2d(zeros({2, 0, 7, 8}), 2),
                     "Expected input to have non-zero size for non-batch dimensions");
  EXPECT_EMBER_ERROR(F::avg_pool2d(zeros({0, 7, 8}), 2),
                     "Expected input to have non-zero size for non-batch dimensions");
  EXPECT_EMBER_ERROR(F::adaptive_avg_pool2d(zeros({2, 0, 7, 8}), 2),
                     "Expected input to have non-zero size for non-batch dimensions");
  EXPECT_EQ(F::max_pool2d(zeros({0, 3, 7, 8}), 2).sizes(), (Dims{0, 3, 3, 4}));  // an empty batch is fine
  EXPECT_EMBER_ERROR(F::max_pool2d(x, 2, 2, -1), "pad must be non-negative, but got pad: -1");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, 0, 1), "kernel size should be greater than zero, but got kH: 0 kW: 0");
  EXPECT_EMBER_ERROR(F::avg_pool2d(x, -1, 1), "kernel size should be greater than zero, but got kH: -1 kW: -1");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, {2, 3}, {1, -1}), "stride should be greater than zero, but got dH: 1 dW: -1");
  EXPECT_EMBER_ERROR(F::avg_pool2d(x, 2, 0), "stride should be greater than zero, but got dH: 0 dW: 0");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, 2, 1, 0, 0), "dilation should be greater than zero, but got dilationH: 0 dilationW: 0");
  EXPECT_EMBER_ERROR(F::max_pool2d_with_indices(x, 2, 1, 0, {1, -2}), "but got dilationH: 1 dilationW: -2");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, 5),
                     "Given input size: (2x4x4). Calculated output size: (2x0x0). Output size is too small");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, 2, 1, 0, 4), "Calculated output size: (2x0x0). Output size is too small");
  EXPECT_EMBER_ERROR(F::avg_pool2d(x, 2, 2, 0, false, true, 0), "divisor must be not zero");
  EXPECT_EMBER_ERROR(F::max_pool2d(x, 2, 1, 0, {1, 2, 3}), "expected dilation to be a single integer or a pair");
  EXPECT_EMBER_ERROR(F::adaptive_max_pool2d(x, -1), "elements of output_size must be greater than or equal to 0");
  EXPECT_EMBER_ERROR(F::adaptive_max_pool2d(randn({4, 4}), 2), "Expected 3D or 4D (batch mode) tensor");
  EXPECT_EMBER_ERROR(F::adaptive_max_pool2d(zeros({1, 0, 4}), 2), "Expected input to have non-zero size");
}

// Adaptive max pooling to an empty size gives an empty output, as PyTorch's does.
TEST(PoolOptions, AdaptiveMaxPoolToNothing) {
  const Tensor x = randn({1, 2, 4, 4}).requires_grad_(true);
  auto [y, indices] = F::adaptive_max_pool2d_with_indices(x, {0, 3});
  EXPECT_EQ(y.sizes(), Dims({1, 2, 0, 3}));
  EXPECT_EQ(indices.sizes(), Dims({1, 2, 0, 3}));
  y.sum().backward();
  EXPECT_EQ(x.grad().abs().sum().item<double>(), 0.0);
}

TEST(PoolOptions, Modules) {
  nn::MaxPool2d pool(3, {.stride = 2, .padding = 1, .dilation = 2, .ceil_mode = true});
  EXPECT_EQ(pool.extra_repr(), "kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True");
  const Tensor x = inp({1, 2, 7, 8});
  EXPECT_TRUE(equal(pool.forward(x), F::max_pool2d(x, 3, 2, 1, 2, true)));
  auto [y, indices] = pool.forward_with_indices(x);
  EXPECT_TRUE(equal(y, pool.forward(x)));
  expect_indices(indices, max_refs()[1].indices, "MaxPool2d.forward_with_indices");  // the "dilated ceil" case
  nn::MaxPool2d legacy(3, 2, 1);  // positional stride and padding, as before
  EXPECT_EQ(legacy.extra_repr(), "kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False");
  EXPECT_EQ(nn::MaxPool2d({3, 2}, {.dilation = {1, 2}}).extra_repr(),
            "kernel_size=(3, 2), stride=(3, 2), padding=0, dilation=(1, 2), ceil_mode=False");
  // a square size given as a pair prints as one, as PyTorch keeps the arguments as given
  EXPECT_EQ(nn::MaxPool2d(nn::Pair{3, 3}, nn::Pair{2, 2}, 1).extra_repr(),
            "kernel_size=(3, 3), stride=(2, 2), padding=1, dilation=1, ceil_mode=False");
  EXPECT_EQ(nn::AdaptiveAvgPool2d(nn::Pair{7, 7}).extra_repr(), "output_size=(7, 7)");
  EXPECT_EQ(nn::AdaptiveAvgPool2d(7).extra_repr(), "output_size=7");
  EXPECT_TRUE(nn::Pair(3) == nn::Pair(3, 3));  // the spelling is not part of the size

  nn::AvgPool2d avg(3, {.stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false, .divisor_override = 5});
  EXPECT_EQ(avg.extra_repr(), "kernel_size=3, stride=2, padding=1");
  EXPECT_TRUE(equal(avg.forward(x), F::avg_pool2d(x, 3, 2, 1, true, false, 5)));
  EXPECT_FALSE(equal(avg.forward(x), F::avg_pool2d(x, 3, 2, 1, true)));
  nn::AvgPool2d avg_defaults(2, nn::AvgPool2dOptions{});
  EXPECT_TRUE(equal(avg_defaults.forward(x), F::avg_pool2d(x, 2)));

  nn::AdaptiveMaxPool2d adaptive({3, 2});
  EXPECT_EQ(adaptive.extra_repr(), "output_size=(3, 2)");
  EXPECT_TRUE(adaptive.parameters().empty());
  auto [ay, ai] = adaptive.forward_with_indices(x);
  EXPECT_TRUE(equal(ay, adaptive.forward(x)));
  EXPECT_EQ(ai.sizes(), Dims({1, 2, 3, 2}));
  EXPECT_EQ(adaptive.type_name(), "AdaptiveMaxPool2d");
}

}  // namespace
}  // namespace ember
