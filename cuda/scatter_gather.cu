// CUDA gather and scatter (a thread per index element, moved as a word of its size: one
// kernel per element size), scatter_add and scatter_reduce (combined atomically:
// cuda/atomics.cuh, so repeated indices sum in no fixed order, and scatter's last write
// is unspecified). Bad
// indices go to the device error word; the element math is core/gather_layout.h's, as
// the CPU kernels'.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/bfloat16.h"
#include "core/gather_layout.h"
#include "core/kernel_data.h"
#include "cuda/atomics.cuh"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::grid_stride_blocks;
using cuda::detail::kThreadsPerBlock;

// fn(offsets, self offset) for each index element (grid-stride); an index value out of
// range goes to the device error word instead.
template <typename Fn>
__device__ void for_each_element(const GatherLayout& l, const int64_t* __restrict__ index,
                                 unsigned long long* error_word, Fn fn) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < l.numel;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const GatherLayout::Offsets o = l.offsets(i);
    const int64_t v = index[o.index];
    if (l.in_range(v)) {
      fn(o, l.self_offset(o, v));
    } else {
      cuda::detail::report_device_error(
          error_word, static_cast<cuda::detail::DeviceErrorKind>(cuda::detail::gather_error_kind(l.dim, l.self_size)),
          v);
    }
  }
}

template <typename Word>
__global__ void gather_kernel(const Word* __restrict__ self, const int64_t* __restrict__ index, Word* __restrict__ out,
                              GatherLayout l, unsigned long long* error_word) {
  for_each_element(l, index, error_word, [&](const GatherLayout::Offsets& o, int64_t s) { out[o.other] = self[s]; });
}

template <typename Word>
__global__ void scatter_kernel(Word* self, const int64_t* __restrict__ index, const Word* __restrict__ src,
                               GatherLayout l, unsigned long long* error_word) {
  for_each_element(l, index, error_word, [&](const GatherLayout::Offsets& o, int64_t s) { self[s] = src[o.other]; });
}

template <typename T>
__global__ void scatter_add_kernel(T* self, const int64_t* __restrict__ index, const T* __restrict__ src,
                                   GatherLayout l, unsigned long long* error_word) {
  for_each_element(l, index, error_word,
                   [&](const GatherLayout::Offsets& o, int64_t s) { cuda::detail::atomic_add(self + s, src[o.other]); });
}

template <typename T>
__global__ void scatter_reduce_kernel(T* self, const int64_t* __restrict__ index, const T* __restrict__ src,
                                      GatherLayout l, ScatterReduceKind kind, unsigned long long* error_word) {
  for_each_element(l, index, error_word, [&](const GatherLayout::Offsets& o, int64_t s) {
    cuda::detail::atomic_combine(self + s, src[o.other], kind);
  });
}

using kernel_data::visit_word;

}  // namespace

void gather(const Tensor& self, const Tensor& index, const GatherLayout& l, const Tensor& out) {
  if (l.numel == 0) return;
  visit_word(itemsize(self.dtype()), [&](auto tag) {
    using W = typename decltype(tag)::type;
    gather_kernel<W><<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
        static_cast<const W*>(self.data_ptr()), index.data_ptr<int64_t>(), static_cast<W*>(out.data_ptr()), l,
        cuda::detail::device_error_word());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void scatter(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& l, bool accumulate) {
  if (l.numel == 0) return;
  if (!accumulate) {
    visit_word(itemsize(self.dtype()), [&](auto tag) {
      using W = typename decltype(tag)::type;
      scatter_kernel<W><<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
          static_cast<W*>(self.data_ptr()), index.data_ptr<int64_t>(), static_cast<const W*>(src.data_ptr()), l,
          cuda::detail::device_error_word());
      EMBER_CUDA_LAUNCH_CHECK();
    });
    return;
  }
  const auto launch = [&](auto tag) {
    using T = typename decltype(tag)::type;
    scatter_add_kernel<T><<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), src.data_ptr<T>(), l, cuda::detail::device_error_word());
    EMBER_CUDA_LAUNCH_CHECK();
  };
  if (self.dtype() == kInt64) return launch(Tag<int64_t>{});
  visit_floating_or_bf16(self.dtype(), "scatter_add", launch);
}

void scatter_reduce(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& l,
                    ScatterReduceKind kind) {
  if (l.numel == 0) return;
  const auto launch = [&](auto tag) {
    using T = typename decltype(tag)::type;
    scatter_reduce_kernel<T><<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), src.data_ptr<T>(), l, kind, cuda::detail::device_error_word());
    EMBER_CUDA_LAUNCH_CHECK();
  };
  if (self.dtype() == kInt64) return launch(Tag<int64_t>{});
  visit_floating_or_bf16(self.dtype(), "scatter_reduce", launch);
}

}  // namespace ember::cuda_kernels
