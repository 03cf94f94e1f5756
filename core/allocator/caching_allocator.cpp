// The caching allocator, device-agnostic: the RawBackend only does raw alloc/free.
//
// Policy (what callers and tests may rely on):
// - Every request is rounded up to a multiple of 512 bytes (minimum 512). A zero-byte
//   request allocates nothing and returns {nullptr, nullptr}.
// - Rounded sizes up to 1 MiB are served by the small pool, carved out of 2 MiB
//   segments. Bigger sizes are served by the large pool: a request under 10 MiB that
//   finds no free block gets a new 20 MiB segment; a bigger one gets a segment of its
//   own size rounded up to a multiple of 2 MiB.
// - A request takes the best-fitting free block of its pool: the smallest that is big
//   enough, the lowest address among equals. Only blocks of the request's stream are
//   considered: a block stays on the stream whose allocation created its segment (the
//   CUDA backend relies on this for stream-ordered reuse without events).
// - A block bigger than needed is split when the remainder is at least 512 bytes
//   (small pool) or more than 1 MiB (large pool); the remainder stays free in the pool.
//   Otherwise the whole block is handed out and counted as allocated.
// - A freed block merges with the free neighbours of its segment. A segment whose
//   blocks are all free stays cached; only empty_cache() (or an allocation that is
//   about to fail, see below) gives it back to the backend.
// - A new segment is reserved only when no free block fits. If it would take reserved
//   bytes past the limit (set_limit; 0 = none) or the backend returns nullptr, every
//   wholly free cached segment is released, num_alloc_retries is counted, and the
//   segment is asked for once more; if that also fails, num_ooms is counted and
//   OutOfMemoryError says what was requested, allocated, reserved, and the limit.
// - Statistics are exact to the byte: each memory::Stat has current / peak /
//   allocated (total ever added) / freed (total ever removed). inactive_split_bytes
//   counts free bytes inside segments that are partly in use.
// - One lock per allocator guards everything: a spin lock (one atomic exchange to take,
//   a plain store to release: half the cost of a pthread mutex on the hot path) that
//   yields the core while another thread holds it. The hot path (a cached block reused)
//   does no heap allocation: Block structs come from an arena with a free list, and
//   std::set nodes are extracted and re-inserted as node handles.
// - record_stream(block, s) marks a block as used by another stream s. Freeing such a
//   block records an event on each of those streams (through the backend) and keeps
//   the block from reuse until every event has completed: as PyTorch's, it leaves the
//   allocated and requested statistics at the free and stays active until then;
//   allocations collect completed ones, empty_cache and the OOM path first wait for all.
// - Private pools (Note [Private pools] in core/allocator/private_pool.h): requests made
//   under a PrivatePoolScope are a stream of their own; a released pool's segments go
//   back to the backend as soon as they are wholly free; a live pool's free segments
//   stay through empty_cache() and the OOM path (its graph replays into them).
// - While the thread's stream is being captured into a CUDA graph (asked of the backend
//   only under a pool scope, where captures allocate), nothing queries or waits for an
//   event or frees a segment, which a capture forbids: pending frees are left for later,
//   a record_stream'd block freed then records its events after the capture, and a
//   request the pool cannot meet is an out-of-memory error at once.
#include "core/allocator/caching_allocator.h"

#include "core/allocator/memory_report.h"
#include "core/allocator/private_pool.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <cstdio>
#include <map>
#include <memory_resource>
#include <set>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/logging.h"
#include "core/profiler.h"

