// SyncBatchNorm over the ranks of the job: ranks holding shares of one batch give the
// outputs, input gradients, summed weight/bias gradients and running statistics of
// BatchNorm2d on the whole batch in one process, and with DistributedDataParallel the
// trained parameters of one process.
#include <gtest/gtest.h>

#include "nn/functional/loss.h"
#include "distributed/lockstep.h"
#include "support/helpers.h"

namespace ember {
namespace {

using testing::copy_batch_norm_state;
using testing::max_abs_diff;

constexpr int64_t kChannels = 3;

// Float64 parameters and buffers, the same on every rank (the generator is seeded alike).
void make_float64(nn::BatchNormBase& bn) {
  NoGradGuard no_grad;
  bn.weight = (rand({bn.num_features}, kFloat64) + 0.5).requires_grad_(true);
  bn.bias = rand({bn.num_features}, kFloat64).requires_grad_(true);
  bn.running_mean = rand({bn.num_features}, kFloat64);
  bn.running_var = rand({bn.num_features}, kFloat64) + 0.5;
}

Tensor summed_over_ranks(const Tensor& t) {
  Tensor s = t.clone();
  distributed::all_reduce(s);
  return s;
}

// Rank r holds rows [start(r), start(r) + share(r)) of each global batch.
void expect_equal_to_one_process(const std::vector<int64_t>& shares) {
  const int rank = distributed::rank();
  ASSERT_EQ(shares.size(), static_cast<size_t>(distributed::world_size()));
  int64_t start = 0, total = 0;
  for (size_t r = 0; r < shares.size(); ++r) {
    if (static_cast<int>(r) < rank) start += shares[r];
    total += shares[r];
  }
  const int64_t share = shares[static_cast<size_t>(rank)];
  manual_seed(21);
  nn::BatchNorm2d reference(kChannels, {.eps = 1e-5, .momentum = 0.3});
  make_float64(reference);
  nn::SyncBatchNorm sync(kChannels, {.eps = 1e-5, .momentum = 0.3});
  copy_batch_norm_state(reference, sync);
  for (int step = 0; step < 3; ++step) {
    Tensor x = randn({total, kChannels, 5, 5}, kFloat64).mul_(2.0).add_(0.5 * step).requires_grad_(true);
    Tensor g = randn({total, kChannels, 5, 5}, kFloat64);
    Tensor mine = x.detach().narrow(0, start, share).clone().requires_grad_(true);
    reference.zero_grad();
    sync.zero_grad();
    // Sum losses: the whole batch's loss is the sum of the ranks'.
    Tensor y = reference(x), y_mine = sync(mine);
    (y * g).sum().backward();
    (y_mine * g.narrow(0, start, share)).sum().backward();
    EXPECT_LT(max_abs_diff(y_mine, y.detach().narrow(0, start, share)), 1e-12) << "step " << step;
    EXPECT_LT(max_abs_diff(mine.grad(), x.grad().narrow(0, start, share)), 1e-12) << "step " << step;
    // Each rank's weight and bias gradients are its own share (DDP averages them).
    EXPECT_LT(max_abs_diff(summed_over_ranks(sync.weight.grad()), reference.weight.grad()), 1e-11);
    EXPECT_LT(max_abs_diff(summed_over_ranks(sync.bias.grad()), reference.bias.grad()), 1e-11);
    EXPECT_LT(max_abs_diff(sync.running_mean, reference.running_mean), 1e-13) << "step " << step;
    EXPECT_LT(max_abs_diff(sync.running_var, reference.running_var), 1e-13) << "step " << step;
  }
  EXPECT_EQ(sync.num_batches_tracked.item<int64_t>(), 3);
  reference.eval();
  sync.eval();
  Tensor x = randn({2, kChannels, 4, 4}, kFloat64);
  EXPECT_LT(max_abs_diff(sync(x), reference(x)), 1e-14);
}

TEST(SyncBatchNorm, RanksOfBatch4EqualBatchNorm2dOnTheWholeBatch) {
  expect_equal_to_one_process(std::vector<int64_t>(static_cast<size_t>(distributed::world_size()), 4));
}

TEST(SyncBatchNorm, UnequalSharesOfTheBatch) {
  std::vector<int64_t> shares;
  for (int r = 0; r < distributed::world_size(); ++r) shares.push_back(1 + 2 * r);  // 1, 3, ...: one row is fine
  expect_equal_to_one_process(shares);
}

std::shared_ptr<nn::Sequential> make_bn_net() {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(4), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(4 * 4 * 4, 10)});
}

// With DistributedDataParallel and mean losses per rank, a model with SyncBatchNorm
// trains exactly like one process with the whole batch (plain BatchNorm2d there).
TEST(SyncBatchNorm, WithDdpTrainsLikeOneProcess) {
  const int world = distributed::world_size(), rank = distributed::rank();
  constexpr int64_t kPerRank = 8;
  manual_seed(31);
  auto reference = make_bn_net();
  auto net = make_bn_net();
  net->load_state_dict(reference->state_dict());
  auto ddp = std::make_shared<nn::DistributedDataParallel>(nn::SyncBatchNorm::convert_sync_batchnorm(net));
  const optim::SGDOptions options{.lr = 0.1, .momentum = 0.9, .dampening = 0, .weight_decay = 0, .nesterov = false};
  optim::SGD sgd(ddp->parameters(), options), sgd_ref(reference->parameters(), options);
  for (int step = 0; step < 4; ++step) {
    manual_seed(500 + static_cast<uint64_t>(step));
    Tensor x = randn({kPerRank * world, 1, 8, 8});
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < kPerRank * world; ++i) labels.push_back((i * 3 + step) % 10);
    Tensor y = tensor(labels);
    testing::lockstep_sgd_step(*ddp, sgd, *reference, sgd_ref, x, y, rank, kPerRank);
  }
  const nn::StateDict mine = net->state_dict(), ref = reference->state_dict();
  ASSERT_EQ(mine.size(), ref.size());
  for (size_t i = 0; i < mine.size(); ++i)
    EXPECT_LT(max_abs_diff(mine[i].second, ref[i].second), 2e-5) << mine[i].first;
}

}  // namespace
}  // namespace ember
