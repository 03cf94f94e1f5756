// What the CUDA sources of cuda/ share: the raw current stream, the device error word,
// launch-size helpers and the CUDA kernels behind cuda_ops() (core/dispatch.h gives
// each kernel's contract). Only cuda/ includes this; it needs the CUDA headers.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dispatch.h"
#include "cuda/cuda_check.h"

namespace ember::cuda::detail {

// The current stream of the current device (the legacy default stream unless a
// StreamGuard or set_current_stream chose another). Kernels launch on it.
cudaStream_t current_raw_stream();
int current_device_index();

// Device error word: two uint64 words per device, [kind, value]. Kernels that find bad
// input (a class target outside [0, c), an index outside its dim) report it without
// synchronising: the first one wins via atomicCAS(&word[0], 0, kind) and then stores
// value in word[1]. The host reads it at synchronising points (cuda::synchronize,
// copies to the host) and throws.
// The kinds after these are reported by elementwise kernels' functors (core/op_kinds.h).
enum DeviceErrorKind : unsigned long long {
  kNoDeviceError = 0,
  kTargetOutOfBounds = 1,
  kIndexOutOfRange = 2,
  kBceInputOutOfRange = kKernelErrorBceInputOutOfRange,
  // gather / scatter: the word's kind also carries the dim and its size (gather_error_kind),
  // its value the index, for PyTorch's "index 7 is out of bounds for dimension 1 with size 5".
  kGatherIndexOutOfBounds = 4,
};
// kGatherIndexOutOfBounds in the low 8 bits, dim in the next 8, the size above (< 2^48).
constexpr unsigned long long gather_error_kind(int dim, int64_t size) {
  return kGatherIndexOutOfBounds | (static_cast<unsigned long long>(dim) << 8) |
         (static_cast<unsigned long long>(size) << 16);
}
unsigned long long* device_error_word();  // for the current device, zeroed at creation
// Throws ember::Error if a kernel reported an error on the current device (and clears it).
// Call only after the work that could report it has completed (a synchronisation).
void check_device_errors();
#if defined(__CUDACC__)
// A kernel's report of bad input through the device error word (the first one wins).
__device__ inline void report_device_error(unsigned long long* word, DeviceErrorKind kind, int64_t value) {
  if (atomicCAS(&word[0], 0ull, static_cast<unsigned long long>(kind)) == 0ull) {
    word[1] = static_cast<unsigned long long>(value);
  }
}
#endif

// At least `bytes` of scratch memory for library calls on the current stream of the
// current device (cuda/workspace.cpp): from the caching allocator, reused per stream.
void* stream_workspace(size_t bytes);

constexpr int kThreadsPerBlock = 256;
// Blocks for n elements at `per_thread` elements per thread (at least 1).
inline unsigned blocks_for(int64_t n, int threads = kThreadsPerBlock, int per_thread = 1) {
  const int64_t per_block = static_cast<int64_t>(threads) * per_thread;
  const int64_t b = (n + per_block - 1) / per_block;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 0x7fffffff ? 0x7fffffff : b));
}

}  // namespace ember::cuda::detail

// The CUDA kernels of cuda_ops(), one file per family (elementwise.cu, random.cu,
// reduce.cu, scan.cu, gemm.cpp, softmax_loss.cu, optim_step.cu, optim_step_more.cu,
// cudnn_conv.cpp, pool.cu, batch_norm.cu with cudnn_batch_norm.cpp, norm.cu, dropout.cpp,
// bitmask.cu, indexing_kernels.cu, scatter_gather.cu, sort.cu, triangle.cu).
namespace ember::cuda_kernels {
void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryArgs& args);
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha);
void binary_scalar(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first, const Tensor& out);
void unary_backward(UnaryOp op, int order, const Tensor& grad, const Tensor& x, const Tensor& out,
                    const UnaryArgs& args);
void pointwise_loss(PointwiseLoss op, const Tensor& input, const Tensor& target, const Tensor& pos_weight,
                    const PointwiseLossArgs& args, const Tensor& out);
void pointwise_loss_backward(PointwiseLoss op, LossGradWrt wrt, const Tensor& grad, const Tensor& input,
                             const Tensor& target, const Tensor& pos_weight, const PointwiseLossArgs& args,
                             const Tensor& out);
void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
void copy(const Tensor& src, const Tensor& dst);
void fill(const Tensor& dst, const Scalar& value);
void uniform(const Tensor& dst, double low, double high, const PhiloxArgs& rng);
void normal(const Tensor& dst, double mean, double stddev, const PhiloxArgs& rng);
void index_select(const Tensor& in, const Tensor& index, const IndexLayout& layout, const Tensor& out);
void index_add(const Tensor& self, const Tensor& index, const IndexLayout& layout, const Tensor& source);
void gather(const Tensor& self, const Tensor& index, const GatherLayout& layout, const Tensor& out);
void scatter(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& layout, bool accumulate);
void scatter_reduce(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& layout,
                    ScatterReduceKind kind);