namespace ember {
namespace detail {

struct Block {
  size_t size = 0;       // bytes covered by this block
  size_t requested = 0;  // bytes the caller asked for (0 while free)
  void* ptr = nullptr;
  StreamId stream = 0;
  std::vector<StreamId> stream_uses;  // other streams that used it (record_stream)
  bool allocated = false;
  bool freed_pending = false;  // freed by its owner, in use by another stream (counted as freed)
  bool small_pool = false;
  Block* prev = nullptr;  // address-order neighbours within the same segment
  Block* next = nullptr;
};

namespace {

constexpr size_t kMinBlock = 512;
constexpr size_t kSmallLimit = size_t{1} << 20;            // rounded sizes <= 1 MiB: small pool
constexpr size_t kSmallSegment = size_t{2} << 20;          // the small pool's segment size
constexpr size_t kMidRequestLimit = size_t{10} << 20;      // large requests under 10 MiB ...
constexpr size_t kMidSegment = size_t{20} << 20;           // ... get a 20 MiB segment
constexpr size_t kSegmentGranule = size_t{2} << 20;        // bigger segments: 2 MiB multiples
constexpr size_t kLargeSplitRemainder = size_t{1} << 20;   // large pool splits above this
constexpr size_t kMaxRequest = size_t{1} << 56;            // beyond this, rounding could overflow
constexpr size_t kBlocksPerChunk = 256;

struct BySizeThenAddress {
  bool operator()(const Block* a, const Block* b) const {
    if (a->stream != b->stream) return a->stream < b->stream;
    if (a->size != b->size) return a->size < b->size;
    return reinterpret_cast<uintptr_t>(a->ptr) < reinterpret_cast<uintptr_t>(b->ptr);
  }
};
using Pool = std::set<Block*, BySizeThenAddress>;

void increase(memory::Stat& stat, int64_t amount) {
  stat.current += amount;
  stat.allocated += amount;
  stat.peak = std::max(stat.peak, stat.current);
}
void decrease(memory::Stat& stat, int64_t amount) {
  stat.current -= amount;
  stat.freed += amount;
}
int64_t as_signed(size_t bytes) { return static_cast<int64_t>(bytes); }

}  // namespace

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// A small spin lock for short critical sections; waits politely (pause, then yield).
class SpinMutex {
 public:
  void lock() {
    for (int spins = 0; held_.exchange(true, std::memory_order_acquire); ++spins) {
      while (held_.load(std::memory_order_relaxed)) {
        if (++spins < 64) cpu_relax();
        else std::this_thread::yield();
      }
    }
  }
  void unlock() { held_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> held_{false};
};

struct AllocatorState {
  std::unique_ptr<RawBackend> backend;
  mutable SpinMutex mutex;
  Pool small_pool, large_pool;
  memory::Stats stats;
  size_t limit = 0;
  std::map<uintptr_t, size_t> segments;  // base address -> bytes, every segment held

  // Block structs live in chunks owned here; free ones wait on a list for reuse.
  std::vector<std::unique_ptr<Block[]>> block_chunks;
  std::vector<Block*> spare_blocks;
  // std::set nodes taken out of a pool, kept to put the next block in without malloc.
  std::vector<Pool::node_type> spare_nodes;
  // Freed blocks still in use by other streams, with the events that end that use.
  struct PendingFree {
    Block* block;
    std::vector<void*> events;
  };
  std::vector<PendingFree> pending_frees;
  // Blocks with stream uses freed during a capture: their events are recorded later.
  std::vector<Block*> frees_after_capture;

  // Records the events of each block freed with stream uses: on each stream that used it.
  void add_pending_free(Block* block) {
    PendingFree pending{block, {}};
    for (StreamId use : block->stream_uses) pending.events.push_back(backend->record_event(use));
    pending_frees.push_back(std::move(pending));
  }

  // Frees the pending blocks whose events have all completed (all of them, waiting
  // for their events, when `wait`). Never while capturing.
  void collect_pending_frees(bool wait) {
    if (EMBER_UNLIKELY(!frees_after_capture.empty())) {
      for (Block* block : frees_after_capture) add_pending_free(block);
      frees_after_capture.clear();
    }
    if (EMBER_LIKELY(pending_frees.empty())) return;
    std::vector<PendingFree> still_pending;
    for (PendingFree& pending : pending_frees) {
      bool done = true;
      for (void* event : pending.events) {
        if (wait) backend->wait_event(event);
        else done = done && backend->query_event(event);
      }
      if (!done) {
        still_pending.push_back(std::move(pending));
        continue;
      }
      for (void* event : pending.events) backend->destroy_event(event);
      give_back(pending.block);
    }
    pending_frees.swap(still_pending);
  }

