// The caching allocator, device-agnostic (the backend only does raw alloc/free).
//
// Policy:
// - Every request is rounded up to a multiple of 512 bytes (minimum 512). Zero bytes
//   allocate nothing.
// - Rounded sizes <= 1 MiB come from the small pool, carved from 2 MiB segments.
//   Larger sizes come from the large pool: requests under 10 MiB get a 20 MiB
//   segment, bigger ones a segment of the request rounded up to 2 MiB.
// - A request takes the best-fitting free block (smallest size, then lowest address)
//   of its pool that was allocated on the same stream; blocks never move between
//   streams (the CUDA backend relies on this for stream-ordered reuse).
// - A block larger than needed is split when the remainder is at least 512 bytes
//   (small pool) or more than 1 MiB (large pool); the remainder stays free.
// - A freed block merges with free neighbours of the same segment. Segments are
//   kept (cached) even when wholly free, until empty_cache().
// - Before reserving a new segment, the limit (set_limit, on reserved bytes) is
//   checked. If the limit or the backend says no, every wholly free cached segment
//   is released and the request retried once; if that fails, OutOfMemoryError.
// - Statistics are exact to the byte: allocated (rounded) bytes, requested bytes,
//   active bytes, reserved bytes, inactive split bytes, and counts, each with
//   current / peak / allocated / freed.
#include "core/allocator/caching_allocator.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <vector>

#include "core/logging.h"

namespace ember {
namespace detail {

struct Block {
  size_t size = 0;       // bytes covered by this block
  size_t requested = 0;  // bytes asked for (0 when free)
  void* ptr = nullptr;
  StreamId stream = 0;
  bool allocated = false;
  bool small_pool = false;
  Block* prev = nullptr;  // neighbours within the same segment
  Block* next = nullptr;
};

namespace {

constexpr size_t kRound = 512;
constexpr size_t kSmallSize = 1 << 20;         // <= 1 MiB: small pool
constexpr size_t kSmallSegment = 2 << 20;      // 2 MiB segments for the small pool
constexpr size_t kLargeSegmentFor = 10 << 20;  // requests under 10 MiB ...
constexpr size_t kLargeSegment = 20 << 20;     // ... get a 20 MiB segment
constexpr size_t kSegmentRound = 2 << 20;

struct BlockOrder {
  bool operator()(const Block* a, const Block* b) const {
    if (a->stream != b->stream) return a->stream < b->stream;
    if (a->size != b->size) return a->size < b->size;
    return reinterpret_cast<uintptr_t>(a->ptr) < reinterpret_cast<uintptr_t>(b->ptr);
  }
};
using Pool = std::set<Block*, BlockOrder>;

void add(memory::Stat& s, int64_t amount) {
  s.current += amount;
  s.allocated += amount;
  s.peak = std::max(s.peak, s.current);
}
void sub(memory::Stat& s, int64_t amount) {
  s.current -= amount;
  s.freed += amount;
}

std::string format_size(int64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (bytes < (1 << 20)) std::snprintf(buf, sizeof buf, "%.2f KiB", b / 1024.0);
  else if (bytes < (int64_t{1} << 30)) std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024.0));
  else std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

struct AllocatorState {
  std::unique_ptr<RawBackend> backend;
  mutable std::mutex mu;
  Pool small_pool, large_pool;
  std::vector<Block*> spare_blocks;  // recycled Block structs: no heap traffic when hot
  memory::Stats stats;
  size_t limit = 0;

  Block* new_block() {
    if (spare_blocks.empty()) return new Block();
    Block* b = spare_blocks.back();
    spare_blocks.pop_back();
    *b = Block();
    return b;
  }
  void recycle(Block* b) { spare_blocks.push_back(b); }

  Pool& pool_for(bool small) { return small ? small_pool : large_pool; }

  static size_t segment_size(size_t rounded) {
    if (rounded <= kSmallSize) return kSmallSegment;
    if (rounded < kLargeSegmentFor) return kLargeSegment;
    return (rounded + kSegmentRound - 1) / kSegmentRound * kSegmentRound;
  }

  Block* find_free(size_t rounded, StreamId stream, bool small) {
    Pool& pool = pool_for(small);
    Block key;
    key.size = rounded;
    key.stream = stream;
    key.ptr = nullptr;
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || (*it)->stream != stream) return nullptr;
    Block* b = *it;
    pool.erase(it);
    return b;
  }

