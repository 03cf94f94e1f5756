// CUDA reductions: sum/mean/max/min/prod and Welford moments (var_mean) over any set
// of dims and argmax/argmin over one dim, on strided input. Dims are ordered by input stride and merged on the host; then
// a group of threads folds each output (reduced dim innermost) or one thread per output
// walks its elements (kept dim innermost: coalesced). Long reductions are split into
// fixed chunks combined in order by a second kernel, so results depend on shape only.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/reduce_functors.h"
#include "core/reduce_layout.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarpSize = 32;
constexpr int kWarpsPerBlock = kThreadsPerBlock / kWarpSize;
// Reductions of at most this many elements run one thread per output.
constexpr int64_t kSmallReduce = 16;
// The thread-per-output kernel is chosen when the innermost kept dim has this many
// outputs (a warp reads neighbouring addresses) and is closer in memory than the
// innermost reduced dim.
constexpr int64_t kColumnMin = 32;
// A reduction is split into chunks (second pass combines them) while the first pass
// has fewer blocks than this; a thread then still folds at least kMinPerThread elements.
constexpr int64_t kTargetBlocks = 1024;
constexpr int64_t kMinPerThread = 32;
constexpr int64_t kMaxSplits = 65535;  // gridDim.y limit
constexpr int64_t kMaxGridX = 0x7fffffff;

constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <typename T>
__device__ bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}

// ---------------------------------------------------------------- reducers
// identity(), step(acc, x, index), merge(a, b) (a and b from disjoint element sets;
// merge(earlier chunk, later chunk) when the order matters) and store(acc, off0, off1).

template <typename T, typename OutT, ReduceOp Op>
struct ValueReduce {
  static constexpr bool kAccumulates = Op == ReduceOp::Sum || Op == ReduceOp::Mean;
  static constexpr bool kWide = kAccumulates || Op == ReduceOp::Prod;  // double / int64 accumulator
  using Acc = std::conditional_t<kWide, functors::ScanAcc<T>, T>;

  OutT* out;
  int64_t count;  // elements per output (Mean divides by it)

  __device__ Acc identity() const {
    if constexpr (kAccumulates) return Acc(0);
    else if constexpr (Op == ReduceOp::Prod) return Acc(1);
    else if constexpr (Op == ReduceOp::Max) {
      if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
      else return std::numeric_limits<T>::lowest();
    } else {
      if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
      else return std::numeric_limits<T>::max();
    }
  }
  // Max/Min: a NaN x replaces acc, and a NaN acc is never replaced (x > NaN is false).
  __device__ Acc step(Acc acc, T x, int64_t /*index*/) const {
    if constexpr (kAccumulates) return acc + static_cast<Acc>(x);
    else if constexpr (Op == ReduceOp::Prod) return functors::scan_combine<ScanOp::Prod>(acc, static_cast<Acc>(x));
    else if constexpr (Op == ReduceOp::Max) return (x > acc || is_nan(x)) ? x : acc;
    else return (x < acc || is_nan(x)) ? x : acc;
  }
  __device__ Acc merge(Acc a, Acc b) const {
    if constexpr (kAccumulates) return a + b;
    else if constexpr (Op == ReduceOp::Prod) return functors::scan_combine<ScanOp::Prod>(a, b);
    else return step(a, b, 0);
  }
  __device__ void store(Acc acc, int64_t offset, int64_t /*unused*/) const {
    if constexpr (Op == ReduceOp::Mean) out[offset] = static_cast<OutT>(static_cast<double>(acc) / static_cast<double>(count));
    else out[offset] = static_cast<OutT>(acc);
  }
};

// Welford moments (Note [Accumulating variance] in core/reduce_functors.h): var into
// out0, the mean into out1 when mean is not null. Merges are symmetric up to rounding.
template <typename T>
struct MomentsReduce {
  using Acc = functors::WelfordAcc;

  T* var;
  T* mean;
  double correction;

