// CUDA elementwise kernels (unary, binary, binary with a scalar, where, copy with dtype
// conversion, fill): the functors of core/functors.h applied by one launcher, with a
// vectorised path for contiguous (or broadcast-value) operands and an offset-calculator
// path for any strided layout. Contracts: core/dispatch.h.
#include <algorithm>
#include <array>
#include <type_traits>
#include <utility>

#include "core/elementwise_dispatch.h"
#include "core/functors.h"
#include "cuda/cuda_internal.h"
#include "cuda/grid_stride.cuh"
#include "cuda/indexing.cuh"

namespace ember::cuda_kernels {
namespace {

using namespace ember::functors;
using cuda::detail::AlignedVector;
using cuda::detail::ElementwiseLayout;
using cuda::detail::OffsetCalculator;
using cuda::detail::grid_stride_blocks;
using cuda::detail::kThreadsPerBlock;

// Which inputs of a flat launch are one broadcast value (read at index 0).
struct BroadcastFlags {
  bool flag[4] = {false, false, false, false};
};

// Elements per thread step of the vectorised path: 16 bytes of the widest operand.
template <typename Out, typename... In>
constexpr int vector_width() {
  return static_cast<int>(16 / std::max({sizeof(Out), sizeof(In)...}));
}

__device__ __forceinline__ int64_t global_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_threads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Element i of a flat operand (index 0 when it is a broadcast value).
template <typename T>
__device__ __forceinline__ T flat_load(const T* p, int64_t i, bool broadcast) {
  return p[broadcast ? 0 : i];
}

template <typename T, int V>
__device__ __forceinline__ AlignedVector<T, V> vector_load(const T* p, int64_t vector_index, bool broadcast) {
  if (broadcast) {
    AlignedVector<T, V> repeated;
    const T value = *p;
#pragma unroll
    for (int j = 0; j < V; ++j) repeated.v[j] = value;
    return repeated;
  }
  return reinterpret_cast<const AlignedVector<T, V>*>(p)[vector_index];
}

template <int V, typename F, typename Out, typename... In, size_t... I>
__device__ __forceinline__ void vector_step(std::index_sequence<I...>, const F& f, int64_t vector_index,
                                            const BroadcastFlags& broadcast, Out* out, const In*... in) {
  [&](const AlignedVector<In, V>&... loaded) {
    AlignedVector<Out, V> result;
#pragma unroll
    for (int j = 0; j < V; ++j) result.v[j] = f(loaded.v[j]...);
    reinterpret_cast<AlignedVector<Out, V>*>(out)[vector_index] = result;
  }(vector_load<In, V>(in, vector_index, broadcast.flag[I])...);
}

// Flat operands whose non-broadcast pointers are all aligned to V elements: each
// thread step handles V elements with one load per input and one store; the last
// n % V elements go to the first threads.
template <int V, typename F, typename Out, typename... In>
__global__ void flat_vectorised_kernel(F f, int64_t n, BroadcastFlags broadcast, Out* out, const In*... in) {
  const int64_t vectors = n / V;
  for (int64_t v = global_thread(); v < vectors; v += grid_threads())
    vector_step<V>(std::index_sequence_for<In...>{}, f, v, broadcast, out, in...);
  const int64_t tail = vectors * V + global_thread();
  if (tail < n) {
    [&]<size_t... I>(std::index_sequence<I...>) {
      out[tail] = f(flat_load(in, tail, broadcast.flag[I])...);
    }(std::index_sequence_for<In...>{});
  }
}

// Flat operands, any alignment: one element per thread step.
template <typename F, typename Out, typename... In>
__global__ void flat_kernel(F f, int64_t n, BroadcastFlags broadcast, Out* out, const In*... in) {
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    [&]<size_t... I>(std::index_sequence<I...>) {
      out[i] = f(flat_load(in, i, broadcast.flag[I])...);
    }(std::index_sequence_for<In...>{});
  }
}

// Any strided layout: the offset calculator maps each linear index to the operands.
template <typename Index, typename F, typename Out, typename... In>
__global__ void strided_kernel(F f, int64_t n, OffsetCalculator<1 + sizeof...(In), Index> calc, Out* out,
                               const In*... in) {
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    Index offsets[1 + sizeof...(In)];
    calc.offsets(static_cast<Index>(i), offsets);
    [&]<size_t... I>(std::index_sequence<I...>) {
      out[offsets[0]] = f(in[offsets[I + 1]]...);
    }(std::index_sequence_for<In...>{});
  }
}

// A Tensor parameter per input type (for the parameter pack of apply).
template <typename In>
using TensorFor = const Tensor&;

