// conv2d and max_pool2d at the small CNN's shapes (Fashion-MNIST, batch 128): layer 1
// conv 1->32 3x3 pad 1 on 28x28 (input needs no grad), layer 2 conv 32->64 on 14x14;
// forward alone and forward + backward, in milliseconds of wall time.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

#include "nn/functional/conv.h"

namespace {

namespace F = ember::nn::functional;

struct ConvLayer {
  ember::Tensor x, w, b;
};

// layer 0: conv1 (x is the data batch); layer 1: conv2 (x comes from earlier layers).
ConvLayer make_layer(int64_t layer) {
  ember::manual_seed(0);
  const auto grad = ember::TensorOptions().requires_grad(true);
  if (layer == 0) return {ember::randn({128, 1, 28, 28}), ember::randn({32, 1, 3, 3}, grad), ember::randn({32}, grad)};
  return {ember::randn({128, 32, 14, 14}, grad), ember::randn({64, 32, 3, 3}, grad), ember::randn({64}, grad)};
}

void BM_conv2d_forward(benchmark::State& state) {
  const ConvLayer l = make_layer(state.range(0));
  ember::NoGradGuard no_grad;
  for (auto _ : state) {
    ember::Tensor y = F::conv2d(l.x, l.w, l.b, {1, 1}, {1, 1});
    benchmark::DoNotOptimize(y.data_ptr());
  }
}

void BM_conv2d_forward_backward(benchmark::State& state) {
  ConvLayer l = make_layer(state.range(0));
  ember::Tensor grad_out;
  for (auto _ : state) {
    ember::Tensor y = F::conv2d(l.x, l.w, l.b, {1, 1}, {1, 1});
    if (!grad_out.defined()) grad_out = ember::ones_like(y);
    y.backward(grad_out);
    for (ember::Tensor* t : {&l.x, &l.w, &l.b}) t->mutable_grad() = ember::Tensor();
  }
}

void BM_max_pool2d_forward_backward(benchmark::State& state) {
  ember::Tensor x = ember::randn({128, 32, 28, 28}, ember::TensorOptions().requires_grad(true));
  ember::Tensor grad_out = ember::ones({128, 32, 14, 14});
  for (auto _ : state) {
    F::max_pool2d(x, {2}).backward(grad_out);
    x.mutable_grad() = ember::Tensor();
  }
}

}  // namespace

BENCHMARK(BM_conv2d_forward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_forward_backward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_max_pool2d_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
