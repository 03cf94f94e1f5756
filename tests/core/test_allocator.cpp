// The caching allocator's policy through a counting fake backend (rounding, pools,
// split, coalesce, reuse, streams, statistics to the byte, limit -> OOM after one
// retry, empty_cache) and through the CPU device's public memory API.
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <map>
#include <thread>
#include <vector>

#include <ember/ember.h>

#include "core/allocator/caching_allocator.h"
#include "support/helpers.h"

namespace ember {
namespace {

constexpr int64_t KiB = 1024, MiB = 1024 * 1024;

// Hands out fake, never-dereferenced addresses; counts calls; can refuse.
class FakeBackend final : public RawBackend {
 public:
  struct Counters {
    int allocs = 0, frees = 0;
    int64_t live_bytes = 0;
    bool refuse = false;
  };
  explicit FakeBackend(Counters* c) : c_(c) {}
  void* raw_alloc(size_t bytes) override {
    if (c_->refuse) return nullptr;
    ++c_->allocs;
    c_->live_bytes += static_cast<int64_t>(bytes);
    next_ += bytes + 4096;  // gaps: segments are never adjacent
    return reinterpret_cast<void*>(next_ - bytes - 4096 + 0x100000);
  }
  void raw_free(void*, size_t bytes) override {
    ++c_->frees;
    c_->live_bytes -= static_cast<int64_t>(bytes);
  }
  Device device() const override { return Device::cpu(); }

 private:
  Counters* c_;
  uintptr_t next_ = 0;
};

class AllocatorPolicy : public ::testing::Test {
 protected:
  FakeBackend::Counters counters;
  CachingAllocator alloc{std::make_unique<FakeBackend>(&counters)};
  char* addr(const Allocation& a) { return static_cast<char*>(a.ptr); }
};

TEST_F(AllocatorPolicy, RoundsTo512) {
  EXPECT_EQ(CachingAllocator::round_size(1), 512u);
  EXPECT_EQ(CachingAllocator::round_size(512), 512u);
  EXPECT_EQ(CachingAllocator::round_size(513), 1024u);
  Allocation zero = alloc.allocate(0);
  EXPECT_EQ(zero.ptr, nullptr);
  EXPECT_EQ(counters.allocs, 0);
  alloc.deallocate(zero.block);  // a no-op
}

TEST_F(AllocatorPolicy, SegmentSizesBySmallAndLargePool) {
  Allocation a = alloc.allocate(1);
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 2 * MiB);
  Allocation b = alloc.allocate(3 * MiB);
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 2 * MiB + 20 * MiB);
  Allocation c = alloc.allocate(30 * MiB);
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 2 * MiB + 20 * MiB + 30 * MiB);
  Allocation d = alloc.allocate(31 * MiB - 5);  // rounded up to a 2 MiB multiple
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 2 * MiB + 20 * MiB + 30 * MiB + 32 * MiB);
  EXPECT_EQ(counters.allocs, 4);
  for (auto* x : {&a, &b, &c, &d}) alloc.deallocate(x->block);
}

TEST_F(AllocatorPolicy, SplitsAndCoalesces) {
  Allocation a = alloc.allocate(1000);
  Allocation b = alloc.allocate(1000);
  EXPECT_EQ(counters.allocs, 1);          // both from one 2 MiB segment
  EXPECT_EQ(addr(b), addr(a) + 1024);     // adjacent
  EXPECT_EQ(alloc.stats().inactive_split_bytes.current, 2 * MiB - 2048);
  alloc.deallocate(a.block);
  alloc.deallocate(b.block);
  EXPECT_EQ(alloc.stats().inactive_split_bytes.current, 0);  // whole again
  // After coalescing, the segment serves two 1 MiB blocks without a new segment.
  Allocation c = alloc.allocate(1 * MiB);
  Allocation d = alloc.allocate(1 * MiB);
  EXPECT_EQ(counters.allocs, 1);
  EXPECT_EQ(addr(c), addr(a));
  EXPECT_EQ(addr(d), addr(a) + MiB);
  alloc.deallocate(c.block);
  alloc.deallocate(d.block);
}