void sort_rows(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices);
void searchsorted(const Tensor& boundaries, const Tensor& values, bool right, const Tensor& out);
// state[0..1] = {seed, offset} on the current stream: a graph replay's random base.
void write_philox_state(uint64_t* state, uint64_t seed, uint64_t offset);
void reduce(ReduceOp op, const Tensor& in, const Tensor& out);
void arg_reduce(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices);
void var_mean(const Tensor& in, double correction, const Tensor& var_out, const Tensor& mean_out);
void scan(ScanOp op, const Tensor& in, int64_t dim, bool reverse, const Tensor& out);
void cumprod_backward(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse, const Tensor& grad_in);
void cumulative_extreme(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices);
void gemm(const Tensor& a, const Tensor& b, const Tensor& out, const GemmScale& scale = {});
void triangle(const Tensor& in, const TriangleMask& mask, const Tensor& out);
// This thread's cuBLAS handle and the current stream's cuBLAS workspace, made now if they
// are not yet (cuda::Graph calls it before capturing: neither may be made in a capture).
void prepare_cublas();
void softmax_rows(const Tensor& in, const Tensor& out, bool log);
void cross_entropy_rows(const Tensor& logits, const Tensor& targets, const ClassLossTerms& terms, const Tensor& losses,
                        const Tensor& probs, const Tensor& row_weights);
void class_loss_backward(const Tensor& probs, const Tensor& targets, const Tensor& g, LossGradScale scale,
                         const ClassLossTerms& terms, const Tensor& grad_in);
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdStepArgs& args);
void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, const AdamStepArgs& args);
void rmsprop_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& momentum_buf,
                  const Tensor& grad_avg, const RmspropStepArgs& args);
void adagrad_step(const Tensor& param, const Tensor& grad, const Tensor& sum, const AdagradStepArgs& args);
void adadelta_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
                   const AdadeltaStepArgs& args);
void adamax_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_inf,
                 const AdamaxStepArgs& args);
void nadam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const NadamStepArgs& args);
void radam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const RadamStepArgs& args);
void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g, const Tensor& out);
void conv2d_backward(const Tensor& grad, const Tensor& x, const Tensor& w, const ConvGeometry& g, const Tensor& grad_x,
                     const Tensor& grad_w, const Tensor& grad_b);
void max_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out, const Tensor& indices);
void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const PoolGeometry& g, const Tensor& grad_x);
void avg_pool2d_forward(const Tensor& x, const PoolGeometry& g, const Tensor& out);
void avg_pool2d_backward(const Tensor& grad, const PoolGeometry& g, const Tensor& grad_x);
void batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                      const Tensor& running_var, double factor, double eps, const Tensor& out, const Tensor& save_mean,
                      const Tensor& save_invstd);
void batch_norm_eval(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, double eps, const Tensor& out, const Tensor& save_mean,
                     const Tensor& save_invstd);
void batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& invstd,
                         const Tensor& weight, bool training, const Tensor& grad_x, const Tensor& grad_w,
                         const Tensor& grad_b);
// Batch norm through cuDNN graphs (cudnn_batch_norm.cpp), tried first by batch_norm.cu's
// kernels above: true when cuDNN did the work, false (nothing done) when it does not take
// the case. save_mean/save_invstd must be defined; backward is training mode only; eval
// computes invstd from var (into save_invstd when defined) unless cuDNN has already declined
// the case.
bool cudnn_batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                            const Tensor& running_var, double factor, double eps, const Tensor& out,
                            const Tensor& save_mean, const Tensor& save_invstd);
bool cudnn_batch_norm_eval(const Tensor& x, const Tensor& mean, const Tensor& var, double eps, const Tensor& weight,
                           const Tensor& bias, const Tensor& out, const Tensor& save_invstd);
// One launch, a thread per channel: save_mean = mean and save_invstd = 1 / sqrt(var + eps)
// (either may be undefined), for cuDNN's eval graph and what an eval forward saves.
void batch_norm_eval_stats(const Tensor& mean, const Tensor& var, double eps, const Tensor& save_mean,
                           const Tensor& save_invstd);
bool cudnn_batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& invstd,
                               const Tensor& weight, const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b);
// After a cuDNN training forward: running = (1 - factor) running + factor batch for the
// defined running buffers ([C], mean's dtype), the batch variance from the saved inverse
// std (1 / invstd² - eps) made unbiased by count / (count - 1), rounded as the CPU's
// native::blend_running_stats rounds; one launch.
void update_running_stats(const Tensor& mean, const Tensor& invstd, double eps, const Tensor& running_mean,
                          const Tensor& running_var, double factor, int64_t count);
void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps,
                      const Tensor& out, const Tensor& mean, const Tensor& rstd);
void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                       const RowNormGeometry& g, const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b);
Tensor dropout_forward(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep,
                       DropoutStream stream);
// cuDNN dropout's state around CUDA graphs (Note [cuDNN dropout in CUDA graphs]), on
// the current stream: when it exists, re-seeded if the generator was re-seeded since
// (called before a capture and before each replay).
void refresh_dropout_after_reseed(int device);
void dropout_backward(const Tensor& grad, const Tensor& kept, double p, const Dims& mask_shape, const Tensor& grad_x,
                      DropoutStream stream);
void positive_bits(const Tensor& y, const Tensor& bits);
void relu_forward_bits(const Tensor& x, const Tensor& y, const Tensor& bits);
void relu_backward_bits(const Tensor& grad, const Tensor& bits, const Tensor& grad_x);
void leaky_relu_backward_bits(const Tensor& grad, const Tensor& bits, double negative_slope, const Tensor& grad_x);
// mask[i] = (bit i of bits) * 1 / (1 - p), in mask's dtype (channel dropout's backward).
void unpack_dropout_bits(const Tensor& bits, double p, const Tensor& mask);
}  // namespace ember::cuda_kernels
