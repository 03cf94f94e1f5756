// Losses and (log-)softmax on the tensors' own device through the fused row kernels
// of DeviceOps (softmax_rows, cross_entropy_rows, class_loss_backward), one recorded
// node each. cross_entropy is fused: one pass gives the losses (class weights and
// ignore_index included), and its backward recomputes the softmax probabilities from
// the saved logits; nll_loss is the same pass over log-probabilities.
#include "nn/functional/loss.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/dispatch.h"
#include "core/factories.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/args.h"
#include "nn/functional/loss_warnings.h"

namespace ember::nn::functional {

using autograd::InputMeta;
using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record;
using autograd::will_record_into;

namespace {

// t itself when contiguous, else a contiguous copy on t's device (never recorded).
Tensor contiguous_data(const Tensor& t) { return t.is_contiguous() ? t : native::clone(t); }

// The fused kernels take float32/float64 only: other dtypes are an error naming `op`.
void check_floating(DType dtype, const char* op) {
  visit_floating(dtype, op, [](auto) {});
}

// ---------------------------------------------------------------- softmax
int64_t softmax_dim(const Tensor& x, int64_t dim) { return wrap_dim(dim, std::max<int64_t>(1, x.dim())); }

// (log-)softmax of x along dim on x's device: rows along dim, which is moved last
// (and back) when other dims of size > 1 follow it.
Tensor softmax_forward(const Tensor& x, int64_t dim, bool log) {
  const int64_t d = softmax_dim(x, dim);
  check_floating(x.dtype(), log ? "log_softmax" : "softmax");
  if (x.numel() == 0) return make_empty(x.sizes(), x.dtype(), x.device());
  int64_t inner = 1;
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.size(i);
  const int64_t last = std::max<int64_t>(0, x.dim() - 1);
  const bool move_dim = inner != 1;
  Tensor in = contiguous_data(move_dim ? native::transpose(x, d, last) : x);
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  const int64_t rows = in.numel() / n;
  Tensor out = make_empty(in.sizes(), in.dtype(), in.device());
  device_ops(x.device()).softmax_rows(native::view(in, {rows, n}), native::view(out, {rows, n}), log);
  return move_dim ? native::clone(native::transpose(out, d, last)) : out;
}

// ---------------------------------------------------------------- class-index losses
struct ClassShape {
  int64_t n;  // rows
  int64_t c;  // classes
};

// Checks input [N, C] (or [C]) against int64 targets [N] (or 0-dim). The kernels
// check that every target is a class index or the ignore_index (the CPU's at once;
// CUDA's through the device error word, thrown at the next synchronising point, so no
// device-to-host copy is made); CPU targets for an input on another device are checked
// here, at once.
ClassShape check_targets(const char* op, const Tensor& input, const Tensor& targets, std::optional<int64_t> ignore) {
  EMBER_CHECK(input.dim() == 1 || input.dim() == 2, op, ": expected input of shape [N, C] or [C], but got ",
              input.sizes());
  EMBER_CHECK(targets.dtype() == kInt64, op, ": expected scalar type Long but found ",
              dtype_torch_name(targets.dtype()), " (targets are int64 class indices)");
  const ClassShape shape{input.dim() == 2 ? input.size(0) : 1, input.size(input.dim() - 1)};
  // PyTorch's order (nll_loss_nd, then nll_loss_forward's meta): the batch sizes, then the rank.
  if (input.dim() == 2 && targets.dim() >= 1) {
    EMBER_CHECK(targets.size(0) == input.size(0), "Expected input batch_size (", input.size(0),
                ") to match target batch_size (", targets.size(0), ").");
  }
  EMBER_CHECK(targets.dim() <= 1, "0D or 1D target tensor expected, multi-target not supported (", op,
              ": targets of shape ", targets.sizes(), " for input of shape ", input.sizes(), ")");
  EMBER_CHECK(targets.dim() == input.dim() - 1, op, ": expected targets with ", input.dim() - 1,
              " dimension(s) for input of shape ", input.sizes(), ", but got shape ", targets.sizes());
  EMBER_CHECK(targets.numel() == shape.n, "Expected input batch_size (", shape.n, ") to match target batch_size (",
              targets.numel(), ").");
  if (targets.is_cpu() && !input.is_cpu()) {
    const Tensor host = contiguous_data(targets);
    const int64_t* t = host.data_ptr<int64_t>();
    for (int64_t i = 0; i < shape.n; ++i) {
      EMBER_CHECK((ignore && t[i] == *ignore) || (t[i] >= 0 && t[i] < shape.c), "Target ", t[i], " is out of bounds.");
    }
  }
  return shape;
}

// The targets as the kernels take them: contiguous [N] on `device`.
Tensor kernel_targets(const Tensor& targets, Device device, int64_t rows) {
  const Tensor t = targets.device() == device ? targets : native::to_device(targets, device);
  return native::view(contiguous_data(t), {rows});
}

// Per-row losses (in the targets' shape) -> the reduced output, on their device.
Tensor reduce_losses(const Tensor& losses, Reduction reduction) {
  if (reduction == Reduction::None) return losses;
  return reduction == Reduction::Sum ? native::sum(losses) : native::mean(losses);
}

// Gradient w.r.t. the [N, C] (or [C]) input of a class-index loss, on its device (the
// formula at DeviceOps::class_loss_backward); probs undefined = 0 (nll_loss). A weighted
// or ignoring mean divides by the saved sum of the rows' weights (`denominator`).
Tensor class_loss_grad(const Tensor& probs, const Tensor& targets, const Tensor& g, Reduction reduction,
                       ClassLossTerms terms, const Tensor& denominator, const InputMeta& meta) {
  const int64_t c = meta.shape.back();
  const int64_t n = meta.shape.size() == 2 ? meta.shape[0] : 1;
  Tensor grad = make_empty(meta.shape, meta.dtype, meta.device);
  Tensor scale = g.dtype() == meta.dtype ? g : native::to_dtype(g, meta.dtype);
  if (scale.device() != meta.device) scale = native::to_device(scale, meta.device);
  LossGradScale kind = reduction == Reduction::None  ? LossGradScale::PerRow
                       : reduction == Reduction::Sum ? LossGradScale::Sum
                                                     : LossGradScale::Mean;
  if (denominator.defined()) {  // mean over the rows' weights
    scale = native::div(scale, denominator);
    kind = LossGradScale::Sum;
  }
  if (terms.weight.defined() && probs.defined() && terms.smoothing > 0.0) terms.weight_sum = native::sum(terms.weight);
  device_ops(meta.device)
      .class_loss_backward(probs.defined() ? native::view(probs, {n, c}) : Tensor(), targets, contiguous_data(scale),
                           kind, terms, native::view(grad, {n, c}));
  return grad;
}

// class_loss_grad for a backward that records (create_graph, Note [Higher-order
// gradients] in autograd/engine.h). The gradient is scale * (p * F - M): F (the prob
// factor) and M (the target mass) are constants of the targets and weights, taken from
// the kernel itself (with unit scale, and probabilities 0 and 1); the scale (from g) and
// p = softmax(x) (x with its history; absent for nll_loss) are differentiable ops.
Tensor class_loss_recorded_grad(const Tensor& x, const Tensor& targets, const Tensor& g, Reduction reduction,
                                const ClassLossTerms& terms, const Tensor& denominator, const InputMeta& meta) {
  const int64_t c = meta.shape.back();
  const int64_t n = meta.shape.size() == 2 ? meta.shape[0] : 1;
  const TensorOptions options = TensorOptions(meta.dtype).device(meta.device);
  Tensor minus_mass, factor;  // -M and F, constants
  {
    NoGradGuard constants;
    const Tensor unit = ones({1}, options);
    minus_mass = native::view(class_loss_grad(Tensor(), targets, unit, Reduction::Sum, terms, Tensor(), meta), {n, c});
    if (x.defined()) {
      const Tensor with_unit_probs = class_loss_grad(ones({n, c}, options), targets, unit, Reduction::Sum, terms,
                                                     Tensor(), meta);
      factor = native::sub(native::view(with_unit_probs, {n, c}), minus_mass);
    }
  }
  const Tensor grad = x.defined() ? ember::add(ember::mul(softmax(x.view({n, c}), 1), factor), minus_mass) : minus_mass;
  Tensor scale = g.dtype() == meta.dtype ? g : g.to(meta.dtype);
  if (scale.device() != meta.device) scale = scale.to(meta.device);
  if (denominator.defined()) scale = ember::div(scale, denominator);
  else if (reduction == Reduction::Mean) scale = ember::div(scale, static_cast<double>(n));
  else if (reduction == Reduction::None) scale = scale.reshape({n, 1});
  // Ignored rows get a scale of 0 even from a NaN or infinite one, as the kernel (and
  // PyTorch) give, and so do their derivatives.
  if (terms.has_ignore_index)
    scale = ember::where(native::ne(native::view(targets, {n, 1}), terms.ignore_index), scale, Scalar(0.0));
  return ember::mul(scale, grad).view(meta.shape);
}

// terms without the weight (the node saves it as a saved tensor, not in its formula).
ClassLossTerms without_weight(ClassLossTerms terms) {
  terms.weight = Tensor();
  return terms;
}

// cross_entropy (from logits) or nll_loss (input_is_log_probs) with every option, fused:
// one kernel pass for the losses, the reduction, and one recorded node.
Tensor class_loss(const char* op, const char* node_name, const Tensor& input, const Tensor& targets_in,
                  const ClassLossOptions& o, bool input_is_log_probs) {
  // uint8 class indices (a segmentation mask read as an image) as PyTorch's nll_loss takes them.
  const Tensor targets = targets_in.dtype() == kUInt8 ? targets_in.to(kInt64) : targets_in;
  EMBER_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0,
              "label_smoothing must be between 0.0 and 1.0. Got: ", o.label_smoothing);
  const ClassShape shape = check_targets(op, input, targets, o.ignore_index);
  check_floating(input.dtype(), op);
  const Device device = input.device();
  // Under autocast the input is float32 here; so is the weight, as in PyTorch.
  const Tensor weight = o.weight.defined() ? autocast::cast(autocast::CastPolicy::Float32, o.weight) : Tensor();
  if (weight.defined()) {
    // The fused kernels give no gradient for the weight: PyTorch's error, not a silent constant.
    EMBER_CHECK(!weight.requires_grad() || !is_grad_enabled() || is_inference_mode_enabled(),
                "The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'. "
                "This input cannot have requires_grad True.");
    EMBER_CHECK(weight.dim() == 1 && weight.numel() == shape.c, op,
                ": weight tensor should be defined either for all ", shape.c,
                " classes or no classes but got weight tensor of shape: ", weight.sizes());
    EMBER_CHECK(weight.device() == device && weight.dtype() == input.dtype(), op, ": expected a weight of ",
                dtype_name(input.dtype()), " on ", device, ", but got ", dtype_name(weight.dtype()), " on ",
                weight.device(), " (expected scalar type ", dtype_torch_name(input.dtype()), " but found ",
                dtype_torch_name(weight.dtype()), ")");
  }
  const ClassLossTerms terms{.smoothing = o.label_smoothing,
                             .weight = weight.defined() ? contiguous_data(weight.detach()) : Tensor(),
                             .has_ignore_index = o.ignore_index.has_value(),
                             .ignore_index = o.ignore_index.value_or(-100),
                             .input_is_log_probs = input_is_log_probs};
  const bool weighted_mean = o.reduction == Reduction::Mean && (weight.defined() || o.ignore_index);
  const Tensor in = native::view(contiguous_data(input), {shape.n, shape.c});
  const Tensor t = kernel_targets(targets, device, shape.n);
  const bool recording = will_record(input);
  Tensor losses = make_empty(targets.sizes(), input.dtype(), device);  // one per row, in the targets' shape
  Tensor row_weights = weighted_mean ? make_empty({shape.n}, input.dtype(), device) : Tensor();
  device_ops(device).cross_entropy_rows(in, t, terms, native::view(losses, {shape.n}), Tensor(), row_weights);
  // PyTorch's mean with weights or ignore_index: sum of the losses / sum of w[t_i] kept.
  // A zero sum (every row ignored, or every kept row's weight 0) gives NaN, and NaN
  // gradients for the rows kept, as PyTorch's 0 / 0 does.
  Tensor denominator;
  if (weighted_mean) {
    const Tensor sum = native::sum(row_weights);
    denominator = native::where(native::eq(sum, 0.0), std::numeric_limits<double>::quiet_NaN(), sum);
  }
  Tensor out = weighted_mean ? native::div(native::sum(losses), denominator) : reduce_losses(losses, o.reduction);
  if (recording) {
    // The logits, not their softmax: backward recomputes the probabilities (the same
    // values: the kernels share their math), and create_graph differentiates through them.
    record(node_name, {&input}, {&out}, {input_is_log_probs ? Tensor() : input, t, denominator, terms.weight},
           [reduction = o.reduction, terms = without_weight(terms)](const tensor_list& g, const tensor_list& s,
                                                                    const auto& in_meta) {
             ClassLossTerms saved_terms = terms;
             saved_terms.weight = s[3];  // saved (and version-checked) with the other tensors
             if (is_grad_enabled())
               return tensor_list{class_loss_recorded_grad(s[0], s[1], g[0], reduction, saved_terms, s[2], in_meta[0])};
             const Tensor probs = s[0].defined() ? softmax_forward(s[0], -1, false) : Tensor();
             return tensor_list{class_loss_grad(probs, s[1], g[0], reduction, saved_terms, s[2], in_meta[0])};
           })
        ->set_backward_reads_inputs();
  } else {
    autograd::note_untracked(out, {&input});
  }
  return out;
}

}  // namespace

