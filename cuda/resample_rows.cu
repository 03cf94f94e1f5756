// CUDA resampling by taps: a thread per output element (its taps summed in order) and, for
// the transpose, a thread per input column (q, r), which zeroes it and adds every output
// row's taps in (o, k) order, so no atomics and the CPU's sums bit for bit (nothing
// contracted: fused::mul_rn, add_rn). Each thread's math is core/resample_layout.h's.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/dtype.h"
#include "core/resample_layout.h"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"
#include "cuda/resample_rows.h"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::for_each_index;
using cuda::detail::grid_stride_blocks;
using cuda::detail::kThreadsPerBlock;

template <typename T>
__global__ void resample_kernel(const T* __restrict__ x, const int64_t* __restrict__ index,
                                const T* __restrict__ weight, ResampleLayout l, T* __restrict__ out) {
  for_each_index(l.out_numel(), [&](int64_t i) { out[i] = resampled_element(x, index, weight, l, i); });
}

template <typename T>
__global__ void transpose_kernel(const T* __restrict__ g, const int64_t* __restrict__ index,
                                 const T* __restrict__ weight, ResampleLayout l, T* __restrict__ gx) {
  for_each_index(l.columns(), [&](int64_t c) { resample_transpose_column(g, index, weight, l, c, gx); });
}

}  // namespace

void resample_rows(const Tensor& x, const Tensor& index, const Tensor& weight, const ResampleLayout& l,
                   const Tensor& out) {
  if (l.out_numel() == 0) return;
  visit_floating(x.dtype(), "resample_rows", [&](auto tag) {
    using T = typename decltype(tag)::type;
    resample_kernel<T><<<grid_stride_blocks(l.out_numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        x.data_ptr<T>(), index.data_ptr<int64_t>(), weight.data_ptr<T>(), l, out.data_ptr<T>());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void resample_rows_transpose(const Tensor& g, const Tensor& index, const Tensor& weight, const ResampleLayout& l,
                             const Tensor& gx) {
  if (l.columns() == 0 || l.in == 0) return;
  visit_floating(g.dtype(), "resample_rows_transpose", [&](auto tag) {
    using T = typename decltype(tag)::type;
    transpose_kernel<T><<<grid_stride_blocks(l.columns()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        g.data_ptr<T>(), index.data_ptr<int64_t>(), weight.data_ptr<T>(), l, gx.data_ptr<T>());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
