// CUDA benchmarks (run on a GPU; bench/pytorch_cuda.py is the PyTorch twin):
// elementwise add of 64M floats vs a device-to-device copy's bandwidth, caching
// allocator alloc+free vs cudaMalloc/cudaFree, the host cost of launching a 1-element
// op, matmul 4096^3 vs cuBLAS called directly, scatter_add / index_add with and without
// deterministic algorithms, and the CTC loss's forward and backward. GPU times come from CUDA events.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <ember/ember.h>

#include <vector>

#include "core/allocator/caching_allocator.h"

namespace {

using ember::Device;
using ember::Tensor;

const Device kGpu = Device::cuda(0);

bool skip_without_gpu(benchmark::State& state) {
  if (ember::cuda::is_available()) return false;
  state.SkipWithError("no CUDA device");
  return true;
}

// Times `body` per iteration on the GPU with events (manual time), `inner` runs each.
template <typename Body>
void time_on_gpu(benchmark::State& state, int inner, Body body) {
  ember::cuda::Event start, stop;
  body();  // warm-up
  ember::cuda::synchronize();
  for (auto _ : state) {
    start.record();
    for (int i = 0; i < inner; ++i) body();
    stop.record();
    stop.synchronize();
    state.SetIterationTime(start.elapsed_ms(stop) / 1000.0 / inner);
  }
}

constexpr int64_t k64M = int64_t{64} << 20;

void BM_AddFloat64M(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  Tensor a = ember::ones({k64M}, ember::TensorOptions().device(kGpu));
  Tensor b = ember::ones({k64M}, ember::TensorOptions().device(kGpu));
  time_on_gpu(state, 10, [&] { benchmark::DoNotOptimize(a + b); });
  state.SetBytesProcessed(state.iterations() * k64M * 4 * 3);  // read a, b; write out
}
BENCHMARK(BM_AddFloat64M)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_CopyDeviceToDevice64M(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  Tensor a = ember::ones({k64M}, ember::TensorOptions().device(kGpu));
  Tensor b = ember::empty({k64M}, ember::TensorOptions().device(kGpu));
  time_on_gpu(state, 10, [&] {
    cudaMemcpyAsync(b.data_ptr(), a.data_ptr(), k64M * 4, cudaMemcpyDeviceToDevice, nullptr);
  });
  state.SetBytesProcessed(state.iterations() * k64M * 4 * 2);  // read + write
}
BENCHMARK(BM_CopyDeviceToDevice64M)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_AllocatorAllocFree1MiB(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  ember::CachingAllocator& allocator = ember::allocator_for(kGpu);
  allocator.deallocate(allocator.allocate(1 << 20).block);  // the segment is cached
  for (auto _ : state) {
    ember::Allocation a = allocator.allocate(1 << 20);
    benchmark::DoNotOptimize(a.ptr);
    allocator.deallocate(a.block);
  }
}
BENCHMARK(BM_AllocatorAllocFree1MiB);

void BM_CudaMallocFree1MiB(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  for (auto _ : state) {
    void* p = nullptr;
    cudaMalloc(&p, 1 << 20);
    benchmark::DoNotOptimize(p);
    cudaFree(p);
  }
}
BENCHMARK(BM_CudaMallocFree1MiB);

// Host-side cost of one 1-element op on CUDA: the op layer, the allocator, the launch.
void BM_LaunchAdd1Element(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  Tensor a = ember::ones({1}, ember::TensorOptions().device(kGpu));
  Tensor b = ember::ones({1}, ember::TensorOptions().device(kGpu));
  int64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a + b);
    if (++n % 4096 == 0) {  // keep the launch queue from filling
      state.PauseTiming();
      ember::cuda::synchronize();
      state.ResumeTiming();
    }
  }
  ember::cuda::synchronize();
}
BENCHMARK(BM_LaunchAdd1Element);

constexpr int64_t kMatmulN = 4096;

