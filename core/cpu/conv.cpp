// conv2d on the CPU as im2col + GEMM over chunks of images, each thread taking whole
// chunks (columns [C*KH*KW, n*OH*OW] in cache) in forward and backward, and cheap
// transposes between [O, n, L] and [n, O, L] (L = OH*OW).
#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/cpu/float32_compute.h"
#include "core/cpu/half_convert.h"
#include "core/cpu/kernels.h"
#include "core/native.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : native::clone(t); }

int64_t grain_for(int64_t work_per_item) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, work_per_item)); }

// The outputs o in [0, out) whose input o * stride + offset falls in [0, in).
std::pair<int64_t, int64_t> valid_range(int64_t offset, int64_t stride, int64_t in, int64_t out) {
  const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t hi = in - offset <= 0 ? 0 : std::min(out, (in - offset + stride - 1) / stride);
  return {std::min(lo, out), std::max(hi, std::min(lo, out))};
}

// Column row (c, ki, kj), image n: dst[oh, ow] = plane[oh*SH - PH + ki*DH, ow*SW - PW + kj*DW] (0 outside).
template <typename T>
void im2col_segment(const T* plane, T* dst, const ConvGeometry& g, int64_t ki, int64_t kj) {
  const int64_t row_off = ki * g.DH - g.PH, col_off = kj * g.DW - g.PW;
  const auto [h_lo, h_hi] = valid_range(row_off, g.SH, g.H, g.OH);
  const auto [w_lo, w_hi] = valid_range(col_off, g.SW, g.W, g.OW);
  // Padding is zeroed by one fill of the whole segment (short rows made it up to three
  // memset calls per row), then the valid block is copied over it.
  if (h_lo > 0 || h_hi < g.OH || w_lo > 0 || w_hi < g.OW) std::fill(dst, dst + g.OH * g.OW, T(0));
  for (int64_t oh = h_lo; oh < h_hi; ++oh) {
    T* d = dst + oh * g.OW;
    const T* s = plane + (oh * g.SH + row_off) * g.W + col_off;
    if (g.SW == 1)  // rows are short (OW ~ 14-28): a loop beats a memcpy call
      for (int64_t ow = w_lo; ow < w_hi; ++ow) d[ow] = s[ow];
    else
      for (int64_t ow = w_lo; ow < w_hi; ++ow) d[ow] = s[ow * g.SW];
  }
}

// The adjoint of im2col_segment: plane[...] += src[oh, ow].
template <typename T>
void col2im_segment(const T* src, T* plane, const ConvGeometry& g, int64_t ki, int64_t kj) {
  const int64_t row_off = ki * g.DH - g.PH, col_off = kj * g.DW - g.PW;
  const auto [h_lo, h_hi] = valid_range(row_off, g.SH, g.H, g.OH);
  const auto [w_lo, w_hi] = valid_range(col_off, g.SW, g.W, g.OW);
  for (int64_t oh = h_lo; oh < h_hi; ++oh) {
    const T* s = src + oh * g.OW;
    T* d = plane + (oh * g.SH + row_off) * g.W + col_off;
    for (int64_t ow = w_lo; ow < w_hi; ++ow) d[ow * g.SW] += s[ow];
  }
}

// x [N, C, H, W] -> cols [C*KH*KW, N*L], parallel over (row, image) segments.
template <typename T>
void im2col(const T* x, T* cols, const ConvGeometry& g) {
  const int64_t L = g.OH * g.OW, rows = g.C * g.KH * g.KW;
  parallel_for(0, rows * g.N, grain_for(L), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t r = i / g.N, n = i % g.N;
      const int64_t c = r / (g.KH * g.KW), ki = r / g.KW % g.KH, kj = r % g.KW;
      im2col_segment(x + (n * g.C + c) * g.H * g.W, cols + r * g.N * L + n * L, g, ki, kj);
    }
  });
}

