// Per-op overhead benchmarks: a 1-element `a + b` through the whole API (with and
// without requires_grad, and under no_grad), `(a*b).relu().sum().backward()` on
// 1-element tensors (large elementwise work: bench_elementwise). Twin: bench/libtorch_ops.cpp.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

static void BM_ember_add_1elem(benchmark::State& state) {
  ember::Tensor a = ember::ones({1}), b = ember::ones({1});
  for (auto _ : state) {
    ember::Tensor c = a + b;
    benchmark::DoNotOptimize(c.impl_ptr().get());
  }
}

static void BM_ember_add_1elem_requires_grad(benchmark::State& state) {
  ember::Tensor a = ember::ones({1}, ember::TensorOptions().requires_grad(true));
  ember::Tensor b = ember::ones({1}, ember::TensorOptions().requires_grad(true));
  for (auto _ : state) {
    ember::Tensor c = a + b;
    benchmark::DoNotOptimize(c.impl_ptr().get());
  }
}

static void BM_ember_add_1elem_no_grad(benchmark::State& state) {
  ember::Tensor a = ember::ones({1}, ember::TensorOptions().requires_grad(true));
  ember::Tensor b = ember::ones({1}, ember::TensorOptions().requires_grad(true));
  ember::NoGradGuard guard;
  for (auto _ : state) {
    ember::Tensor c = a + b;
    benchmark::DoNotOptimize(c.impl_ptr().get());
  }
}

static void BM_ember_mul_relu_sum_backward_1elem(benchmark::State& state) {
  ember::Tensor a = ember::ones({1}, ember::TensorOptions().requires_grad(true));
  ember::Tensor b = ember::ones({1}, ember::TensorOptions().requires_grad(true));
  for (auto _ : state) {
    (a * b).relu().sum().backward();
  }
}

BENCHMARK(BM_ember_add_1elem);
BENCHMARK(BM_ember_add_1elem_requires_grad);
BENCHMARK(BM_ember_add_1elem_no_grad);
BENCHMARK(BM_ember_mul_relu_sum_backward_1elem);
BENCHMARK_MAIN();
