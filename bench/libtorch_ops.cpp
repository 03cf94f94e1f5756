// libtorch twin of bench_ops.cpp, same workloads through libtorch's C++ API.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

static void BM_libtorch_add_1elem(benchmark::State& state) {
  at::set_num_threads(2);
  torch::Tensor a = torch::ones({1}), b = torch::ones({1});
  for (auto _ : state) {
    torch::Tensor c = a + b;
    benchmark::DoNotOptimize(c.data_ptr());
  }
}

static void BM_libtorch_add_1elem_requires_grad(benchmark::State& state) {
  torch::Tensor a = torch::ones({1}, torch::requires_grad()), b = torch::ones({1}, torch::requires_grad());
  for (auto _ : state) {
    torch::Tensor c = a + b;
    benchmark::DoNotOptimize(c.data_ptr());
  }
}

static void BM_libtorch_add_1elem_no_grad(benchmark::State& state) {
  torch::Tensor a = torch::ones({1}, torch::requires_grad()), b = torch::ones({1}, torch::requires_grad());
  torch::NoGradGuard guard;
  for (auto _ : state) {
    torch::Tensor c = a + b;
    benchmark::DoNotOptimize(c.data_ptr());
  }
}

static void BM_libtorch_mul_relu_sum_backward_1elem(benchmark::State& state) {
  torch::Tensor a = torch::ones({1}, torch::requires_grad()), b = torch::ones({1}, torch::requires_grad());
  for (auto _ : state) {
    (a * b).relu().sum().backward();
  }
}

BENCHMARK(BM_libtorch_add_1elem);
BENCHMARK(BM_libtorch_add_1elem_requires_grad);
BENCHMARK(BM_libtorch_add_1elem_no_grad);
BENCHMARK(BM_libtorch_mul_relu_sum_backward_1elem);
BENCHMARK_MAIN();
