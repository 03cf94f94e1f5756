// The host RawBackend (64-byte aligned memory) and allocator_for(device): one
// caching allocator per device, the CPU's looked up without a lock.
#include <array>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <unistd.h>

#include "core/allocator/caching_allocator.h"
#include "core/cuda_backend.h"
#include "core/error.h"

namespace ember {
namespace {

// 64-byte aligned host memory (a cache line, and enough for AVX-512 loads).
class HostBackend final : public RawBackend {
 public:
  void* raw_alloc(size_t bytes) override {
    void* ptr = nullptr;
    if (posix_memalign(&ptr, 64, bytes) != 0) return nullptr;
    return ptr;
  }
  void raw_free(void* ptr, size_t) override { std::free(ptr); }
  Device device() const override { return Device::cpu(); }
  // Physical memory, for OOM messages only.
  size_t total_memory() const override { return pages_to_bytes(sysconf(_SC_PHYS_PAGES)); }
  size_t free_memory() const override {
#ifdef _SC_AVPHYS_PAGES
    return pages_to_bytes(sysconf(_SC_AVPHYS_PAGES));
#else
    return 0;
#endif
  }

 private:
  static size_t pages_to_bytes(long pages) {
    const long page_size = sysconf(_SC_PAGESIZE);
    return pages > 0 && page_size > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page_size) : 0;
  }
};

constexpr int kMaxCudaDevices = 64;

}  // namespace

CachingAllocator& allocator_for(Device device) {
  // Never destroyed: storages may be freed during static destruction.
  static CachingAllocator* const cpu = new CachingAllocator(std::make_unique<HostBackend>());
  if (EMBER_LIKELY(device.is_cpu())) return *cpu;

  static std::array<std::atomic<CachingAllocator*>, kMaxCudaDevices> cuda{};
  static std::mutex create_mu;
  const int index = device.index();
  EMBER_CHECK(index >= 0 && index < kMaxCudaDevices, "invalid CUDA device index ", index);
  if (CachingAllocator* a = cuda[index].load(std::memory_order_acquire)) return *a;
  std::lock_guard<std::mutex> lock(create_mu);
  if (CachingAllocator* a = cuda[index].load(std::memory_order_acquire)) return *a;
  auto* created = new CachingAllocator(detail::make_cuda_backend(index));
  cuda[index].store(created, std::memory_order_release);
  return *created;
}

}  // namespace ember
