// DistributedDataParallel on 2 ranks: equal to one process with the whole batch, buckets
// in reverse parameter order started during backward, gradients averaged before
// backward() returns, no_sync accumulation, unused parameters, different models refused.
#include <gtest/gtest.h>

#include "nn/functional/loss.h"
#include "distributed/lockstep.h"
#include "support/helpers.h"

namespace ember {
namespace {

using testing::copy_batch_norm_state;
using testing::max_abs_diff;

constexpr int64_t kPerRank = 64;

// No BatchNorm, no dropout: the per-process part of the step is then exactly the split
// of the whole batch's mean loss.
std::shared_ptr<nn::Sequential> make_net() {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(4 * 4 * 4, 16), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(16, 10)});
}

// The global batch of a step: the same on every rank.
std::pair<Tensor, Tensor> global_batch(int step, int64_t n) {
  manual_seed(1000 + static_cast<uint64_t>(step));
  Tensor x = randn({n, 1, 8, 8});
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = (i * 7 + step) % 10;
  return {x, tensor(labels)};
}

// A plain copy of the wrapped model's current weights.
std::shared_ptr<nn::Sequential> copy_of(const nn::DistributedDataParallel& ddp) {
  auto net = make_net();
  net->load_state_dict(ddp.module()->state_dict());
  return net;
}

TEST(DistributedDataParallel, TwoRanksOfBatch64EqualOneProcessOfBatch128) {
  const int world = distributed::world_size(), rank = distributed::rank();
  manual_seed(100 + static_cast<uint64_t>(rank));  // different weights: the wrapper broadcasts rank 0's
  auto ddp = std::make_shared<nn::DistributedDataParallel>(make_net());
  auto reference = copy_of(*ddp);
  const optim::SGDOptions options{.lr = 0.1, .momentum = 0.9, .dampening = 0, .weight_decay = 0, .nesterov = false};
  optim::SGD sgd(ddp->parameters(), options), sgd_ref(reference->parameters(), options);
  for (int step = 0; step < 5; ++step) {
    auto [x, y] = global_batch(step, kPerRank * world);
    testing::lockstep_sgd_step(*ddp, sgd, *reference, sgd_ref, x, y, rank, kPerRank);
  }
  const auto mine = ddp->module()->parameters(), ref = reference->parameters();
  ASSERT_EQ(mine.size(), ref.size());
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_LT(max_abs_diff(mine[i], ref[i]), 1e-5) << "parameter " << i;
}

TEST(DistributedDataParallel, BucketsReverseOrderStartedDuringBackwardAndReducedBeforeItReturns) {
  const int world = distributed::world_size(), rank = distributed::rank();
  manual_seed(7);
  // A cap of 1 KiB: the 2.6 KiB first Linear weight gets a bucket of its own, small
  // neighbours share one.
  auto ddp = std::make_shared<nn::DistributedDataParallel>(make_net(), nn::DistributedDataParallelOptions{1024});
  const auto buckets = ddp->bucket_parameter_indices();
  ASSERT_GE(buckets.size(), 3u);
  std::vector<size_t> flat;
  for (const auto& b : buckets) flat.insert(flat.end(), b.begin(), b.end());
  const size_t n = ddp->num_gradients();
  ASSERT_EQ(flat.size(), n);
  for (size_t k = 0; k < n; ++k) EXPECT_EQ(flat[k], n - 1 - k) << "buckets take the parameters in reverse order";

  auto reference = copy_of(*ddp);
  auto [x, y] = global_batch(0, kPerRank * world);
  Tensor xs = x.narrow(0, rank * kPerRank, kPerRank), ys = y.narrow(0, rank * kPerRank, kPerRank);
  nn::functional::cross_entropy((*ddp)(xs), ys).backward();
  // Right after backward(): every gradient is the average of the ranks' local gradients.
  nn::functional::cross_entropy((*reference)(xs), ys).backward();
  const auto mine = ddp->module()->parameters(), ref = reference->parameters();
  for (size_t i = 0; i < mine.size(); ++i) {
    Tensor local_avg = ref[i].grad().clone();
    distributed::all_reduce(local_avg, distributed::ReduceOp::Avg);
    EXPECT_LT(max_abs_diff(mine[i].grad(), local_avg), 1e-6) << "parameter " << i;
  }
  const auto& launches = ddp->last_launches();
  ASSERT_EQ(launches.size(), buckets.size());
  for (size_t k = 0; k < launches.size(); ++k) EXPECT_EQ(launches[k].bucket, k) << "buckets start in order";
  EXPECT_LT(launches.front().gradients_ready, n) << "the first bucket started before backward had finished";
}

