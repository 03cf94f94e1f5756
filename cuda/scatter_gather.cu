// CUDA gather and scatter (a thread per index element, moved as a word of its size: one
// kernel per element size), scatter_add and scatter_reduce (combined atomically:
// cuda/atomics.cuh, so repeated indices sum in no fixed order, and scatter's last write
// is unspecified; under use_deterministic_algorithms a thread per line along dim, walked in
// index order as the CPU walks it, or with few lines a thread per destination after a stable
// sort: Note [Ordered runs] in core/ordered_runs.h). Bad indices go to the device error word; the element
// math is core/gather_layout.h's, as the CPU kernels'.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/bfloat16.h"
#include "core/deterministic.h"
#include "core/factories.h"
#include "core/gather_layout.h"
#include "core/kernel_data.h"
#include "cuda/atomics.cuh"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"
#include "cuda/ordered_runs.cuh"

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

// The deterministic form of scatter, scatter_add and scatter_reduce (Note [Deterministic
// algorithms] in core/deterministic.h): a thread per line along dim, combining its elements
// into self in index order with the CPU's combine, so the last write wins and the sums and
// products are the CPU's bit for bit.
template <typename T, typename O, typename Combine>
__global__ void scatter_lines_kernel(T* self, const int64_t* __restrict__ index, const O* __restrict__ src,
                                     GatherLayout l, Combine combine, unsigned long long* error_word) {
  const auto kind = static_cast<cuda::detail::DeviceErrorKind>(cuda::detail::gather_error_kind(l.dim, l.self_size));
  cuda::detail::for_each_index(l.line_count(), [&](int64_t line) {
    l.walk_line(
        line, index, [&](int64_t s, int64_t o) { combine(self[s], src[o]); },
        [&](int64_t v) { cuda::detail::report_device_error(error_word, kind, v); });
  });
}

// Each index element's destination key and its src offset (Note [Ordered runs] in core/ordered_runs.h).
__global__ void scatter_keys_kernel(GatherLayout l, const int64_t* __restrict__ index, uint64_t* __restrict__ keys,
                                    int64_t* __restrict__ others, unsigned long long* error_word) {
  const auto kind = static_cast<cuda::detail::DeviceErrorKind>(cuda::detail::gather_error_kind(l.dim, l.self_size));
  cuda::detail::for_each_index(l.numel, [&](int64_t i) {
    keys[i] = ordered_runs::scatter_key(l, i, index, others[i],
                                        [&](int64_t v) { cuda::detail::report_device_error(error_word, kind, v); });
  });
}

// The deterministic forms: a thread per line where there are enough lines, else the
// ordered runs of a sort (Note [Ordered runs]); both combine in the CPU's order.
template <typename T, typename Combine>
void launch_scatter_deterministic(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& l,
                                  Combine combine) {
  T* const out = static_cast<T*>(self.data_ptr());
  const T* const other = static_cast<const T*>(src.data_ptr());
  unsigned long long* const error_word = cuda::detail::device_error_word();
  if (l.line_count() >= ordered_runs::kMinOwners) {
    scatter_lines_kernel<T, T, Combine>
        <<<grid_stride_blocks(l.line_count()), kThreadsPerBlock, 0, current_raw_stream()>>>(
            out, index.data_ptr<int64_t>(), other, l, combine, error_word);
    EMBER_CUDA_LAUNCH_CHECK();
    return;
  }
  const Tensor keys = make_empty({l.numel}, kInt64, self.device());
  const Tensor others = make_empty({l.numel}, kInt64, self.device());
  scatter_keys_kernel<<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
      l, index.data_ptr<int64_t>(), static_cast<uint64_t*>(keys.data_ptr()), others.data_ptr<int64_t>(), error_word);
  EMBER_CUDA_LAUNCH_CHECK();
  const uint64_t max_key = ordered_runs::max_key(self.sizes().data(), self.strides().data(), self.dim());
  combine_sorted_runs(out, other, sort_runs(keys, others, l.numel, max_key), l.numel, combine);
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
  const bool deterministic = are_deterministic_algorithms_enabled();
  if (!accumulate) {
    visit_word(itemsize(self.dtype()), [&](auto tag) {
      using W = typename decltype(tag)::type;
      if (deterministic) return launch_scatter_deterministic<W>(self, index, src, l, ScatterAssign{});
      scatter_kernel<W><<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
          static_cast<W*>(self.data_ptr()), index.data_ptr<int64_t>(), static_cast<const W*>(src.data_ptr()), l,
          cuda::detail::device_error_word());
      EMBER_CUDA_LAUNCH_CHECK();
    });
    return;
  }
  const auto launch = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (deterministic) return launch_scatter_deterministic<T>(self, index, src, l, ScatterAdd{});
    scatter_add_kernel<T><<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), src.data_ptr<T>(), l, cuda::detail::device_error_word());
    EMBER_CUDA_LAUNCH_CHECK();
  };
  if (self.dtype() == kInt64) return launch(Tag<int64_t>{});
  visit_floating_or_reduced(self.dtype(), "scatter_add", launch);
}

void scatter_reduce(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& l,
                    ScatterReduceKind kind) {
  if (l.numel == 0) return;
  const bool deterministic = are_deterministic_algorithms_enabled();
  const auto launch = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (deterministic) return launch_scatter_deterministic<T>(self, index, src, l, ScatterCombine{kind});
    scatter_reduce_kernel<T><<<grid_stride_blocks(l.numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), src.data_ptr<T>(), l, kind, cuda::detail::device_error_word());
    EMBER_CUDA_LAUNCH_CHECK();
  };
  if (self.dtype() == kInt64) return launch(Tag<int64_t>{});
  visit_floating_or_reduced(self.dtype(), "scatter_reduce", launch);
}

}  // namespace ember::cuda_kernels
