// nn::functional::batch_norm and its in-place eval form: argument checks, the one
// place where the training flag picks the device's kernel (batch statistics plus the
// running update, or running statistics), the output in the input's memory format
// (Note [Channels-last layers] in nn/functional/args.h), and one
// "NativeBatchNormBackward" node that saves x, mean, invstd and weight only when recording.
#include <algorithm>
#include <utility>

#include "autograd/checkpoint.h"
#include "autograd/function_node.h"
#include "core/dispatch.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/functional/args.h"
#include "nn/functional/basic.h"

namespace ember::nn::functional {

using autograd::needs_grad;
using autograd::tensor_list;

namespace {

int64_t values_per_channel(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 2, "batch_norm: expected at least 2D input (got ", x.dim(), "D input)");
  return x.numel() / std::max<int64_t>(x.size(1), 1);
}

void check_args(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                const Tensor& bias, bool training) {
  const int64_t count = values_per_channel(x);
  EMBER_CHECK(is_floating(x.dtype()),
              "batch_norm: expected a floating-point input (float32, float64, bfloat16 or float16), but got ",
              dtype_name(x.dtype()));
  // PyTorch's _verify_batch_size: one value per channel is refused; none (an empty batch) is
  // batch_norm of nothing (batch_norm below).
  if (training) {
    EMBER_CHECK(count != 1, "Expected more than 1 value per channel when training, got input size ", x.sizes());
  } else {
    EMBER_CHECK(running_mean.defined(), "running_mean must be defined in evaluation mode");
    EMBER_CHECK(running_var.defined(), "running_var must be defined in evaluation mode");
  }
  native::check_same_device(x, {&running_mean, &running_var, &weight, &bias}, "batch_norm");
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias})
    EMBER_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == x.size(1)),
                "batch_norm: expected per-channel "
                "tensors of size [",
                x.size(1), "] for input of size ", x.sizes(), ", but got ", t->sizes());
}

// A per-channel tensor as the kernels take it: the channel dtype, contiguous.
Tensor channel_operand(const Tensor& t, DType dtype) {
  return t.defined() ? detail::contiguous(native::to_dtype(t, dtype)) : Tensor();
}

// The weight of the cumulative average (momentum = nullopt) or the momentum.
double running_factor(std::optional<double> momentum, const Tensor& num_batches_tracked) {
  if (momentum) return *momentum;
  EMBER_CHECK(num_batches_tracked.defined(),
              "batch_norm: momentum=None (cumulative average) needs num_batches_tracked");
  return 1.0 / num_batches_tracked.item<double>();
}

struct SavedStats {
  Tensor mean, invstd;  // undefined unless recording
};

