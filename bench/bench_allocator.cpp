// Allocator benchmarks: ember's caching allocator (CPU device) allocate+deallocate,
// and a 1-D uint8 tensor created and destroyed, against std::malloc/free of the same
// sizes. Nothing is touched. Twin: bench/libtorch_allocator.cpp (at::empty).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include <ember/ember.h>

#include "core/allocator/caching_allocator.h"

namespace {

void BM_ember_alloc_free(benchmark::State& state) {
  ember::CachingAllocator& allocator = ember::allocator_for(ember::Device::cpu());
  const auto bytes = static_cast<size_t>(state.range(0));
  allocator.deallocate(allocator.allocate(bytes).block);  // the first call reserves a segment
  for (auto _ : state) {
    ember::Allocation allocation = allocator.allocate(bytes);
    benchmark::DoNotOptimize(allocation.ptr);
    allocator.deallocate(allocation.block);
  }
}

// The same through the tensor API, the direct twin of at::empty({bytes}, at::kByte).
void BM_ember_empty_tensor(benchmark::State& state) {
  const int64_t bytes = state.range(0);
  for (auto _ : state) {
    ember::Tensor tensor = ember::empty({bytes}, ember::kUInt8);
    benchmark::DoNotOptimize(tensor.data_ptr());
  }
}

void BM_malloc_free(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    void* ptr = std::malloc(bytes);
    benchmark::DoNotOptimize(ptr);
    std::free(ptr);
  }
}

}  // namespace

// 1 KiB, 64 KiB, 1 MiB, 16 MiB, 64 MiB.
#define EMBER_ALLOC_SIZES Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20)->Arg(64 << 20)
BENCHMARK(BM_ember_alloc_free)->EMBER_ALLOC_SIZES;
BENCHMARK(BM_ember_empty_tensor)->EMBER_ALLOC_SIZES;
BENCHMARK(BM_malloc_free)->EMBER_ALLOC_SIZES;
BENCHMARK_MAIN();
