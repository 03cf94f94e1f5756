// CUDA runtime checks (ctest label `cuda`): device discovery never throws, and on a
// machine with a GPU, device tensors come from the CUDA caching allocator.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(CudaRuntime, DiscoveryNeverThrows) {
  EXPECT_NO_THROW(cuda::is_available());
  EXPECT_GE(cuda::device_count(), 0);
  EXPECT_EQ(cuda::is_available(), cuda::device_count() > 0);
  EXPECT_NO_THROW(cuda::synchronize());
}

TEST(CudaRuntime, NoDeviceMeansAClearError) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(empty({4}, Device::cuda(0)), Error);
}

TEST(CudaRuntime, AllocatorStatisticsOnDevice) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Device dev = Device::cuda(0);
  memory::empty_cache(dev);
  const auto before = memory::stats(dev);
  {
    Tensor t = empty({1000}, TensorOptions().device(dev));
    EXPECT_EQ(memory::allocated(dev) - before.allocated_bytes.current, 4096);
    EXPECT_EQ(memory::reserved(dev) - before.reserved_bytes.current, 2 << 20);
  }
  EXPECT_EQ(memory::allocated(dev), before.allocated_bytes.current);
}

TEST(CudaRuntime, LimitGivesOutOfMemory) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Device dev = Device::cuda(0);
  memory::empty_cache(dev);
  memory::set_limit(dev, memory::reserved(dev) + (4 << 20));
  EXPECT_THROW(empty({64 << 20}, TensorOptions().device(dev)), OutOfMemoryError);
  memory::set_limit(dev, 0);
}

}  // namespace
}  // namespace ember
