// The CPU kernels behind cpu_ops() (core/dispatch.h gives each one's contract),
// one file per family: elementwise.cpp, reduce.cpp, gemm.cpp, fill_random.cpp,
// softmax_loss.cpp, optim_step.cpp, optim_step_more.cpp, conv.cpp, pool.cpp,
// batch_norm.cpp, norm.cpp, dropout.cpp, bitmask.cpp, indexing.cpp, scatter_gather.cpp,
// sort.cpp, scan.cpp, triangle.cpp, resample.cpp, grid_sample.cpp.
#pragma once
#include "core/dispatch.h"

namespace ember::cpu {

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
void reduce(ReduceOp op, const Tensor& in, const Tensor& out);
void arg_reduce(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices);
void var_mean(const Tensor& in, double correction, const Tensor& var_out, const Tensor& mean_out);
void scan(ScanOp op, const Tensor& in, int64_t dim, bool reverse, const Tensor& out);
void cumprod_backward(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse, const Tensor& grad_in);
void cumulative_extreme(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices);
void gemm(const Tensor& a, const Tensor& b, const Tensor& out, const GemmScale& scale = {});
void triangle(const Tensor& in, const TriangleMask& mask, const Tensor& out);
void uniform(const Tensor& dst, double low, double high, const PhiloxArgs& rng);
void normal(const Tensor& dst, double mean, double stddev, const PhiloxArgs& rng);
void index_select(const Tensor& in, const Tensor& index, const IndexLayout& layout, const Tensor& out);
void index_add(const Tensor& self, const Tensor& index, const IndexLayout& layout, const Tensor& source);
void resample_rows(const Tensor& x, const Tensor& index, const Tensor& weight, const ResampleLayout& layout,
                   const Tensor& out);
void resample_rows_transpose(const Tensor& g, const Tensor& index, const Tensor& weight, const ResampleLayout& layout,
                             const Tensor& gx);
void grid_sample_forward(const Tensor& input, const Tensor& grid, const GridSampleLayout& layout, const Tensor& out);
void grid_sample_backward(const Tensor& grad, const Tensor& input, const Tensor& grid, const GridSampleLayout& layout,
                          const Tensor& grad_input, const Tensor& grad_grid);
void gather(const Tensor& self, const Tensor& index, const GatherLayout& layout, const Tensor& out);
void scatter(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& layout, bool accumulate);
void scatter_reduce(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& layout,
                    ScatterReduceKind kind);
void sort_rows(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices);
void searchsorted(const Tensor& boundaries, const Tensor& values, bool right, const Tensor& out);
Tensor true_positions(const Tensor& mask);
void softmax_rows(const Tensor& in, const Tensor& out, bool log);
void cross_entropy_rows(const Tensor& logits, const Tensor& targets, const ClassLossTerms& terms, const Tensor& losses,
                        const Tensor& probs, const Tensor& row_weights);
void class_loss_backward(const Tensor& probs, const Tensor& targets, const Tensor& g, LossGradScale scale,
                         const ClassLossTerms& terms, const Tensor& grad_in);
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdStepArgs& args);
void sgd_step_many(const std::vector<SgdOperands>& params, const SgdStepArgs& args);
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
void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps,
                      const Tensor& out, const Tensor& mean, const Tensor& rstd);
void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                       const RowNormGeometry& g, const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b);
Tensor dropout_forward(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep,
                       DropoutStream stream);
void dropout_backward(const Tensor& grad, const Tensor& kept, double p, const Dims& mask_shape, const Tensor& grad_x,
                      DropoutStream stream);
void positive_bits(const Tensor& y, const Tensor& bits);
void relu_forward_bits(const Tensor& x, const Tensor& y, const Tensor& bits);
void relu_backward_bits(const Tensor& grad, const Tensor& bits, const Tensor& grad_x);
void leaky_relu_backward_bits(const Tensor& grad, const Tensor& bits, double negative_slope, const Tensor& grad_x);
// mask[i] = (bit i of bits) * 1 / (1 - p), in mask's dtype: dropout's scaled mask again.
void unpack_dropout_bits(const Tensor& bits, double p, const Tensor& mask);

}  // namespace ember::cpu
