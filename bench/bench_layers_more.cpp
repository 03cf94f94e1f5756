// Further layers on the CPU, forward + backward: fractional_max_pool2d (kernel 2, ratio
// 1/sqrt(2), on [32, 16, 32, 32]), multilabel_margin_loss ([128, 50] scores, 5 classes listed
// per row) and AdaptiveLogSoftmaxWithLoss (128 rows of 64 features over 2000 classes, cutoffs
// 100 and 1000). Twin: bench/pytorch_layers_more.py.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

#include <cmath>
#include <vector>

namespace {

namespace nn = ember::nn;
namespace F = ember::nn::functional;
using ember::Tensor;

void BM_ember_fractional_max_pool2d_forward_backward(benchmark::State& state) {
  ember::manual_seed(0);
  Tensor x = ember::randn({32, 16, 32, 32}).requires_grad_(true);
  const double ratio = 1.0 / std::sqrt(2.0);
  for (auto _ : state) {
    nn::zero_grad_of(x, true);
    F::fractional_max_pool2d(x, 2, {.output_ratio = ratio}).sum().backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

void BM_ember_multilabel_margin_loss_forward_backward(benchmark::State& state) {
  ember::manual_seed(0);
  Tensor x = ember::randn({128, 50}).requires_grad_(true);
  // Five classes per row, then -1: the first five of a random permutation of each row.
  const Tensor order = ember::argsort(ember::rand({128, 50}), 1);
  const Tensor target = ember::where(ember::arange(50).unsqueeze(0) < 5, order, -1);
  for (auto _ : state) {
    nn::zero_grad_of(x, true);
    F::multilabel_margin_loss(x, target).backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

void BM_ember_adaptive_log_softmax_forward_backward(benchmark::State& state) {
  ember::manual_seed(0);
  nn::AdaptiveLogSoftmaxWithLoss asm_loss(64, 2000, {100, 1000});
  Tensor x = ember::randn({128, 64}).requires_grad_(true);
  // Zipf-like targets: most rows in the head, some in each tail.
  const Tensor target = ember::floor(ember::pow(ember::rand({128}), 4.0) * 2000).to(ember::kInt64);
  for (auto _ : state) {
    asm_loss.zero_grad();
    nn::zero_grad_of(x, true);
    asm_loss.forward(x, target).loss.backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

}  // namespace

BENCHMARK(BM_ember_fractional_max_pool2d_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_multilabel_margin_loss_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_adaptive_log_softmax_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