Reduction reduction_from_string(std::string_view name) {
  if (name == "none") return Reduction::None;
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  if (name == "elementwise_mean") {  // PyTorch's deprecated name, with its warning
    static std::once_flag warned;
    std::call_once(warned, [] {
      logging::warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.");
    });
    return Reduction::Mean;
  }
  EMBER_FAIL(name, " is not a valid value for reduction (expected \"none\", \"mean\" or \"sum\")");
}

namespace {

// (log-)softmax of a float32/float64 x, recorded.
Tensor recorded_softmax(const Tensor& x, int64_t dim, bool log) {
  Tensor out = softmax_forward(x, dim, log);
  if (!will_record_into(out, x)) return out;
  const int64_t d = softmax_dim(x, dim);
  if (log) {
    record("LogSoftmaxBackward", {&x}, {&out}, {out}, [d](const tensor_list& g, const tensor_list& s, const auto&) {
      // g - exp(out) * sum(g, dim)
      return tensor_list{ember::sub(g[0], ember::mul(ember::exp(s[0]), ember::sum(g[0], {d}, true)))};
    })->set_differentiable_backward();
  } else {
    record("SoftmaxBackward", {&x}, {&out}, {out}, [d](const tensor_list& g, const tensor_list& s, const auto&) {
      // out * (g - sum(g * out, dim))
      return tensor_list{ember::mul(s[0], ember::sub(g[0], ember::sum(ember::mul(g[0], s[0]), {d}, true)))};
    })->set_differentiable_backward();
  }
  return out;
}

}  // namespace

