// amp::GradScaler (Note [Loss scaling]): a scaled step equals the unscaled one, inf/NaN
// gradients skip the step and back the scale off, growth after growth_interval clean
// steps, PyTorch's stage errors, disabled pass-through, state dicts and bad input.
#include <gmock/gmock.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nn/fixed_linear.h"
#include "nn/optim/grad_scaler.h"
#include "nn/optim/scheduler_state.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::batch_2x3;
using ember::testing::linear_2x3;
using ::testing::ElementsAre;

std::vector<std::string> keys(const optim::StateDict& sd) {
  std::vector<std::string> out;
  for (const auto& [k, _] : sd) out.push_back(k);
  return out;
}

Tensor loss_of(nn::Linear& fc) { return fc(batch_2x3()).pow(2).sum(); }

// A gradient of infinity in the bias: what an fp16 overflow looks like.
void poison_gradient(nn::Linear& fc) {
  NoGradGuard no_grad;
  Tensor grad = fc.bias.grad();
  grad.fill_(std::numeric_limits<double>::infinity());
}

TEST(GradScaler, ScaledStepEqualsThePlainStep) {
  auto plain = linear_2x3();
  auto scaled = linear_2x3();
  optim::SGD plain_sgd(plain->parameters(), {.lr = 0.01, .momentum = 0.9});
  optim::SGD scaled_sgd(scaled->parameters(), {.lr = 0.01, .momentum = 0.9});
  amp::GradScaler scaler;
  for (int step = 0; step < 3; ++step) {
    plain_sgd.zero_grad();
    loss_of(*plain).backward();
    plain_sgd.step();
    scaled_sgd.zero_grad();
    const Tensor scaled_loss = scaler.scale(loss_of(*scaled));
    EXPECT_EQ(scaled_loss.dim(), 0);
    EXPECT_DOUBLE_EQ(scaled_loss.item<double>(), loss_of(*scaled).item<double>() * 65536.0);
    scaled_loss.backward();
    EXPECT_TRUE(scaler.step(scaled_sgd));
    scaler.update();
  }
  // Scaling by 2^16 and back is exact: the same parameters to the last bit.
  EXPECT_TRUE(equal(plain->weight, scaled->weight));
  EXPECT_TRUE(equal(plain->bias, scaled->bias));
  EXPECT_EQ(scaler.get_scale(), 65536.0);
  EXPECT_EQ(scaler.state_dict()[4].second.item<int64_t>(), 3);  // _growth_tracker
}

TEST(GradScaler, InfiniteGradientsSkipTheStepAndBackOff) {
  auto fc = linear_2x3();
  optim::SGD sgd(fc->parameters(), {.lr = 0.1});
  amp::GradScaler scaler({.init_scale = 1024.0});
  scaler.scale(loss_of(*fc)).backward();
  poison_gradient(*fc);
  const Tensor before = fc->weight.clone();
  EXPECT_FALSE(scaler.step(sgd));
  EXPECT_TRUE(equal(fc->weight, before));  // skipped
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 512.0);
  // A NaN backs off too; a clean step then runs at the new scale.
  sgd.zero_grad();
  scaler.scale(loss_of(*fc)).backward();
  {
    NoGradGuard no_grad;
    Tensor grad = fc->weight.grad();
    grad.fill_(std::numeric_limits<double>::quiet_NaN());
  }
  EXPECT_FALSE(scaler.step(sgd));
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 256.0);
  sgd.zero_grad();
  scaler.scale(loss_of(*fc)).backward();
  EXPECT_TRUE(scaler.step(sgd));
  EXPECT_FALSE(equal(fc->weight, before));
}

TEST(GradScaler, GrowsAfterGrowthIntervalCleanStepsAndUpdateCanSetTheScale) {
  auto fc = linear_2x3();
  optim::SGD sgd(fc->parameters(), {.lr = 1e-4});
  amp::GradScaler scaler({.init_scale = 8.0, .growth_factor = 4.0, .growth_interval = 3});
  std::vector<double> scales;
  for (int step = 0; step < 7; ++step) {
    sgd.zero_grad();
    scaler.scale(loss_of(*fc)).backward();
    if (step == 4) poison_gradient(*fc);
    scaler.step(sgd);
    scaler.update();
    scales.push_back(scaler.get_scale());
  }
  // Three clean steps: x4; the inf at step 4 halves and restarts the count.
  EXPECT_THAT(scales, ElementsAre(8.0, 8.0, 32.0, 32.0, 16.0, 16.0, 16.0));
  scaler.update(100.0);
  EXPECT_EQ(scaler.get_scale(), 100.0);
}

TEST(GradScaler, StagesFollowPyTorch) {
  auto fc = linear_2x3();
  optim::SGD sgd(fc->parameters(), {.lr = 0.1});
  amp::GradScaler scaler;
  EXPECT_EMBER_ERROR(scaler.update(), "Attempted update but _scale is None.");
  EXPECT_EQ(scaler.get_scale(), 65536.0);
  scaler.scale(loss_of(*fc)).backward();
  scaler.unscale_(sgd);
  EXPECT_EMBER_ERROR(scaler.unscale_(sgd),
                     "unscale_() has already been called on this optimizer since the last update().");
  EXPECT_TRUE(scaler.step(sgd));
  EXPECT_EMBER_ERROR(scaler.step(sgd), "step() has already been called since the last update().");
  EXPECT_EMBER_ERROR(scaler.unscale_(sgd), "unscale_() is being called after step().");
  scaler.update();
  optim::SGD no_grads(linear_2x3()->parameters(), {.lr = 0.1});
  EXPECT_EMBER_ERROR(scaler.step(no_grads), "No inf checks were recorded for this optimizer.");
}

