// Private pools of the caching allocator: memory that only one owner (a CUDA graph, or
// graphs sharing the pool) allocates from, kept apart from every other request and
// given back when the last owner is gone.
//
// Note [Private pools]
// A CUDA graph replays the addresses its capture saw, so what it allocated while
// capturing must stay its own until the graph dies: no other tensor may be handed those
// blocks, even after the capture freed them. The allocator keeps blocks apart by stream
// already (a block is reused only for requests of its stream), so a pool is a tag in the
// top 16 bits of the stream id: while a PrivatePoolScope is active on a thread, that
// thread's requests for the pool's device carry the tag, find only the pool's free
// blocks and reserve new segments for the pool. When the last std::shared_ptr to the
// PrivatePool goes (graphs share a pool by sharing the pointer), the pool is released:
// its wholly free segments go back to the backend at once, and each segment still
// partly in use goes back when its last block is freed. Statistics count pool memory
// like any other. The host allocator honours pools too, so all of this is tested on the CPU.
#pragma once
#include <cstdint>
#include <memory>

#include "core/allocator/caching_allocator.h"
#include "core/device.h"

namespace ember::memory {

class PrivatePool {
 public:
  explicit PrivatePool(Device device);
  ~PrivatePool();  // releases the pool (CachingAllocator::release_pool)
  PrivatePool(const PrivatePool&) = delete;
  PrivatePool& operator=(const PrivatePool&) = delete;

  PoolId id() const { return id_; }
  Device device() const { return device_; }

 private:
  Device device_;
  PoolId id_;
};

// Allocations on this thread for the pool's device come from the pool for the scope
// (nestable; the innermost wins).
class PrivatePoolScope {
 public:
  explicit PrivatePoolScope(std::shared_ptr<PrivatePool> pool);
  ~PrivatePoolScope();
  PrivatePoolScope(const PrivatePoolScope&) = delete;
  PrivatePoolScope& operator=(const PrivatePoolScope&) = delete;

 private:
  std::shared_ptr<PrivatePool> pool_;
  PoolId previous_id_;
  Device previous_device_;
};

namespace detail {
// The pool active on this thread and its device (id 0: none).
struct ActivePool {
  PoolId id = 0;
  Device device;
};
inline thread_local ActivePool tls_active_pool;
}  // namespace detail

}  // namespace ember::memory
