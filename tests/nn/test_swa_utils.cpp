// optim::swa_utils against PyTorch 1.13: AveragedModel's running mean and state-dict keys,
// an EMA through get_ema_avg_fn, SWALR's cosine and linear anneals, update_bn's statistics
// and restored momentum, and the errors.
#include <gmock/gmock.h>

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
using ::testing::ElementsAre;
namespace swa = optim::swa_utils;

std::shared_ptr<nn::Sequential> linear_bn() {
  auto net = std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(2, 2), std::make_shared<nn::BatchNorm1d>(2)});
  net->to(kFloat64);
  return net;
}

std::vector<std::string> keys(const nn::StateDict& sd) {
  std::vector<std::string> out;
  for (const auto& [k, _] : sd) out.push_back(k);
  return out;
}

void add_to_parameters(nn::Module& m, double v) {
  NoGradGuard no_grad;
  for (Tensor p : m.parameters()) p.add_(v);
}

TEST(AveragedModel, RunningMeanAndUpdateBnAsPyTorch) {
  auto net = linear_bn();
  {
    NoGradGuard no_grad;
    net->get_parameter("0.weight").copy_(tensor(std::vector<double>{1, 2, 3, 4}, {2, 2}, TensorOptions(kFloat64)));
    net->get_parameter("0.bias").copy_(tensor(std::vector<double>{0, 1}, {2}, TensorOptions(kFloat64)));
  }
  swa::AveragedModel averaged(*net, linear_bn());
  EXPECT_THAT(keys(averaged.state_dict()),
              ElementsAre("n_averaged", "module.0.weight", "module.0.bias", "module.1.weight", "module.1.bias",
                          "module.1.running_mean", "module.1.running_var", "module.1.num_batches_tracked"));
  expect_values(averaged.module->get_parameter("0.weight"), {1, 2, 3, 4});  // the model's, as deepcopy
  for (int k = 0; k < 3; ++k) {
    add_to_parameters(*net, 1.0);
    averaged.update_parameters(*net);
  }
  EXPECT_EQ(averaged.n_averaged(), 3);
  expect_values(averaged.module->get_parameter("0.weight"), {3, 4, 5, 6}, 1e-12);  // PyTorch 1.13
  expect_values(averaged.module->get_parameter("0.bias"), {2, 3}, 1e-12);
  expect_values(averaged.module->get_parameter("1.weight"), {3, 3}, 1e-12);

  const Tensor x = tensor(std::vector<double>{1, 2, 3, -1, 0.5, 0.5, 2, 2}, {4, 2}, TensorOptions(kFloat64));
  averaged.eval();
  swa::update_bn({x.narrow(0, 0, 2), x.narrow(0, 2, 2)}, averaged);
  auto* bn = dynamic_cast<nn::BatchNorm1d*>(averaged.module->children()[1].get());
  ASSERT_NE(bn, nullptr);
  expect_values(bn->running_mean, {10.375, 16.375}, 1e-12);  // PyTorch 1.13's update_bn
  expect_values(bn->running_var, {36.5625, 84.0625}, 1e-12);
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 2);
  EXPECT_EQ(bn->momentum(), std::optional<double>(0.1));  // restored
  EXPECT_FALSE(averaged.is_training());                   // restored
  // The averaged model's forward is its copy's.
  expect_values(averaged(x), averaged.module->forward(x).to_vector<double>(), 0.0);
}

// PyTorch 2 (#84054): without use_buffers each update copies the model's buffers, so the
// copy's BatchNorm statistics follow the model's until update_bn recomputes them.
TEST(AveragedModel, UpdateCopiesTheBuffersItDoesNotAverage) {
  auto net = linear_bn();
  swa::AveragedModel averaged(*net, linear_bn());
  net->train();
  const Tensor x = tensor(std::vector<double>{1, 2, 3, -1, 0.5, 0.5}, {3, 2}, TensorOptions(kFloat64));
  for (int k = 0; k < 3; ++k) (*net)(x);
  averaged.update_parameters(*net);
  auto* model_bn = dynamic_cast<nn::BatchNorm1d*>(net->children()[1].get());
  auto* copy_bn = dynamic_cast<nn::BatchNorm1d*>(averaged.module->children()[1].get());
  ASSERT_NE(model_bn, nullptr);
  ASSERT_NE(copy_bn, nullptr);
  EXPECT_NE(model_bn->running_mean.abs().sum().item<double>(), 0.0);
  expect_values(copy_bn->running_mean, model_bn->running_mean.to_vector<double>(), 0.0);
  expect_values(copy_bn->running_var, model_bn->running_var.to_vector<double>(), 0.0);
  EXPECT_EQ(copy_bn->num_batches_tracked.item<int64_t>(), 3);
}

