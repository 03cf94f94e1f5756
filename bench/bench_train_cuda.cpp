// CUDA benchmarks of the small CNN (tools/small_cnn.h) on cuda:0, data already on the GPU
// (run on a GPU; the twin is `bench/pytorch_train.py --device cuda --sweep`):
//  - BM_train_step: one SGD step (Nesterov, lr 0.05, momentum 0.9) at batch 128 in train():
//    zero_grad, forward, cross_entropy, backward, step; 20 warm-up steps, then 200 steps,
//    each timed on the host with ember::cuda::synchronize() at its end; in both layouts
//    (channels_last:1 converts the model with Module::to(MemoryFormat::ChannelsLast), as
//    model.to(memory_format=torch.channels_last): issue 9 picks the faster as the default);
//  - BM_eval_10k_no_grad: 10,000 random images under eval() + NoGradGuard in batches of
//    1000, counting correct argmaxes (one .item() per batch, as bench_train); 1 warm-up, 5 runs;
//  - BM_layer/<layer>/{fwd,fwd_bwd}: the model's layers one by one through nn::functional
//    at their shapes in the model at batch 128, timed with CUDA events (10 calls per
//    iteration). fwd runs as in training (grad mode on, the tensors that need grad in the
//    model require it) and drops the graph; fwd_bwd adds autograd::grad with a fixed
//    random grad_output (no .grad accumulation). Conv layers, the step and the evaluation
//    take cudnn_benchmark:0/1 (ember::cudnn::set_benchmark); TF32 for convolutions stays
//    at its default (on, as in PyTorch). BM_layer_graphed/<layer>/fwd_bwd replays the same
//    forward and backward captured as a CUDA graph: the GPU's own time, what a graphed step pays;
//    it and BM_epoch's graphed modes count what a replay launches (graph_kernels, graph_nodes).
//  - BM_epoch/{eager,graph,graph_bf16,graph_channels_last,eager_fp16} (issue 14): one training epoch of 60,000 random
//    images resident on the GPU, shuffled there (index_select), in batches of 128 (468 full
//    batches; the last 96 images are dropped, as --drop-last), capturable SGD; `graph` replays the whole step as a
//    CUDA graph (nn::GraphedStep, 3 warm-up steps before the timed epochs), `graph_bf16`
//    also runs forward and loss under bf16 autocast, `eager_fp16` eagerly under float16
//    autocast with amp::GradScaler (PyTorch's fp16 recipe; its inf check reads the host each
//    step, so it is not captured); 1 warm-up epoch, 5 timed. The twin is
//    `bench/pytorch_epoch.py` (eager, torch.cuda.graph, bf16, eager_fp16; torch.compile with --compile).
// Every benchmark reports the mean (gbench's time) and a `median_ms` counter; without a
// CUDA device each one is skipped with "no CUDA device" and the program exits 0.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <ember/ember.h>

#include "cuda/cudnn.h"
#include "cuda/graph_nodes.h"
#include "tools/small_cnn.h"