TEST(DistributedDataParallel, NoSyncAccumulatesLocallyThenAveragesTheSum) {
  const int world = distributed::world_size(), rank = distributed::rank();
  manual_seed(9);
  auto ddp = std::make_shared<nn::DistributedDataParallel>(make_net());
  auto reference = copy_of(*ddp);
  for (int micro = 0; micro < 3; ++micro) {
    auto [x, y] = global_batch(micro, kPerRank * world);
    Tensor xs = x.narrow(0, rank * kPerRank, kPerRank), ys = y.narrow(0, rank * kPerRank, kPerRank);
    if (micro < 2) {
      auto guard = ddp->no_sync();
      nn::functional::cross_entropy((*ddp)(xs), ys).backward();
    } else {
      nn::functional::cross_entropy((*ddp)(xs), ys).backward();
    }
    nn::functional::cross_entropy((*reference)(xs), ys).backward();
    if (micro == 0) {  // under no_sync the gradients are local: they differ across ranks
      std::vector<Tensor> all;
      distributed::all_gather(all, ddp->module()->parameters()[0].grad());
      EXPECT_GT(max_abs_diff(all[0], all[1]), 1e-6);
    }
  }
  const auto mine = ddp->module()->parameters(), ref = reference->parameters();
  for (size_t i = 0; i < mine.size(); ++i) {
    Tensor avg = ref[i].grad().clone();
    distributed::all_reduce(avg, distributed::ReduceOp::Avg);
    EXPECT_LT(max_abs_diff(mine[i].grad(), avg), 1e-5) << "parameter " << i;
  }
}

// A module with a parameter its forward does not use on some step.
class Skipping : public nn::Module {
 public:
  Skipping() : Module("Skipping") {
    used_ = register_module("used", std::make_shared<nn::Linear>(4, 2));
    unused_ = register_module("unused", std::make_shared<nn::Linear>(4, 2));
  }
  Tensor forward(const Tensor& x) override { return (*used_)(x); }

 private:
  std::shared_ptr<nn::Linear> used_, unused_;
};

// Note [Unused parameters]: PyTorch's error by default (after the used ones are averaged,
// and without a hang); with find_unused_parameters the unused .grad stays undefined.
TEST(DistributedDataParallel, UnusedParametersArePyTorchsErrorOrKeepTheirGrad) {
  auto ddp = std::make_shared<nn::DistributedDataParallel>(std::make_shared<Skipping>());
  EXPECT_EMBER_ERROR((*ddp)(ones({3, 4})).sum().backward(),
                     "Parameters which did not receive grad for rank " + std::to_string(distributed::rank()) +
                         ": unused.weight, unused.bias");
  auto params = ddp->module()->parameters();
  EXPECT_EQ(params[0].grad().to_vector<float>(), std::vector<float>(8, 3.0f));
  EXPECT_FALSE(params[2].grad().defined());

  auto finding = std::make_shared<nn::DistributedDataParallel>(std::make_shared<Skipping>(),
                                                               nn::DistributedDataParallelOptions{
                                                                   .find_unused_parameters = true});
  for (int step = 0; step < 2; ++step) (*finding)(ones({3, 4})).sum().backward();
  params = finding->module()->parameters();
  EXPECT_EQ(params[0].grad().to_vector<float>(), std::vector<float>(8, 6.0f));
  EXPECT_FALSE(params[2].grad().defined());
  EXPECT_FALSE(params[3].grad().defined());
}

// Used on rank 0 only: the average of rank 0's gradient and the other ranks' zeros.
class UsedOnRankZero : public Skipping {
 public:
  Tensor forward(const Tensor& x) override {
    Tensor out = Skipping::forward(x);
    return distributed::rank() == 0 ? out + (*extra_)(x) : out;
  }
  std::shared_ptr<nn::Linear> extra_ = register_module("extra", std::make_shared<nn::Linear>(4, 2));
};

TEST(DistributedDataParallel, AParameterSomeRankUsedGetsTheAverage) {
  auto ddp = std::make_shared<nn::DistributedDataParallel>(std::make_shared<UsedOnRankZero>(),
                                                           nn::DistributedDataParallelOptions{
                                                               .find_unused_parameters = true});
  (*ddp)(ones({3, 4})).sum().backward();
  const auto params = ddp->module()->parameters();  // used, unused, extra
  ASSERT_EQ(params.size(), 6u);
  const float expected = 3.0f / static_cast<float>(distributed::world_size());
  EXPECT_EQ(params[4].grad().to_vector<float>(), std::vector<float>(8, expected));
  EXPECT_FALSE(params[2].grad().defined());
}

TEST(DistributedDataParallel, AModuleWithoutTrainableParametersIsPyTorchsError) {
  EXPECT_EMBER_ERROR(nn::DistributedDataParallel(std::make_shared<nn::ReLU>()),
                     "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a "
                     "gradient.");
}

TEST(DistributedDataParallel, DifferentModelsAcrossRanksAreAnError) {
  const int rank = distributed::rank();
  EXPECT_EMBER_ERROR(nn::DistributedDataParallel(std::make_shared<nn::Linear>(4, 2 + rank)),
                     "expected the same model on every rank");
}

TEST(DistributedDataParallel, StateDictNamesTheWrappedModule) {
  nn::DistributedDataParallel ddp(std::make_shared<nn::Linear>(2, 2));
  EXPECT_EQ(ddp.state_dict()[0].first, "module.weight");
}

}  // namespace
}  // namespace ember
