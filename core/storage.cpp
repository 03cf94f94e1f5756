// StorageImpl: allocation from and return to the device's caching allocator.
#include "core/storage.h"

#include "core/cuda_backend.h"
#include "core/logging.h"

namespace ember {

StorageImpl::StorageImpl(size_t nbytes, Device device)
    : allocator_(&allocator_for(device)), nbytes_(nbytes), device_(device) {
  alloc_ = allocator_->allocate(nbytes, device.is_cuda() ? detail::current_cuda_stream_id(device.index()) : 0);
}

StorageImpl::StorageImpl(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
    : allocator_(nullptr), external_deleter_(std::move(deleter)), nbytes_(nbytes), device_(device) {
  alloc_.ptr = data;
}

StorageImpl::~StorageImpl() {
  try {
    if (allocator_ == nullptr) {
      if (external_deleter_) external_deleter_(alloc_.ptr);
    } else if (alloc_.block) {
      allocator_->deallocate(alloc_.block);
    }
  } catch (const std::exception& e) {  // destructors only log
    logging::error("freeing storage of {} bytes on {} failed: {}", nbytes_, device_.str(), e.what());
  }
}

}  // namespace ember
