// nn layers and nn::functional basics: Dropout and BatchNorm in train/eval and under
// no_grad (the two independent switches of DESIGN.md), Linear init, activations,
// and gradcheck of the functional forms.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <limits>
#include <set>

#include "autograd/gradcheck.h"
#include "autograd/saved_variable.h"
#include "nn/functional.h"
#include "nn/layers.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
using testing::expect_gradcheck;
constexpr auto input = [](const Dims& shape, double lo = -1.0, double hi = 1.0) {
  return testing::grad_input(shape, lo, hi);
};
using testing::expect_values;



// ---------------------------------------------------------------- dropout
TEST(Dropout, TrainingGivesZerosAndScaledOnes) {
  nn::Dropout drop(0.8);
  std::set<float> seen;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    manual_seed(seed);
    for (float v : drop(ones({1, 8})).to_vector<float>()) {
      EXPECT_TRUE(v == 0.0f || v == 5.0f) << v;
      seen.insert(v);
    }
  }
  EXPECT_EQ(seen, (std::set<float>{0.0f, 5.0f}));
  drop.eval();
  expect_values(drop(ones({1, 8})), std::vector<double>(8, 1.0));
}

TEST(Dropout, ProbabilityChecked) {
  EXPECT_EMBER_ERROR(F::dropout(ones({2}), 1.5, true), "dropout probability has to be between 0 and 1, but got 1.5");
  EXPECT_EMBER_ERROR(nn::Dropout(-0.1), "dropout probability has to be between 0 and 1");
}

TEST(Dropout, ZeroIsIdentityAndOneIsZeros) {
  Tensor x = randn({3, 4});
  EXPECT_TRUE(F::dropout(x, 0.0, true).is_same(x));
  EXPECT_TRUE(F::dropout(x, 0.7, false).is_same(x));
  expect_values(F::dropout(x, 1.0, true), std::vector<double>(12, 0.0));
}

TEST(Dropout, NoGradStillMasksButSavesNothing) {
  Tensor x = ones({64}, TensorOptions().requires_grad(true));
  const auto before = autograd::saved_tensor_stats();
  Tensor y;
  {
    NoGradGuard g;
    y = F::dropout(x, 0.5, true);
  }
  EXPECT_LT(y.sum().item<float>(), 64.0f * 2.0f);  // some zeros...
  EXPECT_GT(y.max().item<float>(), 1.5f);           // ...and scaled survivors
  EXPECT_EQ(y.grad_fn(), nullptr);
  const auto after = autograd::saved_tensor_stats();
  EXPECT_EQ(after.current_bytes, before.current_bytes);
  EXPECT_EQ(after.count, before.count);

  Tensor z = F::dropout(x, 0.5, true);  // recording: the mask is kept
  EXPECT_EQ(z.grad_fn_name(), "DropoutBackward");
  EXPECT_GT(autograd::saved_tensor_stats().current_bytes, before.current_bytes);
}

TEST(Dropout, BackwardUsesTheMask) {
  Tensor x = ones({32}, TensorOptions().requires_grad(true));
  Tensor y = F::dropout(x, 0.25, true);
  y.sum().backward();
  EXPECT_TRUE(allclose(x.grad(), y.detach()));
}

