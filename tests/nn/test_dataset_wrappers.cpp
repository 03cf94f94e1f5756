// Subset, random_split and ConcatDataset (nn/data/dataset_wrappers.h): PyTorch 1.13's
// values (split lengths for fractions, ConcatDataset's index routing), the get_batch fast
// paths, every error, and the DataLoader over them.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <set>

#include "nn/data/permutation.h"
#include "support/helpers.h"

namespace ember::data {
namespace {

// Sample i has x = [first + i, -(first + i)] (float32) and y = first + i (int64).
TensorDataset numbered(int64_t n, int64_t first = 0) {
  Tensor y = arange(static_cast<double>(first), static_cast<double>(first + n), 1, TensorOptions(kInt64));
  Tensor x = stack({y.to(kFloat32), y.to(kFloat32).neg()}, 1);
  return TensorDataset(x, y);
}

// The labels of a batch, checking that x belongs to the same samples.
std::vector<int64_t> labels(const Example& batch) {
  const auto y = batch.y.to_vector<int64_t>();
  const auto x = batch.x.to_vector<float>();
  EXPECT_EQ(x.size(), 2 * y.size());
  for (size_t k = 0; k < y.size() && 2 * k + 1 < x.size(); ++k) {
    EXPECT_EQ(x[2 * k], static_cast<float>(y[k]));
    EXPECT_EQ(x[2 * k + 1], -static_cast<float>(y[k]));
  }
  return y;
}

std::vector<int64_t> loader_labels(DataLoader& loader) {
  std::vector<int64_t> out;
  for (auto& batch : loader) {
    const auto y = labels({batch.x, batch.y});
    out.insert(out.end(), y.begin(), y.end());
  }
  return out;
}

// A TensorDataset that counts get() and get_batch() calls (shared by its clones) and can
// hand out its batches transposed back, i.e. as non-contiguous tensors.
class Counting : public Dataset {
 public:
  explicit Counting(TensorDataset inner, bool strided = false) : inner_(std::move(inner)), strided_(strided) {}
  size_t size() const override { return inner_.size(); }
  Example get(size_t i) const override {
    ++*gets_;
    return inner_.get(i);
  }
  Example get_batch(const std::vector<int64_t>& indices) const override {
    ++*batches_;
    Example b = inner_.get_batch(indices);
    if (strided_) b.x = b.x.t().contiguous().t();  // same values, column-major
    return b;
  }
  std::shared_ptr<const Dataset> clone() const override { return std::make_shared<Counting>(*this); }
  int gets() const { return *gets_; }
  int batches() const { return *batches_; }

 private:
  TensorDataset inner_;
  bool strided_;
  std::shared_ptr<std::atomic<int>> gets_ = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> batches_ = std::make_shared<std::atomic<int>>(0);
};

TEST(Subset, MapsIndicesLikePyTorch) {
  // PyTorch: Subset(range(10, 20), [9, 0, 4]) -> 19, 10, 14; Subset of it at [2, 0] -> 14, 19.
  Subset s(numbered(10, 10), {9, 0, 4});
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.indices(), (std::vector<int64_t>{9, 0, 4}));
  EXPECT_EQ(s.dataset().size(), 10u);
  EXPECT_EQ(s.get(0).y.item<int64_t>(), 19);
  EXPECT_EQ(s.get(2).x.to_vector<float>(), (std::vector<float>{14, -14}));
  EXPECT_EQ(labels(s.get_batch({0, 1, 2, 1})), (std::vector<int64_t>{19, 10, 14, 10}));
  Subset nested(s, {2, 0});
  EXPECT_EQ(labels(nested.get_batch({0, 1})), (std::vector<int64_t>{14, 19}));
  EXPECT_EQ(labels(nested.clone()->get_batch({1})), (std::vector<int64_t>{19}));

  Subset empty(numbered(4), {});
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.get_batch({}).x.sizes(), (Dims{0, 2}));
  Subset of_empty(numbered(0), {});
  EXPECT_EQ(of_empty.size(), 0u);
}

TEST(Subset, GetBatchIsTheParentsOneCall) {
  const Counting parent(numbered(8));
  Subset s(parent, {7, 5, 3, 1});
  EXPECT_EQ(labels(s.get_batch({3, 0, 2})), (std::vector<int64_t>{1, 7, 3}));
  EXPECT_EQ(parent.batches(), 1);
  EXPECT_EQ(parent.gets(), 0);
}

