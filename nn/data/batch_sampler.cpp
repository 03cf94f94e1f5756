// data::BatchSampler: a sampler's indices cut into batches (PyTorch's BatchSampler).
#include "nn/data/batch_sampler.h"

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace ember::data {

BatchSampler::BatchSampler(std::shared_ptr<Sampler> sampler, int64_t batch_size, bool drop_last)
    : sampler_(std::move(sampler)), batch_size_(batch_size), drop_last_(drop_last) {
  EMBER_CHECK(sampler_ != nullptr, "BatchSampler: expected a sampler, got nullptr");
  EMBER_CHECK(batch_size > 0, "batch_size should be a positive integer value, but got batch_size=", batch_size);
}

std::vector<std::vector<int64_t>> BatchSampler::batches(uint64_t epoch) const {
  EMBER_CHECK(sampler_ != nullptr, "BatchSampler: a batch sampler without a sampler must override batches()");
  const std::vector<int64_t> indices = sampler_->indices(epoch);
  const auto bs = static_cast<size_t>(batch_size_);
  std::vector<std::vector<int64_t>> out;
  for (size_t begin = 0; begin < indices.size(); begin += bs) {
    const size_t end = std::min(indices.size(), begin + bs);
    if (drop_last_ && end - begin < bs) break;
    out.emplace_back(indices.begin() + static_cast<std::ptrdiff_t>(begin),
                     indices.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return out;
}

size_t BatchSampler::size() const {
  EMBER_CHECK(sampler_ != nullptr, "BatchSampler: a batch sampler without a sampler must override size()");
  const size_t n = sampler_->size(), bs = static_cast<size_t>(batch_size_);
  return drop_last_ ? n / bs : (n + bs - 1) / bs;
}

}  // namespace ember::data
