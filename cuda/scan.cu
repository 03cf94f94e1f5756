// CUDA scans along one dim: cumsum/cumprod/logcumsumexp (floats in double, integers in
// int64; the math of core/reduce_functors.h), cummax/cummin and cumprod's gradient. Long
// lines get a block each (cub::BlockScan over tiles, carrying the running total); many short
// or strided lines get a thread each (neighbouring threads on neighbouring lines); cummax/
// cummin alike, a long line's tiles scanned as (value, index) pairs. cumprod's gradient runs
// a thread per line, as the CPU's loop.
#include <cub/block/block_scan.cuh>

#include <algorithm>

#include <type_traits>

#include "core/reduce_functors.h"
#include "core/scan_layout.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

// Lines of at most this many elements, or this many lines that are not contiguous
// along the scan, run a thread per line.
constexpr int64_t kShortLine = 16;
constexpr int64_t kManyLines = 4096;
constexpr int64_t kMaxGridX = 0x7fffffff;

template <ScanOp Op, typename Acc>
struct Combine {
  __device__ Acc operator()(const Acc& a, const Acc& b) const { return functors::scan_combine<Op>(a, b); }
};

template <ScanOp Op, typename T, typename OutT>
__global__ void scan_per_thread_kernel(const T* in, OutT* out, LineLayout<2> layout, bool reverse) {
  using Acc = functors::ScanAcc<T>;
  const int64_t n = layout.length;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t l = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; l < layout.lines.numel; l += step) {
    const T* p = in + layout.line_offset(l, 0);
    OutT* q = out + layout.line_offset(l, 1);
    Acc acc = functors::scan_identity<Op, Acc>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = reverse ? n - 1 - i : i;
      acc = functors::scan_combine<Op>(acc, static_cast<Acc>(p[j * layout.stride[0]]));
      q[j * layout.stride[1]] = static_cast<OutT>(acc);
    }
  }
}

// A block per line: tiles of kThreadsPerBlock elements scanned by cub, each offset by
// the total of the tiles before it.
template <ScanOp Op, typename T, typename OutT>
__global__ void __launch_bounds__(kThreadsPerBlock)
    scan_per_block_kernel(const T* in, OutT* out, LineLayout<2> layout, bool reverse) {
  using Acc = functors::ScanAcc<T>;
  using BlockScan = cub::BlockScan<Acc, kThreadsPerBlock>;
  __shared__ typename BlockScan::TempStorage temp;
  const int64_t n = layout.length;
  for (int64_t l = blockIdx.x; l < layout.lines.numel; l += gridDim.x) {
    const T* p = in + layout.line_offset(l, 0);
    OutT* q = out + layout.line_offset(l, 1);
    Acc carry = functors::scan_identity<Op, Acc>();
    for (int64_t base = 0; base < n; base += kThreadsPerBlock) {
      const int64_t i = base + threadIdx.x;
      const int64_t j = reverse ? n - 1 - i : i;
      const Acc v = i < n ? static_cast<Acc>(p[j * layout.stride[0]]) : functors::scan_identity<Op, Acc>();
      Acc inclusive, tile_total;
      BlockScan(temp).InclusiveScan(v, inclusive, Combine<Op, Acc>{}, tile_total);
      if (i < n) q[j * layout.stride[1]] = static_cast<OutT>(functors::scan_combine<Op>(carry, inclusive));
      carry = functors::scan_combine<Op>(carry, tile_total);
      __syncthreads();  // temp is reused by the next tile
    }
  }
}