TEST(Subset, IndicesAreChecked) {
  const TensorDataset ds = numbered(5);
  EXPECT_EMBER_ERROR(Subset(ds, {0, 5}), "Subset: dataset index 5 is out of range for a dataset of 5 samples");
  EXPECT_EMBER_ERROR(Subset(ds, {-1}), "dataset index -1 is out of range for a dataset of 5 samples");
  EXPECT_EMBER_ERROR(Subset(std::shared_ptr<const Dataset>(), {}), "expected a dataset, got nullptr");
  Subset s(ds, {4, 2});
  EXPECT_EMBER_ERROR(s.get(2), "Subset: dataset index 2 is out of range for a dataset of 2 samples");
  EXPECT_EMBER_ERROR(s.get_batch({1, 3}), "dataset index 3 is out of range for a dataset of 2 samples");
  EXPECT_EMBER_ERROR(s.get_batch({-1}), "dataset index -1 is out of range");
}

TEST(RandomSplit, FractionLengthsArePyTorchs) {
  // torch.utils.data.random_split(range(n), fractions) lengths, PyTorch 1.13.
  struct Case {
    std::vector<double> fractions;
    int64_t n;
    std::vector<size_t> lengths;
  };
  const double third = 1.0 / 3.0;
  const std::vector<Case> cases = {
      {{0.3, 0.3, 0.4}, 10, {3, 3, 4}},   {{0.3, 0.3, 0.4}, 7, {3, 2, 2}},    {{0.3, 0.3, 0.4}, 3, {1, 1, 1}},
      {{0.3, 0.3, 0.4}, 100, {30, 30, 40}}, {{0.3, 0.3, 0.4}, 1, {1, 0, 0}},  {{0.5, 0.5}, 7, {4, 3}},
      {{0.5, 0.5}, 1, {1, 0}},             {{0.1, 0.2, 0.7}, 7, {1, 2, 4}},  {{0.1, 0.2, 0.7}, 3, {1, 0, 2}},
      {{third, third, third}, 10, {4, 3, 3}}, {{third, third, third}, 100, {34, 33, 33}},
      {{0.25, 0.25, 0.25, 0.25}, 10, {3, 3, 2, 2}}, {{0.25, 0.25, 0.25, 0.25}, 3, {1, 1, 1, 0}},
      {{1.0}, 6, {6}},
  };
  for (const Case& c : cases) {
    const auto parts = random_split(numbered(c.n), c.fractions, 0);
    std::vector<size_t> got;
    for (const Subset& p : parts) got.push_back(p.size());
    EXPECT_EQ(got, c.lengths) << "n = " << c.n << ", first fraction " << c.fractions[0];
  }
}

TEST(RandomSplit, PiecesOfTheSeededPermutation) {
  const TensorDataset ds = numbered(10);
  const auto parts = random_split(ds, {6, 3, 1}, 5);
  ASSERT_EQ(parts.size(), 3u);
  // Note [random_split]: consecutive pieces of the DataLoader's epoch-0 shuffle of seed 5.
  const auto perm = seeded_permutation(10, 5, 0);
  EXPECT_EQ(parts[0].indices(), (std::vector<int64_t>(perm.begin(), perm.begin() + 6)));
  EXPECT_EQ(parts[1].indices(), (std::vector<int64_t>(perm.begin() + 6, perm.begin() + 9)));
  EXPECT_EQ(parts[2].indices(), (std::vector<int64_t>{perm[9]}));
  EXPECT_EQ(parts[1].indices(), (std::vector<int64_t>{8, 7, 5}));  // pinned
  DataLoader shuffled(ds, {.batch_size = 10, .shuffle = true, .drop_last = false, .seed = 5});
  EXPECT_EQ(shuffled.order(0), perm);
  std::set<int64_t> all;
  for (const Subset& p : parts) {
    all.insert(p.indices().begin(), p.indices().end());
    EXPECT_EQ(labels(p.get_batch([&] {
                std::vector<int64_t> k(p.size());
                std::iota(k.begin(), k.end(), 0);
                return k;
              }())),
              p.indices());
  }
  EXPECT_EQ(all.size(), 10u) << "disjoint pieces covering the dataset";
  EXPECT_EQ(random_split(ds, {6, 3, 1}, 5)[0].indices(), parts[0].indices()) << "reproducible from the seed";
  EXPECT_NE(random_split(ds, {6, 3, 1}, 6)[0].indices(), parts[0].indices());
  // Fractions cut the same permutation: [0.6, 0.3, 0.1] of 10 is 6, 3, 1.
  EXPECT_EQ(random_split(ds, {0.6, 0.3, 0.1}, 5)[1].indices(), parts[1].indices());
  // Zero-length pieces and an empty dataset.
  const auto with_empty = random_split(ds, {0, 10, 0}, 1);
  EXPECT_EQ(with_empty[0].size(), 0u);
  EXPECT_EQ(with_empty[1].size(), 10u);
  EXPECT_TRUE(random_split(numbered(0), {0, 0}, 1)[1].indices().empty());
  const std::vector<int64_t> lengths{7, 3};
  EXPECT_EQ(random_split(ds, lengths)[1].size(), 3u);
}

