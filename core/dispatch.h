// Device dispatch: each device provides one DeviceOps table of kernels (the CPU's
// in core/cpu/, CUDA's in cuda/). The op layer (core/ops/*.cpp) checks arguments,
// promotes dtypes, allocates outputs, then calls device_ops(device).<kernel>.
// Kernel contract: inputs share one dtype and device, are already broadcast
// (expanded, possibly stride-0 views) to the output's shape; out may alias an input
// with identical layout (in-place ops).
#pragma once
#include <cstdint>
#include <vector>

#include "core/gather_layout.h"
#include "core/index_layout.h"
#include "core/nn_geometry.h"
#include "core/op_kinds.h"
#include "core/random.h"
#include "core/scalar.h"
#include "core/tensor.h"
#include "core/grid_sample_layout.h"
#include "core/resample_layout.h"
#include "core/triangle_layout.h"

namespace ember {

// The options of a class-index loss as its kernels take them (PyTorch's weight=,
// ignore_index=, label_smoothing=, and nll_loss's input of log-probabilities).
struct ClassLossTerms {
  double smoothing = 0.0;
  Tensor weight = {};      // [c] in the input's dtype and device; undefined: every class weighs 1
  Tensor weight_sum = {};  // 0-dim sum of weight; class_loss_backward needs it with weight, probs and smoothing
  bool has_ignore_index = false;
  int64_t ignore_index = -100;    // with has_ignore_index: rows with this target add nothing
  bool input_is_log_probs = false;  // cross_entropy_rows: the rows are log p already (nll_loss)
};

// Where dropout's random bits come from: the device's own stream (cuDNN's state for
// element dropout on CUDA; the default generator elsewhere), or always ember's default
// generator, whose state can be rewound (activation checkpointing's recomputation,
// Note [Activation checkpointing] in autograd/checkpoint.h): the CPU's masks.
enum class DropoutStream : uint8_t { Device, Generator };

// A GEMM's scaling, BLAS's: out = alpha * a @ b + beta * out. With beta == 0, out is
// only written (NaN or inf already there does not reach the result: torch.addmm's rule).
struct GemmScale {
  double alpha = 1.0;
  double beta = 0.0;
};

// The steps of core/optim_math_more.h (declared here, defined there: only the kernels and
// the optimizers that fill them in need their fields).
struct AdadeltaStepArgs;
struct AdamaxStepArgs;
struct NadamStepArgs;
struct RadamStepArgs;

// One parameter of DeviceOps::sgd_step_many: sgd_step's operands and whether its momentum
// buffer is new (first_step).
struct SgdOperands {
  Tensor param, grad, momentum_buf;
  bool first_step = false;
};

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
  // out = grad * op'(x) (order 1) or grad * op''(x) (order 2) for the activation `op`
  // (functors::is_activation) with the forward's args; grad, x, out one floating dtype
  // (bfloat16 and float16 compute in float), any layouts. Note [Activation gradients] in
  // core/activation_functors.h.
  void (*unary_backward)(UnaryOp op, int order, const Tensor& grad, const Tensor& x, const Tensor& out,
                         const UnaryArgs& args);
  // out = the loss term of each element (core/loss_functors.h) of input and target, and
  // of pos_weight when defined (BCE with logits only); one floating dtype (bfloat16
  // computes in float), broadcast to out's shape. A BCE input outside [0, 1] is the error
  // "all elements of input should be between 0 and 1" (CUDA reports it at the next
  // synchronising point; Note [Bad input found by elementwise kernels]).
  void (*pointwise_loss)(PointwiseLoss op, const Tensor& input, const Tensor& target, const Tensor& pos_weight,
                         const PointwiseLossArgs& args, const Tensor& out);
  // out = grad * d loss / d input (wrt Input) or d loss / d target (wrt Target), elementwise,
  // operands as pointwise_loss's plus grad (also broadcast to out's shape).
  void (*pointwise_loss_backward)(PointwiseLoss op, LossGradWrt wrt, const Tensor& grad, const Tensor& input,
                                  const Tensor& target, const Tensor& pos_weight, const PointwiseLossArgs& args,
                                  const Tensor& out);
  // Reduces `in` over every dim where out (keepdim shape, same ndim as in) has size 1
  // and in does not. Sum/Mean/Prod accumulate in double for floats, int64 for integers
  // (whose Sum/Prod out is kInt64; Prod wraps on overflow).
  void (*reduce)(ReduceOp op, const Tensor& in, const Tensor& out);
  // values/indices have in's shape with `dim` of size 1; indices are kInt64;
  // ties pick the first index; NaN wins (propagates) as in PyTorch.
  void (*arg_reduce)(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices);
  // Variance m2 / max(0, n - correction) into var_out and the mean into mean_out (undefined:
  // not written), reduced as `reduce` reduces; float32/float64, outputs in's dtype. Welford
  // in double (Note [Accumulating variance] in core/reduce_functors.h).
  void (*var_mean)(const Tensor& in, double correction, const Tensor& var_out, const Tensor& mean_out);
  // Inclusive scan (cumsum, cumprod) of `in` along dim into out (same shape; in's dtype, or
  // kInt64 for integer and bool input), from the last element down when reverse; floats
  // accumulate in double. Any layouts.
  void (*scan)(ScanOp op, const Tensor& in, int64_t dim, bool reverse, const Tensor& out);
  // cumprod's gradient along dim (reverse: of the reverse cumprod): grad_in[i] =
  // sum_{k >= i} grad[k] prod_{j <= k, j != i} x[j], exact where x has zeros (no division);
  // x, grad, grad_in one floating dtype and shape, any layouts.
  void (*cumprod_backward)(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse, const Tensor& grad_in);
  // cummax (ArgMax) / cummin (ArgMin) of `in` along dim: values (in's dtype, not bfloat16 or float16)
  // and kInt64 indices of in's shape; functors::CumulativeExtreme decides each step (a tie
  // or a NaN takes the later index). Any layouts.
  void (*cumulative_extreme)(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values,
                             const Tensor& indices);
  // out[b] = alpha * a[b] @ bm[b] + beta * out[b] for 3-D [B,n,k] x [B,k,m] -> [B,n,m]
  // (float types; a and bm any strides; out any strides on the CPU, contiguous on CUDA).
  void (*gemm)(const Tensor& a, const Tensor& bm, const Tensor& out, const GemmScale& scale);
  // out = in with the elements outside mask's triangle of each matrix (the last two
  // dims) zeroed (tril/triu); one shape and dtype (any: moved as words), any strides;
  // out may be in itself.
  void (*triangle)(const Tensor& in, const TriangleMask& mask, const Tensor& out);
  // dst = src converted to dst's dtype; same device; src already expanded to dst's shape.
  void (*copy)(const Tensor& src, const Tensor& dst);
  void (*fill)(const Tensor& dst, const Scalar& value);
  // Philox streams: element i uses counter `offset + i` of rng.unpack() (so CPU and CUDA
  // agree; Note [Graph-safe random numbers] in core/random.h).
  void (*uniform)(const Tensor& dst, double low, double high, const PhiloxArgs& rng);
  void (*normal)(const Tensor& dst, double mean, double stddev, const PhiloxArgs& rng);
  // out [outer, count, inner] = in [outer, size, inner] at the positions of index [count]
  // (core/index_layout.h); in, index (kInt64) and out contiguous, in and out one dtype
  // (any: elements are copied as bytes). An index outside [0, size) is the error "index
  // out of range in self" (CUDA reports it at the next synchronising point).
  void (*index_select)(const Tensor& in, const Tensor& index, const IndexLayout& layout, const Tensor& out);
  // self [outer, size, inner] += source [outer, count, inner] at index's positions, all
  // contiguous (float32/float64/bfloat16/float16); a repeated index accumulates every source
  // slice (the CPU in index order, CUDA in no fixed order). Bad indices as index_select.
  void (*index_add)(const Tensor& self, const Tensor& index, const IndexLayout& layout, const Tensor& source);
  // Resampling along a dim by taps (core/resample_layout.h): out [blocks, out, inner] from
  // x [blocks, in, inner] with index (kInt64) and weight [samples, out, taps]; the transpose
  // overwrites gx [blocks, in, inner] with x's gradient from g [blocks, out, inner]. All
  // contiguous, one dtype (float32 or float64); an index outside [0, in) is a missing tap.
  void (*resample_rows)(const Tensor& x, const Tensor& index, const Tensor& weight, const ResampleLayout& layout,
                        const Tensor& out);
  void (*resample_rows_transpose)(const Tensor& g, const Tensor& index, const Tensor& weight,
                                  const ResampleLayout& layout, const Tensor& gx);
  // grid_sample's forward (core/grid_sample_math.h): out [N, C, Ho, Wo] contiguous from
  // input [N, C, H, W] and grid [N, Ho, Wo, 2] (any strides, one dtype: float32 or float64).
  void (*grid_sample_forward)(const Tensor& input, const Tensor& grid, const GridSampleLayout& layout,
                              const Tensor& out);
  // Its gradients from g [N, C, Ho, Wo] (contiguous): grad_input [N, C, H, W] and grad_grid
  // [N, Ho, Wo, 2] (contiguous, each written when defined; grad_input is zeroed first and
  // summed into: the CPU in index order, CUDA by atomics in no fixed order). input is read
  // only for a bilinear grad_grid, and may be undefined otherwise.
  void (*grid_sample_backward)(const Tensor& g, const Tensor& input, const Tensor& grid,
                               const GridSampleLayout& layout, const Tensor& grad_input, const Tensor& grad_grid);

