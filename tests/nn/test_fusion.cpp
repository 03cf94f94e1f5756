// Folding eval-mode BatchNorm into the layer before it (Note [Folding BatchNorm]): the
// fused weights against PyTorch 1.13's fuse_*_bn_weights, fused layers and a fused
// Sequential against the unfused ones, and the errors.
#include <gmock/gmock.h>

#include <memory>
#include <vector>

#include "nn/fusion.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
namespace utils = nn::utils;

Tensor f64(std::vector<double> values, Dims shape) {
  return tensor(values, std::move(shape), TensorOptions(kFloat64));
}

struct BnStats {
  Tensor mean = f64({0.1, -0.2}, {2}), var = f64({0.5, 2.0}, {2}), weight = f64({1.5, 0.5}, {2}),
         bias = f64({0.25, -0.75}, {2});
};

TEST(Fusion, WeightsMatchPyTorch113) {
  const BnStats bn;
  const Tensor conv_w = f64({1, 2, 3, -4}, {2, 1, 1, 2});
  auto [w, b] = utils::fuse_conv_bn_weights(conv_w, f64({0.5, -1}, {2}), bn.mean, bn.var, 1e-5, bn.weight, bn.bias);
  expect_values(w, {2.1212991306744, 4.2425982613488, 1.0606575201393356, -1.4142100268524473}, 1e-15);
  expect_values(b, {1.09851965226976, -1.0328420053704894}, 1e-15);
  std::tie(w, b) = utils::fuse_conv_bn_weights(conv_w, Tensor(), bn.mean, bn.var, 1e-3, Tensor(), Tensor());
  expect_values(w, {1.4128014666017077, 2.8256029332034154, 2.120790212264707, -2.8277202830196093}, 1e-15);
  expect_values(b, {-0.14128014666017077, 0.14138601415098048}, 1e-15);
  std::tie(w, b) = utils::fuse_conv_bn_weights(f64({1, 2, 3, -4}, {1, 2, 1, 2}), f64({0.5, -1}, {2}), bn.mean, bn.var,
                                               1e-5, bn.weight, bn.bias, /*transpose=*/true);
  expect_values(w, {2.1212991306744, 4.2425982613488, 1.0606575201393356, -1.4142100268524473}, 1e-15);
  std::tie(w, b) =
      utils::fuse_linear_bn_weights(f64({1, 2, 3, -4, 5, 6}, {2, 3}), Tensor(), bn.mean, bn.var, 1e-5, bn.weight, bn.bias);
  expect_values(w, {2.1212991306744, 4.2425982613488, 6.363897392023199, -1.4142100268524473, 1.7677625335655591,
                    2.121315040278671},
                1e-15);
  expect_values(b, {0.03787008693256, -0.6792894986573776}, 1e-15);
}

// BatchNorm with trained running statistics: a few training-mode batches.
template <typename BN>
void train_statistics(BN& bn, const Dims& input_shape) {
  bn.train();
  for (int i = 0; i < 3; ++i) bn(randn(input_shape, TensorOptions(kFloat64)) * (i + 1.0) + 0.5);
  NoGradGuard no_grad;
  bn.weight.uniform_(0.5, 1.5);
  bn.bias.uniform_(-0.5, 0.5);
  bn.eval();
}

TEST(Fusion, FusedLayersEqualTheUnfusedPairs) {
  manual_seed(4);
  auto conv = std::make_shared<nn::Conv2d>(3, 4, 3, nn::Conv2dOptions{.stride = 2, .padding = 1, .bias = false});
  auto bn = std::make_shared<nn::BatchNorm2d>(4);
  conv->to(kFloat64);
  bn->to(kFloat64);
  train_statistics(*bn, {8, 4, 5, 5});
  conv->eval();
  const auto fused = utils::fuse_conv_bn_eval(*conv, *bn);
  EXPECT_FALSE(fused->is_training());
  EXPECT_TRUE(fused->bias.defined());
  EXPECT_EQ(fused->options.stride, conv->options.stride);
  const Tensor x = randn({2, 3, 9, 9}, TensorOptions(kFloat64));
  EXPECT_TRUE(allclose((*fused)(x), (*bn)((*conv)(x)), 1e-12, 1e-12));

  auto conv1 = std::make_shared<nn::Conv1d>(2, 2, 3);
  auto bn1 = std::make_shared<nn::BatchNorm1d>(2);
  auto linear = std::make_shared<nn::Linear>(5, 2);
  for (nn::Module* m : std::vector<nn::Module*>{conv1.get(), bn1.get(), linear.get()}) m->to(kFloat64);
  train_statistics(*bn1, {6, 2, 4});
  conv1->eval();
  linear->eval();
  const Tensor seq = randn({2, 2, 7}, TensorOptions(kFloat64));
  EXPECT_TRUE(allclose((*utils::fuse_conv_bn_eval(*conv1, *bn1))(seq), (*bn1)((*conv1)(seq)), 1e-12, 1e-12));
  const Tensor rows = randn({3, 5}, TensorOptions(kFloat64));
  EXPECT_TRUE(allclose((*utils::fuse_linear_bn_eval(*linear, *bn1))(rows), (*bn1)((*linear)(rows)), 1e-12, 1e-12));
}

TEST(Fusion, SequentialFoldsEachPairAndSharesTheRest) {
  manual_seed(6);
  auto relu = std::make_shared<nn::ReLU>();
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.padding = 1}), std::make_shared<nn::BatchNorm2d>(4),
      relu, std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(64, 3),
      std::make_shared<nn::BatchNorm1d>(3)});
  net->train();
  for (int i = 0; i < 3; ++i) (*net)(randn({8, 1, 8, 8}));
  net->eval();
  const auto fused = utils::fuse_conv_bn_eval(*net);
  ASSERT_EQ(fused->size(), 5u);  // conv+bn, relu, pool, flatten, linear+bn
  EXPECT_TRUE((*fused)[1].get() == relu.get());
  EXPECT_NE(dynamic_cast<nn::Conv2d*>((*fused)[0].get()), nullptr);
  EXPECT_NE(dynamic_cast<nn::Linear*>((*fused)[4].get()), nullptr);
  const Tensor x = randn({5, 1, 8, 8});
  EXPECT_TRUE(allclose((*fused)(x), (*net)(x), 1e-5, 1e-5));
  EXPECT_EQ(fused->parameters().size(), 4u);  // two fused layers, weight and bias each
}

TEST(Fusion, OnlyForEvalAndRunningStatistics) {
  auto conv = std::make_shared<nn::Conv2d>(1, 2, 3);
  auto bn = std::make_shared<nn::BatchNorm2d>(2);
  EXPECT_EMBER_ERROR(utils::fuse_conv_bn_eval(*conv, *bn), "Fusion only for eval!");
  conv->eval();
  bn->eval();
  auto wrong = std::make_shared<nn::BatchNorm2d>(3);
  wrong->eval();
  EXPECT_EMBER_ERROR(utils::fuse_conv_bn_eval(*conv, *wrong), "fuse: Conv2d gives 2 channels but BatchNorm2d normalises 3");
  auto batch_stats = std::make_shared<nn::BatchNorm2d>(2, nn::BatchNormOptions{.track_running_stats = false});
  batch_stats->eval();
  EXPECT_EMBER_ERROR(utils::fuse_conv_bn_eval(*conv, *batch_stats), "has no running statistics");
  nn::Sequential training({conv, bn});
  training.train();
  EXPECT_EMBER_ERROR(utils::fuse_conv_bn_eval(training), "Fusion only for eval!");
}

}  // namespace
}  // namespace ember
