// LR schedulers: StepLR, CosineAnnealingLR and OneCycleLR lr sequences against
// hand-computed values, written into every parameter group of the optimizer.
#include <gtest/gtest.h>

#include "nn/optim/adam.h"
#include "nn/optim/scheduler.h"
#include "nn/optim/scheduler_compose.h"
#include "nn/optim/scheduler_factor.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"

namespace ember {
namespace {

// get_last_lr() after construction, then after each of expected.size() - 1 steps.
void expect_lrs(optim::LRScheduler& sched, optim::Optimizer& opt, const std::vector<double>& expected) {
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i > 0) sched.step();
    ASSERT_EQ(sched.get_last_lr().size(), opt.num_param_groups());
    EXPECT_NEAR(sched.get_last_lr()[0], expected[i], 1e-12) << "epoch " << i;
    EXPECT_NEAR(opt.lr(0), expected[i], 1e-12) << "epoch " << i;
  }
}

Tensor param() { return zeros({2}, TensorOptions(kFloat64).requires_grad(true)); }

TEST(SchedStepLR, HalvesEveryTwoEpochs) {
  Tensor a = param(), b = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  sgd.add_param_group({b}, {.lr = 1.0});
  optim::StepLR sched(sgd, 2, 0.5);
  expect_lrs(sched, sgd, {0.1, 0.1, 0.05, 0.05, 0.025, 0.025});
  EXPECT_NEAR(sgd.lr(1), 0.25, 1e-12);  // each group from its own base lr
  EXPECT_EQ(sched.last_epoch(), 5);
}

// A group added after the scheduler was made follows the schedule from its own lr, as
// PyTorch 1.13's chainable forms compute it: StepLR 0.3 * 0.5^2, cosine 0.3 * (1 + cos(pi / 5)) / 2.
TEST(SchedStepLR, AGroupAddedLaterFollowsFromItsOwnLr) {
  Tensor a = param(), b = param(), c = param(), d = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  optim::StepLR step(sgd, 1, 0.5);
  sgd.add_param_group({b}, {.lr = 0.3});
  step.step();
  step.step();
  EXPECT_NEAR(sgd.lr(0), 0.025, 1e-15);
  EXPECT_NEAR(sgd.lr(1), 0.075, 1e-15);
  EXPECT_EQ(step.get_last_lr().size(), 2u);
  optim::SGD other({c}, {.lr = 0.1});
  optim::CosineAnnealingLR cosine(other, 10);
  other.add_param_group({d}, {.lr = 0.3});
  cosine.step();
  cosine.step();
  EXPECT_NEAR(other.lr(1), 0.2713525491562421, 1e-15);
}

// A group added after some steps (unfreezing a backbone) goes on from its lr by the
// schedule's next steps, as PyTorch's chainable forms: StepLR keeps 1e-3 until its next
// multiple of step_size, ExponentialLR multiplies by gamma, the cosine by its ratio
// (1 + cos(pi 6 / 10)) / (1 + cos(pi 5 / 10)), not the schedule's whole decay so far.
TEST(SchedStepLR, AGroupAddedMidTrainingGoesOnFromItsLr) {
  optim::SGD step_sgd({param()}, {.lr = 0.1});
  optim::StepLR step(step_sgd, 3, 0.1);
  for (int e = 0; e < 10; ++e) step.step();
  step_sgd.add_param_group({param()}, {.lr = 1e-3});
  step.step();  // epoch 11
  EXPECT_NEAR(step_sgd.lr(1), 1e-3, 1e-15);
  step.step();  // epoch 12: 12 % 3 == 0
  EXPECT_NEAR(step_sgd.lr(1), 1e-4, 1e-16);
  EXPECT_NEAR(step_sgd.lr(0), 1e-5, 1e-17);
  optim::SGD exp_sgd({param()}, {.lr = 0.1});
  optim::ExponentialLR exponential(exp_sgd, 0.9);
  for (int e = 0; e < 10; ++e) exponential.step();
  exp_sgd.add_param_group({param()}, {.lr = 1e-3});
  exponential.step();
  EXPECT_NEAR(exp_sgd.lr(1), 9e-4, 1e-15);
  exponential.step();
  EXPECT_NEAR(exp_sgd.lr(1), 8.1e-4, 1e-15);
  optim::SGD cos_sgd({param()}, {.lr = 0.1});
  optim::CosineAnnealingLR cosine(cos_sgd, 10);
  for (int e = 0; e < 5; ++e) cosine.step();
  cos_sgd.add_param_group({param()}, {.lr = 1e-3});
  cosine.step();
  EXPECT_NEAR(cos_sgd.lr(1), 0.000690983005625052, 1e-15);
}

