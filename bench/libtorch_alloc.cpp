// libtorch twin of bench_allocator.cpp: at::empty({bytes}, at::kByte) created and
// destroyed, libtorch's CPU allocation path as seen from its C++ API. Same sizes.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

void BM_libtorch_empty_tensor(benchmark::State& state) {
  const int64_t bytes = state.range(0);
  for (auto _ : state) {
    at::Tensor tensor = at::empty({bytes}, at::kByte);
    benchmark::DoNotOptimize(tensor.data_ptr());
  }
}

}  // namespace

// 1 KiB, 64 KiB, 1 MiB, 16 MiB, 64 MiB.
BENCHMARK(BM_libtorch_empty_tensor)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20)->Arg(64 << 20);
BENCHMARK_MAIN();
