// data samplers (nn/data/samplers.h, Note [Samplers]): exact orders for fixed seeds,
// PyTorch 1.13's RandomSampler and WeightedRandomSampler rules and error phrases, weighted
// frequencies checked statistically, the DataLoader over any Sampler, and BatchSampler (PyTorch's
// and one's own) as the DataLoader's batch_sampler.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "nn/data/permutation.h"
#include "support/helpers.h"

namespace ember::data {
namespace {

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

std::vector<int64_t> sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Sample i has x = [i, -i] (float32) and y = i (int64).
TensorDataset numbered(int64_t n) {
  Tensor y = arange(0, static_cast<double>(n), 1, TensorOptions(kInt64));
  Tensor x = stack({y.to(kFloat32), y.to(kFloat32).neg()}, 1);
  return TensorDataset(x, y);
}

// The labels of one epoch, batch by batch.
std::vector<std::vector<int64_t>> epoch_batches(DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (auto& batch : loader) {
    const auto y = batch.y.to_vector<int64_t>();
    const auto x = batch.x.to_vector<float>();
    for (size_t k = 0; k < y.size(); ++k) EXPECT_EQ(x[2 * k], static_cast<float>(y[k]));
    out.push_back(y);
  }
  return out;
}

// How often each value occurs in v, as a fraction.
std::map<int64_t, double> frequencies(const std::vector<int64_t>& v) {
  std::map<int64_t, double> f;
  for (int64_t i : v) f[i] += 1.0 / static_cast<double>(v.size());
  return f;
}

TEST(Samplers, SequentialIsZeroToN) {
  SequentialSampler s(5);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(s.indices(), iota(5));
  EXPECT_EQ(s.indices(7), iota(5));
  EXPECT_TRUE(SequentialSampler(0).indices().empty());
}

TEST(Samplers, RandomIsTheLoadersShuffleAndFollowsTheEpoch) {
  RandomSampler s(10, {.replacement = false, .num_samples = std::nullopt, .seed = 7});
  EXPECT_EQ(s.size(), 10u);
  EXPECT_FALSE(s.replacement());
  // Pinned: seeded_permutation(10, 7, 3), the DataLoader's shuffle of seed 7, epoch 3.
  EXPECT_EQ(s.indices(3), (std::vector<int64_t>{1, 5, 3, 4, 0, 9, 6, 7, 8, 2}));
  EXPECT_EQ(s.indices(3), seeded_permutation(10, 7, 3));
  s.set_epoch(3);
  EXPECT_EQ(s.epoch(), 3u);
  EXPECT_EQ(s.indices(), s.indices(3));
  EXPECT_NE(s.indices(0), s.indices(1));
  EXPECT_EQ(sorted(s.indices(1)), iota(10));
  EXPECT_NE(RandomSampler(10, {.seed = 8}).indices(3), s.indices(3));
  DataLoader shuffled(numbered(10), {.batch_size = 10, .shuffle = true, .drop_last = false, .seed = 7});
  EXPECT_EQ(shuffled.order(5), s.indices(5));
}

TEST(Samplers, RandomWithoutReplacementPastNGivesWholePermutationsThenAPart) {
  // PyTorch 1.13: num_samples // n permutations, then randperm(n)[:num_samples % n].
  RandomSampler s(3, {.replacement = false, .num_samples = 7, .seed = 1});
  EXPECT_EQ(s.size(), 7u);
  EXPECT_EQ(s.num_samples(), 7u);
  for (uint64_t epoch = 0; epoch < 5; ++epoch) {
    const auto v = s.indices(epoch);
    ASSERT_EQ(v.size(), 7u);
    EXPECT_EQ(sorted({v.begin(), v.begin() + 3}), iota(3));
    EXPECT_EQ(sorted({v.begin() + 3, v.begin() + 6}), iota(3));
    EXPECT_GE(v[6], 0);
    EXPECT_LT(v[6], 3);
  }
  EXPECT_EQ(s.indices(0), (std::vector<int64_t>{2, 0, 1, 2, 1, 0, 0}));  // pinned
  // Fewer than n: the start of one permutation.
  RandomSampler few(10, {.replacement = false, .num_samples = 4, .seed = 7});
  const auto full = seeded_permutation(10, 7, 3);
  EXPECT_EQ(few.indices(3), (std::vector<int64_t>(full.begin(), full.begin() + 4)));
}

TEST(Samplers, RandomWithReplacementDrawsUniformly) {
  RandomSampler s(4, {.replacement = true, .num_samples = 100000, .seed = 3});
  EXPECT_TRUE(s.replacement());
  const auto v = s.indices(0);
  ASSERT_EQ(v.size(), 100000u);
  const auto f = frequencies(v);
  ASSERT_EQ(f.size(), 4u);
  for (const auto& [i, p] : f) EXPECT_NEAR(p, 0.25, 0.01) << "index " << i;  // sd 0.0014
  EXPECT_EQ(RandomSampler(4, {.replacement = true, .num_samples = 6, .seed = 3}).indices(2),
            (std::vector<int64_t>{2, 3, 1, 2, 3, 3}));  // pinned
  EXPECT_NE(s.indices(1), v);
  EXPECT_EQ(s.indices(0), v);
}

TEST(Samplers, RandomBadArguments) {
  EXPECT_EMBER_ERROR(RandomSampler(0), "num_samples should be a positive integer value, but got num_samples=0");
  EXPECT_EMBER_ERROR(RandomSampler(5, {.num_samples = 0}), "num_samples should be a positive integer value, but got num_samples=0");
  EXPECT_EMBER_ERROR(RandomSampler(5, {.replacement = true, .num_samples = -2}),
                     "num_samples should be a positive integer value, but got num_samples=-2");
  EXPECT_EMBER_ERROR(RandomSampler(0, {.num_samples = 3}), "cannot draw 3 samples from an empty dataset");
}

TEST(Samplers, SubsetRandomPermutesTheGivenIndices) {
  const std::vector<int64_t> chosen{10, 3, 7, 42, 0};
  SubsetRandomSampler s(chosen, 11);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(s.index_bound(), 43u);
  EXPECT_FALSE(s.bound_is_dataset_size());
  EXPECT_EQ(sorted(s.indices(0)), sorted(chosen));
  EXPECT_EQ(s.indices(0), (std::vector<int64_t>{42, 7, 0, 3, 10}));  // pinned
  const auto perm = seeded_permutation(5, 11, 2);
  for (size_t k = 0; k < 5; ++k) EXPECT_EQ(s.indices(2)[k], chosen[static_cast<size_t>(perm[k])]);
  EXPECT_NE(s.indices(0), s.indices(1));
  EXPECT_TRUE(SubsetRandomSampler({}).indices().empty());
  EXPECT_EQ(SubsetRandomSampler({}).index_bound(), 0u);
  // Repeated indices are kept, as in PyTorch.
  EXPECT_EQ(sorted(SubsetRandomSampler({2, 2, 5}, 0).indices(4)), (std::vector<int64_t>{2, 2, 5}));
  EXPECT_EMBER_ERROR(SubsetRandomSampler({1, -3}), "index -3 at position 1 is negative");
}

TEST(Samplers, WeightedWithReplacementFollowsTheWeights) {
  WeightedRandomSampler s({1.0, 2.0, 3.0, 4.0, 0.0}, 100000, true, 5);
  EXPECT_EQ(s.size(), 100000u);
  EXPECT_EQ(s.index_bound(), 5u);
  EXPECT_TRUE(s.replacement());
  const auto f = frequencies(s.indices(0));
  EXPECT_EQ(f.count(4), 0u) << "a zero weight is never drawn";
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(f.at(i), static_cast<double>(i + 1) / 10.0, 0.008) << i;  // sd <= 0.0016
  EXPECT_EQ(s.indices(0), s.indices(0));
  EXPECT_NE(s.indices(0), s.indices(1));
  EXPECT_EQ(WeightedRandomSampler({1.0, 2.0, 3.0, 4.0, 0.0}, 8, true, 5).indices(0), (std::vector<int64_t>{1, 0, 3, 3, 2, 2, 3, 2}));  // pinned
  // A dominant weight among many tiny ones, and a single weight.
  std::vector<double> skewed(1000, 1e-6);
  skewed[617] = 1.0;
  const auto g = frequencies(WeightedRandomSampler(skewed, 20000, true, 1).indices(0));
  EXPECT_GT(g.at(617), 0.99);
  EXPECT_EQ(WeightedRandomSampler({0.5}, 3).indices(0), (std::vector<int64_t>{0, 0, 0}));
}

TEST(Samplers, WeightedWithoutReplacementDrawsOneAfterAnother) {
  const std::vector<double> w{1.0, 2.0, 3.0, 4.0, 0.0};
  WeightedRandomSampler s(w, 4, false, 9);
  EXPECT_FALSE(s.replacement());
  EXPECT_EQ(s.indices(0), (std::vector<int64_t>{3, 2, 1, 0}));  // pinned
  std::vector<int64_t> first, second;
  for (uint64_t epoch = 0; epoch < 20000; ++epoch) {
    const auto v = s.indices(epoch);
    ASSERT_EQ(sorted(v), iota(4)) << "every non-zero weight once, the zero weight never";
    first.push_back(v[0]);
    second.push_back(v[1]);
  }
  // First draw: w / 10. Second: P(j second) = sum_{i != j} p_i * p_j / (1 - p_i), e.g.
  // 0.134524 for j = 0 and 0.320238 for j = 3 (torch.multinomial's law without replacement).
  const auto f1 = frequencies(first), f2 = frequencies(second);
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(f1.at(i), w[static_cast<size_t>(i)] / 10.0, 0.015) << i;  // sd <= 0.0035
  EXPECT_NEAR(f2.at(0), 0.134524, 0.015);
  EXPECT_NEAR(f2.at(3), 0.320238, 0.015);
  // Half of the weights without replacement from 1000: all distinct.
  std::vector<double> many(1000);
  for (size_t i = 0; i < many.size(); ++i) many[i] = i % 2 == 0 ? 0.0 : 1.0 + static_cast<double>(i % 7);
  const auto v = WeightedRandomSampler(many, 500, false, 2).indices(3);
  EXPECT_EQ(std::set<int64_t>(v.begin(), v.end()).size(), 500u);
  for (int64_t i : v) EXPECT_EQ(i % 2, 1);
}

TEST(Samplers, WeightedTakesTensorsOfAnyDtype) {
  const std::vector<int64_t> from_vector = WeightedRandomSampler({1.0, 0.0, 3.0}, 6, true, 4).indices(1);
  EXPECT_EQ(WeightedRandomSampler(tensor<int64_t>({1, 0, 3}), 6, true, 4).indices(1), from_vector);
  EXPECT_EQ(WeightedRandomSampler(tensor<float>({1, 0, 3}), 6, true, 4).indices(1), from_vector);
  // A strided view: every other element of [1, 9, 0, 9, 3, 9].
  const Tensor strided = tensor<double>({1, 9, 0, 9, 3, 9}).view({3, 2}).select(1, 0);
  EXPECT_FALSE(strided.is_contiguous());
  EXPECT_EQ(WeightedRandomSampler(strided, 6, true, 4).indices(1), from_vector);
  EXPECT_EQ(WeightedRandomSampler(strided, 6, true, 4).weights(), (std::vector<double>{1, 0, 3}));
}

TEST(Samplers, WeightedBadArguments) {
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1.0, 2.0}, 0), "num_samples should be a positive integer value, but got num_samples=0");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1.0, 2.0}, -1), "but got num_samples=-1");
  EXPECT_EMBER_ERROR(WeightedRandomSampler(ones({2, 2}), 2),
                     "weights should be a 1d sequence but given weights have shape [2, 2]");
  EXPECT_EMBER_ERROR(WeightedRandomSampler(scalar_tensor(1.0), 2), "weights should be a 1d sequence");
  EXPECT_EMBER_ERROR(WeightedRandomSampler(Tensor(), 2), "undefined");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1.0, -1.0, 2.0}, 2), "(encountering probability entry < 0): weight 1 is -1");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1.0, std::nan(""), 2.0}, 2), "entry = infinity or NaN): weight 1 is nan");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1.0, INFINITY}, 2), "entry = infinity or NaN");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({0.0, 0.0}, 2), "invalid multinomial distribution (sum of probabilities <= 0)");
  EXPECT_EMBER_ERROR(WeightedRandomSampler(std::vector<double>{}, 2), "sum of probabilities <= 0");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1e308, 1e308}, 2), "the weights sum to infinity");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1.0, 0.0, 2.0}, 4, false),
                     "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  EXPECT_EMBER_ERROR(WeightedRandomSampler({1.0, 0.0, 2.0}, 3, false),
                     "not enough non-negative category to sample): num_samples=3 but only 2 of the weights are non-zero");
  EXPECT_EQ(WeightedRandomSampler({1.0, 0.0, 2.0}, 4, true).size(), 4u);  // more than n with replacement
}

