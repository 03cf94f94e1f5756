// StorageImpl: the bytes behind one or more tensors (views share it), taken from
// the device's caching allocator, plus the version counter that every view and
// detach() of it shares (in-place ops bump it; autograd checks it).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/allocator/caching_allocator.h"
#include "core/device.h"

namespace ember {

class StorageImpl {
 public:
  StorageImpl(size_t nbytes, Device device);
  // Memory ember did not allocate (from_blob): `deleter` (may be empty) runs on it when the
  // last tensor using it goes; the caching allocator never sees it.
  StorageImpl(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter);
  ~StorageImpl();
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;

  void* data() const { return alloc_.ptr; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }
  // The bytes are also used on another stream (see CachingAllocator::record_stream).
  // A no-op for memory ember did not allocate (its owner keeps it alive).
  void record_stream(StreamId stream) {
    if (allocator_ != nullptr) allocator_->record_stream(alloc_.block, stream);
  }

 private:
  Allocation alloc_;
  CachingAllocator* allocator_;  // null for memory from outside (external_deleter_)
  std::function<void(void*)> external_deleter_;
  size_t nbytes_;
  Device device_;
  std::atomic<uint32_t> version_{0};
};

using Storage = std::shared_ptr<StorageImpl>;

}  // namespace ember
