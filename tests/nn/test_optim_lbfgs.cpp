// LBFGS against PyTorch 1.13 (optim_torch_values_closure.h): the Rosenbrock function and a
// least-squares fit, with a fixed step and the strong Wolfe line search, histories that
// overflow, tolerances that stop early; the state_dict round trip resuming bit for bit, a
// loaded state checked, the closure's and the options' errors, parameters without gradients
// and non-contiguous ones; the line search's cubic interpolation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/native.h"
#include "nn/optim/lbfgs.h"
#include "nn/optim/lbfgs_line_search.h"
#include "nn/optim/scheduler.h"
#include "optim_torch_values_closure.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace ref = ember::testing::torch_optim_closure;
using optim::LBFGS;
using optim::LBFGSOptions;

// f = (1 - x)^2 + 100 (y - x^2)^2, written as the reference script computes it.
Tensor rosenbrock(const Tensor& p) {
  const Tensor x = p.select(0, 0), y = p.select(0, 1);
  const Tensor a = 1.0 - x, b = y - x * x;
  return a * a + 100.0 * (b * b);
}

// The reference script's least-squares data: X [6, 3], Y [6, 2].
Tensor ls_x() {
  std::vector<double> v;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 3; ++j) v.push_back(std::sin(1.3 * i + 0.7 * j));
  return tensor(v, {6, 3}, TensorOptions(kFloat64));
}
Tensor ls_y() {
  std::vector<double> v;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 2; ++j) v.push_back(std::cos(0.9 * i - 0.4 * j));
  return tensor(v, {6, 2}, TensorOptions(kFloat64));
}
Tensor ls_w0() {
  std::vector<double> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) v.push_back(0.1 * (i + 1) - 0.05 * j);
  return tensor(v, {2, 3}, TensorOptions(kFloat64));
}
Tensor ls_b0() { return tensor(std::vector<double>{0.2, -0.3}, {2}, TensorOptions(kFloat64)); }

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << "element " << i;
}

int64_t state_count(const optim::StateDict& sd, const std::string& key) {
  for (const auto& [k, v] : sd)
    if (k == key) return static_cast<int64_t>(v.item<double>());
  ADD_FAILURE() << "no " << key;
  return -1;
}

void expect_run(const char* what, const std::vector<Tensor>& params, LBFGS& opt, const optim::LossClosure& closure,
                const ref::LbfgsRun& want, double tol) {
  SCOPED_TRACE(what);
  for (size_t k = 0; k < want.losses.size(); ++k) {
    SCOPED_TRACE("step " + std::to_string(k + 1));
    const Tensor loss = opt.step(closure);
    EXPECT_NEAR(loss.item<double>(), want.losses[k], tol * std::max(1.0, std::abs(want.losses[k])));
    std::vector<double> flat;
    for (const Tensor& p : params)
      for (double v : p.contiguous().to_vector<double>()) flat.push_back(v);
    expect_close(flat, want.params[k], tol);
  }
  const optim::StateDict sd = opt.state_dict();
  EXPECT_EQ(state_count(sd, "state.0.func_evals"), want.func_evals);
  EXPECT_EQ(state_count(sd, "state.0.n_iter"), want.n_iter);
}

void expect_rosenbrock(const char* what, const LBFGSOptions& options, const ref::LbfgsRun& want, double tol) {
  Tensor p = tensor(std::vector<double>{-1.5, 2.0}, {2}, TensorOptions(kFloat64)).requires_grad_(true);
  LBFGS opt({p}, options);
  const auto closure = [&] {
    opt.zero_grad();
    Tensor loss = rosenbrock(p);
    loss.backward();
    return loss;
  };
  expect_run(what, {p}, opt, closure, want, tol);
}

// The least-squares closure for W and b (W may be any layout with W's values).
optim::LossClosure least_squares(LBFGS& opt, const Tensor& w, const Tensor& b) {
  return [&opt, w, b, x = ls_x(), y = ls_y()] {
    opt.zero_grad();
    const Tensor r = matmul(x, w.t()) + b - y;
    Tensor loss = (r * r).mean();
    loss.backward();
    return loss;
  };
}

