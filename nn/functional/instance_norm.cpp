// nn::functional::instance_norm: PyTorch's checks and phrases, then composed of
// group_norm (no running statistics) or batch_norm (running statistics to update or to
// normalize with), so it runs on every device those run on and differentiates as they do.
#include "autograd/checkpoint.h"
#include "core/autocast.h"
#include "core/grad_mode.h"
#include "core/profiler.h"
#include "nn/functional/basic.h"
#include "nn/functional/norm.h"

namespace ember::nn::functional {

namespace {

// t repeated n times along its one dim ([C] -> [n * C]), recorded when t requires grad.
Tensor repeat_if_defined(const Tensor& t, int64_t n) { return t.defined() ? t.repeat({n}) : Tensor(); }

void check_args(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                const Tensor& bias, bool use_input_stats) {
  if (use_input_stats) {
    int64_t spatial = 1;
    for (int64_t d = 2; d < x.dim(); ++d) spatial *= x.size(d);
    EMBER_CHECK(spatial != 1, "Expected more than 1 spatial element when training, got input size ", x.sizes());
  }
  EMBER_CHECK(use_input_stats || (running_mean.defined() && running_var.defined()),
              "Expected running_mean and running_var to be defined when use_input_stats is false");
  EMBER_CHECK(x.dim() >= 2, "instance_norm: expected at least 2D input (got ", x.dim(), "D input)");
  // One dtype rule for both compositions (16-bit inputs: Note [16-bit layers outside
  // autocast] in nn/functional/args.h).
  EMBER_CHECK(is_floating(x.dtype()),
              "instance_norm: expected a floating-point input (float32, float64, bfloat16 or float16), but got ",
              dtype_name(x.dtype()));
  // PyTorch's phrase, which counts the per-channel tensors as repeated over the batch.
  const int64_t N = x.size(0), C = x.size(1);
  for (const auto& [t, name] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"},
                                std::pair{&running_mean, "running_mean"}, std::pair{&running_var, "running_var"}}) {
    EMBER_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == C), name, " should contain ", N * C,
                " elements not ", N * t->numel());
  }
}

}  // namespace

// Note [Instance norm composed]
// Instance norm is batch norm with every (n, c) a channel of its own, which is how
// PyTorch computes it: x seen as [1, N * C, *], the per-channel tensors repeated N times,
// and the updated repeated running statistics averaged over n back into [C]. Here only
// the training step that updates running statistics takes that route (so the update is
// batch_norm's: momentum, the unbiased variance, nothing during a checkpoint's
// recomputation). Without running statistics each (n, c) is a group of its own:
// group_norm(x, C), one fused row kernel with no repeats. With the running statistics
// (use_input_stats = false) every instance is normalized alike: batch_norm's eval on x.
// Under autocast a 16-bit x without running statistics takes batch_norm's route too, as
// PyTorch's does: instance norm is on no autocast list, so it keeps x's dtype with float32
// weights (group_norm is on the float32 list: Note [Autocast] in core/autocast.h).
// All three are differentiable twice, on the CPU and on CUDA, by the composed ops, except
// batch norm's routes with a 16-bit weight (Note [16-bit layers outside autocast]).
Tensor instance_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, bool use_input_stats, double momentum, double eps) {
  EMBER_PROFILE_OP("instance_norm");
  check_args(x, running_mean, running_var, weight, bias, use_input_stats);
  if (!use_input_stats) return batch_norm(x, running_mean, running_var, weight, bias, false, momentum, eps);
  const int64_t N = x.size(0), C = x.size(1);
  // An empty batch has no statistics to average into the running ones: they stay as they are.
  const bool running = running_mean.defined() || running_var.defined();
  // (an empty 16-bit batch under autocast too, which batch_norm refuses: its dtype kept)
  if ((!running && !autocast::is_lower_precision(x)) || x.numel() == 0)
    return group_norm(x, C, weight, bias, eps).to(x.dtype());
  Dims shape = x.sizes();
  shape[0] = 1;
  shape[1] = N * C;
  Tensor mean_repeated, var_repeated;
  {
    NoGradGuard no_grad;
    mean_repeated = repeat_if_defined(running_mean, N);
    var_repeated = repeat_if_defined(running_var, N);
  }
  const Tensor out = batch_norm(x.reshape(shape), mean_repeated, var_repeated, repeat_if_defined(weight, N),
                                repeat_if_defined(bias, N), true, momentum, eps);
  if (!utils::is_recomputing()) {  // batch_norm updated nothing then (Note [Activation checkpointing])
    NoGradGuard no_grad;  // written through handles sharing the buffers' storage (PyTorch's at::alias)
    if (Tensor mean = running_mean; mean.defined()) mean.copy_(mean_repeated.view({N, C}).mean(0));
    if (Tensor var = running_var; var.defined()) var.copy_(var_repeated.view({N, C}).mean(0));
  }
  return out.reshape(x.sizes());
}

}  // namespace ember::nn::functional