  // ---- gather, scatter, sort: one block (core/gather_layout.h, core/sort_keys.h) ----
  // out[i] = self at element i's offsets and index value, over the index's elements
  // (out has the index's shape); any layouts (the strides are the layout's), self and out
  // one dtype (any: elements are copied as bytes). An index outside [0, self.size(dim))
  // is the error "index 7 is out of bounds for dimension 1 with size 5" (CUDA reports it
  // at the next synchronising point).
  void (*gather)(const Tensor& self, const Tensor& index, const GatherLayout& layout, const Tensor& out);
  // self at element i's offsets and index value = src[i] (accumulate: += src[i], for
  // float32/float64/bfloat16/float16/int64); src is the index's shape, possibly broadcast (a
  // value). A repeated index: the CPU walks each line along dim in order (the last write
  // wins; sums in index order), CUDA in no fixed order. Bad indices as gather.
  void (*scatter)(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& layout,
                  bool accumulate);
  // As scatter, combining: self element = scatter_combine(kind, self element, src[i])
  // (core/gather_layout.h) for float32/float64/bfloat16/float16/int64 (the 16-bit floats
  // computed in float);
  // the CPU walks each line in order, CUDA combines atomically (compare-and-swap).
  void (*scatter_reduce)(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& layout,
                         ScatterReduceKind kind);
  // values/indices [rows, k] = the first k of each row of in [rows, n] (all contiguous,
  // k <= n; int64, float32, float64, bfloat16, uint8, bool) in sort_key order, ascending
  // or descending, ties by position: Note [Sort order of ties and NaN].
  void (*sort_rows)(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices);
  // out [rows, n] (int64) = where each value of values [rows, n] goes in its row of
  // boundaries [rows or 1, m] (sorted ascending; one row serves every value row), as
  // core/sorted_position.h finds it; boundaries and values contiguous, one dtype (any but bool).
  void (*searchsorted)(const Tensor& boundaries, const Tensor& values, bool right, const Tensor& out);
  // The positions (int64, 1-D, ascending) of the true elements of a contiguous 1-D bool
  // mask with at least one element: nonzero's, masked_select's. Its length, the count, is
  // known on the host when it returns.
  Tensor (*true_positions)(const Tensor& mask);

