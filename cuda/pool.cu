// CUDA max / average / adaptive-average pooling over [planes, H, W], NCHW or channels-last
// (each operand either; Note [Channels-last layers] in nn/functional/args.h): a thread per
// output in forward, a thread per input in backward (it gathers the outputs whose window
// covers it, in the CPU's order: deterministic, no atomics), in memory order.
// Windows come from pool_window (core/nn_geometry.h), shared with the CPU kernels; max
// pooling's indices are window-local (Note [Compact saved activations], core/bitmask.h).
#include <cuda_runtime.h>

#include <limits>
#include <type_traits>

#include "core/bitmask.h"
#include "core/pool_indices.h"
#include "core/nn_geometry.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

// The outputs [lo, hi) along one axis whose windows may cover input position i
// (a superset for the adaptive rule's rounding; callers check with pool_window).
__device__ void outputs_over(int64_t i, int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad,
                             bool adaptive, int64_t& lo, int64_t& hi) {
  if (adaptive) {
    lo = i * out / in;
    hi = ((i + 1) * out + in - 1) / in;
  } else {
    const int64_t first = i + pad - k;  // outputs with o * stride > first
    lo = first < 0 ? 0 : first / stride + 1;
    hi = (i + pad) / stride + 1;
  }
  lo = lo < 0 ? 0 : lo;
  hi = hi > out ? out : hi;
}

// How one operand lies in memory: NCHW planes ([planes, area] row-major), or channels-last
// ([N, area, C], plane p = n * C + c). Each kernel walks its thread's tensor in memory
// order, so neighbouring threads touch neighbouring addresses in either layout.
struct PlaneLayout {
  int64_t C = 1;  // channels, when channels_last
  bool channels_last = false;

  // Element i (memory order) of a tensor with `area` positions per plane: plane p, position q.
  __device__ void site(int64_t i, int64_t area, int64_t& p, int64_t& q) const {
    if (!channels_last) {
      p = i / area, q = i % area;
      return;
    }
    const int64_t rest = i / C;
    q = rest % area, p = rest / area * C + i % C;
  }
  // The offset of position q of plane p.
  __device__ int64_t at(int64_t p, int64_t q, int64_t area) const {
    return channels_last ? ((p / C) * area + q) * C + p % C : p * area + q;
  }
  __device__ int64_t step() const { return channels_last ? C : 1; }
};

// A pooling operand's layout: row-major (3-D, or 4-D NCHW), else dense channels-last.
PlaneLayout layout_of(const Tensor& t) {
  if (t.is_contiguous()) return {};
  EMBER_INTERNAL_ASSERT(t.dim() == 4 && t.is_contiguous(MemoryFormat::ChannelsLast),
                        "CUDA pooling: expected an NCHW or channels-last dense operand, got strides ", t.strides());
  return {t.size(1), true};
}

// Input position (h, w) of a plane: the outputs [oh0, oh1) x [ow0, ow1) whose windows may
// cover it (the backward kernels' gather range).
struct InputSite {
  int64_t h, w, oh0, oh1, ow0, ow1;
};

__device__ InputSite input_site(int64_t q, const PoolGeometry& g) {
  InputSite s{};
  s.w = q % g.W, s.h = q / g.W;
  outputs_over(s.h, g.H, g.OH, g.KH, g.SH, g.PH, g.adaptive, s.oh0, s.oh1);
  outputs_over(s.w, g.W, g.OW, g.KW, g.SW, g.PW, g.adaptive, s.ow0, s.ow1);
  return s;
}

// Output o in out's memory order; indices (when kept) laid out as il says.
template <typename T, typename I>
__global__ void max_pool_forward_kernel(const T* x, PlaneLayout xl, T* out, PlaneLayout ol, I* indices,
                                        PlaneLayout il, PoolGeometry g, int64_t total) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= total) return;
  const int64_t out_area = g.OH * g.OW;
  int64_t p, q;
  ol.site(o, out_area, p, q);
  const int64_t oh = q / g.OW, ow = q % g.OW;
  int64_t arg;
  out[o] = window_max(x + xl.at(p, 0, g.H * g.W), g.W, pool_window(g, oh, ow), -std::numeric_limits<T>::infinity(),
                      arg, xl.step());
  if (indices) indices[il.at(p, q, out_area)] = static_cast<I>(window_local_index(g, oh, ow, arg));
}

