// The CPU fused kernels behind softmax, the class-index losses and the optimizers:
// fused SGD steps give the same bits as the native-op formula (taken for non-contiguous
// parameters), Adam/AdamW steps on non-contiguous parameters (staged: Note [Staged
// optimizer operands]) the contiguous ones' bits, losses match a direct computation,
// softmax gradients pass gradcheck along any dim, and the kernels' edge cases (bad
// targets, -inf rows).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/dispatch.h"
#include "core/native.h"
#include "nn/functional/loss.h"
#include "nn/optim/adam.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::random_values;
using Inputs = std::vector<Tensor>;

// ---------------------------------------------------------------- optimizers

// The same values as a contiguous [rows, cols] leaf and as a non-contiguous one (the
// transpose of a [cols, rows] tensor): the fused kernel updates the first, the
// native-op formula (SGD) or the kernel on staged copies (Adam/AdamW) the second.
struct ParamPair {
  Tensor contiguous, strided;
};

ParamPair param_pair(int64_t rows, int64_t cols, DType dtype, uint32_t seed) {
  const std::vector<double> v = random_values(rows * cols, seed);
  Tensor contiguous = tensor(v, {rows, cols}, TensorOptions(dtype)).requires_grad_(true);
  Tensor columns = native::clone(native::transpose(contiguous.detach(), 0, 1));  // [cols, rows]
  Tensor strided = native::transpose(columns, 0, 1).requires_grad_(true);        // [rows, cols], not contiguous
  EXPECT_FALSE(strided.is_contiguous());
  return {contiguous, strided};
}

void set_grads(ParamPair& pair, uint32_t seed) {
  const Tensor& p = pair.contiguous;
  const Tensor g = tensor(random_values(p.numel(), seed), p.sizes(), TensorOptions(p.dtype()));
  pair.contiguous.mutable_grad() = g;
  pair.strided.mutable_grad() = native::clone(g);
}

void expect_same_bits(const Tensor& a, const Tensor& b, const std::string& what) {
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  ASSERT_EQ(va.size(), vb.size()) << what;
  for (size_t i = 0; i < va.size(); ++i) EXPECT_EQ(va[i], vb[i]) << what << " at " << i;
}

template <typename Optimizer, typename Options>
void expect_fused_matches_native(const Options& options, DType dtype, int steps,
                                 const std::vector<std::string>& state) {
  ParamPair pair = param_pair(7, 5, dtype, 11);
  Optimizer by_kernel({pair.contiguous}, options), by_native_ops({pair.strided}, options);
  for (int s = 0; s < steps; ++s) {
    set_grads(pair, 100 + static_cast<uint32_t>(s));
    by_kernel.step();
    by_native_ops.step();
    SCOPED_TRACE("step " + std::to_string(s + 1));
    expect_same_bits(pair.contiguous, pair.strided, "param");
  }
  const optim::StateDict fused_state = by_kernel.state_dict(), native_state = by_native_ops.state_dict();
  ASSERT_EQ(fused_state.size(), native_state.size());
  for (size_t i = 0; i < fused_state.size(); ++i) {
    EXPECT_EQ(fused_state[i].first, native_state[i].first);
    expect_same_bits(fused_state[i].second, native_state[i].second, fused_state[i].first);
  }
  for (const std::string& name : state) {
    bool found = false;
    for (const auto& [key, value] : fused_state) found = found || key == "state.0." + name;
    EXPECT_TRUE(found) << "state.0." << name << " missing";
  }
}

TEST(FusedSgd, MatchesNativeFormula) {
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(dtype_name(dtype));
    expect_fused_matches_native<optim::SGD>(optim::SGDOptions{.lr = 0.1}, dtype, 3, {});
    expect_fused_matches_native<optim::SGD>(optim::SGDOptions{.lr = 0.1, .weight_decay = 0.01}, dtype, 3, {});
    expect_fused_matches_native<optim::SGD>(optim::SGDOptions{.lr = 0.05, .momentum = 0.9}, dtype, 3,
                                            {"momentum_buffer"});
    expect_fused_matches_native<optim::SGD>(
        optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.3, .weight_decay = 1e-3}, dtype, 3,
        {"momentum_buffer"});
    expect_fused_matches_native<optim::SGD>(
        optim::SGDOptions{.lr = 0.05, .momentum = 0.8, .weight_decay = 1e-2, .nesterov = true}, dtype, 3,
        {"momentum_buffer"});
  }
}

