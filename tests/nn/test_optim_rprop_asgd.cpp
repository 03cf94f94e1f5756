// Rprop and ASGD against PyTorch 1.13 (optim_torch_values_closure.h): 20-step trajectories
// of the optimizer script in float64 (to 1e-12) and float32 (Rprop's bits, ASGD to 1e-6), defaults,
// custom options and maximize, with the state after the last step (Rprop's step sizes,
// ASGD's average); PyTorch's option errors; state_dict keys, a resumed run and a loaded
// state checked; strided parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/native.h"
#include "nn/optim/asgd.h"
#include "nn/optim/rprop.h"
#include "optim_torch_values_closure.h"
#include "support/helpers.h"
#include "support/optim_script.h"

namespace ember {
namespace {

using ember::testing::expect_f64;
using ember::testing::expect_strided_matches_contiguous;
using ember::testing::expect_torch_trajectory;
using ember::testing::keys_after_a_step;
using ember::testing::kStart;
using ember::testing::set_script_grad;
namespace ref = ember::testing::torch_optim_closure;
using RpropO = optim::RpropOptions;
using ASGDO = optim::ASGDOptions;

// The reference script's cases.
const RpropO kRpropCustom{.lr = 0.05, .etas = {0.3, 1.5}, .step_sizes = {1e-3, 0.2}};
const RpropO kRpropMax{.lr = 0.05, .maximize = true};
const ASGDO kASGDAveraged{.lr = 0.05, .lambd = 1e-2, .alpha = 0.6, .t0 = 5, .weight_decay = 0.1};
const ASGDO kASGDMax{.lr = 0.05, .t0 = 3, .maximize = true};

// The state tensor `key` of a state dict, as float64 values.
std::vector<double> state_values(const optim::StateDict& sd, const std::string& key) {
  for (const auto& [k, v] : sd)
    if (k == key) return v.to_vector<double>();
  ADD_FAILURE() << "no " << key;
  return {};
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << "element " << i;
}

// Composed of native ops whose float32 roundings are PyTorch's (Rprop: tol 0, the same bits)
// except where PyTorch's kernels fuse a multiply-add (ASGD's p - eta * grad): tol 1e-6, a
// few float32 ulps after 20 steps.
template <typename Opt, typename Options, typename T>
void expect_float32(const char* what, const Options& options, const std::vector<std::vector<T>>& expected,
                    const std::vector<T>& state, const char* state_name, double tol) {
  const optim::StateDict sd = expect_torch_trajectory<Opt>(what, options, kFloat32, testing::as_rows(expected), tol);
  expect_near_all(state_values(sd, std::string("state.0.") + state_name), {state.begin(), state.end()}, tol);
}

template <typename Opt, typename Options>
void expect_float64(const char* what, const Options& options, const std::vector<std::vector<double>>& expected,
                    const std::vector<double>& state, const char* state_name) {
  const optim::StateDict sd = expect_f64<Opt>(what, options, expected);
  expect_near_all(state_values(sd, std::string("state.0.") + state_name), state, 1e-12);
}

TEST(OptimRprop, DefaultsArePyTorchs) {
  const RpropO o;
  EXPECT_EQ(o.lr, 1e-2);
  EXPECT_EQ(o.etas, (std::pair<double, double>{0.5, 1.2}));
  EXPECT_EQ(o.step_sizes, (std::pair<double, double>{1e-6, 50.0}));
  EXPECT_FALSE(o.maximize);
}

TEST(OptimRprop, MatchesTorch) {
  expect_float64<optim::Rprop>("defaults", RpropO{}, ref::kRpropDefault, ref::kRpropDefaultState, "step_size");
  expect_float64<optim::Rprop>("custom", kRpropCustom, ref::kRpropCustom, ref::kRpropCustomState, "step_size");
  expect_float64<optim::Rprop>("maximize", kRpropMax, ref::kRpropMax, ref::kRpropMaxState, "step_size");
  expect_float32<optim::Rprop>("defaults", RpropO{}, ref::kRpropDefaultF32, ref::kRpropDefaultF32State, "step_size",
                               0.0);
  expect_float32<optim::Rprop>("custom", kRpropCustom, ref::kRpropCustomF32, ref::kRpropCustomF32State, "step_size",
                               0.0);
  expect_float32<optim::Rprop>("maximize", kRpropMax, ref::kRpropMaxF32, ref::kRpropMaxF32State, "step_size", 0.0);
}

TEST(OptimASGD, DefaultsArePyTorchs) {
  const ASGDO o;
  EXPECT_EQ(o.lr, 1e-2);
  EXPECT_EQ(o.lambd, 1e-4);
  EXPECT_EQ(o.alpha, 0.75);
  EXPECT_EQ(o.t0, 1e6);
  EXPECT_EQ(o.weight_decay, 0.0);
  EXPECT_FALSE(o.maximize);
}

// The averaged case starts averaging at step 5 (t0): ax is then the mean of the later steps.
TEST(OptimASGD, MatchesTorch) {
  expect_float64<optim::ASGD>("defaults", ASGDO{}, ref::kAsgdDefault, ref::kAsgdDefaultState, "ax");
  expect_float64<optim::ASGD>("averaged", kASGDAveraged, ref::kAsgdAveraged, ref::kAsgdAveragedState, "ax");
  expect_float64<optim::ASGD>("maximize", kASGDMax, ref::kAsgdMax, ref::kAsgdMaxState, "ax");
  expect_float32<optim::ASGD>("defaults", ASGDO{}, ref::kAsgdDefaultF32, ref::kAsgdDefaultF32State, "ax", 1e-6);
  expect_float32<optim::ASGD>("averaged", kASGDAveraged, ref::kAsgdAveragedF32, ref::kAsgdAveragedF32State, "ax", 1e-6);
  expect_float32<optim::ASGD>("maximize", kASGDMax, ref::kAsgdMaxF32, ref::kAsgdMaxF32State, "ax", 1e-6);
}

TEST(OptimRpropASGD, OptionErrorsArePyTorchs) {
  Tensor p = zeros({2}).requires_grad_(true);
  EXPECT_EMBER_ERROR(optim::Rprop({p}, {.lr = -0.1}), "Invalid learning rate: -0.1");
  EXPECT_EMBER_ERROR(optim::Rprop({p}, {.etas = {1.5, 1.2}}), "Invalid eta values: 1.5, 1.2");
  EXPECT_EMBER_ERROR(optim::Rprop({p}, {.etas = {0.5, 0.9}}), "Invalid eta values: 0.5, 0.9");
  EXPECT_EMBER_ERROR(optim::Rprop({p}, {.step_sizes = {1.0, 0.5}}), "Invalid step sizes: 1, 0.5");
  EXPECT_EMBER_ERROR(optim::ASGD({p}, {.lr = -1}), "Invalid learning rate: -1");
  EXPECT_EMBER_ERROR(optim::ASGD({p}, {.weight_decay = -0.5}), "Invalid weight_decay value: -0.5");
  EXPECT_EMBER_ERROR(optim::ASGD({p}, {.t0 = std::numeric_limits<double>::infinity()}), "must be finite");
}

TEST(OptimRpropASGD, StateDictKeysAndAResumedRun) {
  using K = std::vector<std::string>;
  EXPECT_EQ(keys_after_a_step<optim::Rprop>(RpropO{}),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.etaminus", "param_groups.0.etaplus",
               "param_groups.0.step_size_min", "param_groups.0.step_size_max", "param_groups.0.maximize",
               "state.0.prev", "state.0.step", "state.0.step_size"}));
  EXPECT_EQ(keys_after_a_step<optim::ASGD>(ASGDO{}),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.lambd", "param_groups.0.alpha",
               "param_groups.0.t0", "param_groups.0.weight_decay", "param_groups.0.maximize", "state.0.ax",
               "state.0.eta", "state.0.mu", "state.0.step"}));
  // Ten steps, the state moved to a fresh optimizer (default options: they come from the
  // state dict), ten more: PyTorch's parameter after step 20, for each optimizer.
  const auto resume = [](auto make, const auto& options, const std::vector<double>& expected) {
    Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
    auto first = make(p, options);
    for (int k = 1; k <= 10; ++k) set_script_grad(p, k), first.step();
    Tensor q = p.detach().clone().requires_grad_(true);
    auto second = make(q, {});
    second.load_state_dict(first.state_dict());
    for (int k = 11; k <= 20; ++k) set_script_grad(q, k), second.step();
    expect_near_all(q.to_vector<double>(), expected, 1e-12);
  };
  resume([](const Tensor& p, const RpropO& o) { return optim::Rprop({p}, o); }, kRpropCustom, ref::kRpropCustom.back());
  resume([](const Tensor& p, const ASGDO& o) { return optim::ASGD({p}, o); }, kASGDAveraged, ref::kAsgdAveraged.back());
}