  // ---- fused nn kernels (float32/float64; all operands contiguous, one dtype unless said)
  // Row-wise softmax (log = false) or log_softmax (log = true) of in [rows, n] into out.
  void (*softmax_rows)(const Tensor& in, const Tensor& out, bool log);
  // Cross entropy of logits [rows, c] against int64 targets [rows], with class weights w
  // (terms.weight, else 1) and s = terms.smoothing: losses [rows] (the logits' dtype) =
  // -(1 - s) w[t] logp[t] - s / c * sum_j w[j] logp[j], where logp = log_softmax(logits)
  // (or the rows themselves when terms.input_is_log_probs); 0 for a row whose target is
  // the ignore_index. probs [rows, c] gets softmax(logits) and row_weights [rows] gets
  // w[t] (0 where ignored: mean's denominator) when defined. A target outside [0, c),
  // not ignored, is an error "Target 12 is out of bounds." (CUDA reports it at the next
  // synchronising point).
  void (*cross_entropy_rows)(const Tensor& logits, const Tensor& targets, const ClassLossTerms& terms,
                             const Tensor& losses, const Tensor& probs, const Tensor& row_weights);
  // Gradient of a class-index loss w.r.t. its [rows, c] input, into grad_in:
  // scale_i * (probs[i, j] ((1 - s) w[t] + s / c sum_k w[k]) - s / c w[j] - (1 - s) w[t] [j == t_i]),
  // probs undefined meaning 0 (nll_loss), w = 1 without weights (then the probs factor is
  // exactly 1), 0 for ignored rows; scale_i from the incoming gradient g per LossGradScale.
  // A bad target is an error as in cross_entropy_rows.
  void (*class_loss_backward)(const Tensor& probs, const Tensor& targets, const Tensor& g, LossGradScale scale,
                              const ClassLossTerms& terms, const Tensor& grad_in);
  // In-place optimizer updates over whole parameters (core/op_kinds.h has the math).
  // momentum_buf is undefined when args.momentum == 0; max_exp_avg_sq unless
  // args.amsgrad; RMSprop's momentum_buf unless args.momentum > 0, grad_avg unless
  // args.centered.
  void (*sgd_step)(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdStepArgs& args);
  // sgd_step over several parameters of one dtype on this device, each with its own
  // first_step (args.first_step unused): on CUDA one launch per 32 of them (PyTorch's
  // foreach step; Note [One launch for the SGD step] in nn/optim/sgd.cpp), on the CPU a loop.
  void (*sgd_step_many)(const std::vector<SgdOperands>& params, const SgdStepArgs& args);
  void (*adam_step)(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                    const Tensor& max_exp_avg_sq, const AdamStepArgs& args);
  void (*rmsprop_step)(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& momentum_buf,
                       const Tensor& grad_avg, const RmspropStepArgs& args);
  void (*adagrad_step)(const Tensor& param, const Tensor& grad, const Tensor& sum, const AdagradStepArgs& args);
  // Adadelta, Adamax, NAdam and RAdam (core/optim_math_more.h has their args and math):
  // two state buffers each, always used.
  void (*adadelta_step)(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
                        const AdadeltaStepArgs& args);
  void (*adamax_step)(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_inf,
                      const AdamaxStepArgs& args);
  void (*nadam_step)(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const NadamStepArgs& args);
  void (*radam_step)(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const RadamStepArgs& args);