TEST(FusedAdam, MatchesNativeFormula) {
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(dtype_name(dtype));
    expect_fused_matches_native<optim::Adam>(optim::AdamOptions{.lr = 1e-2}, dtype, 3,
                                             {"step", "exp_avg", "exp_avg_sq"});
    expect_fused_matches_native<optim::Adam>(optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.1}, dtype, 3,
                                             {"step", "exp_avg", "exp_avg_sq"});
    expect_fused_matches_native<optim::AdamW>(optim::AdamWOptions{.lr = 1e-2}, dtype, 3,
                                              {"step", "exp_avg", "exp_avg_sq"});
    expect_fused_matches_native<optim::AdamW>(optim::AdamWOptions{.lr = 1e-2, .weight_decay = 0.1}, dtype, 3,
                                              {"step", "exp_avg", "exp_avg_sq"});
  }
}

TEST(FusedSgd, KernelHandComputed) {
  // p = 1, g = 0.5, wd = 0.1: d = 0.6; buf = 0.9 * 2 + 0.75 * 0.6 = 2.25;
  // nesterov d = 0.6 + 0.9 * 2.25 = 2.625; p = 1 - 0.1 * 2.625 = 0.7375
  Tensor p = tensor(std::vector<double>{1.0}), g = tensor(std::vector<double>{0.5});
  Tensor buf = tensor(std::vector<double>{2.0});
  const SgdStepArgs args{.lr = 0.1, .momentum = 0.9, .dampening = 0.25, .weight_decay = 0.1, .nesterov = true};
  cpu_ops().sgd_step(p, g, buf, args);
  expect_values(buf, {2.25}, 1e-15);
  expect_values(p, {0.7375}, 1e-15);
  // first step: the buffer becomes d (whatever it held); no momentum: buffer untouched
  cpu_ops().sgd_step(p, g, buf, {.lr = 1.0, .momentum = 0.5, .first_step = true});
  expect_values(buf, {0.5}, 1e-15);
  expect_values(p, {0.2375}, 1e-15);
  cpu_ops().sgd_step(p, g, Tensor(), {.lr = 0.5});
  expect_values(p, {-0.0125}, 1e-15);
}

TEST(FusedAdam, KernelHandComputed) {
  // one step from zero state: m = 0.1 g, v = 0.001 g^2, bias-corrected m / sqrt(v) = sign(g)
  for (bool decoupled : {false, true}) {
    Tensor p = tensor(std::vector<double>{1.0, -2.0}), g = tensor(std::vector<double>{0.5, -0.25});
    Tensor m = zeros({2}, kFloat64), v = zeros({2}, kFloat64);
    const double lr = 0.1, wd = 0.2;
    const AdamStepArgs args{.lr = lr,
                            .eps = 0.0,
                            .weight_decay = wd,
                            .step_size = lr / (1.0 - 0.9),
                            .bias_correction2_sqrt = std::sqrt(1.0 - 0.999),
                            .decoupled = decoupled};
    cpu_ops().adam_step(p, g, m, v, Tensor(), args);
    // Adam: g' = g + wd p = {0.7, -0.65}; AdamW: p *= 1 - lr wd first, g' = g
    const std::vector<double> gp = decoupled ? std::vector<double>{0.5, -0.25} : std::vector<double>{0.7, -0.65};
    const double shrink = decoupled ? 1.0 - lr * wd : 1.0;
    expect_values(m, {0.1 * gp[0], 0.1 * gp[1]}, 1e-15);
    expect_values(v, {0.001 * gp[0] * gp[0], 0.001 * gp[1] * gp[1]}, 1e-15);
    expect_values(p, {1.0 * shrink - lr, -2.0 * shrink + lr}, 1e-12);
  }
}

// ---------------------------------------------------------------- softmax

TEST(FusedSoftmax, GradcheckAnyDim) {
  for (int64_t dim : {0, 1, 2, -1}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    expect_gradcheck([&](const Inputs& x) { return F::softmax(x[0], dim); }, {testing::grad_input({3, 4, 2})});
    expect_gradcheck([&](const Inputs& x) { return F::log_softmax(x[0], dim); }, {testing::grad_input({3, 4, 2})});
  }
  // a non-contiguous input
  expect_gradcheck([&](const Inputs& x) { return F::softmax(x[0].transpose(0, 1), 1); },
                   {testing::grad_input({4, 3})});
}

