// cummax, cummin and logcumsumexp: values, indices and gradients against PyTorch 1.13 (ties
// take the later index, NaN sticks with the latest NaN's index, -inf and huge inputs in
// logcumsumexp), integer/bool/bfloat16 inputs, strided layouts against a loop, 0-dim and
// empty inputs, gradcheck and gradgradcheck, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <ember/ember.h>

#include "core/reduce_functors.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_exact;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::leaf;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The reference script:
//   x = torch.tensor([[1., 3., 2., nan, 2., 5., nan, 0.], [4., -1., 4., -2., 7., 7., 0., -5.]],
//                    dtype=torch.float64, requires_grad=True)
//   w = torch.arange(1., 17., dtype=torch.float64).view(2, 8)
//   v, i = torch.cummax(x, 1); torch.autograd.grad((v * w).sum(), x)
const std::vector<double> kX = {1, 3, 2, kNaN, 2, 5, kNaN, 0, 4, -1, 4, -2, 7, 7, 0, -5};
Tensor weights() { return arange(1.0, 17.0, 1.0, kFloat64).view({2, 8}); }

TEST(CumulativeOps, CummaxAsPyTorch) {
  const Tensor x = leaf(kX, {2, 8});
  auto [values, indices] = cummax(x, 1);
  expect_exact(values, {1, 3, 3, kNaN, kNaN, kNaN, kNaN, kNaN, 4, 4, 4, 4, 7, 7, 7, 7});
  EXPECT_EQ(indices.dtype(), kInt64);
  EXPECT_EQ(indices.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 3, 3, 3, 6, 6, 0, 0, 2, 2, 4, 5, 5, 5}));
  EXPECT_EQ(values.grad_fn_name(), "CummaxBackward");
  (values * weights()).sum().backward();
  expect_values(x.grad(), {1, 5, 0, 15, 0, 0, 15, 0, 19, 0, 23, 0, 13, 45, 0, 0}, 0.0);
  // along dim 0
  auto [v0, i0] = x.detach().cummax(0);
  expect_exact(v0, {1, 3, 2, kNaN, 2, 5, kNaN, 0, 4, 3, 4, kNaN, 7, 7, kNaN, 0});
  EXPECT_EQ(i0.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0}));
}

TEST(CumulativeOps, CumminAsPyTorch) {
  const Tensor x = leaf(kX, {2, 8});
  auto [values, indices] = x.cummin(-1);
  expect_exact(values, {1, 1, 1, kNaN, kNaN, kNaN, kNaN, kNaN, 4, -1, -1, -2, -2, -2, -2, -5});
  EXPECT_EQ(indices.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 3, 3, 3, 6, 6, 0, 1, 1, 3, 3, 3, 3, 7}));
  EXPECT_EQ(values.grad_fn_name(), "CumminBackward");
  (values * weights()).sum().backward();
  expect_values(x.grad(), {6, 0, 0, 15, 0, 0, 15, 0, 9, 21, 0, 54, 0, 0, 0, 16}, 0.0);
  auto [v0, i0] = cummin(x.detach(), 0);
  expect_exact(v0, {1, 3, 2, kNaN, 2, 5, kNaN, 0, 1, -1, 2, kNaN, 2, 5, kNaN, -5});
  EXPECT_EQ(i0.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}));
}

TEST(CumulativeOps, IntegersBoolAndBfloat16KeepTheirDtype) {
  auto [v, i] = cummax(tensor(std::vector<int64_t>{3, 1, 3, 5, 2}), 0);
  EXPECT_EQ(v.dtype(), kInt64);
  EXPECT_EQ(v.to_vector<int64_t>(), (std::vector<int64_t>{3, 3, 3, 5, 5}));
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 2, 3, 3}));
  auto [bv, bi] = cummin(tensor(std::vector<double>{1, 0, 1}, kBool), 0);
  EXPECT_EQ(bv.dtype(), kBool);
  expect_values(bv, {1, 0, 0}, 0.0);
  EXPECT_EQ(bi.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1}));
  auto [hv, hi] = cummax(tensor(std::vector<double>{0.5, -1.25, 3.0, 3.0}, kBFloat16), 0);
  EXPECT_EQ(hv.dtype(), kBFloat16);
  expect_values(hv, {0.5, 0.5, 3.0, 3.0}, 0.0);
  EXPECT_EQ(hi.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 2, 3}));
  // -0.0 and 0.0 tie: the later index, and its value (PyTorch: [-0., 0., -0.], [0, 1, 2])
  auto [zv, zi] = cummax(tensor(std::vector<double>{-0.0, 0.0, -0.0}, kFloat64), 0);
  EXPECT_EQ(zi.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_TRUE(std::signbit(zv.to_vector<double>()[2]));
}