  __device__ Acc identity() const { return Acc{0.0, 0.0, 0}; }
  __device__ Acc step(Acc acc, T x, int64_t /*index*/) const { return functors::welford_step(acc, static_cast<double>(x)); }
  __device__ Acc merge(Acc a, Acc b) const { return functors::welford_merge(a, b); }
  __device__ void store(Acc acc, int64_t var_offset, int64_t mean_offset) const {
    var[var_offset] = static_cast<T>(functors::welford_var(acc, correction));
    if (mean != nullptr) mean[mean_offset] = static_cast<T>(functors::welford_mean(acc));
  }
};

template <typename T>
struct ArgAcc {
  T value;
  int64_t index;  // -1: nothing seen yet
};

template <typename T, bool kMax>
struct ArgReduce {
  using Acc = ArgAcc<T>;

  T* values;
  int64_t* indices;

  __device__ Acc identity() const { return {T{}, -1}; }
  // NaN beats everything; equal values keep the smaller index. Symmetric in its two
  // arguments, so any combining order gives the same (value, index).
  __device__ Acc merge(Acc a, Acc b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    bool b_better;
    if (is_nan(a.value)) b_better = is_nan(b.value) && b.index < a.index;
    else if (is_nan(b.value)) b_better = true;
    else if (b.value == a.value) b_better = b.index < a.index;
    else b_better = kMax ? b.value > a.value : b.value < a.value;
    return b_better ? b : a;
  }
  __device__ Acc step(Acc acc, T x, int64_t index) const { return merge(acc, Acc{x, index}); }
  __device__ void store(Acc acc, int64_t value_offset, int64_t index_offset) const {
    values[value_offset] = acc.value;
    indices[index_offset] = acc.index;
  }
};

// __shfl_down_sync for every accumulator type (bool and uint8 travel as int).
template <typename V>
__device__ V shuffle_down(V v, unsigned delta) {
  if constexpr (std::is_same_v<V, bool>) return __shfl_down_sync(kFullMask, static_cast<int>(v), delta) != 0;
  else if constexpr (std::is_same_v<V, uint8_t>) return static_cast<uint8_t>(__shfl_down_sync(kFullMask, static_cast<int>(v), delta));
  else if constexpr (std::is_same_v<V, int64_t>) return static_cast<int64_t>(__shfl_down_sync(kFullMask, static_cast<long long>(v), delta));
  else return __shfl_down_sync(kFullMask, v, delta);  // float, double
}
template <typename T>
__device__ ArgAcc<T> shuffle_down(ArgAcc<T> v, unsigned delta) {
  return {shuffle_down(v.value, delta), shuffle_down(v.index, delta)};
}
__device__ functors::WelfordAcc shuffle_down(functors::WelfordAcc v, unsigned delta) {
  return {shuffle_down(v.mean, delta), shuffle_down(v.m2, delta), shuffle_down(v.n, delta)};
}

// ---------------------------------------------------------------- layout

using KeptDims = DimSet<3>;     // input, out0 (values), out1 (indices) strides
using ReducedDims = DimSet<1>;  // input strides
using Layout = ReduceLayout;

// Offsets of output `linear` in the input and both outputs.
struct KeptOffsets {
  int64_t in = 0, out0 = 0, out1 = 0;
};
__device__ KeptOffsets kept_offsets(const KeptDims& kept, int64_t linear) {
  KeptOffsets off;
  for (int d = kept.ndim - 1; d >= 0; --d) {
    const int64_t i = linear % kept.size[d];
    linear /= kept.size[d];
    off.in += i * kept.stride[0][d];
    off.out0 += i * kept.stride[1][d];
    off.out1 += i * kept.stride[2][d];
  }
  return off;
}

// Input offset of reduced element `linear` (relative to its output's first element),
// over the dims [0, ndim).
__device__ int64_t reduced_offset(const ReducedDims& reduced, int ndim, int64_t linear) {
  if (ndim == 1) return linear * reduced.stride[0][0];
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    off += linear % reduced.size[d] * reduced.stride[0][d];
    linear /= reduced.size[d];
  }
  return off;
}

// ---------------------------------------------------------------- kernels

