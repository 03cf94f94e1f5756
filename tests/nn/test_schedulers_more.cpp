// The schedulers beyond StepLR/cosine/OneCycleLR: every lr of 30 steps against PyTorch
// 1.13 (scheduler_torch_values.h, two groups), step_to(k) against k steps bit for bit,
// state_dict round trips, ReduceLROnPlateau's scripted metrics, bad arguments, and the
// capturable path (the lr a schedule writes reaches the device-resident copy).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/plateau.h"
#include "nn/optim/scheduler.h"
#include "nn/optim/scheduler_compose.h"
#include "nn/optim/scheduler_cyclic.h"
#include "nn/optim/scheduler_factor.h"
#include "nn/optim/sgd.h"
#include "scheduler_torch_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

using namespace torch_values;
using optim::LrLambda;

Tensor param() { return zeros({2}, TensorOptions(kFloat64).requires_grad(true)); }

// Two groups, lrs 0.1 and 0.7 (the generator's).
std::unique_ptr<optim::SGD> make_sgd(bool capturable = false) {
  auto sgd = std::make_unique<optim::SGD>(std::vector<Tensor>{param()},
                                          optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .capturable = capturable});
  sgd->add_param_group({param()}, {.lr = 0.7, .momentum = 0.9, .capturable = capturable});
  return sgd;
}

using Make = std::function<std::shared_ptr<optim::LRScheduler>(optim::SGD&)>;

void expect_close(double got, double want, const std::string& where) {
  EXPECT_LE(std::abs(got - want), 1e-12 * std::abs(want) + 1e-300) << where << ": got " << got << ", want " << want;
}

// The lr of both groups after construction and each step, against PyTorch's.
void expect_torch(const Make& make, const Seqs& want) {
  auto sgd = make_sgd();
  auto sched = make(*sgd);
  for (size_t k = 0; k < want[0].size(); ++k) {
    if (k > 0) sched->step();
    for (size_t g = 0; g < 2; ++g) {
      expect_close(sgd->lr(g), want[g][k], "group " + std::to_string(g) + " epoch " + std::to_string(k));
      EXPECT_EQ(sched->get_last_lr()[g], sgd->lr(g));
    }
  }
}

// step_to(k) on a fresh scheduler = k steps, bit for bit; stepping on from a jump
// continues the sequence; a state_dict saved at k resumes it on a fresh optimizer.
void expect_jump_and_resume(const Make& make, int64_t epochs = 30) {
  auto stepped_sgd = make_sgd();
  auto stepped = make(*stepped_sgd);
  std::vector<std::vector<double>> lrs{stepped->get_last_lr()};
  for (int64_t k = 1; k <= epochs; ++k) {
    stepped->step();
    lrs.push_back(stepped->get_last_lr());
  }
  for (int64_t k = 0; k <= epochs; ++k) {
    SCOPED_TRACE("epoch " + std::to_string(k));
    auto sgd = make_sgd();
    auto jumped = make(*sgd);
    jumped->step_to(k);
    ASSERT_EQ(jumped->get_last_lr(), lrs[k]);
    EXPECT_EQ(sgd->lr(1), lrs[k][1]);
    const optim::StateDict saved = jumped->state_dict();
    if (k < epochs) {
      jumped->step();
      EXPECT_EQ(jumped->get_last_lr(), lrs[k + 1]);
    }
    auto fresh_sgd = make_sgd();
    auto resumed = make(*fresh_sgd);
    resumed->load_state_dict(saved);
    EXPECT_EQ(resumed->last_epoch(), k);
    EXPECT_EQ(resumed->get_last_lr(), lrs[k]);
    for (int64_t j = k + 1; j <= std::min(epochs, k + 3); ++j) {
      resumed->step();
      EXPECT_EQ(resumed->get_last_lr(), lrs[j]) << "resumed at " << k << ", epoch " << j;
    }
  }
  // Backwards too (MultiplicativeLR recomputes from epoch 0).
  auto sgd = make_sgd();
  auto back = make(*sgd);
  back->step_to(epochs);
  back->step_to(epochs / 2);
  EXPECT_EQ(back->get_last_lr(), lrs[epochs / 2]);
}

// CyclicLR's keyword arguments in the generator.
const optim::CyclicLROptions kCyclicTriangularOptions{.step_size_up = 4};
const optim::CyclicLROptions kCyclicTriangular2Options{.step_size_up = 3,
                                                       .step_size_down = 5,
                                                       .mode = "triangular2",
                                                       .base_momentum = optim::PerGroup{0.8, 0.85},
                                                       .max_momentum = optim::PerGroup{0.9, 0.95}};
const optim::CyclicLROptions kCyclicExpRangeOptions{
    .step_size_up = 5, .mode = "exp_range", .gamma = 0.9, .cycle_momentum = false};