TEST_F(AllocatorPolicy, ReusesFreedBlockBestFit) {
  Allocation big = alloc.allocate(8 * KiB);
  Allocation sep = alloc.allocate(512);
  Allocation small = alloc.allocate(2 * KiB);
  Allocation sep2 = alloc.allocate(512);
  alloc.deallocate(big.block);
  alloc.deallocate(small.block);
  Allocation again = alloc.allocate(2 * KiB);  // best fit: the 2 KiB hole, not the 8 KiB one
  EXPECT_EQ(again.ptr, small.ptr);
  EXPECT_EQ(counters.allocs, 1);
  for (auto* x : {&sep, &again, &sep2}) alloc.deallocate(x->block);
}

TEST_F(AllocatorPolicy, BlocksStayOnTheirStream) {
  Allocation a = alloc.allocate(4096, /*stream=*/1);
  void* p = a.ptr;
  alloc.deallocate(a.block);
  Allocation b = alloc.allocate(4096, /*stream=*/2);
  EXPECT_NE(b.ptr, p);
  EXPECT_EQ(counters.allocs, 2);
  Allocation c = alloc.allocate(4096, /*stream=*/1);
  EXPECT_EQ(c.ptr, p);
  alloc.deallocate(b.block);
  alloc.deallocate(c.block);
}

TEST_F(AllocatorPolicy, StatisticsExactToTheByte) {
  Allocation a = alloc.allocate(1000);     // 1024
  Allocation b = alloc.allocate(5 * MiB);  // large pool, 20 MiB segment
  auto s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes.current, 1024 + 5 * MiB);
  EXPECT_EQ(s.requested_bytes.current, 1000 + 5 * MiB);
  EXPECT_EQ(s.active_bytes.current, 1024 + 5 * MiB);
  EXPECT_EQ(s.reserved_bytes.current, 22 * MiB);
  EXPECT_EQ(s.allocation.current, 2);
  EXPECT_EQ(s.segment.current, 2);
  alloc.deallocate(a.block);
  s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes.current, 5 * MiB);
  EXPECT_EQ(s.allocated_bytes.peak, 1024 + 5 * MiB);
  EXPECT_EQ(s.allocated_bytes.allocated, 1024 + 5 * MiB);
  EXPECT_EQ(s.allocated_bytes.freed, 1024);
  EXPECT_EQ(s.requested_bytes.freed, 1000);
  alloc.reset_peak();
  EXPECT_EQ(alloc.stats().allocated_bytes.peak, 5 * MiB);
  alloc.deallocate(b.block);
  s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes.current, 0);
  EXPECT_EQ(s.reserved_bytes.current, 22 * MiB);  // cached
  EXPECT_EQ(s.num_device_alloc, 2);
  EXPECT_EQ(s.num_device_free, 0);
}

TEST_F(AllocatorPolicy, EmptyCacheReleasesOnlyUnusedSegments) {
  Allocation keep = alloc.allocate(100);        // segment 1 stays in use
  Allocation drop = alloc.allocate(3 * MiB);    // segment 2 becomes unused
  alloc.deallocate(drop.block);
  alloc.empty_cache();
  EXPECT_EQ(counters.frees, 1);
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 2 * MiB);
  EXPECT_EQ(counters.live_bytes, 2 * MiB);
  alloc.deallocate(keep.block);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 0);
  EXPECT_EQ(counters.live_bytes, 0);
}

TEST_F(AllocatorPolicy, LimitGivesOomAfterOneRetry) {
  alloc.set_limit(24 * MiB);
  Allocation a = alloc.allocate(3 * MiB);  // 20 MiB segment
  Allocation cached = alloc.allocate(100);  // 2 MiB segment
  alloc.deallocate(cached.block);           // cached, releasable
  try {
    alloc.allocate(18 * MiB);  // 17 MiB left in the segment: needs an 18 MiB one, over the limit
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("out of memory"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Tried to allocate 18.00 MiB"), std::string::npos) << msg;
    EXPECT_NE(msg.find("reserved"), std::string::npos) << msg;
    EXPECT_NE(msg.find("24.00 MiB"), std::string::npos) << msg;
  }
  auto s = alloc.stats();
  EXPECT_EQ(s.num_alloc_retries, 1);
  EXPECT_EQ(s.num_ooms, 1);
  EXPECT_EQ(s.reserved_bytes.current, 20 * MiB);  // the retry freed the cached segment
  // Within the limit after freeing: fine again.
  alloc.deallocate(a.block);
  Allocation b = alloc.allocate(18 * MiB);  // fits the cached 20 MiB segment
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 20 * MiB);
  alloc.deallocate(b.block);
}

