// Adadelta, Adamax, NAdam and RAdam against PyTorch 1.13 (NAdam: 2.x; optim_torch_values_extra.h):
// 20-step trajectories in float64 (to 1e-12) and float32 (bit for bit: Note [PyTorch's
// order of operations] in core/optim_math.h), with and without weight decay and maximize;
// a parameter without a gradient is skipped; PyTorch's state_dict keys, PyTorch's own state
// loaded and resumed, round trips; per-group options; strided and empty parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/native.h"
#include "nn/optim/adadelta.h"
#include "nn/optim/adamax.h"
#include "nn/optim/nadam.h"
#include "nn/optim/radam.h"
#include "optim_torch_values_extra.h"
#include "support/helpers.h"
#include "support/optim_script.h"

namespace ember {
namespace {

using ember::testing::as_rows;
using ember::testing::expect_f32;
using ember::testing::expect_f64;
using ember::testing::expect_strided_matches_contiguous;
using ember::testing::expect_values;
using ember::testing::keys_after_a_step;
using ember::testing::keys_of;
using ember::testing::kCheckedSteps;
using ember::testing::kStart;
using ember::testing::Rows;
using ember::testing::expect_strided_matches_contiguous;
using ember::testing::set_script_grad;
namespace ref = ember::testing::torch_optim_extra;

using AdadeltaO = optim::AdadeltaOptions;
using AdamaxO = optim::AdamaxOptions;
using NAdamO = optim::NAdamOptions;
using RAdamO = optim::RAdamOptions;
// The reference script's cases.
const AdadeltaO kAdadeltaDecay{.lr = 0.5, .rho = 0.8, .eps = 1e-4, .weight_decay = 0.1};
const AdadeltaO kAdadeltaMax{.lr = 0.5, .weight_decay = 0.1, .maximize = true};
const AdamaxO kAdamaxDecay{.lr = 0.05, .betas = {0.8, 0.95}, .eps = 1e-6, .weight_decay = 0.1};
const AdamaxO kAdamaxMax{.lr = 0.05, .weight_decay = 0.1, .maximize = true};
const NAdamO kNadamDecay{.lr = 0.05, .betas = {0.8, 0.95}, .eps = 1e-6, .weight_decay = 0.1, .momentum_decay = 0.01};
const RAdamO kRadamDecay{.lr = 0.05, .betas = {0.8, 0.95}, .eps = 1e-6, .weight_decay = 0.1};

TEST(OptimAdadelta, DefaultsArePyTorchs) {
  const AdadeltaO o;
  EXPECT_EQ(o.lr, 1.0);
  EXPECT_EQ(o.rho, 0.9);
  EXPECT_EQ(o.eps, 1e-6);
  EXPECT_EQ(o.weight_decay, 0.0);
  EXPECT_FALSE(o.maximize);
}

TEST(OptimAdadelta, MatchesTorch) {
  expect_f64<optim::Adadelta>("defaults", AdadeltaO{}, ref::kAdadeltaDefault);
  expect_f64<optim::Adadelta>("decay", kAdadeltaDecay, ref::kAdadeltaDecay);
  expect_f64<optim::Adadelta>("maximize", kAdadeltaMax, ref::kAdadeltaMax);
  expect_f32<optim::Adadelta>("defaults", AdadeltaO{}, ref::kAdadeltaDefaultF32);
  expect_f32<optim::Adadelta>("decay", kAdadeltaDecay, ref::kAdadeltaDecayF32);
  expect_f32<optim::Adadelta>("maximize", kAdadeltaMax, ref::kAdadeltaMaxF32);
}

TEST(OptimAdamax, DefaultsArePyTorchs) {
  const AdamaxO o;
  EXPECT_EQ(o.lr, 2e-3);
  EXPECT_EQ(o.betas, (std::pair<double, double>{0.9, 0.999}));
  EXPECT_EQ(o.eps, 1e-8);
  EXPECT_EQ(o.weight_decay, 0.0);
  EXPECT_FALSE(o.maximize);
}

TEST(OptimAdamax, MatchesTorch) {
  expect_f64<optim::Adamax>("defaults", AdamaxO{}, ref::kAdamaxDefault);
  expect_f64<optim::Adamax>("decay", kAdamaxDecay, ref::kAdamaxDecay);
  expect_f64<optim::Adamax>("maximize", kAdamaxMax, ref::kAdamaxMax);
  expect_f32<optim::Adamax>("defaults", AdamaxO{}, ref::kAdamaxDefaultF32);
  expect_f32<optim::Adamax>("decay", kAdamaxDecay, ref::kAdamaxDecayF32);
  expect_f32<optim::Adamax>("maximize", kAdamaxMax, ref::kAdamaxMaxF32);
}

TEST(OptimNAdam, DefaultsArePyTorchs) {
  const NAdamO o;
  EXPECT_EQ(o.lr, 2e-3);
  EXPECT_EQ(o.betas, (std::pair<double, double>{0.9, 0.999}));
  EXPECT_EQ(o.eps, 1e-8);
  EXPECT_EQ(o.weight_decay, 0.0);
  EXPECT_EQ(o.momentum_decay, 4e-3);
}

TEST(OptimNAdam, MatchesTorch) {
  expect_f64<optim::NAdam>("defaults", NAdamO{}, ref::kNadamDefault);
  expect_f64<optim::NAdam>("decay", kNadamDecay, ref::kNadamDecay);
  expect_f32<optim::NAdam>("defaults", NAdamO{}, ref::kNadamDefaultF32);
  expect_f32<optim::NAdam>("decay", kNadamDecay, ref::kNadamDecayF32);
}

// PyTorch keeps mu_product as a float32 number whatever the parameter's dtype.
TEST(OptimNAdam, MuProductIsAFloat32NumberOnTheHost) {
  Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  optim::NAdam opt({p}, kNadamDecay);
  for (int k = 1; k <= 3; ++k) {
    set_script_grad(p, k);
    opt.step();
  }
  for (const auto& [key, value] : opt.state_dict())
    if (key == "state.0.mu_product") {
      EXPECT_EQ(value.dtype(), kFloat32);
      EXPECT_EQ(value.dim(), 0);
      EXPECT_TRUE(value.device().is_cpu());
      EXPECT_EQ(value.item<double>(), ref::kTorchStateNadamDecay.mu_product);  // PyTorch's float32 bits
    }
}

TEST(OptimRAdam, DefaultsArePyTorchs) {
  const RAdamO o;
  EXPECT_EQ(o.lr, 1e-3);
  EXPECT_EQ(o.betas, (std::pair<double, double>{0.9, 0.999}));
  EXPECT_EQ(o.eps, 1e-8);
  EXPECT_EQ(o.weight_decay, 0.0);
}

// Both cases cross from the unrectified steps (rho_t <= 5) to the rectified ones.
TEST(OptimRAdam, MatchesTorch) {
  expect_f64<optim::RAdam>("defaults", RAdamO{}, ref::kRadamDefault);
  expect_f64<optim::RAdam>("decay", kRadamDecay, ref::kRadamDecay);
  expect_f32<optim::RAdam>("defaults", RAdamO{}, ref::kRadamDefaultF32);
  expect_f32<optim::RAdam>("decay", kRadamDecay, ref::kRadamDecayF32);
}

// ---------------------------------------------------------------- state_dict

TEST(OptimExtra, StateDictKeysArePyTorchs) {
  using K = std::vector<std::string>;
  EXPECT_EQ(keys_after_a_step<optim::Adadelta>(AdadeltaO{}),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.rho", "param_groups.0.eps",
               "param_groups.0.weight_decay", "param_groups.0.maximize", "state.0.acc_delta", "state.0.square_avg",
               "state.0.step"}));
  EXPECT_EQ(keys_after_a_step<optim::Adamax>(AdamaxO{}),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "param_groups.0.beta2",
               "param_groups.0.eps", "param_groups.0.weight_decay", "param_groups.0.maximize", "state.0.exp_avg",
               "state.0.exp_inf", "state.0.step"}));
  EXPECT_EQ(keys_after_a_step<optim::NAdam>(NAdamO{}),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "param_groups.0.beta2",
               "param_groups.0.eps", "param_groups.0.weight_decay", "param_groups.0.momentum_decay",
               "param_groups.0.decoupled_weight_decay", "param_groups.0.maximize", "state.0.exp_avg",
               "state.0.exp_avg_sq", "state.0.mu_product", "state.0.step"}));
  EXPECT_EQ(keys_after_a_step<optim::RAdam>(RAdamO{}),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "param_groups.0.beta2",
               "param_groups.0.eps", "param_groups.0.weight_decay", "param_groups.0.decoupled_weight_decay",
               "param_groups.0.maximize", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step"}));
}