  // free_block, and a released private pool's segment that became wholly free goes
  // back to the backend (Note [Private pools]).
  void give_back(Block* block) {
    const memory::PoolId pool = pool_of_stream(block->stream);
    free_block(block);  // `block` is now the merged free block
    if (EMBER_UNLIKELY(pool != 0) && !is_split(block) && released_pools.count(pool) != 0) {
      pool_erase(block);
      release_segment(block);
    }
  }

  // Returns an allocated block to its pool, merging free neighbours.
  // The owner's free (PyTorch's free(): allocated and requested drop at once; the block
  // stays active while another stream may still use it, until free_block).
  void count_freed(Block* block) {
    decrease(stats.allocated_bytes, as_signed(block->size));
    decrease(stats.requested_bytes, as_signed(block->requested));
    decrease(stats.allocation, 1);
    block->requested = 0;
    block->freed_pending = true;
  }

  void free_block(Block* block) {
    const int64_t size = as_signed(block->size);
    if (!block->freed_pending) count_freed(block);
    decrease(stats.active_bytes, size);
    decrease(stats.active, 1);
    block->freed_pending = false;
    block->allocated = false;
    block->requested = 0;
    block->stream_uses.clear();
    // Free neighbours counted as inactive split bytes; the merged block counts again
    // only if its segment is still partly in use.
    for (Block* neighbour : {block->prev, block->next}) {
      if (neighbour != nullptr && !neighbour->allocated) {
        decrease(stats.inactive_split_bytes, as_signed(neighbour->size));
        absorb(block, neighbour);
      }
    }
    if (is_split(block)) increase(stats.inactive_split_bytes, as_signed(block->size));
    pool_insert(block);
  }

  Block* new_block() {
    if (EMBER_UNLIKELY(spare_blocks.empty())) {
      block_chunks.push_back(std::make_unique<Block[]>(kBlocksPerChunk));
      Block* chunk = block_chunks.back().get();
      spare_blocks.reserve(spare_blocks.size() + kBlocksPerChunk);
      for (size_t i = kBlocksPerChunk; i-- > 0;) spare_blocks.push_back(chunk + i);
    }
    Block* block = spare_blocks.back();
    spare_blocks.pop_back();
    *block = Block();
    return block;
  }
  void recycle(Block* block) { spare_blocks.push_back(block); }

  Pool& pool_of(const Block* block) { return block->small_pool ? small_pool : large_pool; }

  void pool_insert(Block* block) {
    Pool& pool = pool_of(block);
    if (spare_nodes.empty()) {
      pool.insert(block);
      return;
    }
    Pool::node_type node = std::move(spare_nodes.back());
    spare_nodes.pop_back();
    node.value() = block;
    pool.insert(std::move(node));
  }
  Pool::iterator pool_erase(Pool& pool, Pool::iterator it) {
    auto next = std::next(it);
    spare_nodes.push_back(pool.extract(it));
    return next;
  }
  void pool_erase(Block* block) {
    Pool& pool = pool_of(block);
    auto it = pool.find(block);
    EMBER_INTERNAL_ASSERT(it != pool.end(), "a free block is missing from its pool");
    pool_erase(pool, it);
  }

  static size_t segment_size_for(size_t rounded) {
    if (rounded <= kSmallLimit) return kSmallSegment;
    if (rounded < kMidRequestLimit) return kMidSegment;
    return (rounded + kSegmentGranule - 1) / kSegmentGranule * kSegmentGranule;
  }

  static bool is_split(const Block* block) { return block->prev != nullptr || block->next != nullptr; }

  // The best-fitting free block of the stream, taken out of its pool, or nullptr.
  Block* take_free_block(size_t rounded, StreamId stream, bool small) {
    Pool& pool = small ? small_pool : large_pool;
    Block key;
    key.size = rounded;
    key.stream = stream;
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || (*it)->stream != stream) return nullptr;
    Block* block = *it;
    pool_erase(pool, it);
    return block;
  }