TEST(SamplerDataLoader, BatchesFollowTheSamplersOrder) {
  auto sampler = std::make_shared<WeightedRandomSampler>(std::vector<double>{0, 1, 0, 1, 1, 0, 1, 1, 0, 1}, 6, false, 3);
  DataLoader loader(numbered(10), {.batch_size = 4}, sampler);
  EXPECT_EQ(loader.size(), 2u);  // 6 indices: 4 + 2
  const auto e0 = sampler->indices(0), e1 = sampler->indices(1);
  EXPECT_EQ(epoch_batches(loader), (std::vector<std::vector<int64_t>>{{e0.begin(), e0.begin() + 4}, {e0.begin() + 4, e0.end()}}));
  EXPECT_EQ(sampler->epoch(), 0u);
  EXPECT_EQ(epoch_batches(loader), (std::vector<std::vector<int64_t>>{{e1.begin(), e1.begin() + 4}, {e1.begin() + 4, e1.end()}}));
  EXPECT_EQ(sampler->epoch(), 1u) << "begin() sets the sampler's epoch";
  EXPECT_NE(e0, e1);
  EXPECT_EQ(loader.order(1), e1);

  DataLoader dropping(numbered(10), {.batch_size = 4, .shuffle = false, .drop_last = true, .seed = 0}, sampler);
  EXPECT_EQ(dropping.size(), 1u);
  EXPECT_EQ(epoch_batches(dropping), (std::vector<std::vector<int64_t>>{{e0.begin(), e0.begin() + 4}}));

  auto more = std::make_shared<RandomSampler>(3, RandomSamplerOptions{.replacement = false, .num_samples = 7, .seed = 1});
  DataLoader over(numbered(3), {.batch_size = 2}, more);
  EXPECT_EQ(over.size(), 4u);  // batches of len(sampler) = 7, not of the dataset's 3
  std::vector<int64_t> seen;
  for (const auto& b : epoch_batches(over)) seen.insert(seen.end(), b.begin(), b.end());
  EXPECT_EQ(seen, more->indices(0));

  DataLoader seq(numbered(5), {.batch_size = 2}, std::make_shared<SequentialSampler>(5));
  EXPECT_EQ(epoch_batches(seq), (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}}));
  auto subset = std::make_shared<SubsetRandomSampler>(std::vector<int64_t>{8, 2, 5}, 4);
  DataLoader sub(numbered(10), {.batch_size = 3}, subset);
  EXPECT_EQ(epoch_batches(sub), (std::vector<std::vector<int64_t>>{subset->indices(0)}));
}

