// Chainable schedules (Note [Chainable schedules] in nn/optim/scheduler.h): two schedulers on
// one optimizer, an lr set by hand or by ReduceLROnPlateau, carried on as PyTorch 1.13's
// chainable forms do; the non-chainable ones overwrite; step_to never rebases.
#include <gtest/gtest.h>

#include <memory>

#include "nn/optim/plateau.h"
#include "nn/optim/scheduler.h"
#include "nn/optim/scheduler_compose.h"
#include "nn/optim/scheduler_factor.h"
#include "nn/optim/sgd.h"
#include "nn/optim/swa_utils.h"
#include "support/helpers.h"

namespace ember {
namespace {

Tensor param() { return zeros({2}, TensorOptions(kFloat64).requires_grad(true)); }

// Values printed by torch 1.13 (/usr/bin/python3) for the same calls.
TEST(SchedChain, TwoSchedulersSteppedTogetherCompose) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  optim::ExponentialLR exponential(sgd, 0.9);
  optim::MultiStepLR multistep(sgd, {2, 4}, 0.1);
  const std::vector<double> expected = {0.9, 0.081, 0.0729, 0.006561, 0.0059049};
  for (double lr : expected) {
    exponential.step();
    multistep.step();
    EXPECT_NEAR(sgd.lr(0), lr, 1e-15);
    EXPECT_EQ(multistep.get_last_lr()[0], sgd.lr(0));
  }
  // Each scheduler's base is now the one that gives its part of the composed lr.
  EXPECT_NEAR(multistep.base_lrs()[0], 0.59049, 1e-15);
}

TEST(SchedChain, AnLrSetByHandIsCarriedOn) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  optim::StepLR step(sgd, 2, 0.5);
  sgd.set_lr(0, 0.3);
  const std::vector<double> expected = {0.3, 0.15, 0.15, 0.075};
  for (double lr : expected) {
    step.step();
    EXPECT_NEAR(sgd.lr(0), lr, 1e-15);
  }
  // A polynomial decay from a hand-set lr: 0.4 * ((1 - 2/4) / (1 - 1/4))^2, then 0 for good.
  Tensor b = param();
  optim::SGD other({b}, {.lr = 1.0});
  optim::PolynomialLR poly(other, 4, 2.0);
  poly.step();
  other.set_lr(0, 0.4);
  const std::vector<double> decayed = {0.17777777777777778, 0.044444444444444446, 0.0, 0.0, 0.0};
  for (double lr : decayed) {
    poly.step();
    EXPECT_NEAR(other.lr(0), lr, 1e-15);
  }
}

TEST(SchedChain, WarmupKeepsThePlateausReductions) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  optim::LinearLR warmup(sgd, 0.1, 1.0, 2);
  optim::ReduceLROnPlateau plateau(sgd, "min", 0.5, 0);
  const std::vector<double> metrics = {1.0, 2.0, 3.0, 0.5, 4.0};
  const std::vector<double> expected = {0.55, 0.5, 0.25, 0.25, 0.125};
  for (size_t i = 0; i < metrics.size(); ++i) {
    warmup.step();
    plateau.step(metrics[i]);
    EXPECT_NEAR(sgd.lr(0), expected[i], 1e-15) << "epoch " << i + 1;
  }
}

TEST(SchedChain, CosineAndMultiplicativeCarryAHandChangeOn) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  optim::CosineAnnealingLR cosine(sgd, 10, 0.01);
  const std::vector<double> expected = {0.9757729755661011,  0.905463412215599,   0.7959536998847743,
                                        0.16664160412886023, 0.12966353744983747, 0.09268547077081474};
  for (size_t e = 1; e <= expected.size(); ++e) {
    if (e == 4) sgd.set_lr(0, 0.2);
    cosine.step();
    EXPECT_NEAR(sgd.lr(0), expected[e - 1], 1e-14) << "epoch " << e;
  }
  Tensor b = param();
  optim::SGD other({b}, {.lr = 1.0});
  optim::MultiplicativeLR multiplicative(other, [](int64_t) { return 0.9; });
  multiplicative.step();
  other.set_lr(0, 0.5);
  multiplicative.step();
  multiplicative.step();
  EXPECT_NEAR(other.lr(0), 0.405, 1e-15);
}

TEST(SchedChain, SequentialRebasesWithinAPartAndRestartsAtAMilestone) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  auto linear = std::make_shared<optim::LinearLR>(sgd, 0.5, 1.0, 4);
  auto exponential = std::make_shared<optim::ExponentialLR>(sgd, 0.5);
  optim::SequentialLR sequential(sgd, {linear, exponential}, {3});
  const std::vector<double> expected = {0.625, 0.75, 1.0, 0.5, 0.05, 0.025};
  for (size_t e = 1; e <= expected.size(); ++e) {
    if (e == 5) sgd.set_lr(0, 0.1);
    sequential.step();
    EXPECT_NEAR(sgd.lr(0), expected[e - 1], 1e-15) << "epoch " << e;
  }
}