template <typename T>
__global__ void cumprod_backward_kernel(const T* x, const T* g, T* gi, LineLayout<3> layout, bool reverse) {
  const int64_t n = layout.length;
  const int64_t sx = layout.stride[0], sg = layout.stride[1], so = layout.stride[2];
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t l = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; l < layout.lines.numel; l += step) {
    const T* xl = x + layout.line_offset(l, 0);
    const T* gl = g + layout.line_offset(l, 1);
    T* ol = gi + layout.line_offset(l, 2);
    double s = 0.0;
    for (int64_t i = n - 1; i >= 0; --i) {  // S[i] = g[i] + x[i + 1] S[i + 1], kept in gi
      const int64_t j = reverse ? n - 1 - i : i;
      const int64_t next = reverse ? n - 2 - i : i + 1;
      s = i == n - 1 ? static_cast<double>(gl[j * sg])
                     : static_cast<double>(gl[j * sg]) + static_cast<double>(xl[next * sx]) * s;
      ol[j * so] = static_cast<T>(s);
    }
    double prefix = 1.0;
    for (int64_t i = 0; i < n; ++i) {  // times the exclusive prefix product
      const int64_t j = reverse ? n - 1 - i : i;
      ol[j * so] = static_cast<T>(prefix * static_cast<double>(ol[j * so]));
      prefix *= static_cast<double>(xl[j * sx]);
    }
  }
}

// cummax/cummin of short or many strided lines, a thread per line walking it with
// functors::cumulative_extreme_line, as the CPU's loop does.
template <ArgReduceOp Op, typename T>
__global__ void cumulative_extreme_kernel(const T* in, T* values, int64_t* indices, LineLayout<3> layout) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t l = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; l < layout.lines.numel; l += step)
    functors::cumulative_extreme_line<Op>(in + layout.line_offset(l, 0), layout.stride[0], layout.length,
                                          values + layout.line_offset(l, 1), layout.stride[1],
                                          indices + layout.line_offset(l, 2), layout.stride[2]);
}

// Long lines of cummax/cummin: a block per line, tiles scanned by cub as (value, index)
// pairs (functors::CombineExtremes), each combined with the tiles before it.
template <ArgReduceOp Op, typename T>
__global__ void __launch_bounds__(kThreadsPerBlock)
    cumulative_extreme_block_kernel(const T* in, T* values, int64_t* indices, LineLayout<3> layout) {
  using Pair = functors::ExtremeAt<T>;
  using BlockScan = cub::BlockScan<Pair, kThreadsPerBlock>;
  __shared__ typename BlockScan::TempStorage temp;
  const functors::CombineExtremes<Op> combine;
  const int64_t n = layout.length;
  for (int64_t l = blockIdx.x; l < layout.lines.numel; l += gridDim.x) {
    const T* p = in + layout.line_offset(l, 0);
    T* v = values + layout.line_offset(l, 1);
    int64_t* ix = indices + layout.line_offset(l, 2);
    Pair carry{T(), -1};
    for (int64_t base = 0; base < n; base += kThreadsPerBlock) {
      const int64_t i = base + threadIdx.x;
      const Pair mine = i < n ? Pair{p[i * layout.stride[0]], i} : Pair{T(), -1};
      Pair inclusive, tile_total;
      BlockScan(temp).InclusiveScan(mine, inclusive, combine, tile_total);
      if (i < n) {
        const Pair result = combine(carry, inclusive);
        v[i * layout.stride[1]] = result.value;
        ix[i * layout.stride[2]] = result.index;
      }
      carry = combine(carry, tile_total);
      __syncthreads();  // temp is reused by the next tile
    }
  }
}

// Whether a scan runs a thread per line: short lines, or many lines that are not
// contiguous along the scan; otherwise a block per line.
bool runs_per_thread(int64_t length, int64_t lines, int64_t stride) {
  return length <= kShortLine || (lines >= kManyLines && stride != 1);
}