// cols [C*KH*KW, N*L] -> dx [N, C, H, W] (overwritten), parallel over (n, c) planes. A
// 16-bit dx gets each plane summed in the compute type and rounded once.
template <typename C, typename S>
void col2im(const C* cols, S* dx, const ConvGeometry& g) {
  const int64_t L = g.OH * g.OW, kk = g.KH * g.KW, HW = g.H * g.W;
  parallel_for(0, g.N * g.C, grain_for(kk * L), [&](int64_t lo, int64_t hi) {
    std::vector<C> sum(std::is_same_v<C, S> ? 0 : static_cast<size_t>(HW));
    for (int64_t p = lo; p < hi; ++p) {
      const int64_t n = p / g.C, c = p % g.C;
      C* plane = nullptr;
      if constexpr (std::is_same_v<C, S>) plane = dx + p * HW;
      else plane = sum.data();
      std::fill(plane, plane + HW, C(0));
      for (int64_t k = 0; k < kk; ++k)
        col2im_segment(cols + (c * kk + k) * g.N * L + n * L, plane, g, k / g.KW, k % g.KW);
      if constexpr (!std::is_same_v<C, S>) convert_values(plane, dx + p * HW, HW);
    }
  });
}

// dst[b, a, :] = src[a, b, :] (+ bias[a]) for rows of length L, converted (and so rounded
// once) from src's type to dst's; a sum to round goes through a strip of S, converted in bulk.
template <typename S, typename D>
void swap_outer(const S* src, D* dst, int64_t A, int64_t B, int64_t L, const S* bias) {
  parallel_for(0, A * B, grain_for(L), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t b = i / A, a = i % A;
      const S* s = src + (a * B + b) * L;
      D* d = dst + i * L;
      if (!bias) {
        convert_values(s, d, L);
      } else if constexpr (std::is_same_v<S, D>) {
        const S add = bias[a];
        for (int64_t l = 0; l < L; ++l) d[l] = s[l] + add;
      } else {
        constexpr int64_t kStrip = 256;
        S strip[kStrip];
        const S add = bias[a];
        for (int64_t l0 = 0; l0 < L; l0 += kStrip) {
          const int64_t n = std::min(kStrip, L - l0);
          for (int64_t l = 0; l < n; ++l) strip[l] = s[l0 + l] + add;
          convert_values(strip, d + l0, n);
        }
      }
    }
  });
}

// Sum of n values: 8 independent lanes (so it vectorizes) flushed to double every block.
template <typename T>
double row_sum(const T* v, int64_t n) {
  constexpr int64_t kLanes = 8, kBlock = 4096;
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t end = std::min(n, b + kBlock);
    T lane[kLanes] = {};
    int64_t i = b;
    for (; i + kLanes <= end; i += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) lane[j] += v[i + j];
    for (; i < end; ++i) total += v[i];
    for (int64_t j = 0; j < kLanes; ++j) total += lane[j];
  }
  return total;
}

// A chunk of n input values in ComputeType<T>: the values themselves, or a 16-bit chunk
// widened in bulk into wide (a float32 buffer of at least n values from the caching
// allocator, so memory statistics count it; Note [16-bit convolution chunk by chunk]), in
// parallel when the chunks themselves are not.
template <typename T>
const ComputeType<T>* in_compute_type(const T* p, int64_t n, const Tensor& wide) {
  if constexpr (is_reduced_float_v<T>) {
    float* w = static_cast<float*>(wide.data_ptr());
    parallel_for(0, n, kParallelGrain, [&](int64_t lo, int64_t hi) { convert_values(p + lo, w + lo, hi - lo); });
    return w;
  } else {
    return p;
  }
}

// A buffer for a chunk of `images` input images in the compute type when x is 16-bit;
// undefined otherwise.
Tensor widened_chunk_buffer(const Tensor& x, const ConvGeometry& g, int64_t images) {
  return is_reduced_float(x.dtype()) ? make_empty({images * g.C * g.H * g.W}, kFloat32, x.device()) : Tensor();
}

template <typename T>
T* data(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// Threads that take whole chunks of images. One when already parallel, or when there
// are too few chunks to balance (a small batch): the im2col, GEMM and transposes of
// each chunk then parallelize themselves.
int chunk_threads(int64_t chunks) {
  const int max_threads = omp_in_parallel() ? 1 : get_num_threads();
  return chunks >= 2 * static_cast<int64_t>(max_threads) ? max_threads : 1;
}

// fn(slot, c) for every chunk c, chunk c on slot c % threads: one parallel region, and
// each slot (thread) owns buffers the caller allocated for it.
template <typename Fn>
void run_chunks(int threads, int64_t chunks, const Fn& fn) {
  if (threads <= 1) {
    for (int64_t c = 0; c < chunks; ++c) fn(0, c);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    for (int64_t c = t; c < chunks; c += threads) fn(t, c);
  }
}

// Images per chunk: the chunk's buffers (per_image_elems values each image) near `bytes`.
int64_t images_per_chunk(int64_t per_image_elems, int64_t element_size, int64_t bytes, int64_t N) {
  return std::clamp<int64_t>(bytes / std::max<int64_t>(1, per_image_elems * element_size), 1, std::max<int64_t>(N, 1));
}

}  // namespace

