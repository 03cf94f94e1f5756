// Samplers: the data::Sampler interface (an epoch's indices, their count, set_epoch) and
// PyTorch's SequentialSampler, RandomSampler, SubsetRandomSampler and WeightedRandomSampler,
// each reproducible from (seed, epoch) (Note [Samplers]). A DataLoader takes any of them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ember {
class Tensor;
}

namespace ember::data {

// Note [Samplers]
// A sampler decides which samples an epoch visits and in what order. indices(epoch) is a
// pure function of the sampler's settings and the epoch: the random samplers draw from
// seeded_engine(seed, epoch) of nn/data/permutation.h (the DataLoader's own shuffle), so an
// epoch can be replayed, every epoch differs, and the draws are the same on every platform.
// set_epoch chooses the epoch that indices() gives, as PyTorch users call set_epoch; a
// DataLoader follows a set_epoch made since its last begin(), and otherwise sets the epoch
// itself at each begin(). size() is PyTorch's len(sampler). A seed left unset is drawn from
// the default generator when the sampler is made, so manual_seed decides it.
class Sampler {
 public:
  virtual ~Sampler() = default;

  // The indices of an epoch, size() of them.
  virtual std::vector<int64_t> indices(uint64_t epoch) const = 0;
  std::vector<int64_t> indices() const { return indices(epoch_); }
  virtual size_t size() const = 0;

  // Every index is below index_bound(): a DataLoader refuses a dataset with fewer samples.
  // A sampler made for a dataset's length (PyTorch's data_source: Sequential, Random,
  // Distributed) has bound_is_dataset_size(), and the DataLoader then wants exactly that many.
  virtual size_t index_bound() const = 0;
  virtual bool bound_is_dataset_size() const { return true; }

  void set_epoch(uint64_t epoch) {
    epoch_ = epoch;
    epoch_set_ = true;
  }
  uint64_t epoch() const { return epoch_; }

 private:
  friend class DataLoader;
  uint64_t epoch_ = 0;
  bool epoch_set_ = false;  // set_epoch was called since a DataLoader last began an epoch
};

// 0, 1, ..., n-1 in every epoch.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(size_t dataset_size) : dataset_size_(dataset_size) {}
  using Sampler::indices;
  std::vector<int64_t> indices(uint64_t epoch) const override;
  size_t size() const override { return dataset_size_; }
  size_t index_bound() const override { return dataset_size_; }

 private:
  size_t dataset_size_;
};

struct RandomSamplerOptions {
  bool replacement = false;
  std::optional<int64_t> num_samples = std::nullopt;  // per epoch; default: the dataset's size
  std::optional<uint64_t> seed = std::nullopt;         // unset: drawn from the default generator
};

// PyTorch 1.13's RandomSampler. Without replacement: num_samples / n whole permutations,
// then the start of one more (the first is the DataLoader's shuffle of the same seed and
// epoch); with replacement: num_samples uniform draws from 0..n-1. As in PyTorch,
// num_samples (and so the dataset) must be positive.
class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(size_t dataset_size, RandomSamplerOptions options = {});
  using Sampler::indices;
  std::vector<int64_t> indices(uint64_t epoch) const override;
  size_t size() const override { return num_samples_; }
  size_t index_bound() const override { return dataset_size_; }

  size_t num_samples() const { return num_samples_; }
  bool replacement() const { return options_.replacement; }

 private:
  size_t dataset_size_;
  RandomSamplerOptions options_;
  size_t num_samples_ = 0;
};

// The given indices in a new random order each epoch (PyTorch's SubsetRandomSampler:
// indices[randperm(k)]); e.g. the training part of a split without a Subset.
class SubsetRandomSampler : public Sampler {
 public:
  explicit SubsetRandomSampler(std::vector<int64_t> indices, std::optional<uint64_t> seed = std::nullopt);
  using Sampler::indices;
  std::vector<int64_t> indices(uint64_t epoch) const override;
  size_t size() const override { return indices_.size(); }
  size_t index_bound() const override { return index_bound_; }
  bool bound_is_dataset_size() const override { return false; }

 private:
  std::vector<int64_t> indices_;
  uint64_t seed_;
  size_t index_bound_ = 0;
};

// num_samples indices i drawn with probability weights[i] / sum(weights) (PyTorch's
// WeightedRandomSampler, i.e. torch.multinomial): with replacement independently, without
// replacement one after another from the weights not drawn yet, so each index at most once.
// The weights (1-D, finite, non-negative, not all zero) are checked here, not at the first
// epoch as in PyTorch; without replacement num_samples may not exceed the non-zero weights.
class WeightedRandomSampler : public Sampler {
 public:
  WeightedRandomSampler(std::vector<double> weights, int64_t num_samples, bool replacement = true,
                        std::optional<uint64_t> seed = std::nullopt);
  // Any dtype and device; copied to the host as float64.
  WeightedRandomSampler(const Tensor& weights, int64_t num_samples, bool replacement = true,
                        std::optional<uint64_t> seed = std::nullopt);
  using Sampler::indices;
  std::vector<int64_t> indices(uint64_t epoch) const override;
  size_t size() const override { return num_samples_; }
  size_t index_bound() const override { return weights_.size(); }
  bool bound_is_dataset_size() const override { return false; }

  const std::vector<double>& weights() const { return weights_; }
  bool replacement() const { return replacement_; }

 private:
  std::vector<double> weights_;
  size_t num_samples_ = 0;
  bool replacement_;
  uint64_t seed_;
};

}  // namespace ember::data
