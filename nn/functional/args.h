// Argument helpers shared by nn::functional's convolution, pooling, batch norm, dropout,
// pad and interpolate: PyTorch's int-or-pair sizes, index vectors made on the host, the
// NCHW-contiguous operands the device kernels expect, outputs in the input's memory format,
// and 16-bit inputs of float-only kernels run in float32.
#pragma once
#include <initializer_list>

#include <vector>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/native.h"

namespace ember::nn::functional::detail {

// {a} -> {a, a}; {a, b} stays; anything else is an error naming the argument.
inline Dims expand_pair(const Dims& d, const char* op, const char* name) {
  EMBER_CHECK(d.size() == 1 || d.size() == 2, op, ": expected ", name, " to be a single integer or a pair, but got ",
              d);
  return d.size() == 1 ? Dims{d[0], d[0]} : d;
}

// {a} -> {a, a, a}; {a, b, c} stays; anything else is an error naming the argument.
inline Dims expand_triple(const Dims& d, const char* op, const char* name) {
  EMBER_CHECK(d.size() == 1 || d.size() == 3, op, ": expected ", name,
              " to be a single integer or a tuple of three integers, but got ", d);
  return d.size() == 1 ? Dims{d[0], d[0], d[0]} : d;
}

// PyTorch 2's pooling_output_shape check: padding at most half of the effective (dilated)
// kernel, with its message.
inline void check_pool_padding(const char* op, int64_t pad, int64_t kernel, int64_t dilation) {
  EMBER_CHECK(pad >= 0, op, ": pad must be non-negative, but got pad: ", pad);
  EMBER_CHECK(pad <= ((kernel - 1) * dilation + 1) / 2, op,
              ": pad should be at most half of effective kernel size, but got pad=", pad, ", kernel_size=", kernel,
              " and dilation=", dilation);
}

// Host-computed positions as an int64 vector on `device`: the index_select operand of the
// ops composed from index_select (pad, interpolate).
inline Tensor positions_on(const std::vector<int64_t>& positions, Device device) {
  return tensor(positions, TensorOptions().dtype(kInt64).device(device));
}

// t dense in `format` (Contiguous or ChannelsLast): itself when it is, or a copy; undefined stays so.
inline Tensor dense_in(const Tensor& t, MemoryFormat format) {
  return !t.defined() || t.is_contiguous(format) ? t : native::clone(t, format);
}

// t itself when contiguous or undefined, else a contiguous copy.
inline Tensor contiguous(const Tensor& t) { return dense_in(t, MemoryFormat::Contiguous); }

// Note [Channels-last layers]
// Like PyTorch, conv2d, batch_norm, pooling and dropout return their output in the
// input's memory format (Tensor::suggest_memory_format; conv2d also the weight's). The
// device kernels take NCHW-contiguous operands (core/dispatch.h), so a channels-last
// input costs a copy each way: contiguous() above on the way in, and in_format() below
// on the kernel's NCHW output, before autograd records it. Gradients arrive in any
// layout and go through contiguous() too. Where the device's conv2d, batch_norm and
// pooling kernels take NHWC (DeviceOps::layers_take_channels_last: CUDA, where cuDNN
// reads the real strides and prefers NHWC), they get dense_in(t, kernel_format(...))
// operands and outputs made in that layout instead: no copies. The CPU's kernels copy.

// The layout conv2d/batch_norm/pooling hand x's device kernels for a `format` output:
// channels-last when asked and the kernels take it, else NCHW. float64 stays NCHW (as in
// PyTorch, cuDNN has few NHWC double engines).
inline MemoryFormat kernel_format(const Tensor& x, MemoryFormat format) {
  const bool nhwc = format == MemoryFormat::ChannelsLast && x.dim() == 4 && x.dtype() != kFloat64 &&
                    device_ops(x.device()).layers_take_channels_last;
  return nhwc ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
}

// The kernel's NCHW-contiguous output `out` in `format`: itself, or a channels-last copy.
inline Tensor in_format(const Tensor& out, MemoryFormat format) {
  const bool convert = format == MemoryFormat::ChannelsLast && !out.is_contiguous(format);
  return convert ? native::clone(out, format) : out;
}

// Note [16-bit layers outside autocast]
// A model cast to bfloat16 or float16 (Module::half(), to(kBFloat16)) runs every layer in
// its dtype, as PyTorch's does, each computing in float and rounding its result once, as
// PyTorch's 16-bit kernels do. Batch norm's kernels take the 16-bit input themselves, with
// float32 per-channel tensors (DeviceOps::batch_norm_train; on CUDA ember's kernels, as
// cuDNN's take float32 only), so it saves the 16-bit input for backward, and
// 16-bit running statistics are updated in float32 and rounded once. Pooling's and the CPU
// convolution's kernels read and write 16-bit tensors too (Note [16-bit pooling] in
// nn/functional/pool.cpp, Note [16-bit convolution chunk by chunk] in core/cpu/conv.cpp), as
// do ReLU's and LeakyReLU's bit masks. Where a layer's kernels
// take float32/float64 only (softmax and log_softmax, the class losses, sync batch norm), a
// 16-bit input is widened to float32 by a recorded cast, the layer runs there, and its result
// is rounded back to the input's dtype once (through_float32): backward keeps the float32
// intermediate, twice the bytes of PyTorch's 16-bit kernels. Batch norm with a 16-bit
// weight (a half() model's) differentiates once (Note [Higher-order gradients] in
// autograd/engine.h); with a float32 one (autocast's), twice. Under autocast
// softmax, log_softmax and the class losses take float32 and return float32, while batch
// norm and sync batch norm take a 16-bit input as here and return its dtype (Note [Autocast]).

// op(x) for a float32/float64 x; for a 16-bit x, op of its float32 copy (a recorded cast)
// rounded back to x's dtype (Note [16-bit layers outside autocast]).
template <typename Op>
Tensor through_float32(const Tensor& x, const Op& op) {
  if (!is_reduced_float(x.dtype())) return op(x);
  return op(x.to(kFloat32)).to(x.dtype());
}

}  // namespace ember::nn::functional::detail
