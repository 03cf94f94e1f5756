// CPU grid_sample forward (core/grid_sample_math.h): rows of grid points in parallel, each
// point's source position found once and every channel sampled there, as CUDA's threads do.
#include <algorithm>
#include <cstdint>

#include "core/cpu/kernels.h"
#include "core/dtype.h"
#include "core/grid_sample_math.h"
#include "core/parallel.h"

namespace ember::cpu {

void grid_sample_forward(const Tensor& input, const Tensor& grid, const GridSampleLayout& l, const Tensor& out) {
  visit_floating(input.dtype(), "grid_sample", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = input.data_ptr<T>();
    const T* g = grid.data_ptr<T>();
    T* o = out.data_ptr<T>();
    // rows (n, h) of grid points in parallel; no division per point
    const int64_t rows = l.N * l.Ho;
    parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 8 * l.C * l.Wo)),
                 [&](int64_t lo, int64_t hi) {
                   const GridSampleLayout layout = l;
                   for (int64_t row = lo; row < hi; ++row) {
                     const int64_t n = row / layout.Ho, h = row % layout.Ho;
                     for (int64_t w = 0; w < layout.Wo; ++w) grid_sample_math::sample_point(in, g, layout, n, h, w, o);
                   }
                 });
  });
}

}  // namespace ember::cpu
