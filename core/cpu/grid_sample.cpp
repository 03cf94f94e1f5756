// CPU grid_sample kernels (core/grid_sample_math.h): the forward by rows of grid points in
// parallel, each point's source position found once and every channel sampled there, as
// CUDA's threads do; the backward by images in parallel (an image's points add into its own
// input gradient only), or by rows when only the grid's gradient is wanted.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/cpu/kernels.h"
#include "core/dtype.h"
#include "core/grid_sample_math.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

// rows (n, h) of grid points in parallel, `point(layout, n, h, w)` for each, with a local
// copy of the layout (kept in registers); no division per point
template <typename PointFn>
void for_each_grid_row(const GridSampleLayout& l, const PointFn& point) {
  parallel_for(0, l.N * l.Ho, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 8 * l.C * l.Wo)),
               [&](int64_t lo, int64_t hi) {
                 const GridSampleLayout layout = l;
                 for (int64_t row = lo; row < hi; ++row) {
                   const int64_t n = row / layout.Ho, h = row % layout.Ho;
                   for (int64_t w = 0; w < layout.Wo; ++w) point(layout, n, h, w);
                 }
               });
}

}  // namespace

void grid_sample_forward(const Tensor& input, const Tensor& grid, const GridSampleLayout& l, const Tensor& out) {
  visit_floating(input.dtype(), "grid_sample", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = input.data_ptr<T>();
    const T* g = grid.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for_each_grid_row(l, [&](const GridSampleLayout& layout, int64_t n, int64_t h, int64_t w) {
      grid_sample_math::sample_point(in, g, layout, n, h, w, o);
    });
  });
}

void grid_sample_backward(const Tensor& grad, const Tensor& input, const Tensor& grid, const GridSampleLayout& l,
                          const Tensor& grad_input, const Tensor& grad_grid) {
  visit_floating(grid.dtype(), "grid_sample backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* go = grad.data_ptr<T>();
    const T* in = input.defined() ? input.data_ptr<T>() : nullptr;  // read for the grid's bilinear gradient
    const T* g = grid.data_ptr<T>();
    T* gi = grad_input.defined() ? grad_input.data_ptr<T>() : nullptr;
    T* gg = grad_grid.defined() ? grad_grid.data_ptr<T>() : nullptr;
    const auto add = [](T* address, T value) { *address += value; };
    if (gi == nullptr) {
      for_each_grid_row(l, [&](const GridSampleLayout& layout, int64_t n, int64_t h, int64_t w) {
        grid_sample_math::sample_point_backward(go, in, g, layout, n, h, w, gi, gg, add);
      });
      return;
    }
    const int64_t image = l.C * l.H * l.W;
    parallel_for(0, l.N, 1, [&](int64_t lo, int64_t hi) {
      const GridSampleLayout layout = l;
      for (int64_t n = lo; n < hi; ++n) {
        std::memset(gi + n * image, 0, static_cast<size_t>(image) * sizeof(T));
        for (int64_t h = 0; h < layout.Ho; ++h)
          for (int64_t w = 0; w < layout.Wo; ++w)
            grid_sample_math::sample_point_backward(go, in, g, layout, n, h, w, gi, gg, add);
      }
    });
  });
}

}  // namespace ember::cpu