// A 16-bit input outside autocast runs in float32 (Note [16-bit layers outside autocast] in
// nn/functional/args.h), here and in the class losses below.
Tensor log_softmax(const Tensor& x_in, int64_t dim) {
  EMBER_PROFILE_OP("log_softmax");
  const Tensor x = autocast::cast(autocast::CastPolicy::Float32, x_in);
  return detail::through_float32(x, [dim](const Tensor& in) { return recorded_softmax(in, dim, true); });
}

Tensor softmax(const Tensor& x_in, int64_t dim) {
  EMBER_PROFILE_OP("softmax");
  const Tensor x = autocast::cast(autocast::CastPolicy::Float32, x_in);
  return detail::through_float32(x, [dim](const Tensor& in) { return recorded_softmax(in, dim, false); });
}

// The dtype forms cast first (differentiably: the gradient comes back in x's dtype). Under
// autocast the explicit dtype is kept, as PyTorch's fp32_set_opt_dtype policy: no float32 cast.
namespace {
template <typename Op>
Tensor in_explicit_dtype(const Tensor& x, DType dtype, const Op& op) {
  const Tensor cast = x.to(dtype);
  std::optional<AutocastGuard> autocast_off;
  const DeviceType type = x.device().type();
  if (autocast::is_enabled(type)) autocast_off.emplace(x.device(), autocast::get_dtype(type), false);
  return op(cast);
}
}  // namespace
Tensor log_softmax(const Tensor& x, int64_t dim, DType dtype) {
  return in_explicit_dtype(x, dtype, [dim](const Tensor& in) { return log_softmax(in, dim); });
}
Tensor softmax(const Tensor& x, int64_t dim, DType dtype) {
  return in_explicit_dtype(x, dtype, [dim](const Tensor& in) { return softmax(in, dim); });
}