void expect_least_squares(const char* what, const LBFGSOptions& options, const ref::LbfgsRun& want, double tol) {
  Tensor w = ls_w0().requires_grad_(true), b = ls_b0().requires_grad_(true);
  LBFGS opt({w, b}, options);
  expect_run(what, {w, b}, opt, least_squares(opt, w, b), want, tol);
}

LBFGSOptions wolfe(LBFGSOptions o = {}) {
  o.line_search_fn = "strong_wolfe";
  return o;
}

TEST(LBFGS, RosenbrockMatchesPyTorch) {
  // Rounding grows along Rosenbrock's curved valley: the dot products' order (ember's GEMM
  // against PyTorch's BLAS dot) moves the last digits, so 1e-9. The plain case (20 fixed
  // steps an LBFGS step) amplifies them about 100x a step: PyTorch itself, with the loss
  // written as (1 - x)**2 + 100 * (y - x**2)**2, drifts from 4e-15 after step 1 to 3e-6 after
  // step 4, so that case is compared over 2 steps.
  expect_rosenbrock("plain", {}, ref::kRosenbrockPlain, 1e-9);
  expect_rosenbrock("plain, history 3", {.lr = 0.5, .max_iter = 10, .history_size = 3}, ref::kRosenbrockPlainHistory3,
                    1e-9);
  expect_rosenbrock("strong Wolfe", wolfe(), ref::kRosenbrockWolfe, 1e-9);
  expect_rosenbrock("strong Wolfe, history 2, max_eval 9", wolfe({.max_iter = 7, .max_eval = 9, .history_size = 2}),
                    ref::kRosenbrockWolfeHistory2, 1e-9);
}

TEST(LBFGS, LeastSquaresMatchesPyTorch) {
  expect_least_squares("plain, history 2", {.lr = 0.8, .max_iter = 6, .history_size = 2}, ref::kLeastSquaresPlain,
                       1e-11);
  expect_least_squares("strong Wolfe, history 4", wolfe({.max_iter = 8, .history_size = 4}), ref::kLeastSquaresWolfe,
                       1e-11);
  expect_least_squares("tolerances", {.tolerance_grad = 1e-2, .tolerance_change = 1e-3}, ref::kLeastSquaresTolerance,
                       1e-11);
}

TEST(LBFGS, NonContiguousParametersAndParametersWithoutGradients) {
  // W held transposed (a non-contiguous leaf) gives the same steps; a parameter the loss
  // does not use keeps its values (its gradient counts as zeros, as PyTorch's).
  Tensor wt = ls_w0().t().contiguous().t().detach().requires_grad_(true);
  ASSERT_FALSE(wt.is_contiguous());
  Tensor b = ls_b0().requires_grad_(true);
  Tensor idle = tensor(std::vector<double>{3.0, -4.0}, {2}, TensorOptions(kFloat64)).requires_grad_(true);
  LBFGS opt({wt, idle, b}, wolfe({.max_iter = 8, .history_size = 4}));
  const optim::LossClosure closure = least_squares(opt, wt, b);
  for (size_t k = 0; k < ref::kLeastSquaresWolfe.losses.size(); ++k) {
    opt.step(closure);
    std::vector<double> flat = wt.contiguous().to_vector<double>();
    for (double v : b.to_vector<double>()) flat.push_back(v);
    expect_close(flat, ref::kLeastSquaresWolfe.params[k], 1e-11);
  }
  EXPECT_EQ(idle.to_vector<double>(), (std::vector<double>{3.0, -4.0}));
}

TEST(LBFGS, AnOptimalStartReturnsAtOnce) {
  Tensor w = ls_w0().requires_grad_(true), b = ls_b0().requires_grad_(true);
  LBFGS opt({w, b}, {.tolerance_grad = 10.0});
  const Tensor loss = opt.step(least_squares(opt, w, b));
  EXPECT_NEAR(loss.item<double>(), ref::kLeastSquaresPlain.losses[0], 1e-15);
  EXPECT_TRUE(equal(w, ls_w0()));
  const optim::StateDict sd = opt.state_dict();
  EXPECT_EQ(state_count(sd, "state.0.func_evals"), 1);
  EXPECT_EQ(state_count(sd, "state.0.n_iter"), 0);
  EXPECT_EQ(sd.size(), 1u + 7u + 2u);  // param_groups.0.params, the 7 options, the two counters
}