template <ScanOp Op, typename T, typename OutT>
void launch_scan(const T* in, OutT* out, const LineLayout<2>& layout, bool reverse) {
  if (layout.lines.numel == 0 || layout.length == 0) return;
  cudaStream_t stream = current_raw_stream();
  if (runs_per_thread(layout.length, layout.lines.numel, layout.stride[0])) {
    scan_per_thread_kernel<Op, T, OutT>
        <<<cuda::detail::blocks_for(layout.lines.numel), kThreadsPerBlock, 0, stream>>>(in, out, layout, reverse);
  } else {
    const auto blocks = static_cast<unsigned>(std::min(layout.lines.numel, kMaxGridX));
    scan_per_block_kernel<Op, T, OutT><<<blocks, kThreadsPerBlock, 0, stream>>>(in, out, layout, reverse);
  }
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace

void scan(ScanOp op, const Tensor& in, int64_t dim, bool reverse, const Tensor& out) {
  EMBER_INTERNAL_ASSERT(in.device() == out.device(), "cuda scan: input and output on different devices");
  const LineLayout<2> layout = make_line_layout<2>({&in, &out}, dim);
  visit_dtype_except_reduced(in.dtype(), "scan", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    const auto run = [&](auto* dst) {
      using OutT = std::remove_pointer_t<decltype(dst)>;
      if (op == ScanOp::Sum) launch_scan<ScanOp::Sum, T, OutT>(src, dst, layout, reverse);
      else if (op == ScanOp::Prod) launch_scan<ScanOp::Prod, T, OutT>(src, dst, layout, reverse);
      else if constexpr (functors::scans_type<ScanOp::LogSumExp, T>)
        launch_scan<ScanOp::LogSumExp, T, OutT>(src, dst, layout, reverse);
      else EMBER_INTERNAL_ASSERT(false, "cuda scan: logcumsumexp of ", dtype_name(in.dtype()));
    };
    if constexpr (std::is_floating_point_v<T>) {
      EMBER_INTERNAL_ASSERT(out.dtype() == in.dtype(), "cuda scan: output dtype ", dtype_name(out.dtype()));
      run(static_cast<T*>(out.data_ptr()));
    } else {  // integers and bool scan into int64
      EMBER_INTERNAL_ASSERT(out.dtype() == kInt64, "cuda scan: output dtype ", dtype_name(out.dtype()));
      run(static_cast<int64_t*>(out.data_ptr()));
    }
  });
}

void cumulative_extreme(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  EMBER_INTERNAL_ASSERT(values.dtype() == in.dtype() && indices.dtype() == kInt64, "cuda cumulative_extreme: dtypes");
  const LineLayout<3> layout = make_line_layout<3>({&in, &values, &indices}, dim);
  if (layout.lines.numel == 0 || layout.length == 0) return;
  visit_dtype_except_reduced(in.dtype(), "cumulative_extreme", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    T* val = static_cast<T*>(values.data_ptr());
    auto* idx = static_cast<int64_t*>(indices.data_ptr());
    const auto run = [&](auto op_tag) {
      constexpr ArgReduceOp kOp = decltype(op_tag)::value;
      if (runs_per_thread(layout.length, layout.lines.numel, layout.stride[0])) {
        cumulative_extreme_kernel<kOp, T><<<cuda::detail::blocks_for(layout.lines.numel), kThreadsPerBlock, 0,
                                            current_raw_stream()>>>(src, val, idx, layout);
      } else {
        const auto blocks = static_cast<unsigned>(std::min(layout.lines.numel, kMaxGridX));
        cumulative_extreme_block_kernel<kOp, T><<<blocks, kThreadsPerBlock, 0, current_raw_stream()>>>(src, val, idx,
                                                                                                       layout);
      }
      EMBER_CUDA_LAUNCH_CHECK();
    };
    if (op == ArgReduceOp::ArgMax) run(std::integral_constant<ArgReduceOp, ArgReduceOp::ArgMax>{});
    else run(std::integral_constant<ArgReduceOp, ArgReduceOp::ArgMin>{});
  });
}

void cumprod_backward(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse, const Tensor& grad_in) {
  EMBER_INTERNAL_ASSERT(is_floating(x.dtype()) && grad.dtype() == x.dtype() && grad_in.dtype() == x.dtype(),
                        "cuda cumprod_backward: dtypes");
  const LineLayout<3> layout = make_line_layout<3>({&x, &grad, &grad_in}, dim);
  if (layout.lines.numel == 0 || layout.length == 0) return;
  visit_dtype_except_reduced(x.dtype(), "cumprod_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const auto* xp = static_cast<const T*>(x.data_ptr());
      const auto* gp = static_cast<const T*>(grad.data_ptr());
      auto* gip = static_cast<T*>(grad_in.data_ptr());
      cumprod_backward_kernel<T><<<cuda::detail::blocks_for(layout.lines.numel), kThreadsPerBlock, 0,
                                   current_raw_stream()>>>(xp, gp, gip, layout, reverse);
      EMBER_CUDA_LAUNCH_CHECK();
    }
  });
}

}  // namespace ember::cuda_kernels