// One thread per output: folds reduced elements [lo, hi) of chunk blockIdx.y, in
// order, in runs along the innermost reduced dim. Neighbouring threads hold
// neighbouring outputs. Writes the result, or the chunk's partial when partials.
template <typename T, typename R>
__global__ void reduce_per_thread_kernel(const T* in, R r, KeptDims kept, ReducedDims reduced, int64_t chunk,
                                         typename R::Acc* partials) {
  const int64_t n = reduced.numel;
  const int64_t lo = static_cast<int64_t>(blockIdx.y) * chunk;
  const int64_t hi = min(n, lo + chunk);
  const int inner = reduced.ndim - 1;
  const int64_t inner_size = reduced.size[inner];
  const int64_t inner_stride = reduced.stride[0][inner];
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < kept.numel; o += step) {
    const KeptOffsets off = kept_offsets(kept, o);
    const T* base = in + off.in;
    typename R::Acc acc = r.identity();
    for (int64_t pos = lo; pos < hi;) {
      const int64_t start = pos % inner_size;
      const int64_t run = min(inner_size - start, hi - pos);
      const T* p = base + reduced_offset(reduced, inner, pos / inner_size) + start * inner_stride;
      for (int64_t i = 0; i < run; ++i) acc = r.step(acc, p[i * inner_stride], pos + i);
      pos += run;
    }
    if (partials != nullptr) partials[blockIdx.y * kept.numel + o] = acc;
    else r.store(acc, off.out0, off.out1);
  }
}

// A group of group_size threads (a multiple of 32, dividing the block) per output:
// thread t folds reduced elements lo + t, lo + t + group_size, ... of chunk
// blockIdx.y; warp shuffles then shared memory (warps in order) combine the group.
template <typename T, typename R>
__global__ void __launch_bounds__(kThreadsPerBlock)
    reduce_per_group_kernel(const T* in, R r, KeptDims kept, ReducedDims reduced, int64_t chunk, int group_size,
                            typename R::Acc* partials) {
  using Acc = typename R::Acc;
  __shared__ Acc warp_results[kWarpsPerBlock];
  const int64_t n = reduced.numel;
  const int64_t lo = static_cast<int64_t>(blockIdx.y) * chunk;
  const int64_t hi = min(n, lo + chunk);
  const int groups_per_block = kThreadsPerBlock / group_size;
  const int group = static_cast<int>(threadIdx.x) / group_size;
  const int thread_in_group = static_cast<int>(threadIdx.x) % group_size;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const int warps_per_group = group_size / kWarpSize;
  // `first` is the same for the whole block, so every thread runs the same iterations
  // (the __syncthreads below need that); groups past the end fold nothing.
  const int64_t step = static_cast<int64_t>(gridDim.x) * groups_per_block;
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * groups_per_block; first < kept.numel; first += step) {
    const int64_t o = first + group;
    const bool active = o < kept.numel;
    KeptOffsets off;
    Acc acc = r.identity();
    if (active) {
      off = kept_offsets(kept, o);
      const T* base = in + off.in;
      for (int64_t pos = lo + thread_in_group; pos < hi; pos += group_size)
        acc = r.step(acc, base[reduced_offset(reduced, reduced.ndim, pos)], pos);
    }
    for (int delta = kWarpSize / 2; delta > 0; delta /= 2) acc = r.merge(acc, shuffle_down(acc, delta));
    if (warps_per_group > 1) {
      if (lane == 0) warp_results[warp] = acc;
      __syncthreads();
      if (thread_in_group == 0) {
        acc = warp_results[warp];
        for (int w = 1; w < warps_per_group; ++w) acc = r.merge(acc, warp_results[warp + w]);
      }
      __syncthreads();  // warp_results is rewritten by the next iteration
    }
    if (active && thread_in_group == 0) {
      if (partials != nullptr) partials[blockIdx.y * kept.numel + o] = acc;
      else r.store(acc, off.out0, off.out1);
    }
  }
}