namespace {

// PyTorch's K-dimensional form: input [N, C, d1, ..., dk] against targets [N, d1, ..., dk]
// is the 2-D loss of its rows [N d1 ... dk, C] (the class dim moved last, differentiably);
// "none" gives the losses back in the targets' shape. `loss` is the 2-D loss.
template <typename Loss>
Tensor spatial_class_loss(const Tensor& input, const Tensor& targets, Reduction reduction, const Loss& loss) {
  if (targets.dim() >= 1) {
    EMBER_CHECK(targets.size(0) == input.size(0), "Expected input batch_size (", input.size(0),
                ") to match target batch_size (", targets.size(0), ").");
  }
  Dims expected = input.sizes();
  expected.erase(1);
  if (input.dim() == 4) {  // PyTorch's nll_loss2d checks
    EMBER_CHECK(targets.dim() == 3,
                "only batches of spatial targets supported (3D tensors) but got targets of dimension: ", targets.dim());
    EMBER_CHECK(targets.sizes() == expected, "input and target batch or spatial sizes don't match: target ",
                targets.sizes(), ", input ", input.sizes());
  }
  EMBER_CHECK(targets.sizes() == expected, "Expected target size ", expected, ", got ", targets.sizes());
  Dims order{0};
  for (int64_t d = 2; d < input.dim(); ++d) order.push_back(d);
  order.push_back(1);
  const Tensor rows = input.permute(order).reshape({-1, input.size(1)});
  Tensor out = loss(rows, targets.reshape({-1}));
  return reduction == Reduction::None ? out.reshape(targets.sizes()) : out;
}

// PyTorch's cross_entropy with class probabilities (a target of the input's shape): per
// sample -sum_c w[c] y[c] log p[c], with y smoothed to y (1 - s) + s / C; "mean" divides
// by the number of samples (not by the weights). Composed of differentiable ops, so a
// target that requires grad gets its gradient too.
Tensor probability_cross_entropy(const Tensor& logits, const Tensor& target, const ClassLossOptions& o) {
  EMBER_CHECK(target.is_floating_point(), "Expected floating point type for target with class probabilities, got ",
              dtype_torch_name(target.dtype()));
  EMBER_CHECK(!o.ignore_index || *o.ignore_index < 0, "ignore_index is not supported for floating point target");
  EMBER_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0,
              "label_smoothing must be between 0.0 and 1.0. Got: ", o.label_smoothing);
  check_floating(logits.dtype(), "cross_entropy");
  const int64_t class_dim = logits.dim() == 1 ? 0 : 1;
  const int64_t c = logits.size(class_dim);
  Tensor y = target.dtype() == logits.dtype() ? target : target.to(logits.dtype());
  if (o.label_smoothing > 0.0) y = y * (1.0 - o.label_smoothing) + o.label_smoothing / static_cast<double>(c);
  Tensor terms = log_softmax(logits, class_dim) * y;
  if (o.weight.defined()) {
    const Tensor weight = autocast::cast(autocast::CastPolicy::Float32, o.weight);
    EMBER_CHECK(weight.dim() == 1 && weight.numel() == c, "cross_entropy: weight tensor should be defined either for all ",
                c, " classes or no classes but got weight tensor of shape: ", weight.sizes());
    Dims shape = Dims::filled(static_cast<size_t>(logits.dim()), 1);
    shape[static_cast<size_t>(class_dim)] = c;
    terms = terms * weight.view(shape);  // differentiable in the weight too, as PyTorch's
  }
  const Tensor losses = -terms.sum({class_dim});
  if (o.reduction == Reduction::None) return losses;
  if (o.reduction == Reduction::Sum) return losses.sum();
  const int64_t samples = c == 0 ? 0 : logits.numel() / c;
  return samples == 0 ? losses.sum() * std::numeric_limits<double>::quiet_NaN() : losses.sum() / static_cast<double>(samples);
}

