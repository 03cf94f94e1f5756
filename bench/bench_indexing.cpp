// Indexing and sampling ops on the CPU through the whole API: gather along each dim of
// [128, 1008] and [1024, 1024] float32, scatter_add and index_select on the same shapes,
// and grid_sample (nearest, bilinear, bicubic; zeros padding, align_corners false) of a
// [128, 2, 28, 28] batch at a [128, 28, 28, 2] grid, forward and backward; nonzero and
// masked_select of a 1M-element mask. Twin: bench/libtorch_indexing.cpp.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

namespace {

namespace F = ember::nn::functional;

// Times op() (which returns a fresh tensor).
template <typename Op>
void time_op(benchmark::State& state, int64_t elements, const Op& op) {
  for (auto _ : state) {
    ember::Tensor out = op();
    benchmark::DoNotOptimize(out.impl_ptr().get());
  }
  state.SetItemsProcessed(state.iterations() * elements);
}

// self [rows, cols] and an index of the same shape with values in [0, self.size(dim)).
struct IndexCase {
  ember::Tensor self, index;
};
IndexCase index_case(int64_t rows, int64_t cols, int64_t dim) {
  ember::manual_seed(0);
  const int64_t extent = dim == 0 ? rows : cols;
  return {ember::randn({rows, cols}), ember::randint(0, extent, {rows, cols})};
}

void BM_ember_gather(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1), dim = state.range(2);
  const IndexCase c = index_case(rows, cols, dim);
  time_op(state, c.index.numel(), [&] { return ember::gather(c.self, dim, c.index); });
}

void BM_ember_scatter_add(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1), dim = state.range(2);
  const IndexCase c = index_case(rows, cols, dim);
  const ember::Tensor src = ember::randn({rows, cols});
  time_op(state, c.index.numel(), [&] { return ember::scatter_add(c.self, dim, c.index, src); });
}

// index_select of as many slices as the dim has, at random positions.
void BM_ember_index_select(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1), dim = state.range(2);
  const IndexCase c = index_case(rows, cols, dim);
  const ember::Tensor positions = ember::randint(0, c.self.size(dim), {c.self.size(dim)});
  time_op(state, c.self.numel(), [&] { return ember::index_select(c.self, dim, positions); });
}

// nonzero and masked_select of a 1M-element mask (1 << 20 normal values above 0.5: about
// 31% true), the mask made once.
void BM_ember_nonzero_1M(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor mask = ember::randn({1 << 20}) > 0.5;
  time_op(state, mask.numel(), [&] { return mask.nonzero(); });
}

void BM_ember_masked_select_1M(benchmark::State& state) {
  ember::manual_seed(0);
  const ember::Tensor x = ember::randn({1 << 20});
  const ember::Tensor mask = x > 0.5;
  time_op(state, mask.numel(), [&] { return x.masked_select(mask); });
}

// RandomRotation's workload: a [128, 2, 28, 28] batch at points a little past [-1, 1].
struct SampleCase {
  ember::Tensor input, grid;
};
SampleCase sample_case(bool requires_grad) {
  ember::manual_seed(0);
  SampleCase c{ember::randn({128, 2, 28, 28}), ember::rand({128, 28, 28, 2}) * 2.2 - 1.1};
  c.input.requires_grad_(requires_grad);
  c.grid.requires_grad_(requires_grad);
  return c;
}

void BM_ember_grid_sample(benchmark::State& state, const char* mode) {
  const SampleCase c = sample_case(false);
  time_op(state, c.input.numel(), [&] { return F::grid_sample(c.input, c.grid, mode, "zeros", false); });
}

// Forward and backward to the input and the grid.
void BM_ember_grid_sample_backward(benchmark::State& state, const char* mode) {
  const SampleCase c = sample_case(true);
  for (auto _ : state) {
    F::grid_sample(c.input, c.grid, mode, "zeros", false).sum().backward();
    benchmark::DoNotOptimize(c.input.grad().impl_ptr().get());
  }
  state.SetItemsProcessed(state.iterations() * c.input.numel());
}

// {rows, cols, dim}
void index_shapes(benchmark::internal::Benchmark* b) {
  b->Args({128, 1008, 0})->Args({128, 1008, 1})->Args({1024, 1024, 0})->Args({1024, 1024, 1});
  b->ArgNames({"rows", "cols", "dim"})->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_ember_gather)->Apply(index_shapes);
BENCHMARK(BM_ember_scatter_add)->Apply(index_shapes);
BENCHMARK(BM_ember_index_select)->Apply(index_shapes);
BENCHMARK(BM_ember_nonzero_1M)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ember_masked_select_1M)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ember_grid_sample, nearest_128x2x28x28, "nearest")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ember_grid_sample, bilinear_128x2x28x28, "bilinear")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ember_grid_sample_backward, nearest_128x2x28x28, "nearest")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ember_grid_sample_backward, bilinear_128x2x28x28, "bilinear")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ember_grid_sample, bicubic_128x2x28x28, "bicubic")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ember_grid_sample_backward, bicubic_128x2x28x28, "bicubic")->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
