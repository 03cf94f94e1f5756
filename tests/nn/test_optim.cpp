// optim: SGD (plain, momentum, dampening, Nesterov, weight decay), Adam and AdamW
// against hand-computed updates of a 2-element parameter with fixed gradients;
// zero_grad scope, skipped parameters, state_dict resume, and errors.
#include <gtest/gtest.h>

#include "nn/optim/adam.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
using Grads = std::vector<std::vector<double>>;

Tensor param(std::vector<double> v = {1.0, 2.0}) { return ember::testing::leaf(v, {static_cast<int64_t>(v.size())}); }

void set_grad(Tensor& p, const std::vector<double>& g) { p.mutable_grad() = tensor(g, p.sizes(), kFloat64); }

// Steps `opt` once per gradient in `grads`, checking p after each step.
void expect_trajectory(optim::Optimizer& opt, Tensor& p, const Grads& grads, const Grads& expected) {
  for (size_t i = 0; i < grads.size(); ++i) {
    set_grad(p, grads[i]);
    opt.step();
    SCOPED_TRACE("step " + std::to_string(i + 1));
    expect_values(p, expected[i], 1e-10);
  }
}

const Grads kFixed{{0.1, -0.2}, {0.1, -0.2}, {0.1, -0.2}};
const Grads kVarying{{0.1, -0.2}, {0.3, 0.1}, {-0.05, 0.4}};

TEST(OptimSGD, Plain) {
  Tensor p = param();
  optim::SGD sgd({p}, {.lr = 0.1});
  expect_trajectory(sgd, p, kFixed, {{0.99, 2.02}, {0.98, 2.04}, {0.97, 2.06}});
  EXPECT_FALSE(p.grad_fn());
  EXPECT_TRUE(p.requires_grad());
}

TEST(OptimSGD, Momentum) {
  Tensor p = param();
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  // buf = g, then 1.9 g, then 2.71 g
  expect_trajectory(sgd, p, kFixed, {{0.99, 2.02}, {0.971, 2.058}, {0.9439, 2.1122}});
}

TEST(OptimSGD, Dampening) {
  Tensor p = param();
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  // the first buffer is g undamped; then 0.9 g + 0.5 g
  expect_trajectory(sgd, p, {kFixed[0], kFixed[1]}, {{0.99, 2.02}, {0.976, 2.048}});
}

TEST(OptimSGD, Nesterov) {
  Tensor p = param();
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  // d = g + 0.9 buf: 1.9 g, then 2.71 g
  expect_trajectory(sgd, p, {kFixed[0], kFixed[1]}, {{0.981, 2.038}, {0.9539, 2.0922}});
}

TEST(OptimSGD, WeightDecay) {
  Tensor p = param();
  optim::SGD sgd({p}, {.lr = 0.1, .weight_decay = 0.1});
  // d = g + 0.1 p: [0.2, 0], then [0.198, 0]
  expect_trajectory(sgd, p, {kFixed[0], kFixed[1]}, {{0.98, 2.0}, {0.9602, 2.0}});
}

TEST(OptimAdam, Steps) {
  Tensor p = param();
  optim::Adam adam({p}, {.lr = 0.1});
  expect_trajectory(adam, p, kVarying,
                    {{0.900000010000, 2.099999995000}, {0.808221902206, 2.126633697281},
                     {0.748130569979, 2.080900520009}});
}

TEST(OptimAdam, L2WeightDecay) {
  Tensor p = param();
  optim::Adam adam({p}, {.lr = 0.1, .weight_decay = 0.1});
  expect_trajectory(adam, p, kVarying,
                    {{0.900000005000, 2.0}, {0.803214755168, 1.925586321150}, {0.724166595980, 1.842615406268}});
}

TEST(OptimAdam, AdamWDecoupledDecay) {
  Tensor p = param();
  optim::AdamW adamw({p}, {.lr = 0.1, .weight_decay = 0.1});
  expect_trajectory(adamw, p, kVarying,
                    {{0.890000010000, 2.079999995000}, {0.789321902106, 2.085833697331},
                     {0.721337350858, 2.019242183085}});
  EXPECT_DOUBLE_EQ(optim::AdamWOptions{}.weight_decay, 1e-2);
  // PyTorch 2.7's Adam(decoupled_weight_decay=True) is AdamW's update (its class derives from it)
  Tensor q = param();
  optim::Adam decoupled({q}, {.lr = 0.1, .weight_decay = 0.1, .decoupled_weight_decay = true});
  expect_trajectory(
      decoupled, q, kVarying,
      {{0.890000010000, 2.079999995000}, {0.789321902106, 2.085833697331}, {0.721337350858, 2.019242183085}});
  // a PyTorch 2.7 group carries the key: it loads, and the optimizer keeps its own option
  optim::StateDict from_pytorch = adamw.state_dict();
  from_pytorch.emplace_back("param_groups.0.decoupled_weight_decay", full({}, 1.0, TensorOptions(kFloat64)));
  Tensor r = param();
  optim::AdamW resumed({r}, {.lr = 0.1, .weight_decay = 0.1});
  resumed.load_state_dict(from_pytorch);
  EXPECT_DOUBLE_EQ(resumed.lr(0), 0.1);
}

TEST(OptimCommon, ZeroGradTouchesOnlyItsOwnParameters) {
  Tensor a = param(), b = param({3.0});
  optim::SGD first({a}, {.lr = 0.1});
  optim::Adam second({b});
  Tensor loss = (a * a).sum() + (b * a.sum()).sum();
  loss.backward();
  ASSERT_TRUE(a.grad().defined() && b.grad().defined());
  first.zero_grad(/*set_to_none=*/false);
  expect_values(a.grad(), {0, 0});
  expect_values(b.grad(), {3.0});
  first.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  EXPECT_TRUE(b.grad().defined());
  second.zero_grad();
  EXPECT_FALSE(b.grad().defined());
}