  // ---- convolution, pooling, batch norm, dropout (float32/float64/bfloat16/float16, one
  // dtype, the 16-bit ones computed in float and rounded once per result; NCHW contiguous
  // operands, or channels-last ones where layers_take_channels_last says so;
  // nn/functional checks arguments and allocates the outputs).
  // out [N, O, OH, OW] = conv(x, w) + b; b may be undefined.
  void (*conv2d_forward)(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g, const Tensor& out);
  // Gradients of conv2d_forward for x, w and b; each is written only when defined (and x
  // or w may then be undefined when only the other's gradient is asked for).
  void (*conv2d_backward)(const Tensor& grad, const Tensor& x, const Tensor& w, const ConvGeometry& g,
                          const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b);
  // Max pooling; indices (kUInt8 when pool_indices_fit_uint8(g), else kInt64: the
  // winner's position in its window, window_local_index in core/bitmask.h, or its flat
  // h * W + w when g.flat_indices; first of equal values, NaN wins) written only when defined.
  void (*max_pool2d_forward)(const Tensor& x, const PoolGeometry& g, const Tensor& out, const Tensor& indices);
  void (*max_pool2d_backward)(const Tensor& grad, const Tensor& indices, const PoolGeometry& g, const Tensor& grad_x);
  // Average pooling (g's divisor options) and adaptive average pooling (g.adaptive).
  void (*avg_pool2d_forward)(const Tensor& x, const PoolGeometry& g, const Tensor& out);
  void (*avg_pool2d_backward)(const Tensor& grad, const PoolGeometry& g, const Tensor& grad_x);
  // Batch norm over x seen as [N, C, S]; weight/bias [C] in the channel dtype or undefined.
  // out, grad and grad_x have x's dtype; the channel dtype of the per-channel tensors
  // (weight, bias, running and saved statistics, grad_w, grad_b) is x's, or float32 for a
  // bfloat16 / float16 x, which computes in float.
  // Training: batch mean and biased variance per channel, out = (x - mean) * invstd *
  // weight + bias with invstd = 1 / sqrt(var + eps); running_mean/running_var (float
  // buffers, may be undefined) become (1 - factor) * running + factor * batch statistic
  // (the unbiased variance); save_mean/save_invstd ([C], the channel dtype) are written only when
  // defined (only when autograd records). Note [The two switches] in nn/functional/batch_norm.cpp.
  void (*batch_norm_train)(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                           const Tensor& running_var, double factor, double eps, const Tensor& out,
                           const Tensor& save_mean, const Tensor& save_invstd);
  // Eval: the same formula with running_mean/running_var ([C], the channel dtype) in place of the
  // batch statistics. out may be x itself (the consuming forward normalizes in place).
  // save_mean/save_invstd ([C], the channel dtype), written only when defined (only when autograd
  // records): a copy of running_mean and 1 / sqrt(running_var + eps), what backward reads;
  // in the same launch as the normalisation where the device can.
  void (*batch_norm_eval)(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                          const Tensor& bias, double eps, const Tensor& out, const Tensor& save_mean,
                          const Tensor& save_invstd);
  // Gradients of either forward for x, weight and bias (each written when defined);
  // mean/invstd are the saved batch statistics (training) or the running ones (eval).
  // grad_x may be grad itself where batch_norm_backward_in_place is set (Note [Gradients
  // overwritten in backward] in core/native.h).
  void (*batch_norm_backward)(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& invstd,
                              const Tensor& weight, bool training, const Tensor& grad_x, const Tensor& grad_w,
                              const Tensor& grad_b);
  // Whether batch_norm_backward takes grad_x == grad: the CPU's and CUDA's do (their
  // per-channel sums come first); CUDA's then skips cuDNN, whose backward makes no such promise.
  bool batch_norm_backward_in_place = false;
  // ---- layer norm and group norm: x [M, K] rows (RowNormGeometry in core/nn_geometry.h),
  // float32/float64/bfloat16/float16, contiguous operands, weight/bias [G * D] in x's dtype or
  // undefined; mean/rstd [M] in row_norm::Stat (float for the 16-bit floats), written only when defined.
  // out = (x - mean) * rstd * weight + bias with each row's mean and biased variance summed
  // in double (float for the 16-bit floats); core/row_norm_math.h has the math both devices share.
  void (*row_norm_forward)(const Tensor& x, const Tensor& weight, const Tensor& bias, const RowNormGeometry& g,
                           double eps, const Tensor& out, const Tensor& mean, const Tensor& rstd);
  // Gradients for x, weight and bias (each written when defined) from the saved mean/rstd.
  void (*row_norm_backward)(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                            const Tensor& weight, const RowNormGeometry& g, const Tensor& grad_x,
                            const Tensor& grad_w, const Tensor& grad_b);
  // Training dropout with 0 < p < 1: out = x * keep / (1 - p), keep ~ Bernoulli(1 - p)
  // drawn per element of mask_shape (x's shape, or [N, C, 1, 1] to drop channels) and
  // broadcast over x. Returns what dropout_backward needs when `keep` is true (the keep
  // mask as bits; cuDNN's reserve space for CUDA element dropout), undefined otherwise.
  // The CPU and CUDA channel dropout draw the mask like rand(mask_shape); CUDA element
  // dropout draws from cuDNN's state (Note [cuDNN dropout random stream]) unless
  // `stream` is Generator; backward gets the forward's `stream`.
  Tensor (*dropout_forward)(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep,
                            DropoutStream stream);
  void (*dropout_backward)(const Tensor& grad, const Tensor& kept, double p, const Dims& mask_shape,
                           const Tensor& grad_x, DropoutStream stream);