  // A new segment from the backend, as one free block (not in any pool), or nullptr.
  Block* reserve_segment(size_t rounded, StreamId stream, bool small) {
    const size_t bytes = segment_size(rounded);
    if (limit != 0 && static_cast<size_t>(stats.reserved_bytes.current) + bytes > limit) return nullptr;
    void* ptr = backend->raw_alloc(bytes);
    if (!ptr) return nullptr;
    stats.num_device_alloc += 1;
    add(stats.reserved_bytes, static_cast<int64_t>(bytes));
    add(stats.segment, 1);
    Block* b = new_block();
    b->size = bytes;
    b->ptr = ptr;
    b->stream = stream;
    b->small_pool = small;
    return b;
  }

  // Releases every wholly free segment to the backend.
  void release_cached() {
    for (Pool* pool : {&small_pool, &large_pool}) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* b = *it;
        if (b->prev || b->next) {
          ++it;
          continue;
        }
        it = pool->erase(it);
        backend->raw_free(b->ptr, b->size);
        stats.num_device_free += 1;
        sub(stats.reserved_bytes, static_cast<int64_t>(b->size));
        sub(stats.segment, 1);
        recycle(b);
      }
    }
  }

  bool should_split(const Block* b, size_t rounded) const {
    const size_t remaining = b->size - rounded;
    return b->small_pool ? remaining >= kRound : remaining > kSmallSize;
  }

  void split(Block* b, size_t rounded) {
    Block* rest = new_block();
    rest->ptr = static_cast<char*>(b->ptr) + rounded;
    rest->size = b->size - rounded;
    rest->stream = b->stream;
    rest->small_pool = b->small_pool;
    rest->prev = b;
    rest->next = b->next;
    if (b->next) b->next->prev = rest;
    b->next = rest;
    b->size = rounded;
    pool_for(rest->small_pool).insert(rest);
  }

  // Merges `from` (a free neighbour in the pool) into `into`; returns the size merged.
  size_t merge(Block* into, Block* from) {
    if (!from || from->allocated) return 0;
    pool_for(from->small_pool).erase(from);
    if (into->prev == from) {
      into->ptr = from->ptr;
      into->prev = from->prev;
      if (from->prev) from->prev->next = into;
    } else {
      into->next = from->next;
      if (from->next) from->next->prev = into;
    }
    const size_t size = from->size;
    into->size += size;
    recycle(from);
    return size;
  }

  bool is_split(const Block* b) const { return b->prev || b->next; }

  std::string oom_message(size_t requested) const {
    std::ostringstream os;
    const Device dev = backend->device();
    os << dev.str() << " out of memory. Tried to allocate " << format_size(static_cast<int64_t>(requested)) << ".";
    if (size_t total = backend->total_memory(); total != 0) {
      os << " " << dev.str() << " has a total capacity of " << format_size(static_cast<int64_t>(total))
         << " of which " << format_size(static_cast<int64_t>(backend->free_memory())) << " is free.";
    }
    os << " Of the allocated memory " << format_size(stats.allocated_bytes.current)
       << " is allocated by ember, and "
       << format_size(stats.reserved_bytes.current - stats.allocated_bytes.current)
       << " is reserved by ember but unallocated (" << format_size(stats.reserved_bytes.current) << " reserved in total).";
    if (limit != 0) os << " The limit set by memory::set_limit is " << format_size(static_cast<int64_t>(limit)) << ".";
    return os.str();
  }
};

}  // namespace detail

using detail::AllocatorState;
using detail::Block;

CachingAllocator::CachingAllocator(std::unique_ptr<RawBackend> backend) : state_(std::make_unique<AllocatorState>()) {
  state_->backend = std::move(backend);
}

CachingAllocator::~CachingAllocator() {
  try {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->release_cached();
    if (state_->stats.segment.current != 0)
      logging::warn("caching allocator for {} destroyed with {} segment(s) still in use", device().str(),
                state_->stats.segment.current);
    for (Block* b : state_->spare_blocks) delete b;
  } catch (const std::exception& e) {
    logging::error("destroying the caching allocator failed: {}", e.what());
  }
}

size_t CachingAllocator::round_size(size_t nbytes) {
  return nbytes < detail::kRound ? detail::kRound : (nbytes + detail::kRound - 1) / detail::kRound * detail::kRound;
}

