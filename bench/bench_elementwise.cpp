// Elementwise ops through the whole API: a 1-element `a + 1.0` and 1<<20-element
// float32 work: add (contiguous, broadcast row, transposed), exp, log, tanh, sigmoid, GELU
// (and its backward), float32 -> float64 and float32 <-> float16 conversions and floor
// division (float32 and int64). 1-element `a + b`: bench_ops. Twin: bench/libtorch_elementwise.cpp.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

namespace {

constexpr int64_t kLarge = 1 << 20;
constexpr int64_t kSide = 1 << 10;  // kSide * kSide == kLarge

// Times op() (which returns a fresh tensor) and reports the bytes it reads and writes.
template <typename Op>
void time_op(benchmark::State& state, int64_t bytes_per_call, const Op& op) {
  for (auto _ : state) {
    ember::Tensor out = op();
    benchmark::DoNotOptimize(out.impl_ptr().get());
  }
  state.SetBytesProcessed(state.iterations() * bytes_per_call);
}

void BM_ember_add_scalar_1elem(benchmark::State& state) {
  const ember::Tensor a = ember::ones({1});
  time_op(state, 8, [&] { return a + 1.0; });
}

void BM_ember_add_1M(benchmark::State& state) {
  const ember::Tensor a = ember::ones({kLarge}), b = ember::ones({kLarge});
  time_op(state, 12 * kLarge, [&] { return a + b; });
}

void BM_ember_add_broadcast_row_1M(benchmark::State& state) {
  const ember::Tensor a = ember::ones({kSide, kSide}), row = ember::ones({kSide});
  time_op(state, 8 * kLarge, [&] { return a + row; });
}

void BM_ember_add_transposed_1M(benchmark::State& state) {
  const ember::Tensor a = ember::ones({kSide, kSide}), b = ember::ones({kSide, kSide}).t();
  time_op(state, 12 * kLarge, [&] { return a + b; });
}

void BM_ember_exp_1M(benchmark::State& state) {
  const ember::Tensor a = ember::ones({kLarge});
  time_op(state, 8 * kLarge, [&] { return a.exp(); });
}

// exp, log, tanh and sigmoid of normal values (log of their absolute value): vectorised
// transcendental functions (Note [Vectorised transcendental functions] in core/cpu/vector_math.h).
void BM_ember_log_1M(benchmark::State& state) {
  const ember::Tensor a = ember::randn({kLarge}).abs();
  time_op(state, 8 * kLarge, [&] { return a.log(); });
}

void BM_ember_tanh_1M(benchmark::State& state) {
  const ember::Tensor a = ember::randn({kLarge});
  time_op(state, 8 * kLarge, [&] { return a.tanh(); });
}

void BM_ember_sigmoid_1M(benchmark::State& state) {
  const ember::Tensor a = ember::randn({kLarge});
  time_op(state, 8 * kLarge, [&] { return a.sigmoid(); });
}

// Exact GELU (erf), forward alone and forward + backward of 1M normal values.
void BM_ember_gelu_1M(benchmark::State& state) {
  const ember::Tensor a = ember::randn({kLarge});
  time_op(state, 8 * kLarge, [&] { return ember::nn::functional::gelu(a); });
}

void BM_ember_gelu_forward_backward_1M(benchmark::State& state) {
  const ember::Tensor x = ember::randn({kLarge}).requires_grad_(), g = ember::randn({kLarge});
  for (auto _ : state) {
    ember::nn::functional::gelu(x).backward(g);
    benchmark::DoNotOptimize(x.grad().impl_ptr().get());
  }
  state.SetBytesProcessed(state.iterations() * 20 * kLarge);
}

// Python's // of 1M float32 and of 1M int64 values (torch.floor_divide).
void BM_ember_floor_divide_1M(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor a = ember::randn({kLarge}) * 100.0, b = ember::randn({kLarge});
  time_op(state, 12 * kLarge, [&] { return ember::floor_divide(a, b); });
}

void BM_ember_floor_divide_int64_1M(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor i = ember::randint(-1000, 1000, {kLarge}), j = ember::randint(1, 30, {kLarge});
  time_op(state, 24 * kLarge, [&] { return ember::floor_divide(i, j); });
}

void BM_ember_to_float64_1M(benchmark::State& state) {
  const ember::Tensor a = ember::ones({kLarge});
  time_op(state, 12 * kLarge, [&] { return a.to(ember::kFloat64); });
}

// float32 -> float16 and back (Note [Float16]): the conversions of every float16 op.
void BM_ember_to_float16_1M(benchmark::State& state) {
  const ember::Tensor a = ember::randn({kLarge});
  time_op(state, 6 * kLarge, [&] { return a.to(ember::kFloat16); });
}

void BM_ember_float16_to_float32_1M(benchmark::State& state) {
  const ember::Tensor h = ember::randn({kLarge}).to(ember::kFloat16);
  time_op(state, 6 * kLarge, [&] { return h.to(ember::kFloat32); });
}

}  // namespace

BENCHMARK(BM_ember_add_scalar_1elem);
BENCHMARK(BM_ember_add_1M);
BENCHMARK(BM_ember_add_broadcast_row_1M);
BENCHMARK(BM_ember_add_transposed_1M);
BENCHMARK(BM_ember_exp_1M);
BENCHMARK(BM_ember_log_1M);
BENCHMARK(BM_ember_tanh_1M);
BENCHMARK(BM_ember_sigmoid_1M);
BENCHMARK(BM_ember_gelu_1M);
BENCHMARK(BM_ember_gelu_forward_backward_1M);
BENCHMARK(BM_ember_to_float64_1M);
BENCHMARK(BM_ember_to_float16_1M);
BENCHMARK(BM_ember_float16_to_float32_1M);
BENCHMARK(BM_ember_floor_divide_1M);
BENCHMARK(BM_ember_floor_divide_int64_1M);
BENCHMARK_MAIN();
