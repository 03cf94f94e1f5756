// What one thread of the CUDA multi-parameter SGD kernel (cuda/optim_step_many.cu) does: a
// launch updates up to kMaxParams parameters, each cut into chunks of kChunk elements, one
// block a chunk. The kernel calls these EMBER_HD functions, and
// tests/core/test_cuda_threads_on_cpu.cpp runs them for every block and thread on the CPU
// (every element updated once, bit for bit as sgd_step).
#pragma once
#include <cstdint>

#include "core/dispatch.h"
#include "core/macros.h"
#include "core/optim_math.h"
#include "core/optim_stored.h"

namespace ember::cuda_kernels::many {

// Parameters per launch (the list travels in the kernel's parameters: about 1.4 KB for
// double, inside the 4 KB every architecture takes), and elements per block.
constexpr int kMaxParams = 32;
constexpr int64_t kChunk = 4096;

template <typename T>
struct SgdList {
  T* param[kMaxParams];
  const T* grad[kMaxParams];
  T* buf[kMaxParams];  // null without momentum
  int64_t numel[kMaxParams];
  bool first_step[kMaxParams];
  int64_t first_block[kMaxParams + 1];  // parameter i's chunks are blocks [first_block[i], first_block[i + 1])
  int count = 0;
};

// The parameter whose chunks hold `block` (binary search over first_block).
EMBER_HD_INLINE int param_of_block(const int64_t* first_block, int count, int64_t block) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (first_block[mid] <= block) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Thread `tid` of `threads` in block `block`: its share of the block's chunk. `update` is
// the launch's resolved SgdUpdate (lr and momentum read once); first_step is the parameter's.
// 16-bit parameters update through float (Note [16-bit optimizer steps] in core/optim_stored.h).
template <typename T>
EMBER_HD_INLINE void sgd_chunk(const SgdList<T>& list, fused::SgdUpdate<ComputeType<T>> float_update, int64_t block,
                               int64_t tid, int64_t threads) {
  const int i = param_of_block(list.first_block, list.count, block);
  float_update.first_step = list.first_step[i];
  const auto update = fused::stored_as<T>(float_update);
  const int64_t begin = (block - list.first_block[i]) * kChunk;
  const int64_t end = begin + kChunk < list.numel[i] ? begin + kChunk : list.numel[i];
  T* const p = list.param[i];
  const T* const g = list.grad[i];
  T* const buf = list.buf[i];
  for (int64_t e = begin + tid; e < end; e += threads) {
    T unused{};
    update(p[e], g[e], buf != nullptr ? buf[e] : unused);
  }
}

// The list for params[from, from + count) (each non-empty, one dtype T), and its blocks.
template <typename T>
SgdList<T> sgd_list(const std::vector<SgdOperands>& params, size_t from, int count, bool use_momentum) {
  SgdList<T> list;
  list.count = count;
  list.first_block[0] = 0;
  for (int i = 0; i < count; ++i) {
    const SgdOperands& o = params[from + i];
    list.param[i] = o.param.data_ptr<T>();
    list.grad[i] = o.grad.data_ptr<T>();
    list.buf[i] = use_momentum ? o.momentum_buf.data_ptr<T>() : nullptr;
    list.numel[i] = o.param.numel();
    list.first_step[i] = o.first_step;
    list.first_block[i + 1] = list.first_block[i] + (list.numel[i] + kChunk - 1) / kChunk;
  }
  return list;
}

}  // namespace ember::cuda_kernels::many
