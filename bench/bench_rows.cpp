// Row-wise ops through the whole API: softmax, log_softmax and cross_entropy over the
// rows of a [1024, 1024] float32 matrix and the small CNN's [256, 10] logits, and sum
// over each dim of [1024, 1024]. Twin: bench/libtorch_rows.cpp.
#include <benchmark/benchmark.h>

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

}  // namespace

BENCHMARK(BM_ember_softmax_1024x1024);
BENCHMARK(BM_ember_log_softmax_1024x1024);
BENCHMARK(BM_ember_cross_entropy_1024x1024);
BENCHMARK(BM_ember_cross_entropy_backward_256x10);
BENCHMARK(BM_ember_sum_dim0_1024x1024);
BENCHMARK(BM_ember_sum_dim1_1024x1024);
BENCHMARK_MAIN();