TEST(SamplerDataLoader, DistributedSamplerIsASampler) {
  std::shared_ptr<Sampler> s = std::make_shared<DistributedSampler>(
      10, DistributedSamplerOptions{.shuffle = false, .seed = 0, .drop_last = false, .num_replicas = 4, .rank = 2});
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(s->index_bound(), 10u);
  EXPECT_EQ(s->indices(), (std::vector<int64_t>{2, 6, 0}));
  DataLoader loader(numbered(10), {.batch_size = 2}, s);
  EXPECT_EQ(epoch_batches(loader), (std::vector<std::vector<int64_t>>{{2, 6}, {0}}));
}

TEST(SamplerDataLoader, BadCombinations) {
  const TensorDataset ds = numbered(6);
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 2, .shuffle = true}, std::make_shared<SequentialSampler>(6)),
                     "sampler option is mutually exclusive with shuffle");
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 2}, std::shared_ptr<Sampler>()), "expected a sampler, got nullptr");
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 2}, std::make_shared<RandomSampler>(7)),
                     "expected a sampler over 6 samples (the dataset), got one over 7");
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 2}, std::make_shared<SequentialSampler>(5)),
                     "expected a sampler over 6 samples");
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 2}, std::make_shared<SubsetRandomSampler>(std::vector<int64_t>{1, 6})),
                     "the sampler draws indices up to 6 but the dataset has 6 samples");
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 2}, std::make_shared<WeightedRandomSampler>(std::vector<double>(7, 1.0), 3)),
                     "the sampler draws indices up to 6 but the dataset has 6 samples");
  // Fewer weights than samples is fine: the rest are never drawn.
  DataLoader part(ds, {.batch_size = 8}, std::make_shared<WeightedRandomSampler>(std::vector<double>{1, 1}, 8));
  const auto batches = epoch_batches(part);
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0].size(), 8u);
  for (int64_t i : batches[0]) EXPECT_LT(i, 2);
}