const optim::CyclicLROptions kCyclicCustomOptions{.step_size_up = 2,
                                                  .step_size_down = 4,
                                                  .scale_fn = [](double x) { return std::pow(0.5, x); },
                                                  .scale_mode = "iterations"};

// Each scheduler of the generator, as the generator made it.
struct Case {
  const char* name;
  Make make;
  const Seqs* want;
};

template <typename S, typename... Args>
Make make(Args... args) {
  return [=](optim::SGD& o) { return std::make_shared<S>(o, args...); };
}

std::vector<Case> cases() {
  const LrLambda alternate = [](int64_t e) { return e % 2 ? 0.95 : 1.01; };
  return {
      {"MultiStepLR", make<optim::MultiStepLR>(std::vector<int64_t>{8, 3, 3, 20}, 0.5), &kMultiStep},
      {"ExponentialLR", make<optim::ExponentialLR>(0.9), &kExponential},
      {"ConstantLR", make<optim::ConstantLR>(0.25, int64_t{7}), &kConstant},
      {"ConstantLRDefaults", make<optim::ConstantLR>(), &kConstantDefaults},
      {"LinearLR", make<optim::LinearLR>(0.2, 0.9, int64_t{11}), &kLinear},
      {"LinearLRDefaults", make<optim::LinearLR>(), &kLinearDefaults},
      {"LinearLRDown", make<optim::LinearLR>(1.0, 0.1, int64_t{20}), &kLinearDown},
      {"PolynomialLR", make<optim::PolynomialLR>(int64_t{12}, 2.0), &kPolynomial},
      {"PolynomialLRDefaults", make<optim::PolynomialLR>(), &kPolynomialDefaults},
      {"PolynomialLRSqrt", make<optim::PolynomialLR>(int64_t{25}, 0.5), &kPolynomialSqrt},
      {"LambdaLRPerGroup",
       make<optim::LambdaLR>(std::vector<LrLambda>{[](int64_t e) { return std::pow(0.95, static_cast<double>(e)); },
                                                   [](int64_t e) { return 1.0 / (1.0 + static_cast<double>(e)); }}),
       &kLambdaPerGroup},
      {"LambdaLRShared",
       make<optim::LambdaLR>(LrLambda([](int64_t e) { return std::min(1.0, static_cast<double>(e + 1) / 5.0); })),
       &kLambdaShared},
      {"MultiplicativeLR", make<optim::MultiplicativeLR>(alternate), &kMultiplicative},
      {"MultiplicativeLRPerGroup",
       make<optim::MultiplicativeLR>(std::vector<LrLambda>{
           [](int64_t) { return 0.9; }, [](int64_t e) { return 1.0 - 0.01 * static_cast<double>(e); }}),
       &kMultiplicativePerGroup},
      {"CosineAnnealingWarmRestarts", make<optim::CosineAnnealingWarmRestarts>(int64_t{5}, int64_t{1}, 0.01),
       &kWarmRestarts},
      {"CosineAnnealingWarmRestartsMult", make<optim::CosineAnnealingWarmRestarts>(int64_t{3}, int64_t{2}),
       &kWarmRestartsMult},
      {"CosineAnnealingWarmRestartsMult3", make<optim::CosineAnnealingWarmRestarts>(int64_t{2}, int64_t{3}, 0.001),
       &kWarmRestartsMult3},
      {"SequentialLR",
       [](optim::SGD& o) {
         auto warm = std::make_shared<optim::LinearLR>(o, 0.1, 1.0, 5);
         auto decay = std::make_shared<optim::ExponentialLR>(o, 0.9);
         auto cosine = std::make_shared<optim::CosineAnnealingLR>(o, 8, 0.001);
         return std::make_shared<optim::SequentialLR>(
             o, std::vector<std::shared_ptr<optim::LRScheduler>>{warm, decay, cosine}, std::vector<int64_t>{5, 15});
       },
       &kSequential},
      {"SequentialLRSteps",
       [](optim::SGD& o) {
         return std::make_shared<optim::SequentialLR>(
             o,
             std::vector<std::shared_ptr<optim::LRScheduler>>{
                 std::make_shared<optim::ConstantLR>(o, 0.5, 3),
                 std::make_shared<optim::MultiStepLR>(o, std::vector<int64_t>{2, 6}, 0.3)},
             std::vector<int64_t>{4});
       },
       &kSequentialStep},
      {"ChainedScheduler",
       [](optim::SGD& o) {
         return std::make_shared<optim::ChainedScheduler>(std::vector<std::shared_ptr<optim::LRScheduler>>{
             std::make_shared<optim::ConstantLR>(o, 0.1, 2), std::make_shared<optim::ExponentialLR>(o, 0.9)});
       },
       &kChained},
      {"ChainedSchedulerThree",
       [](optim::SGD& o) {
         return std::make_shared<optim::ChainedScheduler>(std::vector<std::shared_ptr<optim::LRScheduler>>{
             std::make_shared<optim::LinearLR>(o, 0.5, 1.0, 4),
             std::make_shared<optim::MultiStepLR>(o, std::vector<int64_t>{5, 12}, 0.5),
             std::make_shared<optim::MultiplicativeLR>(o, LrLambda([](int64_t) { return 0.98; }))});
       },
       &kChainedThree},
      {"CyclicLR", make<optim::CyclicLR>(optim::PerGroup(0.01), optim::PerGroup(0.1), kCyclicTriangularOptions),
       &kCyclicTriangular},
      {"CyclicLRTriangular2", make<optim::CyclicLR>(optim::PerGroup{0.01, 0.02}, optim::PerGroup{0.1, 0.3},
                                                    kCyclicTriangular2Options),
       &kCyclicTriangular2},
      {"CyclicLRExpRange", make<optim::CyclicLR>(optim::PerGroup(0.01), optim::PerGroup(0.1), kCyclicExpRangeOptions),
       &kCyclicExpRange},
      {"CyclicLRCustom", make<optim::CyclicLR>(optim::PerGroup(0.01), optim::PerGroup(0.1), kCyclicCustomOptions),
       &kCyclicCustom},
  };
}