TEST(AveragedModel, EmaAndBuffers) {
  auto net = linear_bn();
  swa::AveragedModel ema(*net, linear_bn(), {.avg_fn = swa::get_ema_avg_fn(0.9), .use_buffers = true});
  const Tensor w0 = net->get_parameter("0.weight").detach().clone();
  ema.update_parameters(*net);  // the first copies
  add_to_parameters(*net, 10.0);
  {
    NoGradGuard no_grad;
    net->get_buffer("1.running_mean").fill_(5.0);
  }
  ema.update_parameters(*net);
  // 0.9 * w0 + 0.1 * (w0 + 10) = w0 + 1; the buffer: 0.9 * 0 + 0.1 * 5
  EXPECT_LT(ember::testing::max_abs_diff(ema.module->get_parameter("0.weight"), w0 + 1.0), 1e-12);
  expect_values(ema.module->get_buffer("1.running_mean"), {0.5, 0.5}, 1e-12);
  EXPECT_EMBER_ERROR(swa::get_ema_avg_fn(1.5), "expected a decay in [0, 1], got 1.5");
  EXPECT_EMBER_ERROR(ema.update_parameters(*std::make_shared<nn::Linear>(2, 2)),
                     "expected a model with 7 parameters and buffers");
  EXPECT_EMBER_ERROR(swa::AveragedModel(*net, std::make_shared<nn::Linear>(2, 2)), "Missing key(s)");
  EXPECT_EMBER_ERROR(swa::AveragedModel(*net, nullptr), "expected a fresh instance");
}

std::vector<double> swalr_lrs(double lr, int64_t anneal, const std::string& strategy, int steps) {
  Tensor p = zeros({1}).requires_grad_();
  optim::SGD sgd({p}, {.lr = lr});
  swa::SWALR schedule(sgd, 0.05, anneal, strategy);
  std::vector<double> out{sgd.lr(0)};
  for (int i = 0; i < steps; ++i) {
    schedule.step();
    out.push_back(sgd.lr(0));
  }
  return out;
}

TEST(SWALR, AnnealsAsPyTorch) {
  const auto cosine = swalr_lrs(0.5, 3, "cos", 5);
  const std::vector<double> torch_cosine{0.5, 0.3875, 0.16250000000000006, 0.05, 0.05, 0.05};
  for (size_t i = 0; i < cosine.size(); ++i) EXPECT_NEAR(cosine[i], torch_cosine[i], 1e-15) << i;
  const auto linear = swalr_lrs(0.5, 3, "linear", 5);
  const std::vector<double> torch_linear{0.5, 0.35000000000000003, 0.2, 0.05, 0.05, 0.05};
  for (size_t i = 0; i < linear.size(); ++i) EXPECT_NEAR(linear[i], torch_linear[i], 1e-15) << i;
  EXPECT_THAT(swalr_lrs(0.5, 0, "cos", 2), ElementsAre(0.05, 0.05, 0.05));
  Tensor p = zeros({1}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 0.1});
  EXPECT_EMBER_ERROR(swa::SWALR(sgd, 0.05, 3, "step"), "anneal_strategy must by one of 'cos' or 'linear', instead got step");
  EXPECT_EMBER_ERROR(swa::SWALR(sgd, 0.05, -1), "anneal_epochs must be equal or greater than 0, got -1");
  EXPECT_EMBER_ERROR(
      swa::SWALR(sgd, std::vector<double>{0.1, 0.2}),
      "swa_lr must have the same length as optimizer.param_groups. swa_lr has 2 values, param_groups has 1.");
}

}  // namespace
}  // namespace ember
