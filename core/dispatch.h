// Device dispatch: each device provides one DeviceOps table of kernels (the CPU's
// in core/cpu/, CUDA's in cuda/). The op layer (core/ops/*.cpp) checks arguments,
// promotes dtypes, allocates outputs, then calls device_ops(device).<kernel>.
// Kernel contract: inputs share one dtype and device, are already broadcast
// (expanded, possibly stride-0 views) to the output's shape; out may alias an input
// with identical layout (in-place ops).
#pragma once
#include <cstdint>

#include "core/op_kinds.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace ember {

struct DeviceOps {
  // out[i] = op(in[i]); in and out have the same dtype.
  void (*unary)(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryArgs& args);
  // out = op(a, alpha * b) for Add/Sub (alpha ignored otherwise); a, b one dtype;
  // out has that dtype, or kBool for comparisons.
  void (*binary)(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha);
  // out = op(a, s) or op(s, a) when scalar_first; s is converted to a's dtype.
  void (*binary_scalar)(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first, const Tensor& out);
  // out = cond ? a : b; cond kBool; a, b, out one dtype.
  void (*where)(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
  // Reduces `in` over every dim where out (keepdim shape, same ndim as in) has size 1
  // and in does not. Sum/Mean accumulate in double for floats, int64 for integers.
  void (*reduce)(ReduceOp op, const Tensor& in, const Tensor& out);
  // values/indices have in's shape with `dim` of size 1; indices are kInt64;
  // ties pick the first index; NaN wins (propagates) as in PyTorch.
  void (*arg_reduce)(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices);
  // out[b] = a[b] @ bm[b] for 3-D [B,n,k] x [B,k,m] -> [B,n,m] (any strides; float types).
  void (*gemm)(const Tensor& a, const Tensor& bm, const Tensor& out);
  // dst = src converted to dst's dtype; same device; src already expanded to dst's shape.
  void (*copy)(const Tensor& src, const Tensor& dst);
  void (*fill)(const Tensor& dst, const Scalar& value);
  // Philox streams: element i uses counter `counter + i` (so CPU and CUDA agree).
  void (*uniform)(const Tensor& dst, double low, double high, uint64_t seed, uint64_t counter);
  void (*normal)(const Tensor& dst, double mean, double stddev, uint64_t seed, uint64_t counter);

  // ---- fused nn kernels (float32/float64; all operands contiguous, one dtype unless said)
  // Row-wise softmax (log = false) or log_softmax (log = true) of in [rows, n] into out.
  void (*softmax_rows)(const Tensor& in, const Tensor& out, bool log);
  // Cross entropy of logits [rows, c] against int64 targets [rows]: losses [rows] (the
  // logits' dtype) = -(1 - smoothing) logp[t] - smoothing / c * sum_j logp[j]; probs
  // [rows, c] gets softmax(logits) when defined. A target outside [0, c) is an error
  // "Target 12 is out of bounds." (CUDA reports it at the next synchronising point).
  void (*cross_entropy_rows)(const Tensor& logits, const Tensor& targets, double smoothing, const Tensor& losses,
                             const Tensor& probs);
  // Gradient of a class-index loss w.r.t. its [rows, c] input, into grad_in:
  // scale_i * (probs[i, j] - smoothing / c - (1 - smoothing) [j == t_i]), probs undefined
  // meaning 0 (nll_loss); scale_i from the incoming gradient g per LossGradScale.
  // A bad target is an error as in cross_entropy_rows.
  void (*class_loss_backward)(const Tensor& probs, const Tensor& targets, const Tensor& g, LossGradScale scale,
                              double smoothing, const Tensor& grad_in);
  // In-place optimizer updates over whole parameters (core/op_kinds.h has the math).
  // momentum_buf is undefined when args.momentum == 0.
  void (*sgd_step)(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdStepArgs& args);
  void (*adam_step)(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                    const AdamStepArgs& args);
};

const DeviceOps& cpu_ops();
// Null when ember was built without CUDA (cuda/stub).
const DeviceOps* cuda_ops();
// The table for a device; a CUDA device without a CUDA build is an ember::Error.
const DeviceOps& device_ops(Device device);

// Copies the bytes of contiguous src into contiguous dst (same shape and dtype) on
// another device: host<->CUDA or CUDA<->CUDA (cuda/transfer.cpp; the stub throws).
// Copies to the host return once the data is there; copies from the host may return
// before the device has it (the source was staged), ordered on the current stream.
void copy_across_devices(const Tensor& src, const Tensor& dst);

}  // namespace ember