// CyclicLR cycles the momentum against the lr: max_momentum at base_lr, as PyTorch.
TEST(SchedCyclicLR, MomentumMatchesPyTorch113) {
  struct Run {
    optim::PerGroup base_lr, max_lr;
    optim::CyclicLROptions options;
    const Seqs* want;
  };
  const std::vector<Run> runs = {
      {0.01, 0.1, kCyclicTriangularOptions, &kCyclicTriangularMomentum},
      {{0.01, 0.02}, {0.1, 0.3}, kCyclicTriangular2Options, &kCyclicTriangular2Momentum},
      {0.01, 0.1, kCyclicExpRangeOptions, &kCyclicExpRangeMomentum},  // cycle_momentum false: 0.9 throughout
      {0.01, 0.1, kCyclicCustomOptions, &kCyclicCustomMomentum}};
  for (const auto& [base_lr, max_lr, options, want] : runs) {
    auto sgd = make_sgd();
    optim::CyclicLR sched(*sgd, base_lr, max_lr, options);
    for (size_t k = 0; k < (*want)[0].size(); ++k) {
      if (k > 0) sched.step();
      for (size_t g = 0; g < 2; ++g)
        expect_close(*sgd->momentum(g), (*want)[g][k], "group " + std::to_string(g) + " step " + std::to_string(k));
    }
  }
}

// Adam's beta1 cycles as SGD's momentum does (PyTorch 2); an optimizer with neither is
// refused unless cycle_momentum is off; a group added later keeps its own lr.
TEST(SchedCyclicLR, Beta1AndOptimizersWithoutMomentum) {
  optim::Adam adam({param()}, optim::AdamOptions{.lr = 1.0});
  optim::CyclicLR on_adam(adam, 0.001, 0.01, {.step_size_up = 2});
  EXPECT_DOUBLE_EQ(adam.lr(0), 0.001);
  EXPECT_DOUBLE_EQ(*adam.momentum(0), 0.9);
  on_adam.step();
  EXPECT_DOUBLE_EQ(adam.lr(0), 0.0055);
  EXPECT_DOUBLE_EQ(*adam.momentum(0), 0.85);
  optim::Adagrad adagrad({param()});
  EXPECT_EMBER_ERROR(optim::CyclicLR(adagrad, 0.001, 0.01),
                     "optimizer must support momentum or beta1 with `cycle_momentum` option enabled");
  optim::CyclicLR no_momentum(adagrad, 0.001, 0.01, {.step_size_up = 2, .cycle_momentum = false});
  no_momentum.step();
  EXPECT_DOUBLE_EQ(adagrad.lr(0), 0.0055);
  auto sgd = make_sgd();
  optim::CyclicLR sched(*sgd, 0.01, 0.1, {.step_size_up = 4});
  sgd->add_param_group({param()}, {.lr = 0.3, .momentum = 0.5});
  sched.step();
  EXPECT_DOUBLE_EQ(sgd->lr(2), 0.3);
  EXPECT_DOUBLE_EQ(*sgd->momentum(2), 0.5);
  EXPECT_DOUBLE_EQ(sgd->lr(0), 0.0325);
}