  // ---- bit masks kept for backward (core/bitmask.h, Note [Compact saved activations]),
  // over the elements of dense tensors in memory order (float32/float64/bfloat16/float16).
  // bits [ceil(n / 8)] kUInt8: bit i set when y[i] > 0.
  void (*positive_bits)(const Tensor& y, const Tensor& bits);
  // y = relu(x) (x and y of one layout) and the bits of y > 0, in one pass.
  void (*relu_forward_bits)(const Tensor& x, const Tensor& y, const Tensor& bits);
  // grad_x[i] = bit i ? grad[i] : 0 (ReLU's backward); grad and grad_x have one layout
  // and may be one tensor.
  void (*relu_backward_bits)(const Tensor& grad, const Tensor& bits, const Tensor& grad_x);
  // grad_x[i] = bit i ? grad[i] : grad[i] * negative_slope (LeakyReLU's backward from its
  // x > 0 bits, as the LeakyReluGrad functor, a 16-bit one in float rounded once);
  // float32/float64/bfloat16/float16; grad_x may be grad.
  void (*leaky_relu_backward_bits)(const Tensor& grad, const Tensor& bits, double negative_slope,
                                   const Tensor& grad_x);

  // Whether conv2d_*, batch_norm_* and the pooling kernels also take channels-last
  // operands: 4-D ones dense in that layout (NHWC), outputs and max pooling's indices
  // allocated in it, per-channel ones [C] as ever (Note [Channels-last layers] in
  // nn/functional/args.h). CUDA: cuDNN reads real strides; ember's pooling and batch-norm
  // kernels index either layout.
  bool layers_take_channels_last = false;
};

const DeviceOps& cpu_ops();
// The table for a device (CUDA's comes from core/cuda_backend.h); a CUDA device
// without a CUDA build is an ember::Error.
const DeviceOps& device_ops(Device device);

}  // namespace ember