TEST(FusedSoftmax, ValuesAlongInnerDim) {
  Tensor x = tensor(random_values(24, 3), {2, 3, 4});
  Tensor out = F::softmax(x, 1);
  EXPECT_TRUE(out.is_contiguous());
  const std::vector<double> xv = x.to_vector<double>(), ov = out.to_vector<double>();
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t k = 0; k < 4; ++k) {
      double total = 0.0;
      for (int64_t j = 0; j < 3; ++j) total += std::exp(xv[a * 12 + j * 4 + k]);
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_NEAR(ov[a * 12 + j * 4 + k], std::exp(xv[a * 12 + j * 4 + k]) / total, 1e-12);
    }
}

TEST(FusedSoftmax, InfiniteRows) {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor in = tensor(std::vector<double>{-inf, -inf, -inf, 1.0, inf, 2.0, 0.0, -inf, 0.0}, {3, 3});
  Tensor out = empty({3, 3}, kFloat64), log_out = empty({3, 3}, kFloat64);
  cpu_ops().softmax_rows(in, out, false);
  cpu_ops().softmax_rows(in, log_out, true);
  const std::vector<double> p = out.to_vector<double>(), lp = log_out.to_vector<double>();
  for (int j = 0; j < 3; ++j) EXPECT_TRUE(std::isnan(p[j]) && std::isnan(lp[j])) << "all -inf row, column " << j;
  // torch 1.13: a row with +inf is NaN throughout (softmax and log_softmax)
  for (int j = 3; j < 6; ++j) EXPECT_TRUE(std::isnan(p[j]) && std::isnan(lp[j])) << "row with +inf, column " << j;
  EXPECT_NEAR(p[6], 0.5, 1e-15);
  EXPECT_EQ(p[7], 0.0);
  EXPECT_EQ(lp[7], -inf);
  // and so is cross_entropy's loss there (torch 1.13: nan for either target)
  const Tensor logits = tensor(std::vector<double>{inf, 1.0, 1.0, 2.0}, {2, 2});
  const auto loss = F::cross_entropy(logits, tensor(std::vector<int64_t>{1, 0}), F::Reduction::None).to_vector<double>();
  EXPECT_TRUE(std::isnan(loss[0]));
  EXPECT_NEAR(loss[1], std::log1p(std::exp(1.0)), 1e-15);
}

// ---------------------------------------------------------------- class-index losses

// -(1 - s) logp[t] - s / c sum_j logp[j] per row, computed directly in double.
std::vector<double> direct_cross_entropy(const std::vector<double>& x, const std::vector<int64_t>& t, int64_t c,
                                         double s) {
  std::vector<double> losses;
  for (size_t i = 0; i < t.size(); ++i) {
    double total = 0.0;
    for (int64_t j = 0; j < c; ++j) total += std::exp(x[i * c + j]);
    const double lse = std::log(total);
    double sum_logp = 0.0;
    for (int64_t j = 0; j < c; ++j) sum_logp += x[i * c + j] - lse;
    losses.push_back(-(1.0 - s) * (x[i * c + t[i]] - lse) - s / static_cast<double>(c) * sum_logp);
  }
  return losses;
}

TEST(FusedCrossEntropy, SmoothingMatchesDirect) {
  const int64_t n = 6, c = 5;
  const std::vector<double> x = random_values(n * c, 21);
  const std::vector<int64_t> t{0, 4, 2, 2, 1, 3};
  Tensor targets = tensor(t, {n});
  for (double s : {0.0, 0.1, 1.0}) {
    SCOPED_TRACE("smoothing " + std::to_string(s));
    const std::vector<double> expected = direct_cross_entropy(x, t, c, s);
    Tensor logits = tensor(x, {n, c});
    expect_values(F::cross_entropy(logits, targets, F::Reduction::None, s), expected, 1e-12);
    double total = 0.0;
    for (double l : expected) total += l;
    expect_values(F::cross_entropy(logits, targets, F::Reduction::Sum, s), {total}, 1e-12);
    expect_values(F::cross_entropy(logits, targets, F::Reduction::Mean, s), {total / n}, 1e-12);
    // float32 logits: float32 losses within float rounding
    Tensor loss32 = F::cross_entropy(native::to_dtype(logits, kFloat32), targets, F::Reduction::None, s);
    EXPECT_EQ(loss32.dtype(), kFloat32);
    expect_values(loss32, expected, 1e-5);
    expect_gradcheck([&](const Inputs& in) { return F::cross_entropy(in[0], targets, F::Reduction::Mean, s); },
                     {testing::grad_input({n, c})});
  }
}