TEST(GradScaler, UnscaleGivesTheTrueGradients) {
  auto plain = linear_2x3();
  auto scaled = linear_2x3();
  optim::SGD sgd(scaled->parameters(), {.lr = 0.1});
  amp::GradScaler scaler({.init_scale = 3.0});  // not a power of two: 1/3 rounds
  loss_of(*plain).backward();
  scaler.scale(loss_of(*scaled)).backward();
  scaler.unscale_(sgd);
  EXPECT_TRUE(allclose(scaled->weight.grad(), plain->weight.grad(), 1e-6, 0));
  EXPECT_TRUE(allclose(scaled->bias.grad(), plain->bias.grad(), 1e-6, 0));
}

TEST(GradScaler, DisabledPassesThrough) {
  auto fc = linear_2x3();
  optim::SGD sgd(fc->parameters(), {.lr = 0.1});
  amp::GradScaler scaler({.enabled = false});
  const Tensor loss = loss_of(*fc);
  EXPECT_TRUE(scaler.scale(loss).is_same(loss));
  loss.backward();
  const Tensor before = fc->weight.clone();
  EXPECT_TRUE(scaler.step(sgd));
  EXPECT_FALSE(equal(fc->weight, before));
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 1.0);
  EXPECT_TRUE(scaler.state_dict().empty());
  EXPECT_FALSE(scaler.is_enabled());
}

TEST(GradScaler, StateDictRoundTripsAndIsChecked) {
  auto fc = linear_2x3();
  optim::SGD sgd(fc->parameters(), {.lr = 1e-3});
  amp::GradScaler scaler({.init_scale = 64.0, .growth_interval = 10});
  for (int step = 0; step < 2; ++step) {
    sgd.zero_grad();
    scaler.scale(loss_of(*fc)).backward();
    scaler.step(sgd);
    scaler.update();
  }
  const optim::StateDict saved = scaler.state_dict();
  EXPECT_THAT(keys(saved), ElementsAre("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"));
  amp::GradScaler resumed;
  resumed.load_state_dict(saved);
  EXPECT_EQ(resumed.get_scale(), 64.0);
  EXPECT_EQ(resumed.get_growth_interval(), 10);
  EXPECT_EQ(resumed.state_dict()[4].second.item<int64_t>(), 2);
  resumed.scale(loss_of(*fc));  // the scale tensor made from the loaded values
  EXPECT_EQ(resumed.get_scale(), 64.0);

  EXPECT_EMBER_ERROR(resumed.load_state_dict({}), "The source state dict is empty");
  optim::StateDict bad = saved;
  bad[4].second = optim::detail::state_scalar(int64_t{10});
  EXPECT_EMBER_ERROR(resumed.load_state_dict(bad), "expected a _growth_tracker from 0 to growth_interval - 1 (9)");
  bad = saved;
  bad[0].second = optim::detail::state_scalar(std::numeric_limits<double>::infinity());
  EXPECT_EMBER_ERROR(resumed.load_state_dict(bad), "GradScaler: expected a finite positive scale, but got inf");
  bad = saved;
  bad.emplace_back("extra", optim::detail::state_scalar(1.0));
  EXPECT_EMBER_ERROR(resumed.load_state_dict(bad), "unexpected key \"extra\"");
  EXPECT_EQ(resumed.get_scale(), 64.0);  // the refused loads changed nothing
}

// PyTorch's rules for 16-bit tensors: a 16-bit output is scaled in float32 (a float16 loss
// times 2^16 would overflow), and float16 gradients are refused before any changes.
TEST(GradScaler, SixteenBitOutputsAndGradients) {
  amp::GradScaler scaler;
  const Tensor loss16 = tensor(std::vector<float>{2.0f, 3.0f}).to(kFloat16);
  const Tensor scaled = scaler.scale(loss16);
  EXPECT_EQ(scaled.dtype(), kFloat32);
  EXPECT_EQ(scaled.to_vector<double>(), (std::vector<double>{131072.0, 196608.0}));
  EXPECT_EQ(scaler.scale(tensor(std::vector<float>{1.0f}).to(kBFloat16)).dtype(), kFloat32);
  auto fc = linear_2x3();
  fc->to(kFloat16);
  optim::SGD sgd(fc->parameters(), {.lr = 0.1});
  amp::GradScaler small({.init_scale = 1024.0});  // finite float16 gradients
  small.scale(fc->forward(batch_2x3().to(kFloat16)).sum()).backward();
  const Tensor before = fc->weight.grad().clone();
  EXPECT_EMBER_ERROR(small.unscale_(sgd), "Attempting to unscale FP16 gradients.");
  EXPECT_TRUE(equal(fc->weight.grad(), before));  // nothing unscaled
}

TEST(GradScaler, BadOptionsAreClearErrors) {
  EXPECT_EMBER_ERROR(amp::GradScaler({.growth_factor = 1.0}), "The growth factor must be > 1.0.");
  EXPECT_EMBER_ERROR(amp::GradScaler({.backoff_factor = 1.0}), "The backoff factor must be < 1.0.");
  EXPECT_EMBER_ERROR(amp::GradScaler({.growth_interval = 0}), "expected a positive growth_interval, but got 0");
  EXPECT_EMBER_ERROR(amp::GradScaler({.init_scale = -1.0}), "expected a finite positive init_scale, but got -1");
  amp::GradScaler scaler;
  EXPECT_EMBER_ERROR(scaler.set_growth_factor(0.5), "The growth factor must be > 1.0.");
}

}  // namespace
}  // namespace ember
