// RMSprop's and Adagrad's options, and Adam's amsgrad, held to PyTorch's rules (its
// "Invalid ..." phrases) and to finiteness by the constructor, add_param_group and
// load_state_dict alike; loaded state checked for names, presence, shape, dtype and
// values (Note [Loaded state is checked]); a buffer an option turned on after the first
// step is an error, as in PyTorch; a refused load changes nothing.
#include <gtest/gtest.h>

#include <limits>

#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/rmsprop.h"
#include "support/helpers.h"
#include "support/optim_state.h"

namespace ember {
namespace {

using ember::testing::error_of;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor param() { return ember::testing::optim_param(); }
using ember::testing::number;
using ember::testing::stepped_state;
using ember::testing::with;
using ember::testing::without;
using ember::testing::expect_refused_everywhere;
using ember::testing::expect_state_refused;

TEST(OptimMoreChecks, RMSpropOptions) {
  using O = optim::RMSpropOptions;
  const optim::StateDict good = stepped_state<optim::RMSprop>(O{.momentum = 0.5, .centered = true});
  const std::pair<O, const char*> cases[] = {
      {{.lr = -1.0}, "Invalid learning rate: -1"},
      {{.lr = kNaN}, "Invalid learning rate: nan"},
      {{.eps = -1e-8}, "Invalid epsilon value: -1e-08"},
      {{.eps = kInf}, "Invalid epsilon value: inf"},
      {{.momentum = -0.5}, "Invalid momentum value: -0.5"},
      {{.weight_decay = -0.1}, "Invalid weight_decay value: -0.1"},
      {{.weight_decay = kInf}, "Invalid weight_decay value: inf"},
      {{.alpha = -0.5}, "Invalid alpha value: -0.5"},
      {{.alpha = kNaN}, "Invalid alpha value: nan"},
  };
  for (const auto& [options, phrase] : cases) expect_refused_everywhere<optim::RMSprop>(options, phrase, good);
}

TEST(OptimMoreChecks, AdagradOptions) {
  using O = optim::AdagradOptions;
  const optim::StateDict good = stepped_state<optim::Adagrad>(O{});
  const std::pair<O, const char*> cases[] = {
      {{.lr = -1.0}, "Invalid learning rate: -1"},
      {{.lr = kInf}, "Invalid learning rate: inf"},
      {{.lr_decay = -0.1}, "Invalid lr_decay value: -0.1"},
      {{.lr_decay = kNaN}, "Invalid lr_decay value: nan"},
      {{.weight_decay = -1.0}, "Invalid weight_decay value: -1"},
      {{.initial_accumulator_value = -0.5}, "Invalid initial_accumulator_value value: -0.5"},
      {{.initial_accumulator_value = kInf}, "Invalid initial_accumulator_value value: inf"},
      {{.eps = -1e-10}, "Invalid epsilon value: -1e-10"},
  };
  for (const auto& [options, phrase] : cases) expect_refused_everywhere<optim::Adagrad>(options, phrase, good);
}

TEST(OptimMoreChecks, FlagsTakeOnlyZeroOrOne) {
  const optim::StateDict adam = stepped_state<optim::Adam>(optim::AdamOptions{.amsgrad = true});
  optim::Adam a({param()});
  EXPECT_EMBER_ERROR(a.load_state_dict(with(adam, "param_groups.0.amsgrad", number(2.0))),
                     "amsgrad is a flag: expected 0 or 1, but got 2");
  a.load_state_dict(adam);
  EXPECT_TRUE(a.options(0).amsgrad);
  const optim::StateDict rms = stepped_state<optim::RMSprop>(optim::RMSpropOptions{});
  optim::RMSprop r({param()});
  EXPECT_EMBER_ERROR(r.load_state_dict(with(rms, "param_groups.0.centered", number(0.5))),
                     "centered is a flag: expected 0 or 1, but got 0.5");
}

TEST(OptimMoreChecks, RMSpropLoadedState) {
  const optim::StateDict good = stepped_state<optim::RMSprop>(optim::RMSpropOptions{.momentum = 0.9, .centered = true});
  using R = optim::RMSprop;
  expect_state_refused<R>(without(good, "state.0.square_avg"),
                          "optimizer state \"state.0.square_avg\" is missing; a parameter's state has all of: step, "
                          "square_avg (or none)");
  expect_state_refused<R>(without(good, "state.0.momentum_buffer"),
                          "optimizer state \"state.0.momentum_buffer\" is missing; momentum > 0 needs it");
  expect_state_refused<R>(without(good, "state.0.grad_avg"),
                          "optimizer state \"state.0.grad_avg\" is missing; centered=True needs it");
  expect_state_refused<R>(with(good, "state.0.square_avg", tensor(std::vector<double>{1.0, 2.0, 3.0})),
                          "\"state.0.square_avg\" has shape [3] but its parameter has shape [2]");
  expect_state_refused<R>(with(good, "state.0.square_avg", tensor(std::vector<double>{1.0, -2.0})),
                          "\"state.0.square_avg\" must hold non-negative values, but element 1 is -2");
  expect_state_refused<R>(with(good, "state.0.grad_avg", tensor(std::vector<int64_t>{1, 2})),
                          "\"state.0.grad_avg\" must be a floating-point tensor, but got int64");
  expect_state_refused<R>(with(good, "state.0.step", number(1.5)), "must be a whole number of steps");
  expect_state_refused<R>(with(good, "state.0.exp_avg", tensor(std::vector<double>{0.0, 0.0})),
                          "unexpected optimizer state \"state.0.exp_avg\"; expected one of: step, square_avg, "
                          "momentum_buffer, grad_avg");
  // Without momentum and centering, their buffers are kept but not needed (as PyTorch).
  R plain({param()});
  plain.load_state_dict(
      with(with(good, "param_groups.0.momentum", number(0.0)), "param_groups.0.centered", number(0.0)));
  EXPECT_EQ(plain.options(0).momentum, 0.0);
}

TEST(OptimMoreChecks, AdagradLoadedState) {
  const optim::StateDict good = stepped_state<optim::Adagrad>(optim::AdagradOptions{});
  using A = optim::Adagrad;
  expect_state_refused<A>(without(good, "state.0.sum"),
                          "optimizer state \"state.0.sum\" is missing; a parameter's state has all of: step, sum");
  expect_state_refused<A>(without(good, "state.0.step"), "optimizer state \"state.0.step\" is missing");
  expect_state_refused<A>(with(good, "state.0.sum", tensor(std::vector<double>{-1.0, 0.0})),
                          "\"state.0.sum\" must hold non-negative values, but element 0 is -1");
  expect_state_refused<A>(with(good, "state.0.sum", tensor(std::vector<double>{1.0, 2.0}, {1, 2}, kFloat64)),
                          "\"state.0.sum\" has shape [1, 2] but its parameter has shape [2]");
  expect_state_refused<A>(with(good, "state.0.step", number(-1.0)), "must be a whole number of steps");
}

TEST(OptimMoreChecks, AdamAmsgradLoadedState) {
  const optim::StateDict good = stepped_state<optim::Adam>(optim::AdamOptions{.amsgrad = true});
  using A = optim::Adam;
  expect_state_refused<A>(without(good, "state.0.max_exp_avg_sq"),
                          "optimizer state \"state.0.max_exp_avg_sq\" is missing; amsgrad=True needs it");
  expect_state_refused<A>(with(good, "state.0.max_exp_avg_sq", tensor(std::vector<double>{0.0, -1.0})),
                          "\"state.0.max_exp_avg_sq\" must hold non-negative values, but element 1 is -1");
  expect_state_refused<A>(with(good, "state.0.max_exp_avg_sq", tensor(std::vector<double>{0.0})),
                          "\"state.0.max_exp_avg_sq\" has shape [1] but its parameter has shape [2]");
  // Without amsgrad the maximum is kept but not needed (as PyTorch).
  A plain({param()});
  plain.load_state_dict(with(good, "param_groups.0.amsgrad", number(0.0)));
  EXPECT_FALSE(plain.options(0).amsgrad);
  // And a state without it is refused only where amsgrad is on.
  const optim::StateDict no_max = stepped_state<optim::Adam>(optim::AdamOptions{});
  optim::Adam ams({param()}, {.amsgrad = true});
  EXPECT_EMBER_ERROR(ams.load_state_dict(with(no_max, "param_groups.0.amsgrad", number(1.0))),
                     "\"state.0.max_exp_avg_sq\" is missing; amsgrad=True needs it");
}

TEST(OptimMoreChecks, ABufferTurnedOnAfterTheFirstStepIsAnError) {
  Tensor p = param();
  optim::Adam adam({p});
  p.mutable_grad() = tensor(std::vector<double>{0.1, -0.2}, {2}, kFloat64);
  adam.step();
  adam.options(0).amsgrad = true;
  EXPECT_EMBER_ERROR(adam.step(), "Adam: amsgrad=True, but this parameter's state has no \"max_exp_avg_sq\"");
  Tensor q = param();
  optim::RMSprop rms({q});
  q.mutable_grad() = tensor(std::vector<double>{0.1, -0.2}, {2}, kFloat64);
  rms.step();
  rms.options(0).momentum = 0.9;
  EXPECT_EMBER_ERROR(rms.step(), "RMSprop: momentum > 0, but this parameter's state has no \"momentum_buffer\"");
  rms.options(0).momentum = 0.0;
  rms.options(0).centered = true;
  EXPECT_EMBER_ERROR(rms.step(), "RMSprop: centered=True, but this parameter's state has no \"grad_avg\"");
}

}  // namespace
}  // namespace ember
