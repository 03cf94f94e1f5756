// Adadelta's, Adamax's, NAdam's and RAdam's options held to PyTorch's rules (its "Invalid
// ..." phrases) and to finiteness by the constructor, add_param_group and load_state_dict
// alike; their loaded state checked for names, shape, values, and NAdam's mu_product
// (Note [Loaded state is checked]); a refused load changes nothing.
#include <gtest/gtest.h>

#include <limits>

#include "nn/optim/adadelta.h"
#include "nn/optim/adamax.h"
#include "nn/optim/nadam.h"
#include "nn/optim/radam.h"
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

// expect_refused_everywhere against the state of a default optimizer after one step.
template <typename Opt, typename Options>
void expect_refused(Options bad, const char* phrase) {
  expect_refused_everywhere<Opt>(bad, phrase, stepped_state<Opt>(Options{}));
}

TEST(OptimExtraChecks, AdadeltaOptions) {
  using O = optim::AdadeltaOptions;
  const std::pair<O, const char*> cases[] = {
      {{.lr = -1.0}, "Invalid learning rate: -1"},
      {{.lr = kNaN}, "Invalid learning rate: nan"},
      {{.rho = 1.5}, "Invalid rho value: 1.5 (expected a value in [0, 1])"},
      {{.rho = -0.1}, "Invalid rho value: -0.1"},
      {{.rho = kNaN}, "Invalid rho value: nan"},
      {{.eps = -1e-6}, "Invalid epsilon value: -1e-06"},
      {{.eps = kInf}, "Invalid epsilon value: inf"},
      {{.weight_decay = -0.1}, "Invalid weight_decay value: -0.1"},
  };
  for (const auto& [options, phrase] : cases) expect_refused<optim::Adadelta>(options, phrase);
  // rho's ends are allowed, as in PyTorch.
  optim::Adadelta zero({param()}, {.rho = 0.0});
  optim::Adadelta one({param()}, {.rho = 1.0});
  EXPECT_EQ(one.options(0).rho, 1.0);
}

// The Adam family's rules, shared by Adamax, NAdam and RAdam.
template <typename Opt, typename O>
void expect_adam_family_rules() {
  const std::pair<O, const char*> cases[] = {
      {{.lr = -1.0}, "Invalid learning rate: -1"},
      {{.lr = kInf}, "Invalid learning rate: inf"},
      {{.betas = {1.0, 0.999}}, "Invalid beta parameter at index 0: 1 (expected a value in [0, 1))"},
      {{.betas = {-0.1, 0.999}}, "Invalid beta parameter at index 0: -0.1"},
      {{.betas = {0.9, 1.0}}, "Invalid beta parameter at index 1: 1"},
      {{.betas = {0.9, kNaN}}, "Invalid beta parameter at index 1: nan"},
      {{.eps = -1e-8}, "Invalid epsilon value: -1e-08"},
      {{.weight_decay = -0.5}, "Invalid weight_decay value: -0.5"},
      {{.weight_decay = kNaN}, "Invalid weight_decay value: nan"},
  };
  for (const auto& [options, phrase] : cases) expect_refused<Opt>(options, phrase);
}

TEST(OptimExtraChecks, AdamaxOptions) { expect_adam_family_rules<optim::Adamax, optim::AdamaxOptions>(); }
TEST(OptimExtraChecks, RAdamOptions) { expect_adam_family_rules<optim::RAdam, optim::RAdamOptions>(); }
TEST(OptimExtraChecks, NAdamOptions) {
  expect_adam_family_rules<optim::NAdam, optim::NAdamOptions>();
  expect_refused<optim::NAdam>(optim::NAdamOptions{.momentum_decay = -4e-3},
                                          "Invalid momentum_decay value: -0.004");
  expect_refused<optim::NAdam>(optim::NAdamOptions{.momentum_decay = kInf},
                                          "Invalid momentum_decay value: inf");
}

TEST(OptimExtraChecks, MaximizeIsAFlag) {
  const optim::StateDict good = stepped_state<optim::Adadelta>(optim::AdadeltaOptions{});
  optim::Adadelta a({param()});
  EXPECT_EMBER_ERROR(a.load_state_dict(with(good, "param_groups.0.maximize", number(0.5))),
                     "maximize is a flag: expected 0 or 1, but got 0.5");
  a.load_state_dict(with(good, "param_groups.0.maximize", number(1.0)));
  EXPECT_TRUE(a.options(0).maximize);
}