// The options of a 16-bit input's loss run in float32: its class weight (of the input's
// dtype, as PyTorch requires) widened with it.
ClassLossOptions widened_weight(const char* op, const Tensor& input, ClassLossOptions o) {
  if (!is_reduced_float(input.dtype()) || !o.weight.defined()) return o;
  EMBER_CHECK(o.weight.dtype() == input.dtype(), op, ": expected a weight of ", dtype_name(input.dtype()),
              ", but got ", dtype_name(o.weight.dtype()), " (expected scalar type ", dtype_torch_name(input.dtype()),
              " but found ", dtype_torch_name(o.weight.dtype()), ")");
  o.weight = o.weight.to(kFloat32);
  return o;
}

Tensor float_nll_loss(const Tensor& log_probs, const Tensor& targets, const ClassLossOptions& options) {
  if (log_probs.dim() > 2) {
    return spatial_class_loss(log_probs, targets, options.reduction, [&](const Tensor& rows, const Tensor& t) {
      return class_loss("nll_loss", "NllLossBackward", rows, t, options, /*input_is_log_probs=*/true);
    });
  }
  return class_loss("nll_loss", "NllLossBackward", log_probs, targets, options, /*input_is_log_probs=*/true);
}

Tensor float_cross_entropy(const Tensor& logits, const Tensor& targets, const ClassLossOptions& options) {
  if (logits.dim() >= 1 && targets.sizes() == logits.sizes()) return probability_cross_entropy(logits, targets, options);
  if (logits.dim() > 2) {
    return spatial_class_loss(logits, targets, options.reduction, [&](const Tensor& rows, const Tensor& t) {
      return class_loss("cross_entropy", "CrossEntropyLossBackward", rows, t, options, /*input_is_log_probs=*/false);
    });
  }
  return class_loss("cross_entropy", "CrossEntropyLossBackward", logits, targets, options,
                    /*input_is_log_probs=*/false);
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs_in, const Tensor& targets, const ClassLossOptions& options) {
  EMBER_PROFILE_OP("nll_loss");
  EMBER_CHECK(options.label_smoothing == 0.0, "nll_loss: label_smoothing is an option of cross_entropy only");
  const Tensor log_probs = autocast::cast(autocast::CastPolicy::Float32, log_probs_in);
  const ClassLossOptions o = widened_weight("nll_loss", log_probs, options);
  return detail::through_float32(log_probs, [&](const Tensor& in) { return float_nll_loss(in, targets, o); });
}

