// The collectives on CUDA tensors (NCCL, each rank on cuda:local_rank) at the world size
// mpirun gives: all_reduce Sum/Avg, all_reduce_async, broadcast, all_gather, argument
// checks, and DistributedDataParallel on the GPU. Skipped without one GPU per rank.
#include <gtest/gtest.h>

#include "cuda/stream.h"
#include "nn/functional/loss.h"
#include "support/helpers.h"

namespace ember {
namespace {

int rank() { return distributed::rank(); }
int world() { return distributed::world_size(); }

// The same answer on every rank of a machine, so no rank enters a collective alone.
// NCCL cannot put two ranks of one communicator on one GPU.
#define REQUIRE_GPU_PER_RANK()                                                                          \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";                                          \
  if (cuda::device_count() < distributed::local_world_size())                                           \
    GTEST_SKIP() << "needs one GPU per rank: " << distributed::local_world_size() << " ranks, "         \
                 << cuda::device_count() << " GPUs";                                                    \
  cuda::set_device(distributed::local_rank())

Device my_gpu() { return Device::cuda(distributed::local_rank()); }

TEST(CollectivesCuda, AllReduceSumAndAvg) {
  REQUIRE_GPU_PER_RANK();
  Tensor t = tensor(std::vector<float>{1.0f * static_cast<float>(rank()), 2.0f, 3.0f}).to(my_gpu());
  distributed::all_reduce(t, distributed::ReduceOp::Sum);
  const float ranks_sum = static_cast<float>(world() * (world() - 1) / 2);
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{ranks_sum, 2.0f * world(), 3.0f * world()}));
  Tensor a = tensor(std::vector<double>{static_cast<double>(rank()), 4.0}).to(my_gpu());
  distributed::all_reduce(a, distributed::ReduceOp::Avg);
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{ranks_sum / world(), 4.0}));
  Tensor i = tensor(std::vector<int64_t>{rank() + 1}).to(my_gpu());
  distributed::all_reduce(i);
  EXPECT_EQ(i.item<int64_t>(), world() * (world() + 1) / 2);
}

TEST(CollectivesCuda, AllReduceAsyncWaits) {
  REQUIRE_GPU_PER_RANK();
  Tensor t = full({1 << 20}, static_cast<double>(rank() + 1), TensorOptions(kFloat32).device(my_gpu()));
  auto work = distributed::all_reduce_async(t, distributed::ReduceOp::Avg);
  work->wait();
  EXPECT_TRUE(work->test());
  EXPECT_FLOAT_EQ(t.to_vector<float>()[(1 << 20) - 1], (world() + 1) / 2.0f);
}

TEST(CollectivesCuda, BroadcastFromEachRoot) {
  REQUIRE_GPU_PER_RANK();
  for (int root = 0; root < world(); ++root) {
    Tensor t = full({2, 3}, static_cast<double>(rank() * 10), TensorOptions(kFloat32).device(my_gpu()));
    distributed::broadcast(t, root);
    EXPECT_EQ(t.to_vector<float>(), std::vector<float>(6, static_cast<float>(root * 10)));
  }
}

TEST(CollectivesCuda, AllGatherValues) {
  REQUIRE_GPU_PER_RANK();
  std::vector<Tensor> out;
  distributed::all_gather(out, tensor(std::vector<int64_t>{rank(), rank() * 2}).to(my_gpu()));
  ASSERT_EQ(out.size(), static_cast<size_t>(world()));
  for (int r = 0; r < world(); ++r) {
    EXPECT_TRUE(out[r].is_cuda());
    EXPECT_EQ(out[r].to_vector<int64_t>(), (std::vector<int64_t>{r, 2 * r}));
  }
}

TEST(CollectivesCuda, MismatchedShapesAreAnErrorOnEveryRank) {
  REQUIRE_GPU_PER_RANK();
  Tensor t = zeros({3 + rank()}, TensorOptions(kFloat32).device(my_gpu()));
  EXPECT_EMBER_ERROR(distributed::all_reduce(t), "expected the same element count on every rank");
  Tensor ok = ones({4}, TensorOptions(kFloat32).device(my_gpu()));
  distributed::all_reduce(ok);
  EXPECT_EQ(ok.to_vector<float>(), std::vector<float>(4, static_cast<float>(world())));
}

// DDP with buckets on the GPU: every rank ends a backward with the same averaged gradients.
TEST(CollectivesCuda, DdpAveragesGradientsOnTheGpu) {
  REQUIRE_GPU_PER_RANK();
  manual_seed(5);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(64, 300), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(300, 10)});
  net->to(my_gpu());
  nn::DistributedDataParallel ddp(net, {.bucket_cap_bytes = 32 << 10, .first_bucket_cap_bytes = 16 << 10});
  ASSERT_GE(ddp.bucket_parameter_indices().size(), 2u);
  manual_seed(50 + static_cast<uint64_t>(rank()));
  Tensor x = randn({8, 64}).to(my_gpu());
  std::vector<int64_t> labels(8, rank() % 10);
  nn::functional::cross_entropy(ddp(x), tensor(labels).to(my_gpu())).backward();
  for (const Tensor& p : net->parameters()) {
    std::vector<Tensor> all;
    distributed::all_gather(all, p.grad());
    for (const Tensor& other : all) EXPECT_EQ(other.to_vector<float>(), p.grad().to_vector<float>());
  }
}

// SyncBatchNorm on each rank's GPU against BatchNorm2d on the whole batch on the CPU.
TEST(CollectivesCuda, SyncBatchNormEqualsTheWholeBatchOnTheCpu) {
  REQUIRE_GPU_PER_RANK();
  constexpr int64_t kPerRank = 4;
  manual_seed(8);
  nn::BatchNorm2d reference(3);
  nn::SyncBatchNorm sync(3);
  sync.to(my_gpu());
  Tensor x = randn({kPerRank * world(), 3, 6, 6}, kFloat64);
  Tensor g = randn({kPerRank * world(), 3, 6, 6}, kFloat64);
  Tensor xr = x.clone().requires_grad_(true);
  Tensor mine = x.narrow(0, rank() * kPerRank, kPerRank).to(my_gpu()).requires_grad_(true);
  Tensor y = reference(xr), y_mine = sync(mine);
  (y * g).sum().backward();
  (y_mine * g.narrow(0, rank() * kPerRank, kPerRank).to(my_gpu())).sum().backward();
  const auto diff = [](const Tensor& a, const Tensor& b) {
    return (a.cpu().to(kFloat64) - b.cpu().to(kFloat64)).abs().max().item<double>();
  };
  EXPECT_LT(diff(y_mine, y.detach().narrow(0, rank() * kPerRank, kPerRank)), 1e-6);
  EXPECT_LT(diff(mine.grad(), xr.grad().narrow(0, rank() * kPerRank, kPerRank)), 1e-6);
  EXPECT_LT(diff(sync.running_mean, reference.running_mean), 1e-6);
  EXPECT_LT(diff(sync.running_var, reference.running_var), 1e-6);
  Tensor wg = sync.weight.grad().clone();
  distributed::all_reduce(wg);
  EXPECT_LT(diff(wg, reference.weight.grad()), 1e-5);
}

}  // namespace
}  // namespace ember