TEST(OptimRpropASGD, ALoadedStateIsChecked) {
  Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  optim::ASGD asgd({p}, kASGDAveraged);
  set_script_grad(p, 1);
  asgd.step();
  optim::StateDict sd = asgd.state_dict();
  for (auto& [key, value] : sd)
    if (key == "state.0.mu") value = scalar_tensor(2.0, kFloat64);
  EXPECT_EMBER_ERROR(asgd.load_state_dict(sd), "\"state.0.mu\" must be at most 1, but got 2");
  // eta and mu load as float32 numbers on the host, as PyTorch keeps them
  for (auto& [key, value] : sd)
    if (key == "state.0.mu") value = scalar_tensor(0.25, kFloat64);
  asgd.load_state_dict(sd);
  for (const auto& [key, value] : asgd.state_dict())
    if (key == "state.0.eta" || key == "state.0.mu") {
      EXPECT_EQ(value.dtype(), kFloat32) << key;
      EXPECT_EQ(value.dim(), 0) << key;
    }

  optim::Rprop rprop({p});
  rprop.step();
  optim::StateDict rs = rprop.state_dict();
  for (auto& [key, value] : rs)
    if (key == "state.0.step_size") value = -ones({5}, dtype(kFloat64));
  EXPECT_EMBER_ERROR(rprop.load_state_dict(rs), "state.0.step_size");
}

