// Chainable schedules (Note [Chainable schedules] in nn/optim/scheduler.h): two schedulers on
// one optimizer, an lr set by hand or by ReduceLROnPlateau, carried on as PyTorch 1.13's
// chainable forms do; the non-chainable ones overwrite; step_to never rebases.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

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

// A second scheduler made after a warm-up's first lr starts from that lr, as PyTorch's
// _initial_step reads group["lr"] (it used to set the initial lr back, and the warm-up then
// rebased on it: every lr 1 / start_factor times PyTorch's). Values from a line-by-line
// float64 port of PyTorch 2's lr_scheduler.py.
TEST(SchedChain, ASchedulerMadeAfterAWarmUpStartsFromItsLr) {
  const auto run = [](auto make_first, auto make_second, const std::vector<double>& expected) {
    Tensor a = param();
    optim::SGD sgd({a}, {.lr = 0.1});
    auto first = make_first(sgd);
    auto second = make_second(sgd);
    EXPECT_NEAR(sgd.lr(0), expected[0], 1e-15);
    for (size_t e = 1; e < expected.size(); ++e) {
      first->step();
      second->step();
      EXPECT_NEAR(sgd.lr(0), expected[e], 1e-15) << "epoch " << e;
    }
  };
  run([](optim::SGD& o) { return std::make_unique<optim::LinearLR>(o, 0.1, 1.0, 5); },
      [](optim::SGD& o) { return std::make_unique<optim::ExponentialLR>(o, 0.9); },
      {0.010000000000000002, 0.025200000000000004, 0.03726000000000001, 0.04665600000000001, 0.05380020000000001,
       0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024});
  run([](optim::SGD& o) { return std::make_unique<optim::LinearLR>(o, 0.1, 1.0, 3); },
      [](optim::SGD& o) { return std::make_unique<optim::CosineAnnealingLR>(o, 12); },
      {0.010000000000000002, 0.03931851652578137, 0.06531088913245536, 0.08535533905932738, 0.07500000000000001,
       0.06294095225512605, 0.05000000000000001, 0.03705904774487397, 0.025000000000000015});
  run([](optim::SGD& o) { return std::make_unique<optim::ConstantLR>(o, 0.5, 4); },
      [](optim::SGD& o) { return std::make_unique<optim::StepLR>(o, 3, 0.5); },
      {0.05, 0.05, 0.05, 0.025, 0.05, 0.05, 0.025, 0.025, 0.025});
}

// Made after optimizer.load_state_dict (without a scheduler state), a chainable schedule
// goes on from the loaded lr; LambdaLR, which overwrites, starts from the initial lr.
TEST(SchedChain, ASchedulerMadeAfterALoadedOptimizerKeepsItsLr) {
  Tensor a = param();
  optim::SGD trained({a}, {.lr = 0.1});
  optim::ExponentialLR decay(trained, 0.5);
  decay.step();
  decay.step();  // lr 0.025
  optim::SGD resumed({a}, {.lr = 0.1});
  resumed.load_state_dict(trained.state_dict());
  optim::ExponentialLR again(resumed, 0.5);
  EXPECT_NEAR(resumed.lr(0), 0.025, 1e-15);
  again.step();
  EXPECT_NEAR(resumed.lr(0), 0.0125, 1e-15);
  optim::LambdaLR lambda(resumed, [](int64_t epoch) { return 1.0 / static_cast<double>(epoch + 1); });
  EXPECT_NEAR(resumed.lr(0), 0.1, 1e-15);  // base_lr (the initial lr) * lambda(0)
}