TEST(Dropout2d, ZeroesWholeChannels) {
  manual_seed(3);
  Tensor y = F::dropout2d(ones({4, 8, 3, 3}), 0.5, true);
  for (int64_t n = 0; n < 4; ++n)
    for (int64_t c = 0; c < 8; ++c) {
      auto v = y[n][c].to_vector<float>();
      EXPECT_TRUE(v[0] == 0.0f || v[0] == 2.0f);
      for (float e : v) EXPECT_EQ(e, v[0]);
    }
  // A 2-D input (fc1's output in PyTorch's "Defining a Neural Network" recipe): PyTorch's
  // deprecation warning, then feature dropout, each element on its own; eval returns it.
  manual_seed(4);
  const Tensor flat = F::dropout2d(ones({2, 400}), 0.5, true);
  const double zeros_seen = (flat == 0.0).sum().item<double>();
  EXPECT_GT(zeros_seen, 300);
  EXPECT_LT(zeros_seen, 500);
  EXPECT_TRUE(((flat == 0.0) | (flat == 2.0)).all().item<bool>());
  const Tensor x2 = ones({1, 128});
  nn::Dropout2d drop(0.5);
  drop.eval();
  EXPECT_TRUE(equal(drop(x2), x2));
  EXPECT_EQ(F::dropout2d(ones({2, 3, 2, 2, 2}), 0.5, true).sizes(), (Dims{2, 3, 2, 2, 2}));
  EXPECT_EMBER_ERROR(F::dropout2d(ones({5}), 0.5, true), "Feature dropout requires at least 2 dimensions");
  EXPECT_TRUE(equal(F::dropout2d(ones({5}), 0.5, /*training=*/false), ones({5})));  // nothing dropped: no check
}

TEST(Dropout1d, ZeroesWholeChannelsOfSequences) {
  manual_seed(5);
  nn::Dropout1d drop(0.5);
  EXPECT_EQ(drop.type_name(), "Dropout1d");
  const Tensor x = ones({3, 6, 7}, TensorOptions().requires_grad(true));
  const Tensor y = drop(x);
  int64_t dropped = 0;
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t c = 0; c < 6; ++c) {
      const auto v = y[n][c].to_vector<float>();
      EXPECT_TRUE(v[0] == 0.0f || v[0] == 2.0f);
      for (float e : v) EXPECT_EQ(e, v[0]);
      dropped += v[0] == 0.0f;
    }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 18);
  y.sum().backward();
  EXPECT_TRUE(allclose(x.grad(), y.detach()));  // the gradient is the same mask, scaled
  const Tensor unbatched = F::dropout1d(ones({6, 7}), 0.5, true);
  for (int64_t c = 0; c < 6; ++c) EXPECT_EQ(unbatched[c].max().item<float>(), unbatched[c].min().item<float>());
  drop.eval();
  EXPECT_TRUE(drop(x).is_same(x));
  EXPECT_EMBER_ERROR(F::dropout1d(ones({2, 3, 4, 5}), 0.5, true), "dropout1d: Expected 2D or 3D input, but received a 4D input");
}

// ---------------------------------------------------------------- batch norm
// Five [4, 2] batches with known per-channel means and variances.
Tensor batch(int k) {
  std::vector<float> v;
  for (int n = 0; n < 4; ++n) {
    v.push_back(static_cast<float>(k + n));
    v.push_back(static_cast<float>(k * n * 0.5 - 1));
  }
  return tensor(v, {4, 2});
}

// Channel c of batch k: mean and unbiased variance, by hand.
std::pair<double, double> channel_stats(int k, int c) {
  double s = 0, ss = 0;
  auto v = batch(k).to_vector<float>();
  for (int n = 0; n < 4; ++n) s += v[static_cast<size_t>(n * 2 + c)];
  const double mean = s / 4;
  for (int n = 0; n < 4; ++n) ss += std::pow(v[static_cast<size_t>(n * 2 + c)] - mean, 2);
  return {mean, ss / 3};
}

TEST(BatchNorm, RunningStatsFollowMomentum) {
  nn::BatchNorm1d bn(2);
  std::vector<double> mean(2, 0.0), var(2, 1.0);
  for (int k = 1; k <= 5; ++k) {
    bn(batch(k));
    for (int c = 0; c < 2; ++c) {
      auto [m, v] = channel_stats(k, c);
      mean[static_cast<size_t>(c)] = 0.9 * mean[static_cast<size_t>(c)] + 0.1 * m;
      var[static_cast<size_t>(c)] = 0.9 * var[static_cast<size_t>(c)] + 0.1 * v;  // unbiased
    }
  }
  expect_values(bn.running_mean, mean, 1e-5);
  expect_values(bn.running_var, var, 1e-5);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 5);
}