TEST(RandomSplit, BadLengths) {
  const TensorDataset ds = numbered(10);
  EXPECT_EMBER_ERROR(random_split(ds, {3, 3}), "Sum of input lengths does not equal the length of the input dataset!");
  EXPECT_EMBER_ERROR(random_split(ds, {3, 3}), "(the lengths sum to 6, the dataset has 10 samples)");
  EXPECT_EMBER_ERROR(random_split(ds, {11, -1}), "length at index 1 is negative (-1)");
  EXPECT_EMBER_ERROR(random_split(ds, {0.5, 0.6}), "Sum of input lengths does not equal the length of the input dataset!");
  EXPECT_EMBER_ERROR(random_split(ds, {1.5, -0.5}), "Fraction at index 0 is not between 0 and 1");
  EXPECT_EMBER_ERROR(random_split(ds, {0.5, std::nan("")}), "Sum of input lengths does not equal");
  // As in PyTorch, fractions need a sum <= len(dataset): none of an empty dataset.
  EXPECT_EMBER_ERROR(random_split(numbered(0), {0.5, 0.5}), "Sum of input lengths does not equal");
  EXPECT_EMBER_ERROR(random_split(ds, std::vector<double>{}), "Sum of input lengths does not equal");
}

TEST(ConcatDataset, RoutesIndicesLikePyTorch) {
  // PyTorch: ConcatDataset([range(3), range(0), range(10, 14), range(20, 22)]):
  // cumulative_sizes [3, 3, 7, 9]; items at [8, 0, 4, 2, 6, 7, 3] are 21, 0, 11, 2, 13, 20, 10.
  ConcatDataset cat({numbered(3), numbered(0), numbered(4, 10), numbered(2, 20)});
  EXPECT_EQ(cat.size(), 9u);
  EXPECT_EQ(cat.cumulative_sizes(), (std::vector<size_t>{3, 3, 7, 9}));
  EXPECT_EQ(cat.datasets().size(), 4u);
  std::vector<int64_t> one_by_one;
  for (size_t i : {8, 0, 4, 2, 6, 7, 3}) one_by_one.push_back(cat.get(i).y.item<int64_t>());
  const std::vector<int64_t> expected{21, 0, 11, 2, 13, 20, 10};
  EXPECT_EQ(one_by_one, expected);
  EXPECT_EQ(labels(cat.get_batch({8, 0, 4, 2, 6, 7, 3})), expected);
  EXPECT_EQ(cat.get(5).x.to_vector<float>(), (std::vector<float>{12, -12}));
  EXPECT_EQ(labels(cat.clone()->get_batch({3, 8})), (std::vector<int64_t>{10, 21}));
  EXPECT_EQ(ConcatDataset({numbered(0), numbered(0)}).size(), 0u);
  auto shared = std::make_shared<TensorDataset>(numbered(2, 50));
  ConcatDataset from_pointers({shared, std::make_shared<Subset>(numbered(3), std::vector<int64_t>{2})});
  EXPECT_EQ(from_pointers.datasets()[0].get(), shared.get()) << "a shared pointer is kept, not cloned";
  EXPECT_EQ(labels(from_pointers.get_batch({2, 0})), (std::vector<int64_t>{2, 50}));
}

TEST(ConcatDataset, BatchesAreOneCallPerPart) {
  const Counting a(numbered(4)), b(numbered(3, 100), /*strided=*/true);
  ConcatDataset cat(std::vector<std::shared_ptr<const Dataset>>{a.clone(), b.clone()});
  const int a_gets = a.gets(), b_gets = b.gets();  // the shape check's first samples
  EXPECT_EQ(labels(cat.get_batch({5, 0, 6, 1, 4, 3})), (std::vector<int64_t>{101, 0, 102, 1, 100, 3}));
  EXPECT_EQ(a.batches(), 1);
  EXPECT_EQ(b.batches(), 1);
  EXPECT_EQ(labels(cat.get_batch({6, 4})), (std::vector<int64_t>{102, 100}));  // one part: its own batch
  EXPECT_EQ(a.batches(), 1);
  EXPECT_EQ(b.batches(), 2);
  EXPECT_EQ(a.gets(), a_gets);
  EXPECT_EQ(b.gets(), b_gets);
}