// bfloat16 rounds etaminus: a flipped sign must still drop the gradient (PyTorch 1.13's values).
TEST(OptimRprop, Bfloat16DropsAFlippedGradient) {
  Tensor p = tensor(std::vector<double>{1.0, -2.0}, {2}, TensorOptions(kBFloat16)).requires_grad_(true);
  optim::Rprop rprop({p}, {.lr = 0.05, .etas = {0.3, 1.5}});
  const std::vector<std::vector<double>> want{{0.94921875, -1.953125}, {0.94921875, -1.953125}, {0.93359375, -1.9375}};
  const double grads[] = {1.0, -1.0, 1.0};
  for (int k = 0; k < 3; ++k) {
    p.mutable_grad() = tensor(std::vector<double>{grads[k], -grads[k]}, {2}, TensorOptions(kBFloat16));
    rprop.step();
    EXPECT_EQ(p.to(kFloat64).to_vector<double>(), want[k]) << "step " << k + 1;
  }
}

TEST(OptimASGD, AStepSizeThatIsNotFiniteIsAnError) {
  // lambd < 0 drives 1 + lambd * lr * step to 0 at step 2 (the eta made for step 3):
  // PyTorch's ZeroDivisionError.
  Tensor p = tensor(std::vector<double>{1.0, -2.0}, {2}, TensorOptions(kFloat64)).requires_grad_(true);
  optim::ASGD asgd({p}, {.lr = 0.5, .lambd = -1.0});
  p.mutable_grad() = ones({2}, dtype(kFloat64));
  asgd.step();  // eta for step 2: 1 + (-1) * 0.5 * 1 = 0.5, fine
  EXPECT_EMBER_ERROR(asgd.step(), "1 + lambd * lr * step must stay above 0");
}

TEST(OptimRpropASGD, StridedParametersMatchContiguousOnes) {
  expect_strided_matches_contiguous<optim::Rprop>("Rprop", kRpropCustom);
  expect_strided_matches_contiguous<optim::ASGD>("ASGD", kASGDAveraged);
}

}  // namespace
}  // namespace ember