TEST(OptimExtraChecks, AdadeltaLoadedState) {
  const optim::StateDict good = stepped_state<optim::Adadelta>(optim::AdadeltaOptions{});
  using A = optim::Adadelta;
  expect_state_refused<A>(without(good, "state.0.acc_delta"),
                          "optimizer state \"state.0.acc_delta\" is missing; a parameter's state has all of: step, "
                          "square_avg, acc_delta (or none)");
  expect_state_refused<A>(with(good, "state.0.square_avg", tensor(std::vector<double>{-1.0, 0.0})),
                          "\"state.0.square_avg\" must hold non-negative values, but element 0 is -1");
  expect_state_refused<A>(with(good, "state.0.acc_delta", tensor(std::vector<double>{0.0, 0.0, 0.0})),
                          "\"state.0.acc_delta\" has shape [3] but its parameter has shape [2]");
  expect_state_refused<A>(with(good, "state.0.step", number(0.5)), "must be a whole number of steps");
  expect_state_refused<A>(with(good, "state.0.exp_avg", tensor(std::vector<double>{0.0, 0.0})),
                          "unexpected optimizer state \"state.0.exp_avg\"; expected one of: step, square_avg, "
                          "acc_delta");
}

TEST(OptimExtraChecks, AdamaxLoadedState) {
  const optim::StateDict good = stepped_state<optim::Adamax>(optim::AdamaxOptions{});
  using A = optim::Adamax;
  expect_state_refused<A>(without(good, "state.0.exp_inf"), "optimizer state \"state.0.exp_inf\" is missing");
  expect_state_refused<A>(with(good, "state.0.exp_inf", tensor(std::vector<double>{0.0, -2.0})),
                          "\"state.0.exp_inf\" must hold non-negative values, but element 1 is -2");
  expect_state_refused<A>(with(good, "state.0.exp_avg", tensor(std::vector<int64_t>{1, 2})),
                          "\"state.0.exp_avg\" must be a floating-point tensor, but got int64");
}

TEST(OptimExtraChecks, NAdamLoadedState) {
  const optim::StateDict good = stepped_state<optim::NAdam>(optim::NAdamOptions{});
  using N = optim::NAdam;
  expect_state_refused<N>(without(good, "state.0.mu_product"),
                          "optimizer state \"state.0.mu_product\" is missing; a parameter's state has all of: step, "
                          "mu_product, exp_avg, exp_avg_sq (or none)");
  expect_state_refused<N>(with(good, "state.0.mu_product", number(1.5)),
                          "\"state.0.mu_product\" must be a product of momentum coefficients, in [0, 1], but got 1.5");
  expect_state_refused<N>(with(good, "state.0.mu_product", number(kNaN)),
                          "\"state.0.mu_product\" must be a product of momentum coefficients, in [0, 1], but got nan");
  expect_state_refused<N>(with(good, "state.0.mu_product", tensor(std::vector<double>{0.5, 0.5})),
                          "\"state.0.mu_product\" must be one floating-point number, but got 2 elements of float64");
  expect_state_refused<N>(with(good, "state.0.exp_avg_sq", tensor(std::vector<double>{0.0, -1.0})),
                          "\"state.0.exp_avg_sq\" must hold non-negative values, but element 1 is -1");
  // A float64 mu_product (a state dict written by other code) is kept as PyTorch's float32.
  N opt({param()});
  opt.load_state_dict(with(good, "state.0.mu_product", number(0.5)));
  for (const auto& [key, value] : opt.state_dict())
    if (key == "state.0.mu_product") {
      EXPECT_EQ(value.dtype(), kFloat32);
      EXPECT_EQ(value.item<double>(), 0.5);
    }
}

TEST(OptimExtraChecks, RAdamLoadedState) {
  const optim::StateDict good = stepped_state<optim::RAdam>(optim::RAdamOptions{});
  using R = optim::RAdam;
  expect_state_refused<R>(without(good, "state.0.step"), "optimizer state \"state.0.step\" is missing");
  expect_state_refused<R>(with(good, "state.0.exp_avg_sq", tensor(std::vector<double>{0.0, -kInf})),
                          "\"state.0.exp_avg_sq\" must hold non-negative values, but element 1 is -inf");
  expect_state_refused<R>(with(good, "state.0.mu_product", number(0.5)),
                          "unexpected optimizer state \"state.0.mu_product\"");
}

}  // namespace
}  // namespace ember
