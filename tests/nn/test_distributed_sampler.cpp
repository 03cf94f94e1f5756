// data::DistributedSampler without a job (num_replicas and rank given): shards disjoint
// and covering the epoch, PyTorch's padding and drop_last, epochs, and the DataLoader
// over a shard (Note [Distributed sampler shards]).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "support/helpers.h"

namespace ember::data {
namespace {

std::vector<std::vector<int64_t>> shards(size_t n, int replicas, bool shuffle, bool drop_last, uint64_t epoch) {
  std::vector<std::vector<int64_t>> out;
  for (int r = 0; r < replicas; ++r) {
    DistributedSampler s(n, {.shuffle = shuffle, .seed = 5, .drop_last = drop_last, .num_replicas = replicas, .rank = r});
    s.set_epoch(epoch);
    out.push_back(s.indices());
    EXPECT_EQ(out.back().size(), s.num_samples());
  }
  return out;
}

TEST(DistributedSampler, ShardsAreDisjointAndCoverTheEpoch) {
  for (int replicas : {1, 2, 3, 4}) {
    const auto parts = shards(100, replicas, true, false, 1);
    std::multiset<int64_t> all;
    for (const auto& p : parts) all.insert(p.begin(), p.end());
    const size_t padded = ((100 + replicas - 1) / replicas) * static_cast<size_t>(replicas);
    EXPECT_EQ(all.size(), padded);
    EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 100u) << "every sample of the epoch is taken";
    if (padded == 100) {
      for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(all.count(i), 1u) << "disjoint shards";
    }
  }
}

TEST(DistributedSampler, PadsLikePyTorchAndDropLastCuts) {
  const auto padded = shards(10, 4, false, false, 0);  // 12 positions: 0..9 then 0, 1
  EXPECT_EQ(padded[0], (std::vector<int64_t>{0, 4, 8}));
  EXPECT_EQ(padded[1], (std::vector<int64_t>{1, 5, 9}));
  EXPECT_EQ(padded[2], (std::vector<int64_t>{2, 6, 0}));
  EXPECT_EQ(padded[3], (std::vector<int64_t>{3, 7, 1}));
  const auto cut = shards(10, 4, false, true, 0);  // 8 positions
  EXPECT_EQ(cut[0], (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(cut[3], (std::vector<int64_t>{3, 7}));
}

TEST(DistributedSampler, EpochsShuffleDifferentlyAndReproducibly) {
  EXPECT_NE(shards(50, 2, true, false, 0), shards(50, 2, true, false, 1));
  EXPECT_EQ(shards(50, 2, true, false, 3), shards(50, 2, true, false, 3));
}

TEST(DistributedSampler, RanksTogetherHoldTheSingleProcessBatch) {
  // Batch b of size B on each of R ranks = batch b of size R*B of one DataLoader.
  const size_t n = 64;
  TensorDataset ds(arange(0, static_cast<double>(n), 1, TensorOptions(kFloat32)).view({64, 1}),
                   zeros({64}, TensorOptions(kInt64)));
  DataLoader whole(ds, {.batch_size = 16, .shuffle = true, .drop_last = false, .seed = 5});
  std::vector<std::vector<float>> per_rank_batches[2];
  for (int r = 0; r < 2; ++r) {
    auto sampler = std::make_shared<DistributedSampler>(
        n, DistributedSamplerOptions{.shuffle = true, .seed = 5, .drop_last = false, .num_replicas = 2, .rank = r});
    DataLoader loader(ds, {.batch_size = 8, .shuffle = false, .drop_last = false, .seed = 0}, sampler);
    EXPECT_EQ(loader.size(), 4u);
    for (auto& batch : loader) per_rank_batches[r].push_back(batch.x.to_vector<float>());
  }
  size_t b = 0;
  for (auto& batch : whole) {
    std::vector<float> expected = batch.x.to_vector<float>(), got = per_rank_batches[0][b];
    got.insert(got.end(), per_rank_batches[1][b].begin(), per_rank_batches[1][b].end());
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, expected) << "batch " << b;
    ++b;
  }
}

TEST(DistributedSampler, BadArguments) {
  EXPECT_EMBER_ERROR(DistributedSampler(10, {.shuffle = true, .seed = 0, .drop_last = false, .num_replicas = 2, .rank = 2}),
                     "rank should be in the interval [0, 1]");
  // Only -1 means "ask the process group": another negative rank is PyTorch's error.
  EXPECT_EMBER_ERROR(DistributedSampler(10, {.num_replicas = 2, .rank = -5}),
                     "Invalid rank -5, rank should be in the interval [0, 1]");
  EXPECT_EMBER_ERROR(DistributedSampler(10, {.num_replicas = -3, .rank = 0}), "expected num_replicas >= 1, got -3");
  // Shuffling an empty dataset is PyTorch's RandomSampler error; unshuffled it has no batches.
  TensorDataset empty(zeros({0, 1}), zeros({0}, TensorOptions(kInt64)));
  EXPECT_EMBER_ERROR(DataLoader(empty, {.batch_size = 2, .shuffle = true}),
                     "num_samples should be a positive integer value, but got num_samples=0");
  EXPECT_EQ(DataLoader(empty, {.batch_size = 2}).size(), 0u);
  TensorDataset ds(zeros({4, 1}), zeros({4}, TensorOptions(kInt64)));
  auto sampler = std::make_shared<DistributedSampler>(
      4, DistributedSamplerOptions{.shuffle = true, .seed = 0, .drop_last = false, .num_replicas = 2, .rank = 0});
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 2, .shuffle = true, .drop_last = false, .seed = 0}, sampler),
                     "mutually exclusive with shuffle");
}

}  // namespace
}  // namespace ember::data