TEST(BatchNorm, CumulativeAverageWithoutMomentum) {
  nn::BatchNorm1d bn(2, {.momentum = std::nullopt});
  std::vector<double> mean(2, 0.0), var(2, 0.0);
  for (int k = 1; k <= 5; ++k) {
    bn(batch(k));
    for (int c = 0; c < 2; ++c) {
      auto [m, v] = channel_stats(k, c);
      mean[static_cast<size_t>(c)] += m / 5;
      var[static_cast<size_t>(c)] += v / 5;
    }
  }
  expect_values(bn.running_mean, mean, 1e-5);
  expect_values(bn.running_var, var, 1e-5);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 5);
}

TEST(BatchNorm, TrainingNormalizesWithBiasedBatchVariance) {
  nn::BatchNorm1d bn(2);
  Tensor y = bn(batch(2));
  expect_values(y.mean({0}), {0.0, 0.0}, 1e-5);
  Tensor var = (y * y).mean({0});  // biased variance of the output: 1 up to eps
  EXPECT_NEAR(var.to_vector<float>()[0], 1.0, 1e-3);
  EXPECT_EQ(y.grad_fn_name(), "NativeBatchNormBackward");
}

TEST(BatchNorm, EvalUsesRunningStats) {
  nn::BatchNorm1d bn(2);
  {
    NoGradGuard g;
    bn.running_mean.copy_(tensor(std::vector<float>{1, -2}));
    bn.running_var.copy_(tensor(std::vector<float>{4, 0.25}));
  }
  bn.eval();
  Tensor y = bn(tensor(std::vector<float>{3, -1}, {1, 2}));  // one value per channel is fine in eval
  expect_values(y, {2.0 / std::sqrt(4 + 1e-5), 1.0 / std::sqrt(0.25 + 1e-5)}, 1e-5);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 0);
}

TEST(BatchNorm, OneValuePerChannelOnlyFailsInTraining) {
  nn::BatchNorm1d bn(3);
  EXPECT_EMBER_ERROR(bn(ones({1, 3})), "Expected more than 1 value per channel when training, got input size [1, 3]");
  bn.eval();
  EXPECT_NO_THROW(bn(ones({1, 3})));
}

TEST(BatchNorm, NoGradInTrainingStillUpdatesRunningStats) {
  nn::BatchNorm1d bn(2);
  Tensor x = batch(3).requires_grad_(true);
  const auto before = autograd::saved_tensor_stats();
  Tensor y = no_grad([&] { return bn(x); });
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, before.current_bytes);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  expect_values(bn.running_mean, {0.1 * channel_stats(3, 0).first, 0.1 * channel_stats(3, 1).first}, 1e-5);
}

TEST(BatchNorm, BackwardWorksInEval) {
  nn::BatchNorm2d bn(3);
  bn.eval();
  Tensor x = randn({2, 3, 4, 4}).requires_grad_(true);
  Tensor y = bn(x);
  EXPECT_EQ(y.grad_fn_name(), "NativeBatchNormBackward");
  y.sum().backward();
  // Fresh running stats (mean 0, var 1) and weight 1: dy/dx = 1/sqrt(1 + eps).
  EXPECT_NEAR(x.grad().to_vector<float>()[5], 1.0 / std::sqrt(1 + 1e-5), 1e-6);
  expect_values(bn.bias.grad(), {32, 32, 32});
  ASSERT_TRUE(bn.weight.grad().defined());
}

TEST(BatchNorm, InputRankChecked) {
  nn::BatchNorm2d bn2(3);
  EXPECT_EMBER_ERROR(bn2(ones({2, 3, 4})), "expected 4D input (got 3D input)");
  EXPECT_EMBER_ERROR(bn2(ones({2, 4, 2, 2})), "running_mean should contain 4 elements not 3");
  nn::BatchNorm2d untracked(3, {.track_running_stats = false});
  EXPECT_EMBER_ERROR(untracked(ones({2, 4, 2, 2})), "weight should contain 4 elements not 3");
  bn2.eval();
  EXPECT_EMBER_ERROR(bn2(ones({2, 4, 2, 2})), "running_mean should contain 4 elements not 3");
  nn::BatchNorm1d bn1(3);
  EXPECT_EMBER_ERROR(bn1(ones({2, 3, 4, 4})), "expected 2D or 3D input (got 4D input)");
  EXPECT_NO_THROW(bn1(ones({2, 3, 5})));
}

