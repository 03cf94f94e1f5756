// The collectives on CPU tensors with 2 or more ranks: all_reduce (Sum, Avg), broadcast,
// all_gather, barrier, and mismatched tensors across ranks reported as ember::Error.
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

int rank() { return distributed::rank(); }
int world() { return distributed::world_size(); }

TEST(Collectives, JobHasTwoOrMoreRanks) {
  EXPECT_GE(world(), 2) << "run under mpirun -np 2";
  EXPECT_GE(distributed::local_rank(), 0);
  EXPECT_LT(rank(), world());
}

TEST(Collectives, AllReduceSumAndAvg) {
  Tensor t = tensor(std::vector<float>{1.0f * static_cast<float>(rank()), 2.0f, 3.0f});
  distributed::all_reduce(t, distributed::ReduceOp::Sum);
  const float ranks_sum = static_cast<float>(world() * (world() - 1) / 2);
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{ranks_sum, 2.0f * world(), 3.0f * world()}));
  Tensor a = tensor(std::vector<double>{static_cast<double>(rank()), 4.0});
  distributed::all_reduce(a, distributed::ReduceOp::Avg);
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{ranks_sum / world(), 4.0}));
  Tensor i = tensor(std::vector<int64_t>{rank() + 1});
  distributed::all_reduce(i);
  EXPECT_EQ(i.item<int64_t>(), world() * (world() + 1) / 2);
}

TEST(Collectives, AllReduceAsyncWaits) {
  Tensor t = full({1000}, static_cast<double>(rank() + 1), TensorOptions(kFloat32));
  auto work = distributed::all_reduce_async(t, distributed::ReduceOp::Avg);
  work->wait();
  EXPECT_TRUE(work->test());
  EXPECT_FLOAT_EQ(t.to_vector<float>()[999], (world() + 1) / 2.0f);
}

TEST(Collectives, BroadcastFromEachRoot) {
  for (int root = 0; root < world(); ++root) {
    Tensor t = full({2, 3}, static_cast<double>(rank() * 10), TensorOptions(kFloat32));
    distributed::broadcast(t, root);
    EXPECT_EQ(t.to_vector<float>(), std::vector<float>(6, static_cast<float>(root * 10)));
  }
}

TEST(Collectives, AllGatherValues) {
  std::vector<Tensor> out;
  distributed::all_gather(out, tensor(std::vector<int64_t>{rank(), rank() * 2}));
  ASSERT_EQ(out.size(), static_cast<size_t>(world()));
  for (int r = 0; r < world(); ++r) EXPECT_EQ(out[r].to_vector<int64_t>(), (std::vector<int64_t>{r, 2 * r}));
  std::vector<Tensor> wrong(1, zeros({2}, TensorOptions(kInt64)));
  if (world() > 1) EXPECT_EMBER_ERROR(distributed::all_gather(wrong, out[0]), "one per rank");
}

TEST(Collectives, BarrierReturns) { distributed::barrier(); }

TEST(Collectives, MismatchedShapesAreAnErrorOnEveryRank) {
  Tensor t = zeros({3 + rank()}, TensorOptions(kFloat32));
  EXPECT_EMBER_ERROR(distributed::all_reduce(t), "expected the same element count on every rank");
  Tensor d = zeros({4}, TensorOptions(rank() == 0 ? kFloat32 : kFloat64));
  EXPECT_EMBER_ERROR(distributed::broadcast(d, 0), "expected the same dtype on every rank");
  // The group still works afterwards: the check runs before the collective.
  Tensor ok = ones({4}, TensorOptions(kFloat32));
  distributed::all_reduce(ok);
  EXPECT_EQ(ok.to_vector<float>(), std::vector<float>(4, static_cast<float>(world())));
}

TEST(Collectives, ArgumentErrors) {
  EXPECT_EMBER_ERROR(distributed::all_reduce(tensor(std::vector<int64_t>{1}), distributed::ReduceOp::Avg),
                     "ReduceOp::Avg expected a floating-point tensor");
  EXPECT_EMBER_ERROR(distributed::broadcast(zeros({1}), world()), "expected a root in [0, ");
  Tensor strided = zeros({4, 4}).transpose(0, 1);
  EXPECT_EMBER_ERROR(distributed::all_reduce(strided), "expected a contiguous tensor");
}

TEST(Collectives, SamplerShardsAreDisjointAndCoverTheEpoch) {
  for (size_t n : {100u, 101u, 7u}) {
    data::DistributedSampler sampler(n, {.shuffle = true, .seed = 3});
    sampler.set_epoch(2);
    std::vector<Tensor> all;
    distributed::all_gather(all, tensor(sampler.indices()));
    std::vector<int> seen(n, 0);
    for (const Tensor& shard : all)
      for (int64_t i : shard.to_vector<int64_t>()) seen[static_cast<size_t>(i)] += 1;
    const size_t padded = sampler.total_size() - n;
    size_t twice = 0;
    for (int count : seen) {
      EXPECT_GE(count, 1);
      twice += static_cast<size_t>(count - 1);
    }
    EXPECT_EQ(twice, padded) << "n=" << n;
  }
}

}  // namespace
}  // namespace ember