// The state after two steps, resumed in a new optimizer, gives the continuous run's bits.
TEST(LBFGS, StateDictResumesBitForBit) {
  const LBFGSOptions options = wolfe({.max_iter = 7, .max_eval = 9, .history_size = 2});
  const auto make = [] {
    return tensor(std::vector<double>{-1.5, 2.0}, {2}, TensorOptions(kFloat64)).requires_grad_(true);
  };
  Tensor p = make();
  LBFGS straight({p}, options);
  const auto closure_for = [](LBFGS& opt, const Tensor& q) {
    return [&opt, q] {
      opt.zero_grad();
      Tensor loss = rosenbrock(q);
      loss.backward();
      return loss;
    };
  };
  for (int k = 0; k < 2; ++k) straight.step(closure_for(straight, p));
  const optim::StateDict saved = straight.state_dict();
  std::vector<std::string> keys;
  for (const auto& [key, value] : saved) keys.push_back(key);
  const std::vector<std::string> expected{"param_groups.0.params",
                                          "param_groups.0.lr",
                                          "param_groups.0.max_iter",
                                          "param_groups.0.max_eval",
                                          "param_groups.0.tolerance_grad",
                                          "param_groups.0.tolerance_change",
                                          "param_groups.0.history_size",
                                          "param_groups.0.strong_wolfe",
                                          "state.0.H_diag",
                                          "state.0.d",
                                          "state.0.func_evals",
                                          "state.0.n_iter",
                                          "state.0.old_dirs.0",
                                          "state.0.old_dirs.1",
                                          "state.0.old_stps.0",
                                          "state.0.old_stps.1",
                                          "state.0.prev_flat_grad",
                                          "state.0.prev_loss",
                                          "state.0.ro",
                                          "state.0.t"};
  EXPECT_EQ(keys, expected);

  Tensor q = p.detach().clone().requires_grad_(true);
  LBFGS resumed({q}, {});  // the options come from the state dict
  resumed.load_state_dict(saved);
  EXPECT_EQ(resumed.max_eval(), 9);
  EXPECT_EQ(resumed.options().history_size, 2);
  EXPECT_TRUE(resumed.options().line_search_fn.has_value());
  for (int k = 0; k < 2; ++k) {
    const Tensor a = straight.step(closure_for(straight, p));
    const Tensor b = resumed.step(closure_for(resumed, q));
    EXPECT_EQ(a.item<double>(), b.item<double>());
    EXPECT_TRUE(equal(p, q)) << p << " vs " << q;
  }
  expect_close(p.to_vector<double>(), ref::kRosenbrockWolfeHistory2.params[3], 1e-9);  // and PyTorch's
}