// A strided (transposed, sliced) input along each dim against a plain loop.
TEST(CumulativeOps, StridedLayoutsMatchALoop) {
  manual_seed(3);
  const Tensor base = randint(0, 6, {7, 9, 5}).to(kFloat64);  // many ties
  const Tensor x = base.transpose(0, 2).slice(1, 1, 9, 2);  // [5, 4, 7], not contiguous
  for (int64_t d = 0; d < 3; ++d) {
    for (const bool is_max : {true, false}) {
      auto [v, i] = is_max ? cummax(x, d) : cummin(x, d);
      const Tensor xc = x.contiguous().movedim(d, -1).contiguous();
      const auto xs = xc.to_vector<double>();
      const auto vs = v.movedim(d, -1).contiguous().to_vector<double>();
      const auto is = i.movedim(d, -1).contiguous().to_vector<int64_t>();
      const int64_t n = x.size(d);
      for (size_t line = 0; line < xs.size() / static_cast<size_t>(n); ++line) {
        double best = xs[line * n];
        int64_t at = 0;
        for (int64_t k = 0; k < n; ++k) {
          const double e = xs[line * n + k];
          if (is_max ? e >= best : e <= best) {
            best = e;
            at = k;
          }
          ASSERT_EQ(vs[line * n + k], best) << "dim " << d << " line " << line << " step " << k;
          ASSERT_EQ(is[line * n + k], at) << "dim " << d << " line " << line << " step " << k;
        }
      }
    }
  }
}

TEST(CumulativeOps, ZeroDimAndEmptyInputs) {
  const Tensor s = scalar_tensor(5.0, TensorOptions(kFloat64).requires_grad(true));
  auto [v, i] = cummax(s, 0);
  EXPECT_EQ(v.dim(), 0);
  EXPECT_EQ(i.item<int64_t>(), 0);
  (v * 3.0).backward();
  EXPECT_EQ(s.grad().item<double>(), 3.0);
  auto [ev, ei] = cummin(zeros({2, 0}), 1);
  EXPECT_EQ(ev.sizes(), (Dims{2, 0}));
  EXPECT_EQ(ei.sizes(), (Dims{2, 0}));
  EXPECT_EQ(logcumsumexp(zeros({0, 3}), 0).sizes(), (Dims{0, 3}));
  EXPECT_NEAR(logcumsumexp(scalar_tensor(2.0, kFloat64), 0).item<double>(), 2.0, 0.0);
  // a 0-dim input passes its gradient through, -inf included (PyTorch's 1)
  const Tensor lowest = scalar_tensor(-kInf, TensorOptions(kFloat64).requires_grad(true));
  logcumsumexp(lowest, 0).backward();
  EXPECT_EQ(lowest.grad().item<double>(), 1.0);
  // float32 and bfloat16 gradients take their own dtype's lowest value (a cast of double's
  // overflows, which UBSan reports): a -inf input after a finite one gets 0
  for (const DType dt : {kFloat32, kBFloat16}) {
    const Tensor r = tensor(std::vector<double>{0.0, -kInf, 1.0}, TensorOptions(dt).requires_grad(true));
    (logcumsumexp(r, 0) * tensor(std::vector<double>{1.0, -1.0, 0.0}, dt)).sum().backward();
    const auto g = r.grad().to_vector<double>();
    EXPECT_NEAR(g[0], 0.0, 1e-2) << dtype_name(dt);  // 1 - 1 from the first two outputs
    EXPECT_EQ(g[1], 0.0) << dtype_name(dt);
    EXPECT_EQ(g[2], 0.0) << dtype_name(dt);
  }
}

