// Bit masks kept for backward on the CPU (Note [Compact saved activations] in
// core/bitmask.h): packing y > 0, ReLU's forward with its bits and its backward from
// them, and dropout's scaled mask rebuilt from its bits. Parallel over bytes of the mask
// (eight elements each: core/cpu/bitmask_simd.h), the last partial byte element by element
// (bfloat16: every byte element by element).
#include "core/bitmask.h"

#include <type_traits>

#include "core/cpu/bitmask_simd.h"
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
        if constexpr (is_reduced_float_v<T>) b[j] = positive_bits_byte(v, n, j);  // no SIMD path for 16-bit floats
        else b[j] = 8 * j + 8 <= n ? simd::positive_bits8(v + 8 * j) : positive_bits_byte(v, n, j);
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
        if constexpr (is_reduced_float_v<T>) b[j] = relu_bits_byte(src, dst, n, j);
        else b[j] = 8 * j + 8 <= n ? simd::relu_bits8(src + 8 * j, dst + 8 * j) : relu_bits_byte(src, dst, n, j);
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
        if constexpr (is_reduced_float_v<T>) grad_where_bits_byte(g, b[j], d, n, j);
        else if (8 * j + 8 <= n) simd::grad_where_bits8(g + 8 * j, b[j], d + 8 * j);
        else grad_where_bits_byte(g, b[j], d, n, j);
      }
    });
  });
}

void leaky_relu_backward_bits(const Tensor& grad, const Tensor& bits, double negative_slope, const Tensor& grad_x) {
  const int64_t n = grad.numel();
  const uint8_t* b = bits.data_ptr<uint8_t>();
  visit_floating(grad.dtype(), "leaky_relu backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* g = static_cast<const T*>(grad.data_ptr());
    T* d = static_cast<T*>(grad_x.data_ptr());
    const T slope = static_cast<T>(negative_slope);
    parallel_for(0, bitmask_bytes(n), kParallelGrain / 8, [&](int64_t lo, int64_t hi) {
      for (int64_t j = lo; j < hi; ++j) {
        if (8 * j + 8 <= n) simd::leaky_grad_where_bits8(g + 8 * j, b[j], slope, d + 8 * j);
        else leaky_grad_where_bits_byte(g, b[j], slope, d, n, j);
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