TEST(SchedChain, NonChainableSchedulesAndJumpsOverwrite) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  optim::LambdaLR lambda(sgd, [](int64_t e) { return 1.0 / static_cast<double>(e + 1); });
  sgd.set_lr(0, 5.0);
  lambda.step();
  EXPECT_EQ(sgd.lr(0), 0.5);  // torch 1.13: 0.5, the hand change overwritten
  EXPECT_EQ(lambda.base_lrs()[0], 1.0);
  // step_to is PyTorch's closed-form step(epoch): from the base, whatever the lr now.
  Tensor b = param();
  optim::SGD other({b}, {.lr = 1.0});
  optim::StepLR step(other, 1, 0.5);
  other.set_lr(0, 0.3);
  step.step_to(2);
  EXPECT_EQ(other.lr(0), 0.25);
  EXPECT_EQ(step.base_lrs()[0], 1.0);
  // A rebased base is what state_dict saves, so a resumed scheduler goes on from it.
  other.set_lr(0, 0.1);
  step.step();
  EXPECT_NEAR(other.lr(0), 0.05, 1e-15);
  Tensor c = param();
  optim::SGD resumed({c}, {.lr = 1.0});
  optim::StepLR again(resumed, 1, 0.5);
  again.load_state_dict(step.state_dict());
  EXPECT_NEAR(resumed.lr(0), 0.05, 1e-15);
  again.step();
  EXPECT_NEAR(resumed.lr(0), 0.025, 1e-15);
}

TEST(SchedChain, ChainedSchedulerAndSwalrCarryAChangeOn) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  optim::ChainedScheduler chained(
      {std::make_shared<optim::ExponentialLR>(sgd, 0.9), std::make_shared<optim::StepLR>(sgd, 2, 0.5)});
  const std::vector<double> expected = {0.9, 0.405, 0.18, 0.081, 0.0729};
  for (size_t e = 1; e <= expected.size(); ++e) {
    if (e == 3) sgd.set_lr(0, 0.2);
    chained.step();
    EXPECT_NEAR(sgd.lr(0), expected[e - 1], 1e-15) << "epoch " << e;
  }
  // PyTorch's SWA recipe: a cosine first, then SWALR anneals from wherever it left the lr.
  Tensor b = param();
  optim::SGD other({b}, {.lr = 1.0});
  optim::CosineAnnealingLR cosine(other, 10);
  optim::swa_utils::SWALR swa(other, 0.05, 2);
  for (int i = 0; i < 5; ++i) cosine.step();
  EXPECT_NEAR(other.lr(0), 0.5, 1e-15);
  const std::vector<double> annealed = {0.275, 0.05, 0.05};
  for (double lr : annealed) {
    swa.step();
    EXPECT_NEAR(other.lr(0), lr, 1e-15);
  }
}

// PyTorch's load_state_dict leaves the lr alone: an optimizer state loaded first keeps the
// lr ReduceLROnPlateau cut, and the resumed schedule carries it on (torch 1.13: 0.1).
TEST(SchedChain, AResumeKeepsTheLoadedOptimizersLr) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 1.0});
  optim::StepLR step(sgd, 10);
  optim::ReduceLROnPlateau plateau(sgd, "min", 0.1, 0);
  for (double metric : {1.0, 2.0}) {
    step.step();
    plateau.step(metric);
  }
  ASSERT_NEAR(sgd.lr(0), 0.1, 1e-15);
  const optim::StateDict optimizer_state = sgd.state_dict(), scheduler_state = step.state_dict();
  Tensor b = param();
  optim::SGD resumed({b}, {.lr = 1.0});
  optim::StepLR resumed_step(resumed, 10);
  resumed.load_state_dict(optimizer_state);
  resumed_step.load_state_dict(scheduler_state);
  EXPECT_NEAR(resumed.lr(0), 0.1, 1e-15);
  resumed_step.step();
  EXPECT_NEAR(resumed.lr(0), 0.1, 1e-15);
  // A cosine pushed under eta_min rebases below 0; its state still loads (torch 1.13's lrs).
  Tensor c = param(), d = param();
  optim::SGD small({c}, {.lr = 0.1});
  optim::CosineAnnealingLR cosine(small, 10, 0.01);
  for (int i = 0; i < 8; ++i) cosine.step();
  small.set_lr(0, 0.001);
  cosine.step();
  EXPECT_NEAR(small.lr(0), 0.007693557330391936, 1e-15);
  EXPECT_LT(cosine.base_lrs()[0], 0.0);
  optim::SGD again({d}, {.lr = 0.1});
  optim::CosineAnnealingLR restored(again, 10, 0.01);
  restored.load_state_dict(cosine.state_dict());
  EXPECT_NEAR(again.lr(0), 0.007693557330391936, 1e-15);
  restored.step();
  EXPECT_NEAR(again.lr(0), 0.01, 1e-15);
  // The lr itself may go below 0 from such a base (torch 1.13 too); the state still loads.
  Tensor e = param(), f = param();
  optim::SGD below({e}, {.lr = 0.5});
  optim::CosineAnnealingLR falling(below, 10, 0.1);
  falling.step_to(15);
  below.set_lr(0, 0.01);
  falling.step();
  EXPECT_NEAR(below.lr(0), -0.017811529493745273, 1e-15);
  optim::SGD reloaded({f}, {.lr = 0.5});
  optim::CosineAnnealingLR reloaded_cosine(reloaded, 10, 0.1);
  EXPECT_NO_THROW(reloaded_cosine.load_state_dict(falling.state_dict()));
  EXPECT_EQ(reloaded.lr(0), below.lr(0));
}

}  // namespace
}  // namespace ember
