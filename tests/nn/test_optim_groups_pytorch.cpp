// The optimizer API around the updates, as PyTorch's optimizer.py and lr_scheduler.py:
// initial_lr (set by the first scheduler, a first CyclicLR's its base_lr, kept in state_dict,
// the base of later ones), PyTorch 2's group flags in a loaded state dict, gradients set by
// hand that do not fit their parameter, non-leaf parameters that retain their gradient,
// empty added groups.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::error_of;

Tensor param(int64_t n) { return zeros({n}).requires_grad_(true); }

// CyclicLR sets the lr to base_lr before LRScheduler's constructor (PyTorch's order), so a
// first CyclicLR records base_lr as initial_lr; one made after another scheduler keeps it.
TEST(OptimizerInitialLr, CyclicLRRecordsItsBaseLr) {
  const Tensor w = param(2);
  optim::SGD opt({w}, {.lr = 1.0, .momentum = 0.9});
  optim::CyclicLR cyclic(opt, 0.01, 0.1, {.step_size_up = 4});
  EXPECT_DOUBLE_EQ(*opt.initial_lr(0), 0.01);
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.01);
  optim::SGD other({param(1)}, {.lr = 1.0, .momentum = 0.9});
  optim::StepLR step(other, 3);
  optim::CyclicLR later(other, 0.01, 0.1, {.step_size_up = 4});
  EXPECT_DOUBLE_EQ(*other.initial_lr(0), 1.0);
  EXPECT_EMBER_ERROR(optim::CyclicLR(other, std::nan(""), 0.1), "CyclicLR: expected finite learning rates");
  EXPECT_DOUBLE_EQ(other.lr(0), 0.01);  // refused: nothing changed
}

TEST(OptimizerInitialLr, TheFirstSchedulerSetsItAndLaterOnesStartFromIt) {
  const Tensor w = param(2);
  optim::SGD opt({w}, {.lr = 1.0});
  EXPECT_FALSE(opt.initial_lr(0).has_value());
  optim::LinearLR warmup(opt, 0.1, 1.0, 4);
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.1);
  EXPECT_DOUBLE_EQ(*opt.initial_lr(0), 1.0);
  // PyTorch: LambdaLR's base_lrs are the initial lr (1.0), not the warm-up's 0.1.
  optim::LambdaLR decay(opt, [](int64_t e) { return std::pow(0.5, static_cast<double>(e)); });
  EXPECT_DOUBLE_EQ(decay.base_lrs()[0], 1.0);
  EXPECT_DOUBLE_EQ(opt.lr(0), 1.0);
}

TEST(OptimizerInitialLr, StateDictCarriesItSoAResumedSchedulerStartsFromIt) {
  const Tensor w = param(2);
  optim::SGD opt({w}, {.lr = 1.0});
  optim::StepLR step(opt, 2, 0.5);
  for (int e = 0; e < 4; ++e) step.step();
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.25);
  const nn::StateDict saved = opt.state_dict();
  const std::vector<std::string> names = testing::names_of(saved);
  EXPECT_EQ(std::count(names.begin(), names.end(), "param_groups.0.initial_lr"), 1);
  const Tensor w2 = param(2);
  optim::SGD resumed({w2}, {.lr = 123.0});
  resumed.load_state_dict(saved);
  EXPECT_DOUBLE_EQ(resumed.lr(0), 0.25);
  EXPECT_DOUBLE_EQ(*resumed.initial_lr(0), 1.0);
  optim::StepLR again(resumed, 2, 0.5);
  again.step_to(5);  // PyTorch's StepLR(opt, 2, 0.5, last_epoch=4) then step(): epoch 5
  EXPECT_DOUBLE_EQ(resumed.lr(0), 0.25);
  again.step_to(6);
  EXPECT_DOUBLE_EQ(resumed.lr(0), 0.125);
}

TEST(OptimizerLoad, PyTorchTwoGroupFlagsLoadWhenOff) {
  const Tensor w = param(2);
  optim::Adam opt({w}, {.lr = 0.01});
  nn::StateDict state = opt.state_dict();
  state.emplace_back("param_groups.0.foreach", scalar_tensor(0.0, kFloat64));
  state.emplace_back("param_groups.0.fused", scalar_tensor(0.0, kFloat64));
  state.emplace_back("param_groups.0.differentiable", scalar_tensor(0.0, kFloat64));
  state.emplace_back("param_groups.0.initial_lr", scalar_tensor(0.02, kFloat64));
  opt.load_state_dict(state);
  EXPECT_DOUBLE_EQ(*opt.initial_lr(0), 0.02);
  nn::StateDict fused = opt.state_dict();
  fused.emplace_back("param_groups.0.fused", scalar_tensor(1.0, kFloat64));
  EXPECT_NE(error_of([&] { opt.load_state_dict(fused); }).find("has no fused implementation"), std::string::npos);
  nn::StateDict bogus = opt.state_dict();
  bogus.emplace_back("param_groups.0.bogus", scalar_tensor(1.0, kFloat64));
  const std::string message = error_of([&] { opt.load_state_dict(bogus); });
  EXPECT_EQ(message.find("load_state_dict: parameter group 0 of the loaded state dict: "), 0u) << message;
  EXPECT_EQ(message.find("load_state_dict", 1), std::string::npos) << message;  // no doubled prefix
}

TEST(OptimizerStep, AHandSetGradientMustFitItsParameter) {
  const Tensor w = param(4);
  optim::Adam adam({w}, {.lr = 0.1});
  Tensor handle = w;
  handle.mutable_grad() = ones({2});
  EXPECT_NE(error_of([&] { adam.step(); }).find("assigned grad has data of a different size"), std::string::npos);
  handle.mutable_grad() = ones({4}, kInt64);
  EXPECT_NE(error_of([&] { adam.step(); }).find("assigned grad has data of a different type"), std::string::npos);
  handle.mutable_grad() = ones({4});
  adam.step();
  EXPECT_LT(w.detach().sum().item<float>(), 0.0f);
  optim::LBFGS lbfgs({w}, {});
  handle.mutable_grad() = ones({1});
  EXPECT_NE(error_of([&] { lbfgs.step([&] { return (w * w).sum(); }); }).find("assigned grad has data"),
            std::string::npos);
}

TEST(OptimizerGroups, NonLeavesThatRetainGradAndEmptyAddedGroups) {
  const Tensor a = param(2);
  Tensor n = a * 2.0;
  n.retain_grad();
  optim::SGD sgd({n}, {.lr = 0.1});  // PyTorch: param.is_leaf or param.retains_grad
  EXPECT_EQ(error_of([&] { optim::SGD({a * 3.0}, {.lr = 0.1}); }).find("can't optimize a non-leaf Tensor"), 0u);
  sgd.add_param_group({});  // add_param_group({'params': []})
  EXPECT_EQ(sgd.num_param_groups(), 2u);
  EXPECT_EQ(error_of([] { optim::SGD(std::vector<Tensor>{}, {.lr = 0.1}); }), "optimizer got an empty parameter list");
}

}  // namespace
}  // namespace ember