  // A new segment from the backend as one free block (in no pool), or nullptr when
  // the limit or the backend says no.
  Block* reserve_segment(size_t rounded, StreamId stream, bool small) {
    const size_t bytes = segment_size_for(rounded);
    if (limit != 0 && static_cast<size_t>(stats.reserved_bytes.current) + bytes > limit) return nullptr;
    void* ptr = backend->raw_alloc(bytes);
    if (ptr == nullptr) return nullptr;
    segments.emplace(reinterpret_cast<uintptr_t>(ptr), bytes);
    stats.num_device_alloc += 1;
    increase(stats.reserved_bytes, as_signed(bytes));
    increase(stats.segment, 1);
    Block* block = new_block();
    block->size = bytes;
    block->ptr = ptr;
    block->stream = stream;
    block->small_pool = small;
    return block;
  }

  // Gives every wholly free segment (of private pool `only`, when not 0) back to the
  // backend. The books are updated before each raw_free, so a backend error leaves the
  // statistics consistent.
  void release_cached_segments(memory::PoolId only = 0) {
    for (Pool* pool : {&small_pool, &large_pool}) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* block = *it;
        // Without `only`, a live private pool keeps its free segments: a CUDA graph
        // replays into them (a released pool's went back when they became free).
        const memory::PoolId owner = pool_of_stream(block->stream);
        if (is_split(block) || (only != 0 ? owner != only : owner != 0)) {
          ++it;
          continue;
        }
        it = pool_erase(*pool, it);
        release_segment(block);
      }
    }
  }
  void release_segment(Block* block) {
    void* ptr = block->ptr;
    const size_t bytes = block->size;
    segments.erase(reinterpret_cast<uintptr_t>(ptr));
    stats.num_device_free += 1;
    decrease(stats.reserved_bytes, as_signed(bytes));
    decrease(stats.segment, 1);
    recycle(block);
    backend->raw_free(ptr, bytes);
  }

  // Private pools (Note [Private pools]): the tag in a stream id, and released pools.
  static constexpr int kPoolShift = 48;
  static memory::PoolId pool_of_stream(StreamId stream) { return static_cast<memory::PoolId>(stream >> kPoolShift); }
  std::set<memory::PoolId> released_pools;

  bool worth_splitting(const Block* block, size_t rounded) const {
    const size_t remainder = block->size - rounded;
    return block->small_pool ? remainder >= kMinBlock : remainder > kLargeSplitRemainder;
  }

  // Cuts `block` to `rounded` bytes; the rest becomes a free block in the pool.
  void split(Block* block, size_t rounded) {
    Block* rest = new_block();
    rest->ptr = static_cast<char*>(block->ptr) + rounded;
    rest->size = block->size - rounded;
    rest->stream = block->stream;
    rest->small_pool = block->small_pool;
    rest->prev = block;
    rest->next = block->next;
    if (block->next != nullptr) block->next->prev = rest;
    block->next = rest;
    block->size = rounded;
    pool_insert(rest);
  }

  // Absorbs the free neighbour `other` (taken out of its pool) into `block`.
  void absorb(Block* block, Block* other) {
    pool_erase(other);
    if (block->prev == other) {
      block->ptr = other->ptr;
      block->prev = other->prev;
      if (other->prev != nullptr) other->prev->next = block;
    } else {
      block->next = other->next;
      if (other->next != nullptr) other->next->prev = block;
    }
    block->size += other->size;
    recycle(other);
  }

  // Counts the OOM and throws PyTorch's kind of message followed by the summary table.
  [[noreturn]] void throw_out_of_memory(size_t requested) {
    stats.num_ooms += 1;
    throw OutOfMemoryError(out_of_memory_message(requested) + "\n" + summary_table(stats, limit, backend->device()),
                           __FILE__, __LINE__);
  }

  std::string out_of_memory_message(size_t requested) const {
    const Device device = backend->device();
    std::ostringstream os;
    os << (device.is_cuda() ? "CUDA" : "CPU") << " out of memory. Tried to allocate "
       << human_size(as_signed(requested)) << ".";
    if (const size_t total = backend->total_memory(); total != 0) {
      os << " " << device.str() << " has a total capacity of " << human_size(as_signed(total)) << " of which "
         << human_size(as_signed(backend->free_memory())) << " is free.";
    }
    const int64_t allocated = stats.allocated_bytes.current;
    const int64_t reserved = stats.reserved_bytes.current;
    os << " Of the allocated memory " << human_size(allocated) << " is allocated by ember, and "
       << human_size(reserved - allocated) << " is reserved by ember but unallocated ("
       << human_size(reserved) << " reserved in " << stats.segment.current << " segment(s)).";
    if (limit != 0) {
      os << " Reserved memory may not pass the limit of " << human_size(as_signed(limit))
         << " set by memory::set_limit.";
    }
    return os.str();
  }
};

}  // namespace detail

