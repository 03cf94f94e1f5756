// ember::memory: the public statistics API, forwarding to each device's allocator.
#include "core/memory.h"

#include "core/allocator/caching_allocator.h"
#include "core/device.h"
#include "core/error.h"

namespace ember::memory {
namespace {
// A CUDA device that does not exist (no GPU, no driver, an index past the count) has
// allocated nothing: its statistics read zero and empty_cache does nothing, as
// torch.cuda's before CUDA is initialised; the other calls name the missing device.
bool missing_cuda(Device device) { return device.is_cuda() && device.index() >= cuda::device_count(); }
}  // namespace

Stats stats(Device device) { return missing_cuda(device) ? Stats{} : allocator_for(device).stats(); }
int64_t allocated(Device device) { return stats(device).allocated_bytes.current; }
int64_t max_allocated(Device device) { return stats(device).allocated_bytes.peak; }
int64_t reserved(Device device) { return stats(device).reserved_bytes.current; }
void reset_peak(Device device) { allocator_for(device).reset_peak(); }
int64_t max_reserved(Device device) { return stats(device).reserved_bytes.peak; }
void reset_accumulated(Device device) { allocator_for(device).reset_accumulated(); }
void empty_cache(Device device) {
  if (!missing_cuda(device)) allocator_for(device).empty_cache();
}
std::string summary(Device device) { return allocator_for(device).summary(); }

void set_limit(Device device, int64_t bytes) {
  EMBER_CHECK(bytes >= 0, "memory::set_limit: expected a non-negative number of bytes, but got ", bytes);
  allocator_for(device).set_limit(static_cast<size_t>(bytes));
}

}  // namespace ember::memory