TEST_F(AllocatorPolicy, BackendRefusalFreesCacheRetriesThenOoms) {
  Allocation a = alloc.allocate(100);
  alloc.deallocate(a.block);
  counters.refuse = true;
  EXPECT_THROW(alloc.allocate(5 * MiB), OutOfMemoryError);
  EXPECT_EQ(counters.frees, 1);  // the cached segment went back before the retry
  EXPECT_EQ(alloc.stats().num_alloc_retries, 1);
  EXPECT_EQ(alloc.stats().num_ooms, 1);
}

TEST_F(AllocatorPolicy, FreedBlockIsReusedWithoutANewSegment) {
  Allocation a = alloc.allocate(1 * MiB);
  void* p = a.ptr;
  alloc.deallocate(a.block);
  Allocation b = alloc.allocate(1 * MiB);
  EXPECT_EQ(b.ptr, p);
  EXPECT_EQ(counters.allocs, 1);
  EXPECT_EQ(alloc.stats().segment.allocated, 1);
  alloc.deallocate(b.block);
}

TEST_F(AllocatorPolicy, SmallPoolSplitsARemainderOf512) {
  Allocation left = alloc.allocate(512);
  Allocation hole = alloc.allocate(1536);
  Allocation right = alloc.allocate(512);
  alloc.deallocate(hole.block);
  Allocation a = alloc.allocate(1024);  // best fit: the 1536-byte hole, split 1024 + 512
  EXPECT_EQ(a.ptr, hole.ptr);
  EXPECT_EQ(alloc.stats().allocated_bytes.current, 512 + 1024 + 512);
  Allocation b = alloc.allocate(1);     // the 512-byte remainder is the best fit
  EXPECT_EQ(addr(b), addr(a) + 1024);
  EXPECT_EQ(counters.allocs, 1);
  for (auto* x : {&left, &right, &a, &b}) alloc.deallocate(x->block);
  EXPECT_EQ(alloc.stats().inactive_split_bytes.current, 0);
}

TEST_F(AllocatorPolicy, LargePoolSplitsOnlyAboveOneMiB) {
  Allocation a = alloc.allocate(3 * MiB);  // 20 MiB segment: 17 MiB remainder is split off
  auto s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes.current, 3 * MiB);
  EXPECT_EQ(s.inactive_split_bytes.current, 17 * MiB);
  alloc.deallocate(a.block);
  EXPECT_EQ(alloc.stats().inactive_split_bytes.current, 0);
  Allocation b = alloc.allocate(19 * MiB + 512);  // remainder 1023.5 KiB <= 1 MiB: not split
  s = alloc.stats();
  EXPECT_EQ(counters.allocs, 1);
  EXPECT_EQ(s.allocated_bytes.current, 20 * MiB);
  EXPECT_EQ(s.requested_bytes.current, 19 * MiB + 512);
  EXPECT_EQ(s.inactive_split_bytes.current, 0);
  alloc.deallocate(b.block);
}

TEST_F(AllocatorPolicy, PeaksAndTotalsOverManyBlocks) {
  std::vector<Allocation> blocks;
  for (int i = 1; i <= 8; ++i) blocks.push_back(alloc.allocate(static_cast<size_t>(i) * 1000));
  int64_t rounded = 0, requested = 0;
  for (int i = 1; i <= 8; ++i) {
    rounded += static_cast<int64_t>(CachingAllocator::round_size(static_cast<size_t>(i) * 1000));
    requested += i * 1000;
  }
  for (auto& b : blocks) alloc.deallocate(b.block);
  auto s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes.current, 0);
  EXPECT_EQ(s.allocated_bytes.peak, rounded);
  EXPECT_EQ(s.allocated_bytes.allocated, rounded);
  EXPECT_EQ(s.allocated_bytes.freed, rounded);
  EXPECT_EQ(s.active_bytes.peak, rounded);
  EXPECT_EQ(s.requested_bytes.peak, requested);
  EXPECT_EQ(s.requested_bytes.freed, requested);
  EXPECT_EQ(s.allocation.peak, 8);
  EXPECT_EQ(s.allocation.allocated, 8);
  EXPECT_EQ(s.active.freed, 8);
  EXPECT_EQ(s.segment.current, 1);
  EXPECT_EQ(s.reserved_bytes.peak, 2 * MiB);
  EXPECT_EQ(s.inactive_split_bytes.current, 0);
  EXPECT_EQ(s.inactive_split_bytes.peak, 2 * MiB - 512 * 2);  // after the first 1000-byte block
  alloc.reset_peak();
  s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes.peak, 0);
  EXPECT_EQ(s.allocation.peak, 0);
  EXPECT_EQ(s.reserved_bytes.peak, 2 * MiB);  // the segment is still cached
  EXPECT_EQ(s.allocated_bytes.allocated, rounded);  // totals survive reset_peak
  alloc.empty_cache();
  s = alloc.stats();
  EXPECT_EQ(s.reserved_bytes.current, 0);
  EXPECT_EQ(s.reserved_bytes.freed, 2 * MiB);
  EXPECT_EQ(s.num_device_alloc, 1);
  EXPECT_EQ(s.num_device_free, 1);
}

