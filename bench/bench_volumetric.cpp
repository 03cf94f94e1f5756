// The 3-D family on the CPU: one training step of a small volumetric CNN (Conv3d, BatchNorm3d,
// ReLU, MaxPool3d, AdaptiveAvgPool3d, Linear; SGD) at batch 8 of 16 x 32 x 32 volumes, and
// conv3d / max_pool3d alone, forward and backward. Twin: bench/pytorch_volumetric.py.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

namespace {

namespace F = ember::nn::functional;
namespace nn = ember::nn;
using ember::Tensor;

std::shared_ptr<nn::Sequential> make_volumetric_cnn() {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv3d>(1, 16, 3, nn::Conv3dOptions{.padding = 1}), std::make_shared<nn::BatchNorm3d>(16),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool3d>(2),
      std::make_shared<nn::Conv3d>(16, 32, 3, nn::Conv3dOptions{.padding = 1}), std::make_shared<nn::BatchNorm3d>(32),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::AdaptiveAvgPool3d>(1), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(32, 10)});
}

void BM_ember_volumetric_cnn_step_batch8(benchmark::State& state) {
  ember::manual_seed(0);
  auto net = make_volumetric_cnn();
  ember::optim::SGD sgd(net->parameters(), {.lr = 0.01, .momentum = 0.9});
  const Tensor x = ember::randn({8, 1, 16, 32, 32});
  const Tensor y = ember::randint(0, 10, {8});
  for (auto _ : state) {
    sgd.zero_grad();
    Tensor loss = F::cross_entropy((*net)(x), y);
    loss.backward();
    sgd.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
}

void BM_ember_conv3d_forward_backward(benchmark::State& state) {
  ember::manual_seed(0);
  const Tensor x = ember::randn({8, 16, 8, 16, 16}).requires_grad_(true);
  const Tensor w = (ember::randn({32, 16, 3, 3, 3}) * 0.05).requires_grad_(true);
  const bool backward = state.range(0) == 1;
  for (auto _ : state) {
    Tensor out = F::conv3d(x, w, Tensor(), 1, 1);
    if (backward) out.sum().backward();
    benchmark::DoNotOptimize(out.data_ptr());
  }
}

void BM_ember_max_pool3d_forward_backward(benchmark::State& state) {
  ember::manual_seed(0);
  const Tensor x = ember::randn({8, 16, 16, 32, 32}).requires_grad_(true);
  for (auto _ : state) {
    Tensor out = F::max_pool3d(x, 2);
    out.sum().backward();
    benchmark::DoNotOptimize(out.data_ptr());
  }
}

}  // namespace

BENCHMARK(BM_ember_volumetric_cnn_step_batch8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_conv3d_forward_backward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_max_pool3d_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
