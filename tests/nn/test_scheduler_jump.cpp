// LRScheduler::step_to (Note [Schedules jump, never replay]): for every schedule the
// jump to epoch k gives, bit for bit, the lr and momentum of k step() calls; a jump to
// k = 10^9 is a closed form (a step-by-step replay would not finish); bad k refused.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "nn/optim/scheduler.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"

namespace ember {
namespace {

Tensor param() { return zeros({2}, TensorOptions(kFloat64).requires_grad(true)); }

using MakeScheduler = std::function<std::unique_ptr<optim::LRScheduler>(optim::SGD&)>;

// Two groups with their own base lr, momentum cycled where the schedule does.
std::unique_ptr<optim::SGD> make_sgd() {
  auto sgd = std::make_unique<optim::SGD>(std::vector<Tensor>{param()},
                                          optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
  sgd->add_param_group({param()}, {.lr = 0.7, .momentum = 0.5});
  return sgd;
}

void expect_jump_equals_steps(const MakeScheduler& make, int64_t epochs) {
  auto stepped_sgd = make_sgd();
  auto stepped = make(*stepped_sgd);
  for (int64_t k = 0; k <= epochs; ++k) {
    SCOPED_TRACE("epoch " + std::to_string(k));
    if (k > 0) stepped->step();
    auto jumped_sgd = make_sgd();
    auto jumped = make(*jumped_sgd);
    jumped->step_to(k);
    EXPECT_EQ(jumped->last_epoch(), k);
    ASSERT_EQ(jumped->get_last_lr(), stepped->get_last_lr());
    for (size_t g = 0; g < 2; ++g) {
      EXPECT_EQ(jumped_sgd->lr(g), stepped_sgd->lr(g));
      EXPECT_EQ(jumped_sgd->options(g).momentum, stepped_sgd->options(g).momentum);
    }
    // Stepping on from a jump continues the same sequence.
    if (k < epochs) {
      jumped->step();
      auto next_sgd = make_sgd();
      auto next = make(*next_sgd);
      next->step_to(k + 1);
      EXPECT_EQ(jumped->get_last_lr(), next->get_last_lr());
    }
  }
}

TEST(SchedJump, StepLREqualsIteratedSteps) {
  expect_jump_equals_steps([](optim::SGD& o) { return std::make_unique<optim::StepLR>(o, 3, 0.5); }, 20);
}

TEST(SchedJump, CosineEqualsIteratedSteps) {
  expect_jump_equals_steps([](optim::SGD& o) { return std::make_unique<optim::CosineAnnealingLR>(o, 7, 0.01); }, 20);
}

TEST(SchedJump, OneCycleEqualsIteratedStepsMomentumIncluded) {
  expect_jump_equals_steps([](optim::SGD& o) { return std::make_unique<optim::OneCycleLR>(o, 1.0, 17); }, 17);
}

TEST(SchedJump, AJumpToABillionIsAClosedForm) {
  constexpr int64_t kBillion = 1000000000;
  auto sgd = make_sgd();
  optim::StepLR step_lr(*sgd, kBillion / 2, 0.5);
  step_lr.step_to(kBillion);  // two decays
  EXPECT_DOUBLE_EQ(sgd->lr(0), 0.025);
  optim::CosineAnnealingLR cosine(*sgd, 2 * kBillion);
  cosine.step_to(kBillion);  // halfway down: base / 2, base the group's initial_lr (PyTorch's)
  EXPECT_NEAR(sgd->lr(1), 0.7 / 2, 1e-12);
  auto other = make_sgd();
  optim::OneCycleLR one_cycle(*other, 1.0, 2 * kBillion);
  one_cycle.step_to(2 * kBillion - 1);  // the end of the cycle: max_lr / 25 / 1e4
  EXPECT_NEAR(other->lr(0), 4e-6, 1e-15);
  EXPECT_NEAR(other->options(0).momentum, 0.95, 1e-12);
}

TEST(SchedJump, BadEpochsAreRefusedAndChangeNothing) {
  auto sgd = make_sgd();
  optim::OneCycleLR one_cycle(*sgd, 1.0, 10);
  one_cycle.step_to(4);
  const double lr = sgd->lr(0);
  EXPECT_EMBER_ERROR(one_cycle.step_to(-1), "expected an epoch >= 0, but got -1");
  EXPECT_EMBER_ERROR(one_cycle.step_to(11), "Tried to step 11 times. The specified number of total steps is 10");
  EXPECT_EQ(sgd->lr(0), lr);
  EXPECT_EQ(one_cycle.last_epoch(), 4);
}

}  // namespace
}  // namespace ember
