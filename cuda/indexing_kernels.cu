// CUDA index_select (a thread per output element, moved as a word of its size: one kernel
// per element size) and index_add, its gradient (a thread per source element, added
// atomically: cuda/atomics.cuh). Bad indices go to the device error word; the element
// math is core/index_layout.h's, as the CPU kernels'.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/bfloat16.h"
#include "core/index_layout.h"
#include "cuda/atomics.cuh"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::atomic_add;
using cuda::detail::current_raw_stream;
using cuda::detail::grid_stride_blocks;
using cuda::detail::kThreadsPerBlock;

// fn(i, s) for each element i of the selected [outer, count, inner] (grid-stride), s the
// input element its index picks; an index out of range goes to the device error word.
template <typename Fn>
__device__ void for_each_selected(const IndexLayout& l, const int64_t* __restrict__ index, int64_t n,
                                  unsigned long long* error_word, Fn fn) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const IndexLayout::Element e = l.element(i);
    const int64_t v = index[e.position];
    if (l.in_range(v)) fn(i, l.source(e, v));
    else cuda::detail::report_device_error(error_word, cuda::detail::kIndexOutOfRange, v);
  }
}

template <typename Word>
__global__ void index_select_kernel(const Word* __restrict__ in, const int64_t* __restrict__ index,
                                    Word* __restrict__ out, IndexLayout l, int64_t n, unsigned long long* error_word) {
  for_each_selected(l, index, n, error_word, [&](int64_t i, int64_t s) { out[i] = in[s]; });
}

template <typename T>
__global__ void index_add_kernel(T* self, const int64_t* __restrict__ index, const T* __restrict__ source,
                                 IndexLayout l, int64_t n, unsigned long long* error_word) {
  for_each_selected(l, index, n, error_word, [&](int64_t i, int64_t s) { atomic_add(self + s, source[i]); });
}

template <typename Word>
void launch_index_select(const Tensor& in, const Tensor& index, const IndexLayout& l, const Tensor& out) {
  const int64_t n = l.selected_numel();
  index_select_kernel<Word><<<grid_stride_blocks(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
      static_cast<const Word*>(in.data_ptr()), index.data_ptr<int64_t>(), static_cast<Word*>(out.data_ptr()), l, n,
      cuda::detail::device_error_word());
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace

void index_select(const Tensor& in, const Tensor& index, const IndexLayout& l, const Tensor& out) {
  if (l.selected_numel() == 0) return;
  switch (itemsize(in.dtype())) {
    case 1: return launch_index_select<uint8_t>(in, index, l, out);
    case 2: return launch_index_select<uint16_t>(in, index, l, out);
    case 4: return launch_index_select<uint32_t>(in, index, l, out);
    case 8: return launch_index_select<uint64_t>(in, index, l, out);
    default: EMBER_FAIL("index_select on CUDA: no kernel for elements of ", itemsize(in.dtype()), " bytes");
  }
}

void index_add(const Tensor& self, const Tensor& index, const IndexLayout& l, const Tensor& source) {
  const int64_t n = l.selected_numel();
  if (n == 0) return;
  visit_floating_or_bf16(self.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    index_add_kernel<T><<<grid_stride_blocks(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), source.data_ptr<T>(), l, n, cuda::detail::device_error_word());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
