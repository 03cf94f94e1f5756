// maximize on SGD, Adam, AdamW, RMSprop, Adagrad, NAdam and RAdam (PyTorch 2.x: the
// gradient's sign flipped before anything else), NAdam's and RAdam's decoupled_weight_decay
// (PyTorch 2.x's NAdamW / RAdamW), add_param_group with the optimizer's defaults edited, and
// every optimizer's step(closure).
#include <gtest/gtest.h>

#include "core/grad_mode.h"
#include "core/native.h"
#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/nadam.h"
#include "nn/optim/radam.h"
#include "nn/optim/rmsprop.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"
#include "support/optim_script.h"

namespace ember {
namespace {

using ember::testing::keys_after_a_step;
using ember::testing::kStart;
using ember::testing::max_abs_diff;
using ember::testing::set_script_grad;

// Ascending on g with maximize gives the bits of descending on -g, weight decay included
// (it is added after the flip), and differs from descending on g.
template <typename Opt, typename Options>
void expect_maximize_descends_the_negated_gradient(const char* what, Options options, bool transposed = false) {
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(std::string(what) + " " + std::string(dtype_name(dtype)));
    const auto make = [&] {
      Tensor p = tensor(std::vector<double>{1.0, -0.5, 0.25, 2.0, -1.5, 0.75}, {2, 3}, TensorOptions(dtype));
      if (transposed) p = native::transpose(native::clone(native::transpose(p, 0, 1)), 0, 1);  // not fusable
      return p.requires_grad_(true);
    };
    Tensor up = make(), down = make(), plain = make();
    Options ascend_options = options;
    ascend_options.maximize = true;
    Opt ascend({up}, ascend_options), descend({down}, options), wrong_way({plain}, options);
    for (int k = 1; k <= 6; ++k) {
      set_script_grad(up, k);
      down.mutable_grad() = native::neg(up.grad());
      plain.mutable_grad() = up.grad();
      ascend.step();
      descend.step();
      wrong_way.step();
    }
    EXPECT_EQ(up.to_vector<double>(), down.to_vector<double>());
    EXPECT_NE(up.to_vector<double>(), plain.to_vector<double>());
  }
}

TEST(OptimMaximize, EveryOptimizerDescendsTheNegatedGradient) {
  expect_maximize_descends_the_negated_gradient<optim::SGD>(
      "sgd", optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true});
  expect_maximize_descends_the_negated_gradient<optim::SGD>(
      "sgd native-op layout", optim::SGDOptions{.lr = 0.1, .momentum = 0.5, .dampening = 0.1, .weight_decay = 0.1},
      /*transposed=*/true);
  expect_maximize_descends_the_negated_gradient<optim::Adam>(
      "adam", optim::AdamOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true});
  expect_maximize_descends_the_negated_gradient<optim::AdamW>("adamw", optim::AdamWOptions{.lr = 0.05});
  expect_maximize_descends_the_negated_gradient<optim::RMSprop>(
      "rmsprop", optim::RMSpropOptions{.lr = 0.01, .weight_decay = 0.1, .momentum = 0.5, .centered = true});
  expect_maximize_descends_the_negated_gradient<optim::Adagrad>(
      "adagrad", optim::AdagradOptions{.lr = 0.1, .lr_decay = 0.01, .weight_decay = 0.1});
  expect_maximize_descends_the_negated_gradient<optim::NAdam>("nadam",
                                                              optim::NAdamOptions{.lr = 0.05, .weight_decay = 0.1});
  expect_maximize_descends_the_negated_gradient<optim::RAdam>(
      "radam", optim::RAdamOptions{.lr = 0.05, .weight_decay = 0.1, .decoupled_weight_decay = true});
}

// Decoupled: p *= 1 - lr * weight_decay, then the step without weight decay (float64, so
// the native multiply and the kernel's round alike).
template <typename Opt, typename Options>
void expect_decoupled_decay_scales_first(const char* what, Options options) {
  SCOPED_TRACE(what);
  Tensor a = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Tensor b = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Tensor coupled = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Options decoupled = options, none = options;
  decoupled.decoupled_weight_decay = true;
  none.weight_decay = 0.0;
  Opt with_decay({a}, decoupled), without({b}, none), l2({coupled}, options);
  for (int k = 1; k <= 8; ++k) {
    set_script_grad(a, k);
    b.mutable_grad() = a.grad();
    coupled.mutable_grad() = a.grad();
    {
      NoGradGuard no_grad;
      native::mul_(b, 1.0 - options.lr * options.weight_decay);
    }
    with_decay.step();
    without.step();
    l2.step();
  }
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>());
  EXPECT_NE(a.to_vector<double>(), coupled.to_vector<double>());
}

