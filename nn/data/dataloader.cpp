// DataLoader: the epoch order (nn/data/permutation.h, or a Sampler's indices)
// and the prefetch worker, which fills a one-batch slot
// while the consumer works on the previous batch.
#include "nn/data/dataloader.h"

#include <algorithm>
#include <atomic>
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
// batch is ready ahead of the consumer. A batch whose building throws puts the exception
// in the slot instead: the consumer's take() rethrows it, and the worker goes on with the
// next batch (PyTorch's iterators go on after an error too). Destroying the Epoch (new
// begin(), loader destroyed, or after an early break) sets `stop` and joins: the worker
// is either waiting on the slot or finishing the one batch it is building. A dataset that
// is not prefetchable() (one of the user's, whose get() may draw random numbers) has no
// worker: take() makes each batch on the iterating thread, in order, so a seeded run
// draws the same numbers every time (Dataset::prefetchable in nn/data/datasets.h).
struct DataLoader::Epoch {
  std::shared_ptr<const Dataset> dataset;
  std::vector<int64_t> order;
  int64_t batch_size = 1;
  std::vector<std::vector<int64_t>> batches;  // a batch sampler's (then order is unused)
  size_t num_batches = 0;

  std::mutex mu;
  std::condition_variable cv;
  std::optional<Batch> slot;
  std::exception_ptr error;  // the slot's batch failed to build (slot itself empty)
  bool stop = false;
  bool finished = false;
  std::thread worker;
  size_t next_inline = 0;  // without a worker: the next batch take() makes

  void run() {
    for (size_t b = 0; b < num_batches; ++b) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || (!slot.has_value() && !error); });
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
      if (failure)
        error = std::move(failure);
      else
        slot = std::move(batch);
      cv.notify_all();
    }
    const std::lock_guard<std::mutex> lock(mu);
    finished = true;
    cv.notify_all();
  }

  Batch make(size_t b) const {
    if (!batches.empty()) {
      Example ex = dataset->get_batch(batches[b]);
      return {std::move(ex.x), std::move(ex.y)};
    }
    const size_t begin = b * static_cast<size_t>(batch_size);
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_size));
    const std::vector<int64_t> indices(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                       order.begin() + static_cast<std::ptrdiff_t>(end));
    Example ex = dataset->get_batch(indices);
    return {std::move(ex.x), std::move(ex.y)};
  }

  // Blocks for the next batch; nullopt at the end of the epoch. A batch that failed is
  // its exception, rethrown once (the worker has moved on to the next batch).
  std::optional<Batch> take() {
    if (!worker.joinable()) {
      if (next_inline >= num_batches) return std::nullopt;
      return make(next_inline++);  // a failed batch throws here; the next take() goes on
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return slot.has_value() || error || finished; });
    if (error) {
      std::exception_ptr failure = std::exchange(error, nullptr);
      cv.notify_all();
      std::rethrow_exception(failure);
    }
    if (slot.has_value()) {
      std::optional<Batch> out = std::move(slot);
      slot.reset();
      cv.notify_all();
      return out;
    }
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
  current_ = Batch{};  // a batch that fails leaves no stale one behind
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

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<BatchSampler> batch_sampler)
    : dataset_(std::move(dataset)), batch_sampler_(std::move(batch_sampler)) {
  EMBER_CHECK(dataset_ != nullptr, "DataLoader: expected a dataset, got nullptr");
  EMBER_CHECK(batch_sampler_ != nullptr, "DataLoader: expected a batch_sampler, got nullptr");
  options_ = DataLoaderOptions{
      .batch_size = batch_sampler_->batch_size(), .shuffle = false, .drop_last = batch_sampler_->drop_last()};
  if (const std::shared_ptr<Sampler>& sampler = batch_sampler_->sampler()) {
    const size_t bound = sampler->index_bound();
    EMBER_CHECK(bound <= dataset_->size(), "DataLoader: the batch sampler's sampler draws indices up to ", bound - 1,
                " but the dataset has ", dataset_->size(), " samples");
  }
}

DataLoader::~DataLoader() = default;
DataLoader::DataLoader(DataLoader&&) noexcept = default;
DataLoader& DataLoader::operator=(DataLoader&&) noexcept = default;