TEST(SchedCyclicLR, BadArgumentsAreClearErrors) {
  auto sgd = make_sgd();
  EXPECT_EMBER_ERROR(
      optim::CyclicLR(*sgd, optim::PerGroup{0.01}, 0.1),
      "base_lr must have the same length as optimizer.param_groups. base_lr has 1 values, param_groups has 2.");
  EXPECT_EMBER_ERROR(
      optim::CyclicLR(*sgd, 0.01, optim::PerGroup{0.1, 0.2, 0.3}),
      "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, param_groups has 2.");
  EXPECT_EMBER_ERROR(optim::CyclicLR(*sgd, 0.01, 0.1, {.base_momentum = optim::PerGroup{0.8}}),
                     "base_momentum must have the same length as optimizer.param_groups. base_momentum has 1 values, "
                     "param_groups has 2.");
  EXPECT_EMBER_ERROR(optim::CyclicLR(*sgd, 0.01, 0.1, {.mode = "triangle"}), "mode is invalid and scale_fn is None");
  EXPECT_EMBER_ERROR(optim::CyclicLR(*sgd, 0.01, 0.1, {.step_size_up = 0}),
                     "CyclicLR: expected a positive step_size_up, but got 0");
  EXPECT_EMBER_ERROR(optim::CyclicLR(*sgd, 0.01, 0.1, {.step_size_down = -1.0}),
                     "CyclicLR: expected a step_size_down >= 0, but got -1");
  EXPECT_EMBER_ERROR(
      optim::CyclicLR(*sgd, 0.01, 0.1, {.scale_fn = [](double) { return 1.0; }, .scale_mode = "epochs"}),
      "CyclicLR: expected scale_mode 'cycle' or 'iterations', but got 'epochs'");
  EXPECT_EMBER_ERROR(optim::CyclicLR(*sgd, 0.01, std::numeric_limits<double>::infinity()),
                     "CyclicLR: expected finite learning rates, but got base_lr 0.01 and max_lr inf for group 0");
  EXPECT_DOUBLE_EQ(sgd->lr(0), 0.1);  // a refused schedule changed nothing
}

TEST(SchedMoreTorch, EveryScheduleMatchesPyTorch113) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    expect_torch(c.make, *c.want);
  }
}

TEST(SchedMoreJump, StepToEqualsStepsAndStateDictsResume) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    expect_jump_and_resume(c.make);
  }
}

// Note [Schedules jump, never replay]: closed forms at a huge epoch; MultiplicativeLR
// calls its lambda once per new epoch, and a loaded state needs no call at all.
TEST(SchedMoreJump, HugeEpochsAndMultiplicativeLambdaCalls) {
  constexpr int64_t kHuge = 1000000000000000000;  // 1e18
  auto sgd = make_sgd();
  optim::CosineAnnealingWarmRestarts restarts(*sgd, 3, 2);
  restarts.step_to(kHuge);  // O(log k) cycles
  // Cycles of 3 * 2^i start at 3 * (2^i - 1): 1e18 is in the cycle of 3 * 2^58.
  const int64_t start = 3 * ((int64_t{1} << 58) - 1), length = 3 * (int64_t{1} << 58);
  const double pct = static_cast<double>(kHuge - start) / static_cast<double>(length);
  EXPECT_NEAR(sgd->lr(0), 0.05 * (1 + std::cos(std::numbers::pi * pct)), 1e-15);
  restarts.step_to(std::numeric_limits<int64_t>::max());  // the last cycle overflows int64: still a value
  EXPECT_TRUE(std::isfinite(sgd->lr(0)));
  optim::ExponentialLR exponential(*sgd, 0.5);
  exponential.step_to(kHuge);
  EXPECT_EQ(sgd->lr(0), 0.0);  // underflows, finite

  auto other = make_sgd();
  int calls = 0;
  optim::MultiplicativeLR mult(*other, [&calls](int64_t) {
    ++calls;
    return 0.99;
  });
  EXPECT_EQ(calls, 0);  // epoch 0: factor 1
  for (int i = 0; i < 10; ++i) mult.step();
  EXPECT_EQ(calls, 20);  // one call per group per step
  mult.step_to(12);
  EXPECT_EQ(calls, 24);
  mult.step_to(5);  // back: from epoch 0
  EXPECT_EQ(calls, 34);
  const optim::StateDict saved = mult.state_dict();
  ASSERT_EQ(saved.size(), 5u);  // last_epoch, base_lrs, _last_lr, then its own
  EXPECT_EQ(saved[3].first, "running_epochs");
  EXPECT_EQ(saved[4].first, "running_factors");
  auto fresh = make_sgd();
  optim::MultiplicativeLR resumed(*fresh, [&calls](int64_t) {
    ++calls;
    return 0.99;
  });
  resumed.load_state_dict(saved);
  EXPECT_EQ(calls, 34);  // no replay
  EXPECT_EQ(resumed.get_last_lr(), mult.get_last_lr());
  resumed.step();
  mult.step();
  EXPECT_EQ(resumed.get_last_lr(), mult.get_last_lr());
}