// PyTorch's docs: list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
// == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]; drop_last=True leaves out [9].
TEST(BatchSamplers, CutTheSamplersIndicesAsTheDocs) {
  const auto sequential = std::make_shared<SequentialSampler>(10);
  const BatchSampler keep(sequential, 3, false), drop(sequential, 3, true);
  EXPECT_EQ(keep.batches(0), (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}}));
  EXPECT_EQ(drop.batches(0), (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}}));
  EXPECT_EQ(keep.size(), 4u);
  EXPECT_EQ(drop.size(), 3u);
  EXPECT_EMBER_ERROR(BatchSampler(sequential, 0, false),
                     "batch_size should be a positive integer value, but got batch_size=0");
  EXPECT_EMBER_ERROR(BatchSampler(nullptr, 2, false), "expected a sampler");
}

// A batch sampler of one's own (batches of any sizes, in any order), as PyTorch's
// batch_sampler=: the loader serves exactly its batches and follows its set_epoch.
class ByEpochParity : public BatchSampler {
 public:
  std::vector<std::vector<int64_t>> batches(uint64_t epoch) const override {
    if (epoch % 2 == 0) return {{3, 1}, {0}, {2, 4, 5}};
    return {{5, 4, 3, 2, 1, 0}};
  }
  size_t size() const override { return 3; }
};