TEST(OptimCommon, ParametersWithoutGradAreSkipped) {
  Tensor a = param(), b = param({5.0, 6.0});
  optim::SGD sgd({a, b}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1});
  set_grad(a, {1.0, 1.0});
  sgd.step();
  expect_values(b, {5.0, 6.0});
  bool b_has_state = false;
  for (const auto& [key, value] : sgd.state_dict()) b_has_state = b_has_state || key.rfind("state.1.", 0) == 0;
  EXPECT_FALSE(b_has_state);
}

TEST(OptimCommon, ParamGroupsAndLr) {
  Tensor a = param(), b = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  sgd.add_param_group({b}, {.lr = 0.5, .momentum = 0.9});
  ASSERT_EQ(sgd.num_param_groups(), 2u);
  EXPECT_DOUBLE_EQ(sgd.lr(1), 0.5);
  sgd.set_lr(0, 0.2);
  set_grad(a, {1.0, 1.0});
  set_grad(b, {1.0, 1.0});
  sgd.step();
  expect_values(a, {0.8, 1.8});
  expect_values(b, {0.5, 1.5});
  EXPECT_EMBER_ERROR(sgd.add_param_group({a}, {}), "some parameters appear in more than one parameter group");
}

// PyTorch's add_param_group is on the base class and fills a group from the defaults (the
// constructor's options, not a scheduler's later lr).
TEST(OptimCommon, AddParamGroupThroughTheBaseTakesTheDefaults) {
  Tensor a = param(), b = param();
  optim::Adam adam({a}, {.lr = 0.5, .betas = {0.8, 0.9}});
  adam.set_lr(0, 0.1);
  optim::Optimizer& base = adam;
  base.add_param_group({b});
  ASSERT_EQ(base.num_param_groups(), 2u);
  EXPECT_DOUBLE_EQ(base.lr(1), 0.5);
  EXPECT_DOUBLE_EQ(adam.options(1).betas.first, 0.8);
  EXPECT_DOUBLE_EQ(adam.defaults().lr, 0.5);
  set_grad(b, {1.0, 1.0});
  base.zero_grad(/*set_to_none=*/false);
  expect_values(b.grad(), {0.0, 0.0});
  EXPECT_EMBER_ERROR(base.add_param_group({b}), "some parameters appear in more than one parameter group");
  Tensor c = param();
  EXPECT_EMBER_ERROR(base.add_param_group({c, c}), "optimizer contains a parameter group with duplicate parameters");
}

// Two steps, a state_dict, then two more: a fresh optimizer (other lr) loaded from
// the dict must produce exactly the same parameters.
template <typename Opt, typename Options>
void check_resume(const Options& options, const Options& other_options) {
  Tensor p = param();
  Opt original({p}, options);
  for (int i = 0; i < 2; ++i) {
    set_grad(p, kVarying[i]);
    original.step();
  }
  optim::StateDict saved = original.state_dict();
  Tensor q = param(p.to_vector<double>());
  Opt resumed({q}, other_options);
  resumed.load_state_dict(saved);
  EXPECT_DOUBLE_EQ(resumed.lr(0), original.lr(0));
  for (const auto& g : {kVarying[2], kVarying[0]}) {
    set_grad(p, g);
    set_grad(q, g);
    original.step();
    resumed.step();
  }
  EXPECT_TRUE(equal(p.detach(), q.detach())) << p << " vs " << q;
}

TEST(OptimCommon, StateDictRoundTripResumesIdentically) {
  check_resume<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true},
                           optim::SGDOptions{.lr = 0.7});
  check_resume<optim::Adam>(optim::AdamOptions{.lr = 0.1, .weight_decay = 0.01}, optim::AdamOptions{});
  check_resume<optim::AdamW>(optim::AdamWOptions{.lr = 0.05}, optim::AdamWOptions{.lr = 0.3});
}

TEST(OptimCommon, StateDictKeys) {
  Tensor p = param();
  optim::Adam adam({p}, {.lr = 0.1});
  set_grad(p, kVarying[0]);
  adam.step();
  std::vector<std::string> keys;
  for (const auto& [key, value] : adam.state_dict()) keys.push_back(key);
  for (const char* k : {"param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "state.0.exp_avg",
                        "state.0.exp_avg_sq", "state.0.step"})
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
  Tensor a = param(), b = param();
  optim::Adam two({a, b});
  EXPECT_EMBER_ERROR(two.load_state_dict(adam.state_dict()), "doesn't match the size of optimizer's group");
}

TEST(OptimErrors, Messages) {
  Tensor p = param();
  EXPECT_EMBER_ERROR(optim::SGD({p}, {.lr = 0.1, .nesterov = true}),
                     "Nesterov momentum requires a momentum and zero dampening");
  EXPECT_EMBER_ERROR(optim::SGD({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                     "Nesterov momentum requires a momentum and zero dampening");
  EXPECT_EMBER_ERROR(optim::SGD({p}, {.lr = -1.0}), "Invalid learning rate: -1");
  EXPECT_EMBER_ERROR(optim::Adam({p}, {.betas = {1.0, 0.999}}), "Invalid beta parameter at index 0");
  EXPECT_EMBER_ERROR(optim::SGD({}, {}), "optimizer got an empty parameter list");
  EXPECT_EMBER_ERROR(optim::SGD({p * 2.0}, {}), "can't optimize a non-leaf Tensor");
}

}  // namespace
}  // namespace ember