Tensor cross_entropy(const Tensor& logits_in, const Tensor& targets, const ClassLossOptions& options) {
  EMBER_PROFILE_OP("cross_entropy");
  const Tensor logits = autocast::cast(autocast::CastPolicy::Float32, logits_in);
  const ClassLossOptions o = widened_weight("cross_entropy", logits, options);
  return detail::through_float32(logits, [&](const Tensor& in) { return float_cross_entropy(in, targets, o); });
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, Reduction reduction) {
  return nll_loss(log_probs, targets, ClassLossOptions{.reduction = reduction});
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, Reduction reduction, double label_smoothing) {
  return cross_entropy(logits, targets, ClassLossOptions{.reduction = reduction, .label_smoothing = label_smoothing});
}

Tensor mse_loss(const Tensor& input_in, const Tensor& target_in, Reduction reduction) {
  EMBER_PROFILE_OP("mse_loss");
  static std::once_flag warned;
  detail::warn_target_size(warned, input_in.sizes(), target_in.sizes());
  const auto [input, target] = autocast::cast_inputs(autocast::CastPolicy::Float32, input_in, target_in);
  EMBER_CHECK(input.is_floating_point() && target.is_floating_point(),
              "mse_loss: expected floating-point input and target, but got ", dtype_name(input.dtype()), " and ",
              dtype_name(target.dtype()));
  Tensor diff = native::sub(input, target);
  Tensor squared = native::mul(diff, diff);
  Tensor out = reduction == Reduction::None  ? squared
               : reduction == Reduction::Sum ? native::sum(squared)
                                             : native::mean(squared);
  if (will_record_into(out, input, target)) {
    const double factor = reduction == Reduction::Mean ? 2.0 / static_cast<double>(diff.numel()) : 2.0;
    // PyTorch's save rule (input and target, not their difference): for create_graph the
    // difference is recomputed with its history (Note [Higher-order gradients]).
    record("MseLossBackward", {&input, &target}, {&out}, {input, target},
           [factor](const tensor_list& g, const tensor_list& s, const auto& in) {
             Tensor grad = ember::mul(ember::mul(ember::sub(s[0], s[1]), g[0]), factor);  // 2 (input - target) g [/ numel]
             return tensor_list{needs_grad(in, 0) ? grad : Tensor(), needs_grad(in, 1) ? ember::neg(grad) : Tensor()};
           })->set_differentiable_backward();
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, std::string_view reduction) {
  return nll_loss(log_probs, targets, reduction_from_string(reduction));
}
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, std::string_view reduction, double label_smoothing) {
  return cross_entropy(logits, targets, reduction_from_string(reduction), label_smoothing);
}
Tensor mse_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  return mse_loss(input, target, reduction_from_string(reduction));
}

}  // namespace ember::nn::functional