TEST(BatchNorm, BuffersAndParameters) {
  nn::BatchNorm2d bn(4, {.eps = 1e-3, .momentum = 0.2, .affine = false, .track_running_stats = true});
  EXPECT_TRUE(bn.parameters().empty());
  auto buffers = bn.named_buffers();
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(buffers[2].first, "num_batches_tracked");
  EXPECT_EQ(buffers[2].second.dtype(), kInt64);
}

// ---------------------------------------------------------------- linear and activations
TEST(Linear, InitWithinPyTorchBounds) {
  manual_seed(0);
  nn::Linear fc(16, 8);
  EXPECT_EQ(fc.weight.sizes(), (Dims{8, 16}));
  EXPECT_EQ(fc.bias.sizes(), (Dims{8}));
  EXPECT_LE(fc.weight.abs().max().item<float>(), 0.25f);
  EXPECT_GT(fc.weight.abs().max().item<float>(), 0.2f);
  EXPECT_LE(fc.bias.abs().max().item<float>(), 0.25f);
  EXPECT_TRUE(fc.weight.requires_grad() && fc.weight.is_leaf());
  Tensor y = fc(ones({5, 16}));
  EXPECT_EQ(y.sizes(), (Dims{5, 8}));
  EXPECT_TRUE(nn::Linear(4, 2, false).named_parameters().size() == 1);
}

TEST(Linear, ComputesXWtPlusB) {
  Tensor x = tensor(std::vector<float>{1, 2}, {1, 2});
  Tensor w = tensor(std::vector<float>{1, 0, 2, 3}, {2, 2});
  Tensor b = tensor(std::vector<float>{0.5, -1});
  expect_values(F::linear(x, w, b), {1.5, 7.0});
  EXPECT_EMBER_ERROR(F::linear(ones({1, 3}), w, b), "linear:");
}

TEST(Activations, Values) {
  Tensor x = tensor(std::vector<float>{-2, 0.5});
  expect_values(nn::ReLU()(x), {0, 0.5});
  expect_values(nn::LeakyReLU(0.1)(x), {-0.2, 0.5});
  expect_values(nn::Sigmoid()(x), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(-0.5))});
  expect_values(nn::Tanh()(x), {std::tanh(-2.0), std::tanh(0.5)});
  EXPECT_EQ(nn::Flatten()(ones({2, 3, 4})).sizes(), (Dims{2, 12}));
  EXPECT_TRUE(nn::Identity()(x).is_same(x));
  Tensor y = x.clone();
  nn::ReLU(true)(y);
  expect_values(y, {0, 0.5});
}

// ---------------------------------------------------------------- gradcheck
TEST(NnGradcheck, Linear) {
  manual_seed(1);
  expect_gradcheck([](const Inputs& in) { return F::linear(in[0], in[1], in[2]); },
                   {input({3, 4}), input({2, 4}), input({2})});
}

TEST(NnGradcheck, LeakyRelu) {
  manual_seed(2);
  expect_gradcheck([](const Inputs& in) { return F::leaky_relu(in[0], 0.2); }, {input({3, 5})});
}

