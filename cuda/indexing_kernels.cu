// CUDA index_select (a thread per output element, moved as a word of its size: one kernel
// per element size) and index_add, its gradient (a thread per source element, added
// atomically: cuda/atomics.cuh; under use_deterministic_algorithms a thread per output
// column adding its sources in index order, or with few columns a thread per destination
// after a stable sort, Note [Ordered runs]: the CPU's sums). Bad indices go to the device
// error word; the element math is core/index_layout.h's, as the CPU kernels'.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/bfloat16.h"
#include "core/deterministic.h"
#include "core/factories.h"
#include "core/gather_layout.h"
#include "core/index_layout.h"
#include "cuda/atomics.cuh"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"
#include "cuda/ordered_runs.cuh"

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

// The deterministic form (Note [Deterministic algorithms] in core/deterministic.h): a
// thread per (outer, inner) column of self, walking the index in order as the CPU does.
template <typename T>
__global__ void index_add_columns_kernel(T* self, const int64_t* __restrict__ index, const T* __restrict__ source,
                                         IndexLayout l, unsigned long long* error_word) {
  cuda::detail::for_each_index(l.outer * l.inner, [&](int64_t column) {
    l.walk_column(
        column, index, [&](int64_t s, int64_t i) { ScatterAdd{}(self[s], source[i]); },
        [&](int64_t v) { cuda::detail::report_device_error(error_word, cuda::detail::kIndexOutOfRange, v); });
  });
}

// Each source element's destination key (Note [Ordered runs] in core/ordered_runs.h).
__global__ void index_add_keys_kernel(IndexLayout l, const int64_t* __restrict__ index, uint64_t* __restrict__ keys,
                                      int64_t* __restrict__ positions, int64_t n, unsigned long long* error_word) {
  cuda::detail::for_each_index(n, [&](int64_t i) {
    keys[i] = ordered_runs::index_add_key(l, i, index, [&](int64_t v) {
      cuda::detail::report_device_error(error_word, cuda::detail::kIndexOutOfRange, v);
    });
    positions[i] = i;
  });
}

// The deterministic forms: a thread per column where there are enough columns, else the
// ordered runs of a sort; both add in the CPU's order.
template <typename T>
void launch_index_add_deterministic(const Tensor& self, const Tensor& index, const IndexLayout& l,
                                    const Tensor& source) {
  unsigned long long* const error_word = cuda::detail::device_error_word();
  const int64_t columns = l.outer * l.inner, n = l.selected_numel();
  if (columns >= ordered_runs::kMinOwners) {
    index_add_columns_kernel<T><<<grid_stride_blocks(columns), kThreadsPerBlock, 0, current_raw_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), source.data_ptr<T>(), l, error_word);
    EMBER_CUDA_LAUNCH_CHECK();
    return;
  }
  const Tensor keys = make_empty({n}, kInt64, self.device()), positions = make_empty({n}, kInt64, self.device());
  index_add_keys_kernel<<<grid_stride_blocks(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
      l, index.data_ptr<int64_t>(), static_cast<uint64_t*>(keys.data_ptr()), positions.data_ptr<int64_t>(), n,
      error_word);
  EMBER_CUDA_LAUNCH_CHECK();
  const uint64_t max_key = static_cast<uint64_t>(l.outer * l.size * l.inner);  // self is [outer, size, inner]
  combine_sorted_runs(self.data_ptr<T>(), source.data_ptr<T>(), sort_runs(keys, positions, n, max_key), n,
                      ScatterAdd{});
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
  const bool deterministic = are_deterministic_algorithms_enabled();
  visit_floating_or_reduced(self.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (deterministic) return launch_index_add_deterministic<T>(self, index, l, source);
    index_add_kernel<T><<<grid_stride_blocks(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), source.data_ptr<T>(), l, n, cuda::detail::device_error_word());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