// Input element i in gx's memory order gathers the outputs whose winner it is.
template <typename T, typename I>
__global__ void max_pool_backward_kernel(const T* grad, PlaneLayout gl, const I* indices, PlaneLayout il, T* gx,
                                         PlaneLayout xl, PoolGeometry g, int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t out_area = g.OH * g.OW;
  int64_t p, self;
  xl.site(i, g.H * g.W, p, self);
  const InputSite site = input_site(self, g);
  T sum = 0;
  for (int64_t oh = site.oh0; oh < site.oh1; ++oh)
    for (int64_t ow = site.ow0; ow < site.ow1; ++ow) {
      const int64_t q = oh * g.OW + ow;
      if (window_flat_index(g, oh, ow, indices[il.at(p, q, out_area)]) == self) sum += grad[gl.at(p, q, out_area)];
    }
  gx[i] = sum;
}

template <typename T>
__global__ void avg_pool_forward_kernel(const T* x, PlaneLayout xl, T* out, PlaneLayout ol, PoolGeometry g,
                                        int64_t total) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= total) return;
  int64_t p, q;
  ol.site(o, g.OH * g.OW, p, q);
  const PoolWindow win = pool_window(g, q / g.OW, q % g.OW);
  const T sum = window_sum(x + xl.at(p, 0, g.H * g.W), g.W, win, xl.step());
  out[o] = win.divisor > 0 ? sum / static_cast<T>(win.divisor) : T(0);
}

template <typename T>
__global__ void avg_pool_backward_kernel(const T* grad, PlaneLayout gl, T* gx, PlaneLayout xl, PoolGeometry g,
                                         int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  int64_t p, q;
  xl.site(i, g.H * g.W, p, q);
  const InputSite site = input_site(q, g);
  const int64_t h = site.h, w = site.w;
  T sum = 0;
  for (int64_t oh = site.oh0; oh < site.oh1; ++oh)
    for (int64_t ow = site.ow0; ow < site.ow1; ++ow) {
      const PoolWindow win = pool_window(g, oh, ow);
      if (win.divisor <= 0 || h < win.h0 || h >= win.h1 || w < win.w0 || w >= win.w1) continue;
      sum += grad[gl.at(p, oh * g.OW + ow, g.OH * g.OW)] / static_cast<T>(win.divisor);
    }
  gx[i] = sum;
}

// launch(tag, blocks, stream) for a thread per element of `total` (nothing when 0), by dtype.
template <typename Launch>
void launch_per_element(int64_t total, DType dtype, const char* op, const Launch& launch) {
  if (total == 0) return;
  visit_floating(dtype, op, [&](auto tag) {
    launch(tag, blocks_for(total), current_raw_stream());  // each launch is checked where it is made
  });
}

}  // namespace

void max_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out, const Tensor& indices) {
  visit_pool_indices(indices, [&](auto* idx) {
    using I = std::remove_pointer_t<decltype(idx)>;
    launch_per_element(out.numel(), x.dtype(), "max_pool2d", [&](auto tag, unsigned blocks, cudaStream_t stream) {
      using T = typename decltype(tag)::type;
      max_pool_forward_kernel<T, I><<<blocks, kThreadsPerBlock, 0, stream>>>(
          x.data_ptr<T>(), layout_of(x), out.data_ptr<T>(), layout_of(out), idx,
          indices.defined() ? layout_of(indices) : PlaneLayout{}, g, out.numel());
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const PoolGeometry& g, const Tensor& grad_x) {
  visit_pool_indices(indices, [&](auto* idx) {
    using I = std::remove_pointer_t<decltype(idx)>;
    launch_per_element(grad_x.numel(), grad.dtype(), "max_pool2d backward", [&](auto tag, unsigned blocks,
                                                                                 cudaStream_t stream) {
      using T = typename decltype(tag)::type;
      max_pool_backward_kernel<T, I><<<blocks, kThreadsPerBlock, 0, stream>>>(
          grad.data_ptr<T>(), layout_of(grad), idx, layout_of(indices), grad_x.data_ptr<T>(), layout_of(grad_x), g,
          grad_x.numel());
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void avg_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out) {
  launch_per_element(out.numel(), x.dtype(), "avg_pool2d", [&](auto tag, unsigned blocks, cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    avg_pool_forward_kernel<T><<<blocks, kThreadsPerBlock, 0, stream>>>(x.data_ptr<T>(), layout_of(x),
                                                                         out.data_ptr<T>(), layout_of(out), g,
                                                                         out.numel());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void avg_pool2d_backward(const Tensor& grad, const PoolGeometry& g, const Tensor& grad_x) {
  launch_per_element(grad_x.numel(), grad.dtype(), "avg_pool2d backward", [&](auto tag, unsigned blocks,
                                                                               cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    avg_pool_backward_kernel<T><<<blocks, kThreadsPerBlock, 0, stream>>>(
        grad.data_ptr<T>(), layout_of(grad), grad_x.data_ptr<T>(), layout_of(grad_x), g, grad_x.numel());
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
