// conv2d on the CPU as im2col + one GEMM per group over the whole batch: the columns
// are [C*KH*KW, N*OH*OW], so the GEMM is big enough for OpenBLAS to thread well, and
// cheap parallel transposes move between [O, N, L] and [N, O, L] (L = OH*OW).
#include <algorithm>
#include <cstring>
#include <utility>

#include "core/cpu/kernels.h"
#include "core/native.h"
#include "core/parallel.h"
#include "nn/functional/conv_cpu.h"

namespace ember::nn::functional::detail {
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
  std::fill(dst, dst + h_lo * g.OW, T(0));
  for (int64_t oh = h_lo; oh < h_hi; ++oh) {
    T* d = dst + oh * g.OW;
    const T* s = plane + (oh * g.SH + row_off) * g.W + col_off;
    std::fill(d, d + w_lo, T(0));
    if (g.SW == 1)  // rows are short (OW ~ 14-28): a loop beats a memcpy call
      for (int64_t ow = w_lo; ow < w_hi; ++ow) d[ow] = s[ow];
    else
      for (int64_t ow = w_lo; ow < w_hi; ++ow) d[ow] = s[ow * g.SW];
    std::fill(d + w_hi, d + g.OW, T(0));
  }
  std::fill(dst + h_hi * g.OW, dst + g.OH * g.OW, T(0));
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

Tensor make_columns(const Tensor& x, const ConvGeometry& g) {
  Tensor cols = make_empty({g.C * g.KH * g.KW, g.N * g.OH * g.OW}, x.dtype(), x.device());
  visit_floating(x.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    im2col(data<T>(x), data<T>(cols), g);
  });
  return cols;
}

}  // namespace

Tensor conv2d_forward(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const ConvGeometry& g) {
  const Tensor x = contiguous(x_in), w = contiguous(w_in);
  const Tensor b = b_in.defined() ? contiguous(b_in) : Tensor();
  const int64_t G = g.groups, L = g.OH * g.OW, K = g.C / G * g.KH * g.KW;
  Tensor out = make_empty({g.N, g.O, g.OH, g.OW}, x.dtype(), x.device());
  if (out.numel() == 0) return out;
  // The batch goes through in chunks whose column matrix and GEMM output stay near
  // kChunkBytes, so a forward holds neither the whole batch's im2col nor a second
  // full-size output (memory), while each GEMM stays large.
  constexpr int64_t kChunkBytes = 4 << 20;
  const int64_t per_image =
      std::max<int64_t>(1, (g.C * g.KH * g.KW + g.O) * L * static_cast<int64_t>(x.element_size()));
  const int64_t chunk = std::clamp<int64_t>(kChunkBytes / per_image, 1, g.N);
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    ConvGeometry part = g;
    part.N = std::min(chunk, g.N - n0);
    const Tensor cols = make_columns(native::narrow(x, 0, n0, part.N), part);
    // One GEMM per group (OpenBLAS or ember's fallback): y [O, n*L] = w [O, K] @ cols [K, n*L].
    const Tensor y = make_empty({g.O, part.N * L}, x.dtype(), x.device());
    cpu::gemm(native::view(w, {G, g.O / G, K}), native::view(cols, {G, K, part.N * L}),
              native::view(y, {G, g.O / G, part.N * L}));
    visit_floating(x.dtype(), "conv2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      swap_outer(data<T>(y), data<T>(out) + n0 * g.O * L, g.O, part.N, L, b.defined() ? data<T>(b) : nullptr);
    });
  }
  return out;
}

std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_in, const Tensor& x_in, const Tensor& w_in,
                                                   const ConvGeometry& g, bool need_x, bool need_w, bool need_b) {
  const Tensor grad = contiguous(grad_in);
  const DType dt = grad.dtype();
  const Device dev = grad.device();
  const int64_t G = g.groups, L = g.OH * g.OW, K = g.C / G * g.KH * g.KW, NL = g.N * L;
  Tensor gx, gw, gb;
  // grad as [O, N*L], the layout the GEMMs want.
  const Tensor gy = make_empty({g.O, NL}, dt, dev);
  visit_floating(dt, "conv2d backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    swap_outer<T>(data<T>(grad), data<T>(gy), g.N, g.O, L, nullptr);
    if (!need_b) return;
    gb = make_empty({g.O}, dt, dev);
    const T* src = data<T>(gy);
    T* dst = data<T>(gb);
    parallel_for(0, g.O, grain_for(NL), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) dst[o] = static_cast<T>(row_sum(src + o * NL, NL));
    });
  });
  const Tensor gy3 = native::view(gy, {G, g.O / G, NL});
  if (need_w) {  // gw[g] = gy[g] @ cols[g]^T
    const Tensor cols = make_columns(contiguous(x_in), g);
    gw = make_empty({g.O, g.C / G, g.KH, g.KW}, dt, dev);
    cpu::gemm(gy3, native::transpose(native::view(cols, {G, K, NL}), 1, 2), native::view(gw, {G, g.O / G, K}));
  }
  if (need_x) {  // cols_grad[g] = w[g]^T @ gy[g], then col2im
    const Tensor w = contiguous(w_in);
    const Tensor dcols = make_empty({G * K, NL}, dt, dev);
    cpu::gemm(native::transpose(native::view(w, {G, g.O / G, K}), 1, 2), gy3, native::view(dcols, {G, K, NL}));
    gx = make_empty({g.N, g.C, g.H, g.W}, dt, dev);
    visit_floating(dt, "conv2d backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      col2im(data<T>(dcols), data<T>(gx), g);
    });
  }
  return {gx, gw, gb};
}

}  // namespace ember::nn::functional::detail
