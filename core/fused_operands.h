// Operand checks of the fused nn kernels (softmax_rows, cross_entropy_rows,
// class_loss_backward, sgd_step, adam_step, rmsprop_step, adagrad_step), shared by
// their CPU (core/cpu/) and CUDA (cuda/) versions: internal asserts, since the op layer prepares the operands.
#pragma once
#include <vector>

#include "core/op_kinds.h"
#include "core/tensor.h"

namespace ember::fused {

// t is a contiguous [rows, n] tensor like `like` (dtype, shape, device).
inline void check_matrix(const char* op, const char* what, const Tensor& t, const Tensor& like) {
  EMBER_INTERNAL_ASSERT(t.dim() == 2 && t.is_contiguous() && t.dtype() == like.dtype() && t.sizes() == like.sizes() &&
                            t.device() == like.device(),
                        op, ": ", what, " must be a contiguous [rows, n] tensor like the input");
}

// Contiguous int64 class targets, one per row, on the input's device.
inline void check_target_layout(const Tensor& targets, int64_t rows, const Tensor& like) {
  EMBER_INTERNAL_ASSERT(targets.dtype() == kInt64 && targets.is_contiguous() && targets.numel() == rows &&
                            targets.device() == like.device(),
                        "class-index kernels expect contiguous int64 targets on the input's device, one per row");
}

// Whether `state` (a gradient or an optimizer buffer) is laid out like the parameter
// as the fused optimizer kernels need, which walk all operands as one flat array: one
// shape, dtype and device, and both dense in the same memory format (both row-major,
// or both channels-last), so element i of one is element i of the other.
inline bool laid_out_like(const Tensor& param, const Tensor& state) {
  const bool same_dense_format =
      (param.is_contiguous() && state.is_contiguous()) ||
      (param.is_contiguous(MemoryFormat::ChannelsLast) && state.is_contiguous(MemoryFormat::ChannelsLast));
  return same_dense_format && state.dtype() == param.dtype() && state.sizes() == param.sizes() &&
         state.device() == param.device();
}

inline void check_like_param(const char* op, const Tensor& param, const Tensor& state) {
  EMBER_INTERNAL_ASSERT(laid_out_like(param, state), op,
                        ": every operand must be dense in the parameter's memory format, with its shape, "
                        "dtype and device");
}

// Checks sgd_step's operands; returns whether the momentum buffer is used.
inline bool check_sgd_operands(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
                               const SgdStepArgs& args) {
  check_like_param("sgd_step", param, grad);
  const bool use_momentum = args.momentum != 0.0;
  if (use_momentum) check_like_param("sgd_step", param, momentum_buf);
  return use_momentum;
}

// Checks sgd_step_many's operands (one dtype and device, each as sgd_step's); returns
// whether the momentum buffers are used.
template <typename Operands>
bool check_sgd_many_operands(const std::vector<Operands>& params, const SgdStepArgs& args) {
  bool use_momentum = args.momentum != 0.0;
  for (const Operands& o : params) {
    use_momentum = check_sgd_operands(o.param, o.grad, o.momentum_buf, args);
    EMBER_INTERNAL_ASSERT(o.param.dtype() == params.front().param.dtype() &&
                              o.param.device() == params.front().param.device(),
                          "sgd_step_many: every parameter must have the first's dtype and device");
  }
  return use_momentum;
}

// Checks adam_step's operands; returns whether max_exp_avg_sq is used (amsgrad).
inline bool check_adam_operands(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                                const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const AdamStepArgs& args) {
  for (const Tensor* state : {&grad, &exp_avg, &exp_avg_sq}) check_like_param("adam_step", param, *state);
  if (args.amsgrad) check_like_param("adam_step", param, max_exp_avg_sq);
  return args.amsgrad;
}

// Checks rmsprop_step's operands (momentum_buf only with momentum > 0, grad_avg only
// when centered).
inline void check_rmsprop_operands(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                                   const Tensor& momentum_buf, const Tensor& grad_avg, const RmspropStepArgs& args) {
  for (const Tensor* state : {&grad, &square_avg}) check_like_param("rmsprop_step", param, *state);
  if (args.momentum > 0.0) check_like_param("rmsprop_step", param, momentum_buf);
  if (args.centered) check_like_param("rmsprop_step", param, grad_avg);
}

inline void check_adagrad_operands(const Tensor& param, const Tensor& grad, const Tensor& sum) {
  for (const Tensor* state : {&grad, &sum}) check_like_param("adagrad_step", param, *state);
}

}  // namespace ember::fused