// Note [The two switches]
// Two independent switches decide what a layer costs. The training flag (Module::train
// / eval, the `training` argument here) decides what is *computed*: batch statistics and
// the running-statistics update, or the running statistics; dropout's mask, or nothing
// at all. The grad mode (NoGradGuard, InferenceModeGuard, and whether any input requires
// grad) decides what is *remembered*: only when autograd records does an op keep its
// inputs, batch norm's saved mean and inverse std, dropout's mask or cuDNN reserve
// space. So eval() without no_grad still records (backward works in eval mode), and
// no_grad without eval() still updates running statistics and drops out. This function
// is batch norm's one place where the flag picks the kernel; the module's consuming
// eval forward calls it too, with out = x.
SavedStats normalize_into(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& w,
                          const Tensor& b, bool training, std::optional<double> momentum, double eps,
                          const Tensor& num_batches_tracked, bool recording, const Tensor& out) {
  const DeviceOps& ops = device_ops(x.device());
  const DType stat = compute_dtype(x.dtype());
  SavedStats saved;
  if (training) {
    // A checkpoint's recomputation repeats this forward: the running statistics were
    // updated by the first run (Note [Activation checkpointing] in autograd/checkpoint.h).
    const bool update = (running_mean.defined() || running_var.defined()) && !utils::is_recomputing();
    const double factor = update ? running_factor(momentum, num_batches_tracked) : 0.0;
    if (recording) {
      saved.mean = make_empty({x.size(1)}, stat, x.device());
      saved.invstd = make_empty({x.size(1)}, stat, x.device());
    }
    NoGradGuard no_grad;  // the running buffers are updated, never recorded
    // Running statistics of another dtype (16-bit ones: Note [16-bit layers outside autocast])
    // are updated in the channel dtype and rounded back once.
    const auto in_stat_dtype = [&](const Tensor& t) { return update ? channel_operand(t, stat) : Tensor(); };
    const Tensor mean = in_stat_dtype(running_mean), var = in_stat_dtype(running_var);
    ops.batch_norm_train(x, w, b, mean, var, factor, eps, out, saved.mean, saved.invstd);
    for (const auto& [buffer, updated] : {std::pair{running_mean, mean}, std::pair{running_var, var}})
      if (buffer.defined() && updated.defined() && !updated.is_same(buffer)) native::copy_(buffer, updated);
    return saved;
  }
  const Tensor mean = channel_operand(running_mean, stat), var = channel_operand(running_var, stat);
  if (recording) {
    // Written by the eval kernel itself: a copy of the mean (it must not follow later
    // updates of the running statistics) and the running variance's invstd.
    saved.mean = make_empty({x.size(1)}, stat, x.device());
    saved.invstd = make_empty({x.size(1)}, stat, x.device());
  }
  ops.batch_norm_eval(x, mean, var, w, b, eps, out, saved.mean, saved.invstd);
  return saved;
}

// NativeBatchNormBackward's formula when the backward records (create_graph, Note
// [Higher-order gradients] in autograd/engine.h): the gradients composed of
// differentiable ops, with the batch statistics recomputed from x so that they carry
// x's history too (PyTorch's batchnorm_double_backward differentiates the same formula).
tensor_list batch_norm_recorded_grads(const Tensor& g, const Tensor& x, const Tensor& saved_mean,
                                      const Tensor& saved_invstd, const Tensor& w, bool training, double eps,
                                      const std::vector<autograd::InputMeta>& in) {
  Dims dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  Dims shape = Dims::filled(static_cast<size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  Tensor mean = saved_mean.view(shape), invstd = saved_invstd.view(shape);
  if (training) {
    mean = x.mean(dims, true);
    const Tensor centered = x - mean;
    invstd = ((centered * centered).mean(dims, true) + eps).pow(-0.5);
  }
  const Tensor xhat = (x - mean) * invstd;
  Tensor gx, gw, gb;
  if (needs_grad(in, 0)) {
    const Tensor scale = w.defined() ? w.view(shape) * invstd : invstd;
    gx = training ? scale * (g - g.mean(dims, true) - xhat * (g * xhat).mean(dims, true)) : scale * g;
  }
  if (in.size() > 1 && needs_grad(in, 1)) gw = (g * xhat).sum(dims);
  if (in.size() > 2 && needs_grad(in, 2)) gb = g.sum(dims);
  return {gx, gw, gb};
}

}  // namespace

