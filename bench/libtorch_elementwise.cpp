// libtorch twin of bench_elementwise.cpp: the same workloads through libtorch's C++ API.
// Both libraries take their thread count from OMP_NUM_THREADS (default: one per core).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

constexpr int64_t kLarge = 1 << 20;
constexpr int64_t kSide = 1 << 10;  // kSide * kSide == kLarge

// Times op() (which returns a fresh tensor) and reports the bytes it reads and writes.
template <typename Op>
void time_op(benchmark::State& state, int64_t bytes_per_call, const Op& op) {
  for (auto _ : state) {
    torch::Tensor out = op();
    benchmark::DoNotOptimize(out.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * bytes_per_call);
}

void BM_libtorch_add_scalar_1elem(benchmark::State& state) {
  const torch::Tensor a = torch::ones({1});
  time_op(state, 8, [&] { return a + 1.0; });
}

void BM_libtorch_add_1M(benchmark::State& state) {
  const torch::Tensor a = torch::ones({kLarge}), b = torch::ones({kLarge});
  time_op(state, 12 * kLarge, [&] { return a + b; });
}

void BM_libtorch_add_broadcast_row_1M(benchmark::State& state) {
  const torch::Tensor a = torch::ones({kSide, kSide}), row = torch::ones({kSide});
  time_op(state, 8 * kLarge, [&] { return a + row; });
}

void BM_libtorch_add_transposed_1M(benchmark::State& state) {
  const torch::Tensor a = torch::ones({kSide, kSide}), b = torch::ones({kSide, kSide}).t();
  time_op(state, 12 * kLarge, [&] { return a + b; });
}

void BM_libtorch_exp_1M(benchmark::State& state) {
  const torch::Tensor a = torch::ones({kLarge});
  time_op(state, 8 * kLarge, [&] { return a.exp(); });
}

// exp, log, tanh and sigmoid of normal values (log of their absolute value): vectorised
// transcendental functions (Note [Vectorised transcendental functions] in core/cpu/vector_math.h).
void BM_libtorch_log_1M(benchmark::State& state) {
  const torch::Tensor a = torch::randn({kLarge}).abs();
  time_op(state, 8 * kLarge, [&] { return a.log(); });
}

void BM_libtorch_tanh_1M(benchmark::State& state) {
  const torch::Tensor a = torch::randn({kLarge});
  time_op(state, 8 * kLarge, [&] { return a.tanh(); });
}

void BM_libtorch_sigmoid_1M(benchmark::State& state) {
  const torch::Tensor a = torch::randn({kLarge});
  time_op(state, 8 * kLarge, [&] { return a.sigmoid(); });
}

// Exact GELU (erf), forward alone and forward + backward of 1M normal values.
void BM_libtorch_gelu_1M(benchmark::State& state) {
  const torch::Tensor a = torch::randn({kLarge});
  time_op(state, 8 * kLarge, [&] { return torch::nn::functional::gelu(a); });
}

void BM_libtorch_gelu_forward_backward_1M(benchmark::State& state) {
  const torch::Tensor x = torch::randn({kLarge}).requires_grad_(), g = torch::randn({kLarge});
  for (auto _ : state) {
    torch::nn::functional::gelu(x).backward(g);
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * 20 * kLarge);
}

// Python's // of 1M float32 and of 1M int64 values (torch.floor_divide).
void BM_libtorch_floor_divide_1M(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor a = torch::randn({kLarge}) * 100.0, b = torch::randn({kLarge});
  time_op(state, 12 * kLarge, [&] { return torch::floor_divide(a, b); });
}

void BM_libtorch_floor_divide_int64_1M(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor i = torch::randint(-1000, 1000, {kLarge}), j = torch::randint(1, 30, {kLarge});
  time_op(state, 24 * kLarge, [&] { return torch::floor_divide(i, j); });
}

void BM_libtorch_to_float64_1M(benchmark::State& state) {
  const torch::Tensor a = torch::ones({kLarge});
  time_op(state, 12 * kLarge, [&] { return a.to(torch::kFloat64); });
}

// float32 -> float16 and back (Note [Float16]): the conversions of every float16 op.
void BM_libtorch_to_float16_1M(benchmark::State& state) {
  const torch::Tensor a = torch::randn({kLarge});
  time_op(state, 6 * kLarge, [&] { return a.to(torch::kHalf); });
}

void BM_libtorch_float16_to_float32_1M(benchmark::State& state) {
  const torch::Tensor h = torch::randn({kLarge}).to(torch::kHalf);
  time_op(state, 6 * kLarge, [&] { return h.to(torch::kFloat32); });
}

}  // namespace

BENCHMARK(BM_libtorch_add_scalar_1elem);
BENCHMARK(BM_libtorch_add_1M);
BENCHMARK(BM_libtorch_add_broadcast_row_1M);
BENCHMARK(BM_libtorch_add_transposed_1M);
BENCHMARK(BM_libtorch_exp_1M);
BENCHMARK(BM_libtorch_log_1M);
BENCHMARK(BM_libtorch_tanh_1M);
BENCHMARK(BM_libtorch_sigmoid_1M);
BENCHMARK(BM_libtorch_gelu_1M);
BENCHMARK(BM_libtorch_gelu_forward_backward_1M);
BENCHMARK(BM_libtorch_to_float64_1M);
BENCHMARK(BM_libtorch_to_float16_1M);
BENCHMARK(BM_libtorch_float16_to_float32_1M);
BENCHMARK(BM_libtorch_floor_divide_1M);
BENCHMARK(BM_libtorch_floor_divide_int64_1M);
BENCHMARK_MAIN();