struct CudaLauncher {
  // out = f(in...) elementwise over same-shaped operands on the current device (out may
  // alias an input with the same layout). Launches on the current stream.
  template <typename Out, typename... In, typename F>
  static void apply(const F& f, const Tensor& out, TensorFor<In>... in) {
    static_assert(sizeof...(In) <= 4, "BroadcastFlags holds at most 4 inputs");
    constexpr int kOperands = 1 + static_cast<int>(sizeof...(In));
    const int64_t n = out.numel();
    if (n == 0) return;
    cudaStream_t stream = cuda::detail::current_raw_stream();
    Out* const out_ptr = static_cast<Out*>(out.data_ptr());
    const ElementwiseLayout<kOperands> layout({&out, &in...});

    if (layout.is_flat()) {
      BroadcastFlags broadcast;
      for (int k = 1; k < kOperands; ++k) broadcast.flag[k - 1] = layout.is_broadcast(k);
      constexpr int V = vector_width<Out, In...>();
      // Every operand read or written as vectors must start on a vector boundary.
      const std::array<bool, sizeof...(In)> in_aligned{cuda::detail::is_vector_aligned<In, V>(in.data_ptr())...};
      bool aligned = cuda::detail::is_vector_aligned<Out, V>(out_ptr);
      for (int k = 1; k < kOperands; ++k) aligned = aligned && (broadcast.flag[k - 1] || in_aligned[k - 1]);
      if (aligned && n >= V) {
        flat_vectorised_kernel<V><<<grid_stride_blocks((n + V - 1) / V), kThreadsPerBlock, 0, stream>>>(
            f, n, broadcast, out_ptr, static_cast<const In*>(in.data_ptr())...);
      } else {
        flat_kernel<<<grid_stride_blocks(n), kThreadsPerBlock, 0, stream>>>(
            f, n, broadcast, out_ptr, static_cast<const In*>(in.data_ptr())...);
      }
    } else if (layout.fits_int32()) {
      strided_kernel<int32_t><<<grid_stride_blocks(n), kThreadsPerBlock, 0, stream>>>(
          f, n, OffsetCalculator<kOperands, int32_t>(layout), out_ptr, static_cast<const In*>(in.data_ptr())...);
    } else {
      strided_kernel<int64_t><<<grid_stride_blocks(n), kThreadsPerBlock, 0, stream>>>(
          f, n, OffsetCalculator<kOperands, int64_t>(layout), out_ptr, static_cast<const In*>(in.data_ptr())...);
    }
    EMBER_CUDA_LAUNCH_CHECK();
  }
};
using Kernels = ElementwiseKernels<CudaLauncher>;

}  // namespace

void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryArgs& args) {
  Kernels::unary(op, in, out, args);
}
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha) {
  Kernels::binary(op, a, b, out, alpha);
}
void binary_scalar(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first, const Tensor& out) {
  Kernels::binary_scalar(op, a, s, scalar_first, out);
}
void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) { Kernels::where(cond, a, b, out); }
void unary_backward(UnaryOp op, int order, const Tensor& grad, const Tensor& x, const Tensor& out,
                    const UnaryArgs& args) {
  Kernels::unary_backward(op, order, grad, x, out, args);
}
// A BCE input outside [0, 1] goes to the device error word, thrown at the next
// synchronising point (Note [Bad input found by elementwise kernels]).
void pointwise_loss(PointwiseLoss op, const Tensor& input, const Tensor& target, const Tensor& pos_weight,
                    const PointwiseLossArgs& args, const Tensor& out) {
  Kernels::pointwise_loss(op, input, target, pos_weight, args, out, cuda::detail::device_error_word());
}
void pointwise_loss_backward(PointwiseLoss op, LossGradWrt wrt, const Tensor& grad, const Tensor& input,
                             const Tensor& target, const Tensor& pos_weight, const PointwiseLossArgs& args,
                             const Tensor& out) {
  Kernels::pointwise_loss_backward(op, wrt, grad, input, target, pos_weight, args, out);
}

void copy(const Tensor& src, const Tensor& dst) {
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {  // a plain memcpy
    void* to = dst.data_ptr();
    const void* from = src.data_ptr();
    if (dst.nbytes() == 0 || to == from) return;
    EMBER_CUDA_CHECK(
        cudaMemcpyAsync(to, from, dst.nbytes(), cudaMemcpyDeviceToDevice, cuda::detail::current_raw_stream()));
    return;
  }
  Kernels::cast(src, dst);
}

void fill(const Tensor& dst, const Scalar& value) { Kernels::fill(dst, value); }

}  // namespace ember::cuda_kernels
