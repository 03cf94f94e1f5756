// Higher-order gradients on the CPU: one WGAN-GP critic step at batch 64 (the critic's
// loss plus 10 x the gradient penalty, whose gradient is a second derivative through two
// strided convolutions, leaky ReLU and a linear layer), and a Hessian-vector product of
// a small classifier's cross_entropy, by hand and through autograd::functional (hvp, vhp,
// and the input-output Jacobian of a small MLP). Twin: bench/pytorch_higher_order.py.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

namespace {

namespace F = ember::nn::functional;
using ember::Tensor;

std::shared_ptr<ember::nn::Sequential> make_critic() {
  return std::make_shared<ember::nn::Sequential>(std::vector<std::shared_ptr<ember::nn::Module>>{
      std::make_shared<ember::nn::Conv2d>(1, 32, 4, ember::nn::Conv2dOptions{.stride = 2, .padding = 1}),
      std::make_shared<ember::nn::LeakyReLU>(0.2),
      std::make_shared<ember::nn::Conv2d>(32, 64, 4, ember::nn::Conv2dOptions{.stride = 2, .padding = 1}),
      std::make_shared<ember::nn::LeakyReLU>(0.2), std::make_shared<ember::nn::Flatten>(),
      std::make_shared<ember::nn::Linear>(64 * 7 * 7, 1)});
}

void BM_ember_wgan_gp_critic_step_batch64(benchmark::State& state) {
  ember::manual_seed(0);
  auto critic = make_critic();
  ember::optim::Adam adam(critic->parameters(), {.lr = 1e-4});
  const Tensor real = ember::randn({64, 1, 28, 28}), fake = ember::randn({64, 1, 28, 28});
  const Tensor alpha = ember::rand({64, 1, 1, 1});
  for (auto _ : state) {
    adam.zero_grad();
    Tensor mixed = (alpha * real + (1.0 - alpha) * fake).requires_grad_(true);
    Tensor g = ember::autograd::grad({(*critic)(mixed).sum()}, {mixed}, {}, std::nullopt, /*create_graph=*/true)[0];
    Tensor penalty = (g.flatten(1).pow(2.0).sum({1}).sqrt() - 1.0).pow(2.0).mean();
    Tensor loss = (*critic)(fake).mean() - (*critic)(real).mean() + penalty * 10.0;
    loss.backward();
    adam.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * 64);
}

void BM_ember_cross_entropy_hvp(benchmark::State& state) {
  ember::manual_seed(0);
  const Tensor x = ember::randn({256, 784});
  const Tensor targets = ember::randint(0, 10, {256});
  const Tensor w1 = (ember::randn({128, 784}) * 0.03).requires_grad_(true);
  const Tensor w2 = (ember::randn({10, 128}) * 0.1).requires_grad_(true);
  const Tensor v1 = ember::randn({128, 784}), v2 = ember::randn({10, 128});
  for (auto _ : state) {
    Tensor loss = F::cross_entropy(F::linear(F::linear(x, w1).tanh(), w2), targets);
    auto g = ember::autograd::grad({loss}, {w1, w2}, {}, std::nullopt, /*create_graph=*/true);
    auto hv = ember::autograd::grad({(g[0] * v1).sum() + (g[1] * v2).sum()}, {w1, w2});
    benchmark::DoNotOptimize(hv[0].data_ptr());
  }
}

// The classifier's loss as a function of its two weight matrices (fixed inputs).
struct Classifier {
  Tensor x = ember::randn({256, 784});
  Tensor targets = ember::randint(0, 10, {256});
  ember::autograd::tensor_list weights{ember::randn({128, 784}) * 0.03, ember::randn({10, 128}) * 0.1};
  ember::autograd::tensor_list v{ember::randn({128, 784}), ember::randn({10, 128})};
  Tensor loss(const ember::autograd::tensor_list& w) const {
    return F::cross_entropy(F::linear(F::linear(x, w[0]).tanh(), w[1]), targets);
  }
};

// state.range(0): 0 vhp, 1 hvp (the double-backward trick: one backward more)
void BM_ember_functional_hessian_vector(benchmark::State& state) {
  ember::manual_seed(0);
  const Classifier c;
  const auto loss = [&c](const ember::autograd::tensor_list& w) { return c.loss(w); };
  for (auto _ : state) {
    auto [value, product] = state.range(0) == 0 ? ember::autograd::functional::vhp(loss, c.weights, c.v)
                                                : ember::autograd::functional::hvp(loss, c.weights, c.v);
    benchmark::DoNotOptimize(product[0].data_ptr());
  }
}

// The Jacobian of a 64-256-10 tanh MLP's logits for 16 inputs with respect to the inputs:
// [16, 10, 16, 64], 160 backwards.
void BM_ember_functional_jacobian(benchmark::State& state) {
  ember::manual_seed(0);
  const Tensor w1 = ember::randn({256, 64}) * 0.1, w2 = ember::randn({10, 256}) * 0.1;
  const Tensor x = ember::randn({16, 64});
  const auto mlp = [&](const Tensor& in) { return F::linear(F::linear(in, w1).tanh(), w2); };
  for (auto _ : state) benchmark::DoNotOptimize(ember::autograd::functional::jacobian(mlp, x).data_ptr());
}

}  // namespace

BENCHMARK(BM_ember_functional_hessian_vector)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_functional_jacobian)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_wgan_gp_critic_step_batch64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_cross_entropy_hvp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
