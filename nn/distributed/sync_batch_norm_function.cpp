// nn::functional::sync_batch_norm: per-channel sums packed and all-reduced once, the
// local input normalised by the global statistics, and the "SyncBatchNormBackward" node
// whose input gradient all-reduces its sums once more (Note [Synchronised batch
// statistics] in nn/distributed/sync_batchnorm.h). Every pass over the activations is
// one of the device's fused batch-norm kernels (channel_sums, channel_affine).
#include <algorithm>
#include <utility>

#include "autograd/function_node.h"
#include "core/dispatch.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/distributed/process_group.h"
#include "nn/distributed/sync_batchnorm.h"
#include "nn/functional/args.h"

namespace ember::nn::functional {

using autograd::needs_grad;
using autograd::tensor_list;

namespace {

bool group_of_several() { return distributed::is_initialized() && distributed::world_size() > 1; }

// Sums `packed` over the process group in place: no argument check (every rank's layer
// has the same channels, and DistributedDataParallel checked the model), one collective.
// A CUDA one is ordered by the stream and not waited for on the host (Note [NCCL faults]
// in cuda/nccl.h): the step's synchronisation points notice a hang.
void sum_over_group(const Tensor& packed) {
  auto work = distributed::all_reduce_async(packed, distributed::ReduceOp::Sum);
  if (!packed.is_cuda()) work->wait();
}

// A [C] tensor of `value` in x's dtype and device.
Tensor channel_filled(const Tensor& x, double value) {
  Tensor t = make_empty({x.size(1)}, x.dtype(), x.device());
  native::fill_(t, value);
  return t;
}

// sum_g = Σ g and sum_gxm = Σ g (x - m) per channel, in one fused pass: the device's
// batch-norm backward kernel in its eval form with invstd = 1 and no input gradient
// (its weight gradient is then exactly Σ g (x - m), its bias gradient Σ g).
void channel_sums(const Tensor& g, const Tensor& x, const Tensor& m, const Tensor& sum_g, const Tensor& sum_gxm) {
  device_ops(x.device())
      .batch_norm_backward(g, x, m, channel_filled(x, 1.0), Tensor(), false, Tensor(), sum_gxm, sum_g);
}

// out = x * scale + shift per channel ([C] tensors, shift may be undefined), in one pass
// of the device's batch-norm eval kernel (mean 0, variance 1, eps 0: invstd exactly 1).
Tensor channel_affine(const Tensor& x, const Tensor& centre, const Tensor& scale, const Tensor& shift) {
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  device_ops(x.device()).batch_norm_eval(x, centre, channel_filled(x, 1.0), scale, shift, 0.0, out, Tensor(), Tensor());
  return out;
}

// This rank's [Σ x (C), M2 + n mean^2 (C), n (1)] in float64, where M2 = Σ (x - mean)^2
// comes from a second pass over x - mean (Σ d^2 - (Σ d)^2 / n with d = x - its float
// mean), so float32 activations with a large mean keep their variance; the group's sums
// of these give its mean and variance in float64 (Note [Synchronised batch statistics]).
Tensor local_statistics(const Tensor& x) {
  const int64_t C = x.size(1);
  const double n = static_cast<double>(x.numel() / std::max<int64_t>(C, 1));
  Tensor stats = make_empty({2 * C + 1}, kFloat64, x.device());
  native::fill_(stats, 0.0);
  native::fill_(stats.narrow(0, 2 * C, 1), n);
  if (n == 0) return stats;  // an empty share of the batch adds nothing
  Tensor sums = make_empty({2 * C}, x.dtype(), x.device());
  channel_sums(x, x, channel_filled(x, 0.0), sums.narrow(0, 0, C), sums.narrow(0, C, C));  // Σ x (Σ x^2 unused)
  const Tensor local_mean = native::div(sums.narrow(0, 0, C), n);
  const Tensor d = channel_affine(x, local_mean, channel_filled(x, 1.0), Tensor());        // x - local mean
  channel_sums(d, d, channel_filled(x, 0.0), sums.narrow(0, 0, C), sums.narrow(0, C, C));  // Σ d, Σ d^2
  const Tensor sum_d = native::to_dtype(sums.narrow(0, 0, C), kFloat64);
  const Tensor sum_d2 = native::to_dtype(sums.narrow(0, C, C), kFloat64);
  const Tensor mean = native::add(native::to_dtype(local_mean, kFloat64), native::div(sum_d, n));
  const Tensor m2 = native::sub(sum_d2, native::div(native::mul(sum_d, sum_d), n));
  native::copy_(stats.narrow(0, 0, C), native::mul(mean, n));
  native::copy_(stats.narrow(0, C, C), native::add(m2, native::mul(native::mul(mean, mean), n)));
  return stats;
}

Tensor channel_operand(const Tensor& t, DType dtype) {
  return t.defined() ? detail::contiguous(native::to_dtype(t, dtype)) : Tensor();
}

void check_args(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                const Tensor& bias, bool synced) {
  EMBER_CHECK(
      x.defined() && x.dim() >= 2, "sync_batch_norm: expected an input of at least 2D [N, C, ...], got ",
      x.defined() ? ember::detail::str_cat(x.dim(), "D input of size ", x.sizes()) : std::string("an undefined one"));
  EMBER_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64,
              "sync_batch_norm: expected a floating-point input (float32, float64, bfloat16 or float16), got ",
              dtype_name(x.dtype()));
  const int64_t count = x.numel() / std::max<int64_t>(x.size(1), 1);
  // Over a group the count that matters is the global one (checked by PyTorch only when
  // there is one rank); an empty share of the batch is allowed.
  EMBER_CHECK(synced || count > 1, "Expected more than 1 value per channel when training, got input size ", x.sizes());
  native::check_same_device(x, {&running_mean, &running_var, &weight, &bias}, "sync_batch_norm");
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias})
    EMBER_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == x.size(1)),
                "sync_batch_norm: expected per-channel tensors of size [", x.size(1), "] for input of size ",
                x.sizes(), ", got ", t->sizes());
}