TEST(OptimDecoupledWeightDecay, NAdamAndRAdamScaleTheParameterFirst) {
  expect_decoupled_decay_scales_first<optim::NAdam>("nadam", optim::NAdamOptions{.lr = 0.05, .weight_decay = 0.1});
  expect_decoupled_decay_scales_first<optim::RAdam>("radam", optim::RAdamOptions{.lr = 0.05, .weight_decay = 0.1});
}

TEST(OptimMaximize, IsAGroupOptionInTheStateDict) {
  const auto keys = keys_after_a_step<optim::NAdam>(optim::NAdamOptions{});
  EXPECT_NE(std::find(keys.begin(), keys.end(), "param_groups.0.maximize"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "param_groups.0.decoupled_weight_decay"), keys.end());
  Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  optim::SGD ascend({p}, {.lr = 0.1, .maximize = true});
  optim::SGD loaded({p});
  loaded.load_state_dict(ascend.state_dict());
  EXPECT_TRUE(loaded.options(0).maximize);
}

TEST(OptimAddParamGroup, AnEditOfTheDefaultsKeepsWhatItDoesNotChange) {
  Tensor base = ones({2}).requires_grad_(), head = ones({2}).requires_grad_();
  optim::SGD sgd({base}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4, .nesterov = true});
  sgd.add_param_group({head}, [](optim::SGDOptions& o) { o.lr = 0.01; });
  EXPECT_EQ(sgd.options(1).lr, 0.01);
  EXPECT_EQ(sgd.options(1).momentum, 0.9);
  EXPECT_EQ(sgd.options(1).weight_decay, 5e-4);
  EXPECT_TRUE(sgd.options(1).nesterov);
  // The aggregate form keeps its meaning: every field is the group's.
  Tensor other = ones({2}).requires_grad_();
  sgd.add_param_group({other}, {.lr = 0.01});
  EXPECT_EQ(sgd.options(2).momentum, 0.0);
  // An edit is validated as any group's options.
  Tensor bad = ones({2}).requires_grad_();
  EXPECT_EMBER_ERROR(sgd.add_param_group({bad}, [](optim::SGDOptions& o) { o.lr = -1.0; }), "Invalid learning rate");
  EXPECT_EQ(sgd.num_param_groups(), 3u);
}

// PyTorch's Optimizer.step(closure): one call with grad mode on (even under no_grad), then the
// same update as step() after a backward of one's own; the closure's loss is returned.
template <typename Opt, typename Options>
void expect_step_with_closure_is_one_evaluation_then_step(Options options) {
  const auto make = [] { return tensor(std::vector<double>{1.0, -2.0, 0.5}, {3}, kFloat64).requires_grad_(true); };
  Tensor with_closure = make(), by_hand = make();
  Opt closure_opt({with_closure}, options), hand_opt({by_hand}, options);
  int calls = 0;
  const optim::LossClosure closure = [&] {
    ++calls;
    EXPECT_TRUE(is_grad_enabled());
    closure_opt.zero_grad();
    Tensor loss = (with_closure * with_closure).sum();
    loss.backward();
    return loss;
  };
  for (int k = 0; k < 3; ++k) {
    Tensor loss;
    {
      const NoGradGuard no_grad;
      loss = closure_opt.step(closure);
    }
    hand_opt.zero_grad();
    Tensor expected_loss = (by_hand * by_hand).sum();
    expected_loss.backward();
    hand_opt.step();
    EXPECT_EQ(loss.item<double>(), expected_loss.item<double>());
  }
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(max_abs_diff(with_closure, by_hand), 0.0);
  EXPECT_GT(max_abs_diff(with_closure, make()), 0.1);
  EXPECT_FALSE(closure_opt.step(nullptr).defined());  // no closure: step() (a null loss, as PyTorch's None)
}

TEST(OptimStepClosure, EveryOptimizerTakesAClosure) {
  expect_step_with_closure_is_one_evaluation_then_step<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  expect_step_with_closure_is_one_evaluation_then_step<optim::Adam>(optim::AdamOptions{.lr = 0.1});
  expect_step_with_closure_is_one_evaluation_then_step<optim::AdamW>(optim::AdamWOptions{.lr = 0.1});
  expect_step_with_closure_is_one_evaluation_then_step<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.1});
  expect_step_with_closure_is_one_evaluation_then_step<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1});
  expect_step_with_closure_is_one_evaluation_then_step<optim::NAdam>(optim::NAdamOptions{.lr = 0.1});
  expect_step_with_closure_is_one_evaluation_then_step<optim::RAdam>(optim::RAdamOptions{.lr = 0.1});
}

}  // namespace
}  // namespace ember
