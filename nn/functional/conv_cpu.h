// CPU kernels behind nn::functional conv2d and the 2-D poolings (no autograd, no
// argument checks: conv.cpp and pool.cpp do those). Geometry structs carry every
// size, so a CUDA port can reuse them and the small per-window math.
#pragma once
#include <cstdint>
#include <tuple>

#include "core/tensor.h"

namespace ember::nn::functional::detail {

// {a} -> {a, a}; {a, b} stays; anything else is an error naming the argument.
inline Dims expand_pair(const Dims& d, const char* op, const char* name) {
  EMBER_CHECK(d.size() == 1 || d.size() == 2, op, ": expected ", name, " to be a single integer or a pair, but got ",
              d);
  return d.size() == 1 ? Dims{d[0], d[0]} : d;
}

// x [N, C, H, W] * w [O, C/groups, KH, KW] -> out [N, O, OH, OW].
struct ConvGeometry {
  int64_t N, C, H, W, O, KH, KW;
  int64_t SH, SW, PH, PW, DH, DW, groups;
  int64_t OH, OW;
};

// Output size of a strided, padded, dilated window sweep (may be <= 0 when too small).
inline int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// b may be undefined. Inputs of one floating dtype, any strides.
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g);
// Gradients for (x, w, b); each is computed only when its flag is set (else undefined).
std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad, const Tensor& x, const Tensor& w,
                                                   const ConvGeometry& g, bool need_x, bool need_w, bool need_b);

// One [H, W] plane per (n, c) pooled into [OH, OW].
struct PoolGeometry {
  int64_t planes, H, W, OH, OW;
  int64_t KH, KW, SH, SW, PH, PW;
  bool adaptive = false;  // windows from the adaptive rule; KH..PW unused
};

// indices (kInt64, flat h * W + w in the plane) is written only when defined.
Tensor max_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& indices);
// With the forward's geometry, a 2x2 stride-2 pool writes the gradient directly (no
// zero-fill and scatter).
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Dims& input_shape,
                           const PoolGeometry* geometry = nullptr);
// Average pooling (count_include_pad, as PyTorch's default) and adaptive average.
Tensor avg_pool2d_forward(const Tensor& x, const PoolGeometry& g);
Tensor avg_pool2d_backward(const Tensor& grad, const PoolGeometry& g, const Dims& input_shape);

}  // namespace ember::nn::functional::detail
