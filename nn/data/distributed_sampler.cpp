// DistributedSampler (Note [Distributed sampler shards] in nn/data/distributed_sampler.h):
// replicas and rank from the process group unless given, padding or cutting, interleaving.
#include "nn/data/distributed_sampler.h"

#include "core/error.h"
#include "nn/data/permutation.h"
#include "nn/distributed/process_group.h"

namespace ember::data {

DistributedSampler::DistributedSampler(size_t dataset_size, DistributedSamplerOptions options)
    : dataset_size_(dataset_size), options_(options) {
  const bool group = distributed::is_initialized();
  // -1 (the default) asks the process group; any other negative value is an error, as PyTorch's.
  num_replicas_ = options.num_replicas != -1 ? options.num_replicas : (group ? distributed::world_size() : 1);
  rank_ = options.rank != -1 ? options.rank : (group ? distributed::rank() : 0);
  EMBER_CHECK(num_replicas_ >= 1, "DistributedSampler: expected num_replicas >= 1, got ", num_replicas_);
  EMBER_CHECK(rank_ >= 0 && rank_ < num_replicas_, "DistributedSampler: Invalid rank ", rank_,
              ", rank should be in the interval [0, ", num_replicas_ - 1, "]");
  const auto replicas = static_cast<size_t>(num_replicas_);
  // With drop_last, fewer samples than ranks leave every shard empty, as PyTorch's
  // ceil((N - R) / R) does.
  num_samples_ = options.drop_last ? dataset_size / replicas : (dataset_size + replicas - 1) / replicas;
}

std::vector<int64_t> DistributedSampler::indices(uint64_t epoch) const {
  std::vector<int64_t> order;
  if (options_.shuffle) {
    order = seeded_permutation(dataset_size_, options_.seed, epoch);
  } else {
    order.resize(dataset_size_);
    for (size_t i = 0; i < dataset_size_; ++i) order[i] = static_cast<int64_t>(i);
  }
  const size_t total = total_size();
  if (order.size() > total) order.resize(total);  // drop_last
  for (size_t i = 0; order.size() < total; ++i) order.push_back(order[i]);  // padding, cyclic when short
  std::vector<int64_t> mine;
  mine.reserve(num_samples_);
  for (size_t i = static_cast<size_t>(rank_); i < total; i += static_cast<size_t>(num_replicas_))
    mine.push_back(order[i]);
  return mine;
}

}  // namespace ember::data