TEST(BatchSamplers, DataLoaderServesTheBatchSamplersBatches) {
  auto own = std::make_shared<ByEpochParity>();
  DataLoader loader(numbered(6), own);
  EXPECT_EQ(loader.size(), 3u);
  EXPECT_EQ(loader.options().batch_size, 0);
  EXPECT_EQ(epoch_batches(loader), (std::vector<std::vector<int64_t>>{{3, 1}, {0}, {2, 4, 5}}));
  EXPECT_EQ(epoch_batches(loader), (std::vector<std::vector<int64_t>>{{5, 4, 3, 2, 1, 0}}));  // epoch 1
  own->set_epoch(4);
  EXPECT_EQ(epoch_batches(loader), (std::vector<std::vector<int64_t>>{{3, 1}, {0}, {2, 4, 5}}));
  EXPECT_EQ(loader.order(1), (std::vector<int64_t>{5, 4, 3, 2, 1, 0}));
  DataLoader too_small(numbered(5), own);  // index 5 is past the dataset
  EXPECT_EMBER_ERROR(too_small.begin(), "holds index 5, but the dataset has 5 samples");

  // PyTorch's BatchSampler over a RandomSampler: the loader's batches are its batches
  auto random =
      std::make_shared<BatchSampler>(std::make_shared<RandomSampler>(7, RandomSamplerOptions{.seed = 3}), 3, true);
  DataLoader shuffled(numbered(7), random);
  EXPECT_EQ(shuffled.size(), 2u);
  EXPECT_TRUE(shuffled.options().drop_last);
  EXPECT_EQ(epoch_batches(shuffled), random->batches(0));
  EXPECT_EQ(epoch_batches(shuffled), random->batches(1));
  EXPECT_NE(random->batches(0), random->batches(1));
  EXPECT_EMBER_ERROR(DataLoader(numbered(6), std::shared_ptr<BatchSampler>(random)),
                     "the batch sampler's sampler draws indices up to 6 but the dataset has 6 samples");
}

}  // namespace
}  // namespace ember::data
