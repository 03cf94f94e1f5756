// nn::functional::sync_batch_norm: per-channel sums packed and all-reduced once, the
// local input normalised by the global statistics through the device's batch-norm eval
// kernel, and the "SyncBatchNormBackward" node whose input gradient all-reduces its sums
// once more (Note [Synchronised batch statistics] in nn/distributed/sync_batchnorm.h).
#include <algorithm>

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

Dims reduced_dims(const Tensor& x) {
  Dims d;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != 1) d.push_back(i);
  return d;
}

// A per-channel [C] tensor seen as [1, C, 1, ...] against x.
Tensor per_channel(const Tensor& t, const Tensor& x) {
  Dims shape = Dims::filled(static_cast<size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  return native::view(t, shape);
}

Tensor channel_operand(const Tensor& t, DType dtype) {
  return t.defined() ? detail::contiguous(native::to_dtype(t, dtype)) : Tensor();
}

void check_args(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                const Tensor& bias, bool synced) {
  EMBER_CHECK(x.defined() && x.dim() >= 2, "sync_batch_norm: expected an input of at least 2D [N, C, ...], got ",
              x.defined() ? ember::detail::str_cat(x.dim(), "D input of size ", x.sizes()) : std::string("an undefined one"));
  EMBER_CHECK(is_floating(x.dtype()), "sync_batch_norm: expected a float32 or float64 input, got ",
              dtype_name(x.dtype()));
  const int64_t count = x.numel() / std::max<int64_t>(x.size(1), 1);
  // Over a group the count that matters is the global one (checked by PyTorch only when
  // there is one rank); an empty share of the batch is allowed.
  EMBER_CHECK(synced || count > 1, "Expected more than 1 value per channel when training, got input size ",
              x.sizes());
  detail::check_same_device("sync_batch_norm", x, {&running_mean, &running_var, &weight, &bias});
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias})
    EMBER_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == x.size(1)), "sync_batch_norm: expected per-channel "
                "tensors of size [", x.size(1), "] for input of size ", x.sizes(), ", got ", t->sizes());
}

// running = (1 - factor) running + factor * statistic, in each buffer's own dtype; the
// variance made unbiased with the global count (a tensor: no host synchronisation).
void update_running(const Tensor& running_mean, const Tensor& running_var, const Tensor& mean, const Tensor& var,
                    const Tensor& count, double factor) {
  NoGradGuard no_grad;
  const auto blend = [factor](const Tensor& running, const Tensor& batch) {
    const Tensor mixed = native::add(native::mul(native::to_dtype(running, batch.dtype()), 1.0 - factor),
                                     native::mul(batch, factor));
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
tensor_list backward(const Tensor& grad, const tensor_list& s, const std::vector<autograd::InputMeta>& in, bool synced) {
  const Tensor &x = s[0], &mean = s[1], &invstd = s[2], &w = s[3], &count = s[4];
  const int64_t C = x.size(1);
  const Tensor dy = detail::contiguous(grad);
  const Tensor xmu = native::sub(x, per_channel(mean, x));
  const Dims dims = reduced_dims(x);
  Tensor sums = make_empty({2 * C}, x.dtype(), x.device());  // [sum dy, sum dy * (x - mean)]
  native::copy_(sums.narrow(0, 0, C), native::sum(dy, dims));
  native::copy_(sums.narrow(0, C, C), native::sum(native::mul(dy, xmu), dims));
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
    const Tensor proj = native::mul(native::mul(invstd, invstd), mean_dy_xmu);
    const Tensor centred = native::sub(native::sub(dy, per_channel(mean_dy, x)), native::mul(xmu, per_channel(proj, x)));
    out[0] = native::mul(centred, per_channel(scale, x));
  }
  return out;
}

}  // namespace

Tensor sync_batch_norm(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, std::optional<double> momentum, double eps,
                       const Tensor& num_batches_tracked) {
  EMBER_PROFILE_OP("sync_batch_norm");
  const bool synced = group_of_several();
  check_args(x_in, running_mean, running_var, weight, bias, synced);
  const Tensor x = detail::contiguous(x_in);
  const int64_t C = x.size(1);
  const Tensor w = channel_operand(weight, x.dtype()), b = channel_operand(bias, x.dtype());
  const bool recording = autograd::will_record(x_in, weight, bias);
  Tensor mean, var, invstd, count;
  {
    NoGradGuard no_grad;
    Tensor stats = make_empty({2 * C + 1}, x.dtype(), x.device());  // [sum, sum of squares, count]
    const Dims dims = reduced_dims(x);
    native::copy_(stats.narrow(0, 0, C), native::sum(x, dims));
    native::copy_(stats.narrow(0, C, C), native::sum(native::mul(x, x), dims));
    native::fill_(stats.narrow(0, 2 * C, 1), static_cast<double>(x.numel() / std::max<int64_t>(C, 1)));
    if (synced) sum_over_group(stats);
    count = stats.narrow(0, 2 * C, 1);
    mean = native::div(stats.narrow(0, 0, C), count);
    var = native::clamp(native::sub(native::div(stats.narrow(0, C, C), count), native::mul(mean, mean)), Scalar(0.0),
                        std::nullopt);
    if (running_mean.defined() || running_var.defined())
      update_running(running_mean, running_var, mean, var, count, running_factor(momentum, num_batches_tracked));
  }
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  device_ops(x.device()).batch_norm_eval(x, mean, var, w, b, eps, out);
  out = detail::in_format(out, x_in.suggest_memory_format());
  if (recording) {
    invstd = native::batch_norm_invstd(var, eps);
    autograd::record("SyncBatchNormBackward", {&x_in, &weight, &bias}, {&out}, {x, mean, invstd, w, count},
                     [synced](const tensor_list& g, const tensor_list& s, const auto& in) {
                       return backward(g[0], s, in, synced);
                     });
  } else {
    autograd::note_untracked(out, {&x_in, &weight, &bias});
  }
  return out;
}

}  // namespace ember::nn::functional
