// Datasets made of datasets, as torch.utils.data: Subset (chosen indices of a dataset),
// random_split (a dataset cut into random Subsets, e.g. a validation split) and
// ConcatDataset (datasets one after another). Each shares its parts' data.
#pragma once
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "nn/data/datasets.h"

namespace ember::data {

// Sample i is dataset[indices[i]]; every index is checked against the dataset here.
// get_batch maps the indices and calls the dataset's own get_batch (its fast path).
class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices);
  Subset(const Dataset& dataset, std::vector<int64_t> indices) : Subset(dataset.clone(), std::move(indices)) {}
  size_t size() const override { return indices_.size(); }
  Example get(size_t i) const override;
  Example get_batch(const std::vector<int64_t>& indices) const override;
  std::shared_ptr<const Dataset> clone() const override { return std::make_shared<Subset>(*this); }
  bool prefetchable() const override { return dataset_->prefetchable(); }

  const Dataset& dataset() const { return *dataset_; }
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::vector<int64_t> indices_;
};

// Note [random_split]
// Like PyTorch's random_split: a permutation of the dataset's indices cut into consecutive
// pieces of the given lengths. The permutation is seeded_permutation(size, seed, 0), the
// DataLoader's epoch-0 shuffle of the same seed, so a split is reproducible from the seed;
// without one, the seed is drawn from the default generator (manual_seed decides it).
// Lengths are sample counts summing to the dataset's size, or fractions summing to 1
// (PyTorch 1.13's rule: floor(size * fraction) each, then the remaining samples one each
// to the first pieces in turn; [0.3, 0.3, 0.4] of 7 samples gives 3, 2, 2). PyTorch warns
// about an empty piece; ember does not.
std::vector<Subset> random_split(const Dataset& dataset, const std::vector<int64_t>& lengths,
                                 std::optional<uint64_t> seed = std::nullopt);
std::vector<Subset> random_split(const Dataset& dataset, const std::vector<double>& fractions,
                                 std::optional<uint64_t> seed = std::nullopt);
// Braced lists choose by their elements: random_split(ds, {50000, 10000}) gives counts,
// random_split(ds, {0.8, 0.2}) fractions.
template <std::integral T>
std::vector<Subset> random_split(const Dataset& dataset, std::initializer_list<T> lengths,
                                 std::optional<uint64_t> seed = std::nullopt) {
  return random_split(dataset, std::vector<int64_t>(lengths.begin(), lengths.end()), seed);
}
template <std::floating_point T>
std::vector<Subset> random_split(const Dataset& dataset, std::initializer_list<T> fractions,
                                 std::optional<uint64_t> seed = std::nullopt) {
  return random_split(dataset, std::vector<double>(fractions.begin(), fractions.end()), seed);
}

// The datasets one after another: sizes add, index i goes to the part holding it, and a
// batch spanning parts is one get_batch per part, its rows put back in the batch's order.
// The parts' samples must agree in shape and dtype (checked on each part's first sample).
class ConcatDataset : public Dataset {
 public:
  // One of the datasets: a clone of a dataset (sharing its data; a temporary is fine) or a
  // shared pointer to one.
  struct Part {
    Part(const Dataset& dataset) : dataset(dataset.clone()) {}  // NOLINT(google-explicit-constructor)
    template <std::derived_from<Dataset> D>
    Part(std::shared_ptr<D> dataset) : dataset(std::move(dataset)) {}  // NOLINT(google-explicit-constructor)
    std::shared_ptr<const Dataset> dataset;
  };
  explicit ConcatDataset(std::vector<std::shared_ptr<const Dataset>> datasets);
  // ConcatDataset cat({train, extra}) or cat({ptr_a, ptr_b}).
  ConcatDataset(std::initializer_list<Part> datasets);
  size_t size() const override { return cumulative_sizes_.empty() ? 0 : cumulative_sizes_.back(); }
  Example get(size_t i) const override;
  Example get_batch(const std::vector<int64_t>& indices) const override;
  std::shared_ptr<const Dataset> clone() const override { return std::make_shared<ConcatDataset>(*this); }
  bool prefetchable() const override;

  const std::vector<std::shared_ptr<const Dataset>>& datasets() const { return datasets_; }
  // PyTorch's cumulative_sizes: entry k is the size of parts 0..k together.
  const std::vector<size_t>& cumulative_sizes() const { return cumulative_sizes_; }

 private:
  std::vector<std::shared_ptr<const Dataset>> datasets_;
  std::vector<size_t> cumulative_sizes_;
};

}  // namespace ember::data
