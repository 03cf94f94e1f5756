// DataLoader and datasets as torch.utils.data's: a dataset subclass's get() is what a loader,
// a Subset or a split batches; manual_seed decides an unseeded shuffle; sampler.set_epoch
// decides the epoch; an error in one batch does not end the epoch; a sampler that gives
// more or fewer indices than its size() is batched whole; empty distributed shards.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using data::DataLoader;
using data::Example;
using data::TensorDataset;
using testing::error_of;

TensorDataset numbered(int64_t n) { return TensorDataset(arange(n, kFloat32).view({n, 1}), arange(n)); }

std::vector<int64_t> labels_of(DataLoader& loader) {
  std::vector<int64_t> out;
  for (auto& batch : loader)
    for (int64_t y : batch.y.to_vector<int64_t>()) out.push_back(y);
  return out;
}

// A torchvision-style subclass: get() changes each sample (a transform), clone() copies it.
struct TimesHundred : TensorDataset {
  using TensorDataset::TensorDataset;
  Example get(size_t i) const override {
    Example e = TensorDataset::get(i);
    return {e.x, e.y * 100};
  }
  std::shared_ptr<const data::Dataset> clone() const override { return std::make_shared<TimesHundred>(*this); }
};
// A subclass that only adds a constructor: copied as a TensorDataset, with a warning.
struct OnlyAConstructor : TensorDataset {
  OnlyAConstructor() : TensorDataset(arange(2, kFloat32).view({2, 1}), arange(2)) {}
};

TEST(DatasetSubclass, ItsGetIsWhatALoaderAndASubsetBatch) {
  const TimesHundred ds(arange(4, kFloat32).view({4, 1}), arange(4));
  DataLoader loader(ds, {.batch_size = 4});
  EXPECT_EQ(labels_of(loader), (std::vector<int64_t>{0, 100, 200, 300}));
  data::Subset subset(ds, {1, 2});
  EXPECT_EQ(subset.get_batch({0, 1}).y.to_vector<int64_t>(), (std::vector<int64_t>{100, 200}));
  const OnlyAConstructor plain;
  DataLoader plain_loader(plain, {.batch_size = 2});
  EXPECT_EQ(labels_of(plain_loader), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(error_of([] { TensorDataset(zeros({3, 1}), zeros({4})); }).find("Size mismatch between tensors"), 0u);
}

TEST(DataLoaderSeed, ManualSeedDecidesAnUnseededShuffle) {
  // The seed is drawn at the first epoch; making a loader draws nothing.
  DataLoader first(numbered(50), {.batch_size = 50, .shuffle = true});
  DataLoader second(numbered(50), {.batch_size = 50, .shuffle = true});
  EXPECT_FALSE(first.options().seed.has_value());
  manual_seed(1);
  const std::vector<int64_t> a = labels_of(first);
  manual_seed(2);
  EXPECT_NE(a, labels_of(second));
  manual_seed(1);
  DataLoader again(numbered(50), {.batch_size = 50, .shuffle = true});
  EXPECT_EQ(a, labels_of(again));
  EXPECT_TRUE(first.options().seed.has_value());
  EXPECT_EQ(first.options().seed, again.options().seed);
  manual_seed(3);
  const Tensor before = rand({4});
  manual_seed(3);
  DataLoader unused(numbered(50), {.batch_size = 50, .shuffle = true});
  EXPECT_TRUE(equal(before, rand({4})));
  manual_seed(1);
  const auto split1 = data::random_split(numbered(10), {5, 5});
  manual_seed(1);
  const auto split2 = data::random_split(numbered(10), {5, 5});
  EXPECT_EQ(split1[0].get_batch({0, 1, 2}).y.to_vector<int64_t>(),
            split2[0].get_batch({0, 1, 2}).y.to_vector<int64_t>());
}

TEST(DataLoaderSampler, TheUsersSetEpochDecidesTheEpoch) {
  auto sampler = std::make_shared<data::RandomSampler>(10, data::RandomSamplerOptions{.seed = 3});
  DataLoader loader(numbered(10), {.batch_size = 10}, sampler);
  sampler->set_epoch(5);  // PyTorch's loop: sampler.set_epoch(epoch) before iterating
  EXPECT_EQ(labels_of(loader), sampler->indices(5));
  EXPECT_EQ(sampler->epoch(), 5u);
  // Without a set_epoch since, the loader's count goes on from there.
  EXPECT_EQ(labels_of(loader), sampler->indices(6));
  EXPECT_EQ(loader.epoch(), 7u);
}

// Returns `count` indices whatever its size() says.
struct MisreportingSampler : data::Sampler {
  size_t count, reported;
  MisreportingSampler(size_t c, size_t r) : count(c), reported(r) {}
  std::vector<int64_t> indices(uint64_t) const override {
    std::vector<int64_t> out(count);
    std::iota(out.begin(), out.end(), 0);
    return out;
  }
  using data::Sampler::indices;
  size_t size() const override { return reported; }
  size_t index_bound() const override { return 10; }
  bool bound_is_dataset_size() const override { return false; }
};

TEST(DataLoaderSampler, AllTheIndicesASamplerGivesAreBatched) {
  DataLoader more(numbered(10), {.batch_size = 2}, std::make_shared<MisreportingSampler>(6, 2));
  EXPECT_EQ(labels_of(more), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  DataLoader fewer(numbered(10), {.batch_size = 2}, std::make_shared<MisreportingSampler>(3, 10));
  EXPECT_EQ(labels_of(fewer), (std::vector<int64_t>{0, 1, 2}));
}

// Sample 5 is corrupt.
struct OneBadSample : TensorDataset {
  using TensorDataset::TensorDataset;
  Example get(size_t i) const override {
    if (i == 5) throw std::runtime_error("corrupt sample 5");
    return TensorDataset::get(i);
  }
  std::shared_ptr<const data::Dataset> clone() const override { return std::make_shared<OneBadSample>(*this); }
};

TEST(DataLoaderErrors, ABadBatchIsRethrownAndTheEpochGoesOn) {
  const OneBadSample ds(arange(10, kFloat32).view({10, 1}), arange(10));
  DataLoader loader(ds, {.batch_size = 2});
  std::vector<int64_t> seen;
  int failures = 0;
  auto it = loader.begin();
  while (it != loader.end()) {
    for (int64_t y : it->y.to_vector<int64_t>()) seen.push_back(y);
    try {
      ++it;
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "corrupt sample 5");
      ++failures;
      ++it;  // skip the bad batch, as a PyTorch loop that catches and continues
    }
  }
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 6, 7, 8, 9}));
}

TEST(DistributedSamplerShards, FewerSamplesThanRanksWithDropLastAreEmptyShards) {
  data::DistributedSampler s(2, {.shuffle = false, .seed = 0, .drop_last = true, .num_replicas = 4, .rank = 1});
  EXPECT_EQ(s.num_samples(), 0u);
  EXPECT_TRUE(s.indices(0).empty());
}

}  // namespace
}  // namespace ember