// PyTorch's state after 3 steps (its numbers, in ember's flat layout of PyTorch's keys)
// loaded into a fresh optimizer with default options over the parameter as it was then:
// steps 4 and 5 give PyTorch's parameter after step 5. Every hyper-parameter, the step
// count and the buffers came across.
template <typename Opt, typename Options>
void expect_torch_state_resumes(const char* what, const Options& torch_options, const ref::TorchState& torch,
                                const Rows& trajectory, DType step_dtype = kFloat32) {
  SCOPED_TRACE(what);
  optim::StateDict sd{{"param_groups.0.params", tensor(std::vector<int64_t>{0}, kInt64)}};
  Options copy = torch_options;
  visit_fields(copy, [&](const char* name, auto& value) {
    sd.emplace_back(std::string("param_groups.0.") + name, scalar_tensor(static_cast<double>(value), kFloat64));
  });
  sd.emplace_back("state.0.step", scalar_tensor(torch.step, step_dtype));  // tensor(3.), or Adadelta's int
  for (const auto& [name, values] : torch.buffers)
    sd.emplace_back(std::string("state.0.") + name, tensor(values, {5}, kFloat64));
  if (torch.mu_product != 1.0) sd.emplace_back("state.0.mu_product", scalar_tensor(torch.mu_product, kFloat32));
  Tensor p = tensor(torch.param, {5}, kFloat64).requires_grad_(true);
  Opt opt({p});
  opt.load_state_dict(sd);
  for (int k = 4; k <= 5; ++k) {
    set_script_grad(p, k);
    opt.step();
  }
  expect_values(p, trajectory[3], 1e-12);  // kCheckedSteps[3] == 5
}

