// Public memory statistics, like torch.cuda.memory_stats() but for every device:
// ember::memory::stats(dev), allocated, reserved, reset_peak, reset_accumulated, empty_cache,
// summary, set_limit. Backed by the device's caching allocator.
#pragma once
#include <cstdint>
#include <string>

#include "core/device.h"

namespace ember::memory {

struct Stat {
  int64_t current = 0;
  int64_t peak = 0;
  int64_t allocated = 0;  // total ever added
  int64_t freed = 0;      // total ever removed
};

struct Stats {
  Stat allocated_bytes;  // bytes handed to tensors (rounded sizes)
  Stat reserved_bytes;   // bytes held from the backend (segments)
  Stat active_bytes;     // bytes in blocks that are in use
  Stat requested_bytes;  // bytes callers asked for (before rounding)
  Stat allocation;       // number of allocated blocks
  Stat segment;          // number of segments held from the backend
  Stat active;           // number of active blocks
  Stat inactive_split_bytes;  // free bytes in partly used segments (fragmentation)
  int64_t num_alloc_retries = 0;  // allocations that freed the cache and retried
  int64_t num_ooms = 0;           // allocations that failed with OutOfMemoryError
  int64_t num_device_alloc = 0;   // raw backend allocations
  int64_t num_device_free = 0;    // raw backend frees
};

// A CUDA device that does not exist (no GPU) reads zeros and its empty_cache does nothing,
// as torch.cuda's before initialisation; reset_peak, summary and set_limit name it an error.
Stats stats(Device device);
int64_t allocated(Device device);
int64_t max_allocated(Device device);
int64_t reserved(Device device);
int64_t max_reserved(Device device);  // torch.cuda.max_memory_reserved
void reset_peak(Device device);
// torch.cuda.reset_accumulated_memory_stats: every Stat's allocated / freed totals, and the
// retry, OOM and device allocation counts, back to 0 (current and peak stay).
void reset_accumulated(Device device);
void empty_cache(Device device);
std::string summary(Device device);
// A cap on reserved bytes (0 removes it). Past it, after freeing cached blocks and
// retrying, allocation throws OutOfMemoryError.
void set_limit(Device device, int64_t bytes);

}  // namespace ember::memory