TEST_F(AllocatorPolicy, OomMessageLooksLikePyTorchs) {
  Allocation a = alloc.allocate(3 * MiB);
  counters.refuse = true;
  try {
    alloc.allocate(40 * MiB);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("CPU out of memory. Tried to allocate 40.00 MiB."), std::string::npos) << msg;
    EXPECT_NE(msg.find("3.00 MiB is allocated by ember"), std::string::npos) << msg;
    EXPECT_NE(msg.find("17.00 MiB is reserved by ember but unallocated"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("set_limit"), std::string::npos) << msg;  // no limit set
  }
  EXPECT_EQ(counters.frees, 0);  // the only segment is in use: nothing to release
  alloc.deallocate(a.block);
}

TEST_F(AllocatorPolicy, AbsurdRequestIsOutOfMemory) {
  EXPECT_THROW(alloc.allocate(std::numeric_limits<size_t>::max()), OutOfMemoryError);
  EXPECT_EQ(alloc.stats().num_ooms, 1);
  EXPECT_EQ(counters.allocs, 0);
}

TEST(AllocatorLifetime, DestructorReturnsEverySegment) {
  FakeBackend::Counters counters;
  {
    CachingAllocator alloc(std::make_unique<FakeBackend>(&counters));
    Allocation cached = alloc.allocate(5 * MiB);
    alloc.deallocate(cached.block);
    (void)alloc.allocate(100);  // still in use when the allocator goes
    EXPECT_EQ(counters.live_bytes, 22 * MiB);
  }
  EXPECT_EQ(counters.frees, 2);
  EXPECT_EQ(counters.live_bytes, 0);
}

TEST(AllocatorThreads, ConcurrentAllocFreeKeepsExactBooks) {
  FakeBackend::Counters counters;
  CachingAllocator alloc(std::make_unique<FakeBackend>(&counters));
  constexpr int kThreads = 4, kIters = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&alloc, t] {
      std::vector<Allocation> held;
      for (int i = 0; i < kIters; ++i) {
        const size_t bytes = static_cast<size_t>(((i * 7919 + t * 104729) % 4096) + 1) * 700;
        held.push_back(alloc.allocate(bytes, /*stream=*/static_cast<StreamId>(t % 2)));
        if (held.size() > 8) {
          alloc.deallocate(held.front().block);
          held.erase(held.begin());
        }
      }
      for (auto& a : held) alloc.deallocate(a.block);
    });
  }
  for (auto& th : threads) th.join();
  auto s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes.current, 0);
  EXPECT_EQ(s.requested_bytes.current, 0);
  EXPECT_EQ(s.active.current, 0);
  EXPECT_EQ(s.inactive_split_bytes.current, 0);
  EXPECT_EQ(s.allocation.allocated, kThreads * kIters);
  EXPECT_EQ(s.allocated_bytes.allocated, s.allocated_bytes.freed);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 0);
  EXPECT_EQ(counters.live_bytes, 0);
}

TEST_F(AllocatorPolicy, SummaryIsATable) {
  Allocation a = alloc.allocate(3 * MiB);
  std::string s = alloc.summary();
  EXPECT_NE(s.find("Allocated memory"), std::string::npos);
  EXPECT_NE(s.find("Reserved memory"), std::string::npos);
  EXPECT_NE(s.find("3.00 MiB"), std::string::npos);
  EXPECT_NE(s.find("20.00 MiB"), std::string::npos);
  alloc.deallocate(a.block);
}

TEST(MemoryApi, CpuTensorsAreCounted) {
  const Device cpu = Device::cpu();
  const int64_t before = memory::allocated(cpu);
  {
    auto storage = std::make_shared<StorageImpl>(1000, cpu);
    EXPECT_EQ(memory::allocated(cpu) - before, 1024);
    Tensor t = empty({256}, kFloat64);  // 2048 bytes
    EXPECT_EQ(memory::allocated(cpu) - before, 1024 + 2048);
    EXPECT_GE(memory::max_allocated(cpu), memory::allocated(cpu));
  }
  EXPECT_EQ(memory::allocated(cpu), before);
  EXPECT_NE(memory::summary(cpu).find("Allocated memory"), std::string::npos);
  EXPECT_EMBER_ERROR(memory::set_limit(cpu, -1), "non-negative");
}

