// LR schedulers: StepLR, CosineAnnealingLR and OneCycleLR lr sequences against
// hand-computed values, written into every parameter group of the optimizer.
#include <gtest/gtest.h>

#include "nn/optim/adam.h"
#include "nn/optim/scheduler.h"
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

}  // namespace
}  // namespace ember