// running = (1 - factor) running + factor * statistic, in each buffer's own dtype; the
// variance made unbiased with the global count (a tensor: no host synchronisation).
void update_running(const Tensor& running_mean, const Tensor& running_var, const Tensor& mean, const Tensor& var,
                    const Tensor& count, double factor) {
  NoGradGuard no_grad;
  const auto blend = [factor](const Tensor& running, const Tensor& batch) {
    const Tensor mixed =
        native::add(native::mul(native::to_dtype(running, batch.dtype()), 1.0 - factor), native::mul(batch, factor));
    native::copy_(running, mixed);
  };
  if (running_mean.defined()) blend(running_mean, mean);
  if (running_var.defined()) blend(running_var, native::div(native::mul(var, count), native::sub(count, 1.0)));
}

double running_factor(std::optional<double> momentum, const Tensor& num_batches_tracked) {
  if (momentum) return *momentum;
  EMBER_CHECK(num_batches_tracked.defined(),
              "sync_batch_norm: momentum=None (cumulative average) needs num_batches_tracked");
  return 1.0 / num_batches_tracked.item<double>();
}

// The gradients of one SyncBatchNormBackward: saved = x, mean, invstd, weight, count.
// gx = invstd w (dy - mean(dy) - (x - mean) invstd^2 mean(dy (x - mean))), the means over
// the group, computed as (dy - mean(dy)) invstd w + mean k - x k with k = invstd^3 w
// mean(dy (x - mean)): two fused passes and a subtraction.
tensor_list backward(const Tensor& grad, const tensor_list& s, const std::vector<autograd::InputMeta>& in,
                     bool synced) {
  const Tensor &x = s[0], &mean = s[1], &invstd = s[2], &w = s[3], &count = s[4];
  const int64_t C = x.size(1);
  const Tensor dy = detail::contiguous(grad);
  Tensor sums = make_empty({2 * C}, x.dtype(), x.device());  // [sum dy, sum dy * (x - mean)]
  channel_sums(dy, x, mean, sums.narrow(0, 0, C), sums.narrow(0, C, C));
  const auto wanted = [&](size_t i) { return in.size() > i && needs_grad(in, i); };
  tensor_list out(3);
  // This rank's own sums: DistributedDataParallel averages them like every gradient.
  if (wanted(1)) out[1] = native::mul(sums.narrow(0, C, C), invstd);
  if (wanted(2)) out[2] = native::clone(sums.narrow(0, 0, C));
  if (wanted(0)) {
    if (synced) sum_over_group(sums);
    const Tensor mean_dy = native::div(sums.narrow(0, 0, C), count);
    const Tensor mean_dy_xmu = native::div(sums.narrow(0, C, C), count);
    const Tensor scale = w.defined() ? native::mul(invstd, w) : invstd;
    const Tensor k = native::mul(native::mul(native::mul(invstd, invstd), mean_dy_xmu), scale);
    Tensor gx = channel_affine(dy, mean_dy, scale, native::mul(mean, k));
    native::sub_(gx, channel_affine(x, channel_filled(x, 0.0), k, Tensor()), 1);
    out[0] = gx;
  }
  return out;
}