// Second pass of a split reduction: one thread per output merges its chunks' partials
// in chunk order and stores the result.
template <typename R>
__global__ void combine_chunks_kernel(R r, KeptDims kept, const typename R::Acc* partials, int64_t chunks) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < kept.numel; o += step) {
    typename R::Acc acc = partials[o];
    for (int64_t c = 1; c < chunks; ++c) acc = r.merge(acc, partials[c * kept.numel + o]);
    const KeptOffsets off = kept_offsets(kept, o);
    r.store(acc, off.out0, off.out1);
  }
}

// ---------------------------------------------------------------- host side

// Chunks of a reduction of n elements whose first pass has `blocks` blocks of which
// each thread (threads_per_output per output) should fold >= kMinPerThread elements.
int64_t chunk_count(int64_t n, int64_t blocks, int64_t threads_per_output) {
  if (blocks >= kTargetBlocks) return 1;
  const int64_t by_work = n / (threads_per_output * kMinPerThread);
  return std::clamp<int64_t>(std::min(by_work, kTargetBlocks / blocks), 1, kMaxSplits);
}

template <typename T, typename R>
void run_reduction(const R& r, const T* in, const Layout& layout, Device device) {
  using Acc = typename R::Acc;
  const KeptDims& kept = layout.kept;
  const ReducedDims& reduced = layout.reduced;
  if (kept.numel == 0) return;
  const int64_t n = reduced.numel;
  const int inner_kept = kept.ndim - 1;
  const int inner_reduced = reduced.ndim - 1;
  const bool per_thread = n <= kSmallReduce || (kept.size[inner_kept] >= kColumnMin &&
                                                kept.stride[0][inner_kept] < reduced.stride[0][inner_reduced]);
  int group_size = kWarpSize;  // threads per output in the group kernel
  while (group_size < kThreadsPerBlock && static_cast<int64_t>(group_size) * kWarpSize < n) group_size *= 2;
  const int64_t outputs_per_block = per_thread ? kThreadsPerBlock : kThreadsPerBlock / group_size;
  const int64_t blocks = std::min(ceil_div(kept.numel, outputs_per_block), kMaxGridX);
  int64_t chunks = chunk_count(n, blocks, per_thread ? 1 : group_size);
  const int64_t chunk = chunks > 1 ? ceil_div(n, chunks) : std::max<int64_t>(n, 1);
  chunks = chunks > 1 ? ceil_div(n, chunk) : 1;

  Tensor workspace;  // chunk partials [chunks, kept.numel]; stream-ordered reuse
  Acc* partials = nullptr;
  if (chunks > 1) {
    const int64_t bytes = chunks * kept.numel * static_cast<int64_t>(sizeof(Acc));
    workspace = make_empty(Dims{bytes}, kUInt8, device);
    partials = static_cast<Acc*>(workspace.data_ptr());
  }
  cudaStream_t stream = current_raw_stream();
  const dim3 grid(static_cast<unsigned>(blocks), static_cast<unsigned>(chunks));
  if (per_thread) {
    reduce_per_thread_kernel<T, R><<<grid, kThreadsPerBlock, 0, stream>>>(in, r, kept, reduced, chunk, partials);
  } else {
    reduce_per_group_kernel<T, R><<<grid, kThreadsPerBlock, 0, stream>>>(in, r, kept, reduced, chunk, group_size,
                                                                          partials);
  }
  EMBER_CUDA_LAUNCH_CHECK();
  if (chunks > 1) {
    combine_chunks_kernel<R><<<cuda::detail::blocks_for(kept.numel), kThreadsPerBlock, 0, stream>>>(r, kept, partials,
                                                                                                   chunks);
    EMBER_CUDA_LAUNCH_CHECK();
  }
}