// The reference script:
//   y = torch.tensor([[0.5, -1., 2., -inf, 3., -2.], [1000., 1000., -1000., 0., -inf, -inf]],
//                    dtype=torch.float64, requires_grad=True)
//   w = torch.tensor([[1., -2., 0.5, 3., -1., 2.], [0., 1., -1., 2., 0.5, -3.]], dtype=torch.float64)
//   out = torch.logcumsumexp(y, 1); torch.autograd.grad((out * w).sum(), y)
TEST(CumulativeOps, LogcumsumexpAsPyTorch) {
  const Tensor y = leaf({0.5, -1, 2, -kInf, 3, -2, 1000, 1000, -1000, 0, -kInf, -kInf}, {2, 6});
  const Tensor w = tensor(std::vector<double>{1, -2, 0.5, 3, -1, 2, 0, 1, -1, 2, 0.5, -3}, {2, 6}, kFloat64);
  const Tensor out = logcumsumexp(y, 1);
  expect_values(out, {0.5, 0.7014132779827524, 2.241311296657157, 2.241311296657157, 3.3840917012886904,
                      3.388670210519253, 1000.0, 1000.6931471805599, 1000.6931471805599, 1000.6931471805599,
                      1000.6931471805599, 1000.6931471805599},
                1e-12);
  EXPECT_EQ(out.grad_fn_name(), "LogcumsumexpBackward");
  (out * w).sum().backward();
  expect_values(y.grad(), {0.03376220755574688, -0.21559679336955148, 2.997851834543853, 0.0, 0.674846663599477,
                           0.00913608767047407, -0.25, -0.25, 0.0, 0.0, 0.0, 0.0},
                1e-12);
  // along dim 0: torch.logcumsumexp(y[:, :3], 0)
  expect_values(y.detach().slice(1, 0, 3).logcumsumexp(0), {0.5, -1.0, 2.0, 1000.0, 1000.0, 2.0}, 1e-12);
  // float32 accumulates in double: a long row of equal values is log(k) + v to float32's rounding
  const Tensor ones_row = full({1, 100000}, 1.0);
  const auto lse = logcumsumexp(ones_row, 1).to_vector<double>();
  EXPECT_NEAR(lse.back(), 1.0 + std::log(100000.0), 1e-6);
}

// The pair combine CUDA's block scan uses: any grouping of the pieces gives the loop's
// (value, index), ties and NaNs included (associativity, checked on every split of prefixes).
TEST(CumulativeOps, PairCombineOfPiecesIsTheLoop) {
  manual_seed(8);
  Tensor x = randint(0, 4, {64}).to(kFloat64);
  x.narrow(0, 20, 1).fill_(kNaN);
  x.narrow(0, 41, 1).fill_(kNaN);
  const auto xs = x.to_vector<double>();
  for (const bool is_max : {true, false}) {
    auto [values, indices] = is_max ? cummax(x, 0) : cummin(x, 0);
    const auto vs = values.to_vector<double>();
    const auto is = indices.to_vector<int64_t>();
    const auto combine = [&](const functors::ExtremeAt<double>& a, const functors::ExtremeAt<double>& b) {
      return is_max ? functors::CombineExtremes<ArgReduceOp::ArgMax>{}(a, b)
                    : functors::CombineExtremes<ArgReduceOp::ArgMin>{}(a, b);
    };
    const auto fold = [&](size_t from, size_t to) {  // [from, to) left to right
      functors::ExtremeAt<double> acc{0.0, -1};
      for (size_t i = from; i < to; ++i) acc = combine(acc, {xs[i], static_cast<int64_t>(i)});
      return acc;
    };
    for (size_t end = 1; end <= xs.size(); ++end) {
      for (size_t split = 0; split <= end; ++split) {
        const auto joined = combine(fold(0, split), fold(split, end));
        ASSERT_EQ(joined.index, is[end - 1]) << "prefix " << end << " split " << split;
        if (!std::isnan(vs[end - 1])) {
          ASSERT_EQ(joined.value, vs[end - 1]);
        }
      }
    }
  }
}

TEST(CumulativeOps, Gradchecks) {
  const Tensor x = ember::testing::grad_input({3, 5});
  expect_gradcheck([](const std::vector<Tensor>& in) { return logcumsumexp(in[0], 1); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return logcumsumexp(in[0], 0); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return std::get<0>(cummax(in[0], 1)); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return std::get<0>(cummin(in[0], 0)); }, {x});
  // second order: logcumsumexp's backward is made of recorded ops
  const auto report = autograd::gradgradcheck_report([](const std::vector<Tensor>& in) { return logcumsumexp(in[0], 1); }, {x});
  EXPECT_TRUE(report.ok) << report.message;
}

TEST(CumulativeOps, Errors) {
  EXPECT_NE(error_of([] { logcumsumexp(tensor(std::vector<int64_t>{1, 2}), 0); }).find("not implemented for 'Long'"),
            std::string::npos);
  EXPECT_NE(error_of([] { cummax(zeros({2, 3}), 2); }).find("out of range"), std::string::npos);
}

}  // namespace
}  // namespace ember