TEST(SchedMoreStateDict, BadEntriesAreRefusedAndChangeNothing) {
  auto sgd = make_sgd();
  optim::MultiplicativeLR mult(*sgd, [](int64_t) { return 0.5; });
  mult.step_to(3);
  optim::StateDict saved = mult.state_dict();
  const double lr = sgd->lr(0);
  auto without = [&](const std::string& key) {
    optim::StateDict out;
    for (const auto& entry : saved)
      if (entry.first != key) out.push_back(entry);
    return out;
  };
  EXPECT_EMBER_ERROR(mult.load_state_dict(without("running_factors")),
                     "expected keys running_epochs and running_factors");
  optim::StateDict bad = without("running_factors");
  bad.emplace_back("running_factors", tensor(std::vector<double>{0.5, std::nan("")}, kFloat64));
  EXPECT_EMBER_ERROR(mult.load_state_dict(bad), "running_factors must be finite, but got nan");
  bad = without("running_epochs");
  bad.emplace_back("running_epochs", tensor(std::vector<int64_t>{1, -2}, kInt64));
  EXPECT_EMBER_ERROR(mult.load_state_dict(bad), "running_epochs must be >= 0, but got -2");
  bad = without("running_epochs");
  bad.emplace_back("running_epochs", tensor(std::vector<double>{1, 2}, kFloat64));
  EXPECT_EMBER_ERROR(mult.load_state_dict(bad), "running_epochs must hold one integer per parameter group (2)");
  bad = saved;
  bad.emplace_back("extra", zeros({1}));
  EXPECT_EMBER_ERROR(mult.load_state_dict(bad), "unexpected key \"extra\"");
  EXPECT_EQ(sgd->lr(0), lr);
  EXPECT_EQ(mult.last_epoch(), 3);

  // A composite names its parts' entries; a part's bad entry is refused as the part's.
  auto other = make_sgd();
  optim::SequentialLR seq(*other,
                          {std::make_shared<optim::ExponentialLR>(*other, 0.5),
                           std::make_shared<optim::MultiplicativeLR>(*other, LrLambda([](int64_t) { return 0.5; }))},
                          {2});
  seq.step_to(4);
  const optim::StateDict state = seq.state_dict();
  ASSERT_EQ(state.size(), 5u);
  EXPECT_EQ(state[3].first, "schedulers.1.running_epochs");
  EXPECT_EQ(state[3].second.to_vector<int64_t>(), (std::vector<int64_t>{2, 2}));  // the part's own epoch
  optim::StateDict renamed = state;
  renamed[4].first = "schedulers.2.running_factors";
  EXPECT_EMBER_ERROR(seq.load_state_dict(renamed), "unexpected key \"schedulers.2.running_factors\"");
  EXPECT_EMBER_ERROR(seq.load_state_dict({state[0], state[1]}), "expected keys running_epochs and running_factors");
  // A failed jump (past OneCycleLR's end) restores the parts' running state too.
  auto third = make_sgd();
  auto running = std::make_shared<optim::MultiplicativeLR>(*third, LrLambda([](int64_t) { return 0.5; }));
  optim::SequentialLR ends(*third, {running, std::make_shared<optim::OneCycleLR>(*third, 1.0, 5, 0.3, 25.0, 1e4, false)},
                           {3});
  ends.step_to(2);
  optim::StateDict past = ends.state_dict();
  past[0].second = full({}, int64_t{100}, TensorOptions(kInt64));
  past[4].second = tensor(std::vector<double>{7.0, 7.0}, kFloat64);
  EXPECT_EMBER_ERROR(ends.load_state_dict(past), "Tried to step 97 times");
  ends.step_to(2);
  // SequentialLR starts at the groups' initial_lr, which OneCycleLR's constructor set to
  // max_lr / div_factor (PyTorch's reset to group["initial_lr"] reads the same)
  EXPECT_EQ(third->lr(0), 0.04 * 0.25);
}

using Plateau = std::function<std::unique_ptr<optim::ReduceLROnPlateau>(optim::SGD&)>;

// The lrs after each step(metric) against PyTorch's, and the counters at the end.
void expect_plateau(const Plateau& make, const Metrics& metrics, const Seqs& want, double best, int64_t bad,
                    int64_t cooldown) {
  auto sgd = make_sgd();
  auto sched = make(*sgd);
  for (size_t k = 0; k < metrics.size(); ++k) {
    sched->step(metrics[k]);
    for (size_t g = 0; g < 2; ++g) {
      expect_close(sgd->lr(g), want[g][k], "group " + std::to_string(g) + " step " + std::to_string(k));
      EXPECT_EQ(sched->get_last_lr()[g], sgd->lr(g));
    }
  }
  EXPECT_EQ(sched->best(), best);
  EXPECT_EQ(sched->num_bad_epochs(), bad);
  EXPECT_EQ(sched->cooldown_counter(), cooldown);
  EXPECT_EQ(sched->last_epoch(), static_cast<int64_t>(metrics.size()));
}

const Metrics kNanMetrics = {1.0, NAN, NAN, 0.9, NAN, NAN, NAN, 0.5, INFINITY, 0.5, NAN, NAN, NAN, NAN};