// scheduler.state_dict() / load_state_dict(): a fresh scheduler on a fresh optimizer
// continues where the saved one was; bad dicts are refused and change nothing.
TEST(SchedStateDict, ARestoredSchedulerContinuesTheSchedule) {
  Tensor a = param(), b = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  optim::CosineAnnealingLR sched(sgd, 10);
  for (int i = 0; i < 4; ++i) sched.step();
  const optim::StateDict saved = sched.state_dict();
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_EQ(saved[2].first, "_last_lr");
  EXPECT_EQ(saved[0].first, "last_epoch");
  EXPECT_EQ(saved[0].second.item<int64_t>(), 4);
  optim::SGD fresh({b}, {.lr = 0.1});
  optim::CosineAnnealingLR restored(fresh, 10);
  restored.load_state_dict(saved);
  EXPECT_EQ(restored.last_epoch(), 4);
  EXPECT_DOUBLE_EQ(fresh.lr(0), sgd.lr(0));
  sched.step();
  restored.step();
  EXPECT_DOUBLE_EQ(fresh.lr(0), sgd.lr(0));
  EXPECT_EMBER_ERROR(restored.load_state_dict({{"last_epoch", saved[0].second}}),
                     "expected keys last_epoch and base_lrs");
  EXPECT_EMBER_ERROR(restored.load_state_dict({saved[0], {"base_lrs", zeros({2}, kFloat64)}}),
                     "base_lrs must hold one lr per parameter group (1)");
  EXPECT_EMBER_ERROR(restored.load_state_dict({saved[0], saved[1], {"extra", zeros({1})}}), "unexpected key \"extra\"");
  EXPECT_EQ(restored.last_epoch(), 5);
}

TEST(SchedCosineAnnealingLR, HalfCosine) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  optim::CosineAnnealingLR sched(sgd, 4);
  // 0.05 * (1 + cos(pi * e / 4))
  expect_lrs(sched, sgd, {0.1, 0.085355339059327, 0.05, 0.014644660940673, 0.0});
  optim::SGD other({param()}, {.lr = 1.0});
  optim::CosineAnnealingLR floor(other, 2, 0.5);
  expect_lrs(floor, other, {1.0, 0.75, 0.5});
}

TEST(SchedOneCycleLR, WarmUpThenAnneal) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 123.0});
  optim::OneCycleLR sched(sgd, 1.0, 10);
  // from 1/25 up to 1 over steps 0..2, then down to 1/25/1e4 at step 9 (cosine)
  expect_lrs(sched, sgd,
             {0.04, 0.52, 1.0, 0.950484632013, 0.811745653950, 0.611262021936, 0.388741978064, 0.188258346050,
              0.049519367987, 0.000004, 0.049519367987});
  EXPECT_EMBER_ERROR(sched.step(), "Tried to step 11 times. The specified number of total steps is 10");
  EXPECT_NEAR(sgd.lr(0), 0.049519367987, 1e-12);  // a failed step changes nothing
}

TEST(SchedOneCycleLR, CyclesMomentumLikePyTorch) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0, .momentum = 0.9, .nesterov = true});
  optim::OneCycleLR sched(sgd, 1.0, 10);
  // max 0.95 -> base 0.85 over the warm-up (steps 0..2), back to 0.95 at step 9 (cosine)
  const std::vector<double> expected{0.95, 0.90, 0.85, 0.854951556604879, 0.95};
  EXPECT_NEAR(*sgd.momentum(0), expected[0], 1e-12);
  sched.step();
  EXPECT_NEAR(*sgd.momentum(0), expected[1], 1e-12);
  sched.step();
  EXPECT_NEAR(*sgd.momentum(0), expected[2], 1e-12);
  sched.step();
  EXPECT_NEAR(*sgd.momentum(0), expected[3], 1e-12);
  for (int i = 0; i < 6; ++i) sched.step();
  EXPECT_NEAR(*sgd.momentum(0), expected[4], 1e-12);

  Tensor b = param();
  optim::Adam adam({b}, {.lr = 1.0, .betas = {0.9, 0.99}});
  optim::OneCycleLR adam_sched(adam, 1.0, 10, 0.3, 25.0, 1e4, true, 0.8, 0.9);
  adam_sched.step();
  EXPECT_NEAR(adam.options(0).betas.first, 0.85, 1e-12);  // beta1 cycles, beta2 does not
  EXPECT_EQ(adam.options(0).betas.second, 0.99);

  Tensor c = param();
  optim::SGD fixed({c}, {.lr = 1.0, .momentum = 0.9});
  optim::OneCycleLR no_cycle(fixed, 1.0, 10, 0.3, 25.0, 1e4, /*cycle_momentum=*/false);
  no_cycle.step();
  EXPECT_EQ(*fixed.momentum(0), 0.9);
}

