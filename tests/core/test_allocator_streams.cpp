// The caching allocator's record_stream policy through a fake backend whose events
// complete when the test says so: a block used by another stream is reused only after
// that use's event completes; empty_cache and the OOM path collect it (the latter
// waiting for it); statistics count it as allocated until then; while the backend says a
// CUDA graph capture is under way, nothing is queried, waited for or recorded.
#include <gtest/gtest.h>

#include <set>

#include <ember/ember.h>

#include "core/allocator/caching_allocator.h"
#include "core/allocator/private_pool.h"
#include "support/helpers.h"

namespace ember {
namespace {

constexpr int64_t MiB = 1024 * 1024;

// Events are numbered tokens; `completed` says which have finished, `waited` which
// the allocator blocked on. Addresses are fake and never dereferenced.
struct EventLog {
  int next = 1;
  std::set<intptr_t> completed, waited, destroyed;
  std::vector<StreamId> recorded_on;
  bool refuse_alloc = false;
  bool capturing = false;
};

class EventBackend final : public RawBackend {
 public:
  explicit EventBackend(EventLog* log) : log_(log) {}
  void* raw_alloc(size_t bytes) override {
    if (log_->refuse_alloc) return nullptr;
    next_ += bytes + 4096;
    return reinterpret_cast<void*>(next_ - bytes - 4096 + 0x100000);
  }
  void raw_free(void*, size_t) override {}
  Device device() const override { return Device::cpu(); }
  void* record_event(StreamId stream) override {
    log_->recorded_on.push_back(stream);
    return reinterpret_cast<void*>(static_cast<intptr_t>(log_->next++));
  }
  bool query_event(void* e) override { return log_->completed.count(reinterpret_cast<intptr_t>(e)) > 0; }
  void wait_event(void* e) override {
    log_->waited.insert(reinterpret_cast<intptr_t>(e));
    log_->completed.insert(reinterpret_cast<intptr_t>(e));
  }
  void destroy_event(void* e) override { log_->destroyed.insert(reinterpret_cast<intptr_t>(e)); }
  bool capturing() const override { return log_->capturing; }

