// How ember's CUDA layer-norm and group-norm kernels (cuda/norm.cu) split the work, as
// EMBER_HD functions of a thread: rows go to a warp (up to 1024 values) or a block, each
// thread taking values rank, rank + threads, ... (core/row_norm_math.h); the weight and bias
// gradients to blocks of 32 parameters x 8 row lanes over chunks of images. The CPU test
// tests/core/test_cuda_threads_on_cpu.cpp runs every thread of these launches.
#pragma once
#include <cstdint>

#include "core/macros.h"
#include "core/nn_geometry.h"
#include "core/row_norm_math.h"

namespace ember::cuda_kernels::norm_threads {

constexpr int kWarpSize = 32;
constexpr int64_t kWarpRowMaxWidth = 1024;  // rows up to this long get one warp
constexpr int kWarpRowBlockThreads = 256;   // a warp-per-row launch: 8 rows per block
constexpr int kBlockRowThreads = 512;       // a block-per-row launch

// Threads that share one row of K values.
inline int row_threads(int64_t K) { return K <= kWarpRowMaxWidth ? kWarpSize : kBlockRowThreads; }

// The parameter gradients: block (x, chunk) of kParamLanes x kRowLanes threads sums
// parameters [32 x, 32 x + 32) over the images of its chunk, lane (threadIdx.x) by
// parameter (adjacent values of a layer-norm row: coalesced), row lane (threadIdx.y) by
// every kRowLanes-th image; a second kernel adds the chunks' partials in chunk order
// (deterministic: the result depends on the shape only).
constexpr int kParamLanes = 32, kRowLanes = 8;
constexpr int64_t kTargetBlocks = 1024;

struct ParamSplit {
  int64_t blocks, chunks, per_chunk;  // grid (blocks, chunks); images per chunk
};
inline ParamSplit param_split(const RowNormGeometry& g) {
  const int64_t P = g.params(), images = g.G > 0 ? g.M / g.G : 0;
  const int64_t blocks = (P + kParamLanes - 1) / kParamLanes;
  if (blocks == 0 || images == 0) return {blocks, 1, 0};
  int64_t chunks = (kTargetBlocks + blocks - 1) / blocks;
  const int64_t most = (images + kRowLanes - 1) / kRowLanes;  // at least kRowLanes images a chunk
  chunks = chunks > most ? most : chunks;
  chunks = chunks > 65535 ? 65535 : (chunks < 1 ? 1 : chunks);  // gridDim.y
  const int64_t per_chunk = (images + chunks - 1) / chunks;
  return {blocks, (images + per_chunk - 1) / per_chunk, per_chunk};
}

// Thread (lane, row_lane) of block (block, chunk): its parameter's share of Σ g xhat and Σ g
// (zeros past the last parameter).
template <typename T, typename S, typename A = row_norm::Acc<T>>
EMBER_HD_INLINE row_norm::Sums<A> param_thread_sums(const T* grad, const T* x, const S* mean, const S* rstd,
                                                    const RowNormGeometry& g, const ParamSplit& split,
                                                    int64_t block, int64_t chunk, int64_t lane, int64_t row_lane) {
  const int64_t p = block * kParamLanes + lane;
  if (p >= g.params()) return {};
  const int64_t images = g.M / g.G, n0 = chunk * split.per_chunk;
  const int64_t n1 = n0 + split.per_chunk < images ? n0 + split.per_chunk : images;
  return row_norm::param_sums(grad, x, mean, rstd, g, p, n0 + row_lane, n1, kRowLanes);
}

// Where block (block, chunk)'s sums of parameter p go: partial[2 * (chunk * P + p)] and the next.
EMBER_HD_INLINE double* partial_of(double* partial, const RowNormGeometry& g, int64_t chunk, int64_t p) {
  return partial + 2 * (chunk * g.params() + p);
}

// Parameter p's gradients: the chunks' partials in chunk order.
template <typename T>
EMBER_HD_INLINE void param_finalize(const double* partial, const RowNormGeometry& g, int64_t chunks, T* gw, T* gb,
                                    int64_t p) {
  double a = 0, b = 0;
  for (int64_t c = 0; c < chunks; ++c) a += partial[2 * (c * g.params() + p)], b += partial[2 * (c * g.params() + p) + 1];
  if (gw) gw[p] = static_cast<T>(a);
  if (gb) gb[p] = static_cast<T>(b);
}

}  // namespace ember::cuda_kernels::norm_threads
