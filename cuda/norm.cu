// CUDA layer norm and group norm over x seen as M rows of K values (RowNormGeometry): a
// warp (K <= 1024) or a block per row computes the row's shifted moment sums (double; float
// for bf16 and float16), its mean and rstd, and the output, or the input gradient, in one kernel; the
// weight and bias gradients sum per (parameter block, image chunk) and a second kernel adds
// the chunks in order. The split is in cuda/norm_threads.h, the math in core/row_norm_math.h.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/kernel_data.h"
#include "core/row_norm_math.h"
#include "cuda/cuda_internal.h"
#include "cuda/row_range.cuh"
#include "cuda/norm_threads.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;
using row_norm::Acc;
using row_norm::Stat;
using row_norm::Sums;
using namespace norm_threads;

// The threads that share a row: a warp (kRowThreads == 32) or the whole block. sum() gives
// every thread of the row the row's totals (xor butterfly, then the block's warps in order).
template <int kRowThreads, typename A>
struct RowThreads {
  static constexpr int kWarps = kRowThreads / kWarpSize;
  A* scratch;  // 2 * kWarps values of shared memory (used when kWarps > 1)

  __device__ int64_t rank() const { return threadIdx.x % kRowThreads; }

  __device__ Sums<A> sum(Sums<A> s) const {
    for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
      s.a += __shfl_xor_sync(0xffffffffu, s.a, offset);
      s.b += __shfl_xor_sync(0xffffffffu, s.b, offset);
    }
    if constexpr (kWarps > 1) {
      const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
      __syncthreads();  // the previous row's reads of scratch are done
      if (lane == 0) scratch[2 * warp] = s.a, scratch[2 * warp + 1] = s.b;
      __syncthreads();
      s = {scratch[0], scratch[1]};
      for (int w = 1; w < kWarps; ++w) s.a += scratch[2 * w], s.b += scratch[2 * w + 1];
    }
    return s;
  }
};

using cuda::detail::RowRange;

template <typename T, int kRowThreads>
__global__ void forward_kernel(const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ b,
                               RowNormGeometry g, double eps, T* __restrict__ out, Stat<T>* __restrict__ mean,
                               Stat<T>* __restrict__ rstd) {
  using A = Acc<T>;
  __shared__ A scratch[2 * RowThreads<kRowThreads, A>::kWarps];
  const RowThreads<kRowThreads, A> threads{scratch};
  const RowRange<kRowThreads> range;
  for (int64_t r = range.first; r < g.M; r += range.stride) {
    const T* xr = x + r * g.K;
    const A shift = row_norm::row_shift(xr, g.K);
    const Sums<A> sums = threads.sum(row_norm::moment_sums(xr, g.K, shift, threads.rank(), kRowThreads));
    A m, rs;
    row_norm::stats_of(sums, g.K, shift, eps, m, rs);
    if (mean && threads.rank() == 0) mean[r] = static_cast<Stat<T>>(m), rstd[r] = static_cast<Stat<T>>(rs);
    row_norm::normalize_row(xr, w, b, g, r, m, rs, out + r * g.K, threads.rank(), kRowThreads);
  }
}

template <typename T, int kRowThreads>
__global__ void grad_input_kernel(const T* __restrict__ grad, const T* __restrict__ x,
                                  const Stat<T>* __restrict__ mean, const Stat<T>* __restrict__ rstd,
                                  const T* __restrict__ w, RowNormGeometry g, T* __restrict__ gx) {
  using A = Acc<T>;
  __shared__ A scratch[2 * RowThreads<kRowThreads, A>::kWarps];
  const RowThreads<kRowThreads, A> threads{scratch};
  const RowRange<kRowThreads> range;
  for (int64_t r = range.first; r < g.M; r += range.stride) {
    const T* gr = grad + r * g.K;
    const T* xr = x + r * g.K;
    const A m = static_cast<A>(mean[r]), rs = static_cast<A>(rstd[r]);
    const Sums<A> sums = threads.sum(row_norm::grad_sums(gr, xr, w, g, r, m, threads.rank(), kRowThreads));
    row_norm::grad_input_row(gr, xr, w, g, r, m, rs, sums, gx + r * g.K, threads.rank(), kRowThreads);
  }
}

