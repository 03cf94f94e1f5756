// Data augmentation on the CPU: RandomCrop(28, padding=4) + RandomHorizontalFlip on a
// [128, 1, 28, 28] batch (Fashion-MNIST's), under no_grad as in a training loop, each
// transform alone, RandomResizedCrop(28) and Resize(32, BICUBIC) of a [64, 3, 96, 96] batch;
// and interpolate's bilinear x2 upsampling of [32, 16, 32, 32], forward and forward+backward.
// Twin: bench/pytorch_transforms.py (torchvision, image by image; F.interpolate).
#include <benchmark/benchmark.h>
#include <ember/ember.h>

namespace T = ember::transforms;

static ember::Tensor fashion_batch() {
  ember::manual_seed(0);
  return ember::rand({128, 1, 28, 28});
}

static void run(benchmark::State& state, const T::Transform& transform,
                const ember::Tensor& batch = fashion_batch()) {
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
static void BM_ember_random_resized_crop_128x1x28x28(benchmark::State& state) {
  run(state, T::RandomResizedCrop(28));
}
static void BM_ember_resize_bicubic_64x3x96x96_to_32(benchmark::State& state) {
  ember::manual_seed(0);
  run(state, T::Resize(32, T::InterpolationMode::BICUBIC), ember::rand({64, 3, 96, 96}));
}

static void BM_ember_upsample_bilinear_32x16x32x32_x2(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::rand({32, 16, 32, 32}).requires_grad_(state.range(0) == 1);
  for (auto _ : state) {
    ember::Tensor out = ember::nn::functional::interpolate(x, {}, 2.0, "bilinear");
    if (state.range(0) == 1) out.sum().backward();
    benchmark::DoNotOptimize(out.impl_ptr().get());
  }
  state.SetLabel(state.range(0) == 1 ? "forward+backward" : "forward");
}

BENCHMARK(BM_ember_crop_flip_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_random_crop_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_hflip_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_random_erasing_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_random_rotation_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_random_resized_crop_128x1x28x28)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_resize_bicubic_64x3x96x96_to_32)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ember_upsample_bilinear_32x16x32x32_x2)->Arg(0)->Arg(1)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_MAIN();
