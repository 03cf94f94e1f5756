// Attention on the CPU: nn::MultiheadAttention self-attention of 32 sequences of 64 tokens, 128
// wide in 4 heads (batch_first), forward under no_grad, forward with the averaged weights, and
// forward + backward without weights. Twin: bench/pytorch_attention.py.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

namespace {

namespace nn = ember::nn;
using ember::Tensor;

// The layer and its input, drawn after manual_seed(0) (a member initialized first).
struct Setup {
  int seeded = (ember::manual_seed(0), 0);
  nn::MultiheadAttention mha{128, 4, {.batch_first = true}};
  Tensor x = ember::randn({32, 64, 128});
};

void BM_ember_mha_forward_no_grad(benchmark::State& state) {
  Setup s;
  for (auto _ : state) {
    ember::NoGradGuard no_grad;
    benchmark::DoNotOptimize(std::get<0>(s.mha(s.x, s.x, s.x, {.need_weights = false})).data_ptr());
  }
}

void BM_ember_mha_forward_with_weights(benchmark::State& state) {
  Setup s;
  for (auto _ : state) {
    ember::NoGradGuard no_grad;
    const auto [out, weights] = s.mha(s.x, s.x, s.x);
    benchmark::DoNotOptimize(weights.data_ptr());
  }
}

void BM_ember_mha_forward_backward(benchmark::State& state) {
  Setup s;
  Tensor x = s.x.requires_grad_(true);
  for (auto _ : state) {
    s.mha.zero_grad();
    nn::zero_grad_of(x, true);
    std::get<0>(s.mha(x, x, x, {.need_weights = false})).sum().backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

}  // namespace

BENCHMARK(BM_ember_mha_forward_no_grad)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_mha_forward_with_weights)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_mha_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