TEST(OptimExtra, PyTorchsStateLoadsAndResumes) {
  expect_torch_state_resumes<optim::Adadelta>("adadelta", kAdadeltaDecay, ref::kTorchStateAdadeltaDecay,
                                              ref::kAdadeltaDecay, kInt64);
  expect_torch_state_resumes<optim::Adamax>("adamax", kAdamaxDecay, ref::kTorchStateAdamaxDecay, ref::kAdamaxDecay);
  expect_torch_state_resumes<optim::NAdam>("nadam", kNadamDecay, ref::kTorchStateNadamDecay, ref::kNadamDecay);
  expect_torch_state_resumes<optim::RAdam>("radam", kRadamDecay, ref::kTorchStateRadamDecay, ref::kRadamDecay);
}

// Three steps, a state_dict, a fresh optimizer with default options loads it, then both
// take three more steps: the same bits, the same state.
template <typename Opt, typename Options>
void expect_resume(const char* what, const Options& options, DType dtype) {
  SCOPED_TRACE(std::string(what) + " " + std::string(dtype_name(dtype)));
  Tensor p = tensor(kStart, {5}, TensorOptions(dtype)).requires_grad_(true);
  Opt original({p}, options);
  for (int k = 1; k <= 3; ++k) {
    set_script_grad(p, k);
    original.step();
  }
  Tensor q = tensor(p.to_vector<double>(), {5}, TensorOptions(dtype)).requires_grad_(true);
  Opt resumed({q});
  resumed.load_state_dict(original.state_dict());
  for (int k = 4; k <= 6; ++k) {
    set_script_grad(p, k);
    set_script_grad(q, k);
    original.step();
    resumed.step();
  }
  EXPECT_EQ(p.to_vector<double>(), q.to_vector<double>());
  const optim::StateDict a = original.state_dict(), b = resumed.state_dict();
  ASSERT_EQ(keys_of(a), keys_of(b));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].second.dtype(), b[i].second.dtype()) << a[i].first;
    EXPECT_EQ(a[i].second.to_vector<double>(), b[i].second.to_vector<double>()) << a[i].first;
  }
}

TEST(OptimExtra, StateDictRoundTripResumesIdentically) {
  for (DType dtype : {kFloat32, kFloat64}) {
    expect_resume<optim::Adadelta>("adadelta", kAdadeltaMax, dtype);
    expect_resume<optim::Adamax>("adamax", kAdamaxMax, dtype);
    expect_resume<optim::NAdam>("nadam", kNadamDecay, dtype);
    expect_resume<optim::RAdam>("radam", kRadamDecay, dtype);
  }
}

// ---------------------------------------------------------------- groups, layouts, edges

