// data::BatchSampler: PyTorch's torch.utils.data.BatchSampler, a sampler's indices in
// batches, and the base of batch samplers of one's own (batches by length, balanced
// classes), which a DataLoader takes as PyTorch's batch_sampler= (Note [Batch samplers]).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/data/samplers.h"

namespace ember::data {

// Note [Batch samplers]
// A DataLoader made with a BatchSampler takes each epoch's batches from batches(epoch), in
// that order and of those sizes, instead of cutting its own order into batch_size pieces;
// so it has no batch_size, shuffle, sampler or drop_last of its own (PyTorch's "mutually
// exclusive" options are simply not in that constructor). The epoch follows the Sampler
// rule (Note [Samplers]): set_epoch since the loader's last begin() decides it, else the
// loader's count. The loader checks every index against the dataset when the epoch begins.
class BatchSampler {
 public:
  // The sampler's indices, batch_size at a time; drop_last leaves out a last short batch.
  BatchSampler(std::shared_ptr<Sampler> sampler, int64_t batch_size, bool drop_last);
  virtual ~BatchSampler() = default;

  // The batches of an epoch (each non-empty).
  virtual std::vector<std::vector<int64_t>> batches(uint64_t epoch) const;
  // PyTorch's len(batch_sampler): the batches of an epoch.
  virtual size_t size() const;

  void set_epoch(uint64_t epoch) {
    epoch_ = epoch;
    epoch_set_ = true;
  }
  uint64_t epoch() const { return epoch_; }
  const std::shared_ptr<Sampler>& sampler() const { return sampler_; }
  int64_t batch_size() const { return batch_size_; }
  bool drop_last() const { return drop_last_; }

 protected:
  BatchSampler() = default;  // a subclass that makes its batches itself

 private:
  friend class DataLoader;
  std::shared_ptr<Sampler> sampler_;
  int64_t batch_size_ = 0;
  bool drop_last_ = false;
  uint64_t epoch_ = 0;
  bool epoch_set_ = false;  // set_epoch was called since a DataLoader last began an epoch
};

}  // namespace ember::data
