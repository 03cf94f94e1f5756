// DataLoader: iterates a Dataset in batches (range-for), in order, shuffled with a seeded
// permutation that changes every epoch and is reproducible, or in a Sampler's order; with
// drop_last, and for ember's own datasets with the next batch prefetched on a background
// thread (Note [DataLoader prefetch] in nn/data/dataloader.cpp; errors rethrown here).
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "nn/data/batch_sampler.h"
#include "nn/data/datasets.h"
#include "nn/data/distributed_sampler.h"
#include "nn/data/samplers.h"

namespace ember::data {

// Aggregate, fields in this order: DataLoader l(ds, {.batch_size = 128, .shuffle = true});
struct DataLoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = false;
  bool drop_last = false;  // drop the last batch when it is smaller than batch_size
  // With the epoch number, decides each epoch's permutation. Unset: drawn from the default
  // generator at the first begin(), so manual_seed decides it, as PyTorch's shuffle
  // (options() then reports the seed drawn).
  std::optional<uint64_t> seed = std::nullopt;
};

struct Batch {
  Tensor x;  // [B, ...] CPU
  Tensor y;  // [B, ...] CPU
};

class DataLoader {
 public:
  // An input iterator over one epoch; equal to end() once the epoch is exhausted.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = Batch*;
    using reference = Batch&;

    Iterator() = default;
    Batch& operator*() { return current_; }
    Batch* operator->() { return &current_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return loader_ == other.loader_; }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, uint64_t generation);
    DataLoader* loader_ = nullptr;  // nullptr: the end
    uint64_t generation_ = 0;       // which begin() this iterator belongs to
    Batch current_;
  };

  // Keeps a clone() of `dataset` (sharing its tensors), so temporaries are fine.
  DataLoader(const Dataset& dataset, DataLoaderOptions options = {});
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  // Batches in a sampler's order (any data::Sampler: Random, Weighted, this rank's
  // DistributedSampler shard, ...): each epoch's order is sampler->indices(epoch). The epoch
  // is the sampler's when sampler->set_epoch was called since the last begin() (PyTorch's
  // loop: sampler.set_epoch(epoch) before each epoch), else the loader's, which begin() then
  // sets on the sampler. size() counts the batches of sampler->size() indices; an epoch
  // batches however many indices the sampler gives. options.shuffle must be false (the
  // sampler shuffles), as in PyTorch; the sampler's indices must fit the dataset.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options, std::shared_ptr<Sampler> sampler);
  DataLoader(const Dataset& dataset, DataLoaderOptions options, std::shared_ptr<Sampler> sampler)
      : DataLoader(dataset.clone(), options, std::move(sampler)) {}
  // PyTorch's batch_sampler=: each epoch's batches are batch_sampler->batches(epoch), as they
  // come (Note [Batch samplers] in nn/data/batch_sampler.h); size() is its size().
  // options() reports its batch_size and drop_last (0 and false for a batch sampler of one's
  // own), shuffle false.
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<BatchSampler> batch_sampler);
  DataLoader(const Dataset& dataset, std::shared_ptr<BatchSampler> batch_sampler)
      : DataLoader(dataset.clone(), std::move(batch_sampler)) {}
  ~DataLoader();  // stops and joins the prefetch thread
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  // Movable (return one from a function, keep one as a member assigned later). Moving ends
  // the use of its iterators: one used after it stops with the ended-epoch error (while the
  // loader it points to lives: a vector that reallocates destroys it). The moved-from
  // loader may only be assigned to or destroyed.
  DataLoader(DataLoader&&) noexcept;
  DataLoader& operator=(DataLoader&&) noexcept;

  // Starts the next epoch (ending any epoch still in flight) and returns its first batch.
  // One epoch at a time: an iterator of an earlier begin() stops with an error (PyTorch
  // allows several live iterators of one loader). A batch whose get / get_batch throws is
  // rethrown by that iterator's ++ (or begin()), and iterating on goes to the next batch.
  Iterator begin();
  Iterator end() { return Iterator(); }

  size_t size() const;  // batches per epoch
  const DataLoaderOptions& options() const { return options_; }
  const Dataset& dataset() const { return *dataset_; }
  // Epochs started so far; the next begin() uses epoch(). set_epoch resumes a run.
  uint64_t epoch() const { return next_epoch_; }
  void set_epoch(uint64_t epoch) { next_epoch_ = epoch; }
  // The sample order of an epoch: 0..N-1, or its seeded permutation when shuffling, or
  // the sampler's indices (a batch sampler's batches, one after another). A shuffling
  // loader without a seed has one only once the first begin() drew it: before that,
  // order() is an error.
  std::vector<int64_t> order(uint64_t epoch) const;

 private:
  struct Epoch;  // the prefetch worker and its one-batch slot
  std::optional<Batch> next_batch(uint64_t generation);

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  std::shared_ptr<Sampler> sampler_;              // null: the loader's own order
  std::shared_ptr<BatchSampler> batch_sampler_;  // null: batches cut from order()
  uint64_t next_epoch_ = 0;
  uint64_t generation_ = 0;
  std::unique_ptr<Epoch> current_;
};

}  // namespace ember::data