// Two groups with different options step as two optimizers would: each group's own
// options are used (and the defaults fill add_param_group without options).
template <typename Opt, typename Options>
void expect_groups_independent(const char* what, const Options& first, const Options& second) {
  SCOPED_TRACE(what);
  Tensor a = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Tensor b = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Tensor c = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Opt grouped({a}, first);
  grouped.add_param_group({b}, second);
  grouped.add_param_group({c});
  EXPECT_EQ(grouped.num_param_groups(), 3u);
  Tensor a1 = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Tensor b1 = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Opt alone_first({a1}, first), alone_second({b1}, second);
  for (int k = 1; k <= 5; ++k) {
    for (Tensor* t : {&a, &b, &c, &a1, &b1}) set_script_grad(*t, k);
    grouped.step();
    alone_first.step();
    alone_second.step();
  }
  EXPECT_EQ(a.to_vector<double>(), a1.to_vector<double>());
  EXPECT_EQ(b.to_vector<double>(), b1.to_vector<double>());
  EXPECT_EQ(c.to_vector<double>(), a1.to_vector<double>());  // the constructor's options
  EXPECT_NE(a.to_vector<double>(), b.to_vector<double>());
}

TEST(OptimExtra, ParameterGroupsKeepTheirOwnOptions) {
  expect_groups_independent<optim::Adadelta>("adadelta", AdadeltaO{}, kAdadeltaMax);
  expect_groups_independent<optim::Adamax>("adamax", AdamaxO{}, kAdamaxDecay);
  expect_groups_independent<optim::NAdam>("nadam", NAdamO{}, kNadamDecay);
  expect_groups_independent<optim::RAdam>("radam", RAdamO{}, kRadamDecay);
}

TEST(OptimExtra, StridedParametersGiveTheContiguousBits) {
  expect_strided_matches_contiguous<optim::Adadelta>("adadelta", kAdadeltaMax);
  expect_strided_matches_contiguous<optim::Adamax>("adamax", kAdamaxDecay);
  expect_strided_matches_contiguous<optim::NAdam>("nadam", kNadamDecay);
  // beta2 = 0.9: rectified from step 6 of the 8.
  expect_strided_matches_contiguous<optim::RAdam>("radam", RAdamO{.lr = 0.01, .betas = {0.9, 0.9}});
}

// An empty parameter steps (its state is empty too) and its step count advances.
template <typename Opt>
void expect_empty_parameter_steps(const char* what) {
  SCOPED_TRACE(what);
  Tensor p = zeros({0, 3}, kFloat32).requires_grad_(true);
  p.mutable_grad() = zeros({0, 3}, kFloat32);
  Opt opt({p});
  opt.step();
  opt.step();
  EXPECT_EQ(p.numel(), 0);
  const optim::StateDict state = opt.state_dict();
  for (const std::pair<std::string, Tensor>& entry : state) {
    if (entry.first == "state.0.step") {
      EXPECT_EQ(entry.second.item<double>(), 2.0);
    }
  }
}

TEST(OptimExtra, EmptyParametersStep) {
  expect_empty_parameter_steps<optim::Adadelta>("adadelta");
  expect_empty_parameter_steps<optim::Adamax>("adamax");
  expect_empty_parameter_steps<optim::NAdam>("nadam");
  expect_empty_parameter_steps<optim::RAdam>("radam");
}

// A NaN gradient reaches the parameter as NaN (Adamax's maximum lets NaN win, as torch.amax).
TEST(OptimExtra, NaNGradientsPropagate) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor p = tensor(std::vector<double>{1.0, 2.0}, {2}, kFloat64).requires_grad_(true);
  optim::Adamax opt({p});
  p.mutable_grad() = tensor(std::vector<double>{nan, 0.5}, {2}, kFloat64);
  opt.step();
  const std::vector<double> got = p.to_vector<double>();
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_FALSE(std::isnan(got[1]));
}

TEST(OptimExtra, OneCycleMomentumIsBeta1) {
  Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  optim::NAdam nadam({p}, {.betas = {0.85, 0.99}});
  EXPECT_EQ(nadam.momentum(0).value_or(-1.0), 0.85);
  nadam.set_momentum(0, 0.95);
  EXPECT_EQ(nadam.options(0).betas.first, 0.95);
  Tensor q = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  optim::Adadelta adadelta({q});
  EXPECT_FALSE(adadelta.momentum(0).has_value());
}

}  // namespace
}  // namespace ember
