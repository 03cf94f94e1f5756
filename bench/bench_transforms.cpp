// Data augmentation on the CPU: RandomCrop(28, padding=4) + RandomHorizontalFlip on a
// [128, 1, 28, 28] batch (Fashion-MNIST's), under no_grad as in a training loop, and each
// transform alone. Twin: bench/pytorch_transforms.py (torchvision, image by image).
#include <benchmark/benchmark.h>
#include <ember/ember.h>

namespace T = ember::transforms;

static ember::Tensor fashion_batch() {
  ember::manual_seed(0);
  return ember::rand({128, 1, 28, 28});
}

static void run(benchmark::State& state, const T::Transform& transform) {
  const ember::Tensor batch = fashion_batch();
  ember::NoGradGuard no_grad;
  for (auto _ : state) {
    ember::Tensor out = transform(batch);
    benchmark::DoNotOptimize(out.impl_ptr().get());
  }
  state.SetItemsProcessed(state.iterations() * batch.size(0));
}

static void BM_ember_crop_flip_128x1x28x28(benchmark::State& state) {
  run(state, T::Compose({T::RandomCrop(28, 4), T::RandomHorizontalFlip()}));
}
static void BM_ember_random_crop_128x1x28x28(benchmark::State& state) { run(state, T::RandomCrop(28, 4)); }
static void BM_ember_hflip_128x1x28x28(benchmark::State& state) { run(state, T::RandomHorizontalFlip()); }
static void BM_ember_random_erasing_128x1x28x28(benchmark::State& state) { run(state, T::RandomErasing()); }
static void BM_ember_random_rotation_128x1x28x28(benchmark::State& state) { run(state, T::RandomRotation(15)); }

BENCHMARK(BM_ember_crop_flip_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_random_crop_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_hflip_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_random_erasing_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_random_rotation_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_MAIN();