using detail::AllocatorState;
using detail::Block;
using detail::decrease;
using detail::increase;

namespace {
// Allocated and reserved bytes after a change, for the profiler's counter tracks
// (Note [Profiler]); called under the allocator's lock, so samples follow its order.
void sample_for_profiler(const AllocatorState& s) {
  const Device device = s.backend->device();
  profiler::counter(profiler::CounterKind::Allocated, device, s.stats.allocated_bytes.current);
  profiler::counter(profiler::CounterKind::Reserved, device, s.stats.reserved_bytes.current);
}
}  // namespace

CachingAllocator::CachingAllocator(std::unique_ptr<RawBackend> backend)
    : state_(std::make_unique<AllocatorState>()) {
  EMBER_INTERNAL_ASSERT(backend != nullptr, "a caching allocator needs a backend");
  state_->backend = std::move(backend);
}

// Gives every segment back, in use or not (blocks still held are dangling from here
// on, which is said in a warning). Destructors only log.
CachingAllocator::~CachingAllocator() {
  AllocatorState& s = *state_;
  try {
    std::lock_guard<detail::SpinMutex> lock(s.mutex);
    if (const int64_t in_use = s.stats.allocation.current; in_use != 0) {
      logging::warn("caching allocator for {} destroyed while {} block(s) ({}) are still allocated",
                    s.backend->device().str(), in_use, detail::human_size(s.stats.allocated_bytes.current));
    }
    for (const auto& [base, bytes] : s.segments) {
      try {
        s.backend->raw_free(reinterpret_cast<void*>(base), bytes);
      } catch (const std::exception& e) {
        logging::error("returning a segment of {} bytes to the backend failed: {}", bytes, e.what());
      }
    }
    s.segments.clear();
  } catch (const std::exception& e) {
    logging::error("destroying a caching allocator failed: {}", e.what());
  }
}

size_t CachingAllocator::round_size(size_t nbytes) {
  if (nbytes <= detail::kMinBlock) return detail::kMinBlock;
  return (nbytes + detail::kMinBlock - 1) / detail::kMinBlock * detail::kMinBlock;
}

Allocation CachingAllocator::allocate(size_t nbytes, StreamId stream) {
  if (nbytes == 0) return {};
  AllocatorState& s = *state_;
  std::lock_guard<detail::SpinMutex> lock(s.mutex);
  if (EMBER_UNLIKELY(nbytes > detail::kMaxRequest)) {
    s.throw_out_of_memory(nbytes);
  }
  const size_t rounded = round_size(nbytes);
  const bool small = rounded <= detail::kSmallLimit;
  bool capturing = false;
  if (const memory::detail::ActivePool& pool = memory::detail::tls_active_pool;
      EMBER_UNLIKELY(pool.id != 0) && pool.device == s.backend->device()) {
    stream |= StreamId{pool.id} << AllocatorState::kPoolShift;  // Note [Private pools]
    capturing = s.backend->capturing();
  }
  if (!capturing) s.collect_pending_frees(false);

  Block* block = s.take_free_block(rounded, stream, small);
  if (EMBER_UNLIKELY(block == nullptr)) {
    block = s.reserve_segment(rounded, stream, small);
    if (block == nullptr && capturing) s.throw_out_of_memory(nbytes);  // no waiting or freeing in a capture
    if (block == nullptr) {
      s.stats.num_alloc_retries += 1;
      s.collect_pending_frees(true);
      block = s.take_free_block(rounded, stream, small);
    }
    if (block == nullptr) {
      s.release_cached_segments();
      block = s.reserve_segment(rounded, stream, small);
    }
    if (block == nullptr) {
      s.throw_out_of_memory(nbytes);
    }
  }
  // A free block of a split segment was inactive split memory; its own remainder is.
  if (AllocatorState::is_split(block)) decrease(s.stats.inactive_split_bytes, detail::as_signed(block->size));
  if (s.worth_splitting(block, rounded)) {
    s.split(block, rounded);
    increase(s.stats.inactive_split_bytes, detail::as_signed(block->next->size));
  }
  block->allocated = true;
  block->requested = nbytes;
  const int64_t size = detail::as_signed(block->size);
  increase(s.stats.allocated_bytes, size);
  increase(s.stats.active_bytes, size);
  increase(s.stats.requested_bytes, detail::as_signed(nbytes));
  increase(s.stats.allocation, 1);
  increase(s.stats.active, 1);
  if (EMBER_UNLIKELY(profiler::is_enabled())) sample_for_profiler(s);
  return {block->ptr, block};
}