Allocation CachingAllocator::allocate(size_t nbytes, StreamId stream) {
  if (nbytes == 0) return {};
  const size_t rounded = round_size(nbytes);
  const bool small = rounded <= detail::kSmallSize;
  AllocatorState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);

  Block* b = s.find_free(rounded, stream, small);
  if (!b) b = s.reserve_segment(rounded, stream, small);
  if (!b) {
    s.stats.num_alloc_retries += 1;
    s.release_cached();
    b = s.reserve_segment(rounded, stream, small);
  }
  if (!b) {
    s.stats.num_ooms += 1;
    throw OutOfMemoryError(s.oom_message(nbytes), __FILE__, __LINE__);
  }
  if (s.is_split(b)) detail::sub(s.stats.inactive_split_bytes, static_cast<int64_t>(b->size));
  if (s.should_split(b, rounded)) {
    s.split(b, rounded);
    detail::add(s.stats.inactive_split_bytes, static_cast<int64_t>(b->next->size));
  }
  b->allocated = true;
  b->requested = nbytes;
  const auto size = static_cast<int64_t>(b->size);
  detail::add(s.stats.allocated_bytes, size);
  detail::add(s.stats.active_bytes, size);
  detail::add(s.stats.requested_bytes, static_cast<int64_t>(nbytes));
  detail::add(s.stats.allocation, 1);
  detail::add(s.stats.active, 1);
  return {b->ptr, b};
}

void CachingAllocator::deallocate(Block* b) {
  if (!b) return;
  AllocatorState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  EMBER_INTERNAL_ASSERT(b->allocated, "double free of a block");
  const auto size = static_cast<int64_t>(b->size);
  detail::sub(s.stats.allocated_bytes, size);
  detail::sub(s.stats.active_bytes, size);
  detail::sub(s.stats.requested_bytes, static_cast<int64_t>(b->requested));
  detail::sub(s.stats.allocation, 1);
  detail::sub(s.stats.active, 1);
  b->allocated = false;
  b->requested = 0;
  // Neighbours that are free were counted as inactive split bytes; after merging,
  // the block counts as inactive only if its segment is still split.
  for (Block* n : {b->prev, b->next})
    if (n && !n->allocated) detail::sub(s.stats.inactive_split_bytes, static_cast<int64_t>(n->size));
  s.merge(b, b->prev);
  s.merge(b, b->next);
  if (s.is_split(b)) detail::add(s.stats.inactive_split_bytes, static_cast<int64_t>(b->size));
  s.pool_for(b->small_pool).insert(b);
}

memory::Stats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto& st = state_->stats;
  for (memory::Stat* s : {&st.allocated_bytes, &st.reserved_bytes, &st.active_bytes, &st.requested_bytes,
                          &st.allocation, &st.segment, &st.active, &st.inactive_split_bytes})
    s->peak = s->current;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->release_cached();
}

void CachingAllocator::set_limit(size_t max_reserved_bytes) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->limit = max_reserved_bytes;
}

size_t CachingAllocator::limit() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->limit;
}

Device CachingAllocator::device() const { return state_->backend->device(); }

std::string CachingAllocator::summary() const {
  const memory::Stats st = stats();
  const size_t lim = limit();
  std::ostringstream os;
  char line[160];
  const char* rule = "|---------------------------------------------------------------------------|\n";
  os << rule;
  std::snprintf(line, sizeof line, "|  ember memory summary, device %-8s %-35s|\n", device().str().c_str(), "");
  os << line << rule;
  std::snprintf(line, sizeof line, "| %-24s| %11s | %11s | %11s | %11s |\n", "Metric", "Cur Usage", "Peak Usage",
                "Tot Alloc", "Tot Freed");
  os << line << rule;
  auto bytes_row = [&](const char* name, const memory::Stat& s) {
    std::snprintf(line, sizeof line, "| %-24s| %11s | %11s | %11s | %11s |\n", name, detail::format_size(s.current).c_str(),
                  detail::format_size(s.peak).c_str(), detail::format_size(s.allocated).c_str(),
                  detail::format_size(s.freed).c_str());
    os << line;
  };
  auto count_row = [&](const char* name, const memory::Stat& s) {
    std::snprintf(line, sizeof line, "| %-24s| %11lld | %11lld | %11lld | %11lld |\n", name,
                  static_cast<long long>(s.current), static_cast<long long>(s.peak),
                  static_cast<long long>(s.allocated), static_cast<long long>(s.freed));
    os << line;
  };
  bytes_row("Allocated memory", st.allocated_bytes);
  bytes_row("Active memory", st.active_bytes);
  bytes_row("Requested memory", st.requested_bytes);
  bytes_row("Reserved memory", st.reserved_bytes);
  bytes_row("Non-releasable memory", st.inactive_split_bytes);
  os << rule;
  count_row("Allocations", st.allocation);
  count_row("Active allocs", st.active);
  count_row("Segments", st.segment);
  os << rule;
  std::snprintf(line, sizeof line, "| Alloc retries: %-6lld OOMs: %-6lld Limit: %-31s|\n",
                static_cast<long long>(st.num_alloc_retries), static_cast<long long>(st.num_ooms),
                lim ? detail::format_size(static_cast<int64_t>(lim)).c_str() : "none");
  os << line << rule;
  return os.str();
}

}  // namespace ember