 private:
  EventLog* log_;
  uintptr_t next_ = 0;
};

class RecordStream : public ::testing::Test {
 protected:
  EventLog log;
  CachingAllocator alloc{std::make_unique<EventBackend>(&log)};
  static constexpr StreamId kMain = 0, kSide = 7;
};

TEST_F(RecordStream, BlockWaitsForTheOtherStreamsEvent) {
  Allocation a = alloc.allocate(MiB, kMain);
  alloc.record_stream(a.block, kSide);
  alloc.record_stream(a.block, kSide);  // recorded once
  alloc.record_stream(a.block, kMain);  // its own stream needs no event
  alloc.deallocate(a.block);
  EXPECT_EQ(log.recorded_on, std::vector<StreamId>{kSide});
  // PyTorch's accounting: freed by its owner, so no longer allocated; active while the side
  // stream may still use it
  EXPECT_EQ(alloc.stats().allocated_bytes.current, 0);
  EXPECT_EQ(alloc.stats().allocation.current, 0);
  EXPECT_EQ(alloc.stats().active_bytes.current, MiB);

  Allocation b = alloc.allocate(MiB, kMain);  // the event has not completed: not reused
  EXPECT_NE(b.ptr, a.ptr);
  log.completed.insert(1);
  alloc.deallocate(b.block);
  Allocation c = alloc.allocate(MiB, kMain);  // collected before the search: reusable
  EXPECT_EQ(c.ptr, a.ptr);
  EXPECT_TRUE(log.destroyed.count(1));
  EXPECT_TRUE(log.waited.empty());
  alloc.deallocate(c.block);
  EXPECT_EQ(alloc.stats().allocated_bytes.current, 0);
  EXPECT_EQ(alloc.stats().active_bytes.current, 0);
  EXPECT_EQ(alloc.stats().allocated_bytes.freed, 3 * MiB);  // a, b and c, each once
}

// PyTorch's release_cached_blocks: empty_cache waits for the other streams' use first.
TEST_F(RecordStream, EmptyCacheWaitsForPendingUses) {
  Allocation a = alloc.allocate(3 * MiB, kMain);
  alloc.record_stream(a.block, kSide);
  alloc.deallocate(a.block);
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 20 * MiB);
  alloc.empty_cache();
  EXPECT_EQ(log.waited.size(), 1u);
  EXPECT_EQ(alloc.stats().reserved_bytes.current, 0);
  EXPECT_EQ(alloc.stats().allocated_bytes.current, 0);
  EXPECT_EQ(alloc.stats().active_bytes.current, 0);
}

TEST_F(RecordStream, OutOfMemoryPathWaitsForPendingBlocks) {
  Allocation a = alloc.allocate(12 * MiB, kMain);  // a segment of its own, no remainder
  alloc.record_stream(a.block, kSide);
  alloc.deallocate(a.block);
  log.refuse_alloc = true;  // no new segment: only the pending block can serve
  Allocation b = alloc.allocate(12 * MiB, kMain);
  EXPECT_EQ(b.ptr, a.ptr);
  EXPECT_TRUE(log.waited.count(1));
  EXPECT_EQ(alloc.stats().num_alloc_retries, 1);
  alloc.deallocate(b.block);
}

TEST_F(RecordStream, UnusedBlocksNeedNoEvents) {
  Allocation a = alloc.allocate(MiB, kSide);
  alloc.deallocate(a.block);
  EXPECT_TRUE(log.recorded_on.empty());
  Allocation b = alloc.allocate(MiB, kMain);  // another stream's free block is not taken
  EXPECT_NE(b.ptr, a.ptr);
  alloc.deallocate(b.block);
}

TEST_F(RecordStream, NothingWaitsRecordsOrFreesDuringACapture) {
  Allocation a = alloc.allocate(12 * MiB, kMain);
  alloc.record_stream(a.block, kSide);
  log.capturing = true;
  alloc.deallocate(a.block);  // its event is recorded after the capture, not in it
  EXPECT_TRUE(log.recorded_on.empty());
  EXPECT_EQ(alloc.stats().allocated_bytes.current, 0);      // freed by its owner
  EXPECT_EQ(alloc.stats().active_bytes.current, 12 * MiB);  // still the side stream's
  {
    // Captures allocate under a pool scope; the pool has memory of its own only.
    memory::PrivatePoolScope scope(std::make_shared<memory::PrivatePool>(Device::cpu()));
    Allocation pooled = alloc.allocate(MiB, kMain);  // a new segment: allowed
    EXPECT_NE(pooled.ptr, nullptr);
    log.refuse_alloc = true;
    EXPECT_THROW(alloc.allocate(12 * MiB, kMain), OutOfMemoryError);  // no waiting or freeing to make room
    EXPECT_TRUE(log.waited.empty());
    EXPECT_EQ(alloc.stats().num_alloc_retries, 0);
    log.refuse_alloc = false;
    alloc.deallocate(pooled.block);
  }
  EXPECT_TRUE(log.recorded_on.empty());
  log.capturing = false;
  Allocation b = alloc.allocate(MiB, kMain);  // after the capture: the deferred event is recorded
  EXPECT_EQ(log.recorded_on, std::vector<StreamId>{kSide});
  log.completed.insert(1);
  alloc.deallocate(b.block);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().allocated_bytes.current, 0);
}

TEST(CudaStub, StreamsWithoutCudaAreClearErrors) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present";
  const Tensor t = ones({4});
  EXPECT_EMBER_ERROR(t.to(Device::cuda(0)), "CUDA");
  EXPECT_FALSE(cuda::matmul_allow_tf32());
}

TEST(CudaStub, RecordStreamNeedsACudaTensor) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present";
  cuda::Stream default_stream;
  EXPECT_EMBER_ERROR(ones({2}).record_stream(default_stream), "expected a CUDA tensor");
}

}  // namespace
}  // namespace ember