void CachingAllocator::deallocate(Block* block) {
  if (block == nullptr) return;
  AllocatorState& s = *state_;
  std::lock_guard<detail::SpinMutex> lock(s.mutex);
  EMBER_INTERNAL_ASSERT(block->allocated, "a block was freed twice (or was never allocated)");
  if (EMBER_UNLIKELY(!block->stream_uses.empty())) {
    s.count_freed(block);
    if (s.backend->capturing()) {
      s.frees_after_capture.push_back(block);
    } else {
      s.add_pending_free(block);
    }
    return;
  }
  s.give_back(block);
  if (EMBER_UNLIKELY(profiler::is_enabled())) sample_for_profiler(s);
}

void CachingAllocator::release_pool(memory::PoolId pool) {
  if (pool == 0) return;
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  state_->released_pools.insert(pool);
  state_->collect_pending_frees(false);
  state_->release_cached_segments(pool);
  if (EMBER_UNLIKELY(profiler::is_enabled())) sample_for_profiler(*state_);
}

void CachingAllocator::record_stream(Block* block, StreamId stream) {
  if (block == nullptr) return;
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  EMBER_INTERNAL_ASSERT(block->allocated, "record_stream on a block that is not allocated");
  if (stream == block->stream) return;
  auto& uses = block->stream_uses;
  if (std::find(uses.begin(), uses.end(), stream) == uses.end()) uses.push_back(stream);
}

memory::Stats CachingAllocator::stats() const {
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  return state_->stats;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  memory::Stats& st = state_->stats;
  for (memory::Stat* stat : {&st.allocated_bytes, &st.reserved_bytes, &st.active_bytes, &st.requested_bytes,
                             &st.allocation, &st.segment, &st.active, &st.inactive_split_bytes}) {
    stat->peak = stat->current;
  }
}

void CachingAllocator::reset_accumulated() {
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  memory::Stats& st = state_->stats;
  for (memory::Stat* stat : {&st.allocated_bytes, &st.reserved_bytes, &st.active_bytes, &st.requested_bytes,
                             &st.allocation, &st.segment, &st.active, &st.inactive_split_bytes}) {
    stat->allocated = 0;
    stat->freed = 0;
  }
  st.num_alloc_retries = st.num_ooms = st.num_device_alloc = st.num_device_free = 0;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  // PyTorch's release_cached_blocks: wait for the blocks other streams still use first
  // (never while capturing: those wait for the capture's end)
  state_->collect_pending_frees(/*wait=*/!state_->backend->capturing());
  state_->release_cached_segments();
  if (EMBER_UNLIKELY(profiler::is_enabled())) sample_for_profiler(*state_);
}

void CachingAllocator::set_limit(size_t max_reserved_bytes) {
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  state_->limit = max_reserved_bytes;
}

size_t CachingAllocator::limit() const {
  std::lock_guard<detail::SpinMutex> lock(state_->mutex);
  return state_->limit;
}

Device CachingAllocator::device() const { return state_->backend->device(); }

std::string CachingAllocator::summary() const {
  memory::Stats st;
  size_t lim = 0;
  {
    std::lock_guard<detail::SpinMutex> lock(state_->mutex);
    st = state_->stats;
    lim = state_->limit;
  }
  return detail::summary_table(st, lim, device());
}


}  // namespace ember