// A 16-bit input (Note [16-bit layers outside autocast] in nn/functional/args.h): the float32
// layer on recorded casts of the input and of 16-bit parameters, 16-bit running statistics
// updated in float32 and rounded back once; the output in the input's dtype, under autocast
// too (batch norm's: Note [Autocast]).
Tensor sync_batch_norm_in_float32(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                                  const Tensor& weight, const Tensor& bias, std::optional<double> momentum, double eps,
                                  const Tensor& num_batches_tracked) {
  const auto wide = [](const Tensor& t) { return t.defined() ? t.to(compute_dtype(t.dtype())) : t; };
  Tensor mean, var;
  {
    NoGradGuard no_grad;
    mean = wide(running_mean);
    var = wide(running_var);
  }
  const Tensor out =
      sync_batch_norm(x.to(kFloat32), mean, var, wide(weight), wide(bias), momentum, eps, num_batches_tracked);
  for (const auto& [buffer, updated] : {std::pair{running_mean, mean}, std::pair{running_var, var}})
    if (buffer.defined() && !updated.is_same(buffer)) native::copy_(buffer, updated);  // never recorded
  return out.to(x.dtype());
}

}  // namespace

Tensor sync_batch_norm(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, std::optional<double> momentum, double eps,
                       const Tensor& num_batches_tracked) {
  EMBER_PROFILE_OP("sync_batch_norm");
  if (is_reduced_float(x_in.dtype())) return sync_batch_norm_in_float32(x_in, running_mean, running_var, weight, bias,
                                                                         momentum, eps, num_batches_tracked);
  const bool synced = group_of_several();
  check_args(x_in, running_mean, running_var, weight, bias, synced);
  const Tensor x = detail::contiguous(x_in);
  const int64_t C = x.size(1);
  const Tensor w = channel_operand(weight, x.dtype()), b = channel_operand(bias, x.dtype());
  const bool recording = autograd::will_record(x_in, weight, bias);
  Tensor mean, var, invstd, count;
  {
    NoGradGuard no_grad;
    Tensor stats = local_statistics(x);  // [Σ x, M2 + n mean^2, n] of this rank, float64
    if (synced) sum_over_group(stats);
    const Tensor total = stats.narrow(0, 2 * C, 1);
    const Tensor mean64 = native::div(stats.narrow(0, 0, C), total);
    const Tensor var64 = native::clamp(
        native::sub(native::div(stats.narrow(0, C, C), total), native::mul(mean64, mean64)), Scalar(0.0), std::nullopt);
    count = native::to_dtype(total, x.dtype());
    mean = native::to_dtype(mean64, x.dtype());
    var = native::to_dtype(var64, x.dtype());
    if (running_mean.defined() || running_var.defined())
      update_running(running_mean, running_var, mean, var, count, running_factor(momentum, num_batches_tracked));
  }
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  if (recording) invstd = make_empty({x.size(1)}, x.dtype(), x.device());  // written by the kernel
  device_ops(x.device()).batch_norm_eval(x, mean, var, w, b, eps, out, Tensor(), invstd);
  out = detail::in_format(out, x_in.suggest_memory_format());
  if (recording) {
    autograd::record(
        "SyncBatchNormBackward", {&x_in, &weight, &bias}, {&out}, {x, mean, invstd, w, count},
        [synced](const tensor_list& g, const tensor_list& s, const auto& in) { return backward(g[0], s, in, synced); });
  } else {
    autograd::note_untracked(out, {&x_in, &weight, &bias});
  }
  return out;
}

}  // namespace ember::nn::functional