// torch.cuda.max_memory_reserved and reset_accumulated_memory_stats.
TEST(MemoryApi, MaxReservedAndResetAccumulated) {
  const Device cpu = Device::cpu();
  {
    Tensor t = empty({1 << 16}, kFloat64);
    EXPECT_GE(memory::max_reserved(cpu), memory::reserved(cpu));
    EXPECT_EQ(memory::max_reserved(cpu), memory::stats(cpu).reserved_bytes.peak);
  }
  memory::reset_accumulated(cpu);
  const memory::Stats reset = memory::stats(cpu);
  EXPECT_EQ(reset.allocated_bytes.allocated, 0);
  EXPECT_EQ(reset.allocated_bytes.freed, 0);
  EXPECT_EQ(reset.allocation.allocated, 0);
  EXPECT_EQ(reset.num_alloc_retries, 0);
  EXPECT_EQ(reset.num_device_alloc, 0);
  EXPECT_GE(reset.allocated_bytes.peak, reset.allocated_bytes.current);  // current and peak stay
  {
    Tensor t = empty({128}, kFloat64);
    EXPECT_EQ(memory::stats(cpu).allocated_bytes.allocated, 1024);
  }
  EXPECT_EQ(memory::stats(cpu).allocated_bytes.freed, 1024);
}

TEST(MemoryApi, StatsMoveByExactlyTheRoundedBytes) {
  const Device cpu = Device::cpu();
  const memory::Stats before = memory::stats(cpu);
  {
    auto storage = std::make_shared<StorageImpl>(1000, cpu);
    const memory::Stats during = memory::stats(cpu);
    EXPECT_EQ(during.allocated_bytes.current - before.allocated_bytes.current, 1024);
    EXPECT_EQ(during.active_bytes.current - before.active_bytes.current, 1024);
    EXPECT_EQ(during.requested_bytes.current - before.requested_bytes.current, 1000);
    EXPECT_EQ(during.allocation.current - before.allocation.current, 1);
    EXPECT_EQ(during.allocated_bytes.allocated - before.allocated_bytes.allocated, 1024);
  }
  const memory::Stats after = memory::stats(cpu);
  EXPECT_EQ(after.allocated_bytes.current, before.allocated_bytes.current);
  EXPECT_EQ(after.requested_bytes.current, before.requested_bytes.current);
  EXPECT_EQ(after.allocated_bytes.freed - before.allocated_bytes.freed, 1024);
  EXPECT_EQ(after.requested_bytes.freed - before.requested_bytes.freed, 1000);
  auto zero = std::make_shared<StorageImpl>(0, cpu);  // no allocation at all
  EXPECT_EQ(zero->data(), nullptr);
  EXPECT_EQ(memory::stats(cpu).allocation.allocated, after.allocation.allocated);
}

TEST(MemoryApi, ResetPeakAndEmptyCacheOnTheCpu) {
  const Device cpu = Device::cpu();
  { auto big = std::make_shared<StorageImpl>(3 * MiB, cpu); }
  EXPECT_GE(memory::max_allocated(cpu), 3 * MiB);
  memory::reset_peak(cpu);
  EXPECT_EQ(memory::max_allocated(cpu), memory::allocated(cpu));
  memory::empty_cache(cpu);
  // Every byte still reserved is allocated or free inside a partly used segment.
  const memory::Stats s = memory::stats(cpu);
  EXPECT_EQ(s.reserved_bytes.current, s.allocated_bytes.current + s.inactive_split_bytes.current);
}

TEST(MemoryApi, CpuLimitGivesOutOfMemory) {
  const Device cpu = Device::cpu();
  memory::empty_cache(cpu);
  memory::set_limit(cpu, memory::reserved(cpu) + 4 * MiB);
  EXPECT_THROW(empty({64 * MiB}, kUInt8), OutOfMemoryError);
  memory::set_limit(cpu, 0);
  Tensor ok = empty({64 * MiB}, kUInt8);
  EXPECT_EQ(ok.numel(), 64 * MiB);
}

}  // namespace
}  // namespace ember
