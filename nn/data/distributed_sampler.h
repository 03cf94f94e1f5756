// data::DistributedSampler: which samples of each epoch this rank of a data-parallel job
// takes (Note [Distributed sampler shards]). A data::Sampler (nn/data/samplers.h): use it
// with a DataLoader, whose epoch it follows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/data/samplers.h"

namespace ember::data {

// Note [Distributed sampler shards]
// Like PyTorch's DistributedSampler: every rank computes the same order of the epoch (the
// seeded permutation of nn/data/permutation.h, the DataLoader's own, when shuffling;
// 0..N-1 otherwise). Without drop_last the order is padded with its own first indices up
// to a multiple of the number of replicas (so every rank gets ceil(N/R) samples and a few
// samples count twice); with drop_last it is cut to one (floor(N/R) each). Rank r takes
// positions r, r+R, r+2R, ...: the shards are disjoint and cover the epoch. Interleaving
// has a useful consequence: batch b of size B on every rank holds together exactly the
// samples of batch b of size R*B in one process with the same seed, so a job of R ranks
// with --batch-size B sees the data of one process with R*B (up to the padding).

struct DistributedSamplerOptions {
  bool shuffle = true;
  uint64_t seed = 0;        // the same on every rank
  bool drop_last = false;   // cut the tail instead of padding
  int num_replicas = -1;    // -1: distributed::world_size() (1 without a process group); < -1: error
  int rank = -1;            // -1: distributed::rank() (0 without a process group); < -1: error
};

// set_epoch/epoch (Sampler's) choose the epoch whose order indices() gives (a DataLoader
// sets it at each begin()).
class DistributedSampler : public Sampler {
 public:
  explicit DistributedSampler(size_t dataset_size, DistributedSamplerOptions options = {});

  // This rank's samples of an epoch, num_samples() of them.
  using Sampler::indices;
  std::vector<int64_t> indices(uint64_t epoch) const override;
  size_t size() const override { return num_samples_; }
  size_t index_bound() const override { return dataset_size_; }

  size_t num_samples() const { return num_samples_; }  // per rank, per epoch
  size_t total_size() const { return num_samples_ * static_cast<size_t>(num_replicas_); }
  size_t dataset_size() const { return dataset_size_; }
  int num_replicas() const { return num_replicas_; }
  int rank() const { return rank_; }

 private:
  size_t dataset_size_;
  DistributedSamplerOptions options_;
  int num_replicas_ = 1, rank_ = 0;
  size_t num_samples_ = 0;
};

}  // namespace ember::data
