// The device-agnostic caching allocator: one instance per device, over a RawBackend
// that only knows raw alloc/free (host memory, or cudaMalloc in cuda/). Its policy
// (rounding, pools, splitting, coalescing, statistics, limit, OOM retry) is stated at
// the top of caching_allocator.cpp and tested on the CPU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/device.h"
#include "core/memory.h"

namespace ember {

// Opaque stream identity for stream-ordered reuse (0 = the default stream / host).
using StreamId = uintptr_t;

// A private pool's id: the top 16 bits of its blocks' stream ids (Note [Private pools]
// in core/allocator/private_pool.h); 0 is no pool.
namespace memory {
using PoolId = uint16_t;
inline constexpr uint32_t kMaxPoolId = 0xffff;
}  // namespace memory

class RawBackend {
 public:
  virtual ~RawBackend() = default;
  // Returns nullptr when the device is out of memory (never throws for that).
  virtual void* raw_alloc(size_t bytes) = 0;
  virtual void raw_free(void* ptr, size_t bytes) = 0;
  virtual Device device() const = 0;
  // Total / free device memory for OOM messages; 0 when unknown.
  virtual size_t total_memory() const { return 0; }
  virtual size_t free_memory() const { return 0; }
  // Stream-use events for record_stream (CUDA); the host has one stream and needs none.
  virtual void* record_event(StreamId /*stream*/) { return nullptr; }
  virtual bool query_event(void* /*event*/) { return true; }
  virtual void wait_event(void* /*event*/) {}
  virtual void destroy_event(void* /*event*/) {}
  // Whether this thread's current stream is being captured into a CUDA graph: then no
  // event may be queried or waited for and no memory freed (Note [Private pools]).
  virtual bool capturing() const { return false; }
};

namespace detail {
struct Block;
struct AllocatorState;
}  // namespace detail

struct Allocation {
  void* ptr = nullptr;
  detail::Block* block = nullptr;  // nullptr for a zero-byte allocation
};

class CachingAllocator {
 public:
  explicit CachingAllocator(std::unique_ptr<RawBackend> backend);
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // Throws OutOfMemoryError when even after freeing cached blocks and retrying the
  // request cannot be met (or would pass the limit).
  Allocation allocate(size_t nbytes, StreamId stream = 0);
  void deallocate(detail::Block* block);
  // The block is also used on `stream`: when freed, it is reused only after the work
  // queued on that stream up to the free has completed.
  void record_stream(detail::Block* block, StreamId stream);

  memory::Stats stats() const;
  void reset_peak();
  void reset_accumulated();  // the Stats' totals and counts to 0
  void empty_cache();                // returns every unused cached segment to the backend
  // The pool's owners are gone: its wholly free segments go back to the backend now,
  // each of its other segments when its last block is freed (Note [Private pools]).
  void release_pool(memory::PoolId pool);
  void set_limit(size_t max_reserved_bytes);  // 0 = no limit
  size_t limit() const;
  std::string summary() const;
  Device device() const;

  static size_t round_size(size_t nbytes);  // to a multiple of 512 (minimum 512)

 private:
  std::unique_ptr<detail::AllocatorState> state_;
};

// The allocator for a device (created on first use). CUDA devices need the CUDA build.
CachingAllocator& allocator_for(Device device);

}  // namespace ember