Tensor batch_norm(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, std::optional<double> momentum, double eps,
                  const Tensor& num_batches_tracked) {
  EMBER_PROFILE_OP("batch_norm");
  // A 16-bit input goes to the kernels as it is, under autocast or not: they compute in
  // float, round the output once and take float32 per-channel tensors (Note [16-bit layers
  // outside autocast] in nn/functional/args.h). Autocast casts nothing here: batch norm is on
  // none of PyTorch's autocast lists, so its output has its input's dtype (Note [Autocast]).
  check_args(x_in, running_mean, running_var, weight, bias, training);
  if (x_in.numel() == 0) {
    // PyTorch's empty batch: no statistics and no running update; the output is a copy that
    // keeps the chain to the input and the affine parameters (x * weight[0] + bias[0]).
    Tensor out = x_in.clone();
    if (weight.defined() && weight.numel() > 0) out = out * weight.select(0, 0);
    if (bias.defined() && bias.numel() > 0) out = out + bias.select(0, 0);
    return out;
  }
  const MemoryFormat format = x_in.suggest_memory_format();
  // The kernels' layout (Note [Channels-last layers] in nn/functional/args.h).
  const MemoryFormat kernel = detail::kernel_format(x_in, format);
  const bool recording = autograd::will_record(x_in, weight, bias);
  // Recording, an input not dense in the kernel's layout is copied by the recorded
  // contiguous(), so the copy the node saves keeps x's history (create_graph).
  const Tensor x = recording ? x_in.contiguous(kernel) : detail::dense_in(x_in, kernel);
  const DType stat = compute_dtype(x.dtype());  // float32 for a 16-bit x
  const Tensor w = channel_operand(weight, stat), b = channel_operand(bias, stat);
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device(), kernel);
  const SavedStats saved =
      normalize_into(x, running_mean, running_var, w, b, training, momentum, eps, num_batches_tracked, recording, out);
  out = detail::in_format(out, format);
  if (recording) {
    // x (dense) and the weight keep their history for create_graph. A weight the kernels
    // took as a copy of another dtype (w) has lost it: such a node differentiates once.
    const bool twice = !weight.defined() || w.is_same(weight);
    auto node = autograd::record(
        "NativeBatchNormBackward", {&x_in, &weight, &bias}, {&out}, {x, saved.mean, saved.invstd, w},
        [training, kernel, eps, twice](const tensor_list& g, const tensor_list& s, const auto& in) {
          if (twice && is_grad_enabled()) {
            // A 16-bit x goes through the formula in the channel dtype (recorded casts), as
            // its kernels compute in float, and its gradient comes back in its own dtype.
            const DType dtype = s[0].dtype(), stat = s[1].dtype();
            tensor_list grads = batch_norm_recorded_grads(g[0].to(stat), s[0].to(stat), s[1], s[2], s[3], training,
                                                          eps, in);
            if (grads[0].defined()) grads[0] = grads[0].to(dtype);
            return grads;
          }
          const Tensor x = detail::dense_in(s[0], kernel);
          // the input's gradient in x's dtype, the weight's and bias's in the channel dtype
          const auto grad_if = [&](size_t i, const Dims& shape, MemoryFormat layout) {
            const DType dtype = i == 0 ? x.dtype() : s[1].dtype();
            return in.size() > i && needs_grad(in, i) ? make_empty(shape, dtype, x.device(), layout) : Tensor();
          };
          // The input's gradient overwrites the incoming one where nothing else holds it (Note
          // [Gradients overwritten in backward] in core/native.h).
          const DeviceOps& ops = device_ops(x.device());
          const bool overwrite = ops.batch_norm_backward_in_place && in.size() > 0 && needs_grad(in, 0) &&
                                 g[0].dtype() == x.dtype() && native::overwritable_gradient(g[0], kernel);
          tensor_list out{overwrite ? g[0] : grad_if(0, x.sizes(), kernel),
                          grad_if(1, {x.size(1)}, MemoryFormat::Contiguous),
                          grad_if(2, {x.size(1)}, MemoryFormat::Contiguous)};
          // The kernels take a gradient in x's dtype, the output's (the engine gives each output's own).
          ops.batch_norm_backward(detail::dense_in(g[0], kernel), x, s[1], s[2], s[3], training, out[0], out[1],
                                  out[2]);
          return out;
        });
    if (twice) node->set_backward_reads_inputs(/*x and the weight, not the bias*/ 0b011);
  } else {
    autograd::note_untracked(out, {&x_in, &weight, &bias});
  }
  return out;
}

void batch_norm_eval_(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                      const Tensor& bias, double eps) {
  check_args(x, running_mean, running_var, weight, bias, false);
  EMBER_CHECK(x.is_contiguous() && !autograd::will_record(x, weight, bias),
              "batch_norm_eval_: expected a contiguous input that nothing records");
  NoGradGuard no_grad;
  const DType stat = compute_dtype(x.dtype());
  normalize_into(x, running_mean, running_var, channel_operand(weight, stat), channel_operand(bias, stat), false,
                 std::nullopt, eps, Tensor(), false, x);
  native::mark_mutated(x);
}

}  // namespace ember::nn::functional
