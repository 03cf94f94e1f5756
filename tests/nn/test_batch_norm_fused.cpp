// The fused CPU BatchNorm kernels (nn/functional/batch_norm_cpu.cpp): float64 gradcheck
// of the backward for 1d/2d input, affine on/off, training/eval; forward values and
// gradients against a direct per-channel computation, also for non-contiguous input.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "core/factories.h"
#include "nn/functional/basic.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;

TEST(BatchNormFused, GradcheckAffineTrainingEval1d2d) {
  for (const Dims& shape : {Dims{5, 3}, Dims{4, 3, 5}, Dims{2, 3, 4, 5}}) {
    for (bool affine : {false, true}) {
      for (bool training : {false, true}) {
        Inputs in{testing::grad_input(shape)};
        if (affine) {
          in.push_back(testing::grad_input({3}, 0.5, 1.5));
          in.push_back(testing::grad_input({3}));
        }
        // Eval uses fixed running statistics; training uses none (nothing to update).
        const Tensor rm = training ? Tensor() : tensor(std::vector<double>{0.1, -0.2, 0.3});
        const Tensor rv = training ? Tensor() : tensor(std::vector<double>{0.5, 1.0, 2.0});
        const auto r = autograd::gradcheck_report(
            [&](const Inputs& v) {
              return F::batch_norm(v[0], rm, rv, affine ? v[1] : Tensor(), affine ? v[2] : Tensor(), training);
            },
            in);
        EXPECT_TRUE(r.ok) << "shape " << shape << " affine " << affine << " training " << training << ": "
                          << r.message;
      }
    }
  }
}

// Direct formula on [N, C, S] values: y = (x - mean_c) / sqrt(var_c + eps) * w_c + b_c.
std::vector<double> direct(const std::vector<double>& x, int64_t N, int64_t C, int64_t S, const std::vector<double>& w,
                           const std::vector<double>& b, double eps) {
  std::vector<double> y(x.size());
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) sum += x[static_cast<size_t>((n * C + c) * S + s)];
    const double mean = sum / static_cast<double>(N * S);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) sq += std::pow(x[static_cast<size_t>((n * C + c) * S + s)] - mean, 2);
    const double invstd = 1.0 / std::sqrt(sq / static_cast<double>(N * S) + eps);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) {
        const auto i = static_cast<size_t>((n * C + c) * S + s);
        y[i] = (x[i] - mean) * invstd * w[static_cast<size_t>(c)] + b[static_cast<size_t>(c)];
      }
  }
  return y;
}

TEST(BatchNormFused, ForwardMatchesDirectFormulaFloat32AndNonContiguous) {
  const int64_t N = 6, C = 4, H = 3, W = 5;
  const std::vector<double> xv = testing::random_values(N * C * H * W, 7);
  const std::vector<double> w{0.5, 1.0, 1.5, -2.0}, b{0.1, 0.2, -0.3, 0.0};
  const std::vector<double> expected = direct(xv, N, C, H * W, w, b, 1e-5);
  const Tensor x = tensor(xv, {N, C, H, W}, TensorOptions(kFloat32));
  testing::expect_values(F::batch_norm(x, Tensor(), Tensor(), tensor(w, {C}, TensorOptions(kFloat32)),
                                       tensor(b, {C}, TensorOptions(kFloat32)), true),
                         expected, 1e-4);
  // The same (float32-rounded) values held as a transposed (non-contiguous) float64 tensor.
  const std::vector<double> rounded = direct(x.to_vector<double>(), N, C, H * W, w, b, 1e-5);
  const Tensor xt = x.to(kFloat64).transpose(2, 3).contiguous().transpose(2, 3);
  ASSERT_FALSE(xt.is_contiguous());
  testing::expect_values(F::batch_norm(xt, Tensor(), Tensor(), tensor(w), tensor(b), true), rounded, 1e-10);
}

TEST(BatchNormFused, TrainingGradientsSumToZeroAndMatchBiasAndWeight) {
  // With y = BN(x), d/dx of sum(y * r) sums to zero per channel; grad_bias = Σ r and
  // grad_weight = Σ r * xhat.
  const Tensor x = testing::grad_input({3, 2, 4});
  const Tensor w = testing::grad_input({2}, 0.5, 1.5), b = testing::grad_input({2});
  const Tensor r = tensor(testing::random_values(24, 3), {3, 2, 4});
  const Tensor y = F::batch_norm(x, Tensor(), Tensor(), w, b, true);
  (y * r).sum().backward();
  const Tensor gsum = x.grad().sum({0, 2});
  testing::expect_values(gsum, {0.0, 0.0}, 1e-10);
  testing::expect_values(b.grad(), r.sum({0, 2}).to_vector<double>(), 1e-10);
  const Tensor xhat = F::batch_norm(x.detach(), Tensor(), Tensor(), Tensor(), Tensor(), true);
  testing::expect_values(w.grad(), (r * xhat).sum({0, 2}).to_vector<double>(), 1e-10);
}

// An eval forward that records saves the statistics its eval kernel wrote (a copy of the
// running mean, the running variance's invstd): updating the running statistics after it
// leaves its gradients as they were. An empty batch still records: zero weight and bias
// gradients.
TEST(BatchNormFused, EvalBackwardUsesTheStatisticsOfItsForward) {
  const int64_t N = 4, C = 3, S = 5;
  const Tensor x = testing::grad_input({N, C, S});
  const Tensor w = testing::grad_input({C}, 0.5, 1.5), b = testing::grad_input({C});
  const Tensor g = tensor(testing::random_values(N * C * S, 11), {N, C, S});
  Tensor rm = tensor(std::vector<double>{0.1, -0.2, 0.3}), rv = tensor(std::vector<double>{0.5, 1.0, 2.0});
  const Tensor y = F::batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5);
  {
    NoGradGuard no_grad;
    rm.add_(5.0);
    rv.mul_(4.0);
  }
  const auto grads = autograd::grad({y}, {x, w, b}, {g});
  const auto xv = x.to_vector<double>(), gv = g.to_vector<double>(), wv = w.to_vector<double>();
  const std::vector<double> mean{0.1, -0.2, 0.3}, var{0.5, 1.0, 2.0};
  std::vector<double> gx(xv.size()), gw(C, 0.0), gb(C, 0.0);
  for (int64_t i = 0; i < N * C * S; ++i) {
    const auto at = static_cast<size_t>(i), c = static_cast<size_t>(i / S % C);
    const double invstd = 1.0 / std::sqrt(var[c] + 1e-5);
    gx[at] = gv[at] * invstd * wv[c];
    gw[c] += gv[at] * (xv[at] - mean[c]) * invstd;
    gb[c] += gv[at];
  }
  testing::expect_values(grads[0], gx, 1e-12);
  testing::expect_values(grads[1], gw, 1e-12);
  testing::expect_values(grads[2], gb, 1e-12);

  const Tensor empty = testing::grad_input({0, C, S});
  const Tensor y0 = F::batch_norm(empty, rm, rv, w, b, false, 0.1, 1e-5);
  ASSERT_NE(y0.grad_fn(), nullptr);
  const auto grads0 = autograd::grad({y0}, {empty, w, b}, {zeros({0, C, S}, kFloat64)});
  EXPECT_EQ(grads0[0].sizes(), (Dims{0, C, S}));
  testing::expect_values(grads0[1], {0.0, 0.0, 0.0});
  testing::expect_values(grads0[2], {0.0, 0.0, 0.0});
}

}  // namespace
}  // namespace ember
