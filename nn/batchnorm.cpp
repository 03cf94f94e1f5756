// nn::BatchNorm1d / 2d / 3d: buffers and parameters, the num_batches_tracked
// count (which sets the cumulative-average factor), and the input-rank checks; the
// math is nn::functional::batch_norm.
#include "nn/batchnorm.h"

#include <memory>
#include <string>

#include "autograd/checkpoint.h"
#include "autograd/record.h"
#include "core/grad_mode.h"
#include "nn/diagnostics.h"
#include "nn/functional/basic.h"

namespace ember::nn {

BatchNormBase::BatchNormBase(std::string type_name, int64_t c, BatchNormOptions opts)
    : NormBase(std::move(type_name), c, opts.affine, opts.track_running_stats), options(opts), momentum_(opts.momentum) {}

Tensor BatchNormBase::forward(const Tensor& input) {
  check_input_and_channels(input);
  if (is_training()) {  // Note [Mode diagnostics] in nn/diagnostics.h
    const int64_t values = input.numel() / std::max<int64_t>(num_features, 1);
    if (values > 1 && values < diagnostics::kTinyBatchNormValues)
      diagnostics::detail::tiny_batch_norm_batch(*this, input, values);
  }
  // Without running statistics (not tracked, or set to undefined tensors: test-time
  // adaptation) the batch statistics are used in eval mode too, as PyTorch's bn_training.
  const bool use_batch_stats = is_training() || (!running_mean.defined() && !running_var.defined());
  if (is_training() && options.track_running_stats && !utils::is_recomputing()) {  // counted once per forward
    NoGradGuard no_grad;
    num_batches_tracked.add_(1);
  }
  // Without running statistics the batch statistics are used, and nothing is updated.
  return functional::batch_norm(input, running_mean, running_var, weight, bias, use_batch_stats, momentum_,
                                options.eps, num_batches_tracked);
}

Tensor BatchNormBase::forward_consuming(Tensor input) {
  const bool eval_stats = !is_training() && running_mean.defined() && running_var.defined();
  if (!eval_stats || !reusable(input) || !input.is_contiguous() || autograd::will_record(weight, bias) ||
      !is_floating(input.dtype()))
    return forward(input);
  check_input_and_channels(input);
  functional::batch_norm_eval_(input, running_mean, running_var, weight, bias, options.eps);
  return input;
}

namespace {
std::string running_statistics_effect(const Tensor& num_batches_tracked) {
  const int64_t tracked = num_batches_tracked.defined() ? num_batches_tracked.item<int64_t>() : 0;
  return detail::str_cat("it normalized with its running statistics of ", tracked,
                         " tracked batches instead of the batch's, and did not update them");
}
}  // namespace

std::string BatchNormBase::eval_mode_effect() const { return running_statistics_effect(num_batches_tracked); }

// The count is read if a message is made, through a weak reference: nothing is copied or
// synchronised now, and nothing outlives the module (a device copy per module did, for the
// process's life). A module not owned by a shared_ptr, or gone by then, gives no count.
std::function<std::string()> BatchNormBase::eval_mode_effect_later() const {
  return [self = weak_from_this()] {
    if (const auto module = std::dynamic_pointer_cast<const BatchNormBase>(self.lock()))
      return running_statistics_effect(module->num_batches_tracked);
    return std::string("it normalized with its running statistics instead of the batch's, and did not update them");
  };
}

std::string BatchNormBase::extra_repr() const {
  return norm_repr(options.eps, momentum_, options.affine, options.track_running_stats);
}

BatchNorm1d::BatchNorm1d(int64_t c, BatchNormOptions opts) : BatchNormBase("BatchNorm1d", c, opts) {}

void BatchNormBase::check_input_and_channels(const Tensor& input) const {
  check_input(input);
  EMBER_CHECK(input.size(1) == num_features, type_name(), ": expected ", num_features,
              " channels in dim 1, got input of size ", input.sizes(), " (",
              running_mean.defined() ? "running_mean" : "weight", " should contain ", input.size(1), " elements not ",
              num_features, ")");
}

void BatchNorm1d::check_input(const Tensor& input) const {
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, "expected 2D or 3D input (got ", input.dim(), "D input)");
}

BatchNorm2d::BatchNorm2d(int64_t c, BatchNormOptions opts) : BatchNormBase("BatchNorm2d", c, opts) {}

void BatchNorm2d::check_input(const Tensor& input) const {
  EMBER_CHECK(input.dim() == 4, "expected 4D input (got ", input.dim(), "D input)");
}

BatchNorm3d::BatchNorm3d(int64_t c, BatchNormOptions opts) : BatchNormBase("BatchNorm3d", c, opts) {}

void BatchNorm3d::check_input(const Tensor& input) const {
  EMBER_CHECK(input.dim() == 5, "expected 5D input (got ", input.dim(), "D input)");
}

}  // namespace ember::nn