TEST(ConcatDataset, OtherDtypesAndNestedWrappers) {
  const TensorDataset d1(tensor(std::vector<double>{1.5, 2.5, 3.5, 4.5}).view({2, 2}),
                         tensor(std::vector<double>{0.25, 0.75}));
  const TensorDataset d2(tensor(std::vector<double>{5.5, 6.5}).view({1, 2}), tensor(std::vector<double>{-1.0}));
  ConcatDataset cat({d1, Subset(d2, {0, 0})});
  const Example b = cat.get_batch({2, 0, 3});
  EXPECT_EQ(b.x.dtype(), kFloat64);
  EXPECT_EQ(b.x.to_vector<double>(), (std::vector<double>{5.5, 6.5, 1.5, 2.5, 5.5, 6.5}));
  EXPECT_EQ(b.y.to_vector<double>(), (std::vector<double>{-1.0, 0.25, -1.0}));
}

TEST(ConcatDataset, BadParts) {
  EXPECT_EMBER_ERROR(ConcatDataset(std::vector<std::shared_ptr<const Dataset>>{}), "datasets should not be an empty iterable");
  EXPECT_EMBER_ERROR(ConcatDataset({}), "datasets should not be an empty iterable");
  EXPECT_EMBER_ERROR(ConcatDataset(std::vector<std::shared_ptr<const Dataset>>{numbered(2).clone(), nullptr}),
                     "dataset 1 is nullptr");
  const TensorDataset images(zeros({2, 1, 28, 28}), zeros({2}, TensorOptions(kInt64)));
  const TensorDataset rgb(zeros({3, 3, 32, 32}), zeros({3}, TensorOptions(kInt64)));
  EXPECT_EMBER_ERROR(ConcatDataset({images, numbered(0), rgb}),
                     "dataset 2 has x [3, 32, 32] float32 and y [] int64 while dataset 0 has x [1, 28, 28] float32 and "
                     "y [] int64");
  const TensorDataset float_labels(zeros({2, 1, 28, 28}), zeros({2}));
  EXPECT_EMBER_ERROR(ConcatDataset({images, float_labels}), "y [] float32 while dataset 0 has x [1, 28, 28] float32 and y [] int64");
  ConcatDataset cat({numbered(2), numbered(3)});
  EXPECT_EMBER_ERROR(cat.get(5), "ConcatDataset: dataset index 5 is out of range for a dataset of 5 samples");
  EXPECT_EMBER_ERROR(cat.get_batch({0, 5}), "dataset index 5 is out of range for a dataset of 5 samples");
  EXPECT_EMBER_ERROR(cat.get_batch({-2}), "dataset index -2 is out of range");
}

TEST(DataWrappersLoader, SubsetsAndConcatenationsThroughTheLoader) {
  const TensorDataset ds = numbered(20);
  const auto parts = random_split(ds, {0.8, 0.2}, 3);
  DataLoader train(parts[0], {.batch_size = 5});
  EXPECT_EQ(train.size(), 4u);
  EXPECT_EQ(loader_labels(train), parts[0].indices());
  DataLoader val(parts[1], {.batch_size = 3, .shuffle = true, .drop_last = false, .seed = 9});
  std::vector<int64_t> expected;
  for (int64_t k : val.order(0)) expected.push_back(parts[1].indices()[static_cast<size_t>(k)]);
  EXPECT_EQ(loader_labels(val), expected);

  ConcatDataset cat({numbered(3), numbered(4, 10)});
  DataLoader in_order(cat, {.batch_size = 2, .shuffle = false, .drop_last = true, .seed = 0});
  EXPECT_EQ(loader_labels(in_order), (std::vector<int64_t>{0, 1, 2, 10, 11, 12}));
  DataLoader shuffled(cat, {.batch_size = 4, .shuffle = true, .drop_last = false, .seed = 2});
  expected.clear();
  for (int64_t k : shuffled.order(0)) expected.push_back(k < 3 ? k : k + 7);
  EXPECT_EQ(loader_labels(shuffled), expected);

  auto sampler = std::make_shared<SubsetRandomSampler>(std::vector<int64_t>{6, 0, 3}, 1);
  DataLoader sampled(cat, {.batch_size = 2}, sampler);
  expected.clear();
  for (int64_t k : sampler->indices(0)) expected.push_back(k < 3 ? k : k + 7);
  EXPECT_EQ(loader_labels(sampled), expected);
}

}  // namespace
}  // namespace ember::data