TEST(FusedCrossEntropy, KernelRejectsBadTargetBeforeWriting) {
  Tensor logits = tensor(random_values(6, 5), {2, 3});
  Tensor losses = full({2}, 7.0, kFloat64), probs = full({2, 3}, 7.0, kFloat64);
  EXPECT_EMBER_ERROR(cpu_ops().cross_entropy_rows(logits, tensor(std::vector<int64_t>{0, 12}), ClassLossTerms{}, losses, probs, Tensor()),
                     "Target 12 is out of bounds.");
  expect_values(losses, {7.0, 7.0});
  expect_values(probs, std::vector<double>(6, 7.0));
  // probs are the softmax; undefined probs are fine
  cpu_ops().cross_entropy_rows(logits, tensor(std::vector<int64_t>{0, 2}), ClassLossTerms{}, losses, probs, Tensor());
  expect_values(probs, F::softmax(logits, 1).to_vector<double>(), 1e-15);
  cpu_ops().cross_entropy_rows(logits, tensor(std::vector<int64_t>{0, 2}), ClassLossTerms{}, losses, Tensor(), Tensor());
  expect_values(losses, direct_cross_entropy(logits.to_vector<double>(), {0, 2}, 3, 0.0), 1e-12);
}

TEST(FusedClassLoss, BackwardKernelScales) {
  Tensor probs = tensor(std::vector<double>{0.2, 0.3, 0.5, 0.6, 0.3, 0.1}, {2, 3});
  Tensor targets = tensor(std::vector<int64_t>{2, 0});
  Tensor grad = empty({2, 3}, kFloat64);
  const double s = 0.3, u = s / 3.0, hit = 1.0 - s + u;
  // per row: g = {2, -1}
  cpu_ops().class_loss_backward(probs, targets, tensor(std::vector<double>{2.0, -1.0}), LossGradScale::PerRow, ClassLossTerms{.smoothing = s}, grad);
  expect_values(grad, {2 * (0.2 - u), 2 * (0.3 - u), 2 * (0.5 - hit), -(0.6 - hit), -(0.3 - u), -(0.1 - u)}, 1e-15);
  // mean: g / rows; nll (no probs, no smoothing): -scale at the target
  cpu_ops().class_loss_backward(Tensor(), targets, scalar_tensor(3.0, kFloat64), LossGradScale::Mean, ClassLossTerms{}, grad);
  expect_values(grad, {0, 0, -1.5, -1.5, 0, 0}, 1e-15);
  cpu_ops().class_loss_backward(Tensor(), targets, scalar_tensor(3.0, kFloat64), LossGradScale::Sum, ClassLossTerms{}, grad);
  expect_values(grad, {0, 0, -3, -3, 0, 0}, 1e-15);
  EXPECT_EMBER_ERROR(cpu_ops().class_loss_backward(Tensor(), tensor(std::vector<int64_t>{3, 0}),
                                                   scalar_tensor(1.0, kFloat64), LossGradScale::Sum, ClassLossTerms{}, grad),
                     "Target 3 is out of bounds.");
}

TEST(FusedNllLoss, PicksTargetsIgnoringOtherColumns) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  Tensor logp = tensor(std::vector<double>{-0.5, -inf, nan, -2.0, -1.0, -3.0}, {2, 3});
  Tensor targets = tensor(std::vector<int64_t>{0, 2});
  expect_values(F::nll_loss(logp, targets, F::Reduction::None), {0.5, 3.0});
  expect_values(F::nll_loss(logp, targets, F::Reduction::Sum), {3.5});
  expect_values(F::nll_loss(logp, targets, F::Reduction::Mean), {1.75});
  // [C] input with a 0-dim target
  Tensor one = F::nll_loss(tensor(std::vector<double>{-1.0, -2.0, -4.0}), scalar_tensor(2, kInt64), F::Reduction::None);
  EXPECT_EQ(one.dim(), 0);
  expect_values(one, {4.0});
  expect_gradcheck([&](const Inputs& in) { return F::nll_loss(in[0], targets, F::Reduction::Sum); },
                   {testing::grad_input({2, 3})});
}

}  // namespace
}  // namespace ember
