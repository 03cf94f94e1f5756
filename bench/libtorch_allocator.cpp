// libtorch twin of bench_allocator.cpp: its raw CPU allocator, and at::empty of
// `bytes` uint8 elements created and destroyed (its allocation path from the C++ API).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

static void BM_libtorch_empty_tensor(benchmark::State& state) {
  at::set_num_threads(2);
  const int64_t bytes = state.range(0);
  for (auto _ : state) {
    at::Tensor t = at::empty({bytes}, at::kByte);
    benchmark::DoNotOptimize(t.data_ptr());
  }
}

// libtorch's raw CPU allocator (c10::GetAllocator(CPU)), the twin of BM_ember_alloc_free.
static void BM_libtorch_alloc_free(benchmark::State& state) {
  c10::Allocator* alloc = c10::GetAllocator(c10::DeviceType::CPU);
  const auto bytes = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    c10::DataPtr p = alloc->allocate(bytes);
    benchmark::DoNotOptimize(p.get());
  }
}

BENCHMARK(BM_libtorch_alloc_free)->RangeMultiplier(8)->Range(1 << 10, 64 << 20)->Arg(1 << 20);
BENCHMARK(BM_libtorch_empty_tensor)->RangeMultiplier(8)->Range(1 << 10, 64 << 20)->Arg(1 << 20);
BENCHMARK_MAIN();