TEST(SchedPlateau, ScriptedMetricsMatchPyTorch113) {
  // Plateaus, improvements within the threshold, cooldown, the min_lr floor per group.
  expect_plateau([](optim::SGD& o) {
    return std::make_unique<optim::ReduceLROnPlateau>(o, "min", 0.5, 2, 0.1, "rel", 1,
                                                      optim::ReduceLROnPlateau::MinLr{0.01, 0.05});
  }, kMinMetrics, kPlateauMinRel, 0.5, 0, 0);
  expect_plateau([](optim::SGD& o) { return std::make_unique<optim::ReduceLROnPlateau>(o); }, kMinMetrics,
                 kPlateauDefaults, 0.5, 1, 0);
  // "max" and "abs", a scalar min_lr, and an eps that stops a reduction too small.
  expect_plateau([](optim::SGD& o) {
    return std::make_unique<optim::ReduceLROnPlateau>(o, "max", 0.3, 1, 0.5, "abs", 2, 0.002, 1e-3);
  }, kMaxMetrics, kPlateauMaxAbs, 3.0, 0, 0);
  expect_plateau([](optim::SGD& o) { return std::make_unique<optim::ReduceLROnPlateau>(o, "max", 0.5, 0, 0.2); },
                 kMaxMetrics, kPlateauMaxRel, 3.0, 0, 0);
  expect_plateau([](optim::SGD& o) {
    return std::make_unique<optim::ReduceLROnPlateau>(o, "min", 0.2, 1, 0.05, "abs", 0, 0.001);
  }, kMinMetrics, kPlateauMinAbs, 0.5, 0, 0);
  // A NaN metric is a bad epoch, never the best.
  expect_plateau([](optim::SGD& o) { return std::make_unique<optim::ReduceLROnPlateau>(o, "min", 0.5, 1); },
                 kNanMetrics, kPlateauNan, 0.5, 0, 0);
}

TEST(SchedPlateau, StateDictResumesTheCountersChecked) {
  auto make = [](optim::SGD& o) {
    return std::make_unique<optim::ReduceLROnPlateau>(o, "min", 0.5, 2, 0.1, "rel", 1,
                                                      optim::ReduceLROnPlateau::MinLr{0.01, 0.05});
  };
  for (size_t cut : {size_t{4}, size_t{9}, size_t{10}, size_t{15}}) {
    SCOPED_TRACE("cut " + std::to_string(cut));
    auto sgd = make_sgd();
    auto sched = make(*sgd);
    for (size_t k = 0; k < cut; ++k) sched->step(kMinMetrics[k]);
    const optim::StateDict saved = sched->state_dict();
    ASSERT_EQ(saved.size(), 4u);
    auto fresh = make_sgd();
    fresh->load_state_dict(sgd->state_dict());  // the lrs live in the optimizer
    auto resumed = make(*fresh);
    resumed->load_state_dict(saved);
    EXPECT_EQ(resumed->last_epoch(), static_cast<int64_t>(cut));
    for (size_t k = cut; k < kMinMetrics.size(); ++k) {
      resumed->step(kMinMetrics[k]);
      for (size_t g = 0; g < 2; ++g) expect_close(fresh->lr(g), kPlateauMinRel[g][k], "step " + std::to_string(k));
    }
  }
  auto sgd = make_sgd();
  auto sched = make(*sgd);
  sched->step(1.0);
  const optim::StateDict good = sched->state_dict();
  auto with = [&](const std::string& key, Tensor value) {
    optim::StateDict out = good;
    for (auto& entry : out)
      if (entry.first == key) entry.second = value;
    return out;
  };
  auto i64 = [](int64_t v) { return full({}, v, TensorOptions(kInt64)); };
  EXPECT_EMBER_ERROR(sched->load_state_dict(with("best", full({}, NAN, TensorOptions(kFloat64)))),
                     "best must not be NaN");
  EXPECT_EMBER_ERROR(sched->load_state_dict(with("best", i64(1))), "best must be one floating-point value");
  EXPECT_EMBER_ERROR(sched->load_state_dict(with("num_bad_epochs", i64(3))),
                     "num_bad_epochs must be in [0, patience = 2], but got 3");
  EXPECT_EMBER_ERROR(sched->load_state_dict(with("cooldown_counter", i64(2))),
                     "cooldown_counter must be in [0, cooldown = 1], but got 2");
  EXPECT_EMBER_ERROR(sched->load_state_dict(with("last_epoch", i64(-1))), "last_epoch must be >= 0, but got -1");
  EXPECT_EMBER_ERROR(sched->load_state_dict(with("last_epoch", full({}, 1.0, TensorOptions(kFloat64)))),
                     "last_epoch must be one integer");
  EXPECT_EMBER_ERROR(sched->load_state_dict({good[0], good[1], good[2]}),
                     "expected keys best, num_bad_epochs, cooldown_counter and last_epoch");
  optim::StateDict extra = good;
  extra.emplace_back("mode", i64(0));
  EXPECT_EMBER_ERROR(sched->load_state_dict(extra), "unexpected key \"mode\"");
  EXPECT_EQ(sched->best(), 1.0);  // nothing changed
  EXPECT_EQ(sched->last_epoch(), 1);
}