// Note [16-bit convolution chunk by chunk]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A bfloat16 or float16 conv2d computes in float32 and rounds each result once, like every
// 16-bit CPU kernel (core/cpu/float32_compute.h), but it widens only what one chunk of
// images needs: the chunk's input, in bulk (F16C for float16) into a buffer of the
// thread's, then im2col and the GEMM in float32, and the transpose into the output (bias
// added) rounds as it writes. Only the weight and bias (small) are widened whole. A float32
// copy of the whole input and of the whole output had made a float16 model's no_grad peak
// exceed float32's. The backward widens the gradient and the input per chunk the same way,
// sums dx's planes and gw in float (double for gw) and rounds once, so the results are the
// bits of the float32 kernel on the widened operands.

void conv2d_forward(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const ConvGeometry& g,
                    const Tensor& out) {
  EMBER_INTERNAL_ASSERT(x_in.dtype() == w_in.dtype() && (!b_in.defined() || b_in.dtype() == x_in.dtype()),
                        "conv2d_forward: operands of one dtype");
  const Tensor x = contiguous(x_in), w = contiguous(widened(w_in));
  const Tensor b = b_in.defined() ? contiguous(widened(b_in)) : Tensor();
  const DType compute = w.dtype();
  const int64_t G = g.groups, L = g.OH * g.OW, K = g.C / G * g.KH * g.KW;
  if (out.numel() == 0) return;
  // The batch goes through in chunks of images whose column matrix and GEMM output stay
  // near kChunkBytes (about a core's L2), so a forward holds neither the whole batch's
  // im2col nor a second full-size output. Each thread takes whole chunks (im2col, a
  // single-threaded GEMM, the transpose into out) with buffers of its own allocated
  // here: one parallel region per convolution, and a chunk's data stays in its cache.
  constexpr int64_t kChunkBytes = 1 << 20;
  const int64_t chunk = images_per_chunk((g.C * g.KH * g.KW + g.O) * L, w.element_size(), kChunkBytes, g.N);
  const int64_t chunks = (g.N + chunk - 1) / chunk;
  const int threads = chunk_threads(chunks);
  std::vector<Tensor> cols_buf, y_buf, x_wide;
  for (int t = 0; t < threads; ++t) {
    cols_buf.push_back(make_empty({g.C * g.KH * g.KW * chunk * L}, compute, x.device()));
    y_buf.push_back(make_empty({g.O * chunk * L}, compute, x.device()));
    x_wide.push_back(widened_chunk_buffer(x, g, chunk));
  }
  visit_floating_or_reduced(x.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    run_chunks(threads, chunks, [&](int t, int64_t c) {
      ConvGeometry part = g;
      const int64_t n0 = c * chunk;
      part.N = std::min(chunk, g.N - n0);
      const int64_t cols_n = part.N * L;
      const int64_t chunk_values = part.N * g.C * g.H * g.W;
      im2col(in_compute_type(data<T>(x) + n0 * g.C * g.H * g.W, chunk_values, x_wide[t]),
             data<C>(cols_buf[t]), part);
      // One GEMM per group (OpenBLAS or ember's fallback): y [O, n*L] = w [O, K] @ cols [K, n*L].
      const Tensor cols = native::view(native::narrow(cols_buf[t], 0, 0, G * K * cols_n), {G, K, cols_n});
      const Tensor y = native::view(native::narrow(y_buf[t], 0, 0, g.O * cols_n), {G, g.O / G, cols_n});
      gemm(native::view(w, {G, g.O / G, K}), cols, y);
      swap_outer(data<C>(y), data<T>(out) + n0 * g.O * L, g.O, part.N, L, b.defined() ? data<C>(b) : nullptr);
    });
  });
}