// PyTorch's other OneCycleLR arguments (values from a transcription of its get_lr).
TEST(SchedOneCycleLR, LinearThreePhaseAndPerGroupOptions) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0, .momentum = 0.9});
  optim::OneCycleLR linear(sgd, 1.0, {.total_steps = 10, .anneal_strategy = "linear"});
  expect_lrs(linear, sgd,
             {0.04, 0.52, 1.0, 0.8571434285714286, 0.7142868571428571, 0.5714302857142857, 0.42857371428571434,
              0.2857171428571429, 0.14286057142857145, 4.000000000004e-06});
  EXPECT_NEAR(*sgd.momentum(0), 0.95, 1e-12);

  Tensor b = param();
  optim::SGD three({b}, {.lr = 1.0, .momentum = 0.9});
  optim::OneCycleLR phases(three, 1.0, {.epochs = 5, .steps_per_epoch = 2, .three_phase = true});
  expect_lrs(phases, three,
             {0.04, 0.52, 1.0, 0.52, 0.04, 0.0361807218535102, 0.0261817218535102, 0.013822278146489805,
              0.0038232781464898036, 4e-06});
  EXPECT_NEAR(*three.momentum(0), 0.95, 1e-12);  // the third phase holds max_momentum

  Tensor c = param(), d = param();
  optim::SGD groups({c}, {.lr = 1.0, .momentum = 0.9});
  groups.add_param_group({d}, {.lr = 1.0, .momentum = 0.9});
  optim::OneCycleLR per_group(groups, {1.0, 0.5},
                              {.total_steps = 6, .base_momentum = {0.85, 0.8}, .max_momentum = {0.95, 0.9}});
  per_group.step();
  EXPECT_NEAR(groups.lr(1), 0.49720771772545586, 1e-12);
  EXPECT_EQ(per_group.base_lrs(), (std::vector<double>{0.04, 0.02}));  // PyTorch's initial_lr
  EXPECT_EMBER_ERROR(optim::OneCycleLR(groups, {1.0, 0.5, 0.2}, {.total_steps = 6}),
                     "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, "
                     "param_groups has 2.");
  // a list must have one entry per group (PyTorch's _format_param); a number serves all
  EXPECT_EMBER_ERROR(optim::OneCycleLR(groups, std::vector<double>{1.0}, {.total_steps = 6}),
                     "max_lr must have the same length as optimizer.param_groups. max_lr has 1 values, "
                     "param_groups has 2.");
  EXPECT_EMBER_ERROR(optim::OneCycleLR(groups, 1.0, {.total_steps = 6, .base_momentum = {0.85}}),
                     "base_momentum must have the same length as optimizer.param_groups.");
  optim::OneCycleLR shared(groups, 1.0, {.total_steps = 6});
  EXPECT_EQ(shared.base_lrs(), (std::vector<double>{0.04, 0.04}));
  EXPECT_EMBER_ERROR(optim::OneCycleLR(groups, 1.0, optim::OneCycleLROptions{}),
                     "You must define either total_steps OR (epochs AND steps_per_epoch)");
  EXPECT_EMBER_ERROR(optim::OneCycleLR(groups, 1.0, {.total_steps = 6, .anneal_strategy = "step"}),
                     "anneal_strategy must be one of 'cos' or 'linear', instead got step");
  EXPECT_EMBER_ERROR(optim::OneCycleLR(groups, 1.0, {.epochs = 0, .steps_per_epoch = 2}),
                     "Expected positive integer epochs, but got 0");
}

// SequentialLR restarts the next part from the lrs the first started from: OneCycleLR's are
// max_lr / div_factor (PyTorch's initial_lr), not the optimizer's lr.
TEST(SchedOneCycleLR, SequentialLRRestartsFromItsInitialLr) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  auto one_cycle = std::make_shared<optim::OneCycleLR>(sgd, 1.0, optim::OneCycleLROptions{.total_steps = 10});
  auto decay = std::make_shared<optim::ExponentialLR>(sgd, 0.9);
  optim::SequentialLR both(sgd, {one_cycle, decay}, {10});
  both.step_to(10);
  EXPECT_NEAR(sgd.lr(0), 0.04, 1e-12);
  both.step();
  EXPECT_NEAR(sgd.lr(0), 0.036, 1e-12);
  both.step();
  EXPECT_NEAR(sgd.lr(0), 0.0324, 1e-12);
}

}  // namespace
}  // namespace ember
