// libtorch twin of bench_indexing.cpp: the same gather / scatter_add / index_select,
// grid_sample, nonzero and masked_select workloads through libtorch's C++ API
// (grid_sampler's modes: 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros). Both take
// their thread count from OMP_NUM_THREADS.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

// Times op() (which returns a fresh tensor).
template <typename Op>
void time_op(benchmark::State& state, int64_t elements, const Op& op) {
  for (auto _ : state) {
    torch::Tensor out = op();
    benchmark::DoNotOptimize(out.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * elements);
}

// self [rows, cols] and an index of the same shape with values in [0, self.size(dim)).
struct IndexCase {
  torch::Tensor self, index;
};
IndexCase index_case(int64_t rows, int64_t cols, int64_t dim) {
  torch::manual_seed(0);
  const int64_t extent = dim == 0 ? rows : cols;
  return {torch::randn({rows, cols}), torch::randint(0, extent, {rows, cols})};
}

void BM_libtorch_gather(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1), dim = state.range(2);
  const IndexCase c = index_case(rows, cols, dim);
  time_op(state, c.index.numel(), [&] { return torch::gather(c.self, dim, c.index); });
}

void BM_libtorch_scatter_add(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1), dim = state.range(2);
  const IndexCase c = index_case(rows, cols, dim);
  const torch::Tensor src = torch::randn({rows, cols});
  time_op(state, c.index.numel(), [&] { return torch::scatter_add(c.self, dim, c.index, src); });
}

// index_select of as many slices as the dim has, at random positions.
void BM_libtorch_index_select(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1), dim = state.range(2);
  const IndexCase c = index_case(rows, cols, dim);
  const torch::Tensor positions = torch::randint(0, c.self.size(dim), {c.self.size(dim)});
  time_op(state, c.self.numel(), [&] { return torch::index_select(c.self, dim, positions); });
}

// nonzero and masked_select of a 1M-element mask (1 << 20 normal values above 0.5: about
// 31% true), the mask made once.
void BM_libtorch_nonzero_1M(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor mask = torch::randn({1 << 20}) > 0.5;
  time_op(state, mask.numel(), [&] { return mask.nonzero(); });
}

void BM_libtorch_masked_select_1M(benchmark::State& state) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({1 << 20});
  const torch::Tensor mask = x > 0.5;
  time_op(state, mask.numel(), [&] { return x.masked_select(mask); });
}

// RandomRotation's workload: a [128, 2, 28, 28] batch at points a little past [-1, 1].
struct SampleCase {
  torch::Tensor input, grid;
};
SampleCase sample_case(bool requires_grad) {
  torch::manual_seed(0);
  SampleCase c{torch::randn({128, 2, 28, 28}), torch::rand({128, 28, 28, 2}) * 2.2 - 1.1};
  c.input.requires_grad_(requires_grad);
  c.grid.requires_grad_(requires_grad);
  return c;
}

void BM_libtorch_grid_sample(benchmark::State& state, int64_t mode) {
  const SampleCase c = sample_case(false);
  time_op(state, c.input.numel(), [&] { return torch::grid_sampler(c.input, c.grid, mode, 0, false); });
}

// Forward and backward to the input and the grid.
void BM_libtorch_grid_sample_backward(benchmark::State& state, int64_t mode) {
  const SampleCase c = sample_case(true);
  for (auto _ : state) {
    torch::grid_sampler(c.input, c.grid, mode, 0, false).sum().backward();
    benchmark::DoNotOptimize(c.input.grad().data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * c.input.numel());
}

// {rows, cols, dim}
void index_shapes(benchmark::internal::Benchmark* b) {
  b->Args({128, 1008, 0})->Args({128, 1008, 1})->Args({1024, 1024, 0})->Args({1024, 1024, 1});
  b->ArgNames({"rows", "cols", "dim"})->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_libtorch_gather)->Apply(index_shapes);
BENCHMARK(BM_libtorch_scatter_add)->Apply(index_shapes);
BENCHMARK(BM_libtorch_index_select)->Apply(index_shapes);
BENCHMARK(BM_libtorch_nonzero_1M)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_libtorch_masked_select_1M)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_libtorch_grid_sample, nearest_128x2x28x28, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_libtorch_grid_sample, bilinear_128x2x28x28, 0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_libtorch_grid_sample_backward, nearest_128x2x28x28, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_libtorch_grid_sample_backward, bilinear_128x2x28x28, 0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_libtorch_grid_sample, bicubic_128x2x28x28, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_libtorch_grid_sample_backward, bicubic_128x2x28x28, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