// The backward goes through chunks of images like the forward: per chunk, grad as
// [O, n*L], its bias sums, gw's share gy @ cols^T (accumulated per thread in double)
// and dx's columns w^T @ gy put back by col2im; no batch-sized column matrix is made.
void conv2d_backward(const Tensor& grad_in, const Tensor& x_in, const Tensor& w_in, const ConvGeometry& g,
                     const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  const bool need_x = gx.defined(), need_w = gw.defined(), need_b = gb.defined();
  if (!need_x && !need_w && !need_b) return;
  const Tensor grad = contiguous(grad_in);
  const DType dt = compute_dtype(grad.dtype());
  const Device dev = grad.device();
  const int64_t G = g.groups, L = g.OH * g.OW, K = g.C / G * g.KH * g.KW, rows = G * K;
  const Tensor x = need_w ? contiguous(x_in) : Tensor();
  const Tensor w = need_x ? contiguous(widened(w_in)) : Tensor();
  constexpr int64_t kChunkBytes = 2 << 20;
  const int64_t per_image = (g.O + (need_w ? rows : 0) + (need_x ? rows : 0)) * L;
  const int64_t chunk = images_per_chunk(per_image, static_cast<int64_t>(itemsize(dt)), kChunkBytes, g.N);
  const int64_t chunks = g.N == 0 ? 0 : (g.N + chunk - 1) / chunk;
  const int threads = chunk_threads(chunks);
  struct Slot {
    Tensor gy, cols, dcols, gw_part;
    std::vector<double> gw_sum, gb_sum;
    Tensor x_wide;  // a 16-bit chunk widened
  };
  std::vector<Slot> slots(static_cast<size_t>(threads));
  for (Slot& s : slots) {
    s.gy = make_empty({g.O * chunk * L}, dt, dev);
    if (need_w) {
      s.cols = make_empty({rows * chunk * L}, dt, dev);
      s.x_wide = widened_chunk_buffer(x, g, chunk);
      s.gw_part = make_empty({G, g.O / G, K}, dt, dev);
      s.gw_sum.assign(static_cast<size_t>(g.O * K), 0.0);
    }
    if (need_x) s.dcols = make_empty({rows * chunk * L}, dt, dev);
    if (need_b) s.gb_sum.assign(static_cast<size_t>(g.O), 0.0);
  }
  visit_floating_or_reduced(grad.dtype(), "conv2d backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    run_chunks(threads, chunks, [&](int t, int64_t c) {
      Slot& s = slots[static_cast<size_t>(t)];
      ConvGeometry part = g;
      const int64_t n0 = c * chunk;
      part.N = std::min(chunk, g.N - n0);
      const int64_t nL = part.N * L;
      swap_outer<T, C>(data<T>(grad) + n0 * g.O * L, data<C>(s.gy), part.N, g.O, L, nullptr);  // [n, O, L] -> [O, n*L]
      if (need_b)
        for (int64_t o = 0; o < g.O; ++o) s.gb_sum[static_cast<size_t>(o)] += row_sum(data<C>(s.gy) + o * nL, nL);
      const Tensor gy3 = native::view(native::narrow(s.gy, 0, 0, g.O * nL), {G, g.O / G, nL});
      if (need_w) {  // gw[g] += gy[g] @ cols[g]^T
        im2col(in_compute_type(data<T>(x) + n0 * g.C * g.H * g.W, part.N * g.C * g.H * g.W, s.x_wide),
               data<C>(s.cols), part);
        const Tensor cols3 = native::view(native::narrow(s.cols, 0, 0, rows * nL), {G, K, nL});
        gemm(gy3, native::transpose(cols3, 1, 2), s.gw_part);
        const C* p = data<C>(s.gw_part);
        for (size_t i = 0; i < s.gw_sum.size(); ++i) s.gw_sum[i] += p[i];
      }
      if (need_x) {  // dcols[g] = w[g]^T @ gy[g], then col2im into this chunk's images
        const Tensor dcols3 = native::view(native::narrow(s.dcols, 0, 0, rows * nL), {G, K, nL});
        gemm(native::transpose(native::view(w, {G, g.O / G, K}), 1, 2), gy3, dcols3);
        col2im(data<C>(s.dcols), data<T>(gx) + n0 * g.C * g.H * g.W, part);
      }
    });
    // Per-thread sums, added in slot order (deterministic for a given thread count); a
    // 16-bit result goes through float as the float32 kernel's would.
    const auto total = [&](auto member, const Tensor& out) {
      T* dst = data<T>(out);
      for (int64_t i = 0; i < out.numel(); ++i) {
        double v = 0;
        for (const Slot& s : slots) v += (s.*member)[static_cast<size_t>(i)];
        dst[i] = static_cast<T>(static_cast<C>(v));
      }
    };
    if (need_w) total(&Slot::gw_sum, gw);
    if (need_b) total(&Slot::gb_sum, gb);
  });
}

}  // namespace ember::cpu