template <typename T>
__global__ void param_partial_kernel(const T* __restrict__ grad, const T* __restrict__ x,
                                     const Stat<T>* __restrict__ mean, const Stat<T>* __restrict__ rstd,
                                     RowNormGeometry g, ParamSplit split, double* __restrict__ partial) {
  __shared__ double sa[kRowLanes][kParamLanes], sb[kRowLanes][kParamLanes];
  const auto s = param_thread_sums(grad, x, mean, rstd, g, split, blockIdx.x, blockIdx.y, threadIdx.x, threadIdx.y);
  sa[threadIdx.y][threadIdx.x] = s.a, sb[threadIdx.y][threadIdx.x] = s.b;
  __syncthreads();
  const int64_t p = static_cast<int64_t>(blockIdx.x) * kParamLanes + threadIdx.x;
  if (threadIdx.y == 0 && p < g.params()) {
    double a = 0, b = 0;
    for (int lane = 0; lane < kRowLanes; ++lane) a += sa[lane][threadIdx.x], b += sb[lane][threadIdx.x];
    double* out = partial_of(partial, g, blockIdx.y, p);
    out[0] = a, out[1] = b;
  }
}

template <typename T>
__global__ void param_finalize_kernel(const double* __restrict__ partial, RowNormGeometry g, int64_t chunks, T* gw,
                                      T* gb) {
  const int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p < g.params()) param_finalize(partial, g, chunks, gw, gb, p);
}

using kernel_data::cdata;
using kernel_data::mdata;

// launch(row_threads, blocks, threads) with a warp or a block per row.
template <typename Launch>
void launch_rows(const RowNormGeometry& g, const Launch& launch) {
  if (row_threads(g.K) == kWarpSize) {
    constexpr int64_t rows_per_block = kWarpRowBlockThreads / kWarpSize;
    launch(std::integral_constant<int, kWarpSize>{}, blocks_for(g.M, static_cast<int>(rows_per_block)),
           kWarpRowBlockThreads);
  } else {
    launch(std::integral_constant<int, kBlockRowThreads>{}, blocks_for(g.M, 1), kBlockRowThreads);
  }
}

}  // namespace

void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps,
                      const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  if (g.M == 0) return;
  visit_floating_or_reduced(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_rows(g, [&](auto row_threads, unsigned blocks, int threads) {
      forward_kernel<T, decltype(row_threads)::value><<<blocks, threads, 0, current_raw_stream()>>>(
          cdata<T>(x), cdata<T>(weight), cdata<T>(bias), g, eps, mdata<T>(out), mdata<Stat<T>>(mean),
          mdata<Stat<T>>(rstd));
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                       const RowNormGeometry& g, const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b) {
  visit_floating_or_reduced(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (grad_x.defined() && g.M > 0) {
      launch_rows(g, [&](auto row_threads, unsigned blocks, int threads) {
        grad_input_kernel<T, decltype(row_threads)::value><<<blocks, threads, 0, current_raw_stream()>>>(
            cdata<T>(grad), cdata<T>(x), cdata<Stat<T>>(mean), cdata<Stat<T>>(rstd), cdata<T>(weight), g,
            mdata<T>(grad_x));
        EMBER_CUDA_LAUNCH_CHECK();
      });
    }
    if ((!grad_w.defined() && !grad_b.defined()) || g.params() == 0) return;
    const ParamSplit split = param_split(g);
    if (split.per_chunk == 0) {  // no images: empty sums
      if (grad_w.defined()) fill(grad_w, Scalar(0));
      if (grad_b.defined()) fill(grad_b, Scalar(0));
      return;
    }
    const Tensor partial = make_empty({2 * split.chunks * g.params()}, kFloat64, x.device());
    const dim3 grid(static_cast<unsigned>(split.blocks), static_cast<unsigned>(split.chunks));
    param_partial_kernel<T><<<grid, dim3(kParamLanes, kRowLanes), 0, current_raw_stream()>>>(
        cdata<T>(grad), cdata<T>(x), cdata<Stat<T>>(mean), cdata<Stat<T>>(rstd), g, split, partial.data_ptr<double>());
    EMBER_CUDA_LAUNCH_CHECK();
    param_finalize_kernel<T><<<blocks_for(g.params()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        partial.data_ptr<double>(), g, split.chunks, mdata<T>(grad_w), mdata<T>(grad_b));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