TEST(LBFGS, ALoadedStateIsChecked) {
  Tensor p = tensor(std::vector<double>{-1.5, 2.0}, {2}, TensorOptions(kFloat64)).requires_grad_(true);
  LBFGS opt({p}, wolfe({.history_size = 2}));
  const auto closure = [&] {
    opt.zero_grad();
    Tensor loss = rosenbrock(p);
    loss.backward();
    return loss;
  };
  opt.step(closure);
  const optim::StateDict good = opt.state_dict();
  const auto with = [&](const std::string& key, const Tensor& value) {
    optim::StateDict sd;
    bool replaced = false;
    for (const auto& [k, v] : good) {
      if (k == key) {
        replaced = true;
        if (value.defined()) sd.emplace_back(k, value);
      } else {
        sd.emplace_back(k, v);
      }
    }
    if (!replaced) sd.emplace_back(key, value);
    return sd;
  };
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.d", zeros({3}, dtype(kFloat64)))),
                     "\"state.0.d\" must be a floating-point vector of 2 elements");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.prev_flat_grad",
                                              tensor(std::vector<double>{1.0, std::nan("")}, {2}, dtype(kFloat64)))),
                     "\"state.0.prev_flat_grad\" has a value that is not finite");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.ro", ones({3}, dtype(kFloat64)))),
                     "\"state.0.ro\" must be a floating-point vector of at most history_size = 2 elements");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.ro", -ones({2}, dtype(kFloat64)))),
                     "must hold finite values above 0");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.old_dirs.7", zeros({2}, dtype(kFloat64)))), "old_dirs and");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.t", Tensor())), "LBFGS state \"state.0.t\" is missing");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.al", zeros({2}))), "unexpected LBFGS state \"state.0.al\"");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("state.0.n_iter", scalar_tensor(0.0, kFloat64))),
                     "is there before any iteration (n_iter is 0)");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("param_groups.0.history_size", scalar_tensor(0.5, kFloat64))),
                     "LBFGS option history_size must be a whole number, but got 0.5");
  EXPECT_EMBER_ERROR(opt.load_state_dict(with("param_groups.0.strong_wolfe", scalar_tensor(2.0, kFloat64))),
                     "strong_wolfe is a flag");
  // Nothing of a refused state was taken.
  const optim::StateDict after = opt.state_dict();
  ASSERT_EQ(after.size(), good.size());
  for (size_t i = 0; i < good.size(); ++i) {
    EXPECT_EQ(after[i].first, good[i].first);
    EXPECT_TRUE(equal(after[i].second, good[i].second)) << good[i].first;
  }
  opt.load_state_dict(good);  // the state it saved loads

  // A second parameter never holds LBFGS's state.
  Tensor r = zeros({1}, dtype(kFloat64)).requires_grad_(true);
  LBFGS two({p, r});
  optim::StateDict extra = two.state_dict();
  extra.emplace_back("state.1.d", zeros({3}, dtype(kFloat64)));
  EXPECT_EMBER_ERROR(two.load_state_dict(extra), "LBFGS keeps its state as its first parameter's");
}

TEST(LBFGS, ErrorsOfTheClosureAndTheOptions) {
  Tensor p = zeros({2}, dtype(kFloat64)).requires_grad_(true);
  LBFGS opt({p});
  EXPECT_EMBER_ERROR(opt.step(), "LBFGS requires a closure function");
  EXPECT_EMBER_ERROR(opt.step(optim::LossClosure()), "LBFGS requires a closure function");
  EXPECT_EMBER_ERROR(opt.step([] { return Tensor(); }), "the closure returned an undefined tensor");
  EXPECT_EMBER_ERROR(opt.step([&] { return p * 2.0; }),
                     "the closure must return the loss, one element, but it returned a tensor of shape [2]");
  EXPECT_EMBER_ERROR(opt.add_param_group({zeros({1}).requires_grad_(true)}),
                     "LBFGS doesn't support per-parameter options (parameter groups)");
  EXPECT_EMBER_ERROR(LBFGS({p}, {.line_search_fn = "backtracking"}), "only 'strong_wolfe' is supported");
  EXPECT_EMBER_ERROR(LBFGS({p}, {.max_iter = 0}), "Invalid max_iter: 0");
  EXPECT_EMBER_ERROR(LBFGS({p}, {.history_size = 0}), "Invalid history_size: 0");
  EXPECT_EMBER_ERROR(LBFGS({p}, {.max_eval = 0}), "Invalid max_eval: 0");
  EXPECT_EMBER_ERROR(LBFGS({p}, {.lr = -1}), "Invalid learning rate: -1");
  EXPECT_EMBER_ERROR(LBFGS({p}, {.tolerance_change = std::numeric_limits<double>::quiet_NaN()}),
                     "Invalid tolerance_change");
  Tensor f = zeros({2}).requires_grad_(true);
  LBFGS mixed({p, f});
  EXPECT_EMBER_ERROR(mixed.step([&] {
    mixed.zero_grad();
    Tensor loss = (p * p).sum() + (f * f).sum().to(kFloat64);
    loss.backward();
    return loss;
  }),
                     "every parameter must be on one device and of one dtype, but parameter 0 is cpu float64 and "
                     "parameter 1 is cpu float32");
  // lr through a scheduler's interface, max_eval's default
  opt.set_lr(0, 0.25);
  EXPECT_EQ(opt.lr(0), 0.25);
  EXPECT_EQ(opt.max_eval(), 25);
  EXPECT_EQ(LBFGS({p}, {.max_iter = 7}).max_eval(), 8);
}

