// DataLoader: the epoch order (nn/data/permutation.h, or a Sampler's indices)
// and the prefetch worker, which fills a one-batch slot
// while the consumer works on the previous batch.
#include "nn/data/dataloader.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "core/error.h"
#include "nn/data/permutation.h"

namespace ember::data {
// Note [DataLoader prefetch]: one worker thread per epoch. It waits until the slot is
// empty, builds the next batch (outside the lock) and puts it there, so at most one
// batch is ready ahead of the consumer. An exception ends the epoch and is handed to
// the consumer. Destroying the Epoch (new begin(), loader destroyed, or after an early
// break) sets `stop` and joins: the worker is either waiting on the slot or finishing
// the one batch it is building.
struct DataLoader::Epoch {
  std::shared_ptr<const Dataset> dataset;
  std::vector<int64_t> order;
  int64_t batch_size = 1;
  size_t num_batches = 0;

  std::mutex mu;
  std::condition_variable cv;
  std::optional<Batch> slot;
  std::exception_ptr error;
  bool stop = false;
  bool finished = false;
  std::thread worker;

  void run() {
    for (size_t b = 0; b < num_batches; ++b) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || !slot.has_value(); });
        if (stop) return;
      }
      Batch batch;
      std::exception_ptr failure;
      try {
        batch = make(b);
      } catch (...) {
        failure = std::current_exception();
      }
      // Published only after the catch block has ended, so this thread's last touch of
      // the exception object happens before the consumer sees it.
      const std::lock_guard<std::mutex> lock(mu);
      if (failure) {
        error = std::move(failure);
        finished = true;
        cv.notify_all();
        return;
      }
      slot = std::move(batch);
      cv.notify_all();
    }
    const std::lock_guard<std::mutex> lock(mu);
    finished = true;
    cv.notify_all();
  }

  Batch make(size_t b) const {
    const size_t begin = b * static_cast<size_t>(batch_size);
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_size));
    const std::vector<int64_t> indices(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                       order.begin() + static_cast<std::ptrdiff_t>(end));
    Example ex = dataset->get_batch(indices);
    return {std::move(ex.x), std::move(ex.y)};
  }

  // Blocks for the next batch; nullopt at the end of the epoch. Rethrows a worker error once.
  std::optional<Batch> take() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return slot.has_value() || finished; });
    if (slot.has_value()) {
      std::optional<Batch> out = std::move(slot);
      slot.reset();
      cv.notify_all();
      return out;
    }
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    return std::nullopt;
  }

  ~Epoch() {
    {
      const std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    if (worker.joinable()) worker.join();
  }
};

DataLoader::Iterator::Iterator(DataLoader* loader, uint64_t generation) : loader_(loader), generation_(generation) {
  ++*this;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  EMBER_CHECK(loader_ != nullptr, "DataLoader: incrementing an iterator past the end of the epoch");
  std::optional<Batch> next = loader_->next_batch(generation_);
  if (next.has_value()) {
    current_ = std::move(*next);
  } else {
    loader_ = nullptr;
    current_ = Batch{};
  }
  return *this;
}

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options) : DataLoader(dataset.clone(), options) {}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  EMBER_CHECK(dataset_ != nullptr, "DataLoader: expected a dataset, got nullptr");
  EMBER_CHECK(options_.batch_size > 0,
              "DataLoader: batch_size should be a positive integer value, but got batch_size=", options_.batch_size);
  // PyTorch's RandomSampler refuses an empty dataset (its phrase); unshuffled, no batches.
  EMBER_CHECK(!options_.shuffle || dataset_->size() > 0,
              "DataLoader: num_samples should be a positive integer value, but got num_samples=0 (shuffle of an "
              "empty dataset)");
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options,
                       std::shared_ptr<Sampler> sampler)
    : DataLoader(std::move(dataset), options) {
  EMBER_CHECK(sampler != nullptr, "DataLoader: expected a sampler, got nullptr");
  EMBER_CHECK(!options_.shuffle, "DataLoader: sampler option is mutually exclusive with shuffle (the sampler "
              "decides the order; leave DataLoaderOptions::shuffle false)");
  const size_t bound = sampler->index_bound();
  if (sampler->bound_is_dataset_size()) {
    EMBER_CHECK(bound == dataset_->size(), "DataLoader: expected a sampler over ", dataset_->size(),
                " samples (the dataset), got one over ", bound);
  } else {
    EMBER_CHECK(bound <= dataset_->size(), "DataLoader: the sampler draws indices up to ", bound - 1,
                " but the dataset has ", dataset_->size(), " samples");
  }
  sampler_ = std::move(sampler);
}

DataLoader::~DataLoader() = default;

size_t DataLoader::size() const {
  const size_t n = sampler_ ? sampler_->size() : dataset_->size();
  const auto bs = static_cast<size_t>(options_.batch_size);
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

std::vector<int64_t> DataLoader::order(uint64_t epoch) const {
  if (sampler_) return sampler_->indices(epoch);
  if (options_.shuffle) return seeded_permutation(dataset_->size(), options_.seed, epoch);
  std::vector<int64_t> idx(dataset_->size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  return idx;
}

DataLoader::Iterator DataLoader::begin() {
  current_.reset();  // joins the previous epoch's worker, if any
  auto epoch = std::make_unique<Epoch>();
  epoch->dataset = dataset_;
  if (sampler_) sampler_->set_epoch(next_epoch_);
  epoch->order = order(next_epoch_++);
  epoch->batch_size = options_.batch_size;
  epoch->num_batches = size();
  Epoch* raw = epoch.get();
  epoch->worker = std::thread([raw] { raw->run(); });
  current_ = std::move(epoch);
  return Iterator(this, ++generation_);
}

std::optional<Batch> DataLoader::next_batch(uint64_t generation) {
  EMBER_CHECK(generation == generation_ && current_ != nullptr,
              "DataLoader: this iterator belongs to an epoch that has ended (begin() was called again)");
  return current_->take();
}

}  // namespace ember::data
