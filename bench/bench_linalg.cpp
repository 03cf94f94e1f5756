// linalg on the CPU, forward + backward, float64: svd of [64, 64] (loss: the singular values
// and the squares of U and Vh), eigh of a symmetric [128, 128] (eigenvalues and squared
// eigenvectors), qr of [256, 64], lstsq of [512, 32] by [512, 4], solve_triangular of
// [256, 256] by [256, 16], matrix_exp of [64, 64] and cholesky of a positive-definite
// [256, 256] (LAPACK's potrf). Twin: bench/pytorch_linalg.py.
#include <benchmark/benchmark.h>
#include <ember/ember.h>

#include <functional>

namespace {

using ember::Tensor;
namespace linalg = ember::linalg;

// Times fn(x).backward() for a float64 leaf x of `shape` drawn by make (seed 0).
void run(benchmark::State& state, const std::function<Tensor()>& make,
         const std::function<Tensor(const Tensor&)>& loss) {
  ember::manual_seed(0);
  Tensor x = make().requires_grad_(true);
  for (auto _ : state) {
    ember::nn::zero_grad_of(x, true);
    loss(x).backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

Tensor randn64(const ember::Dims& shape) { return ember::randn(shape, ember::kFloat64); }

void BM_ember_svd_64_forward_backward(benchmark::State& state) {
  run(
      state,
      [] {
        return randn64({64, 64});
      },
      [](const Tensor& x) {
        const auto [U, S, Vh] = linalg::svd(x, false);
        return S.sum() + (U * U).sum() * 0.5 + (Vh * Vh).sum() * 0.25;
      });
}

void BM_ember_eigh_128_forward_backward(benchmark::State& state) {
  run(
      state,
      [] {
        return randn64({128, 128});
      },
      [](const Tensor& x) {
        const auto [L, V] = linalg::eigh(x + x.t());
        return L.sum() + (V * V).select(0, 0).sum();
      });
}

void BM_ember_qr_256x64_forward_backward(benchmark::State& state) {
  run(
      state,
      [] {
        return randn64({256, 64});
      },
      [](const Tensor& x) {
        const auto [Q, R] = linalg::qr(x);
        return Q.sum() + R.sum();
      });
}

void BM_ember_lstsq_512x32_forward_backward(benchmark::State& state) {
  const Tensor B = (ember::manual_seed(1), randn64({512, 4}));
  run(
      state,
      [] {
        return randn64({512, 32});
      },
      [&](const Tensor& x) { return linalg::lstsq(x, B, std::nullopt, "gelsd").solution.sum(); });
}

void BM_ember_solve_triangular_256_forward_backward(benchmark::State& state) {
  const Tensor B = (ember::manual_seed(1), randn64({256, 16}));
  run(
      state,
      [] {
        return randn64({256, 256}) + ember::eye(256, ember::kFloat64) * 16.0;
      },
      [&](const Tensor& x) { return linalg::solve_triangular(x, B, /*upper=*/true).sum(); });
}

void BM_ember_matrix_exp_64_forward_backward(benchmark::State& state) {
  run(
      state,
      [] {
        return randn64({64, 64}) * 0.125;
      },
      [](const Tensor& x) { return linalg::matrix_exp(x).sum(); });
}

void BM_ember_cholesky_256_forward_backward(benchmark::State& state) {
  run(
      state,
      [] {
        return randn64({256, 256});
      },
      [](const Tensor& x) {
        const Tensor spd = ember::matmul(x, x.t()) + ember::eye(256, ember::kFloat64) * 256.0;
        return linalg::cholesky(spd).sum();
      });
}

}  // namespace

BENCHMARK(BM_ember_svd_64_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_eigh_128_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_qr_256x64_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_lstsq_512x32_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_solve_triangular_256_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_matrix_exp_64_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_cholesky_256_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
