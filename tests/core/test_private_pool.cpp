// Private pools of the caching allocator (Note [Private pools] in
// core/allocator/private_pool.h) on the CPU device: requests under a scope are kept
// apart, the pool reuses its own blocks, and its memory goes back when the last owner
// is gone, also for a tensor that outlives the pool.
#include <gtest/gtest.h>

#include <memory>

#include <ember/ember.h>

namespace ember {
namespace {

using memory::PrivatePool;
using memory::PrivatePoolScope;

constexpr int64_t kFloats = 1 << 18;  // 1 MiB: the large pool

TEST(PrivatePool, ItsBlocksAreNeverHandedToOthers) {
  const Device cpu = Device::cpu();
  auto pool = std::make_shared<PrivatePool>(cpu);
  void* pooled = nullptr;
  {
    PrivatePoolScope scope(pool);
    pooled = empty({kFloats}).data_ptr();  // freed at once: a free block of the pool
  }
  const Tensor outside = empty({kFloats});
  EXPECT_NE(outside.data_ptr(), pooled);
  {
    PrivatePoolScope scope(pool);
    EXPECT_EQ(empty({kFloats}).data_ptr(), pooled) << "the pool reuses its own free block";
  }
  memory::empty_cache(cpu);
}

TEST(PrivatePool, EmptyCacheKeepsALivePoolsFreeSegments) {
  const Device cpu = Device::cpu();
  memory::empty_cache(cpu);
  const int64_t before = memory::reserved(cpu);
  {
    auto pool = std::make_shared<PrivatePool>(cpu);
    void* pooled = nullptr;
    {
      PrivatePoolScope scope(pool);
      pooled = empty({kFloats}).data_ptr();  // freed at once: a wholly free segment of the pool
    }
    const int64_t with_pool = memory::reserved(cpu);
    EXPECT_GT(with_pool, before);
    memory::empty_cache(cpu);  // a graph would still replay into that segment
    EXPECT_EQ(memory::reserved(cpu), with_pool);
    PrivatePoolScope scope(pool);
    EXPECT_EQ(empty({kFloats}).data_ptr(), pooled);
  }
  EXPECT_EQ(memory::reserved(cpu), before) << "released with the pool";
}

TEST(PrivatePool, ReleasingThePoolGivesItsSegmentsBack) {
  const Device cpu = Device::cpu();
  memory::empty_cache(cpu);
  const int64_t before = memory::reserved(cpu);
  {
    auto pool = std::make_shared<PrivatePool>(cpu);
    auto second_owner = pool;  // e.g. a second graph sharing the pool
    {
      PrivatePoolScope scope(pool);
      Tensor a = empty({3 * kFloats});
      Tensor b = ones({100});
      EXPECT_EQ(b.sum().item<float>(), 100.0f);
    }
    pool.reset();
    EXPECT_GT(memory::reserved(cpu), before) << "the second owner keeps the pool's cached segments";
  }
  EXPECT_EQ(memory::reserved(cpu), before);
}

TEST(PrivatePool, ATensorOutlivingItsPoolGivesItsSegmentBackWhenFreed) {
  const Device cpu = Device::cpu();
  memory::empty_cache(cpu);
  const int64_t before = memory::reserved(cpu);
  Tensor kept;
  {
    auto pool = std::make_shared<PrivatePool>(cpu);
    PrivatePoolScope scope(pool);
    kept = full({3 * kFloats}, 2.0);
  }
  EXPECT_EQ(kept.sum().item<float>(), 6.0f * kFloats);
  memory::empty_cache(cpu);  // the sum came from the general cache; the pool's segment is still in use
  EXPECT_GT(memory::reserved(cpu), before);
  kept = Tensor();
  EXPECT_EQ(memory::reserved(cpu), before);
}

TEST(PrivatePool, ScopesNestAndRestore) {
  const Device cpu = Device::cpu();
  auto outer = std::make_shared<PrivatePool>(cpu), inner = std::make_shared<PrivatePool>(cpu);
  void* outer_block = nullptr;
  {
    PrivatePoolScope a(outer);
    outer_block = empty({kFloats}).data_ptr();
    {
      PrivatePoolScope b(inner);
      EXPECT_NE(empty({kFloats}).data_ptr(), outer_block) << "the inner pool has its own blocks";
    }
    EXPECT_EQ(empty({kFloats}).data_ptr(), outer_block) << "the outer pool is active again";
  }
  memory::empty_cache(cpu);
}

}  // namespace
}  // namespace ember