// A NaN loss cannot be bracketed by the line search: a clear error (PyTorch's IndexError).
TEST(LBFGS, ANanLossInTheLineSearchIsAnError) {
  Tensor p = tensor(std::vector<double>{1.0, 2.0}, {2}, TensorOptions(kFloat64)).requires_grad_(true);
  LBFGS opt({p}, wolfe());
  int calls = 0;
  EXPECT_EMBER_ERROR(opt.step([&] {
    opt.zero_grad();
    Tensor loss = (p * p).sum();
    if (calls++ > 0) loss = loss * std::nan("");
    loss.backward();
    return loss;
  }),
                     "the strong Wolfe line search got a NaN loss from the closure");
  // history_size 1 keeps one pair (and the two-loop recursion one coefficient).
  Tensor q = tensor(std::vector<double>{-1.5, 2.0}, {2}, TensorOptions(kFloat64)).requires_grad_(true);
  LBFGS one({q}, wolfe({.history_size = 1}));
  const auto closure = [&] {
    one.zero_grad();
    Tensor loss = rosenbrock(q);
    loss.backward();
    return loss;
  };
  for (int k = 0; k < 4; ++k) one.step(closure);
  int64_t pairs = 0;
  for (const auto& [key, value] : one.state_dict()) pairs += key.rfind("state.0.old_dirs.", 0) == 0;
  EXPECT_EQ(pairs, 1);
  EXPECT_LT(rosenbrock(q).item<double>(), 12.5);
}

TEST(LBFGS, Float32ConvergesLikeFloat64) {
  // float32 scalars round differently from PyTorch's (Note [LBFGS]); the minimum is found.
  Tensor p = tensor(std::vector<float>{-1.5f, 2.0f}, {2}).requires_grad_(true);
  LBFGS opt({p}, wolfe({.max_iter = 100}));
  const auto closure = [&] {
    opt.zero_grad();
    Tensor loss = rosenbrock(p);
    loss.backward();
    return loss;
  };
  for (int k = 0; k < 3; ++k) opt.step(closure);
  expect_close(p.to_vector<double>(), {1.0, 1.0}, 1e-3);
}

TEST(LBFGSLineSearch, CubicInterpolationAsPyTorch) {
  using optim::detail::cubic_interpolate;
  // The minimiser of f = (x - 1)^2 from points 0 and 3 (slopes -2 and 4) is 1.
  EXPECT_DOUBLE_EQ(cubic_interpolate(0, 1, -2, 3, 4, 4), 1.0);
  // Clamped to the bounds; the same from the other side.
  EXPECT_DOUBLE_EQ(cubic_interpolate(0, 1, -2, 3, 4, 4, std::pair(1.5, 2.0)), 1.5);
  EXPECT_DOUBLE_EQ(cubic_interpolate(3, 4, 4, 0, 1, -2), 1.0);
  // No minimum (d1 = 0, so d2^2 = -g1 g2 < 0): the middle of the bounds.
  EXPECT_DOUBLE_EQ(cubic_interpolate(0, 0, 3, 1, 2, 3), 0.5);
  // PyTorch 1.13's _cubic_interpolate of these (gradients as float64 tensors).
  EXPECT_DOUBLE_EQ(cubic_interpolate(0, 0, 1, 1, 0, 1), 0.7886751345948129);
  EXPECT_EQ(cubic_interpolate(0.0, 1.0, -1.0, 2.0, 0.5, 0.25), 1.3333333333333335);
}

}  // namespace
}  // namespace ember