size_t DataLoader::size() const {
  if (batch_sampler_) return batch_sampler_->size();
  const size_t n = sampler_ ? sampler_->size() : dataset_->size();
  const auto bs = static_cast<size_t>(options_.batch_size);
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

std::vector<int64_t> DataLoader::order(uint64_t epoch) const {
  if (batch_sampler_) {
    std::vector<int64_t> all;
    for (const std::vector<int64_t>& batch : batch_sampler_->batches(epoch))
      all.insert(all.end(), batch.begin(), batch.end());
    return all;
  }
  if (sampler_) return sampler_->indices(epoch);
  // An unset seed is drawn by the first begin(): before it, no order is known yet (seed 0's
  // would differ from the one the epoch serves).
  EMBER_CHECK(!options_.shuffle || options_.seed,
              "DataLoader::order: a shuffling loader without "
              "DataLoaderOptions::seed draws its seed at the first begin(); set .seed, or ask for the order after "
              "the first epoch has begun");
  if (options_.shuffle) return seeded_permutation(dataset_->size(), *options_.seed, epoch);
  std::vector<int64_t> idx(dataset_->size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  return idx;
}

DataLoader::Iterator DataLoader::begin() {
  current_.reset();  // joins the previous epoch's worker, if any
  // An unset seed is drawn at the first epoch, not when the loader is made, so making a
  // loader draws nothing (PyTorch's RandomSampler draws when iterated).
  if (options_.shuffle && !options_.seed) options_.seed = seed_or_draw(std::nullopt);
  auto epoch = std::make_unique<Epoch>();
  epoch->dataset = dataset_;
  uint64_t number = next_epoch_;
  if (sampler_) {  // the user's sampler.set_epoch(e) decides; else the loader's count
    if (sampler_->epoch_set_) number = sampler_->epoch_;
    sampler_->epoch_ = number;
    sampler_->epoch_set_ = false;
  }
  if (batch_sampler_) {  // the same rule (Note [Batch samplers])
    if (batch_sampler_->epoch_set_) number = batch_sampler_->epoch_;
    batch_sampler_->epoch_ = number;
    batch_sampler_->epoch_set_ = false;
  }
  next_epoch_ = number + 1;
  if (batch_sampler_) {
    epoch->batches = batch_sampler_->batches(number);
    const auto n = static_cast<int64_t>(dataset_->size());
    for (size_t b = 0; b < epoch->batches.size(); ++b) {
      const std::vector<int64_t>& batch = epoch->batches[b];
      EMBER_CHECK(!batch.empty(), "DataLoader: the batch sampler's batch ", b, " of epoch ", number, " is empty");
      for (int64_t i : batch)
        EMBER_CHECK(i >= 0 && i < n, "DataLoader: the batch sampler's batch ", b, " of epoch ", number, " holds index ",
                    i, ", but the dataset has ", n, " samples");
    }
    epoch->num_batches = epoch->batches.size();
  } else {
    epoch->order = order(number);
    epoch->batch_size = options_.batch_size;
    // The batches of the indices this epoch has (a sampler's size() only estimates them, as
    // PyTorch's len(sampler)).
    const size_t n = epoch->order.size(), bs = static_cast<size_t>(options_.batch_size);
    epoch->num_batches = options_.drop_last ? n / bs : (n + bs - 1) / bs;
  }
  Epoch* raw = epoch.get();
  if (dataset_->prefetchable()) epoch->worker = std::thread([raw] { raw->run(); });
  current_ = std::move(epoch);
  // Generations are unique in the process, so an iterator of a loader that another was
  // moved into never takes the moved-in epoch for its own.
  static std::atomic<uint64_t> generations{0};
  generation_ = ++generations;
  return Iterator(this, generation_);
}

std::optional<Batch> DataLoader::next_batch(uint64_t generation) {
  EMBER_CHECK(generation == generation_ && current_ != nullptr,
              "DataLoader: this iterator belongs to an epoch that has ended (begin() was called again, or the "
              "loader was moved)");
  return current_->take();
}

}  // namespace ember::data
