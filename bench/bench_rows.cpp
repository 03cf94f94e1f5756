// Row-wise ops through the whole API: softmax, log_softmax and cross_entropy over the
// rows of a [1024, 1024] float32 matrix and the small CNN's [256, 10] logits, and sum
// over each dim of [1024, 1024]; sum, max, amax and argmax over short rows; sort and
// unique; cummax and logcumsumexp along rows. Twin: bench/libtorch_rows.cpp.
#include <benchmark/benchmark.h>

#include <tuple>

#include <ember/ember.h>

namespace {

namespace F = ember::nn::functional;

constexpr int64_t kSide = 1 << 10;

// Times op() (which returns a fresh tensor) and reports the bytes its input holds.
template <typename Op>
void time_op(benchmark::State& state, const ember::Tensor& input, const Op& op) {
  for (auto _ : state) {
    ember::Tensor out = op();
    benchmark::DoNotOptimize(out.impl_ptr().get());
  }
  state.SetBytesProcessed(state.iterations() * input.numel() * static_cast<int64_t>(sizeof(float)));
}

void BM_ember_softmax_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  time_op(state, x, [&] { return ember::softmax(x, 1); });
}

void BM_ember_log_softmax_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  time_op(state, x, [&] { return ember::log_softmax(x, 1); });
}

void BM_ember_cross_entropy_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  const ember::Tensor t = ember::randint(0, kSide, {kSide});
  time_op(state, x, [&] { return F::cross_entropy(x, t); });
}

// The small CNN's loss with its backward: batch 256, 10 classes.
void BM_ember_cross_entropy_backward_256x10(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({256, 10}).requires_grad_();
  const ember::Tensor t = ember::randint(0, 10, {256});
  for (auto _ : state) {
    F::cross_entropy(x, t).backward();
    benchmark::DoNotOptimize(x.grad().impl_ptr().get());
  }
}

void BM_ember_sum_dim0_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  time_op(state, x, [&] { return x.sum(0); });
}

void BM_ember_sum_dim1_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  time_op(state, x, [&] { return x.sum(1); });
}

// Reductions over short rows (a window's 4 elements, an embedding's 64): the per-row cost
// dominates. max(dim) returns values and indices.
void BM_ember_sum_rows_262144x4(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({1 << 18, 4});
  time_op(state, x, [&] { return x.sum(1); });
}

void BM_ember_max_dim_rows_262144x4(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({1 << 18, 4});
  time_op(state, x, [&] { return std::get<1>(x.max(1)); });
}

void BM_ember_amax_rows_4096x64(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({4096, 64});
  time_op(state, x, [&] { return x.amax(1); });
}

void BM_ember_argmax_rows_4096x64(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({4096, 64});
  time_op(state, x, [&] { return x.argmax(1); });
}

// Sorting: each row of [1024, 1024] float32, one row of 1 << 20, and unique of 1 << 20
// int64 values in [0, 1000).
void BM_ember_sort_rows_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  time_op(state, x, [&] { return std::get<1>(x.sort(1)); });
}

void BM_ember_sort_1M(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide * kSide});
  time_op(state, x, [&] { return std::get<1>(x.sort(0)); });
}

void BM_ember_unique_1M(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randint(0, 1000, {kSide * kSide});
  time_op(state, x, [&] { return std::get<0>(ember::unique(x)); });
}

// Scans along the rows of [1024, 1024] float32: cummax (values and indices) and logcumsumexp.
void BM_ember_cummax_rows_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  time_op(state, x, [&] { return std::get<1>(x.cummax(1)); });
}

void BM_ember_logcumsumexp_rows_1024x1024(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({kSide, kSide});
  time_op(state, x, [&] { return x.logcumsumexp(1); });
}

}  // namespace

BENCHMARK(BM_ember_softmax_1024x1024);
BENCHMARK(BM_ember_log_softmax_1024x1024);
BENCHMARK(BM_ember_cross_entropy_1024x1024);
BENCHMARK(BM_ember_cross_entropy_backward_256x10);
BENCHMARK(BM_ember_sum_dim0_1024x1024);
BENCHMARK(BM_ember_sum_dim1_1024x1024);
BENCHMARK(BM_ember_sum_rows_262144x4);
BENCHMARK(BM_ember_max_dim_rows_262144x4);
BENCHMARK(BM_ember_amax_rows_4096x64);
BENCHMARK(BM_ember_argmax_rows_4096x64);
BENCHMARK(BM_ember_sort_rows_1024x1024);
BENCHMARK(BM_ember_sort_1M);
BENCHMARK(BM_ember_unique_1M);
BENCHMARK(BM_ember_cummax_rows_1024x1024);
BENCHMARK(BM_ember_logcumsumexp_rows_1024x1024);
BENCHMARK_MAIN();
