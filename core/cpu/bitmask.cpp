// Bit masks kept for backward on the CPU (Note [Compact saved activations] in
// core/bitmask.h): packing y > 0, ReLU's forward with its bits and its backward from
// them, and dropout's scaled mask rebuilt from its bits. Parallel over bytes of the mask
// (eight elements each: core/cpu/bitmask_simd.h), the last partial byte element by element.
#include "core/bitmask.h"

#include <algorithm>
#include <type_traits>

#include "core/cpu/bitmask_simd.h"
#include "core/cpu/half_convert.h"
#include "core/cpu/kernels.h"
#include "core/parallel.h"

namespace ember::cpu {

void positive_bits(const Tensor& y, const Tensor& bits) {
  const int64_t n = y.numel();
  uint8_t* b = bits.data_ptr<uint8_t>();
  visit_floating_or_reduced(y.dtype(), "positive_bits", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* v = static_cast<const T*>(y.data_ptr());
    parallel_for(0, bitmask_bytes(n), kParallelGrain / 8, [&](int64_t lo, int64_t hi) {
      for (int64_t j = lo; j < hi; ++j) {
        b[j] = 8 * j + 8 <= n ? simd::positive_bits8(v + 8 * j) : positive_bits_byte(v, n, j);
      }
    });
  });
}

void relu_forward_bits(const Tensor& x, const Tensor& y, const Tensor& bits) {
  const int64_t n = x.numel();
  uint8_t* b = bits.data_ptr<uint8_t>();
  visit_floating_or_reduced(x.dtype(), "relu", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(x.data_ptr());
    T* dst = static_cast<T*>(y.data_ptr());
    parallel_for(0, bitmask_bytes(n), kParallelGrain / 8, [&](int64_t lo, int64_t hi) {
      for (int64_t j = lo; j < hi; ++j) {
        b[j] = 8 * j + 8 <= n ? simd::relu_bits8(src + 8 * j, dst + 8 * j) : relu_bits_byte(src, dst, n, j);
      }
    });
  });
}

void relu_backward_bits(const Tensor& grad, const Tensor& bits, const Tensor& grad_x) {
  const int64_t n = grad.numel();
  const uint8_t* b = bits.data_ptr<uint8_t>();
  visit_floating_or_reduced(grad.dtype(), "relu backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* g = static_cast<const T*>(grad.data_ptr());
    T* d = static_cast<T*>(grad_x.data_ptr());
    parallel_for(0, bitmask_bytes(n), kParallelGrain / 8, [&](int64_t lo, int64_t hi) {
      for (int64_t j = lo; j < hi; ++j) {
        if (8 * j + 8 <= n) simd::grad_where_bits8(g + 8 * j, b[j], d + 8 * j);
        else grad_where_bits_byte(g, b[j], d, n, j);
      }
    });
  });
}

void leaky_relu_backward_bits(const Tensor& grad, const Tensor& bits, double negative_slope, const Tensor& grad_x) {
  const int64_t n = grad.numel();
  const uint8_t* b = bits.data_ptr<uint8_t>();
  visit_floating_or_reduced(grad.dtype(), "leaky_relu backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    const T* g = static_cast<const T*>(grad.data_ptr());
    T* d = static_cast<T*>(grad_x.data_ptr());
    const C slope = static_cast<C>(negative_slope);
    // The bytes [lo, hi) over g and d, both as C; the last byte may be partial.
    const auto run_bytes = [&](const C* gc, C* dc, int64_t lo, int64_t hi, int64_t values) {
      for (int64_t j = lo; j < hi; ++j) {
        const int64_t at = 8 * (j - lo);
        if (at + 8 <= values) simd::leaky_grad_where_bits8(gc + at, b[j], slope, dc + at);
        else leaky_grad_where_bits_byte(gc, b[j], slope, dc, values, j - lo);
      }
    };
    parallel_for(0, bitmask_bytes(n), kParallelGrain / 8, [&](int64_t lo, int64_t hi) {
      if constexpr (std::is_same_v<C, T>) {
        run_bytes(g + 8 * lo, d + 8 * lo, lo, hi, n - 8 * lo);
      } else {  // 16-bit: blocks widened in bulk, computed in float, rounded once (as LeakyReluGrad)
        constexpr int64_t kBytes = 64;
        C wide_g[8 * kBytes], wide_d[8 * kBytes];
        for (int64_t j0 = lo; j0 < hi; j0 += kBytes) {
          const int64_t j1 = std::min(hi, j0 + kBytes), values = std::min(n, 8 * j1) - 8 * j0;
          convert_values(g + 8 * j0, wide_g, values);
          run_bytes(wide_g, wide_d, j0, j1, values);
          convert_values(wide_d, d + 8 * j0, values);
        }
      }
    });
  });
}

void unpack_dropout_bits(const Tensor& bits, double p, const Tensor& mask) {
  const int64_t n = mask.numel();
  const uint8_t* b = bits.data_ptr<uint8_t>();
  visit_floating_or_reduced(mask.dtype(), "dropout backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* m = static_cast<T*>(mask.data_ptr());
    const T scale = dropout_scale<T>(p);
    parallel_for(0, n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) m[i] = static_cast<T>(bit_at(b, i)) * scale;
    });
  });
}

}  // namespace ember::cpu
