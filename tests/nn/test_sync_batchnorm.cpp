// SyncBatchNorm on one process (no process group): the module is BatchNorm2d exactly,
// functional::sync_batch_norm's own path equals batch_norm and passes gradcheck, and
// convert_sync_batchnorm swaps BatchNorm layers keeping their tensors.
#include <gtest/gtest.h>

#include "autograd/gradcheck.h"
#include "support/helpers.h"

namespace ember {
namespace {

using testing::copy_batch_norm_state;
using testing::max_abs_diff;

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
using testing::expect_gradcheck;
using testing::grad_input;

// Parameters and buffers in float64 (the same values), so comparisons can be tight.
void make_float64(nn::BatchNormBase& bn) {
  NoGradGuard no_grad;
  bn.weight = (rand({bn.num_features}, kFloat64) + 0.5).requires_grad_(true);
  bn.bias = rand({bn.num_features}, kFloat64).requires_grad_(true);
  bn.running_mean = bn.running_mean.to(kFloat64);
  bn.running_var = bn.running_var.to(kFloat64);
}

// float32 activations far from zero: the statistics come from deviations, not from
// Σ x^2 - n mean^2 (which in float32 would lose the variance of 1 under a mean of 1e4).
TEST(SyncBatchNorm, Float32WithALargeMeanKeepsItsVariance) {
  manual_seed(12);
  const Tensor x64 = randn({16, 2, 6, 6}, kFloat64) + 1e4;
  const Tensor rm = zeros({2}), rv = ones({2});
  const Tensor y = F::sync_batch_norm(x64.to(kFloat32), rm, rv, Tensor(), Tensor(), 0.1, 1e-5);
  const Tensor ref_rv = ones({2}, kFloat64);
  const Tensor ref = F::batch_norm(x64, zeros({2}, kFloat64), ref_rv, Tensor(), Tensor(), true, 0.1, 1e-5);
  // The input's own float32 rounding (ulp 1e-3 at 1e4) bounds what any method can do.
  EXPECT_LT(max_abs_diff(y, ref), 5e-3);
  EXPECT_LT(max_abs_diff(rv, ref_rv), 1e-3);
  EXPECT_GT(rv.to_vector<float>()[0], 0.95f);  // 0.9 + 0.1 * (a variance near 1)
}

TEST(SyncBatchNorm, WithoutProcessGroupIsBatchNorm2d) {
  ASSERT_FALSE(distributed::is_initialized());
  manual_seed(11);
  nn::BatchNorm2d bn(3);
  make_float64(bn);
  nn::SyncBatchNorm sync(3);
  copy_batch_norm_state(bn, sync);
  EXPECT_EQ(sync.type_name(), "SyncBatchNorm");
  for (int step = 0; step < 2; ++step) {
    Tensor x = randn({4, 3, 5, 5}, kFloat64).requires_grad_(true);
    Tensor x2 = x.detach().clone().requires_grad_(true);
    Tensor g = randn({4, 3, 5, 5}, kFloat64);
    Tensor y = bn(x), y2 = sync(x2);
    EXPECT_LT(max_abs_diff(y, y2), 1e-12);
    (y * g).sum().backward();
    (y2 * g).sum().backward();
    EXPECT_LT(max_abs_diff(x.grad(), x2.grad()), 1e-12);
    EXPECT_LT(max_abs_diff(bn.weight.grad(), sync.weight.grad()), 1e-12);
    EXPECT_LT(max_abs_diff(bn.bias.grad(), sync.bias.grad()), 1e-12);
  }
  EXPECT_LT(max_abs_diff(bn.running_mean, sync.running_mean), 1e-14);
  EXPECT_LT(max_abs_diff(bn.running_var, sync.running_var), 1e-14);
  EXPECT_EQ(sync.num_batches_tracked.item<int64_t>(), 2);
  bn.eval();
  sync.eval();
  Tensor x = randn({2, 3, 4, 4}, kFloat64);
  EXPECT_LT(max_abs_diff(bn(x), sync(x)), 1e-14);
}

// The synchronised path itself (its all-reduces skipped on one process) against batch_norm.
TEST(SyncBatchNorm, FunctionalEqualsBatchNormTraining) {
  manual_seed(12);
  for (const Dims& shape : {Dims{6, 3}, Dims{4, 3, 7}, Dims{3, 3, 4, 5}}) {
    for (std::optional<double> momentum : {std::optional<double>(0.1), std::optional<double>()}) {
      Tensor x = randn(shape, kFloat64).requires_grad_(true), x2 = x.detach().clone().requires_grad_(true);
      Tensor w = grad_input({3}, 0.5, 1.5), w2 = w.detach().clone().requires_grad_(true);
      Tensor b = grad_input({3}), b2 = b.detach().clone().requires_grad_(true);
      Tensor rm = rand({3}, kFloat64), rv = rand({3}, kFloat64) + 0.5;
      Tensor rm2 = rm.clone(), rv2 = rv.clone();
      Tensor tracked = full({}, 3.0, TensorOptions(kInt64));
      Tensor g = randn(shape, kFloat64);
      Tensor y = F::batch_norm(x, rm, rv, w, b, true, momentum, 1e-5, tracked);
      Tensor y2 = F::sync_batch_norm(x2, rm2, rv2, w2, b2, momentum, 1e-5, tracked);
      EXPECT_LT(max_abs_diff(y, y2), 1e-12) << shape;
      (y * g).sum().backward();
      (y2 * g).sum().backward();
      EXPECT_LT(max_abs_diff(x.grad(), x2.grad()), 1e-12) << shape;
      EXPECT_LT(max_abs_diff(w.grad(), w2.grad()), 1e-12) << shape;
      EXPECT_LT(max_abs_diff(b.grad(), b2.grad()), 1e-12) << shape;
      EXPECT_LT(max_abs_diff(rm, rm2), 1e-14) << shape;
      EXPECT_LT(max_abs_diff(rv, rv2), 1e-13) << shape;
    }
  }
}

TEST(SyncBatchNorm, Gradcheck) {
  manual_seed(13);
  Tensor g = randn({4, 3, 2, 2}, kFloat64);
  expect_gradcheck([&](const Inputs& in) { return F::sync_batch_norm(in[0], Tensor(), Tensor(), in[1], in[2]) * g; },
                   {grad_input({4, 3, 2, 2}), grad_input({3}, 0.5, 1.5), grad_input({3})});
  Tensor g2 = randn({5, 2}, kFloat64);
  expect_gradcheck([&](const Inputs& in) { return F::sync_batch_norm(in[0], Tensor(), Tensor()) * g2; },
                   {grad_input({5, 2})});
}

TEST(SyncBatchNorm, ArgumentErrors) {
  nn::SyncBatchNorm sync(3);
  EXPECT_EMBER_ERROR(sync(zeros({3})), "expected at least 2D input (got 1D input)");
  EXPECT_EMBER_ERROR(sync(zeros({2, 4})), "expected 3 channels in dim 1");
  EXPECT_EMBER_ERROR(F::sync_batch_norm(zeros({1, 3}), Tensor(), Tensor()), "Expected more than 1 value per channel");
  EXPECT_EMBER_ERROR(F::sync_batch_norm(zeros({2, 3}, kInt64), Tensor(), Tensor()), "expected a floating-point input");
  EXPECT_EMBER_ERROR(F::sync_batch_norm(zeros({2, 3}), zeros({4}), Tensor()), "expected per-channel tensors of size [3]");
}

TEST(SyncBatchNorm, ConvertSwapsBatchNormKeepingTensors) {
  auto inner = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Flatten>(), std::make_shared<nn::BatchNorm1d>(8)});
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 2, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(2, nn::BatchNormOptions{.eps = 1e-3, .momentum = 0.2}),
      std::make_shared<nn::MaxPool2d>(2), inner});
  net->eval();
  const auto tensors_of = [](const nn::Module& m) {
    nn::StateDict all = m.named_parameters();
    for (auto& entry : m.named_buffers()) all.push_back(entry);
    return all;
  };
  const nn::StateDict before = tensors_of(*net);
  Tensor x = randn({2, 1, 4, 4});
  const Tensor y_before = (*net)(x);
  auto converted = nn::SyncBatchNorm::convert_sync_batchnorm(net);
  EXPECT_EQ(converted, net);
  EXPECT_EQ((*net)[1]->type_name(), "SyncBatchNorm");
  EXPECT_EQ((*inner)[1]->type_name(), "SyncBatchNorm");
  const auto* sync = dynamic_cast<const nn::SyncBatchNorm*>((*net)[1].get());
  ASSERT_NE(sync, nullptr);
  EXPECT_EQ(sync->options.eps, 1e-3);
  EXPECT_FALSE(sync->is_training());
  const nn::StateDict after = tensors_of(*net);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].first, before[i].first);
    EXPECT_TRUE(after[i].second.is_same(before[i].second)) << after[i].first << " is the same tensor";
  }
  EXPECT_LT(max_abs_diff((*net)(x), y_before), 1e-7);
  auto lone = nn::SyncBatchNorm::convert_sync_batchnorm(std::make_shared<nn::BatchNorm2d>(4));
  EXPECT_EQ(lone->type_name(), "SyncBatchNorm");
  EXPECT_EMBER_ERROR(net->replace_module("9", lone), "expected the name of a child (0, 1, 2, 3), got '9'");
}

}  // namespace
}  // namespace ember
