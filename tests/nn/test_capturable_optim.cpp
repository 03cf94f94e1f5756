// Capturable optimizers (Note [Capturable optimizers] in nn/optim/capturable.h) on the
// CPU: with lr, momentum/beta1 and Adam's step count read from memory by the fused
// kernels, SGD, Adam and AdamW follow the plain optimizers bit for bit through K steps
// of a changing schedule (the same double formulas, rounded to the dtype the same way
// on one device), and a loaded state keeps working.
#include <gtest/gtest.h>

#include <functional>

#include "nn/optim/adam.h"
#include "nn/optim/scheduler.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"

namespace ember {
namespace {

constexpr int kSteps = 12;

// Two parameters (float32 and float64) with the same starting values in every run.
std::vector<Tensor> make_params() {
  const auto v = ember::testing::random_values(24, 3);
  std::vector<double> a(v.begin(), v.begin() + 12), b(v.begin() + 12, v.end());
  Tensor p32 = tensor(std::vector<float>(a.begin(), a.end()), {3, 4}, kFloat32).requires_grad_(true);
  Tensor p64 = tensor(b, {12}, kFloat64).requires_grad_(true);
  return {p32, p64};
}

// A gradient that depends on the parameter (so trajectories diverge if one update
// differs): g = 0.5 * p^2 - 0.3 + 0.01 * step.
void set_grads(std::vector<Tensor>& params, int step) {
  NoGradGuard no_grad;
  for (Tensor& p : params) p.mutable_grad() = (p.detach() * p.detach() * 0.5 + (-0.3 + 0.01 * step)).detach();
}

using MakeOpt = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>, bool capturable)>;
using MakeSched = std::function<std::unique_ptr<optim::LRScheduler>(optim::Optimizer&)>;

// The parameters after kSteps steps with the schedule stepped after each.
std::vector<std::vector<double>> run(const MakeOpt& make, const MakeSched& sched, bool capturable) {
  std::vector<Tensor> params = make_params();
  auto opt = make(params, capturable);
  auto scheduler = sched(*opt);
  for (int step = 0; step < kSteps; ++step) {
    set_grads(params, step);
    opt->step();
    scheduler->step();
  }
  std::vector<std::vector<double>> out;
  for (const Tensor& p : params) out.push_back(p.to_vector<double>());
  return out;
}

void expect_capturable_equals_plain(const MakeOpt& make, const MakeSched& sched) {
  const auto plain = run(make, sched, false);
  const auto captured = run(make, sched, true);
  ASSERT_EQ(plain.size(), captured.size());
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(plain[i], captured[i]) << "parameter " << i;
  // And the schedule mattered: a constant lr ends elsewhere.
  const auto constant = run(make, [](optim::Optimizer& o) { return std::make_unique<optim::StepLR>(o, 1000); }, false);
  EXPECT_NE(plain[0], constant[0]);
}

MakeSched one_cycle() {
  return [](optim::Optimizer& o) {  // cycles momentum / beta1 too
    return std::make_unique<optim::OneCycleLR>(o, 0.2, kSteps + 1, 0.3, 25.0, 1e4, /*cycle_momentum=*/true);
  };
}

TEST(CapturableOptim, SgdNesterovFollowsThePlainOneThroughASchedule) {
  expect_capturable_equals_plain(
      [](std::vector<Tensor> p, bool capturable) -> std::unique_ptr<optim::Optimizer> {
        return std::make_unique<optim::SGD>(std::move(p), optim::SGDOptions{.lr = 0.1,
                                                                            .momentum = 0.9,
                                                                            .dampening = 0.0,
                                                                            .weight_decay = 1e-3,
                                                                            .nesterov = true,
                                                                            .capturable = capturable});
      },
      one_cycle());
}

TEST(CapturableOptim, SgdPlainMomentumWithCosineAnnealing) {
  expect_capturable_equals_plain(
      [](std::vector<Tensor> p, bool capturable) -> std::unique_ptr<optim::Optimizer> {
        return std::make_unique<optim::SGD>(
            std::move(p), optim::SGDOptions{.lr = 0.05, .momentum = 0.5, .dampening = 0.1, .capturable = capturable});
      },
      [](optim::Optimizer& o) { return std::make_unique<optim::CosineAnnealingLR>(o, kSteps); });
}

TEST(CapturableOptim, AdamFollowsThePlainOneThroughASchedule) {
  expect_capturable_equals_plain(
      [](std::vector<Tensor> p, bool capturable) -> std::unique_ptr<optim::Optimizer> {
        return std::make_unique<optim::Adam>(
            std::move(p), optim::AdamOptions{.lr = 0.01, .weight_decay = 1e-2, .capturable = capturable});
      },
      one_cycle());
}

TEST(CapturableOptim, AdamWFollowsThePlainOneThroughASchedule) {
  expect_capturable_equals_plain(
      [](std::vector<Tensor> p, bool capturable) -> std::unique_ptr<optim::Optimizer> {
        return std::make_unique<optim::AdamW>(
            std::move(p), optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.1, .capturable = capturable});
      },
      [](optim::Optimizer& o) { return std::make_unique<optim::StepLR>(o, 3, 0.5); });
}

TEST(CapturableOptim, AdamStepCountLivesWithTheParameter) {
  std::vector<Tensor> params = make_params();
  optim::Adam adam(params, {.lr = 0.01, .capturable = true});
  set_grads(params, 0);
  adam.step();
  adam.step();
  for (const auto& [name, value] : adam.state_dict()) {
    if (name.find(".step") == std::string::npos) continue;
    EXPECT_EQ(value.dtype(), kFloat64) << name;
    EXPECT_DOUBLE_EQ(value.item<double>(), 2.0) << name;
  }
}

TEST(CapturableOptim, ResumedFromAPlainStateGivesThePlainTrajectory) {
  auto make = [](std::vector<Tensor> p, bool capturable) {
    return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions{.lr = 0.02, .capturable = capturable});
  };
  // Plain for 3 steps, saved; then plain and capturable copies continue 3 more.
  std::vector<Tensor> first = make_params();
  auto a = make(first, false);
  for (int s = 0; s < 3; ++s) {
    set_grads(first, s);
    a->step();
  }
  const optim::StateDict saved = a->state_dict();
  std::vector<std::vector<double>> ends[2];
  for (int capturable = 0; capturable < 2; ++capturable) {
    std::vector<Tensor> params = make_params();
    {
      NoGradGuard no_grad;
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(first[i]);
    }
    auto opt = make(params, capturable == 1);
    opt->load_state_dict(saved);
    opt->set_lr(0, 0.005);  // a scheduler's write after loading
    for (int s = 3; s < 6; ++s) {
      set_grads(params, s);
      opt->step();
    }
    for (const Tensor& p : params) ends[capturable].push_back(p.to_vector<double>());
  }
  EXPECT_EQ(ends[0], ends[1]);
}

}  // namespace
}  // namespace ember