TEST(SchedMoreErrors, BadArgumentsUsePyTorchsPhrases) {
  auto sgd = make_sgd();
  optim::SGD& o = *sgd;
  using MinLr = optim::ReduceLROnPlateau::MinLr;
  EXPECT_EMBER_ERROR(optim::MultiStepLR(o, {3, -1}), "MultiStepLR: milestones must be epochs >= 0, but got -1");
  EXPECT_EMBER_ERROR(optim::MultiStepLR(o, {3}, 0.0), "MultiStepLR: expected a finite gamma > 0, but got 0");
  EXPECT_EMBER_ERROR(optim::ExponentialLR(o, -0.5), "ExponentialLR: expected a finite gamma > 0, but got -0.5");
  EXPECT_EMBER_ERROR(optim::ExponentialLR(o, NAN), "ExponentialLR: expected a finite gamma > 0, but got nan");
  EXPECT_EMBER_ERROR(optim::ConstantLR(o, 1.5), "Constant multiplicative factor expected to be between 0 and 1.");
  EXPECT_EMBER_ERROR(optim::ConstantLR(o, -0.1), "Constant multiplicative factor expected to be between 0 and 1.");
  EXPECT_EMBER_ERROR(optim::ConstantLR(o, 0.5, 0), "ConstantLR: total_iters must be positive, but got 0");
  EXPECT_EMBER_ERROR(optim::LinearLR(o, 1.5), "Starting multiplicative factor expected to be greater than 0");
  EXPECT_EMBER_ERROR(optim::LinearLR(o, 0.0), "Starting multiplicative factor expected to be greater than 0");
  EXPECT_EMBER_ERROR(optim::LinearLR(o, 0.5, -0.1), "Ending multiplicative factor expected to be between 0 and 1.");
  EXPECT_EMBER_ERROR(optim::LinearLR(o, 0.5, 1.0, -3), "LinearLR: total_iters must be positive, but got -3");
  EXPECT_EMBER_ERROR(optim::PolynomialLR(o, 0), "PolynomialLR: total_iters must be positive, but got 0");
  EXPECT_EMBER_ERROR(optim::PolynomialLR(o, 5, -1.0), "PolynomialLR: expected a finite power >= 0, but got -1");
  EXPECT_EMBER_ERROR(optim::LambdaLR(o, std::vector<LrLambda>{[](int64_t) { return 1.0; }}),
                     "Expected 2 lr_lambdas, but got 1");
  EXPECT_EMBER_ERROR(optim::MultiplicativeLR(o, LrLambda{}), "MultiplicativeLR: lr_lambda is an empty function");
  EXPECT_EMBER_ERROR(optim::LambdaLR(o, [](int64_t e) { return e < 2 ? 1.0 : NAN; }).step_to(2),
                     "the schedule gave lr nan to group 0 at epoch 2 (expected a finite lr)");
  EXPECT_EMBER_ERROR(optim::CosineAnnealingWarmRestarts(o, 0), "Expected positive integer T_0, but got 0");
  EXPECT_EMBER_ERROR(optim::CosineAnnealingWarmRestarts(o, 2, 0), "Expected integer T_mult >= 1, but got 0");
  auto exp = std::make_shared<optim::ExponentialLR>(o, 0.9);
  auto cos = std::make_shared<optim::CosineAnnealingLR>(o, 5);
  EXPECT_EMBER_ERROR(optim::SequentialLR(o, {exp, cos}, {}),
                     "Sequential Schedulers expects number of schedulers provided to be one more than the number of "
                     "milestone points, but got number of schedulers 2 and the number of milestones to be equal to 0");
  EXPECT_EMBER_ERROR(optim::SequentialLR(o, {exp, cos, exp}, {4, 2}),
                     "SequentialLR: expected milestones sorted and >= 0, but got [4, 2]");
  auto other = make_sgd();
  auto elsewhere = std::make_shared<optim::ExponentialLR>(*other, 0.9);
  EXPECT_EMBER_ERROR(optim::SequentialLR(o, {exp, elsewhere}, {3}),
                     "Sequential Schedulers expects all schedulers to belong to the same optimizer, but got "
                     "schedulers at index 0 and 1 to be different");
  EXPECT_EMBER_ERROR(optim::SequentialLR(*other, {elsewhere, elsewhere, exp}, {1, 2}),
                     "schedulers at index 0 and 2 to be different");
  EXPECT_EMBER_ERROR(optim::SequentialLR(o, {}, {}), "Sequential Schedulers expects at least one scheduler");
  EXPECT_EMBER_ERROR(optim::ChainedScheduler({exp, elsewhere}),
                     "ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at "
                     "index 0 and 1 to be different");
  EXPECT_EMBER_ERROR(optim::ChainedScheduler({exp, cos}), "ChainedScheduler: schedulers[1] is not chainable");
  EXPECT_EMBER_ERROR(optim::ChainedScheduler({}), "ChainedScheduler expects at least one scheduler");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 1.0), "Factor should be < 1.0.");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", NAN), "Factor should be < 1.0.");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", -0.5), "expected a finite factor >= 0, but got -0.5");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "mn"), "mode mn is unknown!");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 0.1, 10, 1e-4, "x"), "threshold mode x is unknown!");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 0.1, 10, 1e-4, "rel", 0, MinLr{0.1, 0.2, 0.3}),
                     "expected 2 min_lrs, got 3");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 0.1, 10, 1e-4, "rel", 0, -0.1),
                     "expected a finite min_lr >= 0, but got -0.1");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 0.1, -1), "expected patience >= 0, but got -1");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 0.1, 10, 1e-4, "rel", -2), "expected cooldown >= 0, but got -2");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 0.1, 10, -1e-4), "expected a finite threshold >= 0");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(o, "min", 0.1, 10, 1e-4, "rel", 0, 0.0, INFINITY),
                     "expected a finite eps >= 0, but got inf");
  // A per-group min_lr has none for a group added later; a scalar one covers it.
  optim::ReduceLROnPlateau per_group(o, "min", 0.1, 0, 1e-4, "rel", 0, MinLr{0.0, 0.0});
  optim::ReduceLROnPlateau scalar(o, "min", 0.1, 0, 1e-4, "rel", 0, 0.0);
  o.add_param_group({param()}, {.lr = 0.3});
  EXPECT_EMBER_ERROR(per_group.step(1.0), "expected 3 min_lrs, got 2 (a parameter group was added");
  scalar.step(1.0);
  scalar.step(1.0);
  EXPECT_NEAR(o.lr(2), 0.03, 1e-15);
}