namespace {

namespace F = ember::nn::functional;
using ember::Device;
using ember::Tensor;
using Clock = std::chrono::steady_clock;

const Device kGpu = Device::cuda(0);
constexpr int64_t kBatch = 128;
constexpr int kWarmupSteps = 20;
constexpr int kTimedSteps = 200;
constexpr int64_t kEvalImages = 10000;
constexpr int64_t kEvalBatch = 1000;
constexpr int kLayerInner = 10;  // calls per timed iteration of a layer benchmark

bool skip_without_gpu(benchmark::State& state) {
  if (ember::cuda::is_available()) return false;
  state.SkipWithError("no CUDA device");
  return true;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// cudnn.benchmark for one benchmark, restored after it.
class CudnnBenchmarkScope {
 public:
  explicit CudnnBenchmarkScope(bool on) : previous_(ember::cudnn::benchmark()) { ember::cudnn::set_benchmark(on); }
  ~CudnnBenchmarkScope() { ember::cudnn::set_benchmark(previous_); }
  CudnnBenchmarkScope(const CudnnBenchmarkScope&) = delete;
  CudnnBenchmarkScope& operator=(const CudnnBenchmarkScope&) = delete;

 private:
  bool previous_;
};

// Runs `body` and turns an ember error (or any other) into a skipped benchmark, so one
// failing case does not end a short GPU session's run.
template <typename Body>
void guarded(benchmark::State& state, Body body) {
  if (skip_without_gpu(state)) return;
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// Host wall time of `body` per iteration, synchronising the device at its end.
template <typename Body>
void time_synchronized(benchmark::State& state, Body body) {
  std::vector<double> ms;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    body();
    ember::cuda::synchronize();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    state.SetIterationTime(s);
    ms.push_back(s * 1e3);
  }
  state.counters["median_ms"] = median(ms);
}

// GPU time of `body` per call from CUDA events around kLayerInner calls.
template <typename Body>
void time_with_events(benchmark::State& state, Body body) {
  ember::cuda::Event start, stop;
  body();  // warm-up (and cuDNN autotuning in benchmark mode)
  ember::cuda::synchronize();
  std::vector<double> ms;
  for (auto _ : state) {
    start.record();
    for (int i = 0; i < kLayerInner; ++i) body();
    stop.record();
    stop.synchronize();
    const double per_call_ms = static_cast<double>(start.elapsed_ms(stop)) / kLayerInner;
    state.SetIterationTime(per_call_ms / 1e3);
    ms.push_back(per_call_ms);
  }
  state.counters["median_ms"] = median(ms);
}

void BM_train_step(benchmark::State& state) {
  guarded(state, [&] {
    CudnnBenchmarkScope cudnn_benchmark(state.range(0) != 0);
    ember::manual_seed(0);
    auto model = ember::tools::make_small_cnn();
    model->to(kGpu);
    if (state.range(1) != 0) model->to(ember::MemoryFormat::ChannelsLast);
    model->train();
    ember::optim::SGD sgd(model->parameters(), {.lr = 0.05, .momentum = 0.9, .nesterov = true});
    const Tensor x = ember::randn({kBatch, 1, 28, 28}, ember::TensorOptions().device(kGpu));
    const Tensor y = ember::randint(0, 10, {kBatch}, ember::TensorOptions(ember::kInt64).device(kGpu));
    auto step = [&] {
      sgd.zero_grad(/*set_to_none=*/true);
      Tensor loss = F::cross_entropy((*model)(x), y);
      loss.backward();
      sgd.step();
    };
    for (int i = 0; i < kWarmupSteps; ++i) step();
    ember::cuda::synchronize();
    time_synchronized(state, step);
    state.SetItemsProcessed(state.iterations() * kBatch);
  });
}
BENCHMARK(BM_train_step)
    ->ArgNames({"cudnn_benchmark", "channels_last"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Iterations(kTimedSteps)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// graph_kernels / graph_nodes: what one replay of the step just captured launches (the
// kernels' names: EMBER_LOG_LEVEL=debug). A listing that failed leaves the counters out.
void set_graph_counters(benchmark::State& state) {
  const ember::cuda::GraphNodes nodes = ember::cuda::last_capture_nodes();
  if (nodes.total() == 0) return;
  state.counters["graph_kernels"] = static_cast<double>(nodes.kernels.size());
  state.counters["graph_nodes"] = static_cast<double>(nodes.total());
}

enum class EpochMode : int64_t { Eager = 0, Graph = 1, GraphBf16 = 2, GraphChannelsLast = 3, EagerFp16 = 4 };
constexpr int64_t kEpochImages = 60000;

void BM_epoch(benchmark::State& state) {
  guarded(state, [&] {
    const auto mode = static_cast<EpochMode>(state.range(0));
    ember::manual_seed(0);
    auto model = ember::tools::make_small_cnn();
    model->to(kGpu);
    if (mode == EpochMode::GraphChannelsLast) model->to(ember::MemoryFormat::ChannelsLast);
    model->train();
    const bool eager = mode == EpochMode::Eager || mode == EpochMode::EagerFp16;
    ember::optim::SGD sgd(model->parameters(), {.lr = 0.05, .momentum = 0.9, .nesterov = true, .capturable = !eager});
    ember::amp::GradScaler scaler;  // EagerFp16 only
    const Tensor images = ember::randn({kEpochImages, 1, 28, 28}, ember::TensorOptions().device(kGpu));
    const Tensor labels = ember::randint(0, 10, {kEpochImages}, ember::TensorOptions(ember::kInt64).device(kGpu));
    auto step = [&](const Tensor& x, const Tensor& y) {
      sgd.zero_grad(/*set_to_none=*/true);
      Tensor loss;
      {
        std::optional<ember::AutocastGuard> autocast;
        if (mode == EpochMode::GraphBf16) autocast.emplace(kGpu, ember::kBFloat16);
        if (mode == EpochMode::EagerFp16) autocast.emplace(kGpu, ember::kFloat16);
        loss = F::cross_entropy((*model)(x), y);
      }
      if (mode == EpochMode::EagerFp16) {
        scaler.scale(loss).backward();
        scaler.step(sgd);
        scaler.update();
        return;
      }
      loss.backward();
      sgd.step();
    };
    ember::nn::GraphedStep graphed([&](const std::vector<Tensor>& in) { step(in[0], in[1]); }, 3, "BM_epoch's step");
    // Each epoch shuffled on the device as ember train does (Note [Training data on the
    // GPU]): a host permutation uploaded, images and labels gathered by index_select.
    std::vector<int64_t> order(kEpochImages);
    std::iota(order.begin(), order.end(), int64_t{0});
    std::mt19937_64 shuffle_rng(0);
    auto epoch = [&] {
      std::shuffle(order.begin(), order.end(), shuffle_rng);
      const Tensor index = ember::tensor(order, {kEpochImages}, ember::dtype(ember::kInt64)).to(kGpu);
      const Tensor shuffled_images = images.index_select(0, index), shuffled_labels = labels.index_select(0, index);
      for (int64_t i = 0; i + kBatch <= kEpochImages; i += kBatch) {
        const Tensor x = shuffled_images.narrow(0, i, kBatch), y = shuffled_labels.narrow(0, i, kBatch);
        if (eager) step(x, y);
        else graphed({x, y});
      }
    };
    epoch();  // warm-up: cuDNN plans, the capture
    ember::cuda::synchronize();
    if (!eager && graphed.captured()) set_graph_counters(state);
    time_synchronized(state, epoch);
    state.SetItemsProcessed(state.iterations() * (kEpochImages / kBatch) * kBatch);
  });
}
BENCHMARK(BM_epoch)
    ->ArgName("eager0_graph1_graphbf16_2_graphcl_3_eagerfp16_4")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Arg(3)
    ->Arg(4)
    ->Iterations(5)
    ->Repetitions(1)  // 5 timed epochs already; the run's --benchmark_repetitions would make it 25
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_eval_10k_no_grad(benchmark::State& state) {
  guarded(state, [&] {
    CudnnBenchmarkScope cudnn_benchmark(state.range(0) != 0);
    ember::manual_seed(0);
    auto model = ember::tools::make_small_cnn();
    model->to(kGpu);
    model->eval();
    const Tensor x = ember::randn({kEvalImages, 1, 28, 28}, ember::TensorOptions().device(kGpu));
    const Tensor y = ember::randint(0, 10, {kEvalImages}, ember::TensorOptions(ember::kInt64).device(kGpu));
    auto evaluate = [&] {
      ember::NoGradGuard no_grad;
      int64_t correct = 0;
      for (int64_t i = 0; i < kEvalImages; i += kEvalBatch) {
        Tensor logits = (*model)(x.narrow(0, i, kEvalBatch));
        correct += (logits.argmax(1) == y.narrow(0, i, kEvalBatch)).to(ember::kInt64).sum().item<int64_t>();
      }
      benchmark::DoNotOptimize(correct);
    };
    evaluate();  // warm-up
    ember::cuda::synchronize();
    time_synchronized(state, evaluate);
    state.SetItemsProcessed(state.iterations() * kEvalImages);
  });
}
BENCHMARK(BM_eval_10k_no_grad)
    ->ArgName("cudnn_benchmark")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// One layer of the model at its shape: the forward, and the tensors backward
// differentiates with respect to (those that require grad in the model).
struct LayerCase {
  std::function<Tensor()> forward;
  std::vector<Tensor> grad_inputs;
};

struct LayerSpec {
  const char* name;  // the same names as pytorch_train.py's per-layer keys
  bool uses_conv;    // takes the cudnn_benchmark argument
  std::function<LayerCase()> make;
};

ember::TensorOptions gpu(bool requires_grad = false) {
  return ember::TensorOptions().device(kGpu).requires_grad(requires_grad);
}

// 3x3 convolution, padding 1; the first layer's input (the images) needs no grad.
LayerCase conv_case(int64_t cin, int64_t cout, int64_t hw, bool input_grad) {
  Tensor x = ember::randn({kBatch, cin, hw, hw}, gpu(input_grad));
  Tensor w = ember::randn({cout, cin, 3, 3}, gpu(true));
  Tensor b = ember::randn({cout}, gpu(true));
  LayerCase c;
  c.forward = [x, w, b] { return F::conv2d(x, w, b, 1, 1); };
  c.grad_inputs = input_grad ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{w, b};
  return c;
}

// BatchNorm2d's functional form: affine, momentum 0.1, eps 1e-5, running statistics
// updated in train mode. A bfloat16 x (as under autocast) keeps float32 weight and statistics.
LayerCase batch_norm_case(int64_t channels, int64_t hw, bool training, ember::DType dtype = ember::kFloat32) {
  Tensor x = ember::randn({kBatch, channels, hw, hw}, gpu()).to(dtype).requires_grad_(true);
  Tensor weight = ember::ones({channels}, gpu(true));
  Tensor bias = ember::zeros({channels}, gpu(true));
  Tensor running_mean = ember::zeros({channels}, gpu());
  Tensor running_var = ember::ones({channels}, gpu());
  LayerCase c;
  c.forward = [=] { return F::batch_norm(x, running_mean, running_var, weight, bias, training, 0.1, 1e-5); };
  c.grad_inputs = {x, weight, bias};
  return c;
}

LayerCase max_pool_case(int64_t channels, int64_t hw) {
  Tensor x = ember::randn({kBatch, channels, hw, hw}, gpu(true));
  LayerCase c;
  c.forward = [x] { return F::max_pool2d(x, 2); };
  c.grad_inputs = {x};
  return c;
}

LayerCase relu_case(int64_t channels, int64_t hw) {
  Tensor x = ember::randn({kBatch, channels, hw, hw}, gpu(true));
  LayerCase c;
  c.forward = [x] { return F::relu(x); };
  c.grad_inputs = {x};
  return c;
}

LayerCase linear_case(int64_t in, int64_t out) {
  Tensor x = ember::randn({kBatch, in}, gpu(true));
  Tensor w = ember::randn({out, in}, gpu(true));
  Tensor b = ember::randn({out}, gpu(true));
  LayerCase c;
  c.forward = [x, w, b] { return F::linear(x, w, b); };
  c.grad_inputs = {x, w, b};
  return c;
}

LayerCase dropout_case(double p, int64_t features) {
  Tensor x = ember::randn({kBatch, features}, gpu(true));
  LayerCase c;
  c.forward = [x, p] { return F::dropout(x, p, /*training=*/true); };
  c.grad_inputs = {x};
  return c;
}

const std::vector<LayerSpec>& layer_specs() {
  static const std::vector<LayerSpec> specs{
      {"conv2d_1to32_28x28", true, [] { return conv_case(1, 32, 28, false); }},
      {"conv2d_32to64_14x14", true, [] { return conv_case(32, 64, 14, true); }},
      {"batch_norm_train_32x28x28", false, [] { return batch_norm_case(32, 28, true); }},
      {"batch_norm_eval_32x28x28", false, [] { return batch_norm_case(32, 28, false); }},
      {"batch_norm_train_64x14x14", false, [] { return batch_norm_case(64, 14, true); }},
      {"batch_norm_eval_64x14x14", false, [] { return batch_norm_case(64, 14, false); }},
      {"batch_norm_train_bf16_32x28x28", false, [] { return batch_norm_case(32, 28, true, ember::kBFloat16); }},
      {"max_pool2d_32x28x28", false, [] { return max_pool_case(32, 28); }},
      {"max_pool2d_64x14x14", false, [] { return max_pool_case(64, 14); }},
      {"dropout_p0.25_3136", false, [] { return dropout_case(0.25, 64 * 7 * 7); }},
      {"relu_32x28x28", false, [] { return relu_case(32, 28); }},
      {"linear_3136to128", false, [] { return linear_case(64 * 7 * 7, 128); }},
  };
  return specs;
}

// A random gradient for the case's output, in the output's dtype (as the twin's randn_like).
Tensor gradient_for(const LayerCase& c) {
  ember::NoGradGuard no_grad;
  const Tensor out = c.forward();
  return ember::randn(out.sizes(), gpu()).to(out.dtype());
}

void BM_layer(benchmark::State& state, const LayerSpec* spec, bool backward) {
  guarded(state, [&] {
    CudnnBenchmarkScope cudnn_benchmark(spec->uses_conv ? state.range(0) != 0 : ember::cudnn::benchmark());
    ember::manual_seed(0);
    const LayerCase c = spec->make();
    const Tensor grad_out = gradient_for(c);
    if (backward) {
      time_with_events(state, [&] {
        Tensor out = c.forward();
        benchmark::DoNotOptimize(ember::autograd::grad({out}, c.grad_inputs, {grad_out}));
      });
    } else {
      time_with_events(state, [&] { benchmark::DoNotOptimize(c.forward()); });
    }
  });
}

// The same forward and backward captured as one CUDA graph (nn::GraphedStep) and replayed:
// the GPU's time for the layer without the host's launches, what a graphed step pays for it.
void BM_layer_graphed(benchmark::State& state, const LayerSpec* spec) {
  guarded(state, [&] {
    ember::manual_seed(0);
    const LayerCase c = spec->make();
    const Tensor grad_out = gradient_for(c);
    ember::nn::GraphedStep graphed(
        [&](const std::vector<Tensor>&) {
          Tensor out = c.forward();
          benchmark::DoNotOptimize(ember::autograd::grad({out}, c.grad_inputs, {grad_out}));
        },
        3, "BM_layer_graphed's layer");
    const std::vector<Tensor> token{ember::zeros({1}, gpu())};  // GraphedStep's (unused) static input
    for (int i = 0; i < 4 && !graphed.captured(); ++i) graphed(token);
    if (!graphed.captured()) {
      state.SkipWithError("the layer's forward and backward were not captured");
      return;
    }
    set_graph_counters(state);
    time_with_events(state, [&] { graphed(token); });
  });
}

void register_layer_benchmarks() {
  for (const LayerSpec& spec : layer_specs()) {
    for (bool backward : {false, true}) {
      const std::string name = std::string("BM_layer/") + spec.name + (backward ? "/fwd_bwd" : "/fwd");
      auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_layer, &spec, backward);
      if (spec.uses_conv) b->ArgName("cudnn_benchmark")->Arg(0)->Arg(1);
      b->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
  for (const LayerSpec& spec : layer_specs()) {
    const std::string name = std::string("BM_layer_graphed/") + spec.name + "/fwd_bwd";
    benchmark::RegisterBenchmark(name.c_str(), BM_layer_graphed, &spec)->UseManualTime()->Unit(
        benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_layer_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("cudnn_version", std::to_string(ember::cudnn::version()));
  benchmark::AddCustomContext("cudnn_allow_tf32", ember::cudnn::allow_tf32() ? "1" : "0");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