template <typename T, typename OutT>
void reduce_values(ReduceOp op, const T* in, OutT* out, const Layout& layout, Device device) {
  const int64_t count = layout.reduced.numel;
  switch (op) {
    case ReduceOp::Sum: return run_reduction(ValueReduce<T, OutT, ReduceOp::Sum>{out, count}, in, layout, device);
    case ReduceOp::Mean:
      if constexpr (std::is_floating_point_v<T>)
        return run_reduction(ValueReduce<T, OutT, ReduceOp::Mean>{out, count}, in, layout, device);
      break;
    case ReduceOp::Prod: return run_reduction(ValueReduce<T, OutT, ReduceOp::Prod>{out, count}, in, layout, device);
    case ReduceOp::Max:
    case ReduceOp::Min:
      if constexpr (std::is_same_v<T, OutT>) {
        if (op == ReduceOp::Max) return run_reduction(ValueReduce<T, T, ReduceOp::Max>{out, count}, in, layout, device);
        return run_reduction(ValueReduce<T, T, ReduceOp::Min>{out, count}, in, layout, device);
      }
      break;
  }
  EMBER_INTERNAL_ASSERT(false, "cuda reduce: unsupported op/dtype combination");
}

}  // namespace

void reduce(ReduceOp op, const Tensor& in, const Tensor& out) {
  EMBER_CHECK(op != ReduceOp::Mean || is_floating(in.dtype()), "mean(): expected a floating-point input, but got ",
              dtype_name(in.dtype()));
  EMBER_INTERNAL_ASSERT(in.device() == out.device(), "cuda reduce: input and output on different devices");
  const Layout layout = make_reduce_layout(in, out, out);
  visit_dtype_except_reduced(in.dtype(), "reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    if (out.dtype() == in.dtype()) return reduce_values(op, src, static_cast<T*>(out.data_ptr()), layout, in.device());
    // Sums and products of integers and bools widen to int64.
    EMBER_INTERNAL_ASSERT(!std::is_floating_point_v<T> && out.dtype() == kInt64 &&
                              (op == ReduceOp::Sum || op == ReduceOp::Prod),
                          "cuda reduce: output dtype ", dtype_name(out.dtype()), " for input ", dtype_name(in.dtype()));
    if constexpr (!std::is_floating_point_v<T>)
      reduce_values(op, src, static_cast<int64_t*>(out.data_ptr()), layout, in.device());
  });
}

void var_mean(const Tensor& in, double correction, const Tensor& var_out, const Tensor& mean_out) {
  EMBER_INTERNAL_ASSERT(is_floating(in.dtype()) && !is_reduced_float(in.dtype()) && var_out.dtype() == in.dtype() &&
                            (!mean_out.defined() || mean_out.dtype() == in.dtype()),
                        "cuda var_mean: dtypes ", dtype_name(in.dtype()), " -> ", dtype_name(var_out.dtype()));
  EMBER_INTERNAL_ASSERT(in.device() == var_out.device(), "cuda var_mean: input and output on different devices");
  const Layout layout = make_reduce_layout(in, var_out, mean_out.defined() ? mean_out : var_out);
  visit_dtype_except_reduced(in.dtype(), "var_mean", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      T* mean = mean_out.defined() ? static_cast<T*>(mean_out.data_ptr()) : nullptr;
      run_reduction(MomentsReduce<T>{static_cast<T*>(var_out.data_ptr()), mean, correction},
                    static_cast<const T*>(in.data_ptr()), layout, in.device());
    }
  });
}

void arg_reduce(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  EMBER_INTERNAL_ASSERT(dim >= 0 && dim < in.dim(), "cuda arg_reduce: dim ", dim, " for shape ", in.sizes());
  Dims expected = in.sizes();
  expected[static_cast<size_t>(dim)] = 1;
  EMBER_INTERNAL_ASSERT(values.sizes() == expected && indices.sizes() == expected && values.dtype() == in.dtype() &&
                            indices.dtype() == kInt64,
                        "cuda arg_reduce: outputs do not fit input ", in.sizes());
  // The one reduced dim's position is the index (other size-1 dims are dropped).
  const Layout layout = make_reduce_layout(in, values, indices);
  visit_dtype_except_reduced(in.dtype(), "arg_reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    T* vals = static_cast<T*>(values.data_ptr());
    int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
    if (op == ArgReduceOp::ArgMax) run_reduction(ArgReduce<T, true>{vals, idx}, src, layout, in.device());
    else run_reduction(ArgReduce<T, false>{vals, idx}, src, layout, in.device());
  });
}

}  // namespace ember::cuda_kernels