// An SGD that records the lr each group had at its last hyper_parameters_changed: the
// hook through which a capturable optimizer writes its device-resident lr (Note
// [Capturable optimizers]) at once, between graph replays.
class HookedSGD : public optim::SGD {
 public:
  explicit HookedSGD(optim::SGD& like) : SGD({param()}, like.options(0)) {
    add_param_group({param()}, like.options(1));
    seen = {lr(0), lr(1)};
  }
  std::vector<double> seen;

 protected:
  void hyper_parameters_changed(size_t group) override {
    seen.at(group) = lr(group);
    SGD::hyper_parameters_changed(group);
  }
};

// Every schedule writes the lr through Optimizer::set_lr, so the device-resident copy is
// never stale (on the CPU a capturable step would catch up at the next step() and hide
// it; a replayed graph would not).
TEST(SchedMoreCapturable, EveryNewLrGoesThroughTheOptimizersHook) {
  auto like = make_sgd();
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    HookedSGD sgd(*like);
    auto sched = c.make(sgd);
    for (int k = 0; k <= 30; ++k) {
      if (k > 0) sched->step();
      EXPECT_EQ(sgd.seen, (std::vector<double>{sgd.lr(0), sgd.lr(1)})) << "epoch " << k;
    }
  }
  HookedSGD sgd(*like);
  optim::ReduceLROnPlateau reduce(sgd, "min", 0.5, 0);
  for (int k = 0; k < 5; ++k) reduce.step(1.0);
  EXPECT_EQ(sgd.seen, (std::vector<double>{0.1 / 16, 0.7 / 16}));
}

// So a capturable optimizer (whose fused step reads the lr from memory) follows the
// plain one bit for bit through a schedule.
TEST(SchedMoreCapturable, ScheduledLrReachesTheDeviceResidentCopy) {
  auto run = [](bool capturable, bool plateau) {
    auto sgd = make_sgd(capturable);
    std::shared_ptr<optim::LRScheduler> seq;
    std::unique_ptr<optim::ReduceLROnPlateau> reduce;
    if (plateau)
      reduce = std::make_unique<optim::ReduceLROnPlateau>(*sgd, "min", 0.5, 0);
    else
      seq = cases()[17].make(*sgd);  // SequentialLR: warm-up, decay, cosine
    std::vector<double> out;
    for (int step = 0; step < 12; ++step) {
      for (size_t g = 0; g < 2; ++g) {
        NoGradGuard no_grad;
        Tensor p = sgd->params(g)[0];
        p.mutable_grad() = (p.detach() * 0.5 + (0.3 - 0.01 * step)).detach();
      }
      sgd->step();
      if (plateau)
        reduce->step(1.0);  // never better after the first: halves every step
      else
        seq->step();
    }
    for (size_t g = 0; g < 2; ++g)
      for (double v : sgd->params(g)[0].to_vector<double>()) out.push_back(v);
    return out;
  };
  for (bool plateau : {false, true}) {
    SCOPED_TRACE(plateau ? "ReduceLROnPlateau" : "SequentialLR");
    const auto plain = run(false, plateau), captured = run(true, plateau);
    EXPECT_EQ(plain, captured);
  }
}

}  // namespace
}  // namespace ember