TEST(NnLayers, LeakyReluIsPyTorchsInOneFusedPass) {
  // PyTorch 1.13's values and gradients (float32): 0 and -0 take the slope, NaN stays.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = tensor(std::vector<float>{-2.0f, -0.5f, 0.0f, -0.0f, 0.5f, 3.0f, nan}, {7}).requires_grad_(true);
  Tensor y = F::leaky_relu(x, 0.1);
  const auto v = y.to_vector<float>();
  const std::vector<float> expected{-0.2f, -0.05f, 0.0f, -0.0f, 0.5f, 3.0f};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(v[i], expected[i]) << i;
  EXPECT_TRUE(std::signbit(v[3]));
  EXPECT_TRUE(std::isnan(v[6]));
  EXPECT_EQ(y.grad_fn_name(), "LeakyReluBackward");
  y.backward(tensor(std::vector<float>{1, 2, 3, 4, 5, 6, 7}, {7}));
  const auto g = x.grad().to_vector<float>();
  const std::vector<float> expected_grad{0.1f, 0.2f, 0.3f, 0.4f, 5.0f, 6.0f, 0.7f};
  for (size_t i = 0; i < g.size(); ++i) EXPECT_FLOAT_EQ(g[i], expected_grad[i]) << i;
  EXPECT_EMBER_ERROR(F::leaky_relu(tensor(std::vector<int64_t>{1, -2}, {2}), 0.1), "not implemented for 'Long'");
}

TEST(NnGradcheck, DropoutWithFixedMask) {
  manual_seed(3);
  expect_gradcheck(
      [](const Inputs& in) {
        manual_seed(42);
        return F::dropout(in[0], 0.3, true);
      },
      {input({4, 5})});
}

TEST(NnGradcheck, BatchNormTraining) {
  manual_seed(4);
  expect_gradcheck(
      [](const Inputs& in) { return F::batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true) * in[3]; },
      {input({4, 3, 2}), input({3}, 0.5, 1.5), input({3}), input({4, 3, 2}).detach()});
}

TEST(NnGradcheck, BatchNormEval) {
  manual_seed(5);
  Tensor rm = rand({3}, kFloat64), rv = rand({3}, kFloat64) + 0.5;
  expect_gradcheck([&](const Inputs& in) { return F::batch_norm(in[0], rm, rv, in[1], in[2], false); },
                   {input({4, 3}), input({3}), input({3})});
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// Sequential hands intermediate values to later children as consumable: eval-mode
// BatchNorm and ReLU then write in place when nothing records. Results must not change,
// the caller's input must never be touched, and recording must still work.
TEST(LayersConsuming, NoGradForwardReusesIntermediatesWithSameResults) {
  manual_seed(3);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(6, 8), std::make_shared<nn::BatchNorm1d>(8), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 3)});
  Tensor x = randn({5, 6});
  net->train();
  (*net)(x);  // give the running statistics non-trivial values
  net->eval();
  Tensor expected = (*net)(x);  // recorded path (x does not require grad, but parameters do)
  Tensor x_before = x.clone();
  Tensor got = no_grad([&] { return (*net)(x); });
  EXPECT_TRUE(allclose(got, expected, 1e-5, 1e-6));
  EXPECT_TRUE(equal(x, x_before));
  Tensor inferred = inference_mode([&] { return (*net)(x); });
  EXPECT_TRUE(allclose(inferred, expected, 1e-5, 1e-6));
  // A module given a tensor someone else holds must not overwrite it.
  nn::ReLU relu;
  Tensor held = tensor(std::vector<float>{-1, 2}, {2});
  Tensor copy = held;
  Tensor out = no_grad([&] { return relu.forward_consuming(copy); });
  testing::expect_values(held, {-1, 2});
  testing::expect_values(out, {0, 2});
}

TEST(LayersConsuming, BatchNormEvalInPlaceMatchesFunctional) {
  nn::BatchNorm2d bn(3);
  {
    NoGradGuard g;
    bn.running_mean.copy_(tensor(std::vector<float>{0.5f, -1, 2}, {3}));
    bn.running_var.copy_(tensor(std::vector<float>{4, 0.25f, 1}, {3}));
    bn.weight.copy_(tensor(std::vector<float>{2, 1, -1}, {3}));
    bn.bias.copy_(tensor(std::vector<float>{0, 1, 0.5f}, {3}));
  }
  bn.eval();
  Tensor x = randn({2, 3, 4, 4});
  Tensor expected = bn.forward(x);
  Tensor owned = x.clone();
  Tensor got = no_grad([&] { return bn.forward_consuming(std::move(owned)); });
  EXPECT_TRUE(allclose(got, expected, 1e-5, 1e-6));
}

}  // namespace
}  // namespace ember