void BM_MatmulEmber4096(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  ember::cuda::set_matmul_allow_tf32(state.range(0) != 0);
  Tensor a = ember::randn({kMatmulN, kMatmulN}).to(kGpu);
  Tensor b = ember::randn({kMatmulN, kMatmulN}).to(kGpu);
  time_on_gpu(state, 5, [&] { benchmark::DoNotOptimize(ember::matmul(a, b)); });
  state.counters["TFLOP/s"] = benchmark::Counter(2.0 * kMatmulN * kMatmulN * kMatmulN * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  ember::cuda::set_matmul_allow_tf32(false);
}
BENCHMARK(BM_MatmulEmber4096)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_MatmulCublas4096(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  Tensor a = ember::randn({kMatmulN, kMatmulN}).to(kGpu);
  Tensor b = ember::randn({kMatmulN, kMatmulN}).to(kGpu);
  Tensor c = ember::empty({kMatmulN, kMatmulN}, ember::TensorOptions().device(kGpu));
  cublasHandle_t handle = nullptr;
  cublasCreate(&handle);
  cublasSetMathMode(handle, state.range(0) != 0 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
  const float alpha = 1.0f, beta = 0.0f;
  const int n = static_cast<int>(kMatmulN);
  time_on_gpu(state, 5, [&] {
    cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, static_cast<const float*>(b.data_ptr()), n,
                static_cast<const float*>(a.data_ptr()), n, &beta, static_cast<float*>(c.data_ptr()), n);
  });
  state.counters["TFLOP/s"] = benchmark::Counter(2.0 * kMatmulN * kMatmulN * kMatmulN * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  cublasDestroy(handle);
}
BENCHMARK(BM_MatmulCublas4096)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

// The price of use_deterministic_algorithms (Note [Deterministic algorithms] in
// core/deterministic.h): scatter_add of 4M floats into [64Ki, 4] (about 16 values meet in
// each element) and index_select's gradient (index_add of 64Ki rows of 256 into 4Ki rows),
// with atomics (arg 0) and in the deterministic form (arg 1: both have too few lines or
// columns for a thread each, so they take the sorted form, Note [Ordered runs]).
void BM_ScatterAdd4M(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const auto options = ember::TensorOptions().device(kGpu);
  Tensor self = ember::zeros({int64_t{1} << 16, 4}, options);
  Tensor src = ember::randn({int64_t{1} << 20, 4}, options);
  Tensor index = ember::randint(0, int64_t{1} << 16, {int64_t{1} << 20, 4}, options.dtype(ember::kInt64));
  ember::use_deterministic_algorithms(state.range(0) != 0);
  time_on_gpu(state, 5, [&] { benchmark::DoNotOptimize(ember::scatter_add(self, 0, index, src)); });
  ember::use_deterministic_algorithms(false);
}
BENCHMARK(BM_ScatterAdd4M)->ArgName("deterministic")->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_IndexAddRows(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const auto options = ember::TensorOptions().device(kGpu);
  Tensor self = ember::zeros({4096, 256}, options);
  Tensor source = ember::randn({int64_t{1} << 16, 256}, options);
  Tensor index = ember::randint(0, 4096, {int64_t{1} << 16}, options.dtype(ember::kInt64));
  ember::use_deterministic_algorithms(state.range(0) != 0);
  time_on_gpu(state, 5, [&] { benchmark::DoNotOptimize(ember::index_add(self, 0, index, source)); });
  ember::use_deterministic_algorithms(false);
}
BENCHMARK(BM_IndexAddRows)->ArgName("deterministic")->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

// ctc_loss through log_softmax, forward and backward, of [T, 16, 20] float32 logits (T = 50 as
// bench_sequence's CPU case, and 200): the recursions are about 16 launches per frame each way
// (Note [CTC loss as native ops]); lengths and targets stay on the host, as PyTorch allows;
// zero_infinity, as some of the random targets may not fit their inputs.
void BM_CtcLoss(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const int64_t frames = state.range(0);
  ember::manual_seed(0);
  Tensor logits = ember::randn({frames, 16, 20}, ember::TensorOptions().device(kGpu)).requires_grad_(true);
  std::vector<int64_t> input_lengths, target_lengths;
  for (int64_t n = 0; n < 16; ++n) {
    input_lengths.push_back(frames - n * frames / 25);
    target_lengths.push_back(frames / 5 + (n * 7) % (frames / 5 + 1));
  }
  const Tensor targets = ember::randint(1, 20, {16, 2 * frames / 5});
  const Tensor in_len = ember::tensor(input_lengths), tgt_len = ember::tensor(target_lengths);
  time_on_gpu(state, 3, [&] {
    ember::nn::zero_grad_of(logits, true);
    ember::nn::functional::ctc_loss(ember::nn::functional::log_softmax(logits, 2), targets, in_len, tgt_len, 0,
                                    ember::nn::functional::Reduction::Mean, /*zero_infinity=*/true)
        .backward();
  });
}
BENCHMARK(BM_CtcLoss)->ArgName("frames")->Arg(50)->Arg(200)->UseManualTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
