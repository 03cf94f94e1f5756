// conv2d on the CPU as im2col + GEMM over chunks of images, each thread taking whole
// chunks (columns [C*KH*KW, n*OH*OW] in cache) in forward and backward, and cheap
// transposes between [O, n, L] and [n, O, L] (L = OH*OW).
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "core/cpu/float32_compute.h"
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

// cols [C*KH*KW, N*L] -> dx [N, C, H, W] (overwritten), parallel over (n, c) planes.
template <typename T>
void col2im(const T* cols, T* dx, const ConvGeometry& g) {
  const int64_t L = g.OH * g.OW, kk = g.KH * g.KW;
  parallel_for(0, g.N * g.C, grain_for(kk * L), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const int64_t n = p / g.C, c = p % g.C;
      T* plane = dx + p * g.H * g.W;
      std::fill(plane, plane + g.H * g.W, T(0));
      for (int64_t k = 0; k < kk; ++k)
        col2im_segment(cols + (c * kk + k) * g.N * L + n * L, plane, g, k / g.KW, k % g.KW);
    }
  });
}

// dst[b, a, :] = src[a, b, :] (+ bias[a]) for rows of length L.
template <typename T>
void swap_outer(const T* src, T* dst, int64_t A, int64_t B, int64_t L, const T* bias) {
  parallel_for(0, A * B, grain_for(L), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t b = i / A, a = i % A;
      const T* s = src + (a * B + b) * L;
      T* d = dst + i * L;
      if (bias) {
        const T add = bias[a];
        for (int64_t l = 0; l < L; ++l) d[l] = s[l] + add;
      } else {
        std::memcpy(d, s, sizeof(T) * L);
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

template <typename T>
T* data(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// Threads that take whole chunks of images. One when already parallel, or when there
// are too few chunks to balance (a small batch): the im2col, GEMM and transposes of
// each chunk then parallelize themselves.
int chunk_threads(int64_t chunks) {
  const int max_threads = omp_in_parallel() ? 1 : omp_get_max_threads();
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

void conv2d_forward(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const ConvGeometry& g,
                    const Tensor& out) {
  if (is_reduced_float(x_in.dtype())) {  // fp32 compute, one rounding (core/cpu/float32_compute.h)
    const Tensor out32 = float32_like(out);
    conv2d_forward(float32_copy(x_in), float32_copy(w_in), float32_copy(b_in), g, out32);
    return round_into(out32, out);
  }
  const Tensor x = contiguous(x_in), w = contiguous(w_in);
  const Tensor b = b_in.defined() ? contiguous(b_in) : Tensor();
  const int64_t G = g.groups, L = g.OH * g.OW, K = g.C / G * g.KH * g.KW;
  if (out.numel() == 0) return;
  // The batch goes through in chunks of images whose column matrix and GEMM output stay
  // near kChunkBytes (about a core's L2), so a forward holds neither the whole batch's
  // im2col nor a second full-size output. Each thread takes whole chunks (im2col, a
  // single-threaded GEMM, the transpose into out) with buffers of its own allocated
  // here: one parallel region per convolution, and a chunk's data stays in its cache.
  constexpr int64_t kChunkBytes = 1 << 20;
  const int64_t chunk = images_per_chunk((g.C * g.KH * g.KW + g.O) * L, x.element_size(), kChunkBytes, g.N);
  const int64_t chunks = (g.N + chunk - 1) / chunk;
  const int threads = chunk_threads(chunks);
  std::vector<Tensor> cols_buf, y_buf;
  for (int t = 0; t < threads; ++t) {
    cols_buf.push_back(make_empty({g.C * g.KH * g.KW * chunk * L}, x.dtype(), x.device()));
    y_buf.push_back(make_empty({g.O * chunk * L}, x.dtype(), x.device()));
  }
  visit_floating(x.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_chunks(threads, chunks, [&](int t, int64_t c) {
      ConvGeometry part = g;
      const int64_t n0 = c * chunk;
      part.N = std::min(chunk, g.N - n0);
      const int64_t cols_n = part.N * L;
      im2col(data<T>(x) + n0 * g.C * g.H * g.W, data<T>(cols_buf[t]), part);
      // One GEMM per group (OpenBLAS or ember's fallback): y [O, n*L] = w [O, K] @ cols [K, n*L].
      const Tensor cols = native::view(native::narrow(cols_buf[t], 0, 0, G * K * cols_n), {G, K, cols_n});
      const Tensor y = native::view(native::narrow(y_buf[t], 0, 0, g.O * cols_n), {G, g.O / G, cols_n});
      gemm(native::view(w, {G, g.O / G, K}), cols, y);
      swap_outer(data<T>(y), data<T>(out) + n0 * g.O * L, g.O, part.N, L, b.defined() ? data<T>(b) : nullptr);
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
  if (is_reduced_float(grad_in.dtype())) {  // fp32 compute, one rounding per gradient
    const Tensor gx32 = float32_like(gx), gw32 = float32_like(gw), gb32 = float32_like(gb);
    conv2d_backward(float32_copy(grad_in), float32_copy(x_in), float32_copy(w_in), g, gx32, gw32, gb32);
    round_into(gx32, gx);
    round_into(gw32, gw);
    return round_into(gb32, gb);
  }
  const Tensor grad = contiguous(grad_in);
  const DType dt = grad.dtype();
  const Device dev = grad.device();
  const int64_t G = g.groups, L = g.OH * g.OW, K = g.C / G * g.KH * g.KW, rows = G * K;
  const Tensor x = need_w ? contiguous(x_in) : Tensor();
  const Tensor w = need_x ? contiguous(w_in) : Tensor();
  constexpr int64_t kChunkBytes = 2 << 20;
  const int64_t per_image = (g.O + (need_w ? rows : 0) + (need_x ? rows : 0)) * L;
  const int64_t chunk = images_per_chunk(per_image, grad.element_size(), kChunkBytes, g.N);
  const int64_t chunks = g.N == 0 ? 0 : (g.N + chunk - 1) / chunk;
  const int threads = chunk_threads(chunks);
  struct Slot {
    Tensor gy, cols, dcols, gw_part;
    std::vector<double> gw_sum, gb_sum;
  };
  std::vector<Slot> slots(static_cast<size_t>(threads));
  for (Slot& s : slots) {
    s.gy = make_empty({g.O * chunk * L}, dt, dev);
    if (need_w) {
      s.cols = make_empty({rows * chunk * L}, dt, dev);
      s.gw_part = make_empty({G, g.O / G, K}, dt, dev);
      s.gw_sum.assign(static_cast<size_t>(g.O * K), 0.0);
    }
    if (need_x) s.dcols = make_empty({rows * chunk * L}, dt, dev);
    if (need_b) s.gb_sum.assign(static_cast<size_t>(g.O), 0.0);
  }
  visit_floating(dt, "conv2d backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_chunks(threads, chunks, [&](int t, int64_t c) {
      Slot& s = slots[static_cast<size_t>(t)];
      ConvGeometry part = g;
      const int64_t n0 = c * chunk;
      part.N = std::min(chunk, g.N - n0);
      const int64_t nL = part.N * L;
      swap_outer<T>(data<T>(grad) + n0 * g.O * L, data<T>(s.gy), part.N, g.O, L, nullptr);  // [n, O, L] -> [O, n*L]
      if (need_b)
        for (int64_t o = 0; o < g.O; ++o) s.gb_sum[static_cast<size_t>(o)] += row_sum(data<T>(s.gy) + o * nL, nL);
      const Tensor gy3 = native::view(native::narrow(s.gy, 0, 0, g.O * nL), {G, g.O / G, nL});
      if (need_w) {  // gw[g] += gy[g] @ cols[g]^T
        im2col(data<T>(x) + n0 * g.C * g.H * g.W, data<T>(s.cols), part);
        const Tensor cols3 = native::view(native::narrow(s.cols, 0, 0, rows * nL), {G, K, nL});
        gemm(gy3, native::transpose(cols3, 1, 2), s.gw_part);
        const T* p = data<T>(s.gw_part);
        for (size_t i = 0; i < s.gw_sum.size(); ++i) s.gw_sum[i] += p[i];
      }
      if (need_x) {  // dcols[g] = w[g]^T @ gy[g], then col2im into this chunk's images
        const Tensor dcols3 = native::view(native::narrow(s.dcols, 0, 0, rows * nL), {G, K, nL});
        gemm(native::transpose(native::view(w, {G, g.O / G, K}), 1, 2), gy3, dcols3);
        col2im(data<T>(s.dcols), data<T>(gx) + n0 * g.C * g.H * g.W, part);
      }
    });
    // Per-thread sums, added in slot order (deterministic for a given thread count).
    const auto total = [&](auto member, const Tensor& out) {
      T* dst = data<T>(out);
      for (int64_t i = 0; i < out.numel(); ++i) {
        double v = 0;
        for (const Slot& s : slots) v += (s.*member)[static_cast<size_t>(i)];
        dst[i] = static_cast<T>(v);
      }
    };
    if (need_w) total(&Slot::gw_sum, gw);
    if (need_b) total(&Slot::gb_sum, gb);
  });
}

}  // namespace ember::cpu