// The composites take PyTorch's bases whatever their parts started from: SequentialLR the
// groups' initial_lr (its "reset learning rates back to initial values"), ChainedScheduler
// the lr its parts left. Values from the same float64 port of lr_scheduler.py.
TEST(SchedChain, CompositesStartWherePyTorchsDo) {
  const auto expect_lrs = [](optim::SGD& sgd, optim::LRScheduler& s, const std::vector<double>& expected) {
    EXPECT_NEAR(sgd.lr(0), expected[0], 1e-15);
    for (size_t e = 1; e < expected.size(); ++e) {
      s.step();
      EXPECT_NEAR(sgd.lr(0), expected[e], 1e-15) << "epoch " << e;
    }
  };
  Tensor a = param();
  optim::SGD trained({a}, {.lr = 0.1});
  optim::ExponentialLR decay(trained, 0.5);
  decay.step();
  decay.step();
  optim::SGD resumed({a}, {.lr = 0.1});
  resumed.load_state_dict(trained.state_dict());  // lr 0.025, initial_lr 0.1
  auto warm = std::make_shared<optim::LinearLR>(resumed, 0.1, 1.0, 5);
  auto cosine = std::make_shared<optim::CosineAnnealingLR>(resumed, 10);
  optim::SequentialLR warm_then_cosine(resumed, {warm, cosine}, {5});
  expect_lrs(
      resumed, warm_then_cosine,
      {0.010000000000000002, 0.028000000000000004, 0.046000000000000006, 0.064, 0.082, 0.1, 0.09755282581475769});

  // the parts made in another order than the composite lists them
  optim::SGD chained_sgd({a}, {.lr = 0.1});
  auto linear = std::make_shared<optim::LinearLR>(chained_sgd, 0.1, 1.0, 5);
  auto exponential = std::make_shared<optim::ExponentialLR>(chained_sgd, 0.9);
  optim::ChainedScheduler chained({exponential, linear});
  expect_lrs(
      chained_sgd, chained,
      {0.010000000000000002, 0.025200000000000007, 0.03726000000000001, 0.04665600000000001, 0.05380020000000001});
  optim::SGD sequential_sgd({a}, {.lr = 0.1});
  auto linear2 = std::make_shared<optim::LinearLR>(sequential_sgd, 0.1, 1.0, 5);
  auto exponential2 = std::make_shared<optim::ExponentialLR>(sequential_sgd, 0.9);
  optim::SequentialLR sequential(sequential_sgd, {exponential2, linear2}, {3});
  expect_lrs(sequential_sgd, sequential,
             {0.1, 0.09000000000000001, 0.08100000000000002, 0.010000000000000002, 0.028000000000000004,
              0.046000000000000006});
}

// PyTorch's StepLR multiplies group["lr"] by gamma at each multiple of step_size: with gamma
// 0 an lr set by hand goes to 0 there (only LinearLR and PolynomialLR hold past their end).
TEST(SchedChain, StepLRWithGammaZeroDoesNotHold) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  optim::StepLR step(sgd, 2, 0.0);
  const std::vector<double> expected = {0.1, 0.1, 0.0, 0.01, 0.0, 0.0};
  for (size_t e = 1; e < expected.size(); ++e) {
    if (e == 3) sgd.set_lr(0, 0.01);
    step.step();
    EXPECT_NEAR(sgd.lr(0), expected[e], 1e-15) << "epoch " << e;
  }
}

// PolynomialLR past total_iters returns group["lr"] in PyTorch: an lr set by hand then stays.
TEST(SchedChain, PolynomialLRPastItsEndKeepsAnLrSetByHand) {
  Tensor a = param();
  optim::SGD sgd({a}, {.lr = 0.1});
  optim::PolynomialLR poly(sgd, 5, 1.0);
  const std::vector<double> expected = {0.1, 0.08, 0.06, 0.04, 0.02, 0.0, 0.0, 0.01, 0.01, 0.01};
  for (size_t e = 1; e < expected.size(); ++e) {
    if (e == 7) sgd.set_lr(0, 0.01);
    poly.step();
    EXPECT_NEAR(sgd.lr(0), expected[e], 1e-15) << "epoch " << e;
  }
  poly.step_to(9);  // the closed form, as PyTorch's step(epoch)
  EXPECT_EQ(sgd.lr(0), 0.0);
}

}  // namespace
}  // namespace ember
