// The samplers of nn/data/samplers.h (Note [Samplers]): PyTorch's checks and phrases,
// permutations from nn/data/permutation.h, and weighted draws through a sum tree.
#include "nn/data/samplers.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/data/permutation.h"

namespace ember::data {
namespace {

std::vector<int64_t> iota_indices(size_t n) {
  std::vector<int64_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = static_cast<int64_t>(i);
  return idx;
}

void check_num_samples(int64_t num_samples, const char* who) {
  EMBER_CHECK(num_samples > 0, who, ": num_samples should be a positive integer value, but got num_samples=",
              num_samples);
}

// Note [Weighted draws]
// Weighted sampling walks a complete binary tree whose leaves are the weights and whose
// inner nodes are the sums of their two children: x = u * total with u uniform in [0, 1)
// goes left while x < the left sum, otherwise subtracts it and goes right, so leaf i is
// reached with probability w_i / total (O(log n) a draw). Without replacement a drawn leaf
// is set to 0 and its ancestors are recomputed as left + right, never decremented, so a
// subtree without weight sums to exactly 0; the walk never enters a zero subtree (a
// rounding of x past a sum cannot reach a weight already drawn or a zero weight).
class SumTree {
 public:
  explicit SumTree(const std::vector<double>& weights) {
    while (leaves_ < weights.size()) leaves_ *= 2;
    node_.assign(2 * leaves_, 0.0);
    std::copy(weights.begin(), weights.end(), node_.begin() + static_cast<std::ptrdiff_t>(leaves_));
    for (size_t i = leaves_ - 1; i >= 1; --i) node_[i] = node_[2 * i] + node_[2 * i + 1];
  }

  // One index with probability weight / total; the total must be positive.
  size_t draw(std::mt19937_64& rng) const {
    double x = uniform_unit(rng) * node_[1];
    size_t i = 1;
    while (i < leaves_) {
      const double left = node_[2 * i], right = node_[2 * i + 1];
      if (right == 0.0 || (left > 0.0 && x < left)) {
        i = 2 * i;
      } else {
        x -= left;
        i = 2 * i + 1;
      }
    }
    return i - leaves_;
  }

  void remove(size_t leaf) {
    size_t i = leaf + leaves_;
    node_[i] = 0.0;
    for (i /= 2; i >= 1; i /= 2) node_[i] = node_[2 * i] + node_[2 * i + 1];
  }

 private:
  size_t leaves_ = 1;
  std::vector<double> node_;  // node_[1] is the root, leaves at [leaves_, 2 * leaves_)
};

std::vector<double> host_weights(const Tensor& weights) {
  EMBER_CHECK(weights.defined(), "WeightedRandomSampler: expected a weights tensor, got an undefined one");
  EMBER_CHECK(weights.dim() == 1, "WeightedRandomSampler: weights should be a 1d sequence but given weights have shape ",
              weights.sizes());
  return weights.to_vector<double>();
}

}  // namespace

std::vector<int64_t> SequentialSampler::indices(uint64_t /*epoch*/) const { return iota_indices(dataset_size_); }

RandomSampler::RandomSampler(size_t dataset_size, RandomSamplerOptions options)
    : dataset_size_(dataset_size), options_(options) {
  options_.seed = seed_or_draw(options.seed);
  const int64_t num = options.num_samples.value_or(static_cast<int64_t>(dataset_size));
  check_num_samples(num, "RandomSampler");
  // Only a given num_samples can be positive over an empty dataset.
  EMBER_CHECK(dataset_size > 0, "RandomSampler: cannot draw ", num, " samples from an empty dataset");
  num_samples_ = static_cast<size_t>(num);
}

std::vector<int64_t> RandomSampler::indices(uint64_t epoch) const {
  std::mt19937_64 rng = seeded_engine(options_.seed.value_or(0), epoch);
  std::vector<int64_t> out;
  out.reserve(num_samples_);
  if (options_.replacement) {
    for (size_t k = 0; k < num_samples_; ++k) out.push_back(static_cast<int64_t>(uniform_below(rng, dataset_size_)));
    return out;
  }
  while (out.size() < num_samples_) {
    std::vector<int64_t> perm = iota_indices(dataset_size_);
    shuffle_with(rng, perm);
    const size_t take = std::min(perm.size(), num_samples_ - out.size());
    out.insert(out.end(), perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(take));
  }
  return out;
}

SubsetRandomSampler::SubsetRandomSampler(std::vector<int64_t> indices, std::optional<uint64_t> seed)
    : indices_(std::move(indices)), seed_(seed_or_draw(seed)) {
  for (size_t k = 0; k < indices_.size(); ++k) {
    EMBER_CHECK(indices_[k] >= 0, "SubsetRandomSampler: index ", indices_[k], " at position ", k, " is negative");
    index_bound_ = std::max(index_bound_, static_cast<size_t>(indices_[k]) + 1);
  }
}

std::vector<int64_t> SubsetRandomSampler::indices(uint64_t epoch) const {
  const std::vector<int64_t> perm = seeded_permutation(indices_.size(), seed_, epoch);
  std::vector<int64_t> out(indices_.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = indices_[static_cast<size_t>(perm[k])];
  return out;
}

WeightedRandomSampler::WeightedRandomSampler(std::vector<double> weights, int64_t num_samples, bool replacement,
                                             std::optional<uint64_t> seed)
    : weights_(std::move(weights)), replacement_(replacement), seed_(seed_or_draw(seed)) {
  check_num_samples(num_samples, "WeightedRandomSampler");
  size_t nonzero = 0;
  double total = 0.0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    const double w = weights_[i];
    EMBER_CHECK(std::isfinite(w), "WeightedRandomSampler: invalid multinomial distribution (encountering probability "
                "entry = infinity or NaN): weight ", i, " is ", w);
    EMBER_CHECK(w >= 0.0, "WeightedRandomSampler: invalid multinomial distribution (encountering probability entry "
                "< 0): weight ", i, " is ", w);
    nonzero += w > 0.0 ? 1 : 0;
    total += w;
  }
  EMBER_CHECK(total > 0.0, "WeightedRandomSampler: invalid multinomial distribution (sum of probabilities <= 0): got ",
              weights_.size(), " weights, none positive");
  EMBER_CHECK(std::isfinite(total), "WeightedRandomSampler: the weights sum to infinity; scale them down");
  const auto num = static_cast<size_t>(num_samples);
  if (!replacement) {
    EMBER_CHECK(num <= weights_.size(), "WeightedRandomSampler: cannot sample n_sample > prob_dist.size(-1) samples "
                "without replacement (num_samples=", num, ", ", weights_.size(), " weights)");
    EMBER_CHECK(num <= nonzero, "WeightedRandomSampler: invalid multinomial distribution (with replacement=False, not "
                "enough non-negative category to sample): num_samples=", num, " but only ", nonzero,
                " of the weights are non-zero");
  }
  num_samples_ = num;
}

WeightedRandomSampler::WeightedRandomSampler(const Tensor& weights, int64_t num_samples, bool replacement,
                                             std::optional<uint64_t> seed)
    : WeightedRandomSampler(host_weights(weights), num_samples, replacement, seed) {}

std::vector<int64_t> WeightedRandomSampler::indices(uint64_t epoch) const {
  std::mt19937_64 rng = seeded_engine(seed_, epoch);
  SumTree tree(weights_);
  std::vector<int64_t> out(num_samples_);
  for (size_t k = 0; k < num_samples_; ++k) {
    const size_t i = tree.draw(rng);
    out[k] = static_cast<int64_t>(i);
    if (!replacement_) tree.remove(i);
  }
  return out;
}

}  // namespace ember::data
