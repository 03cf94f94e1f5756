// libtorch twin of bench_rows.cpp: the same row-wise workloads through libtorch's C++ API.
// Both libraries take their thread count from OMP_NUM_THREADS (default: one per core).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <tuple>

namespace {

namespace F = torch::nn::functional;

constexpr int64_t kSide = 1 << 10;

// Times op() (which returns a fresh tensor) and reports the bytes its input holds.
template <typename Op>
void time_op(benchmark::State& state, const torch::Tensor& input, const Op& op) {
  for (auto _ : state) {
    torch::Tensor out = op();
    benchmark::DoNotOptimize(out.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * input.numel() * static_cast<int64_t>(sizeof(float)));
}

void BM_libtorch_softmax_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  time_op(state, x, [&] { return torch::softmax(x, 1); });
}

void BM_libtorch_log_softmax_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  time_op(state, x, [&] { return torch::log_softmax(x, 1); });
}

void BM_libtorch_cross_entropy_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  const torch::Tensor t = torch::randint(0, kSide, {kSide});
  time_op(state, x, [&] { return F::cross_entropy(x, t); });
}

// The small CNN's loss with its backward: batch 256, 10 classes.
void BM_libtorch_cross_entropy_backward_256x10(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({256, 10}).requires_grad_();
  const torch::Tensor t = torch::randint(0, 10, {256});
  for (auto _ : state) {
    F::cross_entropy(x, t).backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

void BM_libtorch_sum_dim0_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  time_op(state, x, [&] { return x.sum(0); });
}

void BM_libtorch_sum_dim1_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  time_op(state, x, [&] { return x.sum(1); });
}

// Reductions over short rows (a window's 4 elements, an embedding's 64): the per-row cost
// dominates. max(dim) returns values and indices.
void BM_libtorch_sum_rows_262144x4(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({1 << 18, 4});
  time_op(state, x, [&] { return x.sum(1); });
}

void BM_libtorch_max_dim_rows_262144x4(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({1 << 18, 4});
  time_op(state, x, [&] { return std::get<1>(x.max(1)); });
}

void BM_libtorch_amax_rows_4096x64(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({4096, 64});
  time_op(state, x, [&] { return x.amax(1); });
}

void BM_libtorch_argmax_rows_4096x64(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({4096, 64});
  time_op(state, x, [&] { return x.argmax(1); });
}

// Sorting: each row of [1024, 1024] float32, one row of 1 << 20, and unique of 1 << 20
// int64 values in [0, 1000).
void BM_libtorch_sort_rows_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  time_op(state, x, [&] { return std::get<1>(x.sort(1)); });
}

void BM_libtorch_sort_1M(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide * kSide});
  time_op(state, x, [&] { return std::get<1>(x.sort(0)); });
}

void BM_libtorch_unique_1M(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randint(0, 1000, {kSide * kSide});
  time_op(state, x, [&] { return std::get<0>(torch::_unique2(x, true, false, false)); });
}

// Scans along the rows of [1024, 1024] float32: cummax (values and indices) and logcumsumexp.
void BM_libtorch_cummax_rows_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  time_op(state, x, [&] { return std::get<1>(x.cummax(1)); });
}

void BM_libtorch_logcumsumexp_rows_1024x1024(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kSide, kSide});
  time_op(state, x, [&] { return x.logcumsumexp(1); });
}

}  // namespace

BENCHMARK(BM_libtorch_softmax_1024x1024);
BENCHMARK(BM_libtorch_log_softmax_1024x1024);
BENCHMARK(BM_libtorch_cross_entropy_1024x1024);
BENCHMARK(BM_libtorch_cross_entropy_backward_256x10);
BENCHMARK(BM_libtorch_sum_dim0_1024x1024);
BENCHMARK(BM_libtorch_sum_dim1_1024x1024);
BENCHMARK(BM_libtorch_sum_rows_262144x4);
BENCHMARK(BM_libtorch_max_dim_rows_262144x4);
BENCHMARK(BM_libtorch_amax_rows_4096x64);
BENCHMARK(BM_libtorch_argmax_rows_4096x64);
BENCHMARK(BM_libtorch_sort_rows_1024x1024);
BENCHMARK(BM_libtorch_sort_1M);
BENCHMARK(BM_libtorch_unique_1M);
BENCHMARK(BM_libtorch_cummax_rows_1024x1024);
BENCHMARK(BM_libtorch_logcumsumexp_rows_1024x1024);
BENCHMARK_MAIN();
