// End-to-end benchmarks of the small CNN on the CPU: one SGD training step at batch 128
// and evaluating the 10k Fashion-MNIST test images under eval() + no_grad.
// Twin: bench/pytorch_train.py (Debian's python3-torch, 2 threads).
#include <benchmark/benchmark.h>

#include <ember/ember.h>

#include "tools/small_cnn.h"

namespace {

const ember::data::FashionMNIST& test_set() {
  static ember::data::FashionMNIST ds(ember::data::FashionMNIST::kDefaultRoot, ember::data::Split::Test);
  return ds;
}

void BM_ember_train_step_batch128(benchmark::State& state) {
  ember::manual_seed(0);
  auto model = ember::tools::make_small_cnn();
  ember::optim::SGD sgd(model->parameters(), {.lr = 0.05, .momentum = 0.9, .nesterov = true});
  const auto& ds = test_set();
  ember::Tensor x = ds.inputs().narrow(0, 0, 128).contiguous();
  ember::Tensor y = ds.targets().narrow(0, 0, 128).contiguous();
  for (auto _ : state) {
    sgd.zero_grad();
    ember::Tensor loss = ember::nn::functional::cross_entropy((*model)(x), y);
    loss.backward();
    sgd.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * 128);
}

void BM_ember_eval_test_set_no_grad(benchmark::State& state) {
  auto model = ember::tools::make_small_cnn();
  model->eval();
  const auto& ds = test_set();
  for (auto _ : state) {
    ember::NoGradGuard no_grad;
    int64_t correct = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(ds.size()); i += 1000) {
      ember::Tensor logits = (*model)(ds.inputs().narrow(0, i, 1000));
      correct += (logits.argmax(1) == ds.targets().narrow(0, i, 1000)).to(ember::kInt64).sum().item<int64_t>();
    }
    benchmark::DoNotOptimize(correct);
  }
}

}  // namespace

BENCHMARK(BM_ember_train_step_batch128)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_eval_test_set_no_grad)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_MAIN();
