// RMSprop, Adagrad and Adam/AdamW with amsgrad against PyTorch 1.13 (optim_torch_values.h):
// 20-step trajectories in float64 (to 1e-12) and float32 (bit for bit: Note [PyTorch's
// order of operations] in core/optim_math.h); state_dict keys and resumes; strided
// parameters (Note [Staged optimizer operands]) give the contiguous bits.
#include <gtest/gtest.h>

#include <cmath>

#include "core/native.h"
#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/rmsprop.h"
#include "nn/optim/scheduler.h"
#include "optim_torch_values.h"
#include "support/helpers.h"
#include "support/optim_script.h"

namespace ember {
namespace {

using ember::testing::expect_strided_matches_contiguous;
using ember::testing::keys_after_a_step;
using ember::testing::keys_of;
using ember::testing::expect_f32;
using ember::testing::expect_f64;
using ember::testing::kStart;
using ember::testing::set_script_grad;
namespace ref = ember::testing::torch_optim;

TEST(OptimRMSprop, MatchesTorchInFloat64) {
  using O = optim::RMSpropOptions;
  expect_f64<optim::RMSprop>("defaults", O{}, ref::kRmsDefault);
  expect_f64<optim::RMSprop>("decay", O{.lr = 0.02, .alpha = 0.9, .eps = 1e-6, .weight_decay = 0.1}, ref::kRmsDecay);
  expect_f64<optim::RMSprop>("momentum", O{.lr = 0.01, .momentum = 0.9}, ref::kRmsMomentum);
  expect_f64<optim::RMSprop>("centered", O{.lr = 0.01, .centered = true}, ref::kRmsCentered);
  expect_f64<optim::RMSprop>(
      "all", O{.lr = 0.005, .alpha = 0.95, .weight_decay = 0.05, .momentum = 0.5, .centered = true}, ref::kRmsAll);
}

TEST(OptimAdagrad, MatchesTorchInFloat64) {
  using O = optim::AdagradOptions;
  expect_f64<optim::Adagrad>("lr", O{.lr = 0.1}, ref::kAdaDefault);
  expect_f64<optim::Adagrad>("decay", O{.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1}, ref::kAdaDecay);
  expect_f64<optim::Adagrad>("init", O{.lr = 0.3, .initial_accumulator_value = 0.5, .eps = 1e-6}, ref::kAdaInit);
}

TEST(OptimAdamAmsgrad, MatchesTorchInFloat64) {
  expect_f64<optim::Adam>("adam", optim::AdamOptions{.lr = 0.05, .amsgrad = true}, ref::kAdamAms);
  expect_f64<optim::Adam>(
      "adam wd", optim::AdamOptions{.lr = 0.05, .betas = {0.8, 0.95}, .weight_decay = 0.1, .amsgrad = true},
      ref::kAdamAmsWd);
  expect_f64<optim::AdamW>("adamw", optim::AdamWOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true},
                           ref::kAdamwAms);
}

TEST(OptimMore, Float32StepsGiveTorchsBits) {
  expect_f32<optim::RMSprop>(
      "rmsprop all",
      optim::RMSpropOptions{.lr = 0.005, .alpha = 0.95, .weight_decay = 0.05, .momentum = 0.5, .centered = true},
      ref::kRmsAllF32);
  expect_f32<optim::Adagrad>("adagrad decay", optim::AdagradOptions{.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1},
                             ref::kAdaDecayF32);
  expect_f32<optim::Adam>("adam ams wd",
                          optim::AdamOptions{.lr = 0.05, .betas = {0.8, 0.95}, .weight_decay = 0.1, .amsgrad = true},
                          ref::kAdamAmsWdF32);
  expect_f32<optim::AdamW>("adamw ams", optim::AdamWOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true},
                           ref::kAdamwAmsF32);
}

// ---------------------------------------------------------------- state_dict

