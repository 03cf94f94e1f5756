// Train/eval layers as PyTorch's where a review found them apart: BatchNorm on an empty
// batch and without running statistics in eval mode, Dropout2d's 3-D input, InstanceNorm's
// momentum None, and memory::measure_mode leaving the model as it found it.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "nn/memory_modes.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(BatchNormParity, AnEmptyTrainingBatchIsACopyThatKeepsTheChain) {
  nn::BatchNorm2d bn(3);
  {
    NoGradGuard no_grad;
    bn.weight.fill_(2.0);
    bn.bias.fill_(0.5);
  }
  Tensor x = zeros({0, 3, 4, 4}).requires_grad_();
  Tensor y = bn.forward(x);
  EXPECT_EQ(y.sizes(), (Dims{0, 3, 4, 4}));
  EXPECT_FALSE(y.is_same(x));
  EXPECT_EQ(bn.running_mean.to_vector<float>(), std::vector<float>(3, 0.0f));  // nothing updated
  EXPECT_EQ(bn.running_var.to_vector<float>(), std::vector<float>(3, 1.0f));
  y.sum().backward();
  EXPECT_EQ(x.grad().sizes(), (Dims{0, 3, 4, 4}));
  EXPECT_TRUE(bn.weight.grad().defined());
  // One value per channel stays PyTorch's error.
  EXPECT_EMBER_ERROR(bn.forward(ones({1, 3, 1, 1})), "Expected more than 1 value per channel when training");
}

TEST(BatchNormParity, EvalWithoutRunningStatisticsUsesTheBatchs) {
  nn::BatchNorm1d bn(2);
  bn.running_mean = Tensor();
  bn.running_var = Tensor();
  bn.eval();
  const Tensor x = tensor(std::vector<float>{1, 10, 3, 30}, {2, 2});
  const Tensor y = bn.forward(x);
  EXPECT_LT(testing::max_abs_diff(y, tensor(std::vector<float>{-1, -1, 1, 1}, {2, 2})), 1e-3);
  EXPECT_EMBER_ERROR(F::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), /*training=*/false),
                     "running_mean must be defined in evaluation mode");
}

TEST(Dropout2dParity, A3DInputIsNCLWithPyTorchsWarning) {
  manual_seed(0);
  const Tensor y = F::dropout2d(ones({4, 3, 5}), 0.5, true);
  // Whole (sample, channel) rows drop: each row is all 0 or all 2, and not whole samples only.
  const std::vector<float> v = y.to_vector<float>();
  bool some_sample_mixed = false;
  for (int n = 0; n < 4; ++n) {
    std::vector<float> row_values;
    for (int c = 0; c < 3; ++c) {
      const float first = v[static_cast<size_t>((n * 3 + c) * 5)];
      for (int l = 0; l < 5; ++l) EXPECT_EQ(v[static_cast<size_t>((n * 3 + c) * 5 + l)], first);
      row_values.push_back(first);
    }
    some_sample_mixed = some_sample_mixed || row_values[0] != row_values[1] || row_values[1] != row_values[2];
  }
  EXPECT_TRUE(some_sample_mixed);
  testing::expect_logged_in_fresh_process([] { (void)F::dropout2d(ones({2, 3, 4}), 0.5, true); },
                                          "input is interpreted as shape \\(N, C, L\\)");
}

TEST(InstanceNormParity, MomentumNoneLeavesTheRunningStatisticsAlone) {
  nn::InstanceNorm1d norm(2, {.momentum = std::nullopt, .track_running_stats = true});
  norm.forward(randn({3, 2, 6}));
  EXPECT_EQ(norm.running_mean.to_vector<float>(), std::vector<float>(2, 0.0f));
  EXPECT_EQ(norm.running_var.to_vector<float>(), std::vector<float>(2, 1.0f));
  EXPECT_NE(norm.repr().find("momentum=None"), std::string::npos) << norm.repr();
}

TEST(MeasureModes, LeaveTheModelAsTheyFoundIt) {
  manual_seed(1);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 2, 3), std::make_shared<nn::BatchNorm2d>(2), std::make_shared<nn::Dropout>(0.5),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(2 * 4 * 4, 3)});
  net->train();
  (*net)[1]->eval();  // frozen statistics inside a training model
  const Tensor x = randn({4, 1, 6, 6});
  net->forward(x).sum().backward();
  const std::vector<float> grad_before = net->parameters()[0].grad().to_vector<float>();
  const auto buffers_before = net->state_dict();
  const Tensor rng_before = get_rng_state();
  memory::measure_modes(*net, x);
  EXPECT_TRUE(net->is_training());
  EXPECT_FALSE((*net)[1]->is_training());
  EXPECT_TRUE((*net)[2]->is_training());
  const auto buffers_after = net->state_dict();
  ASSERT_EQ(buffers_before.size(), buffers_after.size());
  for (size_t i = 0; i < buffers_before.size(); ++i)
    EXPECT_EQ(buffers_before[i].second.to_vector<double>(), buffers_after[i].second.to_vector<double>())
        << buffers_before[i].first;
  EXPECT_EQ(net->parameters()[0].grad().to_vector<float>(), grad_before);
  EXPECT_EQ(get_rng_state().to_vector<int64_t>(), rng_before.to_vector<int64_t>());
}

// A lazy model's first forward sizes its buffers: nothing to put back, and no abort.
TEST(MeasureModes, ALazyModelIsMeasuredAndKeepsItsSizedBuffers) {
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::LazyLinear>(4), std::make_shared<nn::LazyBatchNorm1d>()});
  const auto measured = memory::measure_modes(*net, randn({8, 3}));
  EXPECT_EQ(measured.size(), 4u);
  EXPECT_EQ(net->parameters()[0].sizes(), (Dims{4, 3}));
}

}  // namespace
}  // namespace ember
