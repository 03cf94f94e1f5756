// sgemm 512x512x512 in GFLOP/s: ember::matmul (plain and with a transposed operand)
// against cblas_sgemm called directly on the same buffers, plus ember's fallback GEMM, and
// the same product in bfloat16 and float16 (float32 blocks: Note [16-bit products in
// blocks] in core/cpu/gemm.cpp).
#include <benchmark/benchmark.h>

#include <ember/ember.h>

#include "core/cpu/gemm.h"

#ifdef EMBER_HAVE_BLAS
#include <cblas.h>
#endif

namespace {

constexpr int64_t kSize = 512;

void report_gflops(benchmark::State& state) {
  const double flops = 2.0 * kSize * kSize * kSize;
  state.counters["GFLOPS"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

ember::Tensor random_matrix() { return ember::randn({kSize, kSize}, ember::dtype(ember::kFloat32)); }

void BM_EmberMatmul(benchmark::State& state) {
  const ember::Tensor a = random_matrix(), b = random_matrix();
  for (auto _ : state) {
    ember::Tensor c = ember::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  report_gflops(state);
}
BENCHMARK(BM_EmberMatmul)->Unit(benchmark::kMillisecond)->UseRealTime();

// a.t() reaches BLAS as a transposition flag, without a copy.
void BM_EmberMatmulTransposedA(benchmark::State& state) {
  const ember::Tensor a = random_matrix().t(), b = random_matrix();
  for (auto _ : state) {
    ember::Tensor c = ember::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  report_gflops(state);
}
BENCHMARK(BM_EmberMatmulTransposedA)->Unit(benchmark::kMillisecond)->UseRealTime();

// A model after half() / bfloat16(): 16-bit operands, float32 accumulation.
void BM_EmberMatmul16Bit(benchmark::State& state) {
  const ember::DType dtype = state.range(0) == 0 ? ember::kBFloat16 : ember::kFloat16;
  const ember::Tensor a = random_matrix().to(dtype), b = random_matrix().to(dtype);
  for (auto _ : state) {
    ember::Tensor c = ember::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  report_gflops(state);
}
BENCHMARK(BM_EmberMatmul16Bit)->ArgName("float16")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_EmberGemmFallback(benchmark::State& state) {
  const ember::Tensor a = random_matrix().unsqueeze(0), b = random_matrix().unsqueeze(0);
  const ember::Tensor c = ember::empty({1, kSize, kSize});
  for (auto _ : state) {
    ember::cpu::gemm_fallback(a, b, c);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  report_gflops(state);
}
BENCHMARK(BM_EmberGemmFallback)->Unit(benchmark::kMillisecond)->UseRealTime();

#ifdef EMBER_HAVE_BLAS
void BM_OpenBlasSgemm(benchmark::State& state) {
  const ember::Tensor a = random_matrix(), b = random_matrix();
  const ember::Tensor c = ember::empty({kSize, kSize});
  const int n = static_cast<int>(kSize);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data_ptr<float>(), n,
                b.data_ptr<float>(), n, 0.0f, c.data_ptr<float>(), n);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  report_gflops(state);
}
BENCHMARK(BM_OpenBlasSgemm)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();