TEST(OptimMore, StateDictKeysArePyTorchs) {
  using K = std::vector<std::string>;
  EXPECT_EQ((keys_after_a_step<optim::RMSprop>(optim::RMSpropOptions{})),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.alpha", "param_groups.0.eps",
               "param_groups.0.weight_decay", "param_groups.0.momentum", "param_groups.0.centered",
               "param_groups.0.maximize", "state.0.square_avg", "state.0.step"}));
  EXPECT_EQ((keys_after_a_step<optim::RMSprop>(optim::RMSpropOptions{.momentum = 0.9, .centered = true})),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.alpha", "param_groups.0.eps",
               "param_groups.0.weight_decay", "param_groups.0.momentum", "param_groups.0.centered",
               "param_groups.0.maximize", "state.0.grad_avg", "state.0.momentum_buffer", "state.0.square_avg",
               "state.0.step"}));
  EXPECT_EQ((keys_after_a_step<optim::Adagrad>(optim::AdagradOptions{})),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.lr_decay", "param_groups.0.weight_decay",
               "param_groups.0.initial_accumulator_value", "param_groups.0.eps", "param_groups.0.maximize",
               "state.0.step", "state.0.sum"}));
  EXPECT_EQ((keys_after_a_step<optim::Adam>(optim::AdamOptions{.amsgrad = true})),
            (K{"param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "param_groups.0.beta2",
               "param_groups.0.eps", "param_groups.0.weight_decay", "param_groups.0.amsgrad",
               "param_groups.0.maximize", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
               "state.0.step"}));
}

// Three steps, a state_dict, a fresh optimizer with other options loads it, then both take
// three more steps: the same bits (options, state and step count all came across).
template <typename Opt, typename Options>
void expect_resume(const Options& options, const Options& other) {
  Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Opt original({p}, options);
  for (int k = 1; k <= 3; ++k) {
    set_script_grad(p, k);
    original.step();
  }
  Tensor q = tensor(p.to_vector<double>(), {5}, kFloat64).requires_grad_(true);
  Opt resumed({q}, other);
  resumed.load_state_dict(original.state_dict());
  for (int k = 4; k <= 6; ++k) {
    set_script_grad(p, k);
    set_script_grad(q, k);
    original.step();
    resumed.step();
  }
  EXPECT_EQ(p.to_vector<double>(), q.to_vector<double>());
  EXPECT_EQ(keys_of(original.state_dict()), keys_of(resumed.state_dict()));
}

TEST(OptimMore, StateDictRoundTripResumesIdentically) {
  expect_resume<optim::RMSprop>(
      optim::RMSpropOptions{.lr = 0.02, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.5, .centered = true},
      optim::RMSpropOptions{});
  expect_resume<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1, .lr_decay = 0.05, .initial_accumulator_value = 0.2},
                                optim::AdagradOptions{});
  expect_resume<optim::Adam>(optim::AdamOptions{.lr = 0.05, .amsgrad = true}, optim::AdamOptions{});
  expect_resume<optim::AdamW>(optim::AdamWOptions{.lr = 0.05, .amsgrad = true}, optim::AdamWOptions{});
}

// ---------------------------------------------------------------- layouts

TEST(OptimMore, StridedParametersGiveTheContiguousBits) {
  expect_strided_matches_contiguous<optim::RMSprop>(
      "rmsprop", optim::RMSpropOptions{.weight_decay = 0.1, .momentum = 0.9, .centered = true});
  expect_strided_matches_contiguous<optim::Adagrad>("adagrad",
                                                    optim::AdagradOptions{.lr_decay = 0.1, .weight_decay = 0.1});
  expect_strided_matches_contiguous<optim::Adam>("adam",
                                                 optim::AdamOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
}

// ---------------------------------------------------------------- capturable amsgrad and schedules

// Capturable Adam/AdamW with amsgrad on the CPU (lr, beta1 and the step count read from
// memory) follows the plain optimizer bit for bit under a changing lr.
template <typename Opt, typename Options>
void expect_capturable_amsgrad_equals_plain(Options options) {
  std::vector<double> results[2];
  for (bool capturable : {false, true}) {
    options.capturable = capturable;
    Tensor p = tensor(kStart, {5}, kFloat32).requires_grad_(true);
    Opt opt({p}, options);
    optim::StepLR schedule(opt, 2, 0.5);
    for (int k = 1; k <= 8; ++k) {
      set_script_grad(p, k);
      opt.step();
      schedule.step();
    }
    results[capturable ? 1 : 0] = p.to_vector<double>();
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST(OptimAdamAmsgrad, CapturableEqualsPlain) {
  expect_capturable_amsgrad_equals_plain<optim::Adam>(optim::AdamOptions{.lr = 0.05, .amsgrad = true});
  expect_capturable_amsgrad_equals_plain<optim::AdamW>(
      optim::AdamWOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true});
}

TEST(OptimMore, OneCycleMomentumIsRMSpropsMomentum) {
  Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  optim::RMSprop rms({p}, {.momentum = 0.9});
  EXPECT_EQ(rms.momentum(0).value_or(-1.0), 0.9);
  Tensor q = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  optim::Adagrad adagrad({q});
  EXPECT_FALSE(adagrad.momentum(0).has_value());
}

}  // namespace
}  // namespace ember
